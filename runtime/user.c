/*
 * user: who the workload runs as, and finding its program.  Read from the
 * container's own /etc/passwd and /etc/group after pivot_root, never
 * through NSS (the host's users mean nothing in the image, and NSS would
 * load modules into the child).  Numeric ids work with no files at all.
 * Kubernetes' runAsUser/runAsGroup override the image's User; groups are
 * those of /etc/group naming the user, as containerd does.  The program
 * is looked up in the container's PATH (its env, not the shim's), and the
 * error reads as runc's does so kubectl users recognise it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
	"/sbin:/bin"
#define IDFILE_MAX (1 << 20)

static bool
numeric(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= UINT32_MAX - 1;
}

/* Split line into its colon fields; returns how many. */
static int
fields(char *line, char **f, int max)
{
	int n = 0;

	while (n < max) {
		f[n++] = line;
		line = strchr(line, ':');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

/*
 * Find in passwd (NUL-separated copy per line is made) the entry with
 * name, or with uid when name is NULL.  Fills name (when found), uid, gid.
 */
static bool
pw_find(const char *path, const char *name, uid_t *uid, gid_t *gid,
	char *oname, size_t olen, char *home, size_t hlen)
{
	char *data, *line, *next, *f[7];
	unsigned long u, g;
	bool found = false;
	size_t len;
	struct err e;

	if (read_file(path, IDFILE_MAX, &data, &len, &e) < 0)
		return false;
	for (line = data; line != NULL && !found; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		int nf = fields(line, f, 7);

		if (nf < 4 || !numeric(f[2], &u) || !numeric(f[3], &g))
			continue;
		if (name != NULL ? strcmp(f[0], name) == 0 : u == *uid) {
			*uid = (uid_t)u;
			*gid = (gid_t)g;
			snprintf(oname, olen, "%s", f[0]);
			if (nf >= 6 && f[5][0] == '/')
				snprintf(home, hlen, "%s", f[5]);
			found = true;
		}
	}
	free(data);
	return found;
}

/* Group by name (gid set), or the groups user belongs to (ids filled). */
static bool
gr_scan(const char *group, gid_t *gid, const char *user, struct rt_ids *ids)
{
	char *data, *line, *next, *f[4], *m, *save;
	unsigned long g;
	bool found = false;
	size_t len;
	struct err e;
	int n;

	if (read_file("/etc/group", IDFILE_MAX, &data, &len, &e) < 0)
		return false;
	for (line = data; line != NULL && !found; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		n = fields(line, f, 4);
		if (n < 3 || !numeric(f[2], &g))
			continue;
		if (group != NULL) {
			if (strcmp(f[0], group) == 0) {
				*gid = (gid_t)g;
				found = true;
			}
			continue;
		}
		if (n < 4)
			continue;
		for (m = strtok_r(f[3], ",", &save); m != NULL;
		    m = strtok_r(NULL, ",", &save))
			if (strcmp(m, user) == 0 &&
			    ids->ngroups < (int)ARRAY_SIZE(ids->groups))
				ids->groups[ids->ngroups++] = (gid_t)g;
	}
	free(data);
	return found;
}

int
rt_user_resolve(const struct rt_spec *s, struct rt_ids *ids, struct err *err)
{
	char user[256] = "", *group, name[256] = "";
	unsigned long v;
	gid_t pgid = 0, g;
	bool named;

	memset(ids, 0, sizeof(*ids));
	if (s->uid < 0 && s->user != NULL && s->user[0] != '\0') {
		snprintf(user, sizeof(user), "%s", s->user);
		group = strchr(user, ':');
		if (group != NULL)
			*group++ = '\0';
		named = !numeric(user, &v);
		if (!named)
			ids->uid = (uid_t)v;
		if (!pw_find("/etc/passwd", named ? user : NULL, &ids->uid,
		    &pgid, name, sizeof(name), ids->home, sizeof(ids->home)) && named)
			return err_setx(err, ENOENT, "unable to find user %s: "
			    "no matching entries in passwd file", user);
		ids->gid = pgid;
		if (group != NULL && *group != '\0') {
			if (numeric(group, &v))
				ids->gid = (gid_t)v;
			else if (gr_scan(group, &g, NULL, ids))
				ids->gid = g;
			else
				return err_setx(err, ENOENT, "unable to find "
				    "group %s: no matching entries in group "
				    "file", group);
		}
	} else if (s->uid >= 0) {
		ids->uid = (uid_t)s->uid;
		if (pw_find("/etc/passwd", NULL, &ids->uid, &pgid, name,
		    sizeof(name), ids->home, sizeof(ids->home)))
			ids->gid = pgid;
	} else {
		ids->uid = 0;
		pw_find("/etc/passwd", NULL, &ids->uid, &pgid, name,
		    sizeof(name), ids->home, sizeof(ids->home));
		ids->gid = pgid;
	}
	if (s->gid >= 0)
		ids->gid = (gid_t)s->gid;
	if (name[0] != '\0')
		gr_scan(NULL, &g, name, ids);
	return 0;
}

/*
 * The env with HOME added when it has none, as containerd does: the
 * user's home from /etc/passwd, else "/".  In the child: a copy, never
 * freed (exec replaces the process).
 */
char **
rt_env_home(char *const *env, const struct rt_ids *ids)
{
	char **out = NULL, kv[300];
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "HOME=", 5) == 0)
			return strv_dup(env);
	out = strv_dup(env);
	snprintf(kv, sizeof(kv), "HOME=%s", ids->home[0] ? ids->home : "/");
	strv_push(&out, kv);
	return out;
}

static const char *
env_path(char *const *env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			return env[i] + 5;
	return DEFAULT_PATH;
}

int
rt_user_exec(const struct rt_spec *s, struct err *err)
{
	char *const empty[] = { NULL };
	char *const *env = s->env != NULL ? s->env : empty;
	const char *prog = s->argv[0], *p, *colon;
	char path[PATH_MAX];
	bool eacces = false;
	size_t dl;

	if (strchr(prog, '/') != NULL) {
		execve(prog, s->argv, env);
		return err_setx(err, errno, "exec: \"%s\": %s", prog,
		    strerror(errno));
	}
	if (prog[0] == '\0')
		return err_setx(err, ENOENT, "exec: \"\": executable file not "
		    "found in $PATH");
	for (p = env_path(env); ; p = colon + 1) {
		colon = strchrnul(p, ':');
		dl = (size_t)(colon - p);
		if (snprintf(path, sizeof(path), "%.*s/%s", dl == 0 ? 1 : (int)dl,
		    dl == 0 ? "." : p, prog) < (int)sizeof(path)) {
			execve(path, s->argv, env);
			if (errno == EACCES)
				eacces = true;
			else if (errno != ENOENT && errno != ENOTDIR &&
			    errno != ELOOP && errno != ENAMETOOLONG)
				return err_setx(err, errno, "exec: \"%s\": %s",
				    path, strerror(errno));
		}
		if (*colon == '\0')
			break;
	}
	if (eacces)
		return err_setx(err, EACCES, "exec: \"%s\": permission denied",
		    prog);
	return err_setx(err, ENOENT, "exec: \"%s\": executable file not found "
	    "in $PATH", prog);
}
