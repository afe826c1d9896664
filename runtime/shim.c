/*
 * shim: picolet's side of a shim, plus the record files both sides share.
 * Spawning: the status pipe becomes fd 3 of the shim and nothing else of
 * picolet's crosses the exec (close_range CLOEXEC after the dup, so even
 * fds a library opened without CLOEXEC stay behind); the shim gets its
 * own session so a terminal's signals to picolet never reach it, and a
 * clean signal mask (libev blocks signals it routes through signalfd).
 * Records: "state" and "exit" are "key value" lines, replaced by rename
 * so a reader never sees half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * Files in a container's run dir (spec, state, exit) are replaced by
 * rename so a reader sees the old or the new whole.  The run dir is a
 * tmpfs (/run): a power cut loses it anyway, so no fsync, which on a
 * slow SD card would cost milliseconds on every container start.
 */
int
rt_write_atomic(const char *path, const void *data, size_t len,
	struct err *err)
{
	return write_replace(path, data, len, 0644, err);
}

static int
write_rec(const char *run_dir, const char *name, const char *text,
	struct err *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", run_dir, name) >=
	    (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: path too long", run_dir);
	return rt_write_atomic(path, text, strlen(text), err);
}

int
rt_state_write(const char *run_dir, const struct rt_state *st,
	struct err *err)
{
	char text[256];

	snprintf(text, sizeof(text), "shim_pid %d\nshim_start %" PRIu64
	    "\npid %d\npid_start %" PRIu64 "\nstarted_ns %" PRId64 "\n",
	    (int)st->shim_pid, st->shim_start, (int)st->pid, st->pid_start,
	    st->started_ns);
	return write_rec(run_dir, "state", text, err);
}

/* Records are lines: a message must not break one. */
static void
oneline(char *dst, size_t dlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dlen; i++)
		dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	dst[i] = '\0';
}

int
rt_exit_write(const char *run_dir, const struct rt_exit *ex,
	struct err *err)
{
	char text[1024], reason[sizeof(ex->reason)], msg[sizeof(ex->message)];

	oneline(reason, sizeof(reason), ex->reason);
	oneline(msg, sizeof(msg), ex->message);
	snprintf(text, sizeof(text), "exit_code %d\nsignal %d\nstarted_ns %"
	    PRId64 "\nfinished_ns %" PRId64 "\nreason %s\nmessage %s\n",
	    ex->exit_code, ex->signal, ex->started_ns, ex->finished_ns,
	    reason, msg);
	return write_rec(run_dir, "exit", text, err);
}

/* Calls fn(key, value, arg) for each "key value" line of run_dir/name. */
static int
read_rec(const char *run_dir, const char *name,
	int (*fn)(const char *, char *, void *), void *arg, struct err *err)
{
	char path[PATH_MAX], *data, *line, *next, *sp;
	size_t len;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", run_dir, name) >=
	    (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: path too long", run_dir);
	r = read_file(path, 8192, &data, &len, err);
	if (r < 0)
		return r;
	for (line = data; r == 0 && line != NULL && *line != '\0';
	    line = next) {
		next = strchr(line, '\n');
		if (next == NULL) {
			r = -EINVAL;	/* torn: every line ends in \n */
			break;
		}
		*next++ = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL) {
			r = -EINVAL;
			break;
		}
		*sp = '\0';
		r = fn(line, sp + 1, arg);
	}
	free(data);
	if (r < 0)
		return err_setx(err, EINVAL, "%s: malformed", path);
	return 0;
}

static int
i64(const char *v, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	return (errno != 0 || end == v || *end != '\0') ? -EINVAL : 0;
}

static int
state_kv(const char *k, char *v, void *arg)
{
	struct rt_state *st = arg;
	int64_t x;

	if (i64(v, &x) < 0)
		return -EINVAL;
	if (strcmp(k, "shim_pid") == 0)
		st->shim_pid = (pid_t)x;
	else if (strcmp(k, "shim_start") == 0)
		st->shim_start = (uint64_t)x;
	else if (strcmp(k, "pid") == 0)
		st->pid = (pid_t)x;
	else if (strcmp(k, "pid_start") == 0)
		st->pid_start = (uint64_t)x;
	else if (strcmp(k, "started_ns") == 0)
		st->started_ns = x;
	return 0;
}

int
rt_state_read(const char *run_dir, struct rt_state *st, struct err *err)
{
	int r;

	memset(st, 0, sizeof(*st));
	r = read_rec(run_dir, "state", state_kv, st, err);
	if (r == 0 && (st->shim_pid <= 0 || st->pid <= 0))
		r = err_setx(err, EINVAL, "%s/state: incomplete", run_dir);
	return r;
}

static int
exit_kv(const char *k, char *v, void *arg)
{
	struct rt_exit *ex = arg;
	int64_t x;

	if (strcmp(k, "reason") == 0) {
		snprintf(ex->reason, sizeof(ex->reason), "%s", v);
		return 0;
	}
	if (strcmp(k, "message") == 0) {
		snprintf(ex->message, sizeof(ex->message), "%s", v);
		return 0;
	}
	if (i64(v, &x) < 0)
		return -EINVAL;
	if (strcmp(k, "exit_code") == 0)
		ex->exit_code = (int)x;
	else if (strcmp(k, "signal") == 0)
		ex->signal = (int)x;
	else if (strcmp(k, "started_ns") == 0)
		ex->started_ns = x;
	else if (strcmp(k, "finished_ns") == 0)
		ex->finished_ns = x;
	return 0;
}

int
rt_exit_read(const char *run_dir, struct rt_exit *ex, struct err *err)
{
	int r;

	memset(ex, 0, sizeof(*ex));
	ex->exit_code = -1;
	r = read_rec(run_dir, "exit", exit_kv, ex, err);
	if (r == 0 && (ex->exit_code < 0 || ex->exit_code > 255))
		r = err_setx(err, EINVAL, "%s/exit: incomplete", run_dir);
	return r;
}

/* In the forked child: only async-signal-safe calls until the exec. */
static void __attribute__((noreturn))
spawn_child(const char *shim_path, const char *run_dir, int wfd)
{
	char *argv[] = { (char *)"picolet-shim", (char *)run_dir, NULL };
	sigset_t all;
	int i, nul;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	setsid();
	/* A daemon picolet may have 0-2 closed: the pipe could be one. */
	wfd = fcntl(wfd, F_DUPFD_CLOEXEC, 4);
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
	    dup2(nul, 2) < 0 || dup2(wfd, 3) < 0)
		_exit(127);
	if (syscall(SYS_close_range, 4U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (i = 4; i < 65536; i++)
			fcntl(i, F_SETFD, FD_CLOEXEC);
	execv(shim_path, argv);
	_exit(127);
}

int
rt_shim_spawn(const char *shim_path, const char *run_dir,
	struct rt_shim *out, struct err *err)
{
	int p[2], pidfd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_set(err, errno, "fork");
	}
	if (pid == 0)
		spawn_child(shim_path, run_dir, p[1]);
	close(p[1]);
	/* The shim cannot be reaped before we do: pid is still ours. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		return err_set(err, e, "pidfd_open %d", (int)pid);
	}
	out->pid = pid;
	out->pidfd = pidfd;
	out->status_fd = p[0];
	return 0;
}

int
rt_shim_status_parse(const char *line, pid_t *pid, char *reason,
	size_t rlen, char *msg, size_t mlen)
{
	const char *tab, *end;
	char *e;
	long v;
	size_t n;

	end = line + strcspn(line, "\n");
	if (strncmp(line, "ok ", 3) == 0) {
		errno = 0;
		v = strtol(line + 3, &e, 10);
		if (errno != 0 || e == line + 3 || e != end || v <= 0 ||
		    v > INT_MAX)
			return -EINVAL;
		*pid = (pid_t)v;
		return 1;
	}
	if (strncmp(line, "err ", 4) != 0)
		return -EINVAL;
	line += 4;
	tab = memchr(line, '\t', (size_t)(end - line));
	if (tab == NULL || tab == line)
		return -EINVAL;
	n = (size_t)(tab - line);
	if (rlen > 0)
		snprintf(reason, rlen, "%.*s", (int)MIN(n, (size_t)INT_MAX),
		    line);
	n = (size_t)(end - tab - 1);
	if (mlen > 0)
		snprintf(msg, mlen, "%.*s", (int)MIN(n, (size_t)INT_MAX),
		    tab + 1);
	return 0;
}
