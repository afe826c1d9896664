/*
 * cgroup: one interface over cgroup v2 and v1, as crun does it: this file
 * finds the hierarchies and holds what both versions share (paths, pid
 * walking, depth-first removal); cgroup_v1.c and cgroup_v2.c fill in an
 * ops table for limits, OOM counts and killing.
 *
 * Detection reads /proc/self/mountinfo, never guesses paths: a cgroup2
 * mounted exactly at the root means v2.  Otherwise every v1 hierarchy
 * mounted below the root that holds cpu, cpuacct, memory, pids or freezer
 * is used, each once even when co-mounted ("cpu,cpuacct") or mounted
 * twice.  A cgroup2 beside them (hybrid hosts: /sys/fs/cgroup/unified,
 * often with no controller at all) is noted and otherwise ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup_int.h"

#define CG_DEPTH_MAX 32

static const struct {
	const char *name;
	unsigned bit;
} v1_ctrls[] = {
	{ "cpu", CG_CPU }, { "cpuacct", CG_CPUACCT }, { "memory", CG_MEMORY },
	{ "pids", CG_PIDS }, { "freezer", CG_FREEZER },
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

static unsigned
superopts_ctrls(char *opts)
{
	unsigned m = 0;
	size_t i;
	char *o, *save;

	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		for (i = 0; i < ARRAY_SIZE(v1_ctrls); i++)
			if (strcmp(o, v1_ctrls[i].name) == 0)
				m |= v1_ctrls[i].bit;
	return m;
}

static void
add_hier(struct rt_cgroup *cg, const char *mnt, unsigned ctrls, dev_t dev)
{
	int i;

	for (i = 0; i < cg->nh; i++)
		if (cg->h[i].dev == dev)
			return;
	if (cg->nh == CG_HIER_MAX)
		return;
	cg->h[cg->nh].mnt = xstrdup(mnt);
	cg->h[cg->nh].ctrls = ctrls;
	cg->h[cg->nh++].dev = dev;
}

/* One mountinfo line; fields split in place. */
static void
scan_line(struct rt_cgroup *cg, char *line, const char *root, bool *v2)
{
	char *f[10], *dash, *save, *mnt, *fstype, *opts;
	unsigned maj, min;
	size_t rl = strlen(root);
	int n = 0;

	dash = strstr(line, " - ");
	if (dash == NULL)
		return;
	*dash = '\0';
	for (f[n] = strtok_r(line, " ", &save); f[n] && n < 5;
	    f[++n] = strtok_r(NULL, " ", &save))
		;
	fstype = strtok_r(dash + 3, " ", &save);
	(void)strtok_r(NULL, " ", &save);	/* source */
	opts = strtok_r(NULL, " \n", &save);
	if (n < 5 || fstype == NULL || opts == NULL ||
	    sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return;
	mnt = f[4];
	unescape(mnt);
	if (strcmp(fstype, "cgroup2") == 0) {
		if (strcmp(mnt, root) == 0)
			*v2 = true;
		else if (strncmp(mnt, root, rl) == 0 && mnt[rl] == '/')
			cg->hybrid = true;
	} else if (strcmp(fstype, "cgroup") == 0 &&
	    strncmp(mnt, root, rl) == 0 && mnt[rl] == '/') {
		unsigned m = superopts_ctrls(opts);

		if (m != 0)
			add_hier(cg, mnt, m, makedev(maj, min));
	}
}

static int
detect(struct rt_cgroup *cg, const char *root, struct err *err)
{
	char *line = NULL;
	size_t cap = 0;
	bool v2 = false;
	FILE *fp;
	int i;

	fp = fopen("/proc/self/mountinfo", "re");
	if (fp == NULL)
		return err_set(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, fp) > 0)
		scan_line(cg, line, root, &v2);
	free(line);
	fclose(fp);
	if (v2) {
		for (i = 0; i < cg->nh; i++)
			free(cg->h[i].mnt);
		cg->h[0].mnt = xstrdup(root);
		cg->h[0].ctrls = ~0u;
		cg->nh = 1;
		cg->mode = RT_CG_V2;
		cg->hybrid = false;
		cg->ops = &cg_v2_ops;
		return 0;
	}
	if (cg->nh == 0)
		return err_setx(err, ENOENT, "no cgroup filesystem at %s",
		    root);
	cg->mode = RT_CG_V1;
	cg->ops = &cg_v1_ops;
	return 0;
}

/* A cgroup name: no empty, "." or ".." component, not absolute. */
static bool
valid_rel(const char *rel)
{
	const char *p = rel;
	size_t n;

	if (*rel == '\0')
		return false;
	for (;;) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

int
rt_cgroup_open(struct rt_cgroup **out, const char *root, const char *name,
    struct err *err)
{
	struct rt_cgroup *cg;
	char rootbuf[4096];
	size_t rl;
	char *p;
	int i, r;

	if (root == NULL)
		root = "/sys/fs/cgroup";
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl >= sizeof(rootbuf) || name == NULL || strchr(name, '/') ||
	    !valid_rel(name))
		return err_setx(err, EINVAL, "cgroup %s/%s: bad name", root,
		    name ? name : "");
	memcpy(rootbuf, root, rl);
	rootbuf[rl] = '\0';
	cg = xcalloc(1, sizeof(*cg));
	cg->name = xstrdup(name);
	if ((r = detect(cg, rootbuf, err)) < 0)
		goto fail;
	for (i = 0; i < cg->nh; i++) {
		p = cg_path(cg, i, NULL, NULL);
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = err_set(err, errno, "mkdir %s", p);
			free(p);
			goto fail;
		}
		free(p);
	}
	if ((r = cg->ops->prepare(cg, err)) < 0)
		goto fail;
	*out = cg;
	return 0;
fail:
	rt_cgroup_close(cg);
	return r;
}

void
rt_cgroup_close(struct rt_cgroup *cg)
{
	int i;

	if (cg == NULL)
		return;
	for (i = 0; i < cg->nh; i++)
		free(cg->h[i].mnt);
	free(cg->name);
	free(cg);
}

enum rt_cg_mode
rt_cgroup_mode(const struct rt_cgroup *cg)
{
	return cg->mode;
}

const char *
rt_cgroup_mode_name(const struct rt_cgroup *cg)
{
	if (cg->mode == RT_CG_V2)
		return "v2";
	return cg->hybrid ? "hybrid" : "v1";
}

int
rt_cgroup_create(struct rt_cgroup *cg, const char *rel,
    const struct rt_limits *lim, struct err *err)
{
	if (rel == NULL || !valid_rel(rel))
		return err_setx(err, EINVAL, "cgroup %s/%s: bad name",
		    cg->name, rel ? rel : "");
	return cg->ops->create(cg, rel, lim, err);
}

char **
rt_cgroup_dirs(const struct rt_cgroup *cg, const char *rel)
{
	char **v = xcalloc(1, sizeof(*v));
	char *p;
	int i;

	for (i = 0; i < cg->nh; i++) {
		p = cg_path(cg, i, rel, NULL);
		strv_push(&v, p);
		free(p);
	}
	return v;
}

int
rt_cgroup_oom_kills(const struct rt_cgroup *cg, const char *rel, uint64_t *n)
{
	if (rel != NULL && !valid_rel(rel))
		return -EINVAL;
	return cg->ops->oom_kills(cg, rel, n);
}

int
rt_cgroup_kill(const struct rt_cgroup *cg, const char *rel, struct err *err)
{
	if (rel != NULL && !valid_rel(rel))
		return err_setx(err, EINVAL, "cgroup %s/%s: bad name",
		    cg->name, rel);
	return cg->ops->kill(cg, rel, err);
}

/* Children first; cgroupfs lists only control files and cgroups, and
 * control files need no removal. */
static int
remove_tree(const char *dir, int depth, struct err *err)
{
	struct dirent *de;
	char *sub;
	DIR *d;
	int r = 0;

	if (depth > CG_DEPTH_MAX)
		return err_setx(err, ELOOP, "%s: cgroups nested too deep", dir);
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : err_set(err, errno, "open %s", dir);
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		r = remove_tree(sub, depth + 1, err);
		free(sub);
	}
	closedir(d);
	if (r < 0)
		return r;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return err_set(err, errno, "rmdir %s", dir);
	return 0;
}

int
rt_cgroup_remove(const struct rt_cgroup *cg, const char *rel, struct err *err)
{
	int i, r, ret = 0;
	char *p;

	if (rel != NULL && !valid_rel(rel))
		return err_setx(err, EINVAL, "cgroup %s/%s: bad name",
		    cg->name, rel);
	for (i = 0; i < cg->nh; i++) {
		p = cg_path(cg, i, rel, NULL);
		r = remove_tree(p, 0, ret < 0 ? NULL : err);
		free(p);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

char *
cg_path(const struct rt_cgroup *cg, int h, const char *rel, const char *file)
{
	return xasprintf("%s/%s%s%s%s%s", cg->h[h].mnt, cg->name,
	    rel ? "/" : "", rel ? rel : "", file ? "/" : "", file ? file : "");
}

int
cg_hier_find(const struct rt_cgroup *cg, unsigned ctrl)
{
	int i;

	for (i = 0; i < cg->nh; i++)
		if (cg->h[i].ctrls & ctrl)
			return i;
	return -1;
}

int
cg_write(const char *dir, const char *file, const char *val,
    struct err *err)
{
	size_t len = strlen(val);
	ssize_t w;
	int fd, e;

	fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "write %s to %s/%s", val, dir, file);
	e = openat(fd, file, O_WRONLY | O_CLOEXEC);
	close(fd);
	if (e < 0)
		return err_set(err, errno, "write %s to %s/%s", val, dir, file);
	fd = e;
	w = write(fd, val, len);
	e = errno;
	close(fd);
	if (w < 0)
		return err_set(err, e, "write %s to %s/%s", val, dir, file);
	if ((size_t)w != len)
		return err_setx(err, EIO, "write %s to %s/%s: short write",
		    val, dir, file);
	return 0;
}

int
cg_read_key(const char *path, const char *key, uint64_t *v)
{
	size_t kl = strlen(key), len;
	char *buf, *p;
	int r;

	if ((r = read_file(path, 65536, &buf, &len, NULL)) < 0)
		return r;
	r = -ENOENT;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			*v = strtoull(p + kl + 1, NULL, 10);
			r = 0;
			break;
		}
	}
	free(buf);
	return r;
}

int
cg_kill_tree(const char *dir, int depth, unsigned *nkilled)
{
	struct dirent *de;
	char *path, *buf, *p, *end;
	size_t len;
	long pid;
	DIR *d;
	int r;

	if (depth > CG_DEPTH_MAX)
		return -ELOOP;
	path = xasprintf("%s/cgroup.procs", dir);
	r = read_file(path, 1 << 20, &buf, &len, NULL);
	free(path);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (p = buf; *p; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			(*nkilled)++;
	}
	free(buf);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		cg_kill_tree(path, depth + 1, nkilled);
		free(path);
	}
	closedir(d);
	return 0;
}

int64_t
cg_cpu_quota(int64_t millis)
{
	int64_t q;

	if (millis <= 0)
		return -1;
	if (millis > INT64_MAX / CG_PERIOD_US)
		return -1;
	q = millis * CG_PERIOD_US / 1000;
	return q < 1000 ? 1000 : q;
}

uint64_t
cg_cpu_shares(int64_t millis)
{
	int64_t s;

	if (millis < 0)
		return 1024;	/* the kernel's default */
	if (millis > INT64_MAX / 1024)
		return 262144;
	s = millis * 1024 / 1000;
	return s < 2 ? 2 : s > 262144 ? 262144 : (uint64_t)s;
}

uint64_t
cg_cpu_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}
