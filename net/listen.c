/*
 * listen: the sockets picolet listens on.  A Unix socket made with its
 * mode from the start (the umask covers the window between bind and
 * chmod), replacing a stale file a previous run left but never a live
 * server's; a TCP listener on a numeric address (a lookup would block).
 * Both are non-blocking and close-on-exec.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "net/net.h"

/* A socket file left by a previous run is removed; a live one is not. */
static int
unlink_stale(const char *path, struct err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "stat %s",
		    path);
	if (!S_ISSOCK(st.st_mode))
		return err_setx(err, EEXIST, "%s: exists and is not a socket",
		    path);
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(err, errno, "socket");
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return err_setx(err, EADDRINUSE,
		    "%s: another server is listening", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set(err, errno, "unlink %s", path);
	return 0;
}

int
net_listen_unix(const char *path, mode_t mode, struct err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (path == NULL || path[0] == '\0')
		return err_setx(err, EINVAL, "listen: no socket path");
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_setx(err, ENAMETOOLONG, "%s: path too long", path);
	if ((r = unlink_stale(path, err)) < 0)
		return r;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, errno, "socket");
	/* the umask closes the window between bind and chmod */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = err_set(err, errno, "bind %s", path);
		close(fd);
		return r;
	}
	if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		r = err_set(err, errno, "listen %s", path);
		close(fd);
		unlink(path);
		return r;
	}
	return fd;
}

/* "host:port", "[v6]:port" or ":port"; numeric hosts only, since a DNS
 * lookup would block the loop. */
int
net_listen_tcp(const char *spec, struct err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char host[256];
	const char *colon, *h = host;
	int fd, r, one = 1;
	size_t n;

	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host))
		return err_setx(err, EINVAL, "listen %s: want host:port", spec);
	n = colon - spec;
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		memcpy(host, spec + 1, n - 2);
		host[n - 2] = '\0';
	} else {
		memcpy(host, spec, n);
		host[n] = '\0';
	}
	if (host[0] == '\0')
		h = NULL;
	else if (strcmp(host, "localhost") == 0)
		h = "127.0.0.1";
	if ((r = getaddrinfo(h, colon + 1, &hints, &ai)) != 0)
		return err_setx(err, EINVAL, "listen %s: %s", spec,
		    gai_strerror(r));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = err_set(err, errno, "socket");
		freeaddrinfo(ai);
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		r = err_set(err, errno, "bind %s", spec);
		close(fd);
		fd = r;
	}
	freeaddrinfo(ai);
	return fd;
}
