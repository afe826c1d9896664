/*
 * The API's ConfigMap, Secret and PersistentVolumeClaim JSON
 * (core/cfgjson.c): data and binaryData (base64) apart, a Secret with key
 * sizes and none of its bytes (nor its last-applied-configuration
 * annotation), a claim Pending until its directory exists, then Bound to
 * it with its request as capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "lib/json.h"
#include "lib/jsonw.h"
#include "lib/util.h"

#define SECRET "s3cr3t-VALUE"
#define SECRET_B64 "czNjcjN0LVZBTFVF"

static const char manifest[] =
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata: {name: app, labels: {tier: web}}\n"
    "immutable: true\n"
    "data: {color: blue, conf: \"a\\tb\\n\"}\n"
    "binaryData: {bin: AAEC/w==}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata:\n"
    "  name: creds\n"
    "  namespace: shop\n"
    "  annotations:\n"
    "    owner: ops\n"
    "    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{"
    "\"password\":\"" SECRET_B64 "\"}}'\n"
    "type: kubernetes.io/basic-auth\n"
    "data: {password: " SECRET_B64 "}\n"
    "stringData: {username: admin}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: PersistentVolumeClaim\n"
    "metadata: {name: data}\n"
    "spec:\n"
    "  accessModes: [ReadWriteOnce]\n"
    "  resources: {requests: {storage: 512Mi}}\n";

struct fixture {
	struct agent *a;
	struct mfile f;
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *x = xcalloc(1, sizeof(*x));
	struct cfg_diags d;

	memset(&d, 0, sizeof(d));
	snprintf(x->dir, sizeof(x->dir), "/tmp/cfgjson.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	x->a = xcalloc(1, sizeof(*x->a));
	snprintf(x->a->conf.state, sizeof(x->a->conf.state), "%s", x->dir);
	TAILQ_INIT(&x->a->mdir.files);
	assert_int_equal(cfg_manifest_parse(manifest, strlen(manifest),
	    &x->f.objs, &x->f.nobjs, &d), 0);
	assert_int_equal(x->f.nobjs, 3);
	x->f.first_ns = 1700000000LL * 1000000000LL;
	TAILQ_INSERT_TAIL(&x->a->mdir.files, &x->f, entry);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *x = *state;
	char cmd[128];

	cfg_objects_free(x->f.objs, x->f.nobjs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x->a);
	free(x);
	return 0;
}

/* The object's JSON, as text (in *text) and parsed. */
static struct json *
write_one(struct fixture *x, size_t i, struct buf *text)
{
	struct json *j = NULL;
	struct jsonw w;
	struct err err;

	buf_init(text, 1 << 20);
	jw_init(&w, text);
	cfgjson_write(&w, x->a, &x->f.objs[i], &x->f);
	assert_int_equal(w.err, 0);
	if (json_parse(text->p, text->len, &j, &err) < 0)
		fail_msg("bad JSON: %s: %s", err.msg, text->p);
	return j;
}

static const char *
str(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : NULL;
}

static void
configmap(void **state)
{
	struct fixture *x = *state;
	struct buf t;
	struct json *j = write_one(x, 0, &t);

	assert_string_equal(str(j, "kind"), "ConfigMap");
	assert_string_equal(str(j, "metadata.name"), "app");
	assert_string_equal(str(j, "metadata.namespace"), "default");
	assert_string_equal(str(j, "metadata.creationTimestamp"),
	    "2023-11-14T22:13:20Z");
	assert_string_equal(str(j, "metadata.labels.tier"), "web");
	assert_true(json_get_bool(j, "immutable", false));
	assert_int_equal(json_get(j, "data")->n, 2);
	assert_string_equal(str(j, "data.color"), "blue");
	assert_string_equal(str(j, "data.conf"), "a\tb\n");
	assert_int_equal(json_get(j, "binaryData")->n, 1);
	assert_string_equal(str(j, "binaryData.bin"), "AAEC/w==");
	json_free(j);
	buf_free(&t);
}

static void
secret(void **state)
{
	struct fixture *x = *state;
	struct buf t;
	struct json *j = write_one(x, 1, &t);
	const struct json *an;

	assert_string_equal(str(j, "kind"), "Secret");
	assert_string_equal(str(j, "metadata.namespace"), "shop");
	assert_string_equal(str(j, "type"), "kubernetes.io/basic-auth");
	assert_null(json_get(j, "data"));
	assert_null(json_get(j, "stringData"));
	assert_int_equal(json_get(j, "dataSizes")->n, 2);
	assert_int_equal(json_get_int(json_get(j, "dataSizes"), "password",
	    -1), strlen(SECRET));
	assert_int_equal(json_get_int(json_get(j, "dataSizes"), "username",
	    -1), 5);
	an = json_path(j, "metadata.annotations");
	assert_int_equal(an->n, 1);
	assert_string_equal(str(j, "metadata.annotations.owner"), "ops");
	/* not a byte of it, in any form */
	assert_null(strstr(t.p, SECRET));
	assert_null(strstr(t.p, SECRET_B64));
	assert_null(strstr(t.p, "admin"));
	json_free(j);
	buf_free(&t);
}

static void
claim(void **state)
{
	struct fixture *x = *state;
	struct buf t;
	struct json *j = write_one(x, 2, &t);
	char dir[4200];
	struct err err;

	/* not bound yet: no directory */
	assert_string_equal(str(j, "kind"), "PersistentVolumeClaim");
	assert_string_equal(str(j, "status.phase"), "Pending");
	assert_null(json_path(j, "spec.volumeName"));
	assert_null(json_path(j, "status.capacity"));
	assert_string_equal(str(j, "spec.resources.requests.storage"),
	    "512Mi");
	assert_string_equal(str(j, "spec.volumeMode"), "Filesystem");
	json_free(j);
	buf_free(&t);

	pvc_dir(x->a, "default", "data", dir, sizeof(dir));
	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	j = write_one(x, 2, &t);
	assert_string_equal(str(j, "status.phase"), "Bound");
	assert_string_equal(str(j, "spec.volumeName"), dir);
	assert_string_equal(str(j, "status.capacity.storage"), "512Mi");
	assert_string_equal(json_at(json_path(j, "status.accessModes"), 0)->s,
	    "ReadWriteOnce");
	assert_string_equal(json_at(json_path(j, "spec.accessModes"), 0)->s,
	    "ReadWriteOnce");
	json_free(j);
	buf_free(&t);
}

/* The API's lookups: by kind (a Secret is not a ConfigMap) and name. */
static int nseen;

static void
count(const struct cfg_object *o, const struct mfile *f, void *arg)
{
	nseen++;
}

static void
lookups(void **state)
{
	struct fixture *x = *state;
	const struct mfile *f = NULL;

	assert_non_null(configs_object(x->a, CFG_KIND_CONFIG, false,
	    "default", "app", &f));
	assert_ptr_equal(f, &x->f);
	assert_null(configs_object(x->a, CFG_KIND_CONFIG, true, "default",
	    "app", NULL));
	assert_null(configs_object(x->a, CFG_KIND_CONFIG, true, "default",
	    "creds", NULL));
	assert_non_null(configs_object(x->a, CFG_KIND_CONFIG, true, "shop",
	    "creds", NULL));
	nseen = 0;
	configs_foreach(x->a, CFG_KIND_CONFIG, true, NULL, count, NULL);
	assert_int_equal(nseen, 1);
	nseen = 0;
	configs_foreach(x->a, CFG_KIND_CONFIG, true, "default", count, NULL);
	assert_int_equal(nseen, 0);
	nseen = 0;
	configs_foreach(x->a, CFG_KIND_PVC, false, "default", count, NULL);
	assert_int_equal(nseen, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(configmap, setup, teardown),
		cmocka_unit_test_setup_teardown(secret, setup, teardown),
		cmocka_unit_test_setup_teardown(claim, setup, teardown),
		cmocka_unit_test_setup_teardown(lookups, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
