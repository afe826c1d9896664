/* Unit tests for store/registry.c: the pure parts of a pull. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "cfg/cfg.h"
#include "store/store.h"

static void
test_ref_split(void **state)
{
	struct store_reg_ref r;
	struct err err;

	assert_int_equal(store_reg_ref_split("docker.io/library/busybox:1.36",
	    &r, &err), 0);
	assert_string_equal(r.host, "docker.io");
	assert_string_equal(r.api_host, "registry-1.docker.io");
	assert_string_equal(r.repo, "library/busybox");
	assert_string_equal(r.ref, "1.36");
	assert_false(r.by_digest);
	assert_int_equal(store_reg_ref_split("localhost:5000/a/b@sha256:"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    &r, &err), 0);
	assert_string_equal(r.api_host, "localhost:5000");
	assert_string_equal(r.repo, "a/b");
	assert_true(r.by_digest);
	assert_int_equal(strncmp(r.ref, "sha256:e3b0", 11), 0);
	assert_int_equal(store_reg_ref_split("ghcr.io/o/app:v1@sha256:"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    &r, &err), 0);
	assert_string_equal(r.repo, "o/app");
	assert_true(r.by_digest);
	assert_int_equal(store_reg_ref_split("busybox", &r, &err), -EINVAL);
}

static void
test_url(void **state)
{
	struct store_reg_url u;

	assert_int_equal(store_reg_url_parse("https://auth.docker.io/token"
	    "?a=b", false, &u, NULL), 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "auth.docker.io");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/token?a=b");
	assert_int_equal(store_reg_url_parse("localhost:5000", false, &u,
	    NULL), 0);
	assert_false(u.tls);
	assert_int_equal(u.port, 5000);
	assert_string_equal(u.path, "/");
	assert_int_equal(store_reg_url_parse("http://[::1]:8080/x", true, &u,
	    NULL), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 8080);
	assert_int_equal(store_reg_url_parse("http://h:99999/", true, &u,
	    NULL), -EINVAL);
	assert_int_equal(store_reg_url_parse("http:///x", true, &u, NULL),
	    -EINVAL);
	assert_int_equal(store_reg_url_parse("http://a b/", true, &u, NULL),
	    -EINVAL);
}

static void
test_challenge(void **state)
{
	struct store_reg_challenge c;

	assert_int_equal(store_reg_challenge_parse("Bearer realm=\"https://"
	    "auth.docker.io/token\",service=\"registry.docker.io\",scope=\""
	    "repository:library/busybox:pull\"", &c), 0);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/busybox:pull");
	assert_int_equal(store_reg_challenge_parse("basic realm=\"Registry "
	    "\\\"x\\\" Realm\"", &c), 0);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "Registry \"x\" Realm");
	assert_int_equal(store_reg_challenge_parse("Bearer service=x", &c),
	    -EINVAL);
	assert_int_equal(store_reg_challenge_parse("Negotiate abc", &c),
	    -EINVAL);
	assert_int_equal(store_reg_challenge_parse("", &c), -EINVAL);
	assert_int_equal(store_reg_challenge_parse("Bearer realm=x, scope",
	    &c), 0);
	assert_string_equal(c.realm, "x");
}

static void
test_auth(void **state)
{
	const char *j = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":"
	    "\"dXNlcjpwYXNz\"},\"localhost:5000\":{\"username\":\"u\","
	    "\"password\":\"p:w\"},\"bad.io\":{\"auth\":\"!!\"},"
	    "\"https://ghcr.io\":{\"auth\":\"YTpi\"}}}";
	char out[128], b64[64];
	struct err err;

	assert_int_equal(store_reg_auth_lookup(j, strlen(j), "docker.io", out,
	    sizeof(out), &err), 0);
	assert_string_equal(out, "user:pass");
	assert_int_equal(store_reg_auth_lookup(j, strlen(j), "localhost:5000",
	    out, sizeof(out), &err), 0);
	assert_string_equal(out, "u:p:w");
	assert_int_equal(store_reg_auth_lookup(j, strlen(j), "ghcr.io", out,
	    sizeof(out), &err), 0);
	assert_string_equal(out, "a:b");
	assert_int_equal(store_reg_auth_lookup(j, strlen(j), "quay.io", out,
	    sizeof(out), &err), -ENOENT);
	assert_int_equal(store_reg_auth_lookup(j, strlen(j), "bad.io", out,
	    sizeof(out), &err), -EINVAL);
	assert_int_equal(store_reg_auth_lookup("{", 1, "x", out, sizeof(out),
	    &err), -EINVAL);
	assert_int_equal(store_reg_base64("user:pass", 9, b64, sizeof(b64)),
	    0);
	assert_string_equal(b64, "dXNlcjpwYXNz");
	assert_int_equal(store_reg_base64("a", 1, b64, sizeof(b64)), 0);
	assert_string_equal(b64, "YQ==");
	assert_int_equal(store_reg_base64("abcd", 4, b64, 4), -ENOSPC);
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"

static const char INDEX[] = "{\"schemaVersion\":2,\"mediaType\":"
    "\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"" D1 "\",\"size\":10,\"platform\":{\"os\":\"linux\","
    "\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"" D2 "\",\"size\":10,\"platform\":{\"os\":\"linux\","
    "\"architecture\":\"arm\",\"variant\":\"v6\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"" D3 "\",\"size\":10,\"platform\":{\"os\":\"linux\","
    "\"architecture\":\"arm\",\"variant\":\"v7\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"" D4 "\",\"size\":10,\"platform\":{\"os\":\"linux\","
    "\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";

static void
test_platform(void **state)
{
	struct store_reg_desc d;
	struct err err;
	size_t n = strlen(INDEX);

	assert_int_equal(store_reg_index_pick(INDEX, n, "amd64", "", &d,
	    &err), 0);
	assert_string_equal(d.digest, D1);
	assert_int_equal(store_reg_index_pick(INDEX, n, "arm", "v7", &d,
	    &err), 0);
	assert_string_equal(d.digest, D3);
	assert_int_equal(store_reg_index_pick(INDEX, n, "arm", "v6", &d,
	    &err), 0);
	assert_string_equal(d.digest, D2);
	assert_int_equal(store_reg_index_pick(INDEX, n, "arm64", "", &d,
	    &err), 0);
	assert_string_equal(d.digest, D4);
	assert_int_equal(store_reg_index_pick(INDEX, n, "riscv64", "", &d,
	    &err), -ENOENT);
	assert_string_equal(err.msg, "no match for platform linux/riscv64 in "
	    "index");
}

static const char MANIFEST[] = "{\"schemaVersion\":2,\"mediaType\":"
    "\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
    "{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
    "\"digest\":\"" D1 "\",\"size\":100},\"layers\":["
    "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
    "\"digest\":\"" D2 "\",\"size\":2000},"
    "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
    "\"digest\":\"" D3 "\",\"size\":3000}]}";

static void
test_manifest(void **state)
{
	struct store_reg_manifest m;
	struct err err;
	char *big;

	assert_int_equal(store_reg_manifest_parse(MANIFEST, strlen(MANIFEST),
	    NULL, &m, &err), 0);
	assert_false(m.is_index);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.nlayers, 2);
	assert_int_equal(m.layers[1].size, 3000);
	assert_string_equal(m.media,
	    "application/vnd.docker.distribution.manifest.v2+json");
	store_reg_manifest_free(&m);
	assert_int_equal(store_reg_manifest_parse(INDEX, strlen(INDEX),
	    "text/plain", &m, &err), 0);
	assert_true(m.is_index);
	store_reg_manifest_free(&m);
	assert_int_equal(store_reg_manifest_parse("{\"layers\":[{}],"
	    "\"config\":{}}", 26, NULL, &m, &err), -EINVAL);
	assert_int_equal(store_reg_manifest_parse("{\"a\":1}", 7, NULL, &m,
	    &err), -EINVAL);
	big = xcalloc(1, STORE_JSON_MAX + 2);
	memset(big, ' ', STORE_JSON_MAX + 1);
	assert_int_equal(store_reg_manifest_parse(big, STORE_JSON_MAX + 1,
	    NULL, &m, &err), -EMSGSIZE);
	free(big);
}

static void
test_resume(void **state)
{
	assert_int_equal(store_reg_resume_from(0, 100), 0);
	assert_int_equal(store_reg_resume_from(50, 100), 1);
	assert_int_equal(store_reg_resume_from(100, 100), 0);
	assert_int_equal(store_reg_resume_from(150, 100), 0);
	assert_true(store_reg_range_ok(206, "bytes 50-99/100", 50, 100));
	assert_false(store_reg_range_ok(200, "bytes 50-99/100", 50, 100));
	assert_false(store_reg_range_ok(206, "bytes 0-99/100", 50, 100));
	assert_false(store_reg_range_ok(206, "bytes 50-99/*", 50, 100));
	assert_false(store_reg_range_ok(206, NULL, 50, 100));
}

static void
test_error_msg(void **state)
{
	const char *b = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
	    "\"message\":\"manifest unknown\"}]}";
	char out[128];

	store_reg_error_msg(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "manifest unknown (MANIFEST_UNKNOWN)");
	store_reg_error_msg("<html>", 6, out, sizeof(out));
	assert_string_equal(out, "");
}

static void
test_conf(void **state)
{
	char path[] = "/tmp/picolet-regconf-XXXXXX";
	struct cfg_conf c;
	struct err err;
	FILE *f;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "[registry]\nauth = /etc/picolet/auth.json\n"
	    "[registry.ghcr.io]\nca = /etc/picolet/ghcr.pem ; extra\n"
	    "insecure = false\nmirror = https://mirror.local:5000\n"
	    "[registry.localhost:5000]\ninsecure = true\n"
	    "auth = /x/auth.json\n");
	fclose(f);
	cfg_conf_defaults(&c);
	assert_int_equal(cfg_conf_load(&c, path, &err), 0);
	assert_string_equal(c.registry_auth, "/etc/picolet/auth.json");
	assert_int_equal(c.nregistries, 2);
	assert_string_equal(c.registries[0].host, "ghcr.io");
	assert_string_equal(c.registries[0].ca, "/etc/picolet/ghcr.pem");
	assert_string_equal(c.registries[0].mirror,
	    "https://mirror.local:5000");
	assert_false(c.registries[0].insecure);
	assert_string_equal(c.registries[1].host, "localhost:5000");
	assert_true(c.registries[1].insecure);
	assert_string_equal(c.registries[1].auth, "/x/auth.json");
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "[registry.x.io]\nmirror = ftp://m\n");
	fclose(f);
	assert_int_equal(cfg_conf_load(&c, path, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "mirror"));
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "[registry]\nca = /x\n");
	fclose(f);
	assert_int_equal(cfg_conf_load(&c, path, &err), -EINVAL);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_split),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_platform),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_error_msg),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
