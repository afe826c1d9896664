/*
 * runtime: everything that makes a container.
 *
 *  - cgroups (v2, and v1 as found on hybrid hosts, behind one interface);
 *  - the pod sandbox: network, IPC and UTS namespaces held by bind mounts
 *    of the ns files under the pod's run dir, so they live without a
 *    process;
 *  - the container spec (what picolet decided) saved in the container's run
 *    dir for the shim;
 *  - the shim (picolet-shim, runtime/shim_main.c): parent of the workload,
 *    outside its namespaces; clones it into new PID and mount namespaces
 *    (joining the pod's net/ipc/uts), where it builds the rootfs (overlayfs,
 *    /proc, /dev, /sys, binds, pivot_root), drops privileges and execs.
 *    The shim writes the workload's stdout/stderr into CRI log files and,
 *    when it ends, its exit record; it survives restarts of picolet.
 *
 * Files in a container's run dir (<run>/pods/<uid>/<container>/):
 *   spec     written by picolet before the shim starts (rt_spec_save)
 *   state    written by the shim once the workload runs (rt_state_read)
 *   exit     written by the shim when the workload ended or failed to
 *            start, just before the shim exits (rt_exit_read)
 *   rootfs/  mount point, used only inside the container's mount ns
 *
 * The shim reports on fd 3 (a pipe to picolet) one line:
 *   "ok <pid>\n"                       the workload exec'd
 *   "err <reason>\t<message>\n"        it did not; reason is a Kubernetes
 *                                      waiting reason (RunContainerError,
 *                                      CreateContainerError)
 * then closes it.  It ignores SIGPIPE: picolet may be gone.
 */
#ifndef PICOLET_RT_H
#define PICOLET_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

/* ---- cgroups ---- */

struct rt_cgroup;

enum rt_cg_mode { RT_CG_V2, RT_CG_V1 };

struct rt_limits {
	int64_t cpu_limit;	/* millicores, -1: none */
	int64_t cpu_request;	/* millicores -> weight/shares, -1: default */
	int64_t mem_limit;	/* bytes, -1: none */
	int64_t pids;		/* -1: none */
};

/*
 * Find the hierarchy (v2 if /sys/fs/cgroup is cgroup2, else the v1
 * controllers cpu, cpuacct, memory, pids, freezer wherever they are
 * mounted; a cgroup2 at /sys/fs/cgroup/unified beside them is ignored)
 * and make <root>/<name> in each.  root == NULL means /sys/fs/cgroup.
 */
int rt_cgroup_open(struct rt_cgroup **out, const char *root, const char *name,
	struct err *err);
void rt_cgroup_close(struct rt_cgroup *cg);
enum rt_cg_mode rt_cgroup_mode(const struct rt_cgroup *cg);
const char *rt_cgroup_mode_name(const struct rt_cgroup *cg); /* v2|v1|hybrid */
/* mkdir (idempotent) <name>/<rel> in every hierarchy and set the limits. */
int rt_cgroup_create(struct rt_cgroup *cg, const char *rel,
	const struct rt_limits *lim, struct err *err);
/* Directories a process joins (write "0" to <dir>/cgroup.procs);
 * NULL-terminated, caller frees with strv_free. */
char **rt_cgroup_dirs(const struct rt_cgroup *cg, const char *rel);
/* OOM kills recorded in that cgroup so far. */
int rt_cgroup_oom_kills(const struct rt_cgroup *cg, const char *rel,
	uint64_t *n);
/* SIGKILL every process in the cgroup and below (v2 cgroup.kill, else
 * freeze + kill + thaw). */
int rt_cgroup_kill(const struct rt_cgroup *cg, const char *rel,
	struct err *err);
/* rmdir, children first; -EBUSY while a process remains. */
int rt_cgroup_remove(const struct rt_cgroup *cg, const char *rel,
	struct err *err);

/* ---- pod sandbox ---- */

/*
 * In dir (made if needed) bind-mount fresh namespaces to dir/net, dir/ipc
 * and dir/uts, with hostname set and loopback up.  host_network: no net
 * or uts namespace (the pod uses the host's), ipc still made.  Idempotent:
 * existing ns files are kept.  Runs a short-lived child; returns when done.
 */
int rt_sandbox_create(const char *dir, const char *hostname, bool host_network,
	struct err *err);
/* Unmount and remove what rt_sandbox_create made; missing parts are fine.
 * Also stops the pause and unbinds dir/pid (rt_sandbox_destroy_pid). */
int rt_sandbox_destroy(const char *dir, struct err *err);

/*
 * shareProcessNamespace: one pid namespace for the whole pod, whose PID 1
 * is the pod's pause process ("picolet-shim --pause <dir>", shim_path):
 * it only reaps the orphans the kernel hands it and exits on SIGTERM or
 * SIGINT.  The pause joins the pod's dir/{net,ipc,uts} when present (so
 * call this after rt_sandbox_create), has its own session, /dev/null
 * stdio, no fd of the caller's, and an empty read-only root in a mount
 * ns of its own (so a container that may ptrace it finds nothing of the
 * host behind /proc/1/root).  dir/pid is a bind of its pid ns (give it to
 * containers as rt_spec.pidns); dir/pause holds "<pid> <starttime>".
 *
 * The pause is the caller's child (no double fork): the caller watches
 * out->pidfd and reaps it (waitid P_PIDFD) when it ends.  After a restart
 * of the caller it is init's child: rt_sandbox_pause_find gives a pidfd to
 * watch (waitid then fails with ECHILD: init reaps it).  When it dies the
 * kernel kills every process of the namespace and no container can start
 * in it any more (the shim fails with "pause process is gone"): the pod
 * needs rt_sandbox_destroy_pid, then rt_sandbox_create_pid again.
 *
 * Idempotent: a live pause whose ns is dir/pid is kept (out filled, a new
 * pidfd); a stale one (dead, or dir/pid not its ns) is cleared first.
 * Blocks for the pause's exec and set-up (milliseconds).
 */
struct rt_pause {
	pid_t pid;		/* as seen from the caller */
	uint64_t start;		/* /proc/<pid>/stat starttime */
	int pidfd;		/* readable when it exits; caller closes */
};
int rt_sandbox_create_pid(const char *dir, const char *shim_path,
	struct rt_pause *out, struct err *err);
/* The live pause of dir, from dir/pause: -ESRCH when it is gone (or is not
 * the process that made dir/pid), -ENOENT when there is none. */
int rt_sandbox_pause_find(const char *dir, struct rt_pause *out,
	struct err *err);
/* SIGKILL the pause (pidfd checked against its starttime; not waited for:
 * its exit waits for the ns's last process to be reaped), unmount dir/pid,
 * remove dir/pause.  Missing parts are fine. */
int rt_sandbox_destroy_pid(const char *dir, struct err *err);
/* For shim_main.c: the pause's life, as PID 1 of its ns; reports "ok\n"
 * or "err <msg>\n" on fd 3 once set up.  Returns its exit status. */
int rt_pause_main(const char *dir);

/* ---- volumes (volume.c) ---- */

/* A tmpfs on dir (made if missing); a no-op when one is there already.
 * size 0: the kernel's default (half the RAM). */
int rt_tmpfs_mount(const char *dir, int64_t size, mode_t mode,
	struct err *err);
/* Unmount everything on dir; nothing there is fine. */
void rt_volume_umount(const char *dir);

/* One file of a ConfigMap, Secret or downward API volume. */
struct rt_proj_file {
	const char *path;	/* relative, checked by the caller */
	const void *data;
	size_t len;
	mode_t mode;
};

/*
 * Write files as dir's new version with kubelet's atomic layout
 * (..<timestamp> dir, ..data symlink swapped by rename, a link per
 * top-level name) and drop the old version.  gid (or -1): the files'
 * group, for fsGroup.
 */
int rt_proj_write(const char *dir, const struct rt_proj_file *f, size_t n,
	gid_t gid, struct err *err);

/* ---- project quotas (quota.c) ---- */

/*
 * -EOPNOTSUPP: the file system has no project ids; -ESRCH: it counts no
 * project quotas; -ENOSYS: no quotas at all (or no quotactl_fd, < 5.14).
 */
/* dirfd's project id if it passes it on (FS_XFLAG_PROJINHERIT), else 0. */
int rt_quota_project(int dirfd, uint32_t *id, struct err *err);
/* Give dirfd the project id, inherited by what is made inside it. */
int rt_quota_assign(int dirfd, uint32_t id, struct err *err);
/* The id on everything already below dirfd (same file system only). */
int rt_quota_tag_tree(int dirfd, uint32_t id, struct err *err);
/* Hard limit of the id's blocks, bytes rounded up to 1 KiB; 0: none. */
int rt_quota_limit(int dirfd, uint32_t id, int64_t bytes, struct err *err);
/* 1 when project limits are enforced on dirfd's file system, else 0. */
int rt_quota_enforced(int dirfd, struct err *err);
/* Bytes the id holds and its limit (0: none). */
int rt_quota_usage(int dirfd, uint32_t id, int64_t *used, int64_t *limit,
	struct err *err);

/* ---- container spec ---- */

enum rt_prop { RT_PROP_PRIVATE, RT_PROP_SLAVE, RT_PROP_SHARED };

/*
 * A bind mount.  With sub, the source is src/sub resolved beneath src
 * (no symlink may leave it; missing directories are made), so a
 * container cannot point a subPath outside its volume.  prop: None
 * (private), HostToContainer (rslave), Bidirectional (rshared).
 */
struct rt_mount {
	char *src, *dst;	/* dst inside the container */
	bool ro;
	char *sub;		/* subPath, or NULL */
	enum rt_prop prop;
};

struct rt_spec {
	char *id;		/* container id, 64 hex */
	char *rootfs;		/* mount point of the rootfs (run dir/rootfs) */
	char **lower;		/* image layer dirs, lowest first */
	char *upper, *work;	/* writable layer and overlay workdir */
	char *netns, *ipcns, *utsns;	/* ns files to join; NULL: the host's */
	char *pidns;		/* pod's pid ns to join (shareProcessNamespace);
				   NULL: a new one, the workload its PID 1 */
	char **argv, **env;	/* final, merged as Kubernetes does */
	char *cwd;		/* "/" when NULL */
	char *user;		/* image User: "uid[:gid]" or "name[:group]",
				   resolved in the rootfs's /etc/passwd+group */
	int64_t uid, gid;	/* runAsUser/Group, override user; -1 unset */
	uint64_t caps;		/* bounding = permitted = effective */
	bool no_new_privs;
	bool readonly_rootfs;
	bool privileged;	/* all caps, host /dev, /sys rw */
	char **cgroups;		/* dirs to join before exec */
	struct rt_mount *mounts;	/* binds: /etc/hosts, volumes, ... */
	size_t nmounts;
	char *log_dir;		/* <logs>/<ns>_<pod>_<uid>/<container> */
	int restart;		/* log file: <log_dir>/<restart>.log */
	int64_t log_max_size;	/* rotate past this many bytes */
	int log_max_files;	/* keep this many files, current included */
};

int rt_spec_save(const struct rt_spec *s, const char *path, struct err *err);
int rt_spec_load(struct rt_spec *s, const char *path, struct err *err);
void rt_spec_free(struct rt_spec *s);	/* frees the members */

/* Capabilities: "NET_ADMIN" (no CAP_ prefix, as Kubernetes) -> number. */
int rt_cap_from_name(const char *name);
uint64_t rt_caps_default(void);		/* containerd's default set */
uint64_t rt_caps_all(void);

/* ---- the shim, seen from picolet ---- */

struct rt_shim {
	pid_t pid;
	int pidfd;		/* readable when the shim exits */
	int status_fd;		/* O_NONBLOCK read end: the "ok"/"err" line */
};

/* fork + exec shim_path with the container's run dir; fds CLOEXEC. */
int rt_shim_spawn(const char *shim_path, const char *run_dir,
	struct rt_shim *out, struct err *err);

/* Parse the shim's status line.  Returns 1 for ok (pid set), 0 for err
 * (reason, msg set), -EINVAL when malformed. */
int rt_shim_status_parse(const char *line, pid_t *pid, char *reason,
	size_t rlen, char *msg, size_t mlen);

struct rt_state {
	pid_t shim_pid;
	uint64_t shim_start;	/* /proc/<pid>/stat starttime */
	pid_t pid;		/* the workload, as seen from picolet */
	uint64_t pid_start;
	int64_t started_ns;	/* wall clock when it exec'd */
};
int rt_state_read(const char *run_dir, struct rt_state *st, struct err *err);

struct rt_exit {
	int exit_code;		/* 0-255; 128+signal when killed */
	int signal;		/* 0 when it exited */
	int64_t started_ns;	/* 0 when it never started */
	int64_t finished_ns;
	char reason[64];	/* start failure: waiting reason, else "" */
	char message[512];	/* start failure message, else "" */
};
/* -ENOENT when there is no exit record (yet). */
int rt_exit_read(const char *run_dir, struct rt_exit *ex, struct err *err);

/* starttime (field 22 of /proc/<pid>/stat), or -ESRCH. */
int rt_proc_starttime(pid_t pid, uint64_t *start);
/* pidfd of pid if it still is the process that started at start, else
 * -ESRCH (gone or reused). */
int rt_pidfd_open_checked(pid_t pid, uint64_t start);

/* ---- exec into a running container ---- */

/* rt_exec.stdio[i]: an fd of the caller's (dup'ed), or one of these. */
#define RT_EXEC_NULL (-1)	/* /dev/null */
#define RT_EXEC_PIPE (-2)	/* a new pipe; the caller's end is returned */
#define RT_EXEC_STDOUT (-3)	/* stderr only: wherever stdout goes */

struct rt_exec {
	const char *run_dir;	/* the container's; its spec is read */
	pid_t pid;		/* the workload (rt_state.pid) ... */
	uint64_t pid_start;	/* ... and its starttime: a reused pid is
				   refused with -ESRCH */
	char *const *argv;	/* argv[0] looked up in the container's PATH */
	char *const *env;	/* "K=V" added to the container's env, a
				   same K replaced; NULL: none */
	int stdio[3];
	bool tty;		/* stdin is a terminal: the process becomes
				   its session's leader and takes it as its
				   controlling terminal */
};

struct rt_exec_proc {
	pid_t pid;		/* as seen from the caller */
	int pidfd;		/* readable when it exits */
	int status_fd;		/* O_NONBLOCK: EOF once exec'd (or killed
				   before), else one message: why not
				   (rt_exec_started) */
	int stdio[3];		/* caller's ends of RT_EXEC_PIPE (stdin's is
				   the write end), O_NONBLOCK; else -1 */
	bool reaped;
};

/*
 * Start argv in the container whose workload is x->pid: in its pid, mount,
 * uts, ipc, net and cgroup namespaces and its cgroups, in its cwd, as its
 * user with its capabilities and no_new_privs, with the container's env.
 * The process is the caller's child; nothing of the caller's fds but
 * stdio reaches it.  Does not wait for it: fork, and the child does the
 * rest.  -ESRCH: the workload is gone (or its pid reused).
 */
int rt_exec_spawn(const struct rt_exec *x, struct rt_exec_proc *out,
	struct err *err);
/* Reads status_fd: 1 exec'd, 0 it failed before (msg, e.g. "exec:
 * \"foo\": executable file not found in $PATH"), -EAGAIN not known yet.
 * status_fd is closed (-1) once the answer is known. */
int rt_exec_started(struct rt_exec_proc *p, char *msg, size_t mlen);
/* SIGKILL to the process and its process group (what it started there). */
void rt_exec_kill(const struct rt_exec_proc *p);
/* Reap (block: wait for it): 1 reaped, *code = exit code or 128+signal,
 * 0 still running; -errno. */
int rt_exec_reap(struct rt_exec_proc *p, bool block, int *code);
/* Close every fd; one not reaped yet is killed and reaped first. */
void rt_exec_close(struct rt_exec_proc *p);

/* ---- CRI log files ---- */

#define RT_LOG_LINE_MAX 16384

/* The shim's writer: one per container, both streams. */
struct rt_logw {
	int dirfd;
	int fd;
	int restart;
	int64_t size, max_size;
	int max_files;
	char part[2][RT_LOG_LINE_MAX];	/* unterminated line per stream */
	size_t partlen[2];
	uint64_t dropped;	/* bytes lost to write errors (ENOSPC) */
};

enum rt_stream { RT_STDOUT = 0, RT_STDERR = 1 };

int rt_logw_open(struct rt_logw *w, const char *dir, int restart,
	int64_t max_size, int max_files, struct err *err);
/* Lines become "<RFC3339Nano> stdout|stderr F <line>"; a line longer than
 * RT_LOG_LINE_MAX is split into P records ending with an F record. */
int rt_logw_write(struct rt_logw *w, enum rt_stream s, const char *data,
	size_t n);
/* At EOF: a pending partial line is written as F. */
int rt_logw_flush(struct rt_logw *w, enum rt_stream s);
/* Flushes both streams, closes the fds. */
void rt_logw_close(struct rt_logw *w);
/*
 * rt_logw_write and rt_logw_flush never fail for good: a record that
 * cannot be written (ENOSPC, EIO) is counted in dropped and -errno is
 * returned, and the writer stays usable.  Rotation renames <restart>.log
 * to <restart>.log.<YYYYMMDD-HHMMSS> (UTC), or, when a file of that second
 * is still there, to <restart>.log.<YYYYMMDD-HHMMSS>.<N> with N one more
 * than the largest there (from 1); it keeps the max_files - 1 newest
 * rotated files of this restart (ordered by stamp, then N).
 */

/* One CRI record parsed; pointers into line.  -EINVAL when malformed. */
struct rt_logrec {
	const char *ts;
	size_t tslen;
	enum rt_stream stream;
	bool partial;
	const char *msg;
	size_t msglen;
};
int rt_log_parse(const char *line, size_t len, struct rt_logrec *rec);

#endif
