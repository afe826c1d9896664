/*
 * volumes_mount: a container's volumeMounts as the shim's bind mounts:
 * the volume's directory on this node, readOnly (always for what kubelet
 * writes), subPath and propagation, parents mounted before children.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lib/util.h"

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
		    volume_is_files(v->kind) || (v->kind == CFG_VOL_PVC &&
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
