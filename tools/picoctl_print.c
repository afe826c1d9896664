/*
 * picoctl_print: `-o json` and `-o yaml` as kubectl prints them.  kubectl
 * goes through Go maps, so keys come out sorted; JSON is indented by four
 * spaces with Go's HTML-safe escaping; YAML is go-yaml v2's block style
 * (sequences under a key are not indented, strings that would read as
 * another type are double-quoted, strings YAML cannot take plain are
 * single-quoted, multi-line strings become literal blocks, and long
 * strings fold at a space past column 80 as libyaml's emitter does).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "tools/picoctl.h"

static int
keycmp(const void *a, const void *b)
{
	const struct json *x = *(const struct json *const *)a;
	const struct json *y = *(const struct json *const *)b;

	return strcmp(x->key, y->key);
}

/* The members of an object in Go's map order; arrays as they are. */
static const struct json **
members(const struct json *j)
{
	const struct json **v, *c;
	size_t i = 0;

	v = xcalloc(j->n + 1, sizeof(*v));
	for (c = j->child; c && i < j->n; c = c->next)
		v[i++] = c;
	if (j->type == JSON_OBJ)
		qsort(v, i, sizeof(*v), keycmp);
	return v;
}

static void
indent(struct buf *b, int n)
{
	while (n-- > 0)
		buf_append(b, " ", 1);
}

static void
json_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	buf_append(b, "\"", 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			buf_printf(b, "\\%c", p[i]);
		else if (p[i] == '\n')
			buf_puts(b, "\\n");
		else if (p[i] == '\r')
			buf_puts(b, "\\r");
		else if (p[i] == '\t')
			buf_puts(b, "\\t");
		else if (p[i] < 0x20 || p[i] == '<' || p[i] == '>' ||
		    p[i] == '&')
			buf_printf(b, "\\u%04x", p[i]);
		else if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			buf_printf(b, "\\u202%c", p[i + 2] == 0xa8 ? '8' : '9');
			i += 2;
		} else
			buf_append(b, &p[i], 1);
	}
	buf_append(b, "\"", 1);
}

static void
number(struct buf *b, const struct json *j)
{
	char tmp[40];
	int prec;

	if (j->is_int) {
		buf_printf(b, "%lld", (long long)j->i);
		return;
	}
	/* the shortest form that reads back the same, as Go prints */
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, j->num);
		if (strtod(tmp, NULL) == j->num)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*g", prec, j->num);
	buf_puts(b, tmp);
}

static void
json_value(const struct json *j, int depth, struct buf *b)
{
	const struct json **v;
	size_t i;

	switch (j->type) {
	case JSON_NULL:
		buf_puts(b, "null");
		return;
	case JSON_BOOL:
		buf_puts(b, j->b ? "true" : "false");
		return;
	case JSON_NUM:
		number(b, j);
		return;
	case JSON_STR:
		json_string(b, j->s, j->slen);
		return;
	case JSON_ARR:
	case JSON_OBJ:
		break;
	}
	if (j->n == 0) {
		buf_puts(b, j->type == JSON_OBJ ? "{}" : "[]");
		return;
	}
	buf_puts(b, j->type == JSON_OBJ ? "{\n" : "[\n");
	v = members(j);
	for (i = 0; v[i]; i++) {
		indent(b, 4 * (depth + 1));
		if (j->type == JSON_OBJ) {
			json_string(b, v[i]->key, strlen(v[i]->key));
			buf_puts(b, ": ");
		}
		json_value(v[i], depth + 1, b);
		buf_puts(b, v[i + 1] ? ",\n" : "\n");
	}
	free(v);
	indent(b, 4 * depth);
	buf_puts(b, j->type == JSON_OBJ ? "}" : "]");
}

void
fmt_json(const struct json *j, struct buf *out)
{
	json_value(j, 0, out);
	buf_puts(out, "\n");
}

/* YAML scalars */

static bool
allin(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* Would a plain scalar resolve to something other than a string
 * (go-yaml v2's resolve(), plus its base-60 float rule)? */
static bool
resolves_other(const char *s)
{
	static const char *words[] = { "", "~", "null", "Null", "NULL", "y",
	    "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true",
	    "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
	    "off", "Off", "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
	    "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
	    "<<" };
	char tmp[128], *end;
	size_t i, o = 0;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	if (strchr("+-.0123456789", s[0]) == NULL || strlen(s) >= sizeof(tmp))
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] != '_')
			tmp[o++] = s[i];
	tmp[o] = '\0';
	if (o > 0) {
		strtoll(tmp, &end, 0);
		if (*end == '\0')
			return true;
		strtod(tmp, &end);
		if (*end == '\0' && strncmp(tmp, "0x", 2) != 0)
			return true;
	}
	/* timestamps: go-yaml only tries strings that start "dddd-" */
	if (strlen(s) >= 8 && isdigit((unsigned char)s[0]) && isdigit(
	    (unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-' &&
	    isdigit((unsigned char)s[5]))
		return true;
	return strchr(s, ':') && isdigit((unsigned char)s[s[0] == '-' ||
	    s[0] == '+']) && allin(s + (s[0] == '-' || s[0] == '+'),
	    "0123456789_:.");
}

/* libyaml's analysis, reduced: may s be written plain in block style? */
static bool
plain_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || strchr("#,[]{}&*!|>'\"%@`", s[0]) != NULL)
		return false;
	if (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0)
		return false;
	if (strchr("-?:", s[0]) != NULL && (s[1] == ' ' || s[1] == '\0'))
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == ':' && (s[i + 1] == ' ' || s[i + 1] == '\0'))
			return false;
		if (s[i] == '#' && i > 0 && s[i - 1] == ' ')
			return false;
	}
	return true;
}

static bool
has_special(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			return true;
	return false;
}

/* Characters since the last line break: libyaml folds by column. */
static int
column(const struct buf *b)
{
	size_t i = b->len;
	int col = 0;

	while (i > 0 && b->p[i - 1] != '\n') {
		i--;
		col += ((unsigned char)b->p[i] & 0xc0) != 0x80;
	}
	return col;
}

enum qstyle { Q_PLAIN, Q_SINGLE, Q_DOUBLE };

/* One byte inside double quotes; returns the columns it took. */
static int
dq_escape(struct buf *b, unsigned char ch)
{
	static const char esc[] = "0\0\0\0\0\0\0abtnvfr";
	char tmp[8];

	if (ch == '"' || ch == '\\')
		snprintf(tmp, sizeof(tmp), "\\%c", ch);
	else if (ch < sizeof(esc) - 1 && esc[ch] != '\0')
		snprintf(tmp, sizeof(tmp), "\\%c", esc[ch]);
	else if (ch == 0x1b)
		snprintf(tmp, sizeof(tmp), "\\e");
	else if (ch < 0x20 || ch == 0x7f)
		snprintf(tmp, sizeof(tmp), "\\x%02X", ch);
	else {
		buf_append(b, &ch, 1);
		return (ch & 0xc0) != 0x80;
	}
	buf_puts(b, tmp);
	return (int)strlen(tmp);
}

/*
 * A flow scalar as libyaml writes it: past column 80 (go-yaml's width)
 * a single space becomes a line break and the next line starts at ind;
 * ind < 0 (keys) never breaks.
 */
static void
yaml_flow(struct buf *b, const char *s, enum qstyle q, int ind)
{
	const char *p;
	bool spaces = false, brk;
	int col = column(b);

	if (q != Q_PLAIN) {
		buf_append(b, q == Q_SINGLE ? "'" : "\"", 1);
		col++;
	}
	for (p = s; *p; p++) {
		if (*p != ' ') {
			spaces = false;
			if (q == Q_DOUBLE)
				col += dq_escape(b, (unsigned char)*p);
			else {
				if (q == Q_SINGLE && *p == '\'') {
					buf_append(b, "'", 1);	/* '' */
					col++;
				}
				buf_append(b, p, 1);
				col += ((unsigned char)*p & 0xc0) != 0x80;
			}
			continue;
		}
		brk = ind >= 0 && !spaces && col > 80 && (q == Q_PLAIN ||
		    (p != s && p[1] != '\0')) && (q == Q_DOUBLE || p[1] != ' ');
		spaces = true;
		if (!brk) {
			buf_append(b, " ", 1);
			col++;
			continue;
		}
		buf_append(b, "\n", 1);
		indent(b, ind);
		col = ind;
		if (q == Q_DOUBLE && p[1] == ' ') {
			buf_append(b, "\\", 1);
			col++;
		}
	}
	if (q != Q_PLAIN)
		buf_append(b, q == Q_SINGLE ? "'" : "\"", 1);
}

/* A literal block is allowed when no line ends in a space and the text
 * starts with something that fixes the indentation. */
static bool
literal_ok(const char *s)
{
	size_t n = strlen(s);

	if (s[0] == ' ' || s[0] == '\n' || has_special(s) ||
	    strstr(s, " \n") != NULL || (n > 0 && s[n - 1] == ' '))
		return false;
	return true;
}

static void
yaml_literal(struct buf *b, const char *s, int ind)
{
	size_t n = strlen(s), trail = 0;
	const char *nl;

	while (trail < n && s[n - 1 - trail] == '\n')
		trail++;
	buf_puts(b, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
	while (*s) {
		nl = strchr(s, '\n');
		if (nl != s)
			indent(b, ind);
		buf_append(b, s, nl ? (size_t)(nl - s) : strlen(s));
		buf_puts(b, "\n");
		s = nl ? nl + 1 : s + strlen(s);
	}
}

/* Writes the scalar and ends the line; ind is where continuation lines
 * start (-1 for a key, which stays on one line). */
static void
yaml_scalar(struct buf *b, const struct json *j, int ind)
{
	switch (j->type) {
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	case JSON_BOOL:
		buf_puts(b, j->b ? "true" : "false");
		break;
	case JSON_NUM:
		number(b, j);
		break;
	case JSON_STR:
		if (ind >= 0 && strchr(j->s, '\n') && literal_ok(j->s)) {
			yaml_literal(b, j->s, ind);
			return;
		}
		if (strchr(j->s, '\n') || has_special(j->s) ||
		    resolves_other(j->s))
			yaml_flow(b, j->s, Q_DOUBLE, ind);
		else
			yaml_flow(b, j->s, plain_ok(j->s) ? Q_PLAIN : Q_SINGLE,
			    ind);
		break;
	default:
		buf_puts(b, j->type == JSON_OBJ ? "{}" : "[]");
		break;
	}
	buf_puts(b, "\n");
}

static bool
is_coll(const struct json *j)
{
	return (j->type == JSON_OBJ || j->type == JSON_ARR) && j->n > 0;
}

static void yaml_node(struct buf *b, const struct json *j, int ind,
	bool inline_first);

static void
yaml_key(struct buf *b, const char *k)
{
	struct json tmp = { .type = JSON_STR, .s = (char *)k,
	    .slen = strlen(k) };
	size_t len = b->len;

	yaml_scalar(b, &tmp, -1);
	b->len = len + strlen(b->p + len) - 1;	/* drop the newline */
	b->p[b->len] = '\0';
}

/* A collection; with inline_first its first line continues a "- ". */
static void
yaml_node(struct buf *b, const struct json *j, int ind, bool inline_first)
{
	const struct json **v = members(j);
	size_t i;

	for (i = 0; v[i]; i++) {
		if (i > 0 || !inline_first)
			indent(b, ind);
		if (j->type == JSON_ARR) {
			buf_puts(b, "- ");
			if (is_coll(v[i]))
				yaml_node(b, v[i], ind + 2, true);
			else
				yaml_scalar(b, v[i], ind + 2);
			continue;
		}
		yaml_key(b, v[i]->key);
		if (!is_coll(v[i])) {
			buf_puts(b, ": ");
			yaml_scalar(b, v[i], ind + 2);
		} else {
			buf_puts(b, ":\n");
			yaml_node(b, v[i], v[i]->type == JSON_ARR ? ind :
			    ind + 2, false);
		}
	}
	free(v);
}

void
fmt_yaml(const struct json *j, struct buf *out)
{
	if (is_coll(j))
		yaml_node(out, j, 0, false);
	else
		yaml_scalar(out, j, 2);
}
