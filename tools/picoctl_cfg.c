/*
 * picoctl_cfg: `get configmaps|secrets|persistentvolumeclaims` (through
 * picoctl_res.c) and `describe` of each.  picolet never sends a Secret's
 * values, so nothing here can print one.  `describe pvc` adds the disk
 * use of the claim's directory, walked here (not in picolet's loop) and
 * bounded, so a huge tree costs the user's command, never the agent.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/util.h"
#include "tools/picoctl.h"

/* describe pvc stops counting after this many entries */
#define USE_MAX_ENTRIES 200000

static const struct ctl_res cm_type = { "configmaps", "ConfigMap",
	"configmap", "DATA\tAGE", NULL, fmt_cm_row };
static const struct ctl_res secret_type = { "secrets", "Secret", "secret",
	"TYPE\tDATA\tAGE", NULL, fmt_secret_row };
static const struct ctl_res pvc_type = { "persistentvolumeclaims",
	"PersistentVolumeClaim", "persistentvolumeclaim",
	"STATUS\tVOLUME\tCAPACITY\tACCESS MODES\tSTORAGECLASS\tAGE",
	"\tVOLUMEMODE", fmt_pvc_row };

static const struct {
	const char *name;
	const struct ctl_res *rt;
} names[] = {
	{ "configmaps", &cm_type }, { "configmap", &cm_type },
	{ "cm", &cm_type },
	{ "secrets", &secret_type }, { "secret", &secret_type },
	{ "persistentvolumeclaims", &pvc_type },
	{ "persistentvolumeclaim", &pvc_type }, { "pvc", &pvc_type },
};

static const struct ctl_res *
lookup(const char *what)
{
	size_t i;

	for (i = 0; what && i < ARRAY_SIZE(names); i++)
		if (strcmp(what, names[i].name) == 0)
			return names[i].rt;
	return NULL;
}

bool
ctl_cfg_resource(const char *what)
{
	return lookup(what) != NULL;
}

int
ctl_cmd_get_cfg(struct ctl *ctl)
{
	return ctl_get_res(ctl, lookup(ctl->args[0]));
}

/* nftw has no argument for its callback: one walk at a time. */
static struct {
	int64_t bytes;
	long entries, max, unreadable;
} walk;

static int
walk_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	if (type == FTW_NS || type == FTW_DNR)
		walk.unreadable++;
	if (type != FTW_NS)
		walk.bytes += (int64_t)st->st_blocks * 512;
	return ++walk.entries >= walk.max ? 1 : 0;
}

int
ctl_disk_use(const char *dir, long max_entries, int64_t *bytes,
    long *entries)
{
	int r;

	memset(&walk, 0, sizeof(walk));
	walk.max = max_entries;
	r = nftw(dir, walk_one, 16, FTW_PHYS | FTW_MOUNT);
	*bytes = walk.bytes;
	*entries = walk.entries;
	if (r < 0)
		return -errno;
	if (r == 1)
		return -E2BIG;
	return walk.unreadable > 0 ? -EACCES : 0;
}

/* "12Ki", "at least 3.1Gi (counted 200000 entries)", "<unknown> (why)" */
static void
used(const struct json *pvc, char *out, size_t len)
{
	const char *dir = json_get_str(json_get(pvc, "spec"), "volumeName");
	char sz[32];
	int64_t bytes;
	long n;
	int r;

	if (dir == NULL || dir[0] != '/') {
		snprintf(out, len, "<unknown> (not bound)");
		return;
	}
	r = ctl_disk_use(dir, USE_MAX_ENTRIES, &bytes, &n);
	fmt_disk_size(bytes, sz, sizeof(sz));
	if (r == 0)
		snprintf(out, len, "%s", sz);
	else if (r == -E2BIG)
		snprintf(out, len, "at least %s (stopped after %ld entries)",
		    sz, n);
	else if (r == -EACCES && n > 0)
		snprintf(out, len, "at least %s (some entries could not be "
		    "read: run as root)", sz);
	else
		snprintf(out, len, "<unknown> (%s: %s)", dir, strerror(-r));
}

int
ctl_cmd_describe_cfg(struct ctl *ctl)
{
	const struct ctl_res *rt = lookup(ctl->args[0]);
	struct json *o, *ev = NULL, *pods = NULL;
	struct buf path, b, out;
	int64_t now = (int64_t)time(NULL);
	char use[4400];

	if (ctl->nargs != 2) {
		fprintf(stderr, "Usage: picoctl describe %s NAME [-n NS]\n",
		    ctl->args[0]);
		return 1;
	}
	buf_init(&path, 8192);
	ctl_res_path(ctl, rt, ctl->args[1], &path);
	if (ctl_get_json(ctl, path.p, &o) < 0) {
		buf_free(&path);
		return 1;
	}
	if (rt != &secret_type) {	/* kubectl shows none for a Secret */
		buf_reset(&path);
		buf_printf(&path, "/api/v1/namespaces/%s/events",
		    ctl_ns(ctl));
		ev = ctl_quiet_get(ctl, path.p);
	}
	if (rt == &pvc_type) {
		buf_reset(&path);
		buf_printf(&path, "/api/v1/namespaces/%s/pods", ctl_ns(ctl));
		pods = ctl_quiet_get(ctl, path.p);
	}
	buf_init(&b, CTL_MAXBODY);
	buf_init(&out, CTL_MAXBODY);
	if (rt == &cm_type)
		fmt_cm_describe(o, json_get(ev, "items"), now, &b);
	else if (rt == &secret_type)
		fmt_secret_describe(o, &b);
	else {
		used(o, use, sizeof(use));
		fmt_pvc_describe(o, use, json_get(pods, "items"),
		    json_get(ev, "items"), now, &b);
	}
	fmt_tabwrite(b.p, 0, 2, &out);
	fputs(out.p ? out.p : "", stdout);
	buf_free(&b);
	buf_free(&out);
	buf_free(&path);
	json_free(o);
	json_free(ev);
	json_free(pods);
	return 0;
}
