/*
 * execwatch: time from an action to the first exec of a workload, as the
 * kernel reports it.  Built by tests/bench/run.sh into build/bench/.
 *
 *   execwatch TOKEN TIMEOUT_MS rename SRC DST   rename(2) SRC to DST
 *   execwatch TOKEN TIMEOUT_MS run CMD [ARG...] fork and exec CMD, reap it
 *
 * prints "exec_us=N" (or "exec_us=timeout") on stdout.
 *
 * The marker is the proc connector's PROC_EVENT_EXEC: the kernel sends it
 * from exec once the new image is loaded, just before the process returns
 * to user space, stamped with ktime_get_ns(), the clock CLOCK_MONOTONIC
 * reads.  So the figure is "action -> workload's first instruction" with
 * no polling and no log pipe in between, and it is the same marker for
 * picolet, crun and unshare.  The workload is the first exec'd process
 * whose pid namespace differs from ours and whose environment holds
 * BENCH_TOKEN=TOKEN: the runtimes' own helpers (shim, crun, unshare) are
 * either in our pid namespace or lack the variable.  Its /proc files are
 * read after the event, so the workload must outlive that read (the bench
 * uses sleep).  The connector only exists in the initial network
 * namespace: run this there.
 *
 * With EXECWATCH_TRACE=STRING, every earlier exec whose command line holds
 * STRING (the runtime's own helpers, e.g. picolet's shim) is printed too,
 * as "trace exec_us=N comm=NAME", to split the figure into stages.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char selfns[64];
static const char *trace;
static uint64_t t0;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cn_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
	char req[NLMSG_SPACE(sizeof(struct cn_msg) +
	    sizeof(enum proc_cn_mcast_op))] __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)(void *)req;
	struct cn_msg *cn = NLMSG_DATA(nl);
	enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
	int fd, sz = 8 << 20;

	fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0) {
		perror("execwatch: socket NETLINK_CONNECTOR");
		return -1;
	}
	/* A busy host sends many events; a drop is a missed marker. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("execwatch: bind proc connector");
		return -1;
	}
	memset(req, 0, sizeof(req));
	nl->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + sizeof(op));
	nl->nlmsg_type = NLMSG_DONE;
	nl->nlmsg_pid = (uint32_t)getpid();
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (send(fd, req, nl->nlmsg_len, 0) < 0) {
		perror("execwatch: send PROC_CN_MCAST_LISTEN");
		return -1;
	}
	return fd;
}

static int
has_token(int pid, const char *want)
{
	char path[64], ns[64], buf[65536];
	size_t wl = strlen(want);
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	n = readlink(path, ns, sizeof(ns) - 1);
	if (n < 0)
		return 0;
	ns[n] = '\0';
	if (strcmp(ns, selfns) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (strlen(buf + i) == wl && memcmp(buf + i, want, wl) == 0)
			return 1;
	return 0;
}

static void
trace_exec(int pid, uint64_t ts)
{
	char path[64], buf[4096], *comm, *slash;
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* argv[0]'s last component, then the whole line to search. */
	comm = (slash = strrchr(buf, '/')) != NULL ? slash + 1 : buf;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (strstr(buf, trace) == NULL)
		return;
	printf("trace exec_us=%.1f comm=%.*s\n", (double)(ts - t0) / 1000.0,
	    (int)strcspn(comm, " "), comm);
}

/* The stamp of the first matching exec, or 0 at the deadline. */
static uint64_t
wait_exec(int fd, const char *want, uint64_t deadline)
{
	char buf[16384] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nl;
	struct cn_msg *cn;
	struct proc_event *ev;
	uint64_t now;
	ssize_t n;

	while ((now = now_ns()) < deadline) {
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ENOBUFS)
				fprintf(stderr, "execwatch: events dropped\n");
			continue;
		}
		for (nl = (struct nlmsghdr *)buf; NLMSG_OK(nl, (size_t)n);
		    nl = NLMSG_NEXT(nl, n)) {
			cn = NLMSG_DATA(nl);
			ev = (struct proc_event *)(void *)cn->data;
			if (ev->what != PROC_EVENT_EXEC)
				continue;
			if (has_token(ev->event_data.exec.process_tgid, want))
				return ev->timestamp_ns;
			if (trace != NULL)
				trace_exec(ev->event_data.exec.process_tgid,
				    ev->timestamp_ns);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char want[256];
	uint64_t t1, deadline;
	pid_t child = -1;
	ssize_t n;
	int fd, st;

	if (argc < 5 || (strcmp(argv[3], "rename") == 0 && argc != 6)) {
		fprintf(stderr, "usage: execwatch TOKEN TIMEOUT_MS "
		    "rename SRC DST | run CMD [ARG...]\n");
		return 2;
	}
	snprintf(want, sizeof(want), "BENCH_TOKEN=%s", argv[1]);
	n = readlink("/proc/self/ns/pid", selfns, sizeof(selfns) - 1);
	if (n < 0)
		return 1;
	selfns[n] = '\0';
	trace = getenv("EXECWATCH_TRACE");
	if ((fd = cn_open()) < 0)
		return 1;
	t0 = now_ns();
	deadline = t0 + strtoull(argv[2], NULL, 10) * 1000000u;
	if (strcmp(argv[3], "rename") == 0) {
		if (rename(argv[4], argv[5]) < 0) {
			perror("execwatch: rename");
			return 1;
		}
	} else if (strcmp(argv[3], "run") == 0) {
		child = fork();
		if (child == 0) {
			close(fd);
			execvp(argv[4], argv + 4);
			_exit(127);
		}
	} else {
		fprintf(stderr, "execwatch: unknown action %s\n", argv[3]);
		return 2;
	}
	t1 = wait_exec(fd, want, deadline);
	if (t1 == 0)
		printf("exec_us=timeout\n");
	else
		printf("exec_us=%.1f\n", (double)(t1 - t0) / 1000.0);
	fflush(stdout);
	if (child > 0) {
		if (t1 == 0)
			kill(child, SIGKILL);
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
	}
	return t1 == 0 ? 3 : 0;
}
