/*
 * picoctl_get: `get pods`, `get events` and `logs`.  Tables go through
 * the tabwriter with kubectl's settings (min width 6, padding 3); lists
 * printed as JSON or YAML are wrapped as kubectl wraps them (kind List,
 * each item with its apiVersion and kind).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/cfg.h"
#include "lib/util.h"
#include "tools/picoctl.h"

static struct json *
node(enum json_type t, const char *key, const char *s)
{
	struct json *j = xcalloc(1, sizeof(*j));

	j->type = t;
	j->key = xstrdup(key);
	if (s) {
		j->s = xstrdup(s);
		j->slen = strlen(s);
	}
	return j;
}

static void
add(struct json *obj, struct json *c)
{
	struct json **p = &obj->child;

	while (*p)
		p = &(*p)->next;
	*p = c;
	obj->n++;
}

/* Items of a list come without apiVersion and kind; kubectl adds them. */
void
ctl_add_kind(struct json *it, const char *kind)
{
	if (it->type != JSON_OBJ)
		return;
	if (!json_get(it, "apiVersion"))
		add(it, node(JSON_STR, "apiVersion", "v1"));
	if (!json_get(it, "kind"))
		add(it, node(JSON_STR, "kind", kind));
}

static void
fill_kind(struct json *items, const char *kind)
{
	struct json *it;

	for (it = items ? items->child : NULL; it; it = it->next)
		ctl_add_kind(it, kind);
}

void
ctl_print_doc(const struct ctl *ctl, const struct json *j)
{
	struct buf b;

	buf_init(&b, CTL_MAXBODY * 4);
	if (strcmp(ctl->output, "json") == 0)
		fmt_json(j, &b);
	else
		fmt_yaml(j, &b);
	fputs(b.p ? b.p : "", stdout);
	buf_free(&b);
}

/* kubectl's List around the items (borrowed, not freed here). */
void
ctl_print_list(const struct ctl *ctl, struct json *items, const char *kind)
{
	struct json *l = node(JSON_OBJ, NULL, NULL), *md, *it;

	fill_kind(items, kind);
	add(l, node(JSON_STR, "apiVersion", "v1"));
	it = node(JSON_ARR, "items", NULL);
	if (items) {
		it->child = items->child;
		it->n = items->n;
	}
	add(l, it);
	add(l, node(JSON_STR, "kind", "List"));
	md = node(JSON_OBJ, "metadata", NULL);
	add(md, node(JSON_STR, "resourceVersion", ""));
	add(l, md);
	ctl_print_doc(ctl, l);
	it->child = NULL;
	json_free(l);
}

static void
no_resources(const struct ctl *ctl)
{
	if (ctl->all_ns)
		fprintf(stderr, "No resources found\n");
	else
		fprintf(stderr, "No resources found in %s namespace.\n",
		    ctl_ns(ctl));
}

static const char *
str(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : "";
}

static const char *
or_none(const char *s)
{
	return s && s[0] ? s : "<none>";
}

static void
pod_line(const struct ctl *ctl, const struct json *pod, int64_t now,
    struct buf *t)
{
	char st[128], rd[32], rs[64], age[32];
	const struct json *ips = json_path(pod, "status.podIPs");

	fmt_pod_status(pod, st, sizeof(st));
	fmt_pod_ready(pod, rd, sizeof(rd));
	fmt_pod_restarts(pod, now, rs, sizeof(rs));
	fmt_since(str(pod, "metadata.creationTimestamp"), now, age,
	    sizeof(age));
	if (ctl->all_ns)
		buf_printf(t, "%s\t", str(pod, "metadata.namespace"));
	buf_printf(t, "%s\t%s\t%s\t%s\t%s", str(pod, "metadata.name"), rd, st,
	    rs, age);
	if (ctl->output && strcmp(ctl->output, "wide") == 0)
		buf_printf(t, "\t%s\t%s\t%s\t%s",
		    or_none(ips && ips->n ? json_get_str(ips->child, "ip") :
		    NULL), or_none(str(pod, "spec.nodeName")),
		    or_none(str(pod, "status.nominatedNodeName")), "<none>");
	buf_puts(t, "\n");
}

static int
print_pods(const struct ctl *ctl, struct json *j, bool one)
{
	struct json *items = one ? NULL : (struct json *)json_get(j, "items");
	const struct json *p;
	bool wide = ctl->output && strcmp(ctl->output, "wide") == 0;
	struct buf t, o;

	if (ctl->output && (!strcmp(ctl->output, "json") ||
	    !strcmp(ctl->output, "yaml"))) {
		if (one) {
			ctl_add_kind(j, "Pod");
			ctl_print_doc(ctl, j);
		}
		else
			ctl_print_list(ctl, items, "Pod");
		return 0;
	}
	if (!one && (items == NULL || items->n == 0)) {
		no_resources(ctl);
		return 0;
	}
	if (ctl->output && strcmp(ctl->output, "name") == 0) {
		for (p = one ? j : items->child; p; p = one ? NULL : p->next)
			printf("pod/%s\n", str(p, "metadata.name"));
		return 0;
	}
	buf_init(&t, CTL_MAXBODY);
	buf_init(&o, CTL_MAXBODY);
	buf_printf(&t, "%sNAME\tREADY\tSTATUS\tRESTARTS\tAGE%s\n",
	    ctl->all_ns ? "NAMESPACE\t" : "", wide ?
	    "\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES" : "");
	for (p = one ? j : items->child; p; p = one ? NULL : p->next)
		pod_line(ctl, p, (int64_t)time(NULL), &t);
	fmt_tabwrite(t.p, 6, 3, &o);
	fputs(o.p, stdout);
	buf_free(&t);
	buf_free(&o);
	return 0;
}

static int
get_pods(struct ctl *ctl)
{
	const char *name = ctl->nargs > 1 ? ctl->args[1] : NULL;
	struct cfg_selector *sel = NULL;
	struct json *j;
	struct buf path;
	struct err err;
	int r;

	if (ctl->output && strcmp(ctl->output, "wide") &&
	    strcmp(ctl->output, "json") && strcmp(ctl->output, "yaml") &&
	    strcmp(ctl->output, "name")) {
		fprintf(stderr, "error: unable to match a printer suitable for "
		    "the output format \"%s\", allowed formats are: json,"
		    "name,wide,yaml\n", ctl->output);
		return 1;
	}
	if (ctl->selector && cfg_selector_parse(ctl->selector, &sel,
	    &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	cfg_selector_free(sel);
	if (name && ctl->all_ns) {
		fprintf(stderr, "error: a resource cannot be retrieved by name "
		    "across all namespaces\n");
		return 1;
	}
	buf_init(&path, 8192);
	if (ctl->all_ns)
		buf_puts(&path, "/api/v1/pods");
	else
		buf_printf(&path, "/api/v1/namespaces/%s/pods", ctl_ns(ctl));
	if (name) {
		buf_puts(&path, "/");
		ctl_query_escape(&path, name);
	} else if (ctl->selector) {
		buf_puts(&path, "?labelSelector=");
		ctl_query_escape(&path, ctl->selector);
	}
	r = ctl_get_json(ctl, path.p, &j);
	buf_free(&path);
	if (r < 0)
		return 1;
	r = print_pods(ctl, j, name != NULL);
	json_free(j);
	return r;
}

static int
get_events(struct ctl *ctl)
{
	struct json *j, *items;
	const struct json *e;
	struct buf t, o;
	char path[512], seen[32];
	int64_t now = (int64_t)time(NULL);
	const char *last;

	if (ctl->all_ns)
		snprintf(path, sizeof(path), "/api/v1/events");
	else
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events",
		    ctl_ns(ctl));
	if (ctl_get_json(ctl, path, &j) < 0)
		return 1;
	items = (struct json *)json_get(j, "items");
	if (ctl->output && (!strcmp(ctl->output, "json") ||
	    !strcmp(ctl->output, "yaml"))) {
		ctl_print_list(ctl, items, "Event");
		json_free(j);
		return 0;
	}
	if (items == NULL || items->n == 0) {
		no_resources(ctl);
		json_free(j);
		return 0;
	}
	buf_init(&t, CTL_MAXBODY);
	buf_init(&o, CTL_MAXBODY);
	buf_printf(&t, "%sLAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n",
	    ctl->all_ns ? "NAMESPACE\t" : "");
	for (e = items->child; e; e = e->next) {
		last = str(e, "lastTimestamp");
		fmt_since(last[0] ? last : str(e, "firstTimestamp"), now, seen,
		    sizeof(seen));
		if (ctl->all_ns)
			buf_printf(&t, "%s\t", str(e, "metadata.namespace"));
		buf_printf(&t, "%s\t%s\t%s\t", seen, str(e, "type"),
		    str(e, "reason"));
		for (last = str(e, "involvedObject.kind"); *last; last++)
			buf_printf(&t, "%c", *last >= 'A' && *last <= 'Z' ?
			    *last - 'A' + 'a' : *last);
		if (str(e, "involvedObject.name")[0])
			buf_printf(&t, "/%s", str(e, "involvedObject.name"));
		buf_printf(&t, "\t%s\n", str(e, "message"));
	}
	fmt_tabwrite(t.p, 6, 3, &o);
	fputs(o.p, stdout);
	buf_free(&t);
	buf_free(&o);
	json_free(j);
	return 0;
}

int
ctl_cmd_get(struct ctl *ctl)
{
	const char *what = ctl->nargs > 0 ? ctl->args[0] : "";

	if (!strcmp(what, "pods") || !strcmp(what, "pod") ||
	    !strcmp(what, "po"))
		return get_pods(ctl);
	if (!strcmp(what, "events") || !strcmp(what, "event") ||
	    !strcmp(what, "ev"))
		return get_events(ctl);
	if (what[0] == '\0')
		fprintf(stderr, "error: you must specify the type of resource "
		    "to get\n");
	else
		fprintf(stderr, "error: the server doesn't have a resource "
		    "type \"%s\"\n", what);
	return 1;
}

static int
to_stdout(const char *p, size_t n, void *arg)
{
	if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
		return -EPIPE;
	return 0;
}

/* kubectl refuses to guess among several containers. */
static int
check_container(struct ctl *ctl, const char *pod)
{
	const struct json *c, *cs, *ics;
	struct json *j;
	struct buf b;
	char path[512];

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s",
	    ctl_ns(ctl), pod);
	if (ctl_get_json(ctl, path, &j) < 0)
		return -1;
	cs = json_path(j, "spec.containers");
	ics = json_path(j, "spec.initContainers");
	if (cs && cs->n > 1) {
		buf_init(&b, 65536);
		for (c = cs->child; c; c = c->next)
			buf_printf(&b, "%s%s", c == cs->child ? "" : " ",
			    json_get_str(c, "name"));
		fprintf(stderr, "error: a container name must be specified for "
		    "pod %s, choose one of: [%s]", pod, b.p);
		buf_reset(&b);
		for (c = ics ? ics->child : NULL; c; c = c->next)
			buf_printf(&b, "%s%s", c == ics->child ? "" : " ",
			    json_get_str(c, "name"));
		if (b.len)
			fprintf(stderr, " or one of the init containers: [%s]",
			    b.p);
		fprintf(stderr, "\n");
		buf_free(&b);
		json_free(j);
		return -1;
	}
	json_free(j);
	return 0;
}

int
ctl_cmd_logs(struct ctl *ctl)
{
	struct buf path, body;
	struct err err;
	int status = 0, r;
	const char *sep = "?";

	if (ctl->nargs != 1) {
		fprintf(stderr, "error: expected POD, see 'picoctl logs -h'\n");
		return 1;
	}
	if (ctl->container == NULL && check_container(ctl, ctl->args[0]) < 0)
		return 1;
	buf_init(&path, 8192);
	buf_printf(&path, "/api/v1/namespaces/%s/pods/", ctl_ns(ctl));
	ctl_query_escape(&path, ctl->args[0]);
	buf_puts(&path, "/log");
	if (ctl->container) {
		buf_puts(&path, "?container=");
		ctl_query_escape(&path, ctl->container);
		sep = "&";
	}
	if (ctl->previous && buf_printf(&path, "%sprevious=true", sep) == 0)
		sep = "&";
	if (ctl->tail >= 0 && buf_printf(&path, "%stailLines=%ld", sep,
	    ctl->tail) == 0)
		sep = "&";
	if (ctl->timestamps && buf_printf(&path, "%stimestamps=true", sep) == 0)
		sep = "&";
	if (ctl->follow)
		buf_printf(&path, "%sfollow=true", sep);
	buf_init(&body, 1 << 20);
	r = ctl_http_get(ctl->sock, path.p, ctl->follow, to_stdout, NULL,
	    &status, &body, &err);
	if (r < 0 && r != -EPIPE)
		ctl_print_conn_err(&err);
	else if (r == 0 && status / 100 != 2) {
		ctl_print_status_err(status, &body);
		r = -1;
	}
	buf_free(&path);
	buf_free(&body);
	return r < 0 ? 1 : 0;
}
