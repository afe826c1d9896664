/*
 * rt_fixture: what the runtime's privileged tests share to build a
 * container by hand: files, the busybox copy, the freshly built shim,
 * and the lines of the mount table under a test's own directory.
 * Header-only: each test is its own binary.
 */
#ifndef PICOLET_RT_FIXTURE_H
#define PICOLET_RT_FIXTURE_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"

static inline void
fx_put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static inline int
fx_copy(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out, r = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		r = -1;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		r = write_all(out, buf, (size_t)n);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* $PICOLET_SHIM, else the picolet-shim built next to the test binary. */
static inline void
fx_find_shim(char *out, size_t len)
{
	char exe[PATH_MAX - 32], *slash;
	const char *env = getenv("PICOLET_SHIM");
	ssize_t n;

	if (env != NULL) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';		/* build/tests */
	snprintf(out, len, "%s/../picolet-shim", exe);
}

/* The lines of the host's mount table that name dir: other tests may
 * mount elsewhere meanwhile. */
static inline char *
fx_mountinfo(const char *dir)
{
	char *s, *line, *next;
	struct buf b;

	assert_int_equal(read_file("/proc/self/mountinfo", 1 << 20, &s, NULL,
	    NULL), 0);
	buf_init(&b, 1 << 20);
	for (line = s; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strstr(line, dir) != NULL)
			buf_printf(&b, "%s\n", line);
	}
	free(s);
	return b.p != NULL ? b.p : xstrdup("");
}

#endif
