/*
 * pull_int: one pull in progress, shared by pull.c (requests, auth,
 * manifests), pull_blob.c (blobs, resume) and pull_child.c (the
 * unpacking child).
 */
#ifndef PICOLET_PULL_INT_H
#define PICOLET_PULL_INT_H

#include <limits.h>

#include <ev.h>

#include "net/net.h"
#include "store/store_int.h"

#define PULL_TOKEN_MAX	8192
#define PULL_RETRIES	3	/* a blob transfer cut short: resume */
#define PULL_FLUSH	(1 << 20) /* start writeback every MiB */

struct pull_waiter {
	store_pull_done done;
	void *arg;
};

enum pull_phase { PH_MANIFEST, PH_TOKEN, PH_BLOB, PH_UNPACK };

struct store_pull {
	struct ev_loop *loop;
	struct store *s;
	char ref[REF_MAX];
	struct store_reg_ref rr;
	struct pull_waiter *w;
	size_t nw;
	int busy;
	bool cancelled, finished;

	/* where: the registry (or its mirror), TLS settings */
	struct store_reg_url base;
	bool from_mirror, insecure, tried_plain;
	char mirror[256];
	char ca[PATH_MAX];
	unsigned idle_ms, timeout_ms;

	/* auth */
	char creds[1024];		/* "user:pass" or "" */
	char *token;			/* Bearer, or NULL */
	bool use_basic;
	int auth_tries;

	/* the request in flight */
	enum pull_phase phase, after_token;
	struct store_reg_url cur;
	bool cur_auth;			/* send Authorization to cur */
	int redirs;
	net_httpc_data on_data;
	char range[64];			/* "bytes=N-" or "" */
	ev_timer kick;			/* starts the pull from the loop */
	char addr[64], addr_host[256];	/* last lookup */
	struct store_proxy proxy;	/* for cur, when proxied */
	bool proxied;
	struct net_httpc *http;
	struct net_resolve *res;
	void (*again)(struct store_pull *);	/* re-issue after auth */

	/* the manifest */
	char want_digest[72];		/* from an index, or the ref's */
	struct store_reg_manifest man;
	char man_digest[72], man_media[128];
	int64_t man_size;

	/* blobs: 0 the config, then the layers */
	size_t bi;
	char partdir[PATH_MAX];
	char *part;
	int fd;
	bool own_part;			/* <hex>.<p>.part: nobody resumes it */
	bool parked;			/* another pull fetches this blob */
	ev_timer wake;			/* ... and is done with it */
	struct store_pull *next;	/* in the store's list */
	struct store_sha sha;		/* over the part's [0, have) */
	struct json *cfg;		/* the config, once in */
	int64_t have, base_have, base_done;
	int64_t flushed;		/* writeback started up to here */
	bool ranged, range_bad, no_range, too_big;
	int retries;
	int64_t done_bytes, total_bytes;

	/* the unpacking child, from the config on: readyfd gets a byte
	 * per layer whose blob is verified (announced so far) */
	pid_t pid;
	int pidfd, pipefd, readyfd;
	size_t announced;
	ev_io cio;
};

void pull_begin(struct store_pull *p);
void pull_release(struct store_pull *p);	/* no callbacks */
void pull_finish(struct store_pull *p, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* GET path on the current endpoint (p->cur's host); on_data for blobs. */
void pull_get(struct store_pull *p, const char *path, net_httpc_data on_data);
/* A non-2xx answer about what as the pull's error. */
void pull_fail_status(struct store_pull *p, const struct net_httpc_res *res,
	const char *what);
/* Shared handling of 3xx and 401: 1 when it took over the response. */
int pull_redirect_or_auth(struct store_pull *p, const struct net_httpc_res *res);

/* pull_blob.c */
void pull_blobs_start(struct store_pull *p);
void pull_blob_response(struct store_pull *p, const struct net_httpc_res *res);
void pull_blob_cleanup(struct store_pull *p);
void pull_blob_wake_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* pull_child.c: the unpacking child, from the config on */
int pull_child_start(struct store_pull *p);	/* -1: pull finished */
/* Announce the layers before p->bi; EOF after the last. */
int pull_child_announce(struct store_pull *p);	/* -1: pull finished */
void pull_child_stop(struct store_pull *p);

#endif
