/*
 * Unit tests for store/: the gzip and tar readers on archives built here
 * in memory, and layer unpacking into a temp dir (safe paths, links,
 * whiteouts, metadata).  What needs root (mknod, trusted.* xattrs,
 * chown) is skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "store/store.h"

/* ---- a tar writer, just enough for the tests ---- */

static void
hdr(struct buf *b, const char *name, char type, const char *link,
    const void *data, size_t size, unsigned mode)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", mode);
	snprintf((char *)h + 108, 8, "%07o", 1000);
	snprintf((char *)h + 116, 8, "%07o", 1000);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 1600000000);
	h[156] = (unsigned char)type;
	if (link != NULL)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	buf_append(b, h, 512);
	if (size > 0) {
		buf_append(b, data, size);
		static const char zero[512];
		buf_append(b, zero, (512 - size % 512) % 512);
	}
}

static void
file(struct buf *b, const char *name, const char *data)
{
	hdr(b, name, '0', NULL, data, strlen(data), 0644);
}

static void
pax(struct buf *b, const char *key, const char *val)
{
	char rec[8192];
	int n = (int)(strlen(key) + strlen(val) + 3), len = n + 1;

	while (len != (int)snprintf(NULL, 0, "%d", len) + n)
		len = (int)snprintf(NULL, 0, "%d", len) + n;
	snprintf(rec, sizeof(rec), "%d %s=%s\n", len, key, val);
	hdr(b, "PaxHeader", 'x', NULL, rec, strlen(rec), 0644);
}

static void
end(struct buf *b)
{
	static const char zero[1024];

	buf_append(b, zero, sizeof(zero));
}

static void
gzip_buf(const struct buf *in, struct buf *out)
{
	z_stream z;
	unsigned char tmp[65536];

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)in->p;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		deflate(&z, Z_FINISH);
		buf_append(out, tmp, sizeof(tmp) - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
}

/* ---- the reader ---- */

static int
read_all(const struct buf *b, char names[][300], size_t max, char *data0,
    struct err *err)
{
	struct store_tar_entry *e;
	struct store_tar t;
	struct store_in in;
	size_t n = 0;
	ssize_t k;
	int r;

	if ((r = store_in_open_mem(&in, b->p, b->len, err)) < 0) {
		store_in_close(&in);
		return r;
	}
	store_tar_init(&t, &in);
	while ((r = store_tar_next(&t, &e, err)) > 0) {
		if (n < max)
			snprintf(names[n], 300, "%c %s -> %s", e->type,
			    e->name, e->linkname);
		if (n == 0 && data0 != NULL) {
			k = store_tar_read(&t, data0, 100, err);
			data0[k > 0 ? k : 0] = '\0';
		}
		n++;
	}
	store_tar_free(&t);
	store_in_close(&in);
	return r < 0 ? r : (int)n;
}

static void
test_tar_basic(void **state)
{
	char names[8][300], data[128], longname[200];
	struct err err;
	struct buf b, gz;

	buf_init(&b, 1 << 24);
	file(&b, "./a.txt", "hello");
	hdr(&b, "dir/", '5', NULL, NULL, 0, 0755);
	hdr(&b, "dir/ln", '2', "../a.txt", NULL, 0, 0777);
	memset(longname, 'n', 150);
	strcpy(longname + 150, "/end");
	pax(&b, "path", longname);
	file(&b, "short", "p");
	hdr(&b, "././@LongLink", 'L', NULL, longname, strlen(longname) + 1,
	    0644);
	hdr(&b, "trunc", '1', "a.txt", NULL, 0, 0644);
	end(&b);
	assert_int_equal(read_all(&b, names, 8, data, &err), 5);
	assert_string_equal(data, "hello");
	assert_string_equal(names[0], "0 ./a.txt -> ");
	assert_string_equal(names[1], "5 dir/ -> ");
	assert_string_equal(names[2], "2 dir/ln -> ../a.txt");
	assert_int_equal(strncmp(names[3], "0 nnnn", 6), 0);
	assert_non_null(strstr(names[3], "/end -> "));
	assert_non_null(strstr(names[4], "/end -> a.txt"));

	/* the same through gzip */
	buf_init(&gz, 1 << 24);
	gzip_buf(&b, &gz);
	assert_int_equal(read_all(&gz, names, 8, data, &err), 5);
	assert_string_equal(data, "hello");
	/* corrupt gzip: a clear error */
	gz.p[gz.len / 2] ^= 0x55;
	gz.p[gz.len / 2 + 1] ^= 0x55;
	assert_true(read_all(&gz, names, 8, NULL, &err) < 0);
	if (strstr(err.msg, "gzip") == NULL) fail_msg("%s", err.msg);
	/* truncated gzip */
	gz.len = 20;
	assert_true(read_all(&gz, names, 8, NULL, &err) < 0);
	buf_free(&gz);
	buf_free(&b);
}

static void
test_tar_errors(void **state)
{
	char names[4][300];
	struct err err;
	struct buf b;
	size_t len;

	buf_init(&b, 1 << 24);
	file(&b, "a", "xyz");
	end(&b);
	b.p[0] = 'b';		/* checksum now wrong */
	assert_int_equal(read_all(&b, names, 4, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum"));

	buf_reset(&b);
	file(&b, "a", "xyz");
	len = b.len;
	end(&b);
	b.len = len - 100;	/* truncated data */
	assert_int_equal(read_all(&b, names, 4, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "truncated"));
	b.len = 300;		/* truncated header */
	assert_int_equal(read_all(&b, names, 4, NULL, &err), -EINVAL);

	/* end of archive with one zero block and no more is accepted */
	buf_reset(&b);
	file(&b, "a", "xyz");
	static const char zero[512];
	buf_append(&b, zero, 512);
	assert_int_equal(read_all(&b, names, 4, NULL, &err), 1);
	/* empty input: an error, not an empty archive */
	assert_true(read_all(&(struct buf){ "", 0, 0, 0 }, names, 4, NULL,
	    &err) < 0);

	/* pax data past the cap */
	buf_reset(&b);
	unsigned char h[512];
	memset(h, 0, sizeof(h));
	hdr(&b, "big", 'x', NULL, NULL, 0, 0644);
	memcpy(h, b.p, 512);
	buf_reset(&b);
	snprintf((char *)h + 124, 12, "%011o", STORE_PAX_MAX + 1);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	buf_append(&b, h, 512);
	assert_int_equal(read_all(&b, names, 4, NULL, &err), -EFBIG);

	/* malformed pax record */
	buf_reset(&b);
	hdr(&b, "PaxHeader", 'x', NULL, "99 path=x\n", 10, 0644);
	file(&b, "a", "b");
	end(&b);
	assert_int_equal(read_all(&b, names, 4, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pax"));
	buf_free(&b);
}

static void
test_tar_pax_fields(void **state)
{
	struct store_tar_entry *e;
	struct store_tar t;
	struct store_in in;
	struct err err;
	struct buf b;

	buf_init(&b, 1 << 24);
	char rec[512];
	snprintf(rec, sizeof(rec), "%s%s%s%s",
	    "14 uid=123456\n", "12 gid=4242\n", "30 mtime=1700000000.123456789\n",
	    "26 SCHILY.xattr.user.k=v1\n");
	hdr(&b, "PaxHeader", 'x', NULL, rec, strlen(rec), 0644);
	hdr(&b, "f", '0', NULL, "data", 4, 04755);
	end(&b);
	assert_int_equal(store_in_open_mem(&in, b.p, b.len, &err), 0);
	store_tar_init(&t, &in);
	assert_int_equal(store_tar_next(&t, &e, &err), 1);
	assert_int_equal(e->uid, 123456);
	assert_int_equal(e->gid, 4242);
	assert_int_equal(e->mtime_sec, 1700000000);
	assert_int_equal(e->mtime_nsec, 123456789);
	assert_int_equal(e->mode, 04755);
	assert_int_equal(e->nxattrs, 1);
	assert_string_equal(e->xattrs[0].name, "user.k");
	assert_int_equal(e->xattrs[0].len, 2);
	assert_memory_equal(e->xattrs[0].value, "v1", 2);
	assert_int_equal(store_tar_next(&t, &e, &err), 0);
	store_tar_free(&t);
	store_in_close(&in);
	buf_free(&b);
}

/* ---- unpack ---- */

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/picolet-unpack-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static int
unpack(const struct buf *b, const char *dir, char diffid[72],
    struct err *err)
{
	char path[] = "/tmp/picolet-layer-XXXXXX";
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write_all(fd, b->p, b->len), 0);
	lseek(fd, 0, SEEK_SET);
	r = store_layer_unpack(fd, dir, diffid, err);
	close(fd);
	return r;
}

static void
test_unpack(void **state)
{
	char *root = tmpdir(), *dir = xasprintf("%s/layer", root), *p;
	char diffid[72], want[72], lnk[64];
	struct stat st, st2;
	struct err err;
	struct buf b;
	ssize_t n;

	buf_init(&b, 1 << 24);
	hdr(&b, "./", '5', NULL, NULL, 0, 0755);
	hdr(&b, "etc/", '5', NULL, NULL, 0, 0700);
	file(&b, "etc/passwd", "root:x:0:0");
	hdr(&b, "bin/sh", '0', NULL, "#!", 2, 04755);	/* no parent entry */
	hdr(&b, "bin/link", '1', "bin/sh", NULL, 0, 0);
	hdr(&b, "bin/sym", '2', "/etc/passwd", NULL, 0, 0777);
	hdr(&b, "ro/", '5', NULL, NULL, 0, 0555);
	file(&b, "ro/inside", "x");
	file(&b, "replaced", "old");
	file(&b, "replaced", "new");
	end(&b);
	store_sha_buf(b.p, b.len, want);
	if (unpack(&b, dir, diffid, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(diffid, want);

	p = xasprintf("%s/etc", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_mtime, 1600000000);
	free(p);
	p = xasprintf("%s/bin/sh", dir);
	assert_int_equal(stat(p, &st), 0);
	if (geteuid() == 0) {
		assert_int_equal(st.st_mode & 07777, 04755);
		assert_int_equal(st.st_uid, 1000);
	}
	free(p);
	p = xasprintf("%s/bin/link", dir);
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	free(p);
	p = xasprintf("%s/bin/sym", dir);
	n = readlink(p, lnk, sizeof(lnk) - 1);
	assert_int_equal(n, 11);
	lnk[n] = '\0';
	assert_string_equal(lnk, "/etc/passwd");
	free(p);
	p = xasprintf("%s/ro", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0555);
	free(p);
	char *data;
	p = xasprintf("%s/replaced", dir);
	assert_int_equal(read_file(p, 100, &data, NULL, &err), 0);
	assert_string_equal(data, "new");
	free(data);
	free(p);

	/* the dir must not exist yet, and no temp is left */
	assert_int_equal(unpack(&b, dir, NULL, &err), -EEXIST);
	buf_free(&b);
	p = xasprintf("%s/ro", dir);
	chmod(p, 0755);
	free(p);
	assert_int_equal(rm_rf(root, &err), 0);
	free(dir);
	free(root);
}

static void
refused(void (*build)(struct buf *), const char *name)
{
	char *root = tmpdir(), *dir = xasprintf("%s/layer", root), *p;
	struct err err;
	struct buf b;
	struct stat st;

	buf_init(&b, 1 << 24);
	build(&b);
	end(&b);
	assert_int_equal(unpack(&b, dir, NULL, &err), -EINVAL);
	p = xasprintf("layer entry %s", name);
	if (strstr(err.msg, p) == NULL)
		fail_msg("got \"%s\", want \"%s\"", err.msg, p);
	free(p);
	/* nothing left: not the layer, not its temp, nothing outside */
	assert_int_equal(stat(dir, &st), -1);
	p = xasprintf("%s/x", root);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("%s/passwd", root);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("rmdir %s", root);
	assert_int_equal(rmdir(root), 0);
	free(p);
	buf_free(&b);
	free(dir);
	free(root);
}

static void
dotdot(struct buf *b)
{
	file(b, "../x", "evil");
}

static void
dotdot_inner(struct buf *b)
{
	hdr(b, "a/", '5', NULL, NULL, 0, 0755);
	file(b, "a/../../x", "evil");
}

static void
absolute(struct buf *b)
{
	file(b, "/abs", "evil");
}

static void
through_link(struct buf *b)
{
	hdr(b, "link", '2', "..", NULL, 0, 0777);
	file(b, "link/passwd", "evil");
}

static void
through_abs_link(struct buf *b)
{
	hdr(b, "link", '2', "/etc", NULL, 0, 0777);
	file(b, "link/passwd", "evil");
}

static void
hardlink_out(struct buf *b)
{
	hdr(b, "h", '1', "../../etc/passwd", NULL, 0, 0);
}

static void
hardlink_via_sym(struct buf *b)
{
	hdr(b, "s", '2', "/etc", NULL, 0, 0777);
	hdr(b, "h", '1', "s/passwd", NULL, 0, 0);
}

static void
test_unpack_refused(void **state)
{
	refused(dotdot, "../x");
	refused(dotdot_inner, "a/../../x");
	refused(absolute, "/abs");
	refused(through_link, "link/passwd");
	refused(through_abs_link, "link/passwd");
	refused(hardlink_out, "h");
	refused(hardlink_via_sym, "h");
}

/* A dir replaced by a symlink later in the layer: its mode and mtime,
 * applied at the end, must not land on the symlink's target. */
static void
test_unpack_dir_then_symlink(void **state)
{
	char *root = tmpdir(), *dir = xasprintf("%s/layer", root);
	char *out = xasprintf("%s/outside", root);
	struct err err;
	struct stat st;
	struct buf b;

	assert_int_equal(mkdir(out, 0751), 0);
	buf_init(&b, 1 << 24);
	hdr(&b, "a/", '5', NULL, NULL, 0, 0700);
	hdr(&b, "a/b/", '5', NULL, NULL, 0, 0700);
	hdr(&b, "a", '2', out, NULL, 0, 0777);
	end(&b);
	if (unpack(&b, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751);
	assert_true(st.st_mtime != 1600000000);
	buf_free(&b);
	assert_int_equal(rm_rf(root, &err), 0);
	free(out);
	free(dir);
	free(root);
}

static void
test_unpack_whiteouts(void **state)
{
	char *root = tmpdir(), *dir = xasprintf("%s/layer", root), *p;
	char v[4];
	struct err err;
	struct stat st;
	struct buf b;

	if (geteuid() != 0) {
		free(dir);
		rmdir(root);
		free(root);
		skip();
	}
	buf_init(&b, 1 << 24);
	file(&b, "d/gone", "x");	/* same layer: replaced by whiteout */
	hdr(&b, "d/.wh.gone", '0', NULL, NULL, 0, 0644);
	hdr(&b, "d/.wh.lower", '0', NULL, NULL, 0, 0644);
	file(&b, "d/sub/f", "z");	/* a whole dir of this layer */
	hdr(&b, "d/.wh.sub", '0', NULL, NULL, 0, 0644);
	hdr(&b, ".wh..wh.plnk", '5', NULL, NULL, 0, 0700);	/* aufs */
	hdr(&b, "o/", '5', NULL, NULL, 0, 0755);
	hdr(&b, "o/.wh..wh..opq", '0', NULL, NULL, 0, 0644);
	file(&b, "o/kept", "y");
	hdr(&b, "dev/null", '3', NULL, NULL, 0, 0666);
	hdr(&b, "fifo", '6', NULL, NULL, 0, 0600);
	end(&b);
	if (unpack(&b, dir, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	p = xasprintf("%s/d/gone", dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	free(p);
	p = xasprintf("%s/d/lower", dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	free(p);
	p = xasprintf("%s/d/sub", dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	free(p);
	p = xasprintf("%s/.wh..wh.plnk", dir);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("%s/d/.wh.gone", dir);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("%s/o", dir);
	ssize_t n = getxattr(p, "trusted.overlay.opaque", v, sizeof(v));
	if (n < 0 && errno == EOPNOTSUPP) {
		/* tmpfs before 6.6 has no trusted xattrs */
	} else {
		assert_int_equal(n, 1);
		assert_int_equal(v[0], 'y');
	}
	free(p);
	p = xasprintf("%s/o/kept", dir);
	assert_int_equal(lstat(p, &st), 0);
	free(p);
	p = xasprintf("%s/o/.wh..wh..opq", dir);
	assert_int_equal(lstat(p, &st), -1);
	free(p);
	p = xasprintf("%s/fifo", dir);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	free(p);
	buf_free(&b);
	assert_int_equal(rm_rf(root, &err), 0);
	free(dir);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tar_basic),
		cmocka_unit_test(test_tar_errors),
		cmocka_unit_test(test_tar_pax_fields),
		cmocka_unit_test(test_unpack),
		cmocka_unit_test(test_unpack_refused),
		cmocka_unit_test(test_unpack_dir_then_symlink),
		cmocka_unit_test(test_unpack_whiteouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
