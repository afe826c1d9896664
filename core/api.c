/*
 * api: the HTTP endpoint's routes.  Read-only views of the agent shaped
 * like the Kubernetes API (PodList, Pod, EventList, Services, ConfigMaps,
 * Secrets without their values, claims, Status errors), a status summary
 * and pod logs; images in api_images.c.  Every response is built
 * into a bounded buffer; logs stream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "net/net.h"
#include "store/store.h"

#define API_MAXRESP (8 * 1024 * 1024)

static void
send_json(struct net_http_conn *c, int code, struct buf *b, struct jsonw *w)
{
	if (w->err != 0) {
		api_error(c, 500, "InternalError", "response too large");
		return;
	}
	buf_append(b, "\n", 1);
	net_http_respond(c, code, "application/json", b->p, b->len);
}

void
api_error(struct net_http_conn *c, int code, const char *reason,
    const char *msg)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, 8192);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "kind", "Status");
	jw_kstr(&w, "apiVersion", "v1");
	jw_key(&w, "metadata");
	jw_obj(&w);
	jw_obj_end(&w);
	jw_kstr(&w, "status", "Failure");
	jw_kstr(&w, "message", msg);
	jw_kstr(&w, "reason", reason);
	jw_kint(&w, "code", code);
	jw_obj_end(&w);
	buf_append(&b, "\n", 1);
	net_http_respond(c, code, "application/json", b.p, b.len);
	buf_free(&b);
}

static void
pod_list(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req, const char *ns)
{
	struct cfg_selector *sel = NULL;
	struct jsonw w;
	struct buf b;
	struct err err;
	char q[1024];
	struct pod *p;

	if (net_http_query(req, "labelSelector", q, sizeof(q)) == 0 &&
	    q[0] != '\0' && cfg_selector_parse(q, &sel, &err) < 0) {
		api_error(c, 400, "BadRequest", err.msg);
		return;
	}
	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "kind", "PodList");
	jw_kstr(&w, "apiVersion", "v1");
	jw_key(&w, "metadata");
	jw_obj(&w);
	jw_kstr(&w, "resourceVersion", "");
	jw_obj_end(&w);
	jw_key(&w, "items");
	jw_arr(&w);
	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || (ns != NULL && strcmp(p->ns, ns) != 0))
			continue;
		if (sel != NULL && (p->spec == NULL ||
		    !cfg_selector_match(sel, &p->spec->meta.labels)))
			continue;
		podjson_write(&w, p);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	send_json(c, 200, &b, &w);
	buf_free(&b);
	cfg_selector_free(sel);
}

static void
pod_one(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req, const char *ns, const char *name,
    const char *sub)
{
	struct jsonw w;
	struct buf b;
	char msg[512];
	struct pod *p = pod_find(a, ns, name);

	if (p == NULL) {
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		api_error(c, 404, "NotFound", msg);
		return;
	}
	if (sub != NULL && strcmp(sub, "log") == 0) {
		logs_serve(a, c, req, p);
		return;
	}
	if (sub != NULL) {
		api_error(c, 404, "NotFound", "no such subresource");
		return;
	}
	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	podjson_write(&w, p);
	send_json(c, 200, &b, &w);
	buf_free(&b);
}

/* Services or Endpoints: a list (name NULL) or one. */
static void
svc_view(struct agent *a, struct net_http_conn *c, const char *ns,
    const char *name, bool endpoints)
{
	const char *what = endpoints ? "endpoints" : "services";
	struct jsonw w;
	struct buf b;
	char msg[512];
	size_t i;

	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	if (name != NULL) {
		const struct svc *s = service_find(a, ns, name);

		if (s == NULL) {
			buf_free(&b);
			snprintf(msg, sizeof(msg), "%s \"%s\" not found", what,
			    name);
			api_error(c, 404, "NotFound", msg);
			return;
		}
		if (endpoints)
			svcjson_endpoints(&w, a, s);
		else
			svcjson_service(&w, a, s);
		send_json(c, 200, &b, &w);
		buf_free(&b);
		return;
	}
	jw_obj(&w);
	jw_kstr(&w, "kind", endpoints ? "EndpointsList" : "ServiceList");
	jw_kstr(&w, "apiVersion", "v1");
	jw_key(&w, "metadata");
	jw_obj(&w);
	jw_kstr(&w, "resourceVersion", "");
	jw_obj_end(&w);
	jw_key(&w, "items");
	jw_arr(&w);
	for (i = 0; i < a->nsvcs; i++) {
		if (ns != NULL && strcmp(a->svcs[i].ns, ns) != 0)
			continue;
		if (endpoints)
			svcjson_endpoints(&w, a, &a->svcs[i]);
		else
			svcjson_service(&w, a, &a->svcs[i]);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	send_json(c, 200, &b, &w);
	buf_free(&b);
}

/* ConfigMaps, Secrets and claims: the manifests' objects. */
static const struct cfgres {
	const char *res;		/* URL segment, and in "not found" */
	const char *list;		/* kind of the list */
	enum cfg_kind kind;
	bool secret;
} cfgres[] = {
	{ "configmaps", "ConfigMapList", CFG_KIND_CONFIG, false },
	{ "secrets", "SecretList", CFG_KIND_CONFIG, true },
	{ "persistentvolumeclaims", "PersistentVolumeClaimList", CFG_KIND_PVC,
	    false },
};

struct cfg_list {
	struct jsonw *w;
	struct agent *a;
	const struct cfg_selector *sel;
};

static void
cfg_item(const struct cfg_object *o, const struct mfile *f, void *arg)
{
	struct cfg_list *l = arg;
	const struct cfg_meta *m = o->kind == CFG_KIND_PVC ?
	    &o->u.pvc->meta : &o->u.cfg->meta;

	if (l->sel == NULL || cfg_selector_match(l->sel, &m->labels))
		cfgjson_write(l->w, l->a, o, f);
}

static const struct cfgres *
cfg_res(const char *seg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfgres); i++)
		if (strcmp(seg, cfgres[i].res) == 0)
			return &cfgres[i];
	return NULL;
}

/* A list (name NULL) or one; ns NULL: every namespace. */
static void
cfg_view(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req, const struct cfgres *r, const char *ns,
    const char *name)
{
	struct cfg_list l = { NULL, a, NULL };
	struct cfg_selector *sel = NULL;
	const struct cfg_object *o;
	const struct mfile *f = NULL;
	struct jsonw w;
	struct buf b;
	struct err err;
	char msg[512], q[1024];

	if (name == NULL && net_http_query(req, "labelSelector", q,
	    sizeof(q)) == 0 && q[0] != '\0' &&
	    cfg_selector_parse(q, &sel, &err) < 0) {
		api_error(c, 400, "BadRequest", err.msg);
		return;
	}
	if (name != NULL && (o = configs_object(a, r->kind, r->secret, ns,
	    name, &f)) == NULL) {
		snprintf(msg, sizeof(msg), "%s \"%s\" not found", r->res,
		    name);
		api_error(c, 404, "NotFound", msg);
		return;
	}
	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	if (name != NULL) {
		cfgjson_write(&w, a, o, f);
	} else {
		jw_obj(&w);
		jw_kstr(&w, "kind", r->list);
		jw_kstr(&w, "apiVersion", "v1");
		jw_key(&w, "metadata");
		jw_obj(&w);
		jw_kstr(&w, "resourceVersion", "");
		jw_obj_end(&w);
		jw_key(&w, "items");
		jw_arr(&w);
		l.w = &w;
		l.sel = sel;
		configs_foreach(a, r->kind, r->secret, ns, cfg_item, &l);
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	send_json(c, 200, &b, &w);
	buf_free(&b);
	cfg_selector_free(sel);
}

static void
event_list(struct agent *a, struct net_http_conn *c, const char *ns)
{
	const struct event *e;
	struct jsonw w;
	struct buf b;
	size_t i;

	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "kind", "EventList");
	jw_kstr(&w, "apiVersion", "v1");
	jw_key(&w, "metadata");
	jw_obj(&w);
	jw_kstr(&w, "resourceVersion", "");
	jw_obj_end(&w);
	jw_key(&w, "items");
	jw_arr(&w);
	for (i = 0; (e = events_at(&a->events, i)) != NULL; i++) {
		if (ns != NULL && strcmp(e->ns[0] ? e->ns : "default", ns))
			continue;
		eventjson_write(&w, a, e);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	send_json(c, 200, &b, &w);
	buf_free(&b);
}

static void
diag_item(struct jsonw *w, const char *file, int line, int col,
    const char *path, const char *msg)
{
	jw_obj(w);
	jw_kstr(w, "file", file);
	jw_kint(w, "line", line);
	jw_kint(w, "col", col);
	jw_kstr(w, "path", path);
	jw_kstr(w, "message", msg);
	jw_obj_end(w);
}

static void
manifest_diags(struct jsonw *w, struct agent *a, enum cfg_severity sev)
{
	struct mfile *f;
	size_t i;

	jw_arr(w);
	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		/* A whole-file error is at 1:1; a duplicate at its object. */
		if (sev == CFG_ERROR && f->error[0] != '\0')
			diag_item(w, f->name, 1, 1, "", f->error);
		if (sev == CFG_ERROR && f->dup[0] != '\0')
			diag_item(w, f->name, f->dup_line > 0 ? f->dup_line : 1,
			    1, "metadata.name", f->dup);
		for (i = 0; i < f->diags.n; i++) {
			const struct cfg_diag *d = &f->diags.d[i];

			if (d->sev == sev)
				diag_item(w, f->name, d->line, d->col,
				    d->path, d->msg);
		}
	}
	jw_arr_end(w);
}

static void
status(struct agent *a, struct net_http_conn *c)
{
	int phases[4] = { 0 }, files = 0;
	struct mfile *f;
	struct jsonw w;
	struct buf b;
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead)
			phases[p->phase]++;
	TAILQ_FOREACH(f, &a->mdir.files, entry)
		files++;
	buf_init(&b, API_MAXRESP);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "version", PICOLET_VERSION);
	jw_kint(&w, "uptimeSeconds",
	    (time_now_ns() - a->started_ns) / 1000000000);
	jw_kstr(&w, "nodeName", a->node_name);
	jw_kstr(&w, "cgroupMode", rt_cgroup_mode_name(a->cg));
	jw_kstr(&w, "stateDir", a->conf.state);
	jw_kstr(&w, "manifestDir", a->conf.manifests);
	jw_kstr(&w, "logDir", a->conf.logs);
	jw_kstr(&w, "runDir", a->conf.run);
	jw_key(&w, "pods");
	jw_obj(&w);
	for (int i = 0; i < 4; i++)
		jw_kint(&w, pod_phase_names[i], phases[i]);
	jw_obj_end(&w);
	jw_key(&w, "manifests");
	jw_obj(&w);
	jw_kint(&w, "files", files);
	jw_key(&w, "errors");
	manifest_diags(&w, a, CFG_ERROR);
	jw_key(&w, "warnings");
	manifest_diags(&w, a, CFG_WARNING);
	jw_obj_end(&w);
	jw_obj_end(&w);
	send_json(c, 200, &b, &w);
	buf_free(&b);
}

/* Split "/a/b/c" into at most n segments; returns how many. */
static size_t
split(char *path, char **seg, size_t n)
{
	size_t k = 0;
	char *s, *save = NULL;

	for (s = strtok_r(path, "/", &save); s != NULL && k < n;
	    s = strtok_r(NULL, "/", &save))
		seg[k++] = s;
	return s == NULL ? k : n + 1;
}

static void
route(struct net_http_conn *c, const struct net_http_req *req, void *arg)
{
	struct agent *a = arg;
	char path[sizeof(req->path)], *s[8];
	const struct cfgres *r;
	size_t n;

	memcpy(path, req->path, sizeof(path));
	n = split(path, s, ARRAY_SIZE(s));
	if ((n == 3 || n == 4) && strcmp(s[0], "api") == 0 &&
	    strcmp(s[1], "v1") == 0 && strcmp(s[2], "images") == 0)
		return api_images(a, c, req, n == 4 ? s[3] : NULL);
	if (req->mlen != 3 || memcmp(req->method, "GET", 3) != 0) {
		api_error(c, 405, "MethodNotAllowed", "only GET is served");
		return;
	}
	if (strcmp(req->path, "/healthz") == 0) {
		net_http_respond(c, 200, "text/plain", "ok", 2);
		return;
	}
	if (strcmp(req->path, "/status") == 0) {
		status(a, c);
		return;
	}
	if (n >= 3 && strcmp(s[0], "api") == 0 && strcmp(s[1], "v1") == 0) {
		if (n == 3 && strcmp(s[2], "pods") == 0)
			return pod_list(a, c, req, NULL);
		if (n == 3 && strcmp(s[2], "events") == 0)
			return event_list(a, c, NULL);
		if (n == 3 && strcmp(s[2], "services") == 0)
			return svc_view(a, c, NULL, NULL, false);
		if (n == 3 && strcmp(s[2], "endpoints") == 0)
			return svc_view(a, c, NULL, NULL, true);
		if (n == 3 && (r = cfg_res(s[2])) != NULL)
			return cfg_view(a, c, req, r, NULL, NULL);
		if (n >= 5 && strcmp(s[2], "namespaces") == 0) {
			if (n == 5 && strcmp(s[4], "pods") == 0)
				return pod_list(a, c, req, s[3]);
			if (n == 5 && strcmp(s[4], "events") == 0)
				return event_list(a, c, s[3]);
			if ((n == 5 || n == 6) && (!strcmp(s[4], "services") ||
			    !strcmp(s[4], "endpoints")))
				return svc_view(a, c, s[3], n == 6 ? s[5] :
				    NULL, s[4][0] == 'e');
			if ((n == 5 || n == 6) && (r = cfg_res(s[4])) != NULL)
				return cfg_view(a, c, req, r, s[3], n == 6 ?
				    s[5] : NULL);
			if ((n == 6 || n == 7) && strcmp(s[4], "pods") == 0)
				return pod_one(a, c, req, s[3], s[5],
				    n == 7 ? s[6] : NULL);
		}
	}
	api_error(c, 404, "NotFound", "the server could not find the "
	    "requested resource");
}

int
api_start(struct agent *a, struct err *err)
{
	char dir[4096], *slash;
	int r;

	snprintf(dir, sizeof(dir), "%s", a->conf.socket);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((r = mkdir_p(dir, 0755, err)) < 0)
			return r;
	}
	return net_http_start(&a->http, a->loop, a->conf.socket, 0600,
	    a->conf.listen[0] ? a->conf.listen : NULL, route, a, err);
}
