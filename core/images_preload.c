/*
 * images_preload: [images] preload = DIR, for devices without a registry.
 * The archives in DIR (shipped on the boot partition, say) are imported
 * when picolet starts, one at a time once the drop directory is idle,
 * and left where they are.  <state>/images/preloaded/<name> records each
 * archive's size and mtime, so it is imported again only when it
 * changes; a failed one is recorded too (and reported) rather than
 * retried in a loop.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

static void
record_path(const struct agent *a, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/images/preloaded/%s", a->conf.state, name);
}

static void
stamp(const struct stat *st, char *buf, size_t len)
{
	snprintf(buf, len, "%lld %lld.%09ld\n", (long long)st->st_size,
	    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

bool
preload_next(struct agent *a, char *path, size_t len)
{
	char rec[4400], want[64], *have;
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	if (a->conf.preload[0] == '\0' ||
	    (d = opendir(a->conf.preload)) == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		if (!images_is_archive(de->d_name))
			continue;
		snprintf(path, len, "%s/%s", a->conf.preload, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		stamp(&st, want, sizeof(want));
		record_path(a, de->d_name, rec, sizeof(rec));
		have = NULL;
		found = read_file(rec, 256, &have, NULL, NULL) < 0 ||
		    strcmp(have, want) != 0;
		free(have);
	}
	closedir(d);
	return found;
}

void
preload_done(struct agent *a, const char *path, int status, const char *msg)
{
	const char *name = strrchr(path, '/') + 1;
	char rec[4400], line[64];
	struct stat st;
	struct err err;

	if (status == 0) {
		log_info("preloaded image archive %s", path);
		events_add(&a->events, false, "Image", "", path, "", "",
		    "Imported", "preloaded image archive %s", path);
	} else {
		log_error("preload %s: %s", path, msg);
		events_add(&a->events, true, "Image", "", path, "", "",
		    "ImportFailed", "preload %s: %s", path, msg[0] ? msg :
		    "import failed");
	}
	if (stat(path, &st) < 0)
		return;
	stamp(&st, line, sizeof(line));
	record_path(a, "", rec, sizeof(rec));
	if (mkdir_p(rec, 0700, &err) == 0) {
		record_path(a, name, rec, sizeof(rec));
		if (write_replace(rec, line, strlen(line), 0600, &err) == 0)
			return;
	}
	log_error("preload %s: %s", path, err.msg);
}
