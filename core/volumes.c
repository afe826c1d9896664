/*
 * volumes: a pod's volumes on this node, set up before its first
 * container starts (kubelet's "wait for volumes"), refreshed when the
 * objects they show change, gone with the pod.
 *
 *   emptyDir            <state>/pods/<uid>/volumes/<name> (0777), or a
 *                       tmpfs there when medium is Memory (sizeLimit)
 *   hostPath            the host's path, checked against its type
 *   configMap, secret,  a tmpfs at <run>/pods/<uid>/volumes/<name>,
 *   downwardAPI,        filled by the atomic writer (runtime/volume.c)
 *   projected
 *   persistentVolume-   <state>/volumes/<ns>/<claim>, kept after the pod
 *   Claim
 *
 * A volume that cannot be set up (a missing ConfigMap, a hostPath of the
 * wrong type) leaves the pod's containers ContainerCreating with a
 * FailedMount event; they try again when the manifests change and every
 * 10 seconds.
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


bool
volume_is_files(enum cfg_vol_kind k)
{
	return k == CFG_VOL_CONFIGMAP || k == CFG_VOL_SECRET ||
	    k == CFG_VOL_DOWNWARD || k == CFG_VOL_PROJECTED;
}

int
volume_path(const struct pod *p, const struct cfg_volume *v, char *buf,
    size_t len)
{
	const struct agent *a = p->a;

	switch (v->kind) {
	case CFG_VOL_EMPTYDIR:
		if (v->memory)
			snprintf(buf, len, "%s/volumes/%s", p->run_dir,
			    v->name);
		else
			snprintf(buf, len, "%s/pods/%s/volumes/%s",
			    a->conf.state, p->uid, v->name);
		return 0;
	case CFG_VOL_HOSTPATH:
		snprintf(buf, len, "%s", v->host_path);
		return 0;
	case CFG_VOL_PVC:
		pvc_dir(a, p->ns, v->claim, buf, len);
		return 0;
	case CFG_VOL_CONFIGMAP:
	case CFG_VOL_SECRET:
	case CFG_VOL_DOWNWARD:
	case CFG_VOL_PROJECTED:
		snprintf(buf, len, "%s/volumes/%s", p->run_dir, v->name);
		return 0;
	case CFG_VOL_OTHER:
		break;
	}
	return -ENOTSUP;
}


/*
 * fsGroup on a volume's root: its group, group-writable and setgid so
 * what is made inside keeps the group (kubelet's OnRootMismatch).
 */
static int
fs_group_own(const struct pod *p, const char *dir, struct err *err)
{
	struct stat st;

	if (p->spec->fs_group < 0)
		return 0;
	if (stat(dir, &st) < 0)
		return err_set(err, errno, "stat %s", dir);
	if (st.st_gid == (gid_t)p->spec->fs_group && (st.st_mode & S_ISGID))
		return 0;
	if (chown(dir, (uid_t)-1, (gid_t)p->spec->fs_group) < 0 ||
	    chmod(dir, (st.st_mode & 07777) | S_ISGID | S_IRWXG) < 0)
		return err_set(err, errno, "fsGroup %lld on %s",
		    (long long)p->spec->fs_group, dir);
	return 0;
}

/* ---- hostPath ---- */

static int
host_path(const struct cfg_volume *v, struct err *err)
{
	static const char *const names[] = { "", "DirectoryOrCreate",
	    "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
	    "BlockDevice" };
	const char *path = v->host_path;
	struct stat st;
	bool ok;
	int fd;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return err_set(err, errno, "hostPath %s", path);
		if (v->host_type == CFG_HOST_DIR_OR_CREATE)
			return mkdir_p(path, 0755, err);
		if (v->host_type == CFG_HOST_FILE_OR_CREATE) {
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0644);
			if (fd < 0)
				return err_set(err, errno, "hostPath %s: create "
				    "file", path);
			close(fd);
			return 0;
		}
		if (v->host_type == CFG_HOST_ANY)
			return mkdir_p(path, 0755, err);	/* as kubelet */
		return err_setx(err, ENOENT, "hostPath type check failed: %s "
		    "does not exist (type %s)", path, names[v->host_type]);
	}
	switch (v->host_type) {
	case CFG_HOST_ANY:
		return 0;
	case CFG_HOST_DIR_OR_CREATE:
	case CFG_HOST_DIR:
		ok = S_ISDIR(st.st_mode);
		break;
	case CFG_HOST_FILE_OR_CREATE:
	case CFG_HOST_FILE:
		ok = S_ISREG(st.st_mode);
		break;
	case CFG_HOST_SOCKET:
		ok = S_ISSOCK(st.st_mode);
		break;
	case CFG_HOST_CHAR:
		ok = S_ISCHR(st.st_mode);
		break;
	case CFG_HOST_BLOCK:
		ok = S_ISBLK(st.st_mode);
		break;
	default:
		ok = false;
	}
	if (!ok)
		return err_setx(err, EINVAL, "hostPath type check failed: %s "
		    "is not a %s", path, names[v->host_type]);
	return 0;
}

/* ---- set up, refresh, tear down ---- */

static int
setup_one(struct pod *p, size_t idx, struct err *err)
{
	const struct cfg_volume *v = &p->spec->volumes[idx];
	char dir[4200];
	int r;

	if (volume_path(p, v, dir, sizeof(dir)) < 0)
		return err_setx(err, ENOTSUP, "volume type %s is not "
		    "supported", v->type);
	switch (v->kind) {
	case CFG_VOL_EMPTYDIR:
		if (v->memory)
			r = rt_tmpfs_mount(dir, v->size_limit > 0 ?
			    v->size_limit : 0, 01777, err);
		else if ((r = mkdir_p(dir, 0700, err)) == 0 &&
		    chmod(dir, 0777) < 0)
			r = err_set(err, errno, "chmod %s", dir);
		if (r == 0 && v->memory && chmod(dir, 0777) < 0)
			r = err_set(err, errno, "chmod %s", dir);
		if (r == 0)
			r = fs_group_own(p, dir, err);
		if (r == 0 && !v->memory && v->size_limit >= 0)
			volumes_limit_watch(p->a);
		return r;
	case CFG_VOL_HOSTPATH:
		return host_path(v, err);
	case CFG_VOL_PVC:
		if (pvc_find(p->a, p->ns, v->claim) == NULL)
			return err_setx(err, ENOENT, "persistentvolumeclaim "
			    "\"%s\" not found", v->claim);
		if (access(dir, F_OK) < 0)
			return err_set(err, errno, "claim %s: %s", v->claim,
			    dir);
		return fs_group_own(p, dir, err);
	default:
		/* Room for two versions (the swap) of every source at its
		 * 1 MiB most, and the directories. */
		if ((r = rt_tmpfs_mount(dir, ((int64_t)v->nsrcs * 2 + 1) *
		    CFG_CONFIG_MAX, 0755, err)) < 0)
			return r;
		return volume_files_sync(p, idx, err);
	}
}

int
volumes_setup(struct pod *p, struct err *err)
{
	const struct cfg_pod *s = p->spec;
	size_t i;
	int r;

	if (p->vols == NULL && s->nvolumes > 0)
		p->vols = xcalloc(s->nvolumes, sizeof(*p->vols));
	for (i = 0; i < s->nvolumes; i++) {
		if (p->vols[i].ready)
			continue;
		if ((r = setup_one(p, i, err)) < 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "MountVolume.SetUp failed "
			    "for volume \"%s\" : %s", s->volumes[i].name,
			    err->msg);
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
			p->vol_error = true;
			return r;
		}
		p->vols[i].ready = true;
	}
	p->vol_error = false;
	return 0;
}

void
volumes_refresh(struct pod *p)
{
	const struct cfg_pod *s = p->spec;
	struct err err;
	size_t i;

	if (p->vols == NULL && p->sandbox && s->nvolumes > 0 &&
	    volumes_setup(p, &err) < 0)	/* adopted after a restart */
		log_debug("pod %s/%s: %s", p->ns, p->name, err.msg);
	if (p->vols == NULL)
		return;
	for (i = 0; i < s->nvolumes; i++) {
		if (!p->vols[i].ready || !volume_is_files(s->volumes[i].kind))
			continue;
		/* A source gone away keeps the files it last had, as kubelet */
		if (volume_files_sync(p, i, &err) < 0)
			log_debug("pod %s/%s: volume %s: %s", p->ns, p->name,
			    s->volumes[i].name, err.msg);
	}
}

/* Everything mounted under <run>/pods/<uid>/volumes, spec or not (an
 * orphan found after a restart has none). */
void
volumes_teardown(struct pod *p)
{
	char dir[4200], path[4500];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/volumes", p->run_dir);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rt_volume_umount(path);
	}
	closedir(d);
	free(p->vols);
	p->vols = NULL;
}
