/*
 * proc: telling a live process from a reused pid.  The pair (pid,
 * starttime) names a process for the life of the boot; a pidfd opened
 * and then checked against the starttime cannot be fooled by a later
 * reuse (the pidfd pins the struct pid, so a check after the open is
 * enough).  starttime is field 22 of /proc/<pid>/stat, after the comm in
 * parentheses, which may itself hold spaces and ')'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/rt.h"

int
rt_proc_starttime(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;	/* a zombie being reaped reads empty */
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EINVAL;
	/* p -> ") S ppid ...": field 3 is the state. */
	p++;
	for (field = 2; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (field == 21)
			break;
		p = strchr(p, ' ');
		if (p == NULL)
			return -EINVAL;
	}
	errno = 0;
	*start = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return -EINVAL;
	return 0;
}

int
rt_pidfd_open_checked(pid_t pid, uint64_t start)
{
	uint64_t now;
	int fd, r;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* pidfds are CLOEXEC from birth. */
	r = rt_proc_starttime(pid, &now);
	if (r < 0 || now != start) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}
