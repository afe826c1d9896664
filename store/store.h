/*
 * store: what lives on disk.
 *
 * The image store under <state>/images/ is an OCI image layout:
 *   oci-layout, index.json           refs (annotation
 *                                    org.opencontainers.image.ref.name,
 *                                    always the full normalized ref, each
 *                                    pointing at an image manifest)
 *   index.lock                       flock'd around index.json updates
 *   blobs/sha256/<hex>               manifests, configs, layer blobs
 *   layers/sha256/<diffid-hex>/      each layer unpacked once (lower dirs)
 *   import/                          drop archives here; picolet imports
 *   tmp/<pid>-XXXXXX/                partial work; a dead pid's is cleared
 *                                    at open
 * Everything is written to tmp/ and renamed into place, and index.json is
 * replaced atomically under an flock, so picoctl and picolet may import
 * at the same time and power loss leaves no torn file.
 *
 * Imports and unpacking are slow: they are called from a child process or
 * from picoctl, never from the loop.  Lookups are quick (small files).
 */
#ifndef PICOLET_STORE_H
#define PICOLET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

struct store;

int store_open(struct store **out, const char *state_dir, struct err *err);
void store_close(struct store *s);
const char *store_import_dir(const struct store *s);

/*
 * "busybox" -> "docker.io/library/busybox:latest", "a/b@sha256:.." kept,
 * "localhost:5000/x" -> "localhost:5000/x:latest".  -EINVAL with a reason.
 */
int store_ref_normalize(const char *in, char *out, size_t outlen,
	struct err *err);

/* A resolved image: what a container needs to run it. */
struct store_image {
	char *ref;		/* normalized reference */
	char *digest;		/* manifest digest "sha256:..." */
	char *id;		/* config digest "sha256:..." */
	char **layers;		/* unpacked layer dirs, lowest first, NULL-term */
	size_t nlayers;
	/* image config */
	char **entrypoint, **cmd, **env;	/* NULL when absent */
	char *working_dir, *user;
	char *os, *arch;
	int64_t size;		/* sum of compressed layer sizes */
	int64_t created_ns;	/* from the config, 0 if absent */
};

/* -ENOENT when the reference (normalized by the call) is not in the store. */
int store_image_get(struct store *s, const char *ref, struct store_image **out,
	struct err *err);
void store_image_free(struct store_image *img);
/* Every ref in the index; caller frees each and the array. */
int store_image_list(struct store *s, struct store_image ***out, size_t *n,
	struct err *err);
/* Remove a ref from the index (blobs stay until GC). */
int store_image_remove(struct store *s, const char *ref, struct err *err);

/*
 * Delete the blobs and unpacked layers that no ref of the index and no
 * image of keep (config digests, NULL-terminated; may be NULL) needs,
 * except those younger than min_age seconds (a pull or import in flight
 * puts its files in place before its ref).  Slow: from a child.
 */
struct store_gc_stats {
	int blobs, layers;		/* deleted */
	int64_t bytes;			/* of the blobs */
};
int store_gc(struct store *s, const char *const *keep, int64_t min_age,
	struct store_gc_stats *st, struct err *err);

/*
 * Import an OCI image-layout tarball or a `docker save` archive (plain or
 * gzip): verify every digest, unpack every layer not yet unpacked, add the
 * archive's refs to the index.  refs_out (may be NULL) gets the imported
 * refs, NULL-terminated.  Nothing half-written is left on failure.
 */
int store_import(struct store *s, const char *archive, char ***refs_out,
	struct err *err);

/*
 * Unpack one layer (tar, gzip or plain, from fd) into dir, which must not
 * exist yet: whiteouts (.wh.x) and opaque dirs (.wh..wh..opq) become
 * overlayfs whiteouts (0/0 char devices) and the trusted.overlay.opaque
 * xattr; hard links, symlinks, device nodes, modes, owners, mtimes and
 * xattrs kept.  Paths with "..", absolute paths and writes through
 * symlinks are refused (-EINVAL with the entry's name).  diffid (may be
 * NULL) gets "sha256:<hex>" of the uncompressed tar.
 */
int store_layer_unpack(int fd, const char *dir, char diffid[72],
	struct err *err);

/* ---- agent state files ---- */

/* temp file in the same dir, write, fsync, rename, fsync the dir. */
int store_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, struct err *err);

/* ---- store/ internals, declared here for tests and tools ---- */

#define STORE_JSON_MAX		(4 << 20)	/* manifests, configs, index */
#define STORE_PAX_MAX		(1 << 20)	/* one tar header's pax data */
#define STORE_DIGEST_LEN	71		/* "sha256:" + 64 hex */

/* sha256 over a stream; final writes "sha256:<hex>" into out[72]. */
struct store_sha {
	uint64_t ctx[16];		/* digest.c's, or an mbedtls context */
};
void store_sha_init(struct store_sha *h);
void store_sha_update(struct store_sha *h, const void *p, size_t n);
void store_sha_final(struct store_sha *h, char out[72]);
void store_sha_free(struct store_sha *h);
void store_sha_buf(const void *p, size_t n, char out[72]);
/* The implementation new contexts use: "x86-sha-ni", "arm64-sha2" (the
 * CPU's instructions) or "mbedtls"; the best this CPU runs unless
 * store_sha_use chose another (tests): -ENOTSUP when this CPU cannot
 * run it, -ENOENT for an unknown name. */
const char *store_sha_impl(void);
int store_sha_use(const char *name);
/* "sha256:" and exactly 64 lowercase hex digits. */
bool store_digest_valid(const char *d);

/*
 * A byte source (fd or memory), gunzipped when it starts with the gzip
 * magic; sha digests the bytes it hands out (a layer's diffid) unless
 * nodigest is set after opening.
 */
struct store_in {
	int fd;
	const unsigned char *mem;
	size_t memlen, mempos;
	bool gz, eof, zinit, nodigest;
	void *z;			/* z_stream */
	unsigned char *ibuf;
	size_t ilen, ipos;
	struct store_sha sha;
	int64_t nout;		/* bytes handed out */
};
int store_in_open_fd(struct store_in *in, int fd, struct err *err);
int store_in_open_mem(struct store_in *in, const void *p, size_t n,
	struct err *err);
/* Bytes read (0 at the end) or -errno. */
ssize_t store_in_read(struct store_in *in, void *buf, size_t n,
	struct err *err);
/* After error r from a reader above a gzip stream: read on, and when
 * the gzip data itself is corrupt, report that instead.  Returns r or
 * the gzip error. */
int store_in_blame(struct store_in *in, int r, struct err *err);
void store_in_close(struct store_in *in);

/* One tar entry; the strings live until the next store_tar_next. */
struct store_tar_xattr {
	char *name;
	char *value;
	size_t len;
};
struct store_tar_entry {
	char type;		/* '0' file, '1' hard link, '2' symlink,
				   '3' char, '4' block, '5' dir, '6' fifo */
	char *name, *linkname;
	mode_t mode;		/* permission bits incl. setuid/sticky */
	uid_t uid;
	gid_t gid;
	int64_t size;
	int64_t mtime_sec;
	long mtime_nsec;
	unsigned devmajor, devminor;
	struct store_tar_xattr *xattrs;
	size_t nxattrs;
};
struct store_tar {
	struct store_in *in;
	struct store_tar_entry e;
	int64_t left, pad;	/* of the current entry's data */
	bool done;
};
void store_tar_init(struct store_tar *t, struct store_in *in);
/* 1 and *e set, 0 at the end of the archive, or -errno. */
int store_tar_next(struct store_tar *t, struct store_tar_entry **e,
	struct err *err);
/* The current entry's data: bytes read, 0 at its end, or -errno. */
ssize_t store_tar_read(struct store_tar *t, void *buf, size_t n,
	struct err *err);
void store_tar_free(struct store_tar *t);

/* Unpack a layer stream into dir, which must exist and be empty; no
 * rename.  diffid gets the digest of the uncompressed tar. */
int store_layer_unpack_into(struct store_in *in, const char *dir,
	char diffid[72], struct err *err);

/* A tag as Docker allows: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool store_tag_valid(const char *t);

/* Map uname's machine to GOARCH (and variant, "" when none). */
void store_platform(char arch[16], char variant[8]);

/* ---- pulls from registries (registry.c, pull.c, pull_blob.c) ---- */

struct ev_loop;

/* One [registry.HOST] section of picolet.conf. */
struct store_registry_conf {
	const char *host;	/* as in refs: "ghcr.io", "localhost:5000" */
	const char *ca_file;	/* extra PEM bundle, or NULL */
	bool insecure;		/* plain HTTP (or TLS without verify when
				 * the host speaks TLS) */
	const char *mirror;	/* "https://mirror.local:5000", or NULL */
	const char *auth_file;	/* docker config.json, or NULL */
};

struct store_pull_opts {
	const char *ref;		/* normalized by the call */
	const struct store_registry_conf *regs;
	size_t nregs;
	const char *auth_file;		/* node-wide config.json, or NULL */
	const char *dockerconfigjson;	/* an imagePullSecret's, or NULL */
	unsigned idle_ms;		/* 0: 30 s without a byte fails */
	unsigned timeout_ms;		/* per request; 0: 1 hour */
};

struct store_pull;
/* error 0 or -errno; msg "" or why ("manifest unknown", "unauthorized:
 * ...", "no match for platform linux/arm64 in index", "digest mismatch
 * for blob sha256:..."). */
typedef void (*store_pull_done)(struct store_pull *p, int error,
	const char *msg, void *arg);

/*
 * Pull o->ref into s on loop: manifest (index resolved to this
 * platform), blobs streamed into tmp/ and verified, then unpacking in a
 * child process watched by its pidfd, then the ref in index.json.  done
 * is called once per waiter, from the loop, never inside this call; the
 * handle is freed after the last callback returns.  Fails at once only
 * for a bad ref (-EINVAL).
 */
int store_pull_start(struct ev_loop *loop, struct store *s,
	const struct store_pull_opts *o, store_pull_done done, void *arg,
	struct store_pull **out, struct err *err);
/* Another waiter on the same pull (core: one handle per ref). */
void store_pull_wait(struct store_pull *p, store_pull_done done, void *arg);
/* The normalized ref being pulled. */
const char *store_pull_ref(const struct store_pull *p);
/* Bytes of blobs in (resumed and skipped ones counted) and in total (0
 * until the manifest is known). */
void store_pull_progress(const struct store_pull *p, int64_t *done,
	int64_t *total);
/* Stop: no callback follows, the child (if any) is killed, partial blobs
 * stay in tmp/ for a later resume by this process. */
void store_pull_cancel(struct store_pull *p);

/* ---- registry.c: the pure parts, exposed for tests and fuzzing ---- */

#define STORE_REG_MAXREDIR	5

/* "docker.io/library/busybox:1" -> host "docker.io", api host
 * "registry-1.docker.io", repo "library/busybox", ref "1" (tag or
 * "sha256:..."). */
struct store_reg_ref {
	char host[256], api_host[256];
	char repo[256];
	char ref[128];
	bool by_digest;
};
int store_reg_ref_split(const char *norm, struct store_reg_ref *r,
	struct err *err);

/* "https://h:p/path?q" or "h:p" (then tls as given). */
struct store_reg_url {
	bool tls;
	char host[256];
	unsigned short port;
	char path[4096];	/* "/" when none (signed S3 URLs are long) */
};
int store_reg_url_parse(const char *url, bool dflt_tls,
	struct store_reg_url *u, struct err *err);

/*
 * The HTTP proxy for a request to host:port (https when tls), from
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY as Go reads them (store/proxy.c).
 * 0 with out set, -ENOENT for a direct connection, -EINVAL for a proxy
 * variable picolet cannot use (err says which).
 */
struct store_proxy {
	char host[256];
	unsigned short port;
	char creds[512];	/* "user:password" from the URL, or "" */
};
int store_proxy_for(bool tls, const char *host, unsigned short port,
	struct store_proxy *out, struct err *err);

/* A WWW-Authenticate challenge: Bearer realm=,service=,scope= or Basic. */
struct store_reg_challenge {
	char scheme[16];	/* "Bearer", "Basic" */
	char realm[1024], service[256], scope[512];
};
int store_reg_challenge_parse(const char *hdr, struct store_reg_challenge *c);

/* Credentials for host from a docker config.json ("auths"): out gets
 * "user:pass".  0 found, -ENOENT none, -EINVAL bad file. */
int store_reg_auth_lookup(const char *json, size_t len, const char *host,
	char *out, size_t outlen, struct err *err);
/* Standard base64 (with padding) of n bytes into out; -ENOSPC if small. */
int store_reg_base64(const void *p, size_t n, char *out, size_t outlen);

/* An image manifest or index, as a registry served it. */
struct store_reg_desc {
	char digest[72];
	char media[128];
	int64_t size;
};
struct store_reg_manifest {
	bool is_index;
	char media[128];	/* the media type it was taken as */
	struct store_reg_desc config;
	struct store_reg_desc *layers;
	size_t nlayers;
};
/* Parse by its media type (Content-Type, or the body's mediaType). */
int store_reg_manifest_parse(const char *body, size_t len, const char *ctype,
	struct store_reg_manifest *m, struct err *err);
void store_reg_manifest_free(struct store_reg_manifest *m);
/* Pick linux/arch[/variant] in an index body; the descriptor into d.
 * -ENOENT "no match for platform linux/arm64 in index". */
int store_reg_index_pick(const char *body, size_t len, const char *arch,
	const char *variant, struct store_reg_desc *d, struct err *err);

/* A partial blob of have bytes (want in all): 1 ask for a Range, 0 start
 * over (nothing kept, or what is kept is not shorter than the blob). */
int store_reg_resume_from(int64_t have, int64_t want);
/* Is a response to "Range: bytes=have-" one to append to: 206 with
 * Content-Range "bytes have-.../total". */
bool store_reg_range_ok(int status, const char *content_range, int64_t have,
	int64_t want);

/* The error message a registry's JSON error body gives, or "". */
void store_reg_error_msg(const char *body, size_t len, char *out,
	size_t outlen);

/* In a child: unpack the layers of a pulled manifest that are not
 * unpacked yet, verifying diffids, then put ref in the index.  Each blob
 * is in blobs/ or verified in partdir (<hex>.ok, not synced: it is
 * synced and moved into blobs/ here): the manifest and config are there;
 * layer blobs too when ready_fd is -1, else they are announced on
 * ready_fd as they arrive, one byte per layer in order, and each is
 * unpacked once it is there: EOF before the last is -ECANCELED, nothing
 * committed.  Synchronous, slow; never from the loop. */
int store_pull_commit(struct store *s, const char *partdir, const char *ref,
	const char *digest, const char *media, int64_t size, int ready_fd,
	struct err *err);

#endif
