/* ConfigMap, Secret and PersistentVolumeClaim decoding: values, defaults,
 * exact errors, and no Secret value in any diagnostic. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"

/* A secret value that must never show in a message: "s3cr3t-VALUE". */
#define SECRET "s3cr3t-VALUE"
#define SECRET_B64 "czNjcjN0LVZBTFVF"

static int
parse(const char *y, struct cfg_object **objs, size_t *n,
    struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
	return cfg_manifest_parse(y, strlen(y), objs, n, d);
}

static void
no_secret(const struct cfg_diags *d)
{
	char buf[700];
	size_t k;

	for (k = 0; k < d->n; k++) {
		cfg_diag_format(&d->d[k], "f.yaml", buf, sizeof(buf));
		if (strstr(buf, SECRET) || strstr(buf, SECRET_B64) ||
		    strstr(buf, "1234567") || strstr(buf, "czNj"))
			fail_msg("secret in a message: %s", buf);
	}
}

/* An error at line with `what` in its message or path. */
static void
expect(const char *y, int line, const char *what)
{
	struct cfg_object *o = NULL;
	struct cfg_diags d;
	size_t k, n;
	bool found = false;

	assert_int_equal(parse(y, &o, &n, &d), -EINVAL);
	assert_null(o);
	no_secret(&d);
	for (k = 0; k < d.n; k++)
		if (d.d[k].sev == CFG_ERROR && (line == 0 ||
		    d.d[k].line == line) && (strstr(d.d[k].msg, what) != NULL ||
		    strstr(d.d[k].path, what) != NULL))
			found = true;
	if (!found) {
		for (k = 0; k < d.n; k++)
			print_error("%d:%d %s: %s\n", d.d[k].line, d.d[k].col,
			    d.d[k].path, d.d[k].msg);
		fail_msg("no error at line %d with \"%s\" in:\n%s", line,
		    what, y);
	}
}

static void
configmap_values(void **state)
{
	const char *y =
	    "apiVersion: v1\n"
	    "kind: ConfigMap\n"
	    "metadata: {name: app.conf, namespace: shop}\n"
	    "immutable: true\n"
	    "data:\n"
	    "  b.txt: hello\n"
	    "  A_KEY: \"1\"\n"
	    "  empty:\n"
	    "binaryData:\n"
	    "  a.bin: AAEC/w==\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_config *c;
	const struct cfg_blob *b;
	size_t n;

	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, CFG_KIND_CONFIG);
	assert_string_equal(o[0].kind_name, "ConfigMap");
	assert_string_equal(o[0].name, "app.conf");
	assert_string_equal(o[0].namespace, "shop");
	assert_null(o[0].tree);
	c = o[0].u.cfg;
	assert_false(c->secret);
	assert_null(c->type);
	assert_true(c->immutable);
	assert_null(c->tree);
	assert_int_equal(c->ndata, 4);
	assert_string_equal(c->data[0].key, "A_KEY");	/* sorted */
	assert_string_equal(c->data[1].key, "a.bin");
	assert_string_equal(c->data[2].key, "b.txt");
	assert_string_equal(c->data[3].key, "empty");
	b = cfg_config_get(c, "a.bin");
	assert_non_null(b);
	assert_int_equal(b->len, 4);
	assert_memory_equal(b->data, "\x00\x01\x02\xff", 4);
	assert_true(b->binary);			/* shown as binaryData */
	b = cfg_config_get(c, "b.txt");
	assert_string_equal((const char *)b->data, "hello");
	assert_false(b->binary);
	assert_int_equal(cfg_config_get(c, "empty")->len, 0);
	assert_null(cfg_config_get(c, "nope"));
	assert_int_equal(c->bytes, 1 + 4 + 5 + 0);
	assert_int_equal(strlen(c->data_hash), 64);
	cfg_objects_free(o, n);
}

static void
secret_values(void **state)
{
	const char *y =
	    "apiVersion: v1\n"
	    "kind: Secret\n"
	    "metadata: {name: db}\n"
	    "data:\n"
	    "  password: " SECRET_B64 "\n"
	    "  user: |\n"
	    "    YWRt\n"
	    "    aW4=\n"
	    "  over: b2xk\n"
	    "stringData:\n"
	    "  over: new\n"
	    "  note: plain text\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_config *c;
	char h1[65];
	size_t n;

	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(o[0].kind, CFG_KIND_CONFIG);
	assert_string_equal(o[0].kind_name, "Secret");
	c = o[0].u.cfg;
	assert_true(c->secret);
	assert_string_equal(c->type, "Opaque");
	assert_string_equal(c->meta.namespace, "default");
	assert_int_equal(c->ndata, 4);
	assert_string_equal((char *)cfg_config_get(c, "password")->data,
	    SECRET);
	assert_string_equal((char *)cfg_config_get(c, "user")->data, "admin");
	assert_string_equal((char *)cfg_config_get(c, "over")->data, "new");
	assert_string_equal((char *)cfg_config_get(c, "note")->data,
	    "plain text");
	assert_false(cfg_config_get(c, "over")->binary);  /* a Secret's: no */
	assert_int_equal(c->bytes, strlen(SECRET) + 5 + 3 + 10);
	memcpy(h1, c->data_hash, sizeof(h1));
	cfg_objects_free(o, n);

	/* same keys and values, another spelling: same hash */
	y = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
	    "stringData: {password: " SECRET ", user: admin, over: new, "
	    "note: plain text}\n";
	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_string_equal(o[0].u.cfg->data_hash, h1);
	cfg_objects_free(o, n);
	y = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
	    "stringData: {password: " SECRET ", user: admin, over: new, "
	    "note: plain text!}\n";
	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_string_not_equal(o[0].u.cfg->data_hash, h1);
	cfg_objects_free(o, n);

	/* JSON, with the line breaks Go's decoder skips */
	y = "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": "
	    "{\"name\": \"j\"}, \"data\": {\"k\": \"czNjcjN0\\r\\nLVZB\\nTFVF\"}}";
	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_string_equal((char *)cfg_config_get(o[0].u.cfg, "k")->data,
	    SECRET);
	cfg_objects_free(o, n);
}

static void
secret_types(void **state)
{
	static const char *const good[] = {
		"type: kubernetes.io/tls\nstringData: {tls.crt: a, tls.key: b}",
		"type: kubernetes.io/dockerconfigjson\nstringData:\n"
		"  .dockerconfigjson: '{\"auths\": {}}'",
		"type: kubernetes.io/dockercfg\nstringData:\n"
		"  .dockercfg: '{}'",
		"type: kubernetes.io/basic-auth\nstringData: {password: p}",
		"type: kubernetes.io/basic-auth\nstringData: {username: u}",
		"type: kubernetes.io/ssh-auth\nstringData: {ssh-privatekey: k}",
		"type: example.com/custom",
		"type: \"\"",
	};
	struct cfg_object *o;
	struct cfg_diags d;
	char y[512];
	size_t i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(y, sizeof(y), "apiVersion: v1\nkind: Secret\n"
		    "metadata: {name: s}\n%s\n", good[i]);
		if (parse(y, &o, &n, &d) != 0)
			fail_msg("case %zu: %s: %s", i, d.d[0].path,
			    d.d[0].msg);
		cfg_objects_free(o, n);
	}
	assert_int_equal(parse("apiVersion: v1\nkind: Secret\n"
	    "metadata: {name: s}\ntype: \"\"\n", &o, &n, &d), 0);
	assert_string_equal(o[0].u.cfg->type, "Opaque");
	assert_int_equal(o[0].u.cfg->ndata, 0);
	cfg_objects_free(o, n);
}

#define SEC "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
#define CM "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"

static void
config_errors(void **state)
{
	expect(SEC "type: kubernetes.io/tls\nstringData: {tls.crt: "
	    SECRET "}\n", 4, "data[tls.key]");
	expect(SEC "type: kubernetes.io/tls\n", 4, "data[tls.crt]");
	expect(SEC "type: kubernetes.io/dockerconfigjson\n", 4,
	    "data[.dockerconfigjson]");
	expect(SEC "type: kubernetes.io/dockerconfigjson\nstringData:\n"
	    "  .dockerconfigjson: '{\"auth\": \"" SECRET "'\n", 6,
	    "not valid JSON");
	expect(SEC "type: kubernetes.io/dockercfg\n", 4, "data[.dockercfg]");
	expect(SEC "type: kubernetes.io/basic-auth\nstringData: {x: "
	    SECRET "}\n", 4, "data[username]");
	expect(SEC "type: kubernetes.io/ssh-auth\n", 4,
	    "data[ssh-privatekey]");
	expect(SEC "type: kubernetes.io/service-account-token\n", 4,
	    "service-account.name");
	/* base64: bad alphabet, no padding, spaces (a folded scalar) */
	expect(SEC "data: {k: " SECRET "}\n", 4, "illegal base64");
	expect(SEC "data: {k: czNjcjN0LVZBTFV}\n", 4, "illegal base64");
	expect(SEC "data:\n  k: czNjcjN0\n    LVZBTFVF\n", 5,
	    "illegal base64");
	/* a value of the wrong type: named, never shown */
	expect(SEC "stringData: {pin: 1234567}\n", 4, "got integer");
	expect(SEC "stringData: {pin: [a]}\n", 4, "got a list");
	expect(CM "data: {port: 8080}\n", 4, "got integer 8080");
	/* keys */
	expect(CM "data: {\"a b\": x}\n", 4, "a valid config key");
	expect(CM "data: {\"..a\": x}\n", 4, "must not start with '..'");
	expect(CM "data: {\".\": x}\n", 4, "must not be '.'");
	expect(SEC "stringData: {\"a/b\": " SECRET "}\n", 4, "stringData[a/b]");
	expect(CM "data: {k: x}\nbinaryData: {k: eA==}\n", 5,
	    "duplicate of key present in data");
	expect(CM "binaryData: {k: x}\n", 4, "illegal base64");
	expect(CM "data: [a]\n", 4, "expected a map");
	expect(CM "immutable: maybe\n", 4, "boolean");
	expect("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad}\n", 3,
	    "RFC 1123");
	expect("apiVersion: v1\nkind: ConfigMap\n", 1, "metadata");
	expect("apiVersion: v2\nkind: Secret\nmetadata: {name: s}\n", 1,
	    "needs apiVersion v1");
}

/* Just over 1 MiB of values: the object's error, not the file's. */
static void
config_too_long(void **state)
{
	size_t raw = CFG_CONFIG_MAX + 3, b64 = (raw + 2) / 3 * 4, i, n;
	size_t len = 256 + b64 + b64 / 76 * 5;
	char *y = malloc(len), *p;
	struct cfg_object *o;
	struct cfg_diags d;
	bool found = false;

	p = y + sprintf(y, SEC "data:\n  big: |\n    ");
	for (i = 0; i < b64; i++) {
		*p++ = "QUJD"[i % 4];
		if (i % 76 == 75 && i + 1 < b64)
			p += sprintf(p, "\n    ");
	}
	*p++ = '\n';
	*p = '\0';
	assert_true(strlen(y) < CFG_MAX_FILE);
	assert_int_equal(parse(y, &o, &n, &d), -EINVAL);
	for (i = 0; i < d.n; i++)
		if (!strcmp(d.d[i].msg,
		    "Too long: must have at most 1048576 bytes"))
			found = true;
	assert_true(found);
	no_secret(&d);
	/* exactly the limit is fine (a ConfigMap, in plain text) */
	free(y);
	y = malloc(CFG_CONFIG_MAX + 256);
	p = y + sprintf(y, CM "data:\n  a: |-\n    ");
	memset(p, 'x', CFG_CONFIG_MAX / 2);
	p += CFG_CONFIG_MAX / 2;
	p += sprintf(p, "\n  b: |-\n    ");
	memset(p, 'y', CFG_CONFIG_MAX / 2);
	p += CFG_CONFIG_MAX / 2;
	strcpy(p, "\n");
	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(o[0].u.cfg->bytes, CFG_CONFIG_MAX);
	cfg_objects_free(o, n);
	p[0] = 'z';
	strcpy(p, "z\n");
	assert_int_equal(parse(y, &o, &n, &d), -EINVAL);
	assert_string_equal(d.d[0].msg,
	    "Too long: must have at most 1048576 bytes");
	free(y);
}

static void
pvc_values(void **state)
{
	const char *y =
	    "apiVersion: v1\n"
	    "kind: PersistentVolumeClaim\n"
	    "metadata: {name: data}\n"
	    "spec:\n"
	    "  accessModes: [ReadWriteOnce, ReadOnlyMany]\n"
	    "  storageClassName: local\n"
	    "  volumeName: pv-1\n"
	    "  resources: {requests: {storage: 1Gi}, limits: {storage: 2Gi}}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_pvc *c;
	size_t n;

	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(o[0].kind, CFG_KIND_PVC);
	assert_string_equal(o[0].kind_name, "PersistentVolumeClaim");
	c = o[0].u.pvc;
	assert_string_equal(c->meta.name, "data");
	assert_int_equal(c->request, 1024 * 1024 * 1024);
	assert_string_equal(c->request_text, "1Gi");	/* shown as written */
	assert_string_equal(c->access_modes[0], "ReadWriteOnce");
	assert_string_equal(c->access_modes[1], "ReadOnlyMany");
	assert_null(c->access_modes[2]);
	assert_string_equal(c->storage_class, "local");
	assert_string_equal(c->volume_mode, "Filesystem");
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);		/* volumeName ignored */
	assert_int_equal(d.d[0].sev, CFG_WARNING);
	assert_string_equal(d.d[0].path, "spec.volumeName");
	cfg_objects_free(o, n);
}

#define PVC "apiVersion: v1\nkind: PersistentVolumeClaim\n" \
	"metadata: {name: p}\nspec:\n"

static void
pvc_errors(void **state)
{
	expect(PVC "  accessModes: [ReadWriteOnce]\n", 5,
	    "spec.resources.requests.storage");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  resources: {requests: "
	    "{storage: 0}}\n", 6, "greater than zero");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  resources: {requests: "
	    "{storage: lots}}\n", 6, "invalid quantity");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  resources: {requests: "
	    "{cpu: 1, storage: 1Gi}}\n", 6, "supported values: \"storage\"");
	expect(PVC "  resources: {requests: {storage: 1Gi}}\n", 5,
	    "at least 1 access mode");
	expect(PVC "  accessModes: [ReadWriteSometimes]\n  resources: "
	    "{requests: {storage: 1Gi}}\n", 5, "Unsupported value");
	expect(PVC "  accessModes: [ReadWriteOncePod, ReadWriteOnce]\n"
	    "  resources: {requests: {storage: 1Gi}}\n", 5,
	    "ReadWriteOncePod with other");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  volumeMode: Block\n"
	    "  resources: {requests: {storage: 1Gi}}\n", 6, "not supported");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  volumeMode: Raw\n"
	    "  resources: {requests: {storage: 1Gi}}\n", 6,
	    "Unsupported value");
	expect(PVC "  accessModes: [ReadWriteOnce]\n  storageClassName: A_B\n"
	    "  resources: {requests: {storage: 1Gi}}\n", 6, "RFC 1123");
	expect("apiVersion: v1\nkind: PersistentVolumeClaim\n"
	    "metadata: {name: p}\n", 1, "spec");
}

static void
check_names(void **state)
{
	assert_null(cfg_check_config_key("a.b-c_D9"));
	assert_null(cfg_check_config_key(".dockerconfigjson"));
	assert_non_null(cfg_check_config_key(""));
	assert_non_null(cfg_check_config_key(".."));
	assert_non_null(cfg_check_config_key("..data"));
	assert_non_null(cfg_check_config_key("a/b"));
	assert_null(cfg_check_rel_path("a..b"));
	assert_null(cfg_check_rel_path("a/b..c/..d"));
	assert_null(cfg_check_rel_path("a/./b"));
	assert_non_null(cfg_check_rel_path(""));
	assert_non_null(cfg_check_rel_path("/a"));
	assert_non_null(cfg_check_rel_path(".."));
	assert_non_null(cfg_check_rel_path("../a"));
	assert_non_null(cfg_check_rel_path("a/../b"));
	assert_non_null(cfg_check_rel_path("a/.."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(configmap_values),
		cmocka_unit_test(secret_values),
		cmocka_unit_test(secret_types),
		cmocka_unit_test(config_errors),
		cmocka_unit_test(config_too_long),
		cmocka_unit_test(pvc_values),
		cmocka_unit_test(pvc_errors),
		cmocka_unit_test(check_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
