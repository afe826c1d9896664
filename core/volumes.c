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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "core/core.h"
#include "core/ctr_spec.h"
#include "core/log.h"
#include "lib/buf.h"
#include "lib/util.h"

#define CONTENT_TMPFS (8LL << 20)	/* two versions of 4 MiB at most */

static bool
is_content(enum cfg_vol_kind k)
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

/* ---- the files of ConfigMap, Secret and downward API volumes ---- */

struct payload {
	struct rt_proj_file *f;
	size_t n;
	char **owned;			/* downward API texts */
};

static void
payload_add(struct payload *pl, const char *path, const void *data,
    size_t len, int mode)
{
	pl->f = xrealloc(pl->f, (pl->n + 1) * sizeof(*pl->f));
	pl->f[pl->n++] = (struct rt_proj_file){ path, data, len,
	    (mode_t)mode };
}

static void
payload_free(struct payload *pl)
{
	strv_free(pl->owned);
	free(pl->f);
	memset(pl, 0, sizeof(*pl));
}

static const char *
payload_own(struct payload *pl, char *s)
{
	strv_push(&pl->owned, s);
	free(s);
	return pl->owned[strv_len(pl->owned) - 1];
}

static int
from_config(const struct pod *p, const struct cfg_vol_source *s, int mode,
    struct payload *pl, struct err *err)
{
	bool secret = s->kind == CFG_VOL_SECRET;
	const struct cfg_config *cm;
	const struct cfg_blob *b;
	size_t i;

	cm = config_find(p->a, p->ns, s->name, secret);
	if (cm == NULL) {
		if (s->optional)
			return 0;
		return err_setx(err, ENOENT, "%s \"%s\" not found",
		    secret ? "secret" : "configmap", s->name);
	}
	if (s->nitems == 0) {
		for (i = 0; i < cm->ndata; i++)
			payload_add(pl, cm->data[i].key, cm->data[i].data,
			    cm->data[i].len, mode);
		return 0;
	}
	for (i = 0; i < s->nitems; i++) {
		const struct cfg_key_path *it = &s->items[i];

		if ((b = cfg_config_get(cm, it->key)) == NULL) {
			if (s->optional)
				continue;
			return err_setx(err, ENOENT, "%s references "
			    "non-existent %s key: %s", secret ? "secret" :
			    "configmap", secret ? "secret" : "config",
			    it->key);
		}
		payload_add(pl, it->path, b->data, b->len, it->mode >= 0 ?
		    it->mode : mode);
	}
	return 0;
}

/* key="value" lines, sorted by key (the labels are), Go-quoted. */
static char *
kv_lines(const struct cfg_kvs *kvs)
{
	struct buf b;
	const char *v;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < kvs->n; i++) {
		buf_printf(&b, "%s=\"", kvs->v[i].key);
		for (v = kvs->v[i].value; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				buf_append(&b, "\\", 1);
			if (*v == '\n')
				buf_puts(&b, "\\n");
			else
				buf_append(&b, v, 1);
		}
		buf_puts(&b, i + 1 < kvs->n ? "\"\n" : "\"");
	}
	v = xstrdup(b.p != NULL ? b.p : "");
	buf_free(&b);
	return (char *)v;
}

static int
from_downward(const struct pod *p, const struct ctr_ctx *x,
    const struct cfg_vol_source *s, int mode, struct payload *pl,
    struct err *err)
{
	const struct cfg_pod *ps = p->spec;
	const char *text;
	size_t i;
	int r;

	for (i = 0; i < s->nfields; i++) {
		const struct cfg_field_path *fp = &s->fields[i];
		char *val = NULL;

		if (fp->field_path != NULL &&
		    strcmp(fp->field_path, "metadata.labels") == 0)
			val = kv_lines(&ps->meta.labels);
		else if (fp->field_path != NULL &&
		    strcmp(fp->field_path, "metadata.annotations") == 0)
			val = kv_lines(&ps->meta.annotations);
		else if (fp->field_path != NULL) {
			if ((r = ctr_field_ref(x, fp->field_path, &text,
			    err)) < 0)
				return r;
			val = xstrdup(text);
		} else {
			char num[32];

			if ((r = ctr_resource_value(x, fp->container_name,
			    fp->resource, fp->divisor, num, sizeof(num),
			    err)) < 0)
				return r;
			val = xstrdup(num);
		}
		text = payload_own(pl, val);
		payload_add(pl, fp->path, text, strlen(text), fp->mode >= 0 ?
		    fp->mode : mode);
	}
	return 0;
}

static int
payload_build(struct pod *p, const struct cfg_volume *v, struct payload *pl,
    struct err *err)
{
	struct ctr_ctx x;
	size_t i;
	int r = 0;

	ctr_context_pod(p, &x);
	for (i = 0; i < v->nsrcs && r == 0; i++) {
		const struct cfg_vol_source *s = &v->srcs[i];

		if (s->kind == CFG_VOL_DOWNWARD)
			r = from_downward(p, &x, s, v->default_mode, pl, err);
		else
			r = from_config(p, s, v->default_mode, pl, err);
	}
	return r;
}

static void
payload_hash(const struct payload *pl, char out[65])
{
	mbedtls_sha256_context h;
	unsigned char d[32], len[8];
	size_t i, j;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	for (i = 0; i < pl->n; i++) {
		const struct rt_proj_file *f = &pl->f[i];

		mbedtls_sha256_update_ret(&h, (const unsigned char *)f->path,
		    strlen(f->path) + 1);
		for (j = 0; j < 8; j++)
			len[j] = (unsigned char)(((uint64_t)f->len >> (j * 8)) &
			    0xff);
		mbedtls_sha256_update_ret(&h, len, sizeof(len));
		len[0] = (unsigned char)(f->mode & 0xff);
		len[1] = (unsigned char)(f->mode >> 8);
		mbedtls_sha256_update_ret(&h, len, 2);
		mbedtls_sha256_update_ret(&h, f->data, f->len);
	}
	mbedtls_sha256_finish_ret(&h, d);
	mbedtls_sha256_free(&h);
	for (i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", d[i]);
}

static gid_t
fs_group(const struct pod *p)
{
	return p->spec->fs_group >= 0 ? (gid_t)p->spec->fs_group : (gid_t)-1;
}

/* Write the volume's files when they differ from what it shows. */
static int
content_sync(struct pod *p, size_t idx, struct err *err)
{
	const struct cfg_volume *v = &p->spec->volumes[idx];
	struct payload pl = { NULL, 0, NULL };
	char dir[4200], hash[65];
	int r;

	if ((r = payload_build(p, v, &pl, err)) == 0) {
		payload_hash(&pl, hash);
		if (strcmp(hash, p->vols[idx].hash) != 0) {
			volume_path(p, v, dir, sizeof(dir));
			r = rt_proj_write(dir, pl.f, pl.n, fs_group(p), err);
			if (r == 0)
				memcpy(p->vols[idx].hash, hash, sizeof(hash));
		}
	}
	payload_free(&pl);
	return r;
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
		if ((r = rt_tmpfs_mount(dir, CONTENT_TMPFS, 0755, err)) < 0)
			return r;
		return content_sync(p, idx, err);
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
		if (!p->vols[i].ready || !is_content(s->volumes[i].kind))
			continue;
		/* A source gone away keeps the files it last had, as kubelet */
		if (content_sync(p, i, &err) < 0)
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

/* ---- a container's mounts ---- */

static const struct cfg_volume *
volume_named(const struct cfg_pod *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nvolumes; i++)
		if (strcmp(s->volumes[i].name, name) == 0)
			return &s->volumes[i];
	return NULL;
}

static size_t
depth(const char *path)
{
	size_t n = 0;

	for (; *path != '\0'; path++)
		if (*path == '/' && path[1] != '/' && path[1] != '\0')
			n++;
	return n;
}

/* Parents before children, otherwise as listed: a stable sort. */
static void
sort_by_depth(struct rt_mount *m, size_t n)
{
	struct rt_mount t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = m[i];
		for (j = i; j > 0 && depth(m[j - 1].dst) > depth(t.dst); j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

void
mounts_push(struct rt_mount **mounts, size_t *n, const char *src,
    const char *dst, bool ro)
{
	struct rt_mount *m;

	*mounts = xrealloc(*mounts, (*n + 1) * sizeof(**mounts));
	m = &(*mounts)[(*n)++];
	memset(m, 0, sizeof(*m));
	m->src = xstrdup(src);
	m->dst = xstrdup(dst);
	m->ro = ro;
}

void
mounts_free(struct rt_mount *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].src);
		free(m[i].dst);
		free(m[i].sub);
	}
	free(m);
}

int
volumes_mounts(const struct ctr *c, struct rt_mount **mounts, size_t *n,
    struct err *err)
{
	const struct cfg_pod *s = c->pod->spec;
	const struct cfg_volume *v;
	struct rt_mount *m;
	char dir[4200];
	size_t i;

	for (i = 0; i < c->spec->nmounts; i++) {
		const struct cfg_volume_mount *vm = &c->spec->mounts[i];

		if ((v = volume_named(s, vm->name)) == NULL)
			return err_setx(err, ENOENT, "volumeMount %s: no volume "
			    "of that name", vm->name);
		if (volume_path(c->pod, v, dir, sizeof(dir)) < 0)
			return err_setx(err, ENOTSUP, "volume %s: type %s is "
			    "not supported", v->name, v->type);
		if (vm->propagation != NULL &&
		    strcmp(vm->propagation, "Bidirectional") == 0 &&
		    c->spec->sec.privileged != 1)
			return err_setx(err, EPERM, "volumeMount %s: "
			    "Bidirectional mount propagation is available only "
			    "to privileged containers", vm->name);
		/* What kubelet writes is read-only in the container. */
		mounts_push(mounts, n, dir, vm->mount_path, vm->read_only ||
		    is_content(v->kind) || (v->kind == CFG_VOL_PVC &&
		    v->read_only));
		m = &(*mounts)[*n - 1];
		if (vm->sub_path != NULL && vm->sub_path[0] != '\0')
			m->sub = xstrdup(vm->sub_path);
		m->prop = vm->propagation == NULL ? RT_PROP_PRIVATE :
		    !strcmp(vm->propagation, "HostToContainer") ? RT_PROP_SLAVE :
		    !strcmp(vm->propagation, "Bidirectional") ? RT_PROP_SHARED :
		    RT_PROP_PRIVATE;
	}
	sort_by_depth(*mounts, *n);
	return 0;
}
