/*
 * netns: a socket made in another network namespace (a pod's, before pod
 * networking gives it an address reachable from the host).  setns moves
 * the calling thread: enter the pod's namespace, make the socket, go back.
 * The socket keeps the namespace it was made in.  A quick synchronous
 * sequence of four syscalls; nothing waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

int
net_socket_netns(const char *netns, int domain, int type, struct err *err)
{
	int self, target, fd, e;

	if (netns == NULL) {
		fd = socket(domain, type | SOCK_CLOEXEC, 0);
		return fd < 0 ? err_set(err, errno, "socket") : fd;
	}
	if ((target = open(netns, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno, "open %s", netns);
	if ((self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		e = err_set(err, errno, "open /proc/thread-self/ns/net");
		close(target);
		return e;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		e = err_set(err, errno, "setns %s", netns);
		close(target);
		close(self);
		return e;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, 0);
	e = errno;
	/* Going back cannot fail for a namespace we were in a moment ago;
	 * if it ever did, carrying on in the pod's would be far worse. */
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	close(target);
	close(self);
	if (fd < 0)
		return err_set(err, e, "socket in %s", netns);
	return fd;
}
