/*
 * libFuzzer harness for net/nl.c's reading of kernel replies: a datagram
 * of netlink messages (ACKs with extended-ACK attributes, link messages
 * with nested link info and bridge port info) is parsed without reading
 * outside the buffer, and what comes out is sane: names NUL-terminated
 * in their fields, errors within the errno range.  The input is copied
 * to a buffer of its exact size (aligned, as the kernel's is), so ASan
 * sees any read past it.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/nl_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_link l;
	int *n = arg;

	if (nl_link_parse(nlh, &l) < 0)
		return MNL_CB_ERROR;
	assert(strlen(l.name) > 0 && strlen(l.name) < sizeof(l.name));
	assert(strlen(l.kind) < sizeof(l.kind));
	assert(l.hairpin >= -1 && l.hairpin <= 1);
	(*n)++;
	return MNL_CB_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *h;
	unsigned seq = 0, pid = 0;
	char msg[64];
	void *buf;
	int e, r, n = 0;

	if (size > NL_BUFSIZE)
		return 0;
	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	if (size >= sizeof(*h)) {
		h = buf;
		seq = h->nlmsg_seq;
		pid = h->nlmsg_pid;
	}
	r = nl_parse(buf, size, seq, pid, on_link, &n, &e, msg, sizeof(msg));
	assert(r == -EPROTO || r == 0 || r == 1);
	assert(e <= 0 && e >= -4095);
	assert(strlen(msg) < sizeof(msg));
	free(buf);
	return 0;
}
