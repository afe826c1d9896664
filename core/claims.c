/*
 * claims: what a PersistentVolumeClaim is bound to on this node, a
 * directory <state>/volumes/<ns>/<claim> made when its manifest is read.
 * It outlives pods and picolet, and the claim too unless reclaim =
 * Delete.
 *
 * Where that file system has project quotas (ext4 made with -O
 * quota,project and mounted with prjquota; xfs with prjquota), the claim's
 * request is also its size: the directory gets a project id of its own,
 * inherited by everything written below it, and the id a hard limit of
 * resources.requests.storage, so a pod writing past it gets EDQUOT.  The
 * id lives on the directory, so it survives restarts and a claim deleted
 * and made again; a new one comes from a hash of ns/name, moved on while
 * another claim or anything else on the file system holds it.  Where
 * there are no project quotas the request is recorded, not enforced, and
 * the claim's QuotaEnforced condition (claims_quota) says why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "runtime/rt.h"

/* Project ids picolet hands out: clear of the small ones people pick. */
#define PROJID_BASE	0x10000u
#define PROJID_SPAN	0x7fff0000u
#define PROJID_TRIES	64

void
pvc_dir(const struct agent *a, const char *ns, const char *name, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/volumes/%s/%s", a->conf.state, ns, name);
}

static uint32_t
fnv1a(const char *s, uint32_t h)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Does another claim's directory hold id? */
static bool
id_taken_by_claim(const struct agent *a, uint32_t id, dev_t dev)
{
	char dir[4200];
	struct dirent *ns, *cl;
	struct stat st;
	bool taken = false;
	DIR *d, *e;
	uint32_t other;
	int fd;

	snprintf(dir, sizeof(dir), "%s/volumes", a->conf.state);
	if ((d = opendir(dir)) == NULL)
		return false;
	while (!taken && (ns = readdir(d)) != NULL) {
		if (ns->d_name[0] == '.')
			continue;
		if ((fd = openat(dirfd(d), ns->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0 || (e = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while (!taken && (cl = readdir(e)) != NULL) {
			int cfd;

			if (cl->d_name[0] == '.' || (cfd = openat(dirfd(e),
			    cl->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC)) < 0)
				continue;
			taken = fstat(cfd, &st) == 0 && st.st_dev == dev &&
			    rt_quota_project(cfd, &other, NULL) == 0 &&
			    other == id;
			close(cfd);
		}
		closedir(e);
	}
	closedir(d);
	return taken;
}

/* Anything on the file system counted or limited under id? */
static bool
id_in_use(int fd, uint32_t id)
{
	int64_t used, limit;

	return rt_quota_usage(fd, id, &used, &limit, NULL) == 0 &&
	    (used > 0 || limit > 0);
}

static int
pick_id(const struct agent *a, int fd, const char *ns, const char *name,
    uint32_t *out, struct err *err)
{
	struct stat st;
	uint32_t h;
	int i;

	if (fstat(fd, &st) < 0)
		return err_set(err, errno, "fstat");
	h = fnv1a(name, fnv1a("/", fnv1a(ns, 2166136261u)));
	for (i = 0; i < PROJID_TRIES; i++) {
		uint32_t id = PROJID_BASE + (h + (uint32_t)i) % PROJID_SPAN;

		if (!id_taken_by_claim(a, id, st.st_dev) && !id_in_use(fd, id)) {
			*out = id;
			return 0;
		}
	}
	return err_setx(err, EEXIST, "no free project id near %u",
	    PROJID_BASE + h % PROJID_SPAN);
}

struct tag_job {
	char dir[4200];
	char what[300];
	uint32_t id;
};

static int
tag_job_run(void *arg, struct err *err)
{
	struct tag_job *t = arg;
	int fd, r;

	if ((fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return err_set(err, errno, "%s", t->dir);
	r = rt_quota_tag_tree(fd, t->id, err);
	close(fd);
	return r;
}

static void
tag_job_done(void *arg, int status, const char *msg)
{
	struct tag_job *t = arg;

	if (status < 0)
		log_error("claim %s: counting its files under project %u: %s",
		    t->what, t->id, msg[0] ? msg : strerror(-status));
	free(t);
}

/* The files already in a claim's directory join its project, by a job. */
static void
tag_later(struct agent *a, const struct cfg_object *o, const char *dir,
    uint32_t id)
{
	struct tag_job *t = xcalloc(1, sizeof(*t));
	struct err err;

	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	snprintf(t->what, sizeof(t->what), "%s/%s", o->namespace, o->name);
	t->id = id;
	if (job_run(a, tag_job_run, tag_job_done, t, &err) < 0) {
		log_error("claim %s: %s", t->what, err.msg);
		free(t);
	}
}

static bool
dir_empty(int fd)
{
	struct dirent *de;
	bool empty = true;
	DIR *d;
	int dfd;

	if ((dfd = dup(fd)) < 0)
		return false;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return false;
	}
	while (empty && (de = readdir(d)) != NULL)
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

/*
 * The claim's directory under its own project id, limited to the
 * request.  Idempotent, and only cheap calls when nothing changed: it
 * runs at every manifest change.  Files already there when the id is
 * first given are tagged by a job (there may be many).
 */
static void
claim_quota(struct agent *a, const struct cfg_object *o, const char *dir)
{
	const struct cfg_pvc *c = o->u.pvc;
	int64_t used, limit;
	struct err err;
	uint32_t id;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	/* no project ids, or limits not enforced: claims_quota says */
	if (rt_quota_project(fd, &id, &err) < 0 ||
	    rt_quota_enforced(fd, &err) <= 0)
		goto out;
	if (id == 0) {
		if (pick_id(a, fd, o->namespace, o->name, &id, &err) < 0 ||
		    rt_quota_assign(fd, id, &err) < 0) {
			log_error("claim %s/%s: %s", o->namespace, o->name,
			    err.msg);
			goto out;
		}
		if (!dir_empty(fd))
			tag_later(a, o, dir, id);
	}
	if (rt_quota_usage(fd, id, &used, &limit, &err) < 0)
		goto out;
	if (limit == (c->request + 1023) / 1024 * 1024)
		goto out;
	if (rt_quota_limit(fd, id, c->request, &err) < 0)
		log_error("claim %s/%s: %s", o->namespace, o->name, err.msg);
	else
		log_info("claim %s/%s: limited to %s (project quota %u)",
		    o->namespace, o->name, c->request_text, id);
out:
	close(fd);
}

/* Claims in the manifests get their directories, before pods start. */
void
claims_bind(struct agent *a)
{
	const struct mfile *f;
	struct err err;
	char dir[4200];
	size_t i;

	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		for (i = 0; i < f->nobjs; i++) {
			const struct cfg_object *o = &f->objs[i];

			if (o->kind != CFG_KIND_PVC)
				continue;
			if (pvc_find(a, o->namespace, o->name) != o->u.pvc)
				continue;	/* a later file's duplicate */
			pvc_dir(a, o->namespace, o->name, dir, sizeof(dir));
			if (access(dir, F_OK) != 0) {
				if (mkdir_p(dir, 0700, &err) < 0 ||
				    (chmod(dir, 0777) < 0 &&
				    err_set(&err, errno, "chmod %s", dir) < 0)) {
					log_error("claim %s/%s: %s",
					    o->namespace, o->name, err.msg);
					continue;
				}
				log_info("claim %s/%s: bound to %s",
				    o->namespace, o->name, dir);
			}
			claim_quota(a, o, dir);
		}
	}
}

/*
 * Is the claim's size enforced?  true with its project id, limit and
 * use; false with a reason and a message saying why not.
 */
bool
claims_quota(const struct agent *a, const char *ns, const char *name,
    struct claim_quota *q)
{
	struct err err;
	char dir[4200];
	int fd, r, enforced = 0;

	memset(q, 0, sizeof(*q));
	pvc_dir(a, ns, name, dir, sizeof(dir));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		snprintf(q->reason, sizeof(q->reason), "NotBound");
		snprintf(q->message, sizeof(q->message), "%s: %s", dir,
		    strerror(errno));
		return false;
	}
	if ((r = rt_quota_project(fd, &q->id, &err)) == 0 &&
	    (r = enforced = rt_quota_enforced(fd, &err)) == 1 && q->id != 0)
		r = rt_quota_usage(fd, q->id, &q->used, &q->limit, &err);
	close(fd);
	if (enforced == 1 && r == 0 && q->limit > 0)
		return true;
	if (r == -EOPNOTSUPP || r == -ESRCH || r == -ENOSYS) {
		snprintf(q->reason, sizeof(q->reason), "NoProjectQuotas");
		snprintf(q->message, sizeof(q->message), "the file system of "
		    "%s does not count project quotas (ext4: made or tuned "
		    "with -O quota,project and mounted with prjquota; xfs: "
		    "mounted with prjquota): the request is recorded, not "
		    "enforced", dir);
	} else if (r == 0 && enforced == 0) {
		snprintf(q->reason, sizeof(q->reason), "QuotasOff");
		snprintf(q->message, sizeof(q->message), "project quotas are "
		    "counted but not enforced on the file system of %s "
		    "(mount it with prjquota): the request is recorded, not "
		    "enforced", dir);
	} else {
		snprintf(q->reason, sizeof(q->reason), "QuotaPending");
		snprintf(q->message, sizeof(q->message), "%s", r < 0 ?
		    err.msg : "no limit on the claim's project yet: it is set "
		    "when the manifests are read next");
	}
	q->id = 0;
	q->used = q->limit = 0;
	return false;
}

static bool
claim_in_use(struct agent *a, const char *ns, const char *name)
{
	struct pod *p;
	size_t i;

	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || p->spec == NULL || strcmp(p->ns, ns) != 0)
			continue;
		for (i = 0; i < p->spec->nvolumes; i++)
			if (p->spec->volumes[i].kind == CFG_VOL_PVC &&
			    strcmp(p->spec->volumes[i].claim, name) == 0)
				return true;
	}
	return false;
}

/* The id's limit goes with the data: nothing is left counted under it. */
static void
release_quota(const char *dir)
{
	uint32_t id;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	if (rt_quota_project(fd, &id, NULL) == 0 && id != 0)
		(void)rt_quota_limit(fd, id, 0, NULL);
	close(fd);
}

/* reclaim = Delete: claims whose manifests are gone, and that no pod
 * uses any more, lose their data (by a job: it may be large). */
void
claims_reclaim(struct agent *a)
{
	char dir[4200], path[4500];
	struct dirent *ns, *cl;
	DIR *d, *e;

	snprintf(dir, sizeof(dir), "%s/volumes", a->conf.state);
	if (!a->conf.reclaim_delete || (d = opendir(dir)) == NULL)
		return;
	while ((ns = readdir(d)) != NULL) {
		if (ns->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ns->d_name);
		if ((e = opendir(path)) == NULL)
			continue;
		while ((cl = readdir(e)) != NULL) {
			if (cl->d_name[0] == '.' ||
			    pvc_find(a, ns->d_name, cl->d_name) != NULL ||
			    claim_in_use(a, ns->d_name, cl->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dir,
			    ns->d_name, cl->d_name);
			log_info("claim %s/%s: released, its data deleted "
			    "(reclaim = Delete)", ns->d_name, cl->d_name);
			release_quota(path);
			ctr_remove_later(a, path);
		}
		closedir(e);
	}
	closedir(d);
}
