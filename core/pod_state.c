/*
 * pod_state: what picolet must remember about a pod to pick it up again
 * after a restart, in <run>/pods/<uid>/pod.json (written atomically): its
 * identity, spec hash, creation time, grace period, and per container the
 * restart count, back-off and last termination.  The processes themselves
 * are found through the shims' state files (runtime/).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/json.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "store/store.h"

#define POD_STATE_MAX (256 * 1024)

static void
term_write(struct jsonw *w, const char *key, const struct ctr_term *t)
{
	jw_key(w, key);
	if (!t->set) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kint(w, "exitCode", t->exit_code);
	jw_kint(w, "signal", t->signal);
	jw_kstr(w, "reason", t->reason);
	jw_kstr(w, "message", t->message);
	jw_kint(w, "started", t->started_ns);
	jw_kint(w, "finished", t->finished_ns);
	jw_kstr(w, "id", t->id);
	jw_obj_end(w);
}

int
pod_save(struct pod *p)
{
	struct jsonw w;
	struct buf b;
	struct err err;
	char path[4200];
	size_t i;
	int r;

	if (!p->sandbox)
		return 0;
	buf_init(&b, POD_STATE_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "uid", p->uid);
	jw_kstr(&w, "namespace", p->ns);
	jw_kstr(&w, "name", p->name);
	jw_kstr(&w, "specHash", p->spec_hash);
	jw_kint(&w, "created", p->created_ns);
	jw_kint(&w, "started", p->start_ns);
	jw_kint(&w, "grace", p->grace_ns);
	jw_kbool(&w, "hostNetwork", p->spec && p->spec->host_network);
	jw_kbool(&w, "initialized", p->initialized);
	if (p->fail_reason[0] != '\0') {
		jw_kstr(&w, "failReason", p->fail_reason);
		jw_kstr(&w, "failMessage", p->fail_message);
	}
	jw_key(&w, "containers");
	jw_arr(&w);
	for (i = 0; i < p->nctrs; i++) {
		const struct ctr *c = &p->ctrs[i];

		jw_obj(&w);
		jw_kstr(&w, "name", c->name);
		jw_kint(&w, "restarts", c->restarts);
		jw_kstr(&w, "id", c->id);
		jw_kstr(&w, "imageID", c->image_id);
		jw_kint(&w, "backoffDelay", c->backoff.delay);
		jw_kint(&w, "backoffLast", c->backoff.last);
		jw_kbool(&w, "ready", c->ready);
		jw_kbool(&w, "started", c->started);
		term_write(&w, "last", &c->last);
		term_write(&w, "term", &c->term);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err != 0) {
		buf_free(&b);
		return w.err;
	}
	snprintf(path, sizeof(path), "%s/pod.json", p->run_dir);
	r = write_replace(path, b.p, b.len, 0600, &err);
	if (r < 0)
		log_warn("pod %s/%s: %s", p->ns, p->name, err.msg);
	buf_free(&b);
	return r;
}

static void
term_read(const struct json *j, struct ctr_term *t)
{
	const char *s;

	if (j == NULL || j->type != JSON_OBJ)
		return;
	t->set = true;
	t->exit_code = (int)json_get_int(j, "exitCode", 0);
	t->signal = (int)json_get_int(j, "signal", 0);
	if ((s = json_get_str(j, "reason")) != NULL)
		snprintf(t->reason, sizeof(t->reason), "%s", s);
	if ((s = json_get_str(j, "message")) != NULL)
		snprintf(t->message, sizeof(t->message), "%s", s);
	t->started_ns = json_get_int(j, "started", 0);
	t->finished_ns = json_get_int(j, "finished", 0);
	if ((s = json_get_str(j, "id")) != NULL)
		snprintf(t->id, sizeof(t->id), "%s", s);
}

/* Read <dir>/pod.json; the caller frees *out. */
int
pod_state_read(const char *dir, struct json **out, struct err *err)
{
	char path[4200], *data;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/pod.json", dir);
	if ((r = read_file(path, POD_STATE_MAX, &data, &len, err)) < 0)
		return r;
	r = json_parse(data, len, out, err);
	free(data);
	if (r < 0)
		err_prefix(err, "%s", path);
	return r;
}

static void
ctr_restore(struct ctr *c, const struct json *j)
{
	const char *s;

	c->restarts = (int)json_get_int(j, "restarts", 0);
	if ((s = json_get_str(j, "id")) != NULL)
		snprintf(c->id, sizeof(c->id), "%s", s);
	if ((s = json_get_str(j, "imageID")) != NULL)
		snprintf(c->image_id, sizeof(c->image_id), "%s", s);
	c->backoff.delay = json_get_int(j, "backoffDelay", 0);
	c->backoff.last = json_get_int(j, "backoffLast", 0);
	/* A restart of picolet must not make a ready container unready
	 * (its Services would refuse connections until the next probe). */
	c->adopt_ready = json_get_bool(j, "ready", false);
	c->adopt_started = json_get_bool(j, "started", false);
	term_read(json_get(j, "last"), &c->last);
	term_read(json_get(j, "term"), &c->term);
}

static const struct json *
find_ctr(const struct json *arr, const char *name)
{
	const struct json *j;

	for (j = arr ? arr->child : NULL; j != NULL; j = j->next) {
		const char *n = json_get_str(j, "name");

		if (n != NULL && strcmp(n, name) == 0)
			return j;
	}
	return NULL;
}

struct pod *
pod_adopt(struct agent *a, const char *run_dir, struct podspec *ps)
{
	const struct json *ctrs, *j;
	struct json *st = NULL;
	struct err err;
	struct pod *p;
	size_t i, n;

	if (pod_state_read(run_dir, &st, &err) < 0) {
		log_warn("adopt %s: %s", run_dir, err.msg);
		return NULL;
	}
	ctrs = json_get(st, "containers");
	if (ps != NULL) {
		p = pod_new(a, ps, json_get_str(st, "uid"));
	} else {
		const char *ns = json_get_str(st, "namespace");
		const char *name = json_get_str(st, "name");
		const char *uid = json_get_str(st, "uid");

		if (ns == NULL || name == NULL || uid == NULL ||
		    ctrs == NULL || ctrs->type != JSON_ARR) {
			log_warn("adopt %s: pod.json is incomplete", run_dir);
			json_free(st);
			return NULL;
		}
		p = pod_alloc_orphan(a, ns, name, uid, ctrs->n);
		for (i = 0, j = ctrs->child; j != NULL; j = j->next, i++) {
			const char *cn = json_get_str(j, "name");

			pod_ctr_init(p, i, cn ? cn : "unknown");
		}
	}
	if (strcmp(p->run_dir, run_dir) != 0)
		snprintf(p->run_dir, sizeof(p->run_dir), "%s", run_dir);
	p->created_ns = json_get_int(st, "created", p->created_ns);
	p->start_ns = json_get_int(st, "started", 0);
	if (ps == NULL)
		p->grace_ns = json_get_int(st, "grace", p->grace_ns);
	p->sandbox = true;
	n = p->nctrs;
	for (i = 0; i < n; i++)
		if ((j = find_ctr(ctrs, p->ctrs[i].name)) != NULL)
			ctr_restore(&p->ctrs[i], j);
	p->initialized = json_get_bool(st, "initialized", p->ninits == 0);
	snprintf(p->fail_reason, sizeof(p->fail_reason), "%s",
	    json_get_str(st, "failReason") ? json_get_str(st, "failReason") :
	    json_get_bool(st, "deadlineExceeded", false) ?
	    "DeadlineExceeded" : "");
	snprintf(p->fail_message, sizeof(p->fail_message), "%s",
	    json_get_str(st, "failMessage") ? json_get_str(st, "failMessage") :
	    p->fail_reason[0] != '\0' ? DEADLINE_MSG : "");
	json_free(st);
	log_info("pod %s/%s: adopted (uid %s)", p->ns, p->name, p->uid);
	for (i = 0; i < n; i++)
		ctr_adopt(&p->ctrs[i]);
	podnet_adopt(p);
	pod_pause_adopt(p);
	pod_recompute(p);
	pod_deadline_arm(p);
	pod_advance(p);		/* what was never started starts now */
	return p;
}
