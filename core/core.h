/*
 * core: the loop and the object model.  One agent owns everything: the
 * manifest files and the objects they hold, the pods made from them, the
 * event ring, the HTTP endpoint.  Library folders (cfg, store, runtime,
 * net) never call back into core except through callbacks registered here.
 *
 * Ownership: struct agent owns its lists; a pod owns its containers; a
 * manifest file owns its last good objects.  Nothing is freed inside its
 * own watcher callback: objects are marked dead and freed from the loop's
 * prepare step (agent_reap).
 */
#ifndef PICOLET_CORE_H
#define PICOLET_CORE_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "cfg/cfg.h"
#include "lib/buf.h"
#include "runtime/rt.h"

#ifndef TAILQ_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct agent;
struct pod;

/* ---- events: a bounded ring of Kubernetes-style Events ---- */

#define EVENTS_MAX 512

struct event {
	uint64_t seq;
	bool warning;
	char kind[16];			/* Pod, Manifest */
	char ns[64], name[254], uid[40];
	char field[96];			/* spec.containers{name} or "" */
	char reason[48];
	char message[512];
	int count;
	int64_t first_ns, last_ns;
};

struct events {
	struct event ring[EVENTS_MAX];
	size_t head, n;			/* oldest at head */
	uint64_t seq;
};

void events_add(struct events *ev, bool warning, const char *kind,
	const char *ns, const char *name, const char *uid, const char *field,
	const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
const struct event *events_at(const struct events *ev, size_t i);

/* ---- jobs: slow work in a child process, completion as an event ---- */

struct job;
typedef int (*job_fn)(void *arg, struct err *err);
/* status: what fn returned (or -EINTR when killed); msg: its err (on
 * success too, when fn left a note there). */
typedef void (*job_done_fn)(void *arg, int status, const char *msg);
int job_run(struct agent *a, job_fn fn, job_done_fn done, void *arg,
	struct err *err);

/* ---- back-off: kubelet's per-container restart back-off ---- */

#define BACKOFF_INITIAL_NS (10LL * 1000000000)
#define BACKOFF_MAX_NS (300LL * 1000000000)

struct backoff {
	int64_t delay;			/* 0: no entry */
	int64_t last;			/* when the last restart was allowed */
};

/* ns to wait before restarting a container that finished at finished_ns,
 * 0 when it may restart now (then backoff_next must be called). */
int64_t backoff_wait(const struct backoff *b, int64_t now, int64_t finished);
void backoff_next(struct backoff *b, int64_t now, int64_t finished);

/* ---- pod specs: shared by manifest files and pods, counted ---- */

struct podspec {
	int refs;
	struct cfg_pod *cfg;
};

struct podspec *podspec_new(struct cfg_pod *cfg);	/* takes cfg */
struct podspec *podspec_ref(struct podspec *ps);
void podspec_unref(struct podspec *ps);

/* ---- probes ---- */

enum probe_kind { PROBE_STARTUP, PROBE_LIVENESS, PROBE_READINESS,
	PROBE_NKINDS, PROBE_HOOK = PROBE_NKINDS };

struct ctr;
struct net_httpc;

/* One probe of one container; lives inside struct ctr. */
struct probe {
	struct ctr *c;
	enum probe_kind kind;
	const struct cfg_probe *spec;	/* NULL: not probing */
	ev_timer tick;			/* next attempt */
	ev_timer deadline;		/* timeoutSeconds of the attempt */
	bool busy;			/* an attempt is in flight */
	int successes, failures;	/* in a row */
	int state;			/* -1 unknown, 0 failing, 1 passing */
	int64_t attempt_ns;
	char where[160];		/* what the attempt reaches, for messages */
	char msg[512];			/* why the last attempt failed */
	/* the attempt in flight */
	int fd;				/* tcpSocket */
	ev_io io;
	struct net_httpc *http;		/* httpGet */
	struct rt_exec_proc exec;	/* exec */
	bool exec_live;
	int outfd;
	ev_io exec_w, out_w;
	char out[1024];
	size_t outlen;
	/* a hook: one attempt, and this instead of the probe rules */
	void (*done)(struct probe *pr, bool ok, const char *msg);
};

void probes_start(struct ctr *c);
void probes_stop(struct ctr *c);
/* Start an attempt; < 0 with msg when it failed at once. */
int probe_attempt(struct probe *pr, char *msg, size_t len);
void probe_done(struct probe *pr, bool ok, const char *msg);
void probe_cancel(struct probe *pr);
int probe_exec(struct probe *pr, char *msg, size_t len);
void probe_exec_cancel(struct probe *pr);
void probe_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* lifecycle hooks (hook.c): true when one now runs */
bool hook_post_start(struct ctr *c);
bool hook_pre_stop(struct ctr *c, int64_t grace_ns);
void hook_cancel(struct ctr *c);

/* ---- containers ---- */

enum ctr_state { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED };

struct ctr_term {			/* a terminated state */
	bool set;
	int exit_code, signal;
	char reason[64], message[512];
	int64_t started_ns, finished_ns;
	char id[65];
};

struct ctr {
	struct pod *pod;
	int idx;
	bool init;			/* an init container */
	bool sidecar;			/* ... with restartPolicy Always */
	const struct cfg_container *spec;	/* into pod->spec */
	char name[64];

	enum ctr_state state;
	char reason[64], message[512];	/* waiting */
	struct ctr_term term;		/* current, when CTR_TERMINATED */
	struct ctr_term last;		/* lastState */
	int64_t started_ns;		/* running since */
	int restarts;
	bool ready;
	char id[65];
	char image_id[80];		/* sha256:... of the config */
	struct backoff backoff;
	struct core_pull *pull;		/* the pull it waits for, or NULL */
	bool pulled;			/* that pull succeeded: start now */
	struct backoff pull_backoff;	/* after failed pulls */
	int64_t pull_failed_ns;

	pid_t shim_pid, pid;
	uint64_t pid_start;		/* the workload's starttime */
	int shim_pidfd, pidfd, status_fd;
	bool shim_child;		/* ours to reap */
	ev_io shim_w, status_w;
	char status_line[1024];
	size_t status_len;
	ev_timer restart_t;		/* back-off, or a retry */
	bool backoff_pending;		/* restart_t is a back-off restart */
	char dir[4096];			/* run dir: <run>/pods/<uid>/<name> */
	bool stopping;			/* SIGTERM sent */
	bool started;			/* the startup probe passed (or none) */
	bool adopt_ready, adopt_started;	/* as saved, for adoption */
	struct probe probes[PROBE_NKINDS];
	struct probe hook;		/* postStart or preStop in flight */
	struct cfg_probe hook_spec;
	ev_timer kill_t;		/* SIGKILL when its own grace is over */
};

/* ---- pods ---- */

enum pod_phase { PHASE_PENDING, PHASE_RUNNING, PHASE_SUCCEEDED,
	PHASE_FAILED };
extern const char *const pod_phase_names[];

struct pod {
	TAILQ_ENTRY(pod) entry;
	struct agent *a;
	struct podspec *ps;		/* NULL for an orphan found at start */
	const struct cfg_pod *spec;	/* ps->cfg, or NULL */
	char ns[64], name[254];
	char uid[40];
	char spec_hash[65];
	int64_t created_ns, start_ns;
	int64_t deletion_ns;		/* terminating since */
	int64_t grace_ns;
	enum pod_phase phase;
	int64_t ready_since, cready_since, init_since;
	bool ready;
	bool sandbox;			/* namespaces and cgroup made */
	bool dead;			/* torn down: free at reap */
	struct podspec *next;		/* replacement, once this one is gone */
	struct ctr *ctrs;		/* init containers first, in order */
	size_t nctrs;
	size_t ninits;
	bool initialized;		/* every regular init container done */
	bool was_initialized;		/* for the condition's transition time */
	ev_timer grace_t;
	ev_timer teardown_t;		/* retry of a busy cgroup removal */
	ev_timer deadline_t;		/* activeDeadlineSeconds */
	/* Failed for good by the node (DeadlineExceeded, Evicted): its
	 * containers stopped and stay stopped.  "" otherwise. */
	char fail_reason[32], fail_message[256];
	struct rt_pause pause;		/* shareProcessNamespace: PID 1 */
	ev_io pause_w;
	int teardown_tries;
	char run_dir[4096];
	char pod_ip[64];		/* status.podIP ("" until networking) */
	struct podvol *vols;		/* per spec->volumes[], once set up */
	bool vol_error;			/* a volume could not be set up */
	bool ip_wait;			/* pod CIDR exhausted: waits for one */
};

/* One volume of a pod (volumes.c). */
struct podvol {
	bool ready;
	char hash[65];			/* content volumes: files written */
};

TAILQ_HEAD(pod_list, pod);

struct pod *pod_new(struct agent *a, struct podspec *ps, const char *uid);
void pod_start(struct pod *p);
/* Arm activeDeadlineSeconds, counted from the pod's start. */
void pod_deadline_arm(struct pod *p);
/* shareProcessNamespace: the pod's pause process (pod_pause.c). */
int pod_pause_start(struct pod *p, struct err *err);
void pod_pause_adopt(struct pod *p);
void pod_pause_stop(struct pod *p);
/* Start what may start now: the next init container, or the app ones. */
void pod_advance(struct pod *p);
/* The node fails the pod for good (reason as kubelet's status.reason). */
void pod_fail(struct pod *p, const char *reason, const char *msg);
#define DEADLINE_MSG "Pod was active on the node longer than the " \
	"specified deadline"
/* Begin graceful termination; the pod frees itself when done (dead). */
void pod_terminate(struct pod *p, const char *why);
/* Labels/annotations changed, spec the same: take the new object. */
void pod_update_meta(struct pod *p, struct podspec *ps);
void pod_free(struct pod *p);
void pod_recompute(struct pod *p);
enum pod_phase pod_phase_of(enum cfg_restart_policy policy,
	const struct ctr *ctrs, size_t n);
/* Pending while init containers run; Failed when one failed for good. */
enum pod_phase pod_phase_init(enum cfg_restart_policy policy,
	const struct ctr *inits, size_t n, bool *initialized);
/* An image became available: containers waiting for one try again. */
void pod_images_changed(struct pod *p);
struct pod *pod_find(struct agent *a, const char *ns, const char *name);
int pod_save(struct pod *p);
/* Re-adopt a pod found in the run dir; spec may be NULL (orphan). */
struct pod *pod_adopt(struct agent *a, const char *run_dir,
	struct podspec *ps);

void ctr_start(struct ctr *c);
void ctr_signal(struct ctr *c, int sig);
/* Stop one container (a failed probe): preStop, SIGTERM, SIGKILL after
 * grace. */
void ctr_stop(struct ctr *c, int64_t grace_ns);
/* Begin stopping: the preStop hook, or SIGTERM at once. */
void ctr_terminate(struct ctr *c, int64_t grace_ns);
/* postStart succeeded: the container is Running. */
void ctr_post_start_ok(struct ctr *c);
void ctr_release(struct ctr *c);
/* Watch a shim that picolet did not start (adopted), or did. */
void ctr_watch(struct ctr *c);
void ctr_set_waiting(struct ctr *c, const char *reason, const char *msg);
/* ContainerCreating, or PodInitializing in a pod with init containers. */
const char *ctr_creating_reason(const struct ctr *c);
bool ctr_is_creating(const struct ctr *c);
void ctr_retry(struct ctr *c, int seconds);
void ctr_after_exit(struct ctr *c, const struct ctr_term *t,
	bool start_error);
void ctr_log_dir(const struct ctr *c, char *buf, size_t len);
/* Layer, cgroup, log dir and the spec file in dir (ctr_prepare.c). */
struct store_image;
int ctr_prepare(struct ctr *c, const struct store_image *img, char **cenv,
	char *dir, size_t dlen, struct err *err);
void ctr_cgroup_rel(const struct ctr *c, char *buf, size_t len);
void ctr_remove_later(struct agent *a, const char *path);
void ctr_adopt(struct ctr *c);
/* termination messages (ctr_msg.c) */
int ctr_msg_file(const struct ctr *c, char *path, size_t len,
	struct err *err);
const char *ctr_msg_path(const struct ctr *c);
void ctr_msg_read(const struct ctr *c, struct ctr_term *t);
void ctr_note_shim(const struct ctr *c);
void ctr_set_running(struct ctr *c, int64_t started);
void ctr_read_exit(struct ctr *c, struct ctr_term *t);
void pod_ctr_init(struct pod *p, size_t idx, const char *name);
struct pod *pod_alloc_orphan(struct agent *a, const char *ns,
	const char *name, const char *uid, size_t nctrs);
struct json;
int pod_state_read(const char *dir, struct json **out, struct err *err);

/* pod internals used by ctr */
/* pod_etc.c: the pod's host name (into hn) and its /etc files. */
const char *pod_hostname(const struct pod *p, char hn[64]);
int pod_etc_files(struct pod *p, struct err *err);
/* /etc/hosts as kubelet writes it; node_hosts: the node's, for
 * hostNetwork pods.  -ENOSPC when it would be larger than b's cap. */
int pod_hosts_render(struct buf *b, const struct cfg_pod *s,
	const char *ns, const char *ip, const char *hn,
	const char *node_hosts);
int pod_sandbox(struct pod *p, struct err *err);
/* A container of a terminating pod is down; tear down when all are. */
void pod_container_gone(struct pod *p);

/* ---- manifests ---- */

struct mfile {
	TAILQ_ENTRY(mfile) entry;
	char name[256];
	uint64_t seq;			/* first seen: earlier wins duplicates */
	int64_t first_ns;		/* first seen, wall clock: objects' age */
	struct cfg_object *objs;	/* last good version */
	struct podspec **specs;		/* per object, NULL unless a Pod */
	size_t nobjs;
	char dup[512];			/* "pod x/y is already defined in z" */
	int dup_line;
	struct cfg_diags diags;		/* of the last attempt */
	bool failed;			/* the last attempt failed */
	char error[512];		/* read errors (size, I/O) */
};

TAILQ_HEAD(mfile_list, mfile);

struct mdir {
	struct agent *a;
	int ifd;
	ev_io io;
	ev_timer settle;		/* debounce of in-place writes */
	struct mfile_list files;
	uint64_t seq;
	char dirty[64][256];		/* names to re-read when settle fires */
	size_t ndirty;
	bool rescan;
};

int mdir_start(struct mdir *m, struct agent *a, struct err *err);
void mdir_stop(struct mdir *m);
/* Read every file now (start, SIGHUP). */
void mdir_scan(struct mdir *m);

/* ---- services (service.c) ---- */

#define SVC_MAX_EPS 1024

struct svc_ep {
	char ip[16];
	int port;
	bool ready;
	char pod[254];			/* "" for an Endpoints object's address */
	char uid[40];
};

struct svc_port {
	const struct cfg_svc_port *cfg;
	bool udp;
	int node_port;			/* 0: none */
	struct svc_ep *eps;
	size_t neps;
};

/* One Service as this node serves it; rebuilt by services_compute.  cfg
 * points into a manifest file's objects: valid until the next sync. */
struct svc {
	char ns[64], name[64], key[160];
	char file[256];
	const struct cfg_service *cfg;
	char cluster_ip[16];		/* "" when headless or on error */
	bool headless;
	struct svc_port *ports;
	size_t nports;
	char error[256];		/* allocation failed: why */
};

/* ---- the agent ---- */

struct logstream;
TAILQ_HEAD(logstream_list, logstream);
struct core_pull;
TAILQ_HEAD(core_pull_list, core_pull);

struct agent {
	struct ev_loop *loop;
	struct cfg_conf conf;
	char conf_path[4096];
	char node_name[254];
	int64_t started_ns;
	struct store *store;
	struct rt_cgroup *cg;
	struct net_http_server *http;
	struct mdir mdir;
	struct events events;
	struct pod_list pods;
	bool stopping, draining;
	bool ready;			/* adoption done: sync may act */
	ev_signal sigterm, sigint, sighup;
	ev_prepare reap;
	/* image import directory and index watch */
	int img_ifd;
	ev_io img_io;
	int importing;
	struct core_pull_list pulls;	/* in flight, one per ref (pull.c) */
	struct image_use *img_use;	/* when each image last started a
					 * container (images.c), in memory */
	size_t nimg_use;
	ev_timer gc_t;			/* image GC check */
	bool gc_running;
	struct logstream_list logstreams;	/* logs -f clients */
	char host_ip[64];		/* status.hostIP */
	struct net_nl *nl;		/* rtnetlink, for pod networking */
	struct net_ipam *ipam;		/* pod addresses */
	bool bridge_up;
	bool ipam_freed;		/* an address went back: wake waiters */
	struct svc *svcs;		/* the service table */
	size_t nsvcs;
	struct net_ipam *svc_ipam;	/* ClusterIPs */
	bool svc_dirty;			/* recompute services before sleeping */
	bool pods_dead;			/* a pod to free before sleeping */
	struct net_nft *nft;
	bool nft_live, nft_checked;
	uint64_t *udp;			/* UDP endpoints served: ip << 16 | port */
	size_t nudp;
	int64_t node_cpu, node_mem;	/* allocatable, for the downward API */
	ev_timer vol_check_t;		/* emptyDir sizeLimit on disk */
	bool vol_check_busy;
};

/* Desired state changed (manifests): bring pods in line with it. */
void agent_sync(struct agent *a);
/* The image store changed: wake pods waiting for images. */
void agent_images_changed(struct agent *a);
void agent_event(struct agent *a, struct pod *p, const char *field,
	bool warning, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int images_start(struct agent *a, struct err *err);
bool images_is_archive(const char *name);
/* [images] preload (images_preload.c): the next archive to import, and
 * its end (recorded, so it is imported once per version). */
bool preload_next(struct agent *a, char *path, size_t len);
void preload_done(struct agent *a, const char *path, int status,
	const char *msg);
void images_stop(struct agent *a);
void images_scan(struct agent *a);
/* A container started from image id (config digest): used now. */
void images_note_use(struct agent *a, const char *id);
/* When image id was last used (ns): now while a container runs it (then
 * *running), else its last container start, 0 when not since picolet
 * started. */
int64_t images_last_used(struct agent *a, const char *id, bool *running);
/* A pod (not gone) whose spec names ref (normalized), or that runs image
 * id: true, with "ns/name" in who. */
bool images_in_use(struct agent *a, const char *ref, const char *id,
	char *who, size_t len);
/* Image GC (image_gc.c): when the store's filesystem is fuller than
 * [images] gc_high, unused images go, least recently used first, down
 * to gc_low; checked every minute and after each pull or import. */
void image_gc_start(struct agent *a);
void image_gc_stop(struct agent *a);
void image_gc_check(struct agent *a);
/* The images API: GET list, POST pull, DELETE (api_images.c). */
struct net_http_conn;
struct net_http_req;
void api_images(struct agent *a, struct net_http_conn *c,
	const struct net_http_req *req, const char *sub);
int api_start(struct agent *a, struct err *err);
int adopt_all(struct agent *a);
struct podspec *agent_desired(struct agent *a, const char *ns,
	const char *name);
void agent_reap_start(struct agent *a);
void node_facts(struct agent *a);

/* pod networking (podnet.c) */
struct net_nl;
struct net_ipam;
struct net_nft;
int podnet_attach(struct pod *p, struct err *err);
void podnet_adopt(struct pod *p);
void podnet_detach(struct pod *p);
void podnet_idle(struct agent *a);
void podnet_gc(struct agent *a);
/* Pods waiting for an address try again once one was released. */
void podnet_wake(struct agent *a);
void podnet_close(struct agent *a);

void services_compute(struct agent *a);
void services_free(struct agent *a);
const struct svc *service_find(const struct agent *a, const char *ns,
	const char *name);
void services_env(const struct agent *a, const char *ns, char ***env);
/* Program the service table into nftables (services_nft.c). */
void services_apply(struct agent *a);
bool mdir_wanted(const char *name);

/* ConfigMaps, Secrets, claims (configs.c) */
const struct cfg_config *config_find(const struct agent *a, const char *ns,
	const char *name, bool secret);
const struct cfg_pvc *pvc_find(const struct agent *a, const char *ns,
	const char *name);
/* A new version of a file may not change an immutable object. */
int configs_check_update(const struct agent *a,
	const struct cfg_object *objs, size_t n, struct cfg_diags *d);
/* One object (the first file's) and its file; each object of a kind
 * (secret: Secrets, else ConfigMaps, for CFG_KIND_CONFIG) in ns, or all
 * namespaces when ns is NULL, in file order, a name once. */
const struct cfg_object *configs_object(const struct agent *a,
	enum cfg_kind kind, bool secret, const char *ns, const char *name,
	const struct mfile **file);
typedef void (*configs_fn)(const struct cfg_object *o, const struct mfile *f,
	void *arg);
void configs_foreach(const struct agent *a, enum cfg_kind kind, bool secret,
	const char *ns, configs_fn fn, void *arg);
/* The manifests changed: waiting containers retry, volumes refresh. */
void configs_changed(struct agent *a);

/* claims' directories and sizes (claims.c) */
void pvc_dir(const struct agent *a, const char *ns, const char *name,
	char *buf, size_t len);
/* Claims in the manifests get their directories (before pods start),
 * limited to their requests where there are project quotas. */
void claims_bind(struct agent *a);
/* reclaim = Delete: remove the data of claims gone and unused. */
void claims_reclaim(struct agent *a);
struct claim_quota {
	uint32_t id;			/* project id; 0 when not enforced */
	int64_t used, limit;		/* bytes */
	char reason[32];		/* why not enforced */
	char message[4400];
};
/* true when the claim's request is enforced (q: id, use, limit), else
 * false with q's reason and message saying why not. */
bool claims_quota(const struct agent *a, const char *ns, const char *name,
	struct claim_quota *q);

/* pod volumes (volumes.c) */
int volume_path(const struct pod *p, const struct cfg_volume *v, char *buf,
	size_t len);
int volumes_setup(struct pod *p, struct err *err);
/* ConfigMap, Secret, downwardAPI, projected: files we write. */
bool volume_is_files(enum cfg_vol_kind k);
/* Write volume idx's files when they changed (volumes_files.c). */
int volume_files_sync(struct pod *p, size_t idx, struct err *err);
void volumes_refresh(struct pod *p);
void volumes_teardown(struct pod *p);
/* A disk emptyDir with a sizeLimit exists: measure them (volumes_limit.c) */
void volumes_limit_watch(struct agent *a);
struct rt_mount;
int volumes_mounts(const struct ctr *c, struct rt_mount **mounts, size_t *n,
	struct err *err);
void mounts_push(struct rt_mount **mounts, size_t *n, const char *src,
	const char *dst, bool ro);
void mounts_free(struct rt_mount *m, size_t n);

/* ---- the HTTP API ---- */

struct net_http_conn;
struct net_http_req;
void api_error(struct net_http_conn *c, int code, const char *reason,
	const char *msg);
void logs_serve(struct agent *a, struct net_http_conn *conn,
	const struct net_http_req *req, struct pod *p);
void logs_container_ended(struct agent *a, const char *uid,
	const char *name);

/* ---- JSON views (api) ---- */

struct jsonw;
void podjson_write(struct jsonw *w, const struct pod *p);
void svcjson_service(struct jsonw *w, const struct agent *a,
	const struct svc *s);
void svcjson_endpoints(struct jsonw *w, const struct agent *a,
	const struct svc *s);
void eventjson_write(struct jsonw *w, const struct agent *a,
	const struct event *e);
/* A ConfigMap (data, binaryData), a Secret (keys and sizes only: its
 * values never leave picolet this way) or a claim (bound, its dir). */
void cfgjson_write(struct jsonw *w, const struct agent *a,
	const struct cfg_object *o, const struct mfile *f);

#endif
