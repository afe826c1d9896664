/*
 * decode: private to cfg/.  Typed reads of node-tree values with the
 * Kubernetes (YAML 1.1 via JSON) typing rules, each problem reported into
 * the diags with the node's line:col and the field path.  Functions
 * return 0 when a value was stored, 1 when the value was null (the field
 * counts as absent) and -1 after reporting an error.
 */
#ifndef PICOLET_CFG_DECODE_H
#define PICOLET_CFG_DECODE_H

#include "cfg/cfg.h"

#define DEC_PATH 256

/* "path.key" / "path[i]" into buf (DEC_PATH bytes). */
void dec_path(char *buf, const char *path, const char *key);
void dec_path_idx(char *buf, const char *path, size_t i);

void dec_error(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void dec_warn(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void dec_unknown(struct cfg_diags *d, const struct cfg_node *n,
	const char *path);
/* Required field key of map m is missing. */
void dec_missing(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, const char *key);

bool dec_is_null(const struct cfg_node *n);
/* Is n (error if not) a map / a list?  null is "absent": false, no error */
bool dec_map(struct cfg_diags *d, const struct cfg_node *n, const char *path);
bool dec_seq(struct cfg_diags *d, const struct cfg_node *n, const char *path);
/* A list item that must be an object: null is an error here. */
bool dec_item(struct cfg_diags *d, const struct cfg_node *n,
	const char *path);

int dec_str(struct cfg_diags *d, const struct cfg_node *n, const char *path,
	char **out);
/* Any scalar as text (quantities, which may be written as numbers). */
int dec_text(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, char **out);
/* dec_str for secret values: an error names the type, never the value. */
int dec_str_secret(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, char **out);
/* A quantity in bytes ("1Gi", 512): not negative. */
int dec_bytes(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, int64_t *out);
/* A file mode 0..0777: 0644 (YAML 1.1 octal), 0o644, 0x1a4 or 420. */
int dec_mode(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, int *out);
int dec_int(struct cfg_diags *d, const struct cfg_node *n, const char *path,
	int64_t min, int64_t max, int64_t *out);
int dec_int32(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, int min, int max, int *out);
int dec_bool(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, bool *out);
int dec_tri(struct cfg_diags *d, const struct cfg_node *n, const char *path,
	int *out);
int dec_strv(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, char ***out);
/* map of string to string; labels: keys and values checked as labels */
enum dec_kv_check { DEC_KV_ANY, DEC_KV_LABELS, DEC_KV_ANNOTATIONS };
int dec_kvs(struct cfg_diags *d, const struct cfg_node *n, const char *path,
	enum dec_kv_check check, struct cfg_kvs *out);
void dec_kvs_free(struct cfg_kvs *kvs);
/* Check a name with one of the cfg_check_* functions. */
void dec_name(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, const char *s, const char *(*check)(const char *),
	const char *what);

/*
 * Values of item field `field` must be unique across the lists seqs[]
 * (paths[] name them); each repeat is an error at its node.  Sorted, so
 * long lists stay O(n log n).
 */
void dec_dups(struct cfg_diags *d, const struct cfg_node *const *seqs,
	const char *const *paths, size_t nseqs, const char *field);
/* Sorted string set for "does this name exist" checks. */
struct dec_names {
	const char **v;
	size_t n;
};
void dec_names_sort(struct dec_names *s);
bool dec_names_has(const struct dec_names *s, const char *name);

/* container.c, probe.c */
/* metadata: name (a DNS-1123 subdomain), namespace, labels, ... */
void dec_meta(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, struct cfg_meta *meta);
void dec_meta_free(struct cfg_meta *meta);

struct cfg_security;
void dec_container(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, bool init, struct cfg_container *c);
void dec_container_free(struct cfg_container *c);
void dec_security(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, struct cfg_security *s, int64_t *fs_group);
void dec_security_free(struct cfg_security *s);
void dec_probe(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, bool liveness_like, struct cfg_probe *p);
void dec_handler(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, struct cfg_handler *h);
void dec_handler_free(struct cfg_handler *h);
void dec_env(struct cfg_diags *d, const struct cfg_node *n, const char *path,
	struct cfg_container *ct);
void dec_env_from(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, struct cfg_container *ct);
/* hostalias.c: spec.hostAliases */
void dec_host_aliases(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, struct cfg_pod *pod);
void dec_host_aliases_free(struct cfg_pod *pod);
void dec_mounts(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, struct cfg_container *ct);

/* volume.c: spec.volumes into pod->volumes */
void dec_volumes(struct cfg_diags *d, const struct cfg_node *n,
	const char *path, struct cfg_pod *pod);
void dec_volume_free(struct cfg_volume *v);
/* volume_src.c: one configMap/secret/downwardAPI source (v: a volume's,
 * for defaultMode; NULL in a projected volume) and projected volumes. */
void dec_vol_source(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, enum cfg_vol_kind kind, const char *name_key,
	struct cfg_volume *v, struct cfg_vol_source *s);
void dec_vol_projected(struct cfg_diags *d, const struct cfg_node *m,
	const char *path, struct cfg_volume *v);

#endif
