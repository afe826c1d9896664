/* Unit tests for picoctl's ConfigMap, Secret and PersistentVolumeClaim
 * output: the DATA, TYPE, CAPACITY and ACCESS MODES cells, whole `get`
 * tables, the `describe` texts (a Secret's keys with sizes only), and
 * the Used: size, on JSON shaped as picolet serves it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/picoctl_fmt.c"
#include "tools/picoctl_svcfmt.c"
#include "tools/picoctl_cfgfmt.c"

#define NOW 1700000000		/* 2023-11-14T22:13:20Z */

static const char cm_app[] = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
    "\"metadata\":{\"name\":\"app\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:08:20Z\",\"labels\":{\"tier\":"
    "\"web\"}},\"data\":{\"color\":\"blue\",\"app.conf\":\"listen 8080\\n"
    "workers 2\\n\"},\"binaryData\":{\"bin\":\"AAEC/w==\",\"two\":"
    "\"AAE=\",\"three\":\"AAEC\"}}";

static const char cm_empty[] = "{\"kind\":\"ConfigMap\",\"metadata\":{"
    "\"name\":\"empty\",\"namespace\":\"other\",\"creationTimestamp\":"
    "\"2023-11-12T22:13:20Z\"}}";

static const char secret_creds[] = "{\"kind\":\"Secret\",\"apiVersion\":"
    "\"v1\",\"metadata\":{\"name\":\"creds\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:13:00Z\",\"annotations\":{"
    "\"owner\":\"ops\"}},\"type\":\"Opaque\",\"dataSizes\":{\"user\":5,"
    "\"password\":22}}";

static const char secret_tls[] = "{\"kind\":\"Secret\",\"metadata\":{"
    "\"name\":\"tls\",\"namespace\":\"default\",\"creationTimestamp\":"
    "\"2023-11-14T20:13:20Z\"},\"type\":\"kubernetes.io/tls\","
    "\"dataSizes\":{\"tls.crt\":1200,\"tls.key\":1700}}";

static const char pvc_data[] = "{\"kind\":\"PersistentVolumeClaim\","
    "\"metadata\":{\"name\":\"data\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:08:20Z\"},\"spec\":{"
    "\"accessModes\":[\"ReadOnlyMany\",\"ReadWriteOncePod\","
    "\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}},"
    "\"volumeMode\":\"Filesystem\",\"volumeName\":"
    "\"/var/lib/picolet/volumes/default/data\"},\"status\":{\"phase\":"
    "\"Bound\",\"accessModes\":[\"ReadOnlyMany\",\"ReadWriteOncePod\","
    "\"ReadWriteOnce\"],\"capacity\":{\"storage\":\"1Gi\"},"
    "\"conditions\":[{\"type\":\"QuotaEnforced\",\"status\":\"True\","
    "\"reason\":\"ProjectQuota\",\"message\":\"writes past 1Gi fail\"}]}}";

/* the namespace's pods: two name the claim, one another, one none */
static const char pods_json[] = "[{\"metadata\":{\"name\":\"web\"},"
    "\"spec\":{\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":"
    "{\"claimName\":\"data\"}}]}},{\"metadata\":{\"name\":\"other\"},"
    "\"spec\":{\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":"
    "{\"claimName\":\"logs2\"}},{\"name\":\"e\",\"emptyDir\":{}}]}},"
    "{\"metadata\":{\"name\":\"bare\"},\"spec\":{}},"
    "{\"metadata\":{\"name\":\"db\"},\"spec\":{\"volumes\":[{\"name\":"
    "\"x\",\"emptyDir\":{}},{\"name\":\"d\",\"persistentVolumeClaim\":"
    "{\"claimName\":\"data\",\"readOnly\":true}}]}}]";

/* not bound: no volume, capacity or modes shown; a class */
static const char pvc_pending[] = "{\"kind\":\"PersistentVolumeClaim\","
    "\"metadata\":{\"name\":\"logs\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:13:10Z\"},\"spec\":{"
    "\"accessModes\":[\"ReadWriteMany\"],\"resources\":{\"requests\":{"
    "\"storage\":\"500Mi\"}},\"storageClassName\":\"local\"},\"status\":{"
    "\"phase\":\"Pending\"}}";

static struct json *
parse(const char *s)
{
	struct json *j = NULL;
	struct err err;

	if (json_parse(s, strlen(s), &j, &err) < 0)
		fail_msg("bad sample: %s: %s", err.msg, s);
	return j;
}

static void
modes(const char *arr, const char *want)
{
	struct json *j = parse(arr);
	struct buf b;

	buf_init(&b, 1 << 10);
	fmt_access_modes(j, &b);
	assert_string_equal(b.p ? b.p : "", want);
	buf_free(&b);
	json_free(j);
}

static void
test_access_modes(void **state)
{
	(void)state;
	/* kubectl's order, whatever the claim's */
	modes("[\"ReadWriteOncePod\",\"ReadWriteMany\",\"ReadOnlyMany\","
	    "\"ReadWriteOnce\"]", "RWO,ROX,RWX,RWOP");
	modes("[\"ReadWriteOnce\",\"ReadWriteOnce\"]", "RWO");
	modes("[\"ReadOnlyMany\"]", "ROX");
	modes("[]", "");
	modes("null", "");
}

static void
size(int64_t bytes, const char *want)
{
	char out[32];

	fmt_disk_size(bytes, out, sizeof(out));
	assert_string_equal(out, want);
}

static void
test_disk_size(void **state)
{
	(void)state;
	size(0, "0");
	size(1023, "1023");
	size(1024, "1Ki");
	size(4096, "4Ki");
	size(1048576 + 4096, "1Mi");
	size(1536 * 1024, "1.5Mi");
	size(2040 * 1024, "2Mi");		/* 1.99: not "2.0Mi" */
	size(99 * 1024 + 920, "99.9Ki");
	size(99 * 1024 + 1000, "100Ki");	/* 99.98 rounds up */
	size(150LL * 1024 * 1024 + 512 * 1024, "151Mi");
	size(3LL << 30, "3Gi");
	size(5LL << 40, "5Ti");
}

typedef void (*rowfn)(const struct json *, bool, bool, int64_t,
    struct buf *);

static void
table(const char *head, const char *const *objs, rowfn row, bool wide,
    bool all_ns, const char *want)
{
	struct buf t, o;
	struct json *j;

	buf_init(&t, 1 << 20);
	buf_init(&o, 1 << 20);
	buf_puts(&t, head);
	for (; *objs; objs++) {
		j = parse(*objs);
		row(j, wide, all_ns, NOW, &t);
		json_free(j);
	}
	fmt_tabwrite(t.p, 6, 3, &o);
	assert_string_equal(o.p, want);
	buf_free(&t);
	buf_free(&o);
}

static void
test_tables(void **state)
{
	static const char *const cms[] = { cm_app, cm_empty, NULL };
	static const char *const secrets[] = { secret_creds, secret_tls,
	    "{\"metadata\":{\"name\":\"plain\"},\"type\":\"Opaque\","
	    "\"data\":{\"a\":\"eA==\"}}", NULL };
	static const char *const pvcs[] = { pvc_data, pvc_pending, NULL };

	(void)state;
	/* DATA counts data and binaryData */
	table("NAME\tDATA\tAGE\n", cms, fmt_cm_row, false, false,
	    "NAME    DATA   AGE\n"
	    "app     5      5m\n"
	    "empty   0      2d\n");
	table("NAMESPACE\tNAME\tDATA\tAGE\n", cms, fmt_cm_row, true, true,
	    "NAMESPACE   NAME    DATA   AGE\n"
	    "default     app     5      5m\n"
	    "other       empty   0      2d\n");
	/* DATA: the sizes' keys, or a server's data */
	table("NAME\tTYPE\tDATA\tAGE\n", secrets, fmt_secret_row, false,
	    false,
	    "NAME    TYPE                DATA   AGE\n"
	    "creds   Opaque              2      20s\n"
	    "tls     kubernetes.io/tls   2      120m\n"
	    "plain   Opaque              1      <unknown>\n");
	table("NAME\tSTATUS\tVOLUME\tCAPACITY\tACCESS MODES\tSTORAGECLASS\t"
	    "AGE\tVOLUMEMODE\n", pvcs, fmt_pvc_row, true, false,
	    "NAME   STATUS    VOLUME                                  CAPACITY"
	    "   ACCESS MODES   STORAGECLASS   AGE   VOLUMEMODE\n"
	    "data   Bound     /var/lib/picolet/volumes/default/data   1Gi     "
	    "   RWO,ROX,RWOP                  5m    Filesystem\n"
	    "logs   Pending                                                   "
	    "                  local          10s   <unset>\n");
}

static void
describe_cm(const char *cm, const char *events, const char *want)
{
	struct json *j = parse(cm), *ev = events ? parse(events) : NULL;
	struct buf b, o;

	buf_init(&b, 1 << 20);
	buf_init(&o, 1 << 20);
	fmt_cm_describe(j, ev, NOW, &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	assert_string_equal(o.p, want);
	buf_free(&b);
	buf_free(&o);
	json_free(j);
	json_free(ev);
}

static void
test_describe_cm(void **state)
{
	(void)state;
	describe_cm(cm_app, "[]",
	    "Name:         app\n"
	    "Namespace:    default\n"
	    "Labels:       tier=web\n"
	    "Annotations:  <none>\n"
	    "\n"
	    "Data\n"
	    "====\n"
	    "app.conf:\n"
	    "----\n"
	    "listen 8080\n"
	    "workers 2\n"
	    "\n"
	    "color:\n"
	    "----\n"
	    "blue\n"
	    "\n"
	    "BinaryData\n"
	    "====\n"
	    "bin: 4 bytes\n"
	    "three: 3 bytes\n"
	    "two: 2 bytes\n"
	    "\n"
	    "Events:  <none>\n");
	describe_cm(cm_empty, "[{\"involvedObject\":{\"kind\":\"ConfigMap\","
	    "\"name\":\"empty\"},\"type\":\"Warning\",\"reason\":\"Bad\","
	    "\"message\":\"m\",\"source\":{\"component\":\"picolet\"},"
	    "\"firstTimestamp\":\"2023-11-14T22:12:20Z\",\"lastTimestamp\":"
	    "\"2023-11-14T22:12:20Z\"}]",
	    "Name:         empty\n"
	    "Namespace:    other\n"
	    "Labels:       <none>\n"
	    "Annotations:  <none>\n"
	    "\n"
	    "Data\n"
	    "====\n"
	    "\n"
	    "BinaryData\n"
	    "====\n"
	    "\n"
	    "Events:\n"
	    "  Type     Reason  Age   From     Message\n"
	    "  ----     ------  ----  ----     -------\n"
	    "  Warning  Bad     60s   picolet  m\n");
}

static void
test_describe_secret(void **state)
{
	struct json *j = parse(secret_creds);
	struct buf b, o;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_init(&o, 1 << 20);
	fmt_secret_describe(j, &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	assert_string_equal(o.p,
	    "Name:         creds\n"
	    "Namespace:    default\n"
	    "Labels:       <none>\n"
	    "Annotations:  owner: ops\n"
	    "\n"
	    "Type:  Opaque\n"
	    "\n"
	    "Data\n"
	    "====\n"
	    "password:  22 bytes\n"
	    "user:      5 bytes\n");
	buf_free(&b);
	buf_free(&o);
	json_free(j);
}

static void
describe_pvc(const char *pvc, const char *used, const char *pods,
    const char *want)
{
	struct json *j = parse(pvc), *p = pods ? parse(pods) : NULL;
	struct buf b, o;

	buf_init(&b, 1 << 20);
	buf_init(&o, 1 << 20);
	fmt_pvc_describe(j, used, p, NULL, NOW, &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	assert_string_equal(o.p, want);
	buf_free(&b);
	buf_free(&o);
	json_free(j);
	json_free(p);
}

static void
test_describe_pvc(void **state)
{
	(void)state;
	describe_pvc(pvc_data, "1.5Mi", pods_json,
	    "Name:          data\n"
	    "Namespace:     default\n"
	    "StorageClass:  \n"
	    "Status:        Bound\n"
	    "Volume:        /var/lib/picolet/volumes/default/data\n"
	    "Labels:        <none>\n"
	    "Annotations:   <none>\n"
	    "Finalizers:    []\n"
	    "Capacity:      1Gi\n"
	    "Access Modes:  RWO,ROX,RWOP\n"
	    "VolumeMode:    Filesystem\n"
	    "Used:          1.5Mi\n"
	    "Used By:       db\n"
	    "               web\n"
	    "Conditions:\n"	/* kubectl's "%v \t": the block widens */
	    "  Type            Status  Reason         Message\n"
	    "  ----            ------  ------         -------\n"
	    "  QuotaEnforced   True    ProjectQuota   writes past 1Gi fail\n"
	    "Events:           <none>\n");
	describe_pvc(pvc_pending, NULL, "[]",
	    "Name:          logs\n"
	    "Namespace:     default\n"
	    "StorageClass:  local\n"
	    "Status:        Pending\n"
	    "Volume:        \n"
	    "Labels:        <none>\n"
	    "Annotations:   <none>\n"
	    "Finalizers:    []\n"
	    "Capacity:      \n"
	    "Access Modes:  \n"
	    "Used By:       <none>\n"
	    "Events:        <none>\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_modes),
		cmocka_unit_test(test_disk_size),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_describe_cm),
		cmocka_unit_test(test_describe_secret),
		cmocka_unit_test(test_describe_pvc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
