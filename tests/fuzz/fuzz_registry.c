/* libFuzzer harness for store/registry.c: what a registry (or anyone on
 * the path to it) sends back: WWW-Authenticate challenges, Location and
 * realm URLs, manifests and indexes, error bodies, Content-Range; and
 * docker config.json credentials.  No crash, no leak, strings always
 * terminated within their buffers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
short_strings(const char *s, size_t n)
{
	struct store_reg_challenge c;
	struct store_reg_url u;
	struct store_reg_ref r;
	char b64[128];

	if (store_reg_challenge_parse(s, &c) == 0 &&
	    (strlen(c.realm) >= sizeof(c.realm) ||
	    strlen(c.scope) >= sizeof(c.scope)))
		abort();
	if (store_reg_url_parse(s, true, &u, NULL) == 0 &&
	    (u.host[0] == '\0' || u.path[0] != '/'))
		abort();
	(void)store_reg_ref_split(s, &r, NULL);
	(void)store_reg_range_ok(206, s, 10, 100);
	(void)store_reg_base64(s, n < 90 ? n : 90, b64, sizeof(b64));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_reg_manifest m;
	struct store_reg_desc d;
	char *s, out[256];
	struct err err;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (size < 4096)
		short_strings(s, size);
	if (store_reg_manifest_parse(s, size, NULL, &m, &err) == 0)
		store_reg_manifest_free(&m);
	(void)store_reg_index_pick(s, size, "arm", "v7", &d, &err);
	(void)store_reg_auth_lookup(s, size, "docker.io", out, sizeof(out),
	    &err);
	(void)store_reg_auth_lookup(s, size, "localhost:5000", out,
	    sizeof(out), &err);
	store_reg_error_msg(s, size, out, sizeof(out));
	free(s);
	return 0;
}
