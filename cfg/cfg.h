/*
 * cfg: reading input.  The agent's INI config (inih), and manifests:
 * libyaml into a node tree that keeps line and column, then decoders from
 * that tree into the typed structs below, with validation whose errors
 * name file:line:col and the field path.  cfg/ knows nothing of the loop.
 *
 * Ownership: every struct here owns all its strings and arrays; free a
 * whole object with its *_free function.  Unset optional numbers are -1,
 * unset optional strings NULL, unset tri-state booleans -1.
 */
#ifndef PICOLET_CFG_H
#define PICOLET_CFG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* ---- agent config: /etc/picolet/picolet.conf ---- */

/* [registry.HOST]: how to reach one registry (HOST as in image refs:
 * "ghcr.io", "localhost:5000"). */
#define CFG_REGISTRY_MAX 16
struct cfg_registry {
	char host[256];
	char ca[256];			/* extra CA bundle (PEM), "" none */
	bool insecure;			/* plain HTTP or unverified TLS */
	char mirror[256];		/* URL tried first, "" none */
	char auth[256];			/* docker config.json, "" none */
};

struct cfg_conf {
	/* [paths] */
	char manifests[PATH_MAX];	/* /etc/manifests */
	char state[PATH_MAX];		/* /var/lib/picolet */
	char run[PATH_MAX];		/* /run/picolet */
	char logs[PATH_MAX];		/* /var/log/pods */
	char shim[PATH_MAX];		/* "": picolet-shim next to picolet */
	char cgroup[256];		/* picolet: our cgroup, in each hierarchy */
	/* [api] */
	char socket[PATH_MAX];		/* /run/picolet/picolet.sock */
	char listen[128];		/* "": off */
	/* [network] */
	char bridge[16];		/* pico0 */
	char pod_cidr[64];		/* 10.88.0.0/16 */
	char service_cidr[64];		/* 10.96.0.0/16 */
	int nodeport_min, nodeport_max;	/* 30000-32767 */
	bool keep_bridge;		/* false: the bridge goes with the last pod */
	/* [node] */
	char node_name[254];		/* "": hostname */
	char node_labels[1024];		/* k=v,k2=v2 (validated) */
	/* [limits] */
	int64_t pids;			/* pids limit per pod: 1024 */
	int64_t log_max_size;		/* bytes, "10Mi" */
	int log_max_files;		/* 5 */
	/* [agent] */
	bool drain;			/* stop all pods when picolet stops */
	int debounce_ms;		/* 100: settle time for in-place writes */
	char log_level[16];		/* info: debug|info|warn|error */
	/* [volumes] */
	bool reclaim_delete;		/* reclaim = Delete: a claim's data goes
					 * with its manifest (default Retain) */
	/* [images]: image GC, as kubelet's imageGC*ThresholdPercent */
	int gc_high;			/* 85: % of the store's filesystem used */
	int gc_low;			/* 80: ... down to this */
	int gc_min_age;			/* 120 s: younger images and files stay */
	char preload[PATH_MAX];		/* dir of archives imported at start
					 * (kept there), "" none */
	/* [registry] auth = FILE, then one [registry.HOST] each */
	char registry_auth[256];	/* node-wide config.json, "" none */
	struct cfg_registry registries[CFG_REGISTRY_MAX];
	int nregistries;
};

/* Fill c with the built-in defaults. */
void cfg_conf_defaults(struct cfg_conf *c);
/*
 * Read path over the defaults.  A missing file is -ENOENT (the caller
 * decides whether that is fine).  Unknown section or key, or a bad value:
 * -EINVAL with err = "FILE:LINE: [section] key: what is wrong".
 */
int cfg_conf_load(struct cfg_conf *c, const char *path, struct err *err);

/* ---- YAML node tree ---- */

enum cfg_node_type { CFG_SCALAR, CFG_SEQ, CFG_MAP };

struct cfg_node {
	enum cfg_node_type type;
	int line, col;			/* 1-based, of the node's start */
	char *tag;			/* explicit tag or NULL */
	bool quoted;			/* quoted or block scalar: "1" is a
					 * string, plain 1 an integer */
	char *key;			/* when the parent is a map */
	int key_line, key_col;
	char *value;			/* CFG_SCALAR */
	size_t vlen;
	struct cfg_node *child;		/* items / members in order */
	struct cfg_node *next;
	size_t n;
};

void cfg_node_free(struct cfg_node *n);
const struct cfg_node *cfg_node_get(const struct cfg_node *map, const char *key);

/* ---- diagnostics ---- */

enum cfg_severity { CFG_WARNING, CFG_ERROR };

struct cfg_diag {
	enum cfg_severity sev;
	int line, col;
	char path[256];			/* field path: spec.containers[0].image */
	char msg[256];			/* what was expected / what is wrong */
};

/* A bounded list of diagnostics for one file. */
#define CFG_MAXDIAG 32
struct cfg_diags {
	struct cfg_diag d[CFG_MAXDIAG];
	size_t n;
	size_t nerrors;
	size_t dropped;			/* past CFG_MAXDIAG */
};

/* "FILE:LINE:COL: path: msg"; warnings read "FILE:LINE:COL: warning: ..."
 * and an empty path is left out. */
void cfg_diag_format(const struct cfg_diag *d, const char *file, char *buf,
	size_t len);

/* ---- Kubernetes objects ---- */

struct cfg_kv {
	char *key;
	char *value;
};

struct cfg_kvs {
	struct cfg_kv *v;
	size_t n;
};

const char *cfg_kvs_get(const struct cfg_kvs *kvs, const char *key);

struct cfg_meta {
	char *name;
	char *namespace;		/* "default" when absent */
	char *generate_name;
	struct cfg_kvs labels;
	struct cfg_kvs annotations;
	int line;			/* line of the object's first key */
};

/* env[]: value, or valueFrom kept for the issue that brings it to life */
enum cfg_env_src {
	CFG_ENV_VALUE,
	CFG_ENV_FIELD,			/* fieldRef.fieldPath */
	CFG_ENV_RESOURCE,		/* resourceFieldRef.resource (+divisor) */
	CFG_ENV_CONFIGMAP,		/* configMapKeyRef name/key/optional */
	CFG_ENV_SECRET,			/* secretKeyRef name/key/optional */
};

struct cfg_env {
	char *name;
	char *value;			/* CFG_ENV_VALUE ("" when absent) */
	enum cfg_env_src src;
	char *ref_name;			/* configmap/secret name, or container */
	char *ref_key;			/* key, fieldPath or resource */
	char *divisor;
	bool optional;
};

struct cfg_env_from {
	char *prefix;
	bool is_secret;			/* secretRef, else configMapRef */
	char *name;
	bool optional;
};

struct cfg_port {
	char *name;			/* IANA_SVC_NAME or NULL */
	int container_port;
	int host_port;			/* 0: none */
	char *host_ip;
	char *protocol;			/* TCP (default), UDP, SCTP */
};

/* Quantities: cpu in millicores, memory in bytes; -1 when unset. */
struct cfg_resources {
	int64_t cpu_request, cpu_limit;
	int64_t mem_request, mem_limit;
};

struct cfg_security {
	int64_t run_as_user, run_as_group;	/* -1 unset */
	int run_as_non_root;			/* -1 unset */
	int privileged;				/* -1 unset */
	int read_only_rootfs;			/* -1 unset */
	int allow_privilege_escalation;		/* -1 unset */
	char **cap_add, **cap_drop;		/* "NET_ADMIN" or "ALL", no CAP_ */
};

enum cfg_handler_type { CFG_H_NONE, CFG_H_EXEC, CFG_H_HTTP, CFG_H_TCP };

struct cfg_handler {			/* probes and lifecycle hooks */
	enum cfg_handler_type type;
	char **exec;			/* exec.command */
	char *path;			/* httpGet.path ("/" default) */
	int port;			/* by number, or */
	char *port_name;		/* by container port name */
	char *host;
	char *scheme;			/* HTTP (default) or HTTPS */
	struct cfg_kvs http_headers;
};

struct cfg_probe {
	bool set;
	struct cfg_handler h;
	int initial_delay;		/* 0 */
	int period;			/* 10 */
	int timeout;			/* 1 */
	int success_threshold;		/* 1 */
	int failure_threshold;		/* 3 */
	int64_t termination_grace;	/* -1 unset */
};

struct cfg_volume_mount {
	char *name;
	char *mount_path;
	char *sub_path;
	bool read_only;
	char *propagation;		/* None, HostToContainer, Bidirectional */
};

enum cfg_pull_policy { CFG_PULL_ALWAYS, CFG_PULL_IF_NOT_PRESENT,
	CFG_PULL_NEVER };

struct cfg_container {
	char *name;
	char *image;
	enum cfg_pull_policy pull_policy;	/* defaulted as Kubernetes */
	char **command, **args;			/* NULL when absent */
	char *working_dir;
	struct cfg_env *env;
	size_t nenv;
	struct cfg_env_from *env_from;
	size_t nenv_from;
	struct cfg_port *ports;
	size_t nports;
	struct cfg_resources res;
	struct cfg_security sec;
	struct cfg_probe liveness, readiness, startup;
	struct cfg_handler post_start, pre_stop;
	struct cfg_volume_mount *mounts;
	size_t nmounts;
	char *termination_message_path;	/* /dev/termination-log */
	char *termination_message_policy; /* File */
	char *restart_policy;		/* init containers: "Always" or NULL */
	bool stdin_, tty;
	int line;
};

/* ---- volumes ---- */

enum cfg_vol_kind {
	CFG_VOL_OTHER,			/* a type picolet does not serve */
	CFG_VOL_EMPTYDIR,
	CFG_VOL_HOSTPATH,
	CFG_VOL_CONFIGMAP,
	CFG_VOL_SECRET,
	CFG_VOL_DOWNWARD,		/* downwardAPI */
	CFG_VOL_PROJECTED,
	CFG_VOL_PVC,			/* persistentVolumeClaim */
};

/* items[] of a configMap or secret source: key to a relative path. */
struct cfg_key_path {
	char *key;
	char *path;			/* relative, no "..", not empty */
	int mode;			/* -1: the volume's defaultMode */
};

/* items[] of a downwardAPI source. */
struct cfg_field_path {
	char *path;
	char *field_path;		/* metadata.name|namespace|uid|labels|
					 * annotations, metadata.labels['k'],
					 * metadata.annotations['k']; or NULL */
	char *resource;			/* resourceFieldRef: limits.cpu, ...
					 * (container_name, divisor); or NULL */
	char *container_name;
	char *divisor;
	int mode;			/* -1: the volume's defaultMode */
};

/*
 * One source of files: a configMap, secret or downwardAPI volume has one,
 * a projected volume one per sources[] entry (serviceAccountToken and
 * clusterTrustBundle sources are refused as unsupported).
 */
struct cfg_vol_source {
	enum cfg_vol_kind kind;		/* CONFIGMAP, SECRET or DOWNWARD */
	char *name;			/* configMap name / secretName */
	struct cfg_key_path *items;	/* NULL, nitems 0: every key */
	size_t nitems;
	struct cfg_field_path *fields;	/* DOWNWARD */
	size_t nfields;
	bool optional;
};

enum cfg_host_type { CFG_HOST_ANY, CFG_HOST_DIR_OR_CREATE, CFG_HOST_DIR,
	CFG_HOST_FILE_OR_CREATE, CFG_HOST_FILE, CFG_HOST_SOCKET,
	CFG_HOST_CHAR, CFG_HOST_BLOCK };

struct cfg_volume {
	char *name;
	char *type;			/* as written: emptyDir, hostPath, ... */
	enum cfg_vol_kind kind;
	const struct cfg_node *node;	/* the source's value, in cfg_pod.tree */
	/* emptyDir */
	bool memory;			/* medium: Memory (tmpfs) */
	int64_t size_limit;		/* bytes, -1 unset (0 too: the
					 * kubelet reads 0 as no limit) */
	/* hostPath */
	char *host_path;		/* absolute, no ".." component */
	enum cfg_host_type host_type;
	/* configMap, secret, downwardAPI (one source), projected (several) */
	struct cfg_vol_source *srcs;
	size_t nsrcs;
	int default_mode;		/* 0644 (octal, 0-0777) */
	/* persistentVolumeClaim */
	char *claim;
	bool read_only;
};

enum cfg_restart_policy { CFG_RESTART_ALWAYS, CFG_RESTART_ON_FAILURE,
	CFG_RESTART_NEVER };

/* spec.hostAliases[]: one /etc/hosts line each */
struct cfg_host_alias {
	char *ip;			/* IPv4 or IPv6, checked */
	char **hostnames;		/* DNS-1123 subdomains; may be NULL */
};

struct cfg_pod {
	struct cfg_meta meta;
	struct cfg_container *containers;
	size_t ncontainers;
	struct cfg_container *init_containers;
	size_t ninit_containers;
	struct cfg_volume *volumes;
	size_t nvolumes;
	enum cfg_restart_policy restart_policy;	/* Always */
	int64_t grace_period;			/* 30 */
	int64_t active_deadline;		/* -1 */
	char *hostname, *subdomain;
	struct cfg_host_alias *host_aliases;
	size_t nhost_aliases;
	bool host_network, host_pid, host_ipc;
	bool share_process_namespace;
	char *service_account;
	char **image_pull_secrets;
	struct cfg_kvs node_selector;
	struct cfg_security sec;		/* pod-level securityContext */
	int64_t fs_group;
	/*
	 * sha256 (hex) of the canonical form of .spec: map keys sorted,
	 * scalars as written.  Equal hashes mean "same spec, keep the pod";
	 * a change to metadata alone keeps the hash.
	 */
	char spec_hash[65];
	struct cfg_node *tree;			/* the object's whole node tree */
};

void cfg_pod_free(struct cfg_pod *p);

/* kind Service (v1) */
enum cfg_svc_type { CFG_SVC_CLUSTER_IP, CFG_SVC_NODE_PORT,
	CFG_SVC_LOAD_BALANCER };

struct cfg_svc_port {
	char *name;			/* required when there are several */
	char *protocol;			/* TCP (default), UDP */
	int port;
	int target_port;		/* 0: by name, or the port when absent */
	char *target_name;		/* targetPort as a container port name */
	int node_port;			/* 0: allocate (NodePort) or none */
	int line;
};

struct cfg_service {
	struct cfg_meta meta;
	enum cfg_svc_type type;
	struct cfg_kvs selector;	/* n == 0: no selector (Endpoints) */
	bool has_selector;
	char *cluster_ip;		/* NULL: allocate; "None": headless */
	struct cfg_svc_port *ports;
	size_t nports;
	bool affinity_client_ip;	/* sessionAffinity: ClientIP */
	int affinity_timeout;		/* 10800 */
	char spec_hash[65];
	struct cfg_node *tree;
};

int cfg_service_decode(struct cfg_node *tree, const char *path,
	struct cfg_service **out, struct cfg_diags *d);
void cfg_service_free(struct cfg_service *s);

/* kind Endpoints (v1), for Services without a selector */
struct cfg_ep_addr {
	char *ip;
	bool ready;			/* addresses vs notReadyAddresses */
};

struct cfg_ep_port {
	char *name;
	char *protocol;
	int port;
};

struct cfg_ep_subset {
	struct cfg_ep_addr *addrs;
	size_t naddrs;
	struct cfg_ep_port *ports;
	size_t nports;
};

struct cfg_endpoints {
	struct cfg_meta meta;
	struct cfg_ep_subset *subsets;
	size_t nsubsets;
	struct cfg_node *tree;
};

int cfg_endpoints_decode(struct cfg_node *tree, const char *path,
	struct cfg_endpoints **out, struct cfg_diags *d);
void cfg_endpoints_free(struct cfg_endpoints *e);

/*
 * kind ConfigMap and kind Secret (v1): one struct for both.  Values are
 * bytes: ConfigMap data and binaryData (base64) merged, Secret data
 * (base64) with stringData on top.  Sorted by key; keys are unique and
 * valid (cfg_check_config_key); the values' total is at most
 * CFG_CONFIG_MAX bytes.  A Secret's values must never reach disk, logs or
 * events: only keys and sizes may be shown.
 */
#define CFG_CONFIG_MAX (1024 * 1024)

struct cfg_blob {
	char *key;
	unsigned char *data;		/* NUL-terminated past len, for text */
	size_t len;
	bool binary;			/* a ConfigMap's binaryData */
};

struct cfg_config {
	struct cfg_meta meta;
	bool secret;			/* kind Secret */
	char *type;			/* Secret: "Opaque" default; else NULL */
	struct cfg_blob *data;
	size_t ndata;
	size_t bytes;			/* sum of the values' lengths */
	bool immutable;
	char data_hash[65];		/* sha256 hex of keys and values */
	struct cfg_node *tree;		/* freed after decoding: NULL */
};

int cfg_config_decode(struct cfg_node *tree, const char *path, bool secret,
	struct cfg_config **out, struct cfg_diags *d);
void cfg_config_free(struct cfg_config *c);
const struct cfg_blob *cfg_config_get(const struct cfg_config *c,
	const char *key);

/* kind PersistentVolumeClaim (v1): bound to a directory on this node. */
struct cfg_pvc {
	struct cfg_meta meta;
	int64_t request;		/* resources.requests.storage, bytes */
	char *request_text;		/* as written: "1Gi" */
	char **access_modes;		/* ReadWriteOnce, ... (kept, shown) */
	char *storage_class;		/* NULL */
	char *volume_mode;		/* Filesystem (Block is refused) */
	struct cfg_node *tree;
};

int cfg_pvc_decode(struct cfg_node *tree, const char *path,
	struct cfg_pvc **out, struct cfg_diags *d);
void cfg_pvc_free(struct cfg_pvc *c);

/* One object of a manifest file. */
enum cfg_kind { CFG_KIND_UNKNOWN, CFG_KIND_POD, CFG_KIND_SERVICE,
	CFG_KIND_ENDPOINTS, CFG_KIND_CONFIG, CFG_KIND_PVC };

struct cfg_object {
	enum cfg_kind kind;
	char *kind_name;		/* as written: "Pod", "Deployment", ... */
	char *api_version;
	char *namespace, *name;		/* copies of the decoded metadata */
	int doc;			/* 0-based document index in the file */
	int line;
	union {
		struct cfg_pod *pod;
		struct cfg_service *svc;
		struct cfg_endpoints *ep;
		struct cfg_config *cfg;		/* ConfigMap or Secret */
		struct cfg_pvc *pvc;
	} u;
	struct cfg_node *tree;		/* CFG_KIND_UNKNOWN: kept for later */
};

void cfg_object_free(struct cfg_object *o);

/*
 * Parse every document of one manifest file (YAML, multi-document, or
 * JSON).  Decoding and validation errors are collected in diags; when
 * diags->nerrors > 0 the call returns -EINVAL and no objects (the file is
 * rejected whole, so the caller keeps its last good version).  Warnings
 * (unknown fields, unknown kinds) do not fail the file.  Empty documents
 * are skipped.  Files over CFG_MAX_FILE bytes are refused by the caller.
 * 4 MiB: room for a Secret of CFG_CONFIG_MAX bytes in base64 (x4/3, with
 * line breaks), so one just over the limit gets its own "Too long" error.
 */
#define CFG_MAX_FILE (4 * 1024 * 1024)
int cfg_manifest_parse(const char *data, size_t len,
	struct cfg_object **objs, size_t *nobjs, struct cfg_diags *diags);
void cfg_objects_free(struct cfg_object *objs, size_t n);

/* ---- validation and quantities (used by decoders, and by core) ---- */

/* DNS-1123 subdomain (pod names, namespaces are labels): NULL when valid,
 * else the reason. */
const char *cfg_check_dns1123_label(const char *s);
const char *cfg_check_dns1123_subdomain(const char *s);
const char *cfg_check_label_key(const char *s);
const char *cfg_check_label_value(const char *s);

/* "500m" -> 500, "2" -> 2000, "0.5" -> 500 */
int cfg_parse_cpu(const char *s, int64_t *millis);
/* "128Mi", "1G", "1e3", "129M", "123456" -> bytes */
int cfg_parse_memory(const char *s, int64_t *bytes);

/* Label selector "a=b,c!=d,e in (f,g),!h,h"; the matched object's labels. */
struct cfg_selector;
int cfg_selector_parse(const char *s, struct cfg_selector **out,
	struct err *err);
bool cfg_selector_match(const struct cfg_selector *sel,
	const struct cfg_kvs *labels);
void cfg_selector_free(struct cfg_selector *sel);

/* ---- inside cfg/ (and for tests): the pieces the decoders share ---- */

/*
 * Parse a YAML (or JSON) stream into one tree per document.  Aliases are
 * refused (billion-laughs safe), depth is capped at CFG_MAX_DEPTH, nodes
 * at CFG_MAX_NODES.  Errors go to diags with libyaml's problem mark;
 * returns -EINVAL and no trees when there is one.
 */
#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 200000
int cfg_yaml_parse(const char *data, size_t len, struct cfg_node ***docs,
	size_t *ndocs, struct cfg_diags *diags);
void cfg_docs_free(struct cfg_node **docs, size_t n);

void cfg_diags_init(struct cfg_diags *d);
void cfg_diag_add(struct cfg_diags *d, enum cfg_severity sev, int line,
	int col, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Generic Kubernetes quantity: ceil(value * 10^scale); "1.5Ki", 3 -> ... */
int cfg_parse_quantity(const char *s, int scale, int64_t *out);

/* IANA_SVC_NAME (port names), C-ish env names, capability names. */
const char *cfg_check_port_name(const char *s);
const char *cfg_check_env_name(const char *s);
/* ConfigMap and Secret keys: [-._a-zA-Z0-9]+, <= 253, not "." or "..",
 * not starting with "..". */
const char *cfg_check_config_key(const char *s);
/* A relative path inside a volume (items[].path, subPath): not empty, not
 * absolute, no ".." component; NULL when valid. */
const char *cfg_check_rel_path(const char *s);
const char *cfg_check_cap_name(const char *s);

/*
 * Decode one Pod object.  Takes the tree (on failure too; on success it
 * becomes (*out)->tree).  path prefixes field paths ("items[2]." in a
 * List).  -EINVAL when diags got an error.
 */
int cfg_pod_decode(struct cfg_node *tree, const char *path,
	struct cfg_pod **out, struct cfg_diags *diags);
/* sha256 hex of the canonical form of a subtree (see cfg_pod.spec_hash). */
void cfg_node_hash(const struct cfg_node *n, char out[65]);

/* Selector requirements, exposed for tests and status output. */
enum cfg_sel_op { CFG_SEL_EQ, CFG_SEL_NE, CFG_SEL_IN, CFG_SEL_NOTIN,
	CFG_SEL_EXISTS, CFG_SEL_NOT_EXISTS };
struct cfg_sel_req {
	enum cfg_sel_op op;
	char *key;
	char **values;			/* NULL-terminated; EQ/NE: one */
};
struct cfg_selector {
	struct cfg_sel_req *reqs;
	size_t n;
};

#endif
