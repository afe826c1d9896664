/*
 * ctr_prepare: what a container needs before its shim can start: a
 * fresh writable layer (the old one removed by a job), its cgroup, its
 * log dir (kubelet keeps the current and the previous instance's), and
 * the spec file the shim reads: argv and env by Kubernetes' rules
 * (ctr_spec.c), ids, capabilities, namespaces to join, and the mounts,
 * /etc files first and the volumes after them (volumes_mount.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/ctr_spec.h"
#include "core/log.h"
#include "lib/util.h"
#include "store/store.h"

static void
layer_dir(const struct ctr *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/pods/%s/%s", c->pod->a->conf.state,
	    c->pod->uid, c->name);
}

/* A fresh upper and work dir: the old ones are renamed aside at once and
 * removed by a child, so a big writable layer never stalls the loop. */
static int
fresh_layer(struct ctr *c, char *upper, char *work, size_t len,
    struct err *err)
{
	char dir[4096], old[4200];
	int r;

	layer_dir(c, dir, sizeof(dir));
	if ((r = mkdir_p(dir, 0700, err)) < 0)
		return r;
	snprintf(upper, len, "%s/upper", dir);
	snprintf(work, len, "%s/work", dir);
	snprintf(old, sizeof(old), "%s/old.%d", dir, c->restarts);
	if (access(upper, F_OK) == 0) {
		rm_rf(old, NULL);
		if (mkdir(old, 0700) < 0 && errno != EEXIST)
			return err_set(err, errno, "mkdir %s", old);
		char a[4300], b[4300];
		snprintf(a, sizeof(a), "%s/upper", old);
		snprintf(b, sizeof(b), "%s/work", old);
		if (rename(upper, a) < 0)
			return err_set(err, errno, "rename %s", upper);
		(void)rename(work, b);
		ctr_remove_later(c->pod->a, old);
	}
	if (mkdir(upper, 0755) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir %s", upper);
	if (mkdir(work, 0700) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir %s", work);
	return 0;
}

/* Kubelet keeps the current and the previous instance's logs only. */
static void
prune_logs(const struct ctr *c, const char *dir)
{
	char path[4200];

	if (c->restarts < 2)
		return;
	snprintf(path, sizeof(path), "%s/%d.log", dir, c->restarts - 2);
	(void)unlink(path);
}

static void
limits_of(const struct ctr *c, struct rt_limits *lim)
{
	lim->cpu_limit = c->spec->res.cpu_limit;
	lim->cpu_request = c->spec->res.cpu_request;
	lim->mem_limit = c->spec->res.mem_limit;
	lim->pids = -1;
}

static const struct cfg_config *
ctx_config(void *arg, const char *name, bool secret)
{
	const struct pod *p = arg;

	return config_find(p->a, p->ns, name, secret);
}

void
ctr_context_pod(const struct pod *p, struct ctr_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->config = ctx_config;
	x->arg = (void *)p;
	x->pod = p->spec;
	x->uid = p->uid;
	x->node_name = p->a->node_name;
	x->host_ip = p->a->host_ip;
	x->pod_ip = p->spec->host_network ? p->a->host_ip : p->pod_ip;
	x->node_cpu = p->a->node_cpu;
	x->node_mem = p->a->node_mem;
}

int
ctr_prepare(struct ctr *c, const struct store_image *img, char **cenv,
    char *dir, size_t dlen, struct err *err)
{
	struct pod *p = c->pod;
	struct agent *a = p->a;
	struct rt_spec s;
	struct rt_limits lim;
	char upper[4096], work[4096], logdir[4096], rel[256], path[4200];
	char rootfs[4200], **svcenv = NULL;
	char ns[4200], hosts[4200], hname[4200], resolv[4200];
	char hn[64];
	struct rt_mount *mounts = NULL;
	size_t nmounts = 0;
	char msgfile[4200];
	int r;

	memset(&s, 0, sizeof(s));
	snprintf(dir, dlen, "%s", c->dir);
	if ((r = mkdir_p(dir, 0700, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/exit", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	(void)unlink(path);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir %s", rootfs);
	if ((r = fresh_layer(c, upper, work, sizeof(upper), err)) < 0)
		return r;

	ctr_cgroup_rel(c, rel, sizeof(rel));
	if (rt_cgroup_remove(a->cg, rel, NULL) == -EBUSY)
		(void)rt_cgroup_kill(a->cg, rel, NULL);
	limits_of(c, &lim);
	if ((r = rt_cgroup_create(a->cg, rel, &lim, err)) < 0)
		return r;

	ctr_log_dir(c, logdir, sizeof(logdir));
	if ((r = mkdir_p(logdir, 0755, err)) < 0)
		return r;
	prune_logs(c, logdir);

	if ((r = ctr_argv(c->spec, img, cenv, &s.argv, err)) < 0)
		return r;
	s.id = c->id;
	s.rootfs = rootfs;
	s.lower = img->layers;
	s.upper = upper;
	s.work = work;
	snprintf(ns, sizeof(ns), "%s/ns/ipc", p->run_dir);
	s.ipcns = xstrdup(ns);
	if (!p->spec->host_network) {
		snprintf(ns, sizeof(ns), "%s/ns/net", p->run_dir);
		s.netns = xstrdup(ns);
		snprintf(ns, sizeof(ns), "%s/ns/uts", p->run_dir);
		s.utsns = xstrdup(ns);
	}
	services_env(a, p->ns, &svcenv);
	s.env = ctr_env_final(cenv, svcenv, img, pod_hostname(p, hn));
	strv_free(svcenv);
	s.cwd = c->spec->working_dir ? c->spec->working_dir :
	    img->working_dir;
	s.user = img->user;
	ctr_ids(p->spec, c->spec, &s.uid, &s.gid);
	s.caps = ctr_caps(&c->spec->sec);
	s.privileged = c->spec->sec.privileged == 1;
	s.no_new_privs = c->spec->sec.allow_privilege_escalation == 0;
	s.readonly_rootfs = c->spec->sec.read_only_rootfs == 1;
	s.cgroups = rt_cgroup_dirs(a->cg, rel);
	if (p->spec->share_process_namespace) {
		snprintf(ns, sizeof(ns), "%s/ns/pid", p->run_dir);
		s.pidns = xstrdup(ns);
	}
	snprintf(hosts, sizeof(hosts), "%s/hosts", p->run_dir);
	snprintf(hname, sizeof(hname), "%s/hostname", p->run_dir);
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", p->run_dir);
	mounts_push(&mounts, &nmounts, hosts, "/etc/hosts", false);
	mounts_push(&mounts, &nmounts, hname, "/etc/hostname", false);
	mounts_push(&mounts, &nmounts, resolv, "/etc/resolv.conf", false);
	if ((r = ctr_msg_file(c, msgfile, sizeof(msgfile), err)) < 0)
		goto out;
	mounts_push(&mounts, &nmounts, msgfile, ctr_msg_path(c), false);
	if ((r = volumes_mounts(c, &mounts, &nmounts, err)) < 0)
		goto out;
	s.mounts = mounts;
	s.nmounts = nmounts;
	s.log_dir = logdir;
	s.restart = c->restarts;
	s.log_max_size = a->conf.log_max_size;
	s.log_max_files = a->conf.log_max_files;

	snprintf(path, sizeof(path), "%s/spec", dir);
	r = rt_spec_save(&s, path, err);
out:
	mounts_free(mounts, nmounts);
	free(s.pidns);
	strv_free(s.argv);
	strv_free(s.env);
	strv_free(s.cgroups);
	free(s.netns);
	free(s.ipcns);
	free(s.utsns);
	return r;
}
