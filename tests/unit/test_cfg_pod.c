/* Unit tests for the Pod decoder and cfg_manifest_parse: decoded values
 * and defaults, and the exact line:col and path of each problem. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"

static struct cfg_diags d;

static int
parse(const char *s, struct cfg_object **o, size_t *n)
{
	cfg_diags_init(&d);
	return cfg_manifest_parse(s, strlen(s), o, n, &d);
}

static const struct cfg_diag *
find(const char *path)
{
	size_t i;

	for (i = 0; i < d.n; i++)
		if (strcmp(d.d[i].path, path) == 0)
			return &d.d[i];
	return NULL;
}

/* The file fails, and has a diag at path with line:col and msg. */
static void
expect(const char *s, const char *path, int line, int col, const char *msg)
{
	const struct cfg_diag *e;
	struct cfg_object *o;
	char buf[600];
	size_t n, i;

	assert_int_equal(parse(s, &o, &n), -EINVAL);
	assert_null(o);
	assert_int_equal(n, 0);
	e = find(path);
	if (e == NULL || e->sev != CFG_ERROR || e->line != line ||
	    e->col != col || strstr(e->msg, msg) == NULL) {
		for (i = 0; i < d.n; i++) {
			cfg_diag_format(&d.d[i], "f", buf, sizeof(buf));
			print_message("  %s\n", buf);
		}
		fail_msg("want f:%d:%d: %s: %s", line, col, path, msg);
	}
}

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"

static const char full[] =
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: web\n"
    "  namespace: prod\n"
    "  labels: {app: web, tier: \"1\"}\n"
    "  annotations: {note: \"any text at all\"}\n"
    "  uid: 1234\n"
    "spec:\n"
    "  restartPolicy: OnFailure\n"
    "  terminationGracePeriodSeconds: 5\n"
    "  activeDeadlineSeconds: 60\n"
    "  hostname: h\n"
    "  hostNetwork: true\n"
    "  shareProcessNamespace: yes\n"
    "  serviceAccountName: sa\n"
    "  nodeSelector: {disk: ssd}\n"
    "  imagePullSecrets: [{name: reg}]\n"
    "  securityContext: {runAsUser: 1000, fsGroup: 2000, runAsNonRoot: true}\n"
    "  volumes:\n"
    "  - name: data\n"
    "    hostPath: {path: /srv}\n"
    "  - name: tmp\n"
    "    emptyDir: {}\n"
    "  initContainers:\n"
    "  - name: init\n"
    "    image: busybox:1.36\n"
    "    command: [sh, -c, \"true\"]\n"
    "  - name: sidecar\n"
    "    image: reg:5000/log@sha256:abcd\n"
    "    restartPolicy: Always\n"
    "    readinessProbe: {tcpSocket: {port: 9000}}\n"
    "  containers:\n"
    "  - name: app\n"
    "    image: nginx\n"
    "    args: [\"-g\", \"daemon off;\"]\n"
    "    workingDir: /w\n"
    "    env:\n"
    "    - {name: A, value: \"1\"}\n"
    "    - name: POD\n"
    "      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"
    "    - name: S\n"
    "      valueFrom:\n"
    "        secretKeyRef: {name: s, key: k, optional: true}\n"
    "    envFrom:\n"
    "    - {prefix: CM_, configMapRef: {name: cm}}\n"
    "    ports:\n"
    "    - {containerPort: 80, name: http, hostPort: 8080}\n"
    "    - {containerPort: 53, protocol: UDP}\n"
    "    resources:\n"
    "      requests: {cpu: 0.25, memory: 64Mi}\n"
    "      limits: {cpu: \"1\", memory: 128Mi}\n"
    "    securityContext:\n"
    "      readOnlyRootFilesystem: true\n"
    "      capabilities: {add: [NET_ADMIN, CAP_SYS_TIME], drop: [ALL]}\n"
    "    livenessProbe:\n"
    "      httpGet: {port: http, httpHeaders: [{name: X, value: \"y\"}]}\n"
    "      periodSeconds: 3\n"
    "    startupProbe:\n"
    "      exec: {command: [cat, /ok]}\n"
    "      failureThreshold: 30\n"
    "    lifecycle:\n"
    "      preStop: {exec: {command: [sleep, \"1\"]}}\n"
    "    volumeMounts:\n"
    "    - {name: data, mountPath: /data, readOnly: true}\n"
    "  - name: db\n"
    "    image: postgres:latest\n"
    "    imagePullPolicy: Never\n"
    "status:\n"
    "  phase: Running\n";

static void
test_full(void **state)
{
	const struct cfg_container *c;
	struct cfg_object *o;
	struct cfg_pod *p;
	size_t n;

	assert_int_equal(parse(full, &o, &n), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, CFG_KIND_POD);
	assert_string_equal(o[0].name, "web");
	assert_string_equal(o[0].namespace, "prod");
	assert_int_equal(o[0].line, 1);
	p = o[0].u.pod;
	assert_string_equal(cfg_kvs_get(&p->meta.labels, "tier"), "1");
	assert_string_equal(cfg_kvs_get(&p->meta.annotations, "note"),
	    "any text at all");
	assert_int_equal(p->restart_policy, CFG_RESTART_ON_FAILURE);
	assert_int_equal(p->grace_period, 5);
	assert_int_equal(p->active_deadline, 60);
	assert_string_equal(p->hostname, "h");
	assert_true(p->host_network);
	assert_false(p->host_pid);
	assert_true(p->share_process_namespace);
	assert_string_equal(p->service_account, "sa");
	assert_string_equal(cfg_kvs_get(&p->node_selector, "disk"), "ssd");
	assert_string_equal(p->image_pull_secrets[0], "reg");
	assert_null(p->image_pull_secrets[1]);
	assert_int_equal(p->sec.run_as_user, 1000);
	assert_int_equal(p->sec.run_as_group, -1);
	assert_int_equal(p->sec.run_as_non_root, 1);
	assert_int_equal(p->fs_group, 2000);
	assert_int_equal(p->nvolumes, 2);
	assert_string_equal(p->volumes[0].type, "hostPath");
	assert_string_equal(cfg_node_get(p->volumes[0].node, "path")->value,
	    "/srv");
	assert_string_equal(p->volumes[1].type, "emptyDir");
	assert_int_equal(p->ninit_containers, 2);
	assert_int_equal(p->init_containers[0].pull_policy,
	    CFG_PULL_IF_NOT_PRESENT);
	assert_string_equal(p->init_containers[0].command[2], "true");
	c = &p->init_containers[1];
	assert_string_equal(c->restart_policy, "Always");
	assert_int_equal(c->pull_policy, CFG_PULL_IF_NOT_PRESENT);
	assert_true(c->readiness.set);
	assert_int_equal(c->readiness.h.type, CFG_H_TCP);
	assert_int_equal(c->readiness.h.port, 9000);
	assert_int_equal(c->readiness.period, 10);
	assert_int_equal(c->readiness.timeout, 1);
	assert_int_equal(c->readiness.success_threshold, 1);
	assert_int_equal(c->readiness.failure_threshold, 3);

	assert_int_equal(p->ncontainers, 2);
	c = &p->containers[0];
	assert_string_equal(c->name, "app");
	assert_int_equal(c->line, 34);
	assert_int_equal(c->pull_policy, CFG_PULL_ALWAYS);
	assert_null(c->command);
	assert_string_equal(c->args[1], "daemon off;");
	assert_string_equal(c->working_dir, "/w");
	assert_int_equal(c->nenv, 3);
	assert_string_equal(c->env[0].value, "1");
	assert_int_equal(c->env[1].src, CFG_ENV_FIELD);
	assert_string_equal(c->env[1].ref_key, "metadata.name");
	assert_int_equal(c->env[2].src, CFG_ENV_SECRET);
	assert_string_equal(c->env[2].ref_name, "s");
	assert_string_equal(c->env[2].ref_key, "k");
	assert_true(c->env[2].optional);
	assert_int_equal(c->nenv_from, 1);
	assert_string_equal(c->env_from[0].prefix, "CM_");
	assert_false(c->env_from[0].is_secret);
	assert_string_equal(c->env_from[0].name, "cm");
	assert_int_equal(c->nports, 2);
	assert_int_equal(c->ports[0].container_port, 80);
	assert_int_equal(c->ports[0].host_port, 8080);
	assert_string_equal(c->ports[0].name, "http");
	assert_string_equal(c->ports[0].protocol, "TCP");
	assert_string_equal(c->ports[1].protocol, "UDP");
	assert_int_equal(c->res.cpu_request, 250);
	assert_int_equal(c->res.cpu_limit, 1000);
	assert_int_equal(c->res.mem_request, 64 << 20);
	assert_int_equal(c->res.mem_limit, 128 << 20);
	assert_int_equal(c->sec.read_only_rootfs, 1);
	assert_int_equal(c->sec.privileged, -1);
	assert_string_equal(c->sec.cap_add[0], "NET_ADMIN");
	assert_string_equal(c->sec.cap_add[1], "SYS_TIME");
	assert_string_equal(c->sec.cap_drop[0], "ALL");
	assert_int_equal(c->liveness.h.type, CFG_H_HTTP);
	assert_string_equal(c->liveness.h.port_name, "http");
	assert_string_equal(c->liveness.h.path, "/");
	assert_string_equal(c->liveness.h.scheme, "HTTP");
	assert_string_equal(cfg_kvs_get(&c->liveness.h.http_headers, "X"), "y");
	assert_int_equal(c->liveness.period, 3);
	assert_int_equal(c->startup.h.type, CFG_H_EXEC);
	assert_string_equal(c->startup.h.exec[1], "/ok");
	assert_int_equal(c->startup.failure_threshold, 30);
	assert_int_equal(c->pre_stop.type, CFG_H_EXEC);
	assert_int_equal(c->post_start.type, CFG_H_NONE);
	assert_int_equal(c->nmounts, 1);
	assert_string_equal(c->mounts[0].mount_path, "/data");
	assert_true(c->mounts[0].read_only);
	assert_string_equal(c->termination_message_path,
	    "/dev/termination-log");
	assert_string_equal(c->termination_message_policy, "File");
	assert_int_equal(p->containers[1].pull_policy, CFG_PULL_NEVER);
	assert_int_equal(strlen(p->spec_hash), 64);
	cfg_objects_free(o, n);
}

static void
test_defaults(void **state)
{
	struct cfg_object *o;
	struct cfg_pod *p;
	size_t n;

	assert_int_equal(parse(HEAD "  containers:\n  - name: c\n"
	    "    image: alpine:latest\n"
	    "    resources: {limits: {cpu: 100m}}\n", &o, &n), 0);
	p = o[0].u.pod;
	assert_string_equal(p->meta.namespace, "default");
	assert_string_equal(o[0].namespace, "default");
	assert_int_equal(p->restart_policy, CFG_RESTART_ALWAYS);
	assert_int_equal(p->grace_period, 30);
	assert_int_equal(p->active_deadline, -1);
	assert_int_equal(p->fs_group, -1);
	assert_int_equal(p->containers[0].pull_policy, CFG_PULL_ALWAYS);
	/* requests default to limits */
	assert_int_equal(p->containers[0].res.cpu_request, 100);
	assert_int_equal(p->containers[0].res.mem_request, -1);
	assert_false(p->containers[0].liveness.set);
	cfg_objects_free(o, n);
}

static void
test_type_errors(void **state)
{
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "  - name: b\n    image: z\n    ports:\n"
	    "    - containerPort: abc\n",
	    "spec.containers[1].ports[0].containerPort", 12, 22,
	    "expected an integer, got string \"abc\"");
	expect(HEAD "  containers: {name: a}\n", "spec.containers", 6, 15,
	    "expected a list, got a map");
	expect(HEAD "  containers:\n  - a\n", "spec.containers[0]", 7, 5,
	    "expected a map, got string \"a\"");
	expect(HEAD "  containers: [null]\n", "spec.containers[0]", 6, 16,
	    "expected a map, got null");
	expect(HEAD "  containers:\n  - name: a\n    image: 5\n",
	    "spec.containers[0].image", 8, 12, "expected a string, got "
	    "integer 5");
	expect(HEAD "  hostNetwork: \"true\"\n  containers: []\n",
	    "spec.hostNetwork", 6, 16, "expected a boolean, got string");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    ports: [{containerPort: \"80\"}]\n",
	    "spec.containers[0].ports[0].containerPort", 9, 29,
	    "expected an integer, got string \"80\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    env: [{name: A, value: 8080}]\n",
	    "spec.containers[0].env[0].value", 9, 28,
	    "expected a string, got integer 8080");
	expect("apiVersion: v1\nkind: Pod\nmetadata: [a]\nspec: {}\n",
	    "metadata", 3, 11, "expected a map, got a list");
}

static void
test_required(void **state)
{
	expect("apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {}\n"
	    "spec:\n  containers: [{name: a, image: x}]\n", "metadata.name",
	    4, 3, "required field missing");
	expect(HEAD "  restartPolicy: Never\n", "spec.containers", 6, 3,
	    "required field missing");
	expect(HEAD "  containers: []\n", "spec.containers", 6, 15,
	    "must have at least one container");
	expect(HEAD "  containers:\n  - name: a\n", "spec.containers[0].image",
	    7, 5, "required field missing");
	expect(HEAD "  containers:\n  - image: a\n", "spec.containers[0].name",
	    7, 5, "required field missing");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    ports:\n"
	    "    - name: http\n", "spec.containers[0].ports[0].containerPort",
	    10, 7, "required field missing");
	expect("kind: Pod\nmetadata: {name: a}\n", "apiVersion", 1, 1,
	    "required field missing");
	expect("apiVersion: v1\nmetadata: {name: a}\n", "kind", 1, 1,
	    "required field missing");
	expect("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", "spec",
	    1, 1, "required field missing");
}

static void
test_invalid_values(void **state)
{
	expect("apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\n"
	    "spec: {containers: [{name: a, image: x}]}\n", "metadata.name",
	    4, 9, "RFC 1123 subdomain");
	expect("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
	    "  namespace: a.b\nspec: {containers: [{name: a, image: x}]}\n",
	    "metadata.namespace", 5, 14, "RFC 1123 label");
	expect("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
	    "  labels: {\"bad key\": x}\n"
	    "spec: {containers: [{name: a, image: x}]}\n",
	    "metadata.labels.bad key", 5, 23, "invalid key \"bad key\"");
	expect("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
	    "  labels: {k: \"-x\"}\n"
	    "spec: {containers: [{name: a, image: x}]}\n",
	    "metadata.labels.k", 5, 15, "invalid value \"-x\"");
	expect(HEAD "  containers:\n  - name: My_App\n    image: x\n",
	    "spec.containers[0].name", 7, 11, "RFC 1123 label");
	expect(HEAD "  initContainers:\n  - {name: a, image: x}\n"
	    "  containers:\n  - {name: b, image: x}\n  - {name: a, image: z}\n",
	    "spec.containers[1].name", 10, 12, "Duplicate value: \"a\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    ports: [{containerPort: 1, name: h}, {containerPort: 2, "
	    "name: h}]\n", "spec.containers[0].ports[1].name", 9, 67,
	    "Duplicate value: \"h\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    volumeMounts: [{name: v, mountPath: /a}, {name: v, "
	    "mountPath: /a}]\n  volumes: [{name: v, emptyDir: {}}]\n",
	    "spec.containers[0].volumeMounts[1].mountPath", 9, 67,
	    "Duplicate value: \"/a\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    ports: [{containerPort: 70000}]\n",
	    "spec.containers[0].ports[0].containerPort", 9, 29,
	    "must be between 1 and 65535, inclusive");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    ports: [{containerPort: 80, name: \"8080\"}]\n",
	    "spec.containers[0].ports[0].name", 9, 39,
	    "must contain at least one letter");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    ports: [{containerPort: 80, protocol: ICMP}]\n",
	    "spec.containers[0].ports[0].protocol", 9, 43,
	    "unsupported value \"ICMP\"");
	expect(HEAD "  restartPolicy: Sometimes\n  containers: [{name: a, "
	    "image: x}]\n", "spec.restartPolicy", 6, 18, "unsupported value");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    env: [{name: 1A}]\n", "spec.containers[0].env[0].name", 9,
	    18, "environment variable name");
	expect(HEAD "  terminationGracePeriodSeconds: -1\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.terminationGracePeriodSeconds", 6, 34,
	    "must be greater than or equal to 0");
	expect(HEAD "  securityContext: {runAsUser: -5}\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.securityContext.runAsUser", 6, 32,
	    "must be greater than or equal to 0");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    securityContext: {capabilities: {add: [net_admin]}}\n",
	    "spec.containers[0].securityContext.capabilities.add[0]", 9, 44,
	    "invalid capability");
	expect(HEAD "  hostname: Host\n  containers: [{name: a, image: x}]\n",
	    "spec.hostname", 6, 13, "RFC 1123 label");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    restartPolicy: Always\n", "spec.containers[0].restartPolicy",
	    9, 20, "may not be set for non-init containers");
}

/* spec.hostAliases: addresses (v4 or v6) and DNS names, as the API
 * server checks them, each error at its node. */
static void
test_host_aliases(void **state)
{
	const struct cfg_pod *p;
	struct cfg_object *o;
	size_t n;

	assert_int_equal(parse(HEAD "  hostAliases:\n"
	    "  - ip: 10.1.2.3\n    hostnames: [foo.remote, bar.remote]\n"
	    "  - {ip: \"2001:db8::1\", hostnames: [six]}\n"
	    "  - {ip: 127.0.0.1}\n"
	    "  containers: [{name: a, image: x}]\n", &o, &n), 0);
	assert_int_equal(d.nerrors, 0);
	p = o[0].u.pod;
	assert_int_equal(p->nhost_aliases, 3);
	assert_string_equal(p->host_aliases[0].ip, "10.1.2.3");
	assert_string_equal(p->host_aliases[0].hostnames[0], "foo.remote");
	assert_string_equal(p->host_aliases[0].hostnames[1], "bar.remote");
	assert_null(p->host_aliases[0].hostnames[2]);
	assert_string_equal(p->host_aliases[1].ip, "2001:db8::1");
	assert_string_equal(p->host_aliases[1].hostnames[0], "six");
	assert_null(p->host_aliases[2].hostnames);
	cfg_objects_free(o, n);

	expect(HEAD "  hostAliases:\n  - ip: 10.1.2\n    hostnames: [a]\n"
	    "  containers: [{name: a, image: x}]\n", "spec.hostAliases[0].ip",
	    7, 9, "Invalid value: \"10.1.2\": must be a valid IP address");
	expect(HEAD "  hostAliases:\n  - {ip: \"1.2.3.4 evil\"}\n"
	    "  containers: [{name: a, image: x}]\n", "spec.hostAliases[0].ip",
	    7, 10, "must be a valid IP address");
	expect(HEAD "  hostAliases:\n  - ip: 1.2.3.4\n"
	    "    hostnames: [ok, \"Bad_Name\"]\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.hostAliases[0].hostnames[1]", 8, 21,
	    "invalid hostname \"Bad_Name\"");
	expect(HEAD "  hostAliases:\n  - hostnames: [a]\n"
	    "  containers: [{name: a, image: x}]\n", "spec.hostAliases[0].ip",
	    7, 5, "required field missing");
	expect(HEAD "  hostAliases: {ip: 1.2.3.4}\n"
	    "  containers: [{name: a, image: x}]\n", "spec.hostAliases",
	    6, 16, "");
}

static void
test_resources(void **state)
{
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    resources:\n      limits: {memory: 12XB}\n",
	    "spec.containers[0].resources.limits.memory", 10, 24,
	    "invalid quantity \"12XB\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    resources:\n      requests: {cpu: 2}\n"
	    "      limits: {cpu: 1}\n",
	    "spec.containers[0].resources.requests.cpu", 10, 7,
	    "must be less than or equal to cpu limit of 1000m");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    resources:\n      requests: {memory: 2Gi}\n"
	    "      limits: {memory: 1Gi}\n",
	    "spec.containers[0].resources.requests.memory", 10, 7,
	    "must be less than or equal to memory limit");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    resources:\n      limits: {cpu: 1e100}\n",
	    "spec.containers[0].resources.limits.cpu", 10, 21, "out of range");
}

static void
test_probes_volumes(void **state)
{
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    livenessProbe: {periodSeconds: 5}\n",
	    "spec.containers[0].livenessProbe", 9, 20,
	    "must specify a handler type");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    livenessProbe:\n      exec: {command: [x]}\n"
	    "      tcpSocket: {port: 1}\n",
	    "spec.containers[0].livenessProbe.tcpSocket", 11, 18,
	    "may not specify more than 1 handler type");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    livenessProbe:\n      httpGet: {port: 80}\n"
	    "      successThreshold: 2\n",
	    "spec.containers[0].livenessProbe.successThreshold", 11, 25,
	    "must be 1");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    readinessProbe: {tcpSocket: {port: -1}}\n",
	    "spec.containers[0].readinessProbe.tcpSocket.port", 9, 40,
	    "must be between 1 and 65535");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    readinessProbe: {tcpSocket: {port: \"80\"}}\n",
	    "spec.containers[0].readinessProbe.tcpSocket.port", 9, 40,
	    "invalid port name \"80\"");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    readinessProbe: {httpGet: {path: /x}}\n",
	    "spec.containers[0].readinessProbe.httpGet.port", 9, 31,
	    "required field missing");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    volumeMounts: [{name: nope, mountPath: /x}]\n",
	    "spec.containers[0].volumeMounts[0].name", 9, 27,
	    "Not found: \"nope\"");
	expect(HEAD "  volumes:\n  - {name: v, emptyDir: {}}\n"
	    "  - {name: v, emptyDir: {}}\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.volumes[1].name", 8, 12, "Duplicate value: \"v\"");
	expect(HEAD "  volumes:\n  - {name: v, emptyDir: {}, hostPath: "
	    "{path: /}}\n  containers: [{name: a, image: x}]\n",
	    "spec.volumes[0].hostPath", 7, 39, "more than 1 volume type");
	expect(HEAD "  volumes:\n  - {name: v}\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.volumes[0]", 7, 5, "must specify a volume type");
	expect(HEAD "  initContainers:\n  - name: i\n    image: x\n"
	    "    livenessProbe: {exec: {command: [x]}}\n"
	    "  containers: [{name: a, image: x}]\n",
	    "spec.initContainers[0]", 7, 5, "probes may not be set");
}

static void
test_env(void **state)
{
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
	    "    - name: A\n      value: v\n"
	    "      valueFrom: {fieldRef: {fieldPath: x}}\n",
	    "spec.containers[0].env[0].valueFrom", 12, 18,
	    "may not be specified when `value` is not empty");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
	    "    - name: A\n      valueFrom: {fieldRef: {fieldPath: x}, "
	    "secretKeyRef: {name: s, key: k}}\n",
	    "spec.containers[0].env[0].valueFrom.secretKeyRef", 11, 59,
	    "may not have more than one field specified at a time");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
	    "    - name: A\n      valueFrom: {configMapKeyRef: {name: c}}\n",
	    "spec.containers[0].env[0].valueFrom.configMapKeyRef.key", 11, 36,
	    "required field missing");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
	    "    - name: A\n      valueFrom: {}\n",
	    "spec.containers[0].env[0].valueFrom", 11, 18,
	    "must specify one of");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    envFrom:\n"
	    "    - {prefix: P}\n",
	    "spec.containers[0].envFrom[0]", 10, 7, "must specify one of");
	expect(HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
	    "    - value: v\n", "spec.containers[0].env[0].name", 10, 7,
	    "required field missing");
}

static void
test_namespace_empty(void **state)
{
	struct cfg_object *o;
	size_t n;

	assert_int_equal(parse("apiVersion: v1\nkind: Pod\nmetadata:\n"
	    "  name: p\n  namespace: \"\"\nspec: {containers: [{name: a, "
	    "image: \"x:1\", resources: {limits: {memory: 1e3}}, "
	    "env: [{name: E}]}]}\n", &o, &n), 0);
	assert_string_equal(o[0].namespace, "default");
	assert_int_equal(o[0].u.pod->containers[0].res.mem_limit, 1000);
	assert_string_equal(o[0].u.pod->containers[0].env[0].value, "");
	assert_int_equal(o[0].u.pod->containers[0].pull_policy,
	    CFG_PULL_IF_NOT_PRESENT);
	cfg_objects_free(o, n);
}

static void
test_warnings(void **state)
{
	struct cfg_object *o;
	const struct cfg_diag *w;
	size_t n;

	assert_int_equal(parse(HEAD "  dnsPolicy: ClusterFirst\n"
	    "  containers:\n  - name: a\n    image: x\n    colour: red\n"
	    "---\napiVersion: apps/v1\nkind: Deployment\n"
	    "metadata: {name: d, namespace: ns}\nspec: {replicas: 1}\n",
	    &o, &n), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 3);
	w = find("spec.dnsPolicy");
	assert_non_null(w);
	assert_int_equal(w->sev, CFG_WARNING);
	assert_int_equal(w->line, 6);
	assert_int_equal(w->col, 3);
	w = find("spec.containers[0].colour");
	assert_non_null(w);
	assert_int_equal(w->line, 10);
	assert_int_equal(w->col, 5);
	assert_string_equal(w->msg, "unknown field (ignored)");
	w = find("kind");
	assert_non_null(w);
	assert_int_equal(w->sev, CFG_WARNING);
	assert_int_equal(w->line, 13);
	assert_string_equal(w->msg, "kind Deployment is not supported "
	    "(ignored)");
	assert_int_equal(n, 2);
	assert_int_equal(o[1].kind, CFG_KIND_UNKNOWN);
	assert_int_equal(o[1].doc, 1);
	assert_string_equal(o[1].kind_name, "Deployment");
	assert_string_equal(o[1].api_version, "apps/v1");
	assert_string_equal(o[1].name, "d");
	assert_string_equal(o[1].namespace, "ns");
	assert_non_null(cfg_node_get(o[1].tree, "spec"));
	cfg_objects_free(o, n);
}

static void
test_documents(void **state)
{
	struct cfg_object *o;
	size_t n;
	char buf[600];

	/* one bad document rejects the file */
	expect("---\n" HEAD "  containers: [{name: a, image: x}]\n---\n"
	    "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\n"
	    "spec: {containers: [{name: a}]}\n",
	    "spec.containers[0].image", 12, 21, "required field missing");
	expect("- a\n- b\n", "", 1, 1, "a document must be a map");
	expect(HEAD "  containers: [{name: a, image: x}]\n---\n"
	    HEAD "  containers: [{name: b, image: x}]\n", "metadata.name", 8,
	    1, "duplicate Pod default/p (first at line 1)");
	expect("apiVersion: v2\nkind: Pod\nmetadata: {name: a}\n",
	    "apiVersion", 1, 13, "kind Pod needs apiVersion v1");
	expect("a: [\n", "", 2, 1, "did not find expected node content");
	cfg_diag_format(&d.d[0], "/etc/manifests/x.yaml", buf, sizeof(buf));
	assert_string_equal(buf, "/etc/manifests/x.yaml:2:1: did not find "
	    "expected node content while parsing a flow node");
	/* empty documents are skipped; an empty file is fine */
	assert_int_equal(parse("---\n---\n# nothing\n", &o, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("", &o, &n), 0);
	assert_int_equal(n, 0);
	/* same name in another namespace is another pod */
	assert_int_equal(parse(HEAD "  containers: [{name: a, image: x}]\n"
	    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: "
	    "o}\nspec:\n  containers: [{name: a, image: x}]\n", &o, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(o[1].doc, 1);
	assert_int_equal(o[1].line, 8);
	cfg_objects_free(o, n);
}

static void
test_json_and_list(void **state)
{
	const char *json = "{\"apiVersion\": \"v1\", \"kind\": \"List\", "
	    "\"items\": [\n"
	    " {\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
	    "  \"metadata\": {\"name\": \"a\"},\n"
	    "  \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": "
	    "\"busybox\", \"ports\": [{\"containerPort\": 80}]}]}},\n"
	    " {\"apiVersion\": \"example.com/v1\", \"kind\": \"Gadget\", "
	    "\"metadata\": {\"name\": \"s\"}}\n]}\n";
	struct cfg_object *o;
	size_t n;

	assert_int_equal(parse(json, &o, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(o[0].kind, CFG_KIND_POD);
	assert_string_equal(o[0].name, "a");
	assert_int_equal(o[0].line, 2);
	assert_int_equal(o[0].u.pod->containers[0].ports[0].container_port,
	    80);
	assert_int_equal(o[1].kind, CFG_KIND_UNKNOWN);
	assert_string_equal(o[1].kind_name, "Gadget");
	assert_string_equal(d.d[0].path, "items[1].kind");
	cfg_objects_free(o, n);
	expect("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
	    "  kind: Pod\n  metadata: {name: a}\n  spec:\n"
	    "    containers: [{name: a, image: 3}]\n",
	    "items[0].spec.containers[0].image", 8, 35, "expected a string");
	expect("apiVersion: v1\nkind: List\nitems: {}\n", "items", 3, 8,
	    "expected a list");
}

#define HEAD_ITEM "apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n" \
    "  spec:\n    hostPID: true\n    containers:\n    - name: a\n" \
    "      image: x\n      args: [a, b]\n"

static const char *
hash_of(const char *s, char out[65])
{
	struct cfg_object *o;
	size_t n;

	assert_int_equal(parse(s, &o, &n), 0);
	assert_int_equal(n, 1);
	memcpy(out, o[0].u.pod->spec_hash, 65);
	cfg_objects_free(o, n);
	return out;
}

static void
test_spec_hash(void **state)
{
	char a[65], b[65];

	hash_of(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    args: [a, b]\n  hostPID: true\n", a);
	/* keys reordered, flow style, metadata changed: same hash */
	hash_of("kind: Pod\napiVersion: v1\nmetadata:\n  name: other\n"
	    "  labels: {x: z}\nspec: {hostPID: true, containers: [{image: x, "
	    "args: [a, b], name: a}]}\n", b);
	assert_string_equal(a, b);
	/* any spec change: a different hash */
	hash_of(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    args: [b, a]\n  hostPID: true\n", b);
	assert_string_not_equal(a, b);
	hash_of(HEAD "  containers:\n  - name: a\n    image: x\n"
	    "    args: [a, \"b\"]\n  hostPID: true\n", b);
	assert_string_not_equal(a, b);
	hash_of(HEAD "  containers:\n  - name: a\n    image: z\n"
	    "    args: [a, b]\n  hostPID: true\n", b);
	assert_string_not_equal(a, b);
	/* in a List item, the same spec hashes the same */
	hash_of("apiVersion: v1\nkind: List\nitems:\n- " HEAD_ITEM, b);
	assert_string_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_probes_volumes),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_namespace_empty),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_json_and_list),
		cmocka_unit_test(test_spec_hash),
		cmocka_unit_test(test_host_aliases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
