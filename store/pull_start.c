/*
 * pull_start: setting a pull up from the caller's options: the ref
 * split into registry and repository, this registry's section of the
 * config (TLS, mirror, auth file), and credentials looked up in order:
 * the pod's imagePullSecret, the registry's auth file, the node-wide
 * one.  The auth files are small local files read here, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/pull_int.h"

#define AUTH_FILE_MAX	(1 << 20)

static bool
default_insecure(const char *host)
{
	return strcmp(host, "localhost") == 0 ||
	    strncmp(host, "localhost:", 10) == 0 ||
	    strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]", 5) == 0;
}

static void
find_creds(struct store_pull *p, const struct store_pull_opts *o,
    const struct store_registry_conf *rc)
{
	const char *files[2] = { rc != NULL ? rc->auth_file : NULL,
	    o->auth_file };
	char *data;
	size_t i, len;

	if (o->dockerconfigjson != NULL && store_reg_auth_lookup(
	    o->dockerconfigjson, strlen(o->dockerconfigjson), p->rr.host,
	    p->creds, sizeof(p->creds), NULL) == 0)
		return;
	for (i = 0; i < 2; i++) {
		if (files[i] == NULL || files[i][0] == '\0' ||
		    read_file(files[i], AUTH_FILE_MAX, &data, &len, NULL) < 0)
			continue;
		if (store_reg_auth_lookup(data, len, p->rr.host, p->creds,
		    sizeof(p->creds), NULL) == 0) {
			free(data);
			return;
		}
		free(data);
	}
	p->creds[0] = '\0';
}

static int
setup(struct store_pull *p, const struct store_pull_opts *o,
    struct err *err)
{
	const struct store_registry_conf *rc = NULL;
	size_t i;
	int r;

	if ((r = store_ref_normalize(o->ref, p->ref, sizeof(p->ref),
	    err)) < 0)
		return r;
	if ((r = store_reg_ref_split(p->ref, &p->rr, err)) < 0)
		return r;
	if (p->rr.by_digest)
		memcpy(p->want_digest, p->rr.ref, 72);
	for (i = 0; i < o->nregs; i++)
		if (o->regs[i].host != NULL &&
		    strcmp(o->regs[i].host, p->rr.host) == 0)
			rc = &o->regs[i];
	/* a CA configured for the host means: verify with it */
	p->insecure = (rc != NULL && rc->insecure) ||
	    (default_insecure(p->rr.host) && (rc == NULL ||
	    rc->ca_file == NULL || rc->ca_file[0] == '\0'));
	if (rc != NULL && rc->ca_file != NULL)
		snprintf(p->ca, sizeof(p->ca), "%s", rc->ca_file);
	if ((r = store_reg_url_parse(p->rr.api_host, !p->insecure, &p->base,
	    err)) < 0)
		return r;
	if (p->insecure)	/* unverified TLS first, then plain HTTP */
		p->base.tls = true;
	if (rc != NULL && rc->mirror != NULL && rc->mirror[0] != '\0') {
		if ((r = store_reg_url_parse(rc->mirror, true, &p->base,
		    err)) < 0)
			return r;
		p->from_mirror = true;
	}
	find_creds(p, o, rc);
	p->idle_ms = o->idle_ms ? o->idle_ms : 30000;
	p->timeout_ms = o->timeout_ms ? o->timeout_ms : 3600 * 1000;
	snprintf(p->partdir, sizeof(p->partdir), "%s/%d-partial",
	    p->s->tmp, (int)getpid());
	if (mkdir(p->partdir, 0700) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir %s", p->partdir);
	return 0;
}

static void
kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct store_pull *p = container_of(w, struct store_pull, kick);

	pull_begin(p);
}

int
store_pull_start(struct ev_loop *loop, struct store *s,
    const struct store_pull_opts *o, store_pull_done done, void *arg,
    struct store_pull **out, struct err *err)
{
	struct store_pull *p = xcalloc(1, sizeof(*p));
	int r;

	p->loop = loop;
	p->s = s;
	p->fd = -1;
	p->pid = -1;
	p->pidfd = -1;
	p->pipefd = -1;
	p->readyfd = -1;
	ev_timer_init(&p->kick, kick_cb, 0., 0.);
	ev_timer_init(&p->wake, pull_blob_wake_cb, 0., 0.);
	if ((r = setup(p, o, err)) < 0) {
		free(p);
		return r;
	}
	p->next = s->pulls;
	s->pulls = p;
	store_pull_wait(p, done, arg);
	ev_timer_start(loop, &p->kick);
	*out = p;
	return 0;
}

void
store_pull_wait(struct store_pull *p, store_pull_done done, void *arg)
{
	p->w = xrealloc(p->w, (p->nw + 1) * sizeof(*p->w));
	p->w[p->nw].done = done;
	p->w[p->nw].arg = arg;
	p->nw++;
}

const char *
store_pull_ref(const struct store_pull *p)
{
	return p->ref;
}

void
store_pull_progress(const struct store_pull *p, int64_t *done,
    int64_t *total)
{
	*done = p->done_bytes;
	*total = p->total_bytes;
}

void
store_pull_cancel(struct store_pull *p)
{
	if (p == NULL)
		return;
	if (p->busy) {
		p->cancelled = true;
		return;
	}
	pull_release(p);
}
