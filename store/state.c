/*
 * state: files that must survive power loss whole.  The classic sequence
 * (as redis' rdb.c): a temp file in the same directory, write, fsync,
 * rename over the old one, then fsync the directory so the rename itself
 * is on disk.  On an SD card with ext4 data=ordered, skipping either
 * fsync can leave an empty file after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store.h"

static int
fsync_dir(const char *path, struct err *err)
{
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		r = err_set(err, errno, "open %s", dir);
	else {
		if (fsync(fd) < 0)
			r = err_set(err, errno, "fsync %s", dir);
		close(fd);
	}
	free(copy);
	return r;
}

int
store_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *err)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd, r;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = err_set(err, errno, "create %s", tmp);
		free(tmp);
		return r;
	}
	if ((r = write_all(fd, data, len)) < 0)
		r = err_set(err, -r, "write %s", tmp);
	else if (fchmod(fd, mode) < 0)
		r = err_set(err, errno, "chmod %s", tmp);
	else if (fsync(fd) < 0)
		r = err_set(err, errno, "fsync %s", tmp);
	if (close(fd) < 0 && r == 0)
		r = err_set(err, errno, "close %s", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = err_set(err, errno, "rename %s", path);
	if (r < 0)
		unlink(tmp);
	else
		r = fsync_dir(path, err);
	free(tmp);
	return r;
}
