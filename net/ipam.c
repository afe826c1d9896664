/*
 * ipam: pod addresses from the pod CIDR.  The truth is the directory:
 * one file per address held, named by the address, holding its owner.
 * A file is made with O_EXCL and fsynced with the directory before the
 * address is handed out, so after a crash or power cut an address is
 * either still held (and its pod finds it again, or the GC at start frees
 * it) or was never given.  A file left empty (a cut between create and
 * write) was never given out and is removed at open.  Memory holds the
 * same set sorted by address, for lookups.  ".last" is only a hint for
 * next-fit and is not fsynced: losing it only means reuse comes sooner.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "net/net.h"

#define OWNER_MAX 253

struct alloc {
	uint32_t ip;
	char *owner;
};

/* Owned by its opener; one per picolet. */
struct net_ipam {
	char *dir;
	int dfd;
	char cidr[24];
	uint32_t net, lo, hi, last;	/* hand out lo..hi, after last */
	int plen;
	struct alloc *a;		/* sorted by ip */
	size_t n, cap;
};

int
net_cidr_parse(const char *s, uint32_t *addr, int *plen)
{
	char ip[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	struct in_addr in;
	long p = 32;

	if (len == 0 || len >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, &in) != 1)
		return -EINVAL;
	if (slash != NULL) {
		p = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    p < 0 || p > 32)
			return -EINVAL;
	}
	*addr = ntohl(in.s_addr);
	*plen = (int)p;
	return 0;
}

static void
fmt_ip(uint32_t ip, char out[16])
{
	struct in_addr in = { htonl(ip) };

	inet_ntop(AF_INET, &in, out, 16);
}

/* Index of ip in a, or where it would go (found says which). */
static size_t
find(const struct net_ipam *m, uint32_t ip, bool *found)
{
	size_t lo = 0, hi = m->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->a[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && m->a[lo].ip == ip;
	return lo;
}

static void
insert(struct net_ipam *m, uint32_t ip, const char *owner)
{
	bool found;
	size_t i = find(m, ip, &found);

	if (found)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->a = xrealloc(m->a, m->cap * sizeof(*m->a));
	}
	memmove(&m->a[i + 1], &m->a[i], (m->n - i) * sizeof(*m->a));
	m->a[i].ip = ip;
	m->a[i].owner = xstrdup(owner);
	m->n++;
}

/* The owner in dir/name, "" for an empty file. */
static int
read_owner(int dfd, const char *name, char owner[OWNER_MAX + 1])
{
	ssize_t n;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	n = read(fd, owner, OWNER_MAX);
	close(fd);
	if (n < 0)
		return -errno;
	owner[n] = '\0';
	owner[strcspn(owner, "\n")] = '\0';
	return 0;
}

static void
read_last(struct net_ipam *m)
{
	char s[INET_ADDRSTRLEN] = "";
	uint32_t ip;
	ssize_t n;
	int fd, plen;

	m->last = m->hi;	/* none: start at lo */
	if ((fd = openat(m->dfd, ".last", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	s[n > 0 ? n : 0] = '\0';
	s[strcspn(s, "\n")] = '\0';
	if (net_cidr_parse(s, &ip, &plen) == 0 && ip >= m->lo && ip <= m->hi)
		m->last = ip;
}

/* Load the files; release those outside the CIDR (it changed). */
static int
load(struct net_ipam *m, struct err *err)
{
	char owner[OWNER_MAX + 1];
	struct dirent *de;
	bool dirty = false;
	uint32_t ip;
	DIR *d;
	int fd, plen;

	if ((fd = dup(m->dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(err, errno, "open %s", m->dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '/') != NULL ||
		    net_cidr_parse(de->d_name, &ip, &plen) < 0 || plen != 32)
			continue;
		if (read_owner(m->dfd, de->d_name, owner) < 0)
			continue;
		if (ip < m->lo || ip > m->hi || owner[0] == '\0') {
			if (unlinkat(m->dfd, de->d_name, 0) == 0)
				dirty = true;
			continue;
		}
		insert(m, ip, owner);
	}
	closedir(d);
	if (dirty && fsync(m->dfd) < 0)
		return err_set(err, errno, "fsync %s", m->dir);
	return 0;
}

int
net_ipam_open(struct net_ipam **out, const char *dir, const char *cidr,
	struct err *err)
{
	struct net_ipam *m;
	uint32_t addr, mask;
	int plen, r;

	if (net_cidr_parse(cidr, &addr, &plen) < 0 || plen < 8 || plen > 30)
		return err_setx(err, EINVAL, "pod CIDR %s: not an IPv4 CIDR "
		    "from /8 to /30", cidr);
	if ((r = mkdir_p(dir, 0700, err)) < 0)
		return r;
	m = xcalloc(1, sizeof(*m));
	mask = ~(uint32_t)0 << (32 - plen);
	m->plen = plen;
	m->net = addr & mask;
	m->lo = m->net + 2;		/* net + 1 is the gateway */
	m->hi = (m->net | ~mask) - 1;	/* below the broadcast */
	snprintf(m->cidr, sizeof(m->cidr), "%s", cidr);
	m->dir = xstrdup(dir);
	if ((m->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = err_set(err, errno, "open %s", dir);
		m->dfd = -1;
		goto fail;
	}
	if ((r = load(m, err)) < 0)
		goto fail;
	read_last(m);
	*out = m;
	return 0;
fail:
	net_ipam_close(m);
	return r;
}

void
net_ipam_close(struct net_ipam *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->a[i].owner);
	free(m->a);
	if (m->dfd >= 0)
		close(m->dfd);
	free(m->dir);
	free(m);
}

static ssize_t
by_owner(const struct net_ipam *m, const char *owner)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->a[i].owner, owner) == 0)
			return (ssize_t)i;
	return -1;
}

int
net_ipam_lookup(const struct net_ipam *m, const char *owner, char ip[16])
{
	ssize_t i = by_owner(m, owner);

	if (i < 0)
		return -ENOENT;
	fmt_ip(m->a[i].ip, ip);
	return 0;
}

/* Make the file for ip; -EEXIST when it is there already. */
static int
claim(struct net_ipam *m, uint32_t ip, const char *owner, struct err *err)
{
	char name[16];
	size_t len = strlen(owner);
	int fd, r = 0;

	fmt_ip(ip, name);
	fd = openat(m->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return errno == EEXIST ? -EEXIST :
		    err_set(err, errno, "create %s/%s", m->dir, name);
	if (write_all(fd, owner, len) < 0 || fsync(fd) < 0)
		r = err_set(err, errno, "write %s/%s", m->dir, name);
	close(fd);
	if (r == 0 && fsync(m->dfd) < 0)
		r = err_set(err, errno, "fsync %s", m->dir);
	if (r < 0)
		(void)unlinkat(m->dfd, name, 0);
	return r;
}

static void
write_last(struct net_ipam *m, uint32_t ip)
{
	char s[16], path[4096];

	m->last = ip;
	fmt_ip(ip, s);
	if (snprintf(path, sizeof(path), "%s/.last", m->dir) <
	    (int)sizeof(path))
		(void)write_replace(path, s, strlen(s), 0600, NULL);
}

int
net_ipam_get(struct net_ipam *m, const char *owner, char ip[16],
	struct err *err)
{
	uint64_t size = (uint64_t)m->hi - m->lo + 1, k;
	uint32_t cand;
	bool found;
	int r;

	if (owner[0] == '\0' || strlen(owner) > OWNER_MAX ||
	    strchr(owner, '\n') != NULL)
		return err_setx(err, EINVAL, "IPAM owner \"%s\": empty, too "
		    "long or with a newline", owner);
	if (net_ipam_lookup(m, owner, ip) == 0)
		return 0;
	for (k = 1; k <= size; k++) {
		cand = m->lo + (uint32_t)(((uint64_t)m->last - m->lo + k) %
		    size);
		find(m, cand, &found);
		if (found)
			continue;
		r = claim(m, cand, owner, err);
		if (r == -EEXIST)	/* not ours to know: leave it */
			continue;
		if (r < 0)
			return r;
		insert(m, cand, owner);
		write_last(m, cand);
		fmt_ip(cand, ip);
		return 0;
	}
	return err_setx(err, ENOSPC, "pod CIDR %s is exhausted (%llu pod "
	    "addresses, all in use)", m->cidr, (unsigned long long)size);
}

int
net_ipam_reserve(struct net_ipam *m, const char *owner, const char *ip,
	struct err *err)
{
	char have[16];
	uint32_t a;
	bool found;
	size_t i;
	int plen, r;

	if (net_cidr_parse(ip, &a, &plen) < 0 || plen != 32)
		return err_setx(err, EINVAL, "%s: not an IPv4 address", ip);
	if (a < m->lo || a > m->hi)
		return err_setx(err, EINVAL, "%s is not in %s (or is its "
		    "network, broadcast or first address)", ip, m->cidr);
	i = find(m, a, &found);
	if (found && strcmp(m->a[i].owner, owner) == 0)
		return 0;
	if (found)
		return err_setx(err, EEXIST, "%s is already allocated", ip);
	if (net_ipam_lookup(m, owner, have) == 0 &&
	    (r = net_ipam_release(m, owner, err)) < 0)
		return r;
	if ((r = claim(m, a, owner, err)) == -EEXIST)
		return err_setx(err, EEXIST, "%s is already allocated", ip);
	if (r < 0)
		return r;
	insert(m, a, owner);
	return 0;
}

int
net_ipam_release(struct net_ipam *m, const char *owner, struct err *err)
{
	char name[16];
	ssize_t i;

	while ((i = by_owner(m, owner)) >= 0) {
		fmt_ip(m->a[i].ip, name);
		if (unlinkat(m->dfd, name, 0) < 0 && errno != ENOENT)
			return err_set(err, errno, "remove %s/%s", m->dir,
			    name);
		if (fsync(m->dfd) < 0)
			return err_set(err, errno, "fsync %s", m->dir);
		free(m->a[i].owner);
		memmove(&m->a[i], &m->a[i + 1],
		    (m->n - (size_t)i - 1) * sizeof(*m->a));
		m->n--;
	}
	return 0;
}

int
net_ipam_owners(const struct net_ipam *m, char ***out)
{
	char **v = xcalloc(m->n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < m->n; i++)
		v[i] = xstrdup(m->a[i].owner);
	*out = v;
	return (int)m->n;
}

void
net_ipam_gateway(const struct net_ipam *m, char gw[16])
{
	fmt_ip(m->net + 1, gw);
}

int
net_ipam_prefix(const struct net_ipam *m)
{
	return m->plen;
}
