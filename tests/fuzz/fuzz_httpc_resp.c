/*
 * libFuzzer harness for net/httpc_parse.c: the response-head parser and
 * the chunked decoder never read outside the buffer, agree with
 * themselves on every split of the input (a complete head's prefixes
 * are all incomplete; the body decodes to the same bytes fed whole or a
 * byte at a time), and never consume more than they are given.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode in[0..len) in pieces of step; the body into out, -1 if refused. */
static long
dechunk(const char *in, size_t len, size_t step, char *out, int *done)
{
	struct net_httpc_chunked st;
	size_t off = 0, o = 0, piece, d;
	long r;

	memset(&st, 0, sizeof(st));
	while (off < len && !net_httpc_chunked_done(&st)) {
		piece = len - off < step ? len - off : step;
		r = net_httpc_chunked_step(&st, in + off, piece, &d);
		if (r < 0)
			return -1;
		if ((size_t)r > piece || d > (size_t)r)
			abort();
		memcpy(out + o, in + off, d);
		o += d;
		off += (size_t)r;
	}
	*done = net_httpc_chunked_done(&st);
	return (long)o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_httpc_head h;
	char *copy, *a, *b, out[32];
	long na, nb;
	int n, k, da, db;
	size_t i;

	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	n = net_httpc_parse(copy, size, &h);
	if (n > 0) {
		if ((size_t)n > size || h.nh > NET_HTTPC_MAXHDR ||
		    h.status < 100 || h.status > 999)
			abort();
		for (i = 0; i < h.nh; i++)
			if (h.h[i].value + h.h[i].vlen > copy + n ||
			    h.h[i].name < copy)
				abort();
		net_httpc_header(&h, "Content-Length", out, sizeof(out));
		net_httpc_header(&h, "transfer-encoding", out, 2);
		for (k = 0; k < n; k += 1 + n / 16)
			if (net_httpc_parse(copy, (size_t)k, &h) != -2)
				abort();
	} else if (n != -1 && n != -2)
		abort();
	/* what follows a head (or all of it) as a chunked body */
	if (n < 0)
		n = 0;
	a = malloc(size - (size_t)n + 1);
	b = malloc(size - (size_t)n + 1);
	na = dechunk(copy + n, size - (size_t)n, size + 1, a, &da);
	nb = dechunk(copy + n, size - (size_t)n, 1, b, &db);
	if (na != nb || (na > 0 && (da != db || memcmp(a, b, (size_t)na))))
		abort();
	free(a);
	free(b);
	free(copy);
	return 0;
}
