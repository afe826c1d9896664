/*
 * picolet-sntp: set the clock once from an NTP server (RFC 4330 client
 * mode), for the board image, whose busybox is built without ntpd and
 * whose Pi has no RTC.  Run from a loop by /etc/board/ntp-clock.
 *
 *   picolet-sntp [-n] [-t SECONDS] [-p PORT] SERVER
 *
 * -n prints the offset without setting the clock.  Exit 0 when set (or
 * measured), 1 on any failure, with the reason on stderr.
 *
 * Protocol points handled: the reply must come from the address asked,
 * be a server-mode (4) packet whose originate timestamp echoes our
 * transmit timestamp (so a stale or forged reply is refused), with a
 * non-zero stratum (stratum 0 is a kiss-o'-death: refuse, try later) and
 * a leap indicator other than 3 (server not synchronised).  NTP's era 0
 * ends in 2036: timestamps with the top bit clear are taken as era 1.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NTP_UNIX_DELTA	2208988800ULL	/* 1900-01-01 to 1970-01-01, s */

struct ntp_pkt {
	uint8_t		li_vn_mode;
	uint8_t		stratum;
	uint8_t		poll;
	int8_t		precision;
	uint32_t	root_delay;
	uint32_t	root_disp;
	uint32_t	ref_id;
	uint64_t	ref_ts;
	uint64_t	orig_ts;
	uint64_t	recv_ts;
	uint64_t	xmit_ts;
};

static uint64_t
be64(uint64_t v)
{
	const uint8_t *p = (const uint8_t *)&v;
	uint64_t r = 0;
	int i;

	for (i = 0; i < 8; i++)
		r = r << 8 | p[i];
	return r;
}

/* Nanoseconds since the Unix epoch to NTP 32.32 fixed point. */
static uint64_t
ns_to_ntp(int64_t ns)
{
	uint64_t s = (uint64_t)(ns / 1000000000) + NTP_UNIX_DELTA;
	uint64_t frac = ((uint64_t)(ns % 1000000000) << 32) / 1000000000;

	return s << 32 | frac;
}

static int64_t
ntp_to_ns(uint64_t t)
{
	uint64_t s = t >> 32;
	int64_t unix_s;

	if (!(s & 0x80000000ULL))
		s += 1ULL << 32;	/* era 1, from 2036 */
	unix_s = (int64_t)(s - NTP_UNIX_DELTA);
	return unix_s * 1000000000 +
	    (int64_t)(((t & 0xffffffffULL) * 1000000000) >> 32);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
open_peer(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "sntp: %s: %s\n", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		/* connect: the kernel drops datagrams from anyone else */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "sntp: %s: cannot connect: %s\n", host,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* One exchange; the offset of the server's clock from ours, in ns. */
static int
query(int fd, int timeout_ms, int64_t *offset, const char *host)
{
	struct ntp_pkt q, a;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t t1, t2, t3, t4, deadline;
	ssize_t n;
	int left;

	memset(&q, 0, sizeof(q));
	q.li_vn_mode = 0 << 6 | 4 << 3 | 3;	/* no leap, v4, client */
	t1 = now_ns();
	q.xmit_ts = be64(ns_to_ntp(t1));
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q)) {
		fprintf(stderr, "sntp: send %s: %s\n", host, strerror(errno));
		return -1;
	}
	deadline = t1 + (int64_t)timeout_ms * 1000000;
	for (;;) {
		left = (int)((deadline - now_ns()) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			fprintf(stderr, "sntp: %s: no answer in %d ms\n", host,
			    timeout_ms);
			return -1;
		}
		n = recv(fd, &a, sizeof(a), 0);
		t4 = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sntp: recv %s: %s\n", host,
			    strerror(errno));
			return -1;
		}
		if (n == (ssize_t)sizeof(a) && (a.li_vn_mode & 7) == 4 &&
		    a.orig_ts == q.xmit_ts)
			break;
		/* short, not a server reply, or not ours: keep waiting */
	}
	if (a.stratum == 0 || a.stratum > 15 || (a.li_vn_mode >> 6) == 3) {
		fprintf(stderr, "sntp: %s: unsynchronised or kiss-o'-death "
		    "(stratum %u)\n", host, a.stratum);
		return -1;
	}
	t2 = ntp_to_ns(be64(a.recv_ts));
	t3 = ntp_to_ns(be64(a.xmit_ts));
	*offset = ((t2 - t1) + (t3 - t4)) / 2;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *port = "123";
	int timeout_ms = 3000, dry = 0, c, fd;
	int64_t off, t;
	struct timespec ts;

	while ((c = getopt(argc, argv, "np:t:")) != -1) {
		switch (c) {
		case 'n':
			dry = 1;
			break;
		case 'p':
			port = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg) * 1000;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || timeout_ms <= 0 || timeout_ms > 60000)
		goto usage;
	if ((fd = open_peer(argv[optind], port)) < 0)
		return 1;
	if (query(fd, timeout_ms, &off, argv[optind]) < 0) {
		close(fd);
		return 1;
	}
	close(fd);
	printf("offset %+.6f s from %s\n", (double)off / 1e9, argv[optind]);
	if (dry)
		return 0;
	t = now_ns() + off;
	ts.tv_sec = (time_t)(t / 1000000000);
	ts.tv_nsec = (long)(t % 1000000000);
	if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
		fprintf(stderr, "sntp: clock_settime: %s\n", strerror(errno));
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: picolet-sntp [-n] [-t SECONDS] [-p PORT] "
	    "SERVER\n");
	return 1;
}
