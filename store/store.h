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
	uint64_t ctx[16];		/* an mbedtls_sha256_context */
};
void store_sha_init(struct store_sha *h);
void store_sha_update(struct store_sha *h, const void *p, size_t n);
void store_sha_final(struct store_sha *h, char out[72]);
void store_sha_free(struct store_sha *h);
void store_sha_buf(const void *p, size_t n, char out[72]);
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

#endif
