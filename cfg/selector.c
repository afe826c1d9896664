/*
 * selector: Kubernetes label selectors in their string form, as kubectl
 * -l and Services' selectors use them: "a=b,c!=d,e in (f,g),f notin (h),
 * g,!h".  Requirements are ANDed; != and notin also match objects that do
 * not have the key, as in Kubernetes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "lib/util.h"

#define MAX_REQS 64

struct lex {
	const char *s;
	size_t pos;
};

static void
skip_ws(struct lex *l)
{
	while (isspace((unsigned char)l->s[l->pos]))
		l->pos++;
}

/* A key or value: up to a separator. */
static char *
word(struct lex *l)
{
	size_t start;

	skip_ws(l);
	start = l->pos;
	while (l->s[l->pos] != '\0' && !isspace((unsigned char)l->s[l->pos]) &&
	    strchr(",=!()", l->s[l->pos]) == NULL)
		l->pos++;
	return xstrndup(l->s + start, l->pos - start);
}

static int
bad(struct err *err, const char *sel, const char *what, const char *item)
{
	return err_setx(err, EINVAL, "selector \"%s\": %s%s%s", sel, what,
	    item ? ": " : "", item ? item : "");
}

static int
check_value(struct err *err, const char *sel, const char *v)
{
	const char *why = cfg_check_label_value(v);

	return why ? bad(err, sel, why, v) : 0;
}

static int
parse_set(struct lex *l, struct cfg_sel_req *r, struct err *err)
{
	char *v;

	skip_ws(l);
	if (l->s[l->pos] != '(')
		return bad(err, l->s, "expected '(' after in/notin", NULL);
	l->pos++;
	for (;;) {
		v = word(l);
		strv_push(&r->values, v);
		if (check_value(err, l->s, v) < 0) {
			free(v);
			return -EINVAL;
		}
		free(v);
		if (strv_len(r->values) > 256)
			return bad(err, l->s, "too many values", NULL);
		skip_ws(l);
		if (l->s[l->pos] == ')') {
			l->pos++;
			return 0;
		}
		if (l->s[l->pos] != ',')
			return bad(err, l->s, "expected ',' or ')'", NULL);
		l->pos++;
	}
}

/* After the key: the operator and its value(s). */
static int
parse_op(struct lex *l, struct cfg_sel_req *r, struct err *err)
{
	const char *p;
	char *w;
	size_t save;

	skip_ws(l);
	p = l->s + l->pos;
	if (*p == '\0' || *p == ',') {
		r->op = CFG_SEL_EXISTS;
		return 0;
	}
	if (p[0] == '!' && p[1] == '=') {
		r->op = CFG_SEL_NE;
		l->pos += 2;
	} else if (p[0] == '=' && p[1] == '=') {
		r->op = CFG_SEL_EQ;
		l->pos += 2;
	} else if (p[0] == '=') {
		r->op = CFG_SEL_EQ;
		l->pos++;
	} else {
		save = l->pos;
		w = word(l);
		if (strcmp(w, "in") == 0 || strcmp(w, "notin") == 0) {
			r->op = w[0] == 'i' ? CFG_SEL_IN : CFG_SEL_NOTIN;
			free(w);
			return parse_set(l, r, err);
		}
		free(w);
		l->pos = save;
		return bad(err, l->s, "expected =, ==, !=, in or notin", NULL);
	}
	w = word(l);
	strv_push(&r->values, w);
	free(w);
	return check_value(err, l->s, r->values[0]);
}

static int
parse_req(struct lex *l, struct cfg_sel_req *r, struct err *err)
{
	const char *why;

	skip_ws(l);
	if (l->s[l->pos] == '!') {
		l->pos++;
		r->op = CFG_SEL_NOT_EXISTS;
		r->key = word(l);
	} else {
		r->key = word(l);
	}
	if ((why = cfg_check_label_key(r->key)) != NULL)
		return bad(err, l->s, why, r->key);
	if (r->op == CFG_SEL_NOT_EXISTS)
		return 0;
	return parse_op(l, r, err);
}

int
cfg_selector_parse(const char *s, struct cfg_selector **out, struct err *err)
{
	struct cfg_selector *sel = xcalloc(1, sizeof(*sel));
	struct lex l = { s, 0 };
	int r;

	*out = NULL;
	skip_ws(&l);
	while (s[l.pos] != '\0') {
		if (sel->n == MAX_REQS) {
			r = bad(err, s, "too many requirements", NULL);
			goto fail;
		}
		sel->reqs = xrealloc(sel->reqs, (sel->n + 1) *
		    sizeof(*sel->reqs));
		memset(&sel->reqs[sel->n], 0, sizeof(sel->reqs[0]));
		if ((r = parse_req(&l, &sel->reqs[sel->n++], err)) < 0)
			goto fail;
		skip_ws(&l);
		if (s[l.pos] == ',') {
			l.pos++;
			skip_ws(&l);
			if (s[l.pos] == '\0') {
				r = bad(err, s, "trailing ','", NULL);
				goto fail;
			}
		} else if (s[l.pos] != '\0') {
			r = bad(err, s, "expected ','", s + l.pos);
			goto fail;
		}
	}
	*out = sel;
	return 0;
fail:
	cfg_selector_free(sel);
	return r;
}

static bool
in_set(char *const *values, const char *v)
{
	for (; values != NULL && *values != NULL; values++)
		if (strcmp(*values, v) == 0)
			return true;
	return false;
}

bool
cfg_selector_match(const struct cfg_selector *sel,
    const struct cfg_kvs *labels)
{
	const struct cfg_sel_req *r;
	const char *v;
	size_t i;

	for (i = 0; sel != NULL && i < sel->n; i++) {
		r = &sel->reqs[i];
		v = cfg_kvs_get(labels, r->key);
		switch (r->op) {
		case CFG_SEL_EQ:
		case CFG_SEL_IN:
			if (v == NULL || !in_set(r->values, v))
				return false;
			break;
		case CFG_SEL_NE:
		case CFG_SEL_NOTIN:
			if (v != NULL && in_set(r->values, v))
				return false;
			break;
		case CFG_SEL_EXISTS:
			if (v == NULL)
				return false;
			break;
		case CFG_SEL_NOT_EXISTS:
			if (v != NULL)
				return false;
			break;
		}
	}
	return true;
}

void
cfg_selector_free(struct cfg_selector *sel)
{
	size_t i;

	if (sel == NULL)
		return;
	for (i = 0; i < sel->n; i++) {
		free(sel->reqs[i].key);
		strv_free(sel->reqs[i].values);
	}
	free(sel->reqs);
	free(sel);
}
