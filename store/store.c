/*
 * store: opening <state>/images and the paths inside it.  Opening creates
 * the layout and clears what dead importers left in tmp/ and layers/: a
 * partial entry is named after its writer's pid, and is removed only
 * when that process is gone, since picoctl may be importing right now.
 * A pull's child clears tmp/ the same way (what a pull that failed left
 * there: its child was killed mid-unpack).  A tmp/<our pid>-partial at
 * open is a previous boot's (pids repeat after a reboot; we pull only
 * once the store is open): it goes too, since what a crash left there is
 * not known to be whole (pull_blob.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store_int.h"

#define OCI_LAYOUT	"{\"imageLayoutVersion\":\"1.0.0\"}"

/* "<pid>-..." in tmp/, "<hex>.tmp.<pid>" in layers/sha256/. */
static pid_t
owner(const char *name)
{
	const char *p = strstr(name, ".tmp.");

	p = p != NULL ? p + 5 : name;
	return (pid_t)strtol(p, NULL, 10);
}

static void
clear_stale(const char *dir, bool only_tmp)
{
	struct dirent *de;
	pid_t pid;
	char *p;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (only_tmp && strstr(de->d_name, ".tmp.") == NULL))
			continue;
		pid = owner(de->d_name);
		if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		(void)rm_rf(p, NULL);
		free(p);
	}
	closedir(d);
}

int
store_open(struct store **out, const char *state_dir, struct err *err)
{
	static const char *const sub[] = { "blobs/sha256", "layers/sha256",
	    "import", "tmp" };
	struct store *s = xcalloc(1, sizeof(*s));
	char *p;
	size_t i;
	int r = 0;

	s->root = xasprintf("%s/images", state_dir);
	s->import = xasprintf("%s/import", s->root);
	s->tmp = xasprintf("%s/tmp", s->root);
	for (i = 0; i < ARRAY_SIZE(sub) && r == 0; i++) {
		p = xasprintf("%s/%s", s->root, sub[i]);
		r = mkdir_p(p, 0711, err);
		free(p);
	}
	p = xasprintf("%s/oci-layout", s->root);
	if (r == 0 && access(p, F_OK) < 0)
		r = store_write_atomic(p, OCI_LAYOUT, strlen(OCI_LAYOUT), 0644,
		    err);
	free(p);
	if (r < 0) {
		store_close(s);
		return r;
	}
	clear_stale(s->tmp, false);
	p = xasprintf("%s/%d-partial", s->tmp, (int)getpid());
	(void)rm_rf(p, NULL);
	free(p);
	p = xasprintf("%s/layers/sha256", s->root);
	clear_stale(p, true);
	free(p);
	*out = s;
	return 0;
}

void
tmp_clear_stale(struct store *s)
{
	clear_stale(s->tmp, false);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	free(s->root);
	free(s->import);
	free(s->tmp);
	free(s);
}

const char *
store_import_dir(const struct store *s)
{
	return s->import;
}

char *
blob_path(const struct store *s, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", s->root, digest + 7);
}

char *
blob_ok_path(const char *partdir, const char *digest)
{
	return xasprintf("%s/%s.ok", partdir, digest + 7);
}

char *
layer_path(const struct store *s, const char *diffid)
{
	return xasprintf("%s/layers/sha256/%s", s->root, diffid + 7);
}

int
blob_json(const struct store *s, const char *digest, struct json **out,
    struct err *err)
{
	char *p, *data = NULL;
	size_t len;
	int r;

	*out = NULL;
	if (!store_digest_valid(digest))
		return err_setx(err, EINVAL, "invalid digest %s",
		    digest != NULL ? digest : "(none)");
	p = blob_path(s, digest);
	if ((r = read_file(p, STORE_JSON_MAX, &data, &len, err)) == 0 &&
	    (r = json_parse(data, len, out, err)) < 0)
		err_prefix(err, "blob %s", digest);
	free(data);
	free(p);
	return r;
}

void
store_platform(char arch[16], char variant[8])
{
	static const struct { const char *m, *a, *v; } map[] = {
		{ "x86_64", "amd64", "" }, { "aarch64", "arm64", "" },
		{ "armv7l", "arm", "v7" }, { "armv6l", "arm", "v6" },
		{ "armv8l", "arm", "v7" }, { "i686", "386", "" },
		{ "riscv64", "riscv64", "" }, { "ppc64le", "ppc64le", "" },
		{ "s390x", "s390x", "" },
	};
	struct utsname u;
	size_t i;

	snprintf(arch, 16, "unknown");
	variant[0] = '\0';
	if (uname(&u) < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i].m) == 0) {
			snprintf(arch, 16, "%s", map[i].a);
			snprintf(variant, 8, "%s", map[i].v);
			return;
		}
	snprintf(arch, 16, "%.15s", u.machine);
}
