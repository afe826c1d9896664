/*
 * api_images: /api/v1/images.
 *   GET                     the store's images, with when each was last used
 *   POST   .../images/pull?ref=REF   pull (joins a pull in flight); the
 *                           answer, a Status, comes when the pull ends: the
 *                           response is a stream so a client that goes
 *                           away is noticed
 *   DELETE .../images?ref=REF        remove the ref, unless a pod uses it
 * Changes are served on the Unix socket only (root's), never over TCP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "core/pull.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "net/net.h"
#include "store/store.h"

#define LIST_MAX	(8 * 1024 * 1024)

static void
image_list(struct agent *a, struct net_http_conn *c)
{
	struct store_image **imgs = NULL;
	struct jsonw w;
	struct buf b;
	struct err err;
	size_t i, n = 0;
	int64_t used;
	bool running;

	if (store_image_list(a->store, &imgs, &n, &err) < 0) {
		api_error(c, 500, "InternalError", err.msg);
		return;
	}
	buf_init(&b, LIST_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "items");
	jw_arr(&w);
	for (i = 0; i < n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "ref", imgs[i]->ref);
		jw_kstr(&w, "id", imgs[i]->id);
		jw_kstr(&w, "digest", imgs[i]->digest);
		jw_kint(&w, "size", imgs[i]->size);
		jw_ktime(&w, "created", imgs[i]->created_ns);
		used = images_last_used(a, imgs[i]->id, &running);
		if (used != 0)
			jw_ktime(&w, "lastUsed", used);
		jw_kbool(&w, "inUse", running);
		jw_obj_end(&w);
		store_image_free(imgs[i]);
	}
	free(imgs);
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err != 0)
		api_error(c, 500, "InternalError", "response too large");
	else {
		buf_append(&b, "\n", 1);
		net_http_respond(c, 200, "application/json", b.p, b.len);
	}
	buf_free(&b);
}

/* A Status object as the whole body of a stream, then its end. */
static void
stream_status(struct net_http_conn *c, int error, const char *msg)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "kind", "Status");
	jw_kstr(&w, "apiVersion", "v1");
	jw_kstr(&w, "status", error == 0 ? "Success" : "Failure");
	jw_kstr(&w, "message", msg);
	if (error != 0)
		jw_kstr(&w, "reason", "ErrImagePull");
	jw_obj_end(&w);
	buf_append(&b, "\n", 1);
	(void)net_http_stream_write(c, b.p, b.len);
	net_http_stream_end(c);
	buf_free(&b);
}

/* One `picoctl image pull` waiting; freed by the pull's end. */
struct api_pull {
	struct agent *a;
	struct net_http_conn *c;	/* NULL once the client is gone */
	char ref[512];
	int64_t start_ns;
};

static void
pull_client_gone(struct net_http_conn *c, void *arg)
{
	struct api_pull *ap = arg;

	ap->c = NULL;
}

static const struct net_http_stream_ops pull_ops = {
	.on_close = pull_client_gone,
};

static void
pull_answer(void *arg, int error, const char *msg)
{
	struct api_pull *ap = arg;
	struct store_image *img = NULL;
	char m[700];

	if (error == 0 && store_image_get(ap->a->store, ap->ref, &img,
	    NULL) == 0)
		snprintf(m, sizeof(m), "pulled %s (%s) in %.1fs, %lld bytes",
		    ap->ref, img->digest, (double)(time_now_ns() -
		    ap->start_ns) / 1e9, (long long)img->size);
	else if (error == 0)
		snprintf(m, sizeof(m), "pulled %s", ap->ref);
	else
		snprintf(m, sizeof(m), "pull %s: %s", ap->ref, msg[0] ? msg :
		    strerror(-error));
	store_image_free(img);
	if (ap->c != NULL)
		stream_status(ap->c, error, m);
	free(ap);
}

static void
image_pull(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req)
{
	struct api_pull *ap;
	struct err err;
	char ref[512];

	if (net_http_query(req, "ref", ref, sizeof(ref)) < 0 || !ref[0]) {
		api_error(c, 400, "BadRequest", "ref= is required");
		return;
	}
	ap = xcalloc(1, sizeof(*ap));
	ap->a = a;
	ap->c = c;
	ap->start_ns = time_now_ns();
	if (store_ref_normalize(ref, ap->ref, sizeof(ap->ref), &err) < 0) {
		free(ap);
		api_error(c, 400, "BadRequest", err.msg);
		return;
	}
	if (net_http_stream_begin(c, 200, "application/json", &pull_ops,
	    ap) < 0) {
		free(ap);
		api_error(c, 500, "InternalError", "cannot answer");
		return;
	}
	log_info("image pull %s requested", ap->ref);
	/* a pull by hand has no pod, so no imagePullSecrets: the node's
	 * auth files only */
	if (pull_request(a, ap->ref, NULL, pull_answer, ap, &err) < 0) {
		stream_status(c, -EINVAL, err.msg);
		free(ap);
	}
}

static void
image_remove(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req)
{
	struct store_image *img = NULL;
	char ref[512], norm[512], who[400], msg[1024];
	struct err err;
	int r;

	if (net_http_query(req, "ref", ref, sizeof(ref)) < 0 || !ref[0]) {
		api_error(c, 400, "BadRequest", "ref= is required");
		return;
	}
	if (store_ref_normalize(ref, norm, sizeof(norm), &err) < 0) {
		api_error(c, 400, "BadRequest", err.msg);
		return;
	}
	if ((r = store_image_get(a->store, norm, &img, &err)) < 0) {
		api_error(c, r == -ENOENT ? 404 : 500, r == -ENOENT ?
		    "NotFound" : "InternalError", r == -ENOENT ?
		    "no such image" : err.msg);
		return;
	}
	if (images_in_use(a, norm, img->id, who, sizeof(who))) {
		snprintf(msg, sizeof(msg), "image %s is in use by pod %s",
		    norm, who);
		store_image_free(img);
		api_error(c, 409, "Conflict", msg);
		return;
	}
	store_image_free(img);
	if (store_image_remove(a->store, norm, &err) < 0) {
		api_error(c, 500, "InternalError", err.msg);
		return;
	}
	log_info("image %s removed", norm);
	events_add(&a->events, false, "Image", "", norm, "", "", "Removed",
	    "removed image %s", norm);
	snprintf(msg, sizeof(msg), "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	    "\"status\":\"Success\"}\n");
	net_http_respond(c, 200, "application/json", msg, strlen(msg));
}

static bool
method(const struct net_http_req *req, const char *m)
{
	return req->mlen == strlen(m) && memcmp(req->method, m, req->mlen) ==
	    0;
}

void
api_images(struct agent *a, struct net_http_conn *c,
    const struct net_http_req *req, const char *sub)
{
	bool get = method(req, "GET");

	if (!get && !net_http_conn_local(c)) {
		api_error(c, 403, "Forbidden", "images are changed over the "
		    "Unix socket only");
		return;
	}
	if (sub == NULL && get)
		image_list(a, c);
	else if (sub == NULL && method(req, "DELETE"))
		image_remove(a, c, req);
	else if (sub != NULL && strcmp(sub, "pull") == 0 &&
	    method(req, "POST"))
		image_pull(a, c, req);
	else if (sub != NULL && strcmp(sub, "pull") != 0)
		api_error(c, 404, "NotFound", "the server could not find the "
		    "requested resource");
	else
		api_error(c, 405, "MethodNotAllowed", "not served here");
}
