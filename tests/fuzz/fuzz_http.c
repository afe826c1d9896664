/* libFuzzer harness for net/http_parse.c: the parser and the lookups
 * must never read outside the buffer, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_http_req req;
	char out[64], *copy;
	int n;

	/* an exact-size copy, so ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	n = net_http_parse(copy, size, &req);
	if (n > 0) {
		if ((size_t)n > size)
			abort();
		if (req.path[0] != '/' || strlen(req.path) >= sizeof(req.path))
			abort();
		net_http_header(&req, "Content-Length", out, sizeof(out));
		net_http_header(&req, "connection", out, 2);
		net_http_query(&req, "container", out, sizeof(out));
		net_http_query(&req, "x", out, 1);
	} else if (n != -1 && n != -2)
		abort();
	free(copy);
	return 0;
}
