/* libFuzzer harness for cfg/: manifests (YAML and JSON) through the whole
 * decoder, plus quantities and selectors on short inputs.  Whatever the
 * bytes: no crash, no leak, and either objects or errors, never both. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
small_parsers(const uint8_t *data, size_t size)
{
	struct cfg_selector *sel;
	struct cfg_kv kv[] = { { "app", "web" }, { "tier", "" } };
	struct cfg_kvs labels = { kv, 2 };
	struct err e;
	char s[256];
	int64_t v;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	cfg_parse_cpu(s, &v);
	cfg_parse_memory(s, &v);
	cfg_check_label_key(s);
	cfg_check_dns1123_subdomain(s);
	if (cfg_selector_parse(s, &sel, &e) == 0) {
		cfg_selector_match(sel, &labels);
		cfg_selector_free(sel);
	}
}

/* Sorted, unique, found by cfg_config_get, within the limit. */
static void
check_config(const struct cfg_config *c)
{
	size_t i, bytes = 0;

	for (i = 0; i < c->ndata; i++) {
		if (i > 0 && strcmp(c->data[i - 1].key, c->data[i].key) >= 0)
			abort();
		if (cfg_config_get(c, c->data[i].key) != &c->data[i] ||
		    c->data[i].data[c->data[i].len] != '\0')
			abort();
		bytes += c->data[i].len;
	}
	if (bytes != c->bytes || bytes > CFG_CONFIG_MAX || c->tree != NULL ||
	    strlen(c->data_hash) != 64)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_object *objs;
	struct cfg_diags d;
	char buf[600], *copy;
	size_t n, i;
	int r;

	small_parsers(data, size);
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	cfg_diags_init(&d);
	r = cfg_manifest_parse(copy, size, &objs, &n, &d);
	if ((r == 0) != (d.nerrors == 0) || (r < 0 && (objs || n)))
		abort();
	for (i = 0; i < d.n; i++)
		cfg_diag_format(&d.d[i], "f", buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		if (objs[i].kind == CFG_KIND_POD &&
		    strlen(objs[i].u.pod->spec_hash) != 64)
			abort();
		if (objs[i].kind == CFG_KIND_CONFIG)
			check_config(objs[i].u.cfg);
	}
	cfg_objects_free(objs, n);
	free(copy);
	return 0;
}
