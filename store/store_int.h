/*
 * store_int: what the files of store/ share and nobody else sees.
 */
#ifndef PICOLET_STORE_INT_H
#define PICOLET_STORE_INT_H

#include "lib/json.h"
#include "store/store.h"

#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER	"application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ	"application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define ANNOT_REF	"org.opencontainers.image.ref.name"
#define ANNOT_CTRD	"io.containerd.image.name"
#define REF_MAX		512

/* The hash of a part file a pull left short (pull_blob.c), so that the
 * next pull of that blob goes on from there without reading it again. */
struct part_sha {
	char hex[65];		/* "" when free */
	int64_t have;		/* the part's size it covers */
	struct store_sha sha;
};
#define PART_SHAS	4

struct store {
	char *root;		/* <state>/images */
	char *import;
	char *tmp;
	struct part_sha parts[PART_SHAS];	/* the loop's pulls' */
	size_t next_part;
	struct store_pull *pulls;	/* in progress, on the loop */
};

/* index.json as a list; entries without a ref are kept as they are. */
struct idx_ent {
	char *ref;
	char *digest;
	char *media;
	int64_t size;
};
struct idx {
	struct idx_ent *e;
	size_t n;
};

int idx_lock(struct store *s, struct err *err);	/* fd or -errno */
void idx_unlock(int fd);
int idx_read(struct store *s, struct idx *x, struct err *err);
int idx_write(struct store *s, const struct idx *x, struct err *err);
void idx_put(struct idx *x, const char *ref, const char *digest,
	const char *media, int64_t size);
bool idx_del(struct idx *x, const char *ref);
void idx_free(struct idx *x);

/*
 * The ref an OCI descriptor's annotations name, normalized.  A full name
 * is taken as it is; a ref.name that is only a tag (what skopeo writes
 * for "oci-archive:x.tar:1.36") becomes "localhost/<hint>:<tag>".
 * 0 and out set, 1 when no ref is named, -EINVAL when it is invalid.
 */
int ref_from_annotations(const struct json *annots, const char *hint,
	char *out, size_t outlen, struct err *err);

/* Remove what dead processes left in tmp/ (slow: not on the loop). */
void tmp_clear_stale(struct store *s);
/* <root>/blobs/sha256/<hex> for a valid digest. */
char *blob_path(const struct store *s, const char *digest);
/* <partdir>/<hex>.ok: a pull's verified blob, not synced yet. */
char *blob_ok_path(const char *partdir, const char *digest);
/* Move <partdir>/<hex>.ok into blobs/, synced (pull_commit.c; in a
 * child, never on the loop): 0 once blobs/ has it, whole. */
int blob_settle(const struct store *s, const char *partdir,
	const char *digest, struct err *err);
char *layer_path(const struct store *s, const char *diffid);
/* A JSON blob, read and parsed (<= STORE_JSON_MAX). */
int blob_json(const struct store *s, const char *digest, struct json **out,
	struct err *err);

/* ---- one import in progress (import.c, docker.c) ---- */

struct file {
	char *name;		/* in the archive, cleaned */
	char *path;		/* in tmp/, NULL for an alias */
	char *alias;		/* link target (archive name) */
	int64_t size;
	char digest[72];
	bool gz;
};

struct move {
	char *from, *to;
};

struct imp {
	struct store *s;
	char *dir;
	char hint[128];
	struct file *f;
	size_t nf;
	struct move *mv;	/* done at commit, in order */
	size_t nmv;
	struct idx add;
	int seq;
};

/* A file by its name in the archive, links followed; NULL if absent. */
struct file *imp_find(struct imp *m, const char *name);
struct file *imp_add_file(struct imp *m, const char *name);
int imp_file_json(struct imp *m, const char *name, struct json **out,
	struct err *err);
/* blobs/sha256/<hex> of the archive, its content checked. */
struct file *imp_blob(struct imp *m, const char *digest, struct err *err);
/* A JSON blob of the archive, content checked, parsed. */
int imp_blob_json(struct imp *m, const char *digest, struct json **out,
	struct err *err);
/* Verify a manifest, its config and layers; unpack what is new. */
int imp_image_manifest(struct imp *m, const char *digest, struct err *err);
/* index.json of an OCI layout: its named images. */
int imp_oci_layout(struct imp *m, struct err *err);
/* manifest.json of a docker save archive: its tagged images. */
int imp_docker_archive(struct imp *m, struct err *err);

#endif
