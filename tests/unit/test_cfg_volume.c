/* Pod volumes and volumeMounts: every volume type into its typed fields,
 * and each error at its line with its field path. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" \
	"  containers: [{name: c, image: i}]\n  volumes:\n"

static int
parse(const char *y, struct cfg_object **objs, size_t *n,
    struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
	return cfg_manifest_parse(y, strlen(y), objs, n, d);
}

static void
dump(const struct cfg_diags *d)
{
	size_t k;

	for (k = 0; k < d->n; k++)
		print_error("%d:%d %s: %s\n", d->d[k].line, d->d[k].col,
		    d->d[k].path, d->d[k].msg);
}

/* The volumes of a good pod (objs freed by the caller). */
static struct cfg_pod *
pod_of(const char *y, struct cfg_object **o, size_t *n, struct cfg_diags *d)
{
	if (parse(y, o, n, d) != 0) {
		dump(d);
		fail_msg("parse failed:\n%s", y);
	}
	assert_int_equal((*o)[0].kind, CFG_KIND_POD);
	return (*o)[0].u.pod;
}

/* An error at line:col (col 0: any) with path and what in its message. */
static void
expect(const char *y, int line, int col, const char *path, const char *what)
{
	struct cfg_object *o = NULL;
	struct cfg_diags d;
	size_t k, n;
	bool found = false;

	assert_int_equal(parse(y, &o, &n, &d), -EINVAL);
	for (k = 0; k < d.n; k++)
		if (d.d[k].sev == CFG_ERROR && d.d[k].line == line &&
		    (col == 0 || d.d[k].col == col) &&
		    !strcmp(d.d[k].path, path) &&
		    strstr(d.d[k].msg, what) != NULL)
			found = true;
	if (!found) {
		dump(&d);
		fail_msg("no error %d:%d %s: ...%s... in:\n%s", line, col, path,
		    what, y);
	}
}

static void
empty_dir_host_path(void **state)
{
	const char *y = HEAD
	    "  - {name: a, emptyDir: {}}\n"
	    "  - {name: b, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n"
	    "  - {name: c, emptyDir: {sizeLimit: 0}}\n"
	    "  - {name: d, hostPath: {path: /srv/data}}\n"
	    "  - {name: e, hostPath: {path: /dev/i2c-1, type: CharDevice}}\n"
	    "  - {name: f, hostPath: {path: /a..b/c, type: \"\"}}\n"
	    "  - {name: g, emptyDir: null}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_pod *p;
	size_t n;

	p = pod_of(y, &o, &n, &d);
	assert_int_equal(p->nvolumes, 7);
	assert_int_equal(p->volumes[0].kind, CFG_VOL_EMPTYDIR);
	assert_false(p->volumes[0].memory);
	assert_int_equal(p->volumes[0].size_limit, -1);
	assert_true(p->volumes[1].memory);
	assert_int_equal(p->volumes[1].size_limit, 64 << 20);
	assert_int_equal(p->volumes[2].size_limit, -1);
	assert_int_equal(p->volumes[3].kind, CFG_VOL_HOSTPATH);
	assert_string_equal(p->volumes[3].host_path, "/srv/data");
	assert_int_equal(p->volumes[3].host_type, CFG_HOST_ANY);
	assert_int_equal(p->volumes[4].host_type, CFG_HOST_CHAR);
	assert_string_equal(p->volumes[5].host_path, "/a..b/c");
	assert_int_equal(p->volumes[6].kind, CFG_VOL_EMPTYDIR);
	assert_string_equal(p->volumes[6].type, "emptyDir");
	assert_int_equal(d.n, 0);
	cfg_objects_free(o, n);
}

/* kubectl's JSON writes modes in decimal. */
static void
json_modes(void **state)
{
	const char *y = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", "
	    "\"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": "
	    "[{\"name\": \"c\", \"image\": \"i\"}], \"volumes\": [{\"name\": "
	    "\"s\", \"secret\": {\"secretName\": \"s\", \"defaultMode\": 420, "
	    "\"items\": [{\"key\": \"k\", \"path\": \"k\", \"mode\": 256}]}}]}}";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_pod *p;
	size_t n;

	p = pod_of(y, &o, &n, &d);
	assert_int_equal(p->volumes[0].default_mode, 0644);
	assert_int_equal(p->volumes[0].srcs[0].items[0].mode, 0400);
	cfg_objects_free(o, n);
}

static void
config_secret_pvc(void **state)
{
	const char *y = HEAD
	    "  - name: cm\n"
	    "    configMap:\n"
	    "      name: app\n"
	    "      defaultMode: 0600\n"
	    "      optional: true\n"
	    "      items:\n"
	    "      - {key: a.conf, path: etc/a.conf, mode: 0400}\n"
	    "      - {key: b, path: b..c}\n"
	    "  - name: s\n"
	    "    secret: {secretName: tls, defaultMode: 256}\n"
	    "  - name: data\n"
	    "    persistentVolumeClaim: {claimName: data, readOnly: true}\n"
	    "  - name: x\n"
	    "    secret: {secretName: sy, defaultMode: 0x1ff}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_pod *p;
	struct cfg_volume *v;
	size_t n;

	p = pod_of(y, &o, &n, &d);
	v = &p->volumes[0];
	assert_int_equal(v->kind, CFG_VOL_CONFIGMAP);
	assert_int_equal(v->nsrcs, 1);
	assert_int_equal(v->srcs[0].kind, CFG_VOL_CONFIGMAP);
	assert_string_equal(v->srcs[0].name, "app");
	assert_true(v->srcs[0].optional);
	assert_int_equal(v->default_mode, 0600);
	assert_int_equal(v->srcs[0].nitems, 2);
	assert_string_equal(v->srcs[0].items[0].key, "a.conf");
	assert_string_equal(v->srcs[0].items[0].path, "etc/a.conf");
	assert_int_equal(v->srcs[0].items[0].mode, 0400);
	assert_int_equal(v->srcs[0].items[1].mode, -1);
	v = &p->volumes[1];
	assert_int_equal(v->kind, CFG_VOL_SECRET);
	assert_string_equal(v->srcs[0].name, "tls");
	assert_false(v->srcs[0].optional);
	assert_int_equal(v->srcs[0].nitems, 0);
	assert_int_equal(v->default_mode, 0400);
	v = &p->volumes[2];
	assert_int_equal(v->kind, CFG_VOL_PVC);
	assert_string_equal(v->claim, "data");
	assert_true(v->read_only);
	assert_int_equal(v->default_mode, 0644);
	assert_int_equal(p->volumes[3].default_mode, 0777);
	cfg_objects_free(o, n);
}

static void
downward_projected(void **state)
{
	const char *y = HEAD
	    "  - name: info\n"
	    "    downwardAPI:\n"
	    "      defaultMode: 420\n"
	    "      items:\n"
	    "      - {path: name, fieldRef: {fieldPath: metadata.name}}\n"
	    "      - path: labels\n"
	    "        fieldRef: {apiVersion: v1, fieldPath: metadata.labels}\n"
	    "      - path: app\n"
	    "        fieldRef: {fieldPath: \"metadata.labels['app.kubernetes"
	    ".io/name']\"}\n"
	    "      - path: mem\n"
	    "        mode: 0444\n"
	    "        resourceFieldRef: {containerName: c, resource: "
	    "limits.memory, divisor: 1Mi}\n"
	    "  - name: all\n"
	    "    projected:\n"
	    "      defaultMode: 0440\n"
	    "      sources:\n"
	    "      - configMap: {name: app, items: [{key: k, path: k}]}\n"
	    "      - secret: {name: tls, optional: true}\n"
	    "      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: "
	    "metadata.namespace}}]}\n"
	    "  - name: nfs\n"
	    "    nfs: {server: s, path: /x}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_pod *p;
	struct cfg_volume *v;
	size_t n;

	p = pod_of(y, &o, &n, &d);
	v = &p->volumes[0];
	assert_int_equal(v->kind, CFG_VOL_DOWNWARD);
	assert_int_equal(v->nsrcs, 1);
	assert_int_equal(v->srcs[0].kind, CFG_VOL_DOWNWARD);
	assert_null(v->srcs[0].name);
	assert_int_equal(v->srcs[0].nfields, 4);
	assert_string_equal(v->srcs[0].fields[0].field_path, "metadata.name");
	assert_string_equal(v->srcs[0].fields[2].field_path,
	    "metadata.labels['app.kubernetes.io/name']");
	assert_null(v->srcs[0].fields[3].field_path);
	assert_string_equal(v->srcs[0].fields[3].resource, "limits.memory");
	assert_string_equal(v->srcs[0].fields[3].container_name, "c");
	assert_string_equal(v->srcs[0].fields[3].divisor, "1Mi");
	assert_int_equal(v->srcs[0].fields[3].mode, 0444);
	assert_int_equal(v->srcs[0].fields[0].mode, -1);
	assert_int_equal(v->default_mode, 0644);
	v = &p->volumes[1];
	assert_int_equal(v->kind, CFG_VOL_PROJECTED);
	assert_int_equal(v->default_mode, 0440);
	assert_int_equal(v->nsrcs, 3);
	assert_int_equal(v->srcs[0].kind, CFG_VOL_CONFIGMAP);
	assert_string_equal(v->srcs[0].items[0].path, "k");
	assert_int_equal(v->srcs[1].kind, CFG_VOL_SECRET);
	assert_string_equal(v->srcs[1].name, "tls");
	assert_true(v->srcs[1].optional);
	assert_int_equal(v->srcs[2].kind, CFG_VOL_DOWNWARD);
	assert_string_equal(v->srcs[2].fields[0].field_path,
	    "metadata.namespace");
	v = &p->volumes[2];
	assert_int_equal(v->kind, CFG_VOL_OTHER);
	assert_string_equal(v->type, "nfs");
	assert_non_null(v->node);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].sev, CFG_WARNING);
	assert_string_equal(d.d[0].path, "spec.volumes[2].nfs");
	assert_non_null(strstr(d.d[0].msg, "not supported"));
	cfg_objects_free(o, n);
}

#define V "spec.volumes[0]"

static void
volume_errors(void **state)
{
	/* emptyDir */
	expect(HEAD "  - {name: v, emptyDir: {medium: Disk}}\n", 7, 0,
	    V ".emptyDir.medium", "Unsupported value: \"Disk\"");
	expect(HEAD "  - {name: v, emptyDir: {medium: HugePages-2Mi}}\n", 7,
	    0, V ".emptyDir.medium", "not supported");
	expect(HEAD "  - {name: v, emptyDir: {sizeLimit: -1Gi}}\n", 7, 0,
	    V ".emptyDir.sizeLimit", "invalid quantity");
	/* hostPath */
	expect(HEAD "  - {name: v, hostPath: {path: srv}}\n", 7, 0,
	    V ".hostPath.path", "must be an absolute path");
	expect(HEAD "  - {name: v, hostPath: {path: /srv/../etc}}\n", 7, 0,
	    V ".hostPath.path", "must not contain '..'");
	expect(HEAD "  - {name: v, hostPath: {path: /srv/..}}\n", 7, 0,
	    V ".hostPath.path", "must not contain '..'");
	expect(HEAD "  - {name: v, hostPath: {type: File}}\n", 7, 0,
	    V ".hostPath.path", "required field missing");
	expect(HEAD "  - {name: v, hostPath: {path: /x, type: Pipe}}\n", 7, 0,
	    V ".hostPath.type", "Unsupported value: \"Pipe\"");
	/* configMap, secret */
	expect(HEAD "  - {name: v, configMap: {}}\n", 7, 0,
	    V ".configMap.name", "required field missing");
	expect(HEAD "  - {name: v, secret: {name: s}}\n", 7, 0,
	    V ".secret.secretName", "required field missing");
	expect(HEAD "  - {name: v, configMap: {name: c, defaultMode: 01000}}\n",
	    7, 0, V ".configMap.defaultMode", "between 0 and 0777");
	expect(HEAD "  - {name: v, configMap: {name: c, defaultMode: \"0644\"}}"
	    "\n", 7, 0, V ".configMap.defaultMode", "expected an integer");
	expect(HEAD "  - {name: v, secret: {secretName: s, defaultMode: -1}}\n",
	    7, 0, V ".secret.defaultMode", "between 0 and 0777");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: ../x}]}}\n", 7, 0, V ".configMap.items[0].path",
	    "must not contain '..'");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: a/../../x}]}}\n", 7, 0, V ".configMap.items[0].path",
	    "must not contain '..'");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: /etc/x}]}}\n", 7, 0, V ".configMap.items[0].path",
	    "must be a relative path");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: ..data}]}}\n", 7, 0, V ".configMap.items[0].path",
	    "must not start with '..'");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: \"\"}]}}\n", 7, 0, V ".configMap.items[0].path",
	    "must not be empty");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k}]}}\n",
	    7, 0, V ".configMap.items[0].path", "required field missing");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{path: k}]}}\n",
	    7, 0, V ".configMap.items[0].key", "required field missing");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: \"a b\", "
	    "path: k}]}}\n", 7, 0, V ".configMap.items[0].key",
	    "valid config key");
	expect(HEAD "  - {name: v, configMap: {name: c, items: [{key: k, "
	    "path: k, mode: 0800}]}}\n", 7, 0,
	    V ".configMap.items[0].mode", "between 0 and 0777");
	expect(HEAD "  - name: v\n    secret:\n      secretName: s\n"
	    "      items:\n      - {key: a, path: x}\n"
	    "      - {key: b, path: x}\n", 12, 0, V ".secret",
	    "conflicting duplicate paths");
	expect(HEAD "  - {name: v, configMap: {name: Bad_Name}}\n", 7, 0,
	    V ".configMap.name", "RFC 1123");
	/* downwardAPI */
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, fieldRef: "
	    "{fieldPath: spec.nodeName}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].fieldRef.fieldPath",
	    "Unsupported value: \"spec.nodeName\"");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, fieldRef: "
	    "{fieldPath: \"metadata.labels['a b']\"}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].fieldRef.fieldPath", "invalid key");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, fieldRef: "
	    "{fieldPath: \"metadata.labels['a'\"}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].fieldRef.fieldPath", "Unsupported");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x}]}}\n", 7, 0,
	    V ".downwardAPI.items[0]", "must specify one of");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, fieldRef: "
	    "{fieldPath: metadata.name}, resourceFieldRef: {containerName: "
	    "c, resource: limits.cpu}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].resourceFieldRef", "simultaneously");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, "
	    "resourceFieldRef: {resource: limits.cpu}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].resourceFieldRef.containerName",
	    "required field missing");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: x, "
	    "resourceFieldRef: {containerName: c, resource: limits.gpu}}]}}\n",
	    7, 0, V ".downwardAPI.items[0].resourceFieldRef.resource",
	    "Unsupported value");
	expect(HEAD "  - {name: v, downwardAPI: {items: [{path: ../x, "
	    "fieldRef: {fieldPath: metadata.name}}]}}\n", 7, 0,
	    V ".downwardAPI.items[0].path", "must not contain '..'");
	/* projected */
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - serviceAccountToken: {path: token}\n", 10, 0,
	    V ".projected.sources[0].serviceAccountToken", "not supported");
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - clusterTrustBundle: {path: ca}\n", 10, 0,
	    V ".projected.sources[0].clusterTrustBundle", "not supported");
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - {configMap: {name: a}, secret: {name: b}}\n", 10, 0,
	    V ".projected.sources[0].secret", "more than 1 volume type");
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - {}\n", 10, 0, V ".projected.sources[0]",
	    "must specify one of");
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - secret: {secretName: b}\n", 10, 0,
	    V ".projected.sources[0].secret.name", "required field missing");
	expect(HEAD "  - name: v\n    projected:\n      sources:\n"
	    "      - configMap: {name: a, items: [{key: k, path: x}]}\n"
	    "      - downwardAPI:\n"
	    "          items: [{path: x, fieldRef: {fieldPath: metadata.uid}}]"
	    "\n", 12, 0, V ".projected", "conflicting duplicate paths");
	/* persistentVolumeClaim */
	expect(HEAD "  - {name: v, persistentVolumeClaim: {readOnly: true}}\n",
	    7, 0, V ".persistentVolumeClaim.claimName",
	    "required field missing");
	expect(HEAD "  - {name: v, persistentVolumeClaim: {claimName: x, "
	    "readOnly: 1}}\n", 7, 0, V ".persistentVolumeClaim.readOnly",
	    "expected a boolean");
	/* the volume itself */
	expect(HEAD "  - {name: V_1, emptyDir: {}}\n", 7, 0, V ".name",
	    "RFC 1123");
}

#define MOUNT "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" \
	"  volumes: [{name: v, emptyDir: {}}]\n  containers:\n" \
	"  - name: c\n    image: i\n    volumeMounts:\n"
#define M "spec.containers[0].volumeMounts"

static void
mounts(void **state)
{
	const char *y = MOUNT
	    "    - {name: v, mountPath: /a, subPath: a..b, readOnly: true}\n"
	    "    - {name: v, mountPath: /b, subPath: x/y, mountPropagation: "
	    "HostToContainer}\n"
	    "    - {name: v, mountPath: /c, subPath: \"\", mountPropagation: "
	    "Bidirectional}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_container *c;
	size_t n;

	c = &pod_of(y, &o, &n, &d)->containers[0];
	assert_int_equal(c->nmounts, 3);
	assert_string_equal(c->mounts[0].sub_path, "a..b");
	assert_true(c->mounts[0].read_only);
	assert_string_equal(c->mounts[1].propagation, "HostToContainer");
	assert_string_equal(c->mounts[2].propagation, "Bidirectional");
	cfg_objects_free(o, n);

	expect(MOUNT "    - {name: v, mountPath: /a, subPath: ../etc}\n", 10,
	    0, M "[0].subPath", "must not contain '..'");
	expect(MOUNT "    - {name: v, mountPath: /a, subPath: a/../..}\n", 10,
	    0, M "[0].subPath", "must not contain '..'");
	expect(MOUNT "    - {name: v, mountPath: /a, subPath: /etc}\n", 10,
	    0, M "[0].subPath", "must be a relative path");
	expect(MOUNT "    - {name: w, mountPath: /a}\n", 10, 0, M "[0].name",
	    "no volume of that name");
	expect(MOUNT "    - {name: v, mountPath: /a}\n"
	    "    - {name: v, mountPath: /a}\n", 11, 0, M "[1].mountPath",
	    "Duplicate value");
	expect(MOUNT "    - {name: v, mountPath: /a, mountPropagation: Up}\n",
	    10, 0, M "[0].mountPropagation", "supported values");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_dir_host_path),
		cmocka_unit_test(config_secret_pvc),
		cmocka_unit_test(json_modes),
		cmocka_unit_test(downward_projected),
		cmocka_unit_test(volume_errors),
		cmocka_unit_test(mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
