/*
 * pull: a container's image, as kubelet's image manager gets it.
 *
 * imagePullPolicy (defaulted by cfg/ as Kubernetes does: untagged or
 * :latest means Always, anything else IfNotPresent) decides whether a
 * start pulls.  A pull is one store_pull per normalized ref and pull
 * secret, whoever asks (containers, `picoctl image pull`); the
 * containers waiting for it point at it (c->pull) and are found again by
 * walking the pods when it ends, so a pod that goes away meanwhile
 * leaves nothing dangling.  A pull that fails leaves the container in
 * ErrImagePull for a moment, then ImagePullBackOff until the back-off
 * (10 s doubling to 300 s, as kubelet) lets it try again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "core/pull.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "store/store.h"

#define ERR_SHOWN_S	2	/* ErrImagePull before ImagePullBackOff */

struct pull_waiter {
	pull_done_fn done;
	void *arg;
};

/* One pull in flight; owned by the agent's list, freed when it ends. */
struct core_pull {
	TAILQ_ENTRY(core_pull) entry;
	struct agent *a;
	struct store_pull *h;
	char ref[512];			/* normalized */
	char *secret;			/* dockerconfigjson, or NULL */
	int64_t start_ns;
	struct pull_waiter *w;		/* pull_request's callers */
	size_t nw;
};

/* Credentials are zeroed before their memory goes back. */
static void
secret_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* A member's string fields ("auth", "username", ...), as written. */
static void
auth_entry(struct jsonw *w, const struct json *e)
{
	const struct json *f;

	jw_obj(w);
	for (f = e->child; f != NULL; f = f->next)
		if (f->type == JSON_STR)
			jw_kstr(w, f->key, f->s);
	jw_obj_end(w);
}

static bool
seen_host(char **hosts, const char *h)
{
	for (; hosts != NULL && *hosts != NULL; hosts++)
		if (strcmp(*hosts, h) == 0)
			return true;
	return false;
}

/*
 * The pod's imagePullSecrets (kubernetes.io/dockerconfigjson Secrets of
 * its namespace) merged into one config.json, in the order listed: the
 * first secret to name a registry wins it, as kubelet's keyring.  Secrets
 * that are missing, of another type or unreadable are skipped, as kubelet
 * does (the pull then goes on with the node's credentials).
 */
char *
pull_secret_for(const struct pod *p)
{
	const struct cfg_config *sec;
	const struct cfg_blob *b;
	const struct json *auths, *e;
	struct json *j;
	struct jsonw w;
	struct buf out;
	char **hosts = NULL, *r = NULL, *const *name;
	int n = 0;

	if (p->spec == NULL || p->spec->image_pull_secrets == NULL)
		return NULL;
	buf_init(&out, 4 * CFG_CONFIG_MAX);
	jw_init(&w, &out);
	jw_obj(&w);
	jw_key(&w, "auths");
	jw_obj(&w);
	for (name = p->spec->image_pull_secrets; *name != NULL; name++) {
		sec = config_find(p->a, p->ns, *name, true);
		if (sec == NULL || sec->type == NULL ||
		    strcmp(sec->type, "kubernetes.io/dockerconfigjson") != 0 ||
		    (b = cfg_config_get(sec, ".dockerconfigjson")) == NULL ||
		    json_parse((const char *)b->data, b->len, &j, NULL) < 0)
			continue;
		auths = json_get(j, "auths");
		for (e = auths != NULL ? auths->child : NULL; e != NULL;
		    e = e->next) {
			if (e->type != JSON_OBJ || seen_host(hosts, e->key))
				continue;
			strv_push(&hosts, e->key);
			jw_key(&w, e->key);
			auth_entry(&w, e);
			n++;
		}
		json_free(j);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (n > 0 && out.p != NULL)
		r = xstrdup(out.p);
	if (out.p != NULL)
		explicit_bzero(out.p, out.len);
	buf_free(&out);
	strv_free(hosts);
	return r;
}

static bool
same_secret(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Go's time.Duration.String, to the millisecond: "523ms", "1.2s". */
static void
fmt_duration(int64_t ns, char *buf, size_t len)
{
	int64_t ms = ns / 1000000;
	int frac = (int)(ms % 1000), digits = 3;

	if (ms < 1000) {
		snprintf(buf, len, "%lldms", (long long)ms);
		return;
	}
	/* trailing zeros go, as Go writes it */
	while (digits > 0 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (digits == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lld.%0*ds", (long long)(ms / 1000), digits,
		    frac);
}

static void
ctr_pulled(struct ctr *c, int error, const char *msg, const char *took,
    int64_t size)
{
	struct pod *p = c->pod;
	const char *image = c->spec->image;
	char m[512];

	c->pull = NULL;
	if (error == 0) {
		agent_event(p->a, p, c->name, false, "Pulled",
		    "Successfully pulled image \"%s\" in %s. Image size: %lld "
		    "bytes.", image, took, (long long)size);
		memset(&c->pull_backoff, 0, sizeof(c->pull_backoff));
		c->pulled = true;
		ctr_start(c);
		return;
	}
	snprintf(m, sizeof(m), "failed to pull image \"%s\": %s", image,
	    msg[0] ? msg : strerror(-error));
	agent_event(p->a, p, c->name, true, "Failed", "Failed to pull image "
	    "\"%s\": %s", image, msg[0] ? msg : strerror(-error));
	agent_event(p->a, p, c->name, true, "Failed", "Error: ErrImagePull");
	c->pull_failed_ns = time_now_ns();
	backoff_next(&c->pull_backoff, c->pull_failed_ns, c->pull_failed_ns);
	ctr_set_waiting(c, "ErrImagePull", m);
	ctr_retry(c, ERR_SHOWN_S);
}

static void
pull_done(struct store_pull *h, int error, const char *msg, void *arg)
{
	struct core_pull *cp = arg;
	struct agent *a = cp->a;
	struct store_image *img = NULL;
	struct pod *p;
	char took[32];
	int64_t size = 0;
	size_t i;

	(void)h;
	TAILQ_REMOVE(&a->pulls, cp, entry);
	fmt_duration(time_now_ns() - cp->start_ns, took, sizeof(took));
	if (error == 0 && store_image_get(a->store, cp->ref, &img, NULL) == 0)
		size = img->size;
	store_image_free(img);
	if (error == 0)
		log_info("pull %s: done in %s, %lld bytes", cp->ref, took,
		    (long long)size);
	else
		log_warn("pull %s: %s", cp->ref, msg);
	TAILQ_FOREACH(p, &a->pods, entry) {
		for (i = 0; i < p->nctrs; i++) {
			struct ctr *c = &p->ctrs[i];

			if (c->pull != cp)
				continue;
			if (p->dead || p->deletion_ns != 0 ||
			    p->fail_reason[0] != '\0')
				c->pull = NULL;
			else
				ctr_pulled(c, error, msg, took, size);
		}
	}
	for (i = 0; i < cp->nw; i++)
		cp->w[i].done(cp->w[i].arg, error, msg);
	free(cp->w);
	secret_free(cp->secret);
	free(cp);
	if (error == 0)
		image_gc_check(a);	/* the store grew */
}

/* The pull of ref with secret: the one in flight, or a new one. */
static struct core_pull *
pull_get(struct agent *a, const char *ref, const char *secret,
    struct err *err)
{
	struct store_registry_conf regs[CFG_REGISTRY_MAX];
	struct store_pull_opts o;
	struct core_pull *cp;
	int i;

	TAILQ_FOREACH(cp, &a->pulls, entry)
		if (strcmp(cp->ref, ref) == 0 && same_secret(cp->secret,
		    secret))
			return cp;
	for (i = 0; i < a->conf.nregistries; i++) {
		const struct cfg_registry *r = &a->conf.registries[i];

		regs[i].host = r->host;
		regs[i].ca_file = r->ca[0] ? r->ca : NULL;
		regs[i].insecure = r->insecure;
		regs[i].mirror = r->mirror[0] ? r->mirror : NULL;
		regs[i].auth_file = r->auth[0] ? r->auth : NULL;
	}
	memset(&o, 0, sizeof(o));
	o.ref = ref;
	o.regs = regs;
	o.nregs = (size_t)a->conf.nregistries;
	o.auth_file = a->conf.registry_auth[0] ? a->conf.registry_auth : NULL;
	o.dockerconfigjson = secret;
	cp = xcalloc(1, sizeof(*cp));
	cp->a = a;
	snprintf(cp->ref, sizeof(cp->ref), "%s", ref);
	cp->secret = secret != NULL ? xstrdup(secret) : NULL;
	cp->start_ns = time_now_ns();
	if (store_pull_start(a->loop, a->store, &o, pull_done, cp, &cp->h,
	    err) < 0) {
		secret_free(cp->secret);
		free(cp);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&a->pulls, cp, entry);
	log_info("pull %s: started", ref);
	return cp;
}

int
pull_request(struct agent *a, const char *ref, const char *dockerconfigjson,
    pull_done_fn done, void *arg, struct err *err)
{
	struct core_pull *cp;
	char norm[512];
	int r;

	if ((r = store_ref_normalize(ref, norm, sizeof(norm), err)) < 0)
		return r;
	if ((cp = pull_get(a, norm, dockerconfigjson, err)) == NULL)
		return -EINVAL;
	if (done != NULL) {
		cp->w = xrealloc(cp->w, (cp->nw + 1) * sizeof(*cp->w));
		cp->w[cp->nw].done = done;
		cp->w[cp->nw].arg = arg;
		cp->nw++;
	}
	return 0;
}

/* The image is in the store: 0; absent: -ENOENT; else the reason set. */
static int
lookup(struct ctr *c, const char *ref, struct store_image **img)
{
	struct agent *a = c->pod->a;
	struct err err;
	int r;

	r = store_image_get(a->store, ref, img, &err);
	if (r < 0 && r != -ENOENT) {
		agent_event(a, c->pod, c->name, true, "InspectFailed", "%s",
		    err.msg);
		ctr_set_waiting(c, "ErrImageInspect", err.msg);
	}
	return r;
}

static int
never_pull(struct ctr *c, const char *ref, struct store_image **img)
{
	char msg[512];
	int r;

	if ((r = lookup(c, ref, img)) != -ENOENT)
		return r;
	snprintf(msg, sizeof(msg), "Container image \"%s\" is not present "
	    "with pull policy of Never", c->spec->image);
	if (strcmp(c->reason, "ErrImageNeverPull") != 0)
		agent_event(c->pod->a, c->pod, c->name, true,
		    "ErrImageNeverPull", "%s", msg);
	ctr_set_waiting(c, "ErrImageNeverPull", msg);
	return r;
}

int
pull_image_for(struct ctr *c, struct store_image **img)
{
	struct pod *p = c->pod;
	struct agent *a = p->a;
	const char *image = c->spec->image;
	char ref[512], msg[512], *secret;
	struct err err;
	int64_t wait;
	int r;

	if (c->pull != NULL)
		return -EAGAIN;		/* its end starts the container */
	if (store_ref_normalize(image, ref, sizeof(ref), &err) < 0) {
		if (strcmp(c->reason, "InvalidImageName") != 0)
			agent_event(a, p, c->name, true, "InspectFailed",
			    "Failed to apply default image tag \"%s\": %s",
			    image, err.msg);
		ctr_set_waiting(c, "InvalidImageName", err.msg);
		return -EINVAL;
	}
	if (c->spec->pull_policy == CFG_PULL_NEVER)
		return never_pull(c, ref, img);
	if (c->spec->pull_policy == CFG_PULL_IF_NOT_PRESENT || c->pulled) {
		r = lookup(c, ref, img);
		if (r == 0 && !c->pulled)
			agent_event(a, p, c->name, false, "Pulled",
			    "Container image \"%s\" already present on "
			    "machine", image);
		c->pulled = false;
		if (r != -ENOENT)
			return r;
	}
	wait = backoff_wait(&c->pull_backoff, time_now_ns(),
	    c->pull_failed_ns);
	if (wait > 0) {
		snprintf(msg, sizeof(msg), "Back-off pulling image \"%s\"",
		    image);
		if (strcmp(c->reason, "ImagePullBackOff") != 0) {
			agent_event(a, p, c->name, false, "BackOff", "%s",
			    msg);
			agent_event(a, p, c->name, true, "Failed",
			    "Error: ImagePullBackOff");
		}
		ctr_set_waiting(c, "ImagePullBackOff", msg);
		ctr_retry(c, (int)((wait + 999999999) / 1000000000));
		return -EAGAIN;
	}
	secret = pull_secret_for(p);
	c->pull = pull_get(a, ref, secret, &err);
	secret_free(secret);
	if (c->pull == NULL) {
		ctr_set_waiting(c, "InvalidImageName", err.msg);
		return -EINVAL;
	}
	agent_event(a, p, c->name, false, "Pulling", "Pulling image \"%s\"",
	    image);
	ctr_set_waiting(c, "ContainerCreating", NULL);
	return -EAGAIN;
}

bool
pull_progress(const struct ctr *c, int64_t *done, int64_t *total)
{
	if (c->pull == NULL)
		return false;
	store_pull_progress(c->pull->h, done, total);
	return true;
}

/* "12.3 MB" as docker writes sizes (decimal units) */
static void
human(int64_t n, char *buf, size_t len)
{
	static const char *u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000 && i + 1 < sizeof(u) / sizeof(u[0])) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.4g %s", v, u[i]);
}

bool
pull_message(const struct ctr *c, char *buf, size_t len)
{
	char d[32], t[32];
	int64_t done, total;

	if (!pull_progress(c, &done, &total))
		return false;
	human(done, d, sizeof(d));
	if (total <= 0) {
		snprintf(buf, len, "Pulling image \"%s\"", c->spec->image);
		return true;
	}
	human(total, t, sizeof(t));
	snprintf(buf, len, "Pulling image \"%s\": %s of %s (%d%%)",
	    c->spec->image, d, t, (int)(done * 100 / total));
	return true;
}

void
pulls_stop(struct agent *a)
{
	struct core_pull *cp;

	size_t i;

	while ((cp = TAILQ_FIRST(&a->pulls)) != NULL) {
		TAILQ_REMOVE(&a->pulls, cp, entry);
		store_pull_cancel(cp->h);
		for (i = 0; i < cp->nw; i++)
			cp->w[i].done(cp->w[i].arg, -ECANCELED,
			    "picolet is stopping");
		free(cp->w);
		secret_free(cp->secret);
		free(cp);
	}
}
