/*
 * pull: an image from a registry (OCI distribution API) into the store,
 * on the caller's loop.  One request at a time, each on its own
 * connection (net_httpc): manifest -> (index -> this platform's
 * manifest) -> config and layer blobs (pull_blob.c) -> an unpacking
 * child (pull_child.c) -> index.json.  Host names are looked up by net_resolve (a
 * child), numeric hosts used as they are.
 *
 * Auth as Docker does it: try anonymously; a 401 with a Bearer challenge
 * sends us to its realm for a token (with basic credentials when we have
 * some), a Basic challenge makes us resend with them.  A redirect to
 * another host (blob storage) drops the Authorization header: the
 * token is the registry's, not the storage's.  localhost and 127/8 are
 * insecure by default, as in Docker, unless a CA is configured for them; an insecure registry is tried with
 * TLS unverified first, then plain HTTP when TLS fails.  A mirror, when
 * configured, is asked first and dropped on any failure.
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY choose a proxy per request (a redirect
 * to blob storage may go another way than the registry): the proxy's
 * name is looked up instead, and the request tunnels through it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/pull_int.h"

#define ACCEPT	MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST \
	", " MT_DOCKER_LIST

static void http_done(const struct net_httpc_res *res, void *arg);
static void fetch_manifest(struct store_pull *p);

void
pull_release(struct store_pull *p)
{
	struct store_pull **pp;

	ev_timer_stop(p->loop, &p->kick);
	net_httpc_cancel(p->http);
	p->http = NULL;
	net_resolve_cancel(p->res);
	p->res = NULL;
	pull_blob_cleanup(p);
	ev_timer_stop(p->loop, &p->wake);
	for (pp = &p->s->pulls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	/* Empty: nothing to resume.  Another pull in flight makes it again
	 * before it writes there (all in this loop: no race). */
	(void)rmdir(p->partdir);
	store_reg_manifest_free(&p->man);
	free(p->token);
	free(p->w);
	free(p);
}

void
pull_finish(struct store_pull *p, int error, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	size_t i;

	msg[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	p->finished = true;
	p->busy++;
	for (i = 0; i < p->nw && !p->cancelled; i++)
		p->w[i].done(p, error, msg, p->w[i].arg);
	pull_release(p);
}

/* ---- requests ---- */

static void
send_now(struct store_pull *p)
{
	struct net_httpc_req q;
	struct net_httpc_hdr h[4];
	char *auth = NULL, *pauth = NULL, b64[1400];
	bool same = strcmp(p->cur.host, p->base.host) == 0;
	struct err err;
	size_t nh = 0;

	if (p->phase == PH_MANIFEST)
		h[nh++] = (struct net_httpc_hdr){ "Accept", ACCEPT };
	if (p->cur_auth && p->phase != PH_TOKEN && p->token != NULL)
		auth = xasprintf("Bearer %s", p->token);
	else if (p->cur_auth && p->creds[0] != '\0' &&
	    (p->phase == PH_TOKEN || p->use_basic) &&
	    store_reg_base64(p->creds, strlen(p->creds), b64,
	    sizeof(b64)) == 0)
		auth = xasprintf("Basic %s", b64);
	if (auth != NULL)
		h[nh++] = (struct net_httpc_hdr){ "Authorization", auth };
	if (p->phase == PH_BLOB && p->range[0] != '\0')
		h[nh++] = (struct net_httpc_hdr){ "Range", p->range };
	memset(&q, 0, sizeof(q));
	q.host = p->cur.host;
	q.addr = p->addr;
	q.port = p->cur.port;
	q.path = p->cur.path;
	q.headers = h;
	q.nheaders = nh;
	q.tls = p->cur.tls;
	q.tls_verify = !(same && p->insecure);
	q.ca_file = same && p->ca[0] != '\0' ? p->ca : NULL;
	q.timeout_ms = p->timeout_ms;
	q.idle_ms = p->idle_ms;
	q.max_body = p->phase == PH_MANIFEST ? STORE_JSON_MAX : 65536;
	q.overflow = NET_HTTPC_BODY_FAIL;
	q.on_data = p->on_data;
	if (p->proxied) {
		q.addr = NULL;
		q.proxy_addr = p->addr;
		q.proxy_port = p->proxy.port;
		if (p->proxy.creds[0] != '\0' && store_reg_base64(p->proxy.creds,
		    strlen(p->proxy.creds), b64, sizeof(b64)) == 0)
			q.proxy_auth = pauth = xasprintf("Basic %s", b64);
	}
	if (net_httpc_start(p->loop, &q, http_done, p, &p->http, &err) < 0) {
		p->http = NULL;
		free(pauth);
		free(auth);
		pull_finish(p, -EINVAL, "%s", err.msg);
		return;
	}
	free(pauth);
	free(auth);
}

static void
resolved(int error, const char *addr, const struct err *err, void *arg)
{
	struct store_pull *p = arg;

	p->res = NULL;
	if (error < 0) {
		pull_finish(p, error, "%s", err->msg);
		return;
	}
	if (strlen(addr) >= sizeof(p->addr)) {
		pull_finish(p, -EINVAL, "bad address for %s", p->cur.host);
		return;
	}
	memcpy(p->addr, addr, strlen(addr) + 1);
	memcpy(p->addr_host, p->proxied ? p->proxy.host : p->cur.host,
	    sizeof(p->addr_host));
	send_now(p);
}

static void
issue(struct store_pull *p)
{
	unsigned char probe[16];
	const char *name;
	struct err err;
	int r;

	r = store_proxy_for(p->cur.tls, p->cur.host, p->cur.port, &p->proxy,
	    &err);
	if (r < 0 && r != -ENOENT) {
		pull_finish(p, r, "%s", err.msg);
		return;
	}
	p->proxied = r == 0;
	name = p->proxied ? p->proxy.host : p->cur.host;
	if (strcmp(p->addr_host, name) == 0) {
		send_now(p);
		return;
	}
	if (strcmp(name, "localhost") == 0) {
		resolved(0, "127.0.0.1", NULL, p);
		return;
	}
	if (inet_pton(AF_INET, name, probe) == 1 ||
	    inet_pton(AF_INET6, name, probe) == 1) {
		resolved(0, name, NULL, p);
		return;
	}
	if (net_resolve_start(p->loop, name, 0, resolved, p, &p->res,
	    &err) < 0)
		pull_finish(p, -EIO, "%s", err.msg);
}

void
pull_get(struct store_pull *p, const char *path, net_httpc_data on_data)
{
	p->cur = p->base;
	snprintf(p->cur.path, sizeof(p->cur.path), "%s", path);
	p->cur_auth = true;
	p->redirs = 0;
	p->on_data = on_data;
	issue(p);
}

static void
url_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 4 < len; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~:/", *s) != NULL)
			out[o++] = *s;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X",
			    (unsigned char)*s);
	}
	out[o] = '\0';
}

static int
ask_token(struct store_pull *p, const struct store_reg_challenge *c)
{
	char svc[600], scope[1600], def[400], url[4096];
	struct store_reg_url u;

	url_escape(svc, sizeof(svc), c->service);
	snprintf(def, sizeof(def), "repository:%s:pull", p->rr.repo);
	url_escape(scope, sizeof(scope), c->scope[0] ? c->scope : def);
	snprintf(url, sizeof(url), "%s%cservice=%s&scope=%s", c->realm,
	    strchr(c->realm, '?') != NULL ? '&' : '?', svc, scope);
	if (store_reg_url_parse(url, true, &u, NULL) < 0)
		return -EINVAL;
	p->after_token = p->phase;
	p->phase = PH_TOKEN;
	p->cur = u;
	p->cur_auth = p->creds[0] != '\0';
	p->on_data = NULL;
	issue(p);
	return 0;
}

static int
on_401(struct store_pull *p, const struct net_httpc_res *res)
{
	struct store_reg_challenge c;
	char hdr[2048];

	if (++p->auth_tries > 2 || net_httpc_header(&res->head,
	    "WWW-Authenticate", hdr, sizeof(hdr)) < 0 ||
	    store_reg_challenge_parse(hdr, &c) < 0)
		return 0;
	if (strcmp(c.scheme, "Bearer") == 0)
		return ask_token(p, &c) == 0;
	if (p->creds[0] == '\0' || p->use_basic)
		return 0;
	p->use_basic = true;
	p->again(p);
	return 1;
}

int
pull_redirect_or_auth(struct store_pull *p, const struct net_httpc_res *res)
{
	int st = res->head.status;
	struct store_reg_url u;
	char loc[4096];

	if (res->error < 0)
		return 0;
	if (st == 401 && p->phase != PH_TOKEN && p->cur_auth)
		return on_401(p, res);
	if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308)
		return 0;
	if (net_httpc_header(&res->head, "Location", loc, sizeof(loc)) < 0) {
		pull_finish(p, -EPROTO, "redirect (%d) without a usable "
		    "Location", st);
		return 1;
	}
	if (++p->redirs > STORE_REG_MAXREDIR) {
		pull_finish(p, -ELOOP, "more than %d redirects",
		    STORE_REG_MAXREDIR);
		return 1;
	}
	if (loc[0] == '/') {
		u = p->cur;
		snprintf(u.path, sizeof(u.path), "%s", loc);
	} else if (store_reg_url_parse(loc, p->cur.tls, &u, NULL) < 0) {
		pull_finish(p, -EPROTO, "redirect to a bad URL");
		return 1;
	}
	if (strcmp(u.host, p->cur.host) != 0 || u.port != p->cur.port)
		p->cur_auth = false;
	p->cur = u;
	issue(p);
	return 1;
}

/* A failure: the registry's own words when it gave some. */
void
pull_fail_status(struct store_pull *p, const struct net_httpc_res *res,
    const char *what)
{
	int st = res->head.status;
	char m[400];

	store_reg_error_msg(res->body, res->body_len, m, sizeof(m));
	if (st == 401 || st == 403)
		pull_finish(p, -EACCES, "unauthorized: %s", m[0] ? m :
		    "authentication required");
	else if (st == 404)
		pull_finish(p, -ENOENT, "%s unknown", what);
	else if (st == 429)
		pull_finish(p, -EAGAIN, "too many requests%s%s",
		    m[0] ? ": " : "", m);
	else
		pull_finish(p, -EPROTO, "%s: registry answered %d%s%s", what,
		    st, m[0] ? ": " : "", m);
}

static void
token_response(struct store_pull *p, const struct net_httpc_res *res)
{
	const char *t;
	struct json *j = NULL;

	if (res->error < 0) {
		pull_finish(p, res->error, "token server: %s", res->err.msg);
		return;
	}
	if (res->head.status != 200 ||
	    json_parse(res->body, res->body_len, &j, NULL) < 0 ||
	    ((t = json_get_str(j, "token")) == NULL &&
	    (t = json_get_str(j, "access_token")) == NULL) ||
	    strlen(t) >= PULL_TOKEN_MAX || strpbrk(t, "\r\n") != NULL) {
		json_free(j);
		if (res->head.status == 200)
			pull_finish(p, -EPROTO, "token server: no token");
		else
			pull_fail_status(p, res, "token");
		return;
	}
	free(p->token);
	p->token = xstrdup(t);
	json_free(j);
	p->phase = p->after_token;
	p->again(p);
}

/* Verified manifest bytes beside the blobs as <hex>.ok, unsynced: the
 * child syncs it into blobs/ with them (content-addressed: no clash). */
static int
save_manifest(struct store_pull *p, const char *body, size_t len,
    const char *digest, struct err *err)
{
	char *tmp, *ok, *in = blob_path(p->s, digest);
	int fd, r = 0;

	if (access(in, F_OK) == 0) {
		free(in);
		return 0;
	}
	free(in);
	(void)mkdir(p->partdir, 0700);
	tmp = xasprintf("%s/%s.%p.man", p->partdir, digest + 7, (void *)p);
	ok = blob_ok_path(p->partdir, digest);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		r = err_set(err, errno, "create %s", tmp);
	else {
		if ((r = write_all(fd, body, len)) < 0)
			r = err_set(err, -r, "write %s", tmp);
		if (close(fd) < 0 && r == 0)
			r = err_set(err, errno, "close %s", tmp);
		if (r == 0 && rename(tmp, ok) < 0)
			r = err_set(err, errno, "rename %s", ok);
		if (r < 0)
			unlink(tmp);
	}
	free(tmp);
	free(ok);
	return r;
}

static void
manifest_ok(struct store_pull *p, const struct net_httpc_res *res)
{
	char dg[72], ct[128], arch[16], variant[8];
	struct store_reg_desc d;
	struct err err;

	store_sha_buf(res->body, res->body_len, dg);
	if (p->want_digest[0] != '\0' && strcmp(dg, p->want_digest) != 0) {
		pull_finish(p, -EBADMSG, "digest mismatch for manifest %s "
		    "(content is %s)", p->want_digest, dg);
		return;
	}
	if (net_httpc_header(&res->head, "Content-Type", ct, sizeof(ct)) < 0)
		ct[0] = '\0';
	ct[strcspn(ct, "; ")] = '\0';
	store_reg_manifest_free(&p->man);
	if (store_reg_manifest_parse(res->body, res->body_len, ct, &p->man,
	    &err) < 0) {
		pull_finish(p, -EINVAL, "%s", err.msg);
		return;
	}
	if (p->man.is_index) {
		store_platform(arch, variant);
		if (p->want_digest[0] != '\0' && !p->rr.by_digest) {
			pull_finish(p, -EINVAL, "index inside an index");
			return;
		}
		if (store_reg_index_pick(res->body, res->body_len, arch,
		    variant, &d, &err) < 0) {
			pull_finish(p, -ENOENT, "%s", err.msg);
			return;
		}
		memcpy(p->want_digest, d.digest, sizeof(d.digest));
		p->rr.by_digest = false;	/* no second index */
		fetch_manifest(p);
		return;
	}
	if (save_manifest(p, res->body, res->body_len, dg, &err) < 0) {
		pull_finish(p, -EIO, "%s", err.msg);
		return;
	}
	memcpy(p->man_digest, dg, sizeof(dg));
	snprintf(p->man_media, sizeof(p->man_media), "%s", p->man.media);
	p->man_size = (int64_t)res->body_len;
	pull_blobs_start(p);
}

static void
manifest_response(struct store_pull *p, const struct net_httpc_res *res)
{
	if (p->from_mirror && (res->error < 0 || res->head.status != 200)) {
		/* the mirror lacks it or is down: the registry itself */
		p->from_mirror = false;
		p->auth_tries = 0;
		free(p->token);
		p->token = NULL;
		(void)store_reg_url_parse(p->rr.api_host, !p->insecure,
		    &p->base, NULL);
		p->base.tls = true;	/* insecure: unverified TLS first */
		fetch_manifest(p);
		return;
	}
	if (res->error < 0 && p->insecure && p->base.tls && !p->tried_plain &&
	    res->error == -EPROTO) {
		p->tried_plain = true;	/* insecure: speaks plain HTTP? */
		p->base.tls = false;
		fetch_manifest(p);
		return;
	}
	if (res->error < 0)
		pull_finish(p, res->error, "manifest: %s", res->err.msg);
	else if (res->head.status != 200)
		pull_fail_status(p, res, "manifest");
	else
		manifest_ok(p, res);
}

static void
http_done(const struct net_httpc_res *res, void *arg)
{
	struct store_pull *p = arg;

	p->http = NULL;
	if (pull_redirect_or_auth(p, res))
		return;
	switch (p->phase) {
	case PH_MANIFEST:
		manifest_response(p, res);
		break;
	case PH_TOKEN:
		token_response(p, res);
		break;
	case PH_BLOB:
		pull_blob_response(p, res);
		break;
	default:
		break;
	}
}

static void
fetch_manifest(struct store_pull *p)
{
	char path[700];

	p->phase = PH_MANIFEST;
	p->again = fetch_manifest;
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", p->rr.repo,
	    p->want_digest[0] ? p->want_digest : p->rr.ref);
	pull_get(p, path, NULL);
}

void
pull_begin(struct store_pull *p)
{
	fetch_manifest(p);
}
