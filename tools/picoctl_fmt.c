/*
 * picoctl_fmt: the columns kubectl computes for a pod (STATUS, READY,
 * RESTARTS, AGE) and Go's text/tabwriter, so picoctl's tables read the
 * same as kubectl's.  The logic follows kubectl 1.28's printPod and
 * apimachinery's HumanDuration; these functions are pure (time is an
 * argument) and unit tested on Pod JSON samples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "tools/picoctl.h"

int64_t
fmt_parse_time(const char *s)
{
	struct tm tm;
	int n = 0;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

void
fmt_human_duration(int64_t s, char *out, size_t len)
{
	int64_t m = s / 60, h = s / 3600, d = h / 24;

	if (s < -1)
		snprintf(out, len, "<invalid>");
	else if (s < 0)
		snprintf(out, len, "0s");
	else if (s < 120)
		snprintf(out, len, "%llds", (long long)s);
	else if (m < 10 && s % 60 == 0)
		snprintf(out, len, "%lldm", (long long)m);
	else if (m < 10)
		snprintf(out, len, "%lldm%llds", (long long)m,
		    (long long)(s % 60));
	else if (m < 180)
		snprintf(out, len, "%lldm", (long long)m);
	else if (h < 8 && m % 60 == 0)
		snprintf(out, len, "%lldh", (long long)h);
	else if (h < 8)
		snprintf(out, len, "%lldh%lldm", (long long)h,
		    (long long)(m % 60));
	else if (h < 48)
		snprintf(out, len, "%lldh", (long long)h);
	else if (h < 24 * 8 && h % 24 == 0)
		snprintf(out, len, "%lldd", (long long)d);
	else if (h < 24 * 8)
		snprintf(out, len, "%lldd%lldh", (long long)d,
		    (long long)(h % 24));
	else if (h < 24 * 365 * 2)
		snprintf(out, len, "%lldd", (long long)d);
	else if (h < 24 * 365 * 8 && d % 365 == 0)
		snprintf(out, len, "%lldy", (long long)(d / 365));
	else if (h < 24 * 365 * 8)
		snprintf(out, len, "%lldy%lldd", (long long)(d / 365),
		    (long long)(d % 365));
	else
		snprintf(out, len, "%lldy", (long long)(d / 365));
}

void
fmt_since(const char *ts, int64_t now, char *out, size_t len)
{
	int64_t t = fmt_parse_time(ts);

	if (t == 0)
		snprintf(out, len, "<unknown>");
	else
		fmt_human_duration(now - t, out, len);
}

static const struct json *
spec_init(const struct json *pod, const char *name)
{
	const struct json *c;

	c = json_path(pod, "spec.initContainers");
	for (c = c ? c->child : NULL; c; c = c->next) {
		if (name && json_get_str(c, "name") &&
		    strcmp(json_get_str(c, "name"), name) == 0)
			return c;
	}
	return NULL;
}

/* A sidecar: an init container with restartPolicy Always. */
static bool
restartable(const struct json *c)
{
	const char *p = c ? json_get_str(c, "restartPolicy") : NULL;

	return p != NULL && strcmp(p, "Always") == 0;
}

static bool
cond_true(const struct json *pod, const char *type)
{
	const struct json *c = json_path(pod, "status.conditions");
	const char *t, *st;

	for (c = c ? c->child : NULL; c; c = c->next) {
		t = json_get_str(c, "type");
		st = json_get_str(c, "status");
		if (t && st && strcmp(t, type) == 0 && strcmp(st, "True") == 0)
			return true;
	}
	return false;
}

static size_t
count(const struct json *arr)
{
	return arr && arr->type == JSON_ARR ? arr->n : 0;
}

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Everything printPod derives from the statuses, in one pass. */
struct podrow {
	char reason[128];
	int ready, total;
	int64_t restarts;
	int64_t last_restart;	/* epoch s, 0 if none */
};

static void
later_restart(const struct json *cs, int64_t *last)
{
	const struct json *t = json_path(cs, "lastState.terminated");
	int64_t f = t ? fmt_parse_time(json_get_str(t, "finishedAt")) : 0;

	if (f > *last)
		*last = f;
}

/* The init containers; true while the pod is still initializing. */
static bool
init_status(const struct json *pod, struct podrow *r, int64_t *side_rs,
    int64_t *side_last)
{
	const struct json *cs, *st, *term, *wait;
	size_t i, ninit = count(json_path(pod, "spec.initContainers"));
	const char *wr, *tr;
	bool side;

	cs = json_path(pod, "status.initContainerStatuses");
	for (i = 0, cs = cs ? cs->child : NULL; cs; cs = cs->next, i++) {
		side = restartable(spec_init(pod, json_get_str(cs, "name")));
		r->restarts += json_get_int(cs, "restartCount", 0);
		later_restart(cs, &r->last_restart);
		if (side) {
			*side_rs += json_get_int(cs, "restartCount", 0);
			later_restart(cs, side_last);
		}
		st = json_get(cs, "state");
		term = json_get(st, "terminated");
		wait = json_get(st, "waiting");
		wr = json_get_str(wait, "reason");
		tr = json_get_str(term, "reason");
		if (term && json_get_int(term, "exitCode", 0) == 0)
			continue;
		if (side && json_get_bool(cs, "started", false)) {
			if (json_get_bool(cs, "ready", false))
				r->ready++;
			continue;
		}
		if (term && nonempty(tr))
			snprintf(r->reason, sizeof(r->reason), "Init:%s", tr);
		else if (term && json_get_int(term, "signal", 0) != 0)
			snprintf(r->reason, sizeof(r->reason), "Init:Signal:%lld",
			    (long long)json_get_int(term, "signal", 0));
		else if (term)
			snprintf(r->reason, sizeof(r->reason),
			    "Init:ExitCode:%lld",
			    (long long)json_get_int(term, "exitCode", 0));
		else if (wait && nonempty(wr) &&
		    strcmp(wr, "PodInitializing") != 0)
			snprintf(r->reason, sizeof(r->reason), "Init:%s", wr);
		else
			snprintf(r->reason, sizeof(r->reason), "Init:%zu/%zu",
			    i, ninit);
		return true;
	}
	return false;
}

static void
app_status(const struct json *pod, struct podrow *r)
{
	const struct json *arr = json_path(pod, "status.containerStatuses");
	const struct json *cs, *st, *term;
	size_t i, n = count(arr);
	const char *wr, *tr;
	bool running = false;

	for (i = n; i-- > 0;) {
		cs = json_at(arr, i);
		r->restarts += json_get_int(cs, "restartCount", 0);
		later_restart(cs, &r->last_restart);
		st = json_get(cs, "state");
		term = json_get(st, "terminated");
		wr = json_get_str(json_get(st, "waiting"), "reason");
		tr = json_get_str(term, "reason");
		if (nonempty(wr))
			snprintf(r->reason, sizeof(r->reason), "%s", wr);
		else if (term && nonempty(tr))
			snprintf(r->reason, sizeof(r->reason), "%s", tr);
		else if (term && json_get_int(term, "signal", 0) != 0)
			snprintf(r->reason, sizeof(r->reason), "Signal:%lld",
			    (long long)json_get_int(term, "signal", 0));
		else if (term)
			snprintf(r->reason, sizeof(r->reason), "ExitCode:%lld",
			    (long long)json_get_int(term, "exitCode", 0));
		else if (json_get_bool(cs, "ready", false) &&
		    json_get(st, "running") != NULL) {
			running = true;
			r->ready++;
		}
	}
	if (strcmp(r->reason, "Completed") == 0 && running)
		snprintf(r->reason, sizeof(r->reason), "%s",
		    cond_true(pod, "Ready") ? "Running" : "NotReady");
}

static void
pod_row(const struct json *pod, struct podrow *r)
{
	const struct json *c, *status = json_get(pod, "status");
	const char *phase = json_get_str(status, "phase");
	const char *why = json_get_str(status, "reason"), *t, *cr;
	int64_t side_rs = 0, side_last = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->reason, sizeof(r->reason), "%s", nonempty(why) ? why :
	    phase ? phase : "");
	c = json_get(status, "conditions");
	for (c = c ? c->child : NULL; c; c = c->next) {
		t = json_get_str(c, "type");
		cr = json_get_str(c, "reason");
		if (t && cr && strcmp(t, "PodScheduled") == 0 &&
		    strcmp(cr, "SchedulingGated") == 0)
			snprintf(r->reason, sizeof(r->reason), "%s", cr);
	}
	r->total = (int)count(json_path(pod, "spec.containers"));
	c = json_path(pod, "spec.initContainers");
	for (c = c ? c->child : NULL; c; c = c->next)
		r->total += restartable(c);
	if (!init_status(pod, r, &side_rs, &side_last) ||
	    cond_true(pod, "Initialized")) {
		r->restarts = side_rs;
		r->last_restart = side_last;
		app_status(pod, r);
	}
	if (json_get_str(json_get(pod, "metadata"), "deletionTimestamp"))
		snprintf(r->reason, sizeof(r->reason), "%s",
		    why && strcmp(why, "NodeLost") == 0 ? "Unknown" :
		    "Terminating");
}

void
fmt_pod_status(const struct json *pod, char *out, size_t len)
{
	struct podrow r;

	pod_row(pod, &r);
	snprintf(out, len, "%s", r.reason);
}

void
fmt_pod_ready(const struct json *pod, char *out, size_t len)
{
	struct podrow r;

	pod_row(pod, &r);
	snprintf(out, len, "%d/%d", r.ready, r.total);
}

void
fmt_pod_restarts(const struct json *pod, int64_t now, char *out, size_t len)
{
	struct podrow r;
	char age[32];

	pod_row(pod, &r);
	if (r.restarts == 0 || r.last_restart == 0) {
		snprintf(out, len, "%lld", (long long)r.restarts);
		return;
	}
	fmt_human_duration(now - r.last_restart, age, sizeof(age));
	snprintf(out, len, "%lld (%s ago)", (long long)r.restarts, age);
}

/* tabwriter: one cell per tab-terminated field, widths per column block */

struct tcell {
	const char *p;
	size_t len, width;
};

struct tline {
	struct tcell *c;
	size_t n;		/* cells, the last one not tab-terminated */
};

struct tw {
	struct tline *l;
	size_t nl;
	int minwidth, padding;
	size_t widths[64];
	size_t nw;
	struct buf *out;
};

static size_t
utf8_width(const char *p, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += ((unsigned char)p[i] & 0xc0) != 0x80;
	return w;
}

static void
tw_lines(struct tw *t, size_t l0, size_t l1)
{
	size_t i, j, pad;

	for (i = l0; i < l1; i++) {
		for (j = 0; j < t->l[i].n; j++) {
			buf_append(t->out, t->l[i].c[j].p, t->l[i].c[j].len);
			if (j >= t->nw || j + 1 == t->l[i].n)
				continue;
			for (pad = t->l[i].c[j].width; pad < t->widths[j];
			    pad++)
				buf_append(t->out, " ", 1);
		}
		buf_append(t->out, "\n", 1);
	}
}

/* Go's tabwriter format(): a column block is a run of lines that have
 * a cell in this column; its width is the widest cell plus padding. */
static void
tw_format(struct tw *t, size_t l0, size_t l1)
{
	size_t col = t->nw, this, width;

	for (this = l0; this < l1; this++) {
		if (col + 1 >= t->l[this].n)
			continue;
		tw_lines(t, l0, this);
		l0 = this;
		width = (size_t)t->minwidth;
		for (; this < l1 && col + 1 < t->l[this].n; this++)
			width = MAX(width, t->l[this].c[col].width +
			    (size_t)t->padding);
		if (t->nw < ARRAY_SIZE(t->widths)) {
			t->widths[t->nw++] = width;
			tw_format(t, l0, this);
			t->nw--;
		} else
			tw_lines(t, l0, this);
		l0 = this;
		this--;
	}
	tw_lines(t, l0, l1);
}

void
fmt_tabwrite(const char *in, int minwidth, int padding, struct buf *out)
{
	struct tw t = { .minwidth = minwidth, .padding = padding, .out = out };
	const char *p = in, *e, *nl;
	struct tline *ln;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		t.l = xrealloc(t.l, (t.nl + 1) * sizeof(*t.l));
		ln = &t.l[t.nl++];
		ln->c = NULL;
		ln->n = 0;
		for (;;) {
			e = memchr(p, '\t', (size_t)(nl - p));
			ln->c = xrealloc(ln->c, (ln->n + 1) * sizeof(*ln->c));
			ln->c[ln->n].p = p;
			ln->c[ln->n].len = (size_t)((e ? e : nl) - p);
			ln->c[ln->n].width = utf8_width(p,
			    ln->c[ln->n].len);
			ln->n++;
			if (e == NULL)
				break;
			p = e + 1;
		}
		p = *nl ? nl + 1 : nl;
	}
	tw_format(&t, 0, t.nl);
	while (t.nl-- > 0)
		free(t.l[t.nl].c);
	free(t.l);
}
