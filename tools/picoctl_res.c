/*
 * picoctl_res: `get` of a resource picolet serves as a v1 list and by
 * name (services, endpoints, configmaps, secrets, claims).  Each resource
 * brings its table header and row; tables go through the tabwriter with
 * kubectl's settings; lists printed as JSON or YAML are wrapped in kind
 * List as kubectl wraps them.  The label selector is sent to picolet and
 * applied here as well, so the answer is right whether or not the server
 * filters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/cfg.h"
#include "lib/util.h"
#include "tools/picoctl.h"

static const char *
jstr(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : "";
}

static bool
labels_match(const struct cfg_selector *sel, const struct json *obj)
{
	const struct json *m = json_path(obj, "metadata.labels"), *c;
	struct cfg_kvs kvs = { NULL, 0 };
	bool r;

	kvs.v = xcalloc(m && m->type == JSON_OBJ ? m->n + 1 : 1,
	    sizeof(*kvs.v));
	for (c = m && m->type == JSON_OBJ ? m->child : NULL; c; c = c->next)
		if (c->type == JSON_STR) {
			kvs.v[kvs.n].key = c->key;
			kvs.v[kvs.n++].value = c->s;
		}
	r = cfg_selector_match(sel, &kvs);
	free(kvs.v);
	return r;
}

static void
drop_unmatched(struct json *items, const struct cfg_selector *sel)
{
	struct json **pp, *it;

	if (sel == NULL || items == NULL || items->type != JSON_ARR)
		return;
	for (pp = &items->child; (it = *pp) != NULL;) {
		if (labels_match(sel, it)) {
			pp = &it->next;
			continue;
		}
		*pp = it->next;
		it->next = NULL;	/* json_free takes the siblings too */
		json_free(it);
		items->n--;
	}
}

static void
print_table(const struct ctl *ctl, const struct ctl_res *rt,
    const struct json *first, bool one)
{
	bool wide = ctl->output && strcmp(ctl->output, "wide") == 0;
	int64_t now = (int64_t)time(NULL);
	const struct json *o;
	struct buf t, out;

	buf_init(&t, CTL_MAXBODY);
	buf_init(&out, CTL_MAXBODY);
	buf_printf(&t, "%sNAME\t%s%s\n", ctl->all_ns ? "NAMESPACE\t" : "",
	    rt->header, wide && rt->wide ? rt->wide : "");
	for (o = first; o; o = one ? NULL : o->next)
		rt->row(o, wide, ctl->all_ns, now, &t);
	fmt_tabwrite(t.p, 6, 3, &out);
	fputs(out.p, stdout);
	buf_free(&t);
	buf_free(&out);
}

static void
print_objs(const struct ctl *ctl, const struct ctl_res *rt, struct json *j,
    bool one)
{
	struct json *items = one ? NULL : (struct json *)json_get(j, "items");
	const struct json *o, *first = one ? j : items &&
	    items->type == JSON_ARR ? items->child : NULL;

	if (ctl->output && (!strcmp(ctl->output, "json") ||
	    !strcmp(ctl->output, "yaml"))) {
		if (one) {
			ctl_add_kind(j, rt->kind);
			ctl_print_doc(ctl, j);
		} else
			ctl_print_list(ctl, items, rt->kind);
	} else if (first == NULL) {
		if (ctl->all_ns)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n",
			    ctl_ns(ctl));
	} else if (ctl->output && strcmp(ctl->output, "name") == 0) {
		for (o = first; o; o = one ? NULL : o->next)
			printf("%s/%s\n", rt->name, jstr(o, "metadata.name"));
	} else
		print_table(ctl, rt, first, one);
}

void
ctl_res_path(const struct ctl *ctl, const struct ctl_res *rt,
    const char *name, struct buf *path)
{
	if (ctl->all_ns && name == NULL)
		buf_printf(path, "/api/v1/%s", rt->res);
	else
		buf_printf(path, "/api/v1/namespaces/%s/%s", ctl_ns(ctl),
		    rt->res);
	if (name) {
		buf_puts(path, "/");
		ctl_query_escape(path, name);
	}
}

int
ctl_get_res(struct ctl *ctl, const struct ctl_res *rt)
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
	if (ctl->nargs > 2) {
		fprintf(stderr, "error: one NAME at a time, see 'picoctl get "
		    "-h'\n");
		return 1;
	}
	if (name && ctl->all_ns) {
		fprintf(stderr, "error: a resource cannot be retrieved by name "
		    "across all namespaces\n");
		return 1;
	}
	if (ctl->selector && cfg_selector_parse(ctl->selector, &sel,
	    &err) < 0) {
		fprintf(stderr, "error: %s\n", err.msg);
		return 1;
	}
	buf_init(&path, 8192);
	ctl_res_path(ctl, rt, name, &path);
	if (name == NULL && ctl->selector) {
		buf_puts(&path, "?labelSelector=");
		ctl_query_escape(&path, ctl->selector);
	}
	r = ctl_get_json(ctl, path.p, &j);
	buf_free(&path);
	if (r == 0) {
		if (name == NULL)
			drop_unmatched((struct json *)json_get(j, "items"), sel);
		print_objs(ctl, rt, j, name != NULL);
		json_free(j);
	}
	cfg_selector_free(sel);
	return r < 0 ? 1 : 0;
}

struct json *
ctl_quiet_get(const struct ctl *ctl, const char *path)
{
	struct json *j = NULL;
	struct buf body;
	struct err err;
	int status = 0;

	buf_init(&body, CTL_MAXBODY);
	if (ctl_http_get(ctl->sock, path, false, NULL, NULL, &status, &body,
	    &err) < 0 || status != 200 || json_parse(body.p ? body.p : "",
	    body.len, &j, &err) < 0)
		j = NULL;
	buf_free(&body);
	return j;
}
