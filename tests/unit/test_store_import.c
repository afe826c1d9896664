/*
 * Unit tests for store/: import of OCI layouts and docker save archives
 * built here (files written in C, packed with tar(1)), then image
 * lookups, listing and removal, and GC of what no ref needs.  Unpacking runs as any user; the layers
 * here hold only regular files, dirs and symlinks.
 */
#include <dirent.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "store/store.h"
#include "store/store_int.h"

struct fx {
	char *dir;		/* scratch: sources and archives */
	char *state;		/* the store's state dir */
	struct store *s;
	char layer1[72], layer2[72];	/* blob digests */
	char diff1[72], diff2[72];	/* diffids */
	int64_t size1, size2;
};

static void sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int r;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	r = system(cmd);
	if (r != 0)
		fail_msg("%s: exit %d", cmd, r);
	free(cmd);
}

static void
put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	close(fd);
}

static void
digest_file(const char *path, char out[72], int64_t *size)
{
	struct err err;
	char *data;
	size_t len;

	assert_int_equal(read_file(path, 1 << 26, &data, &len, &err), 0);
	store_sha_buf(data, len, out);
	if (size != NULL)
		*size = (int64_t)len;
	free(data);
}

/* Copy a file into <layout>/blobs/sha256/<hex>. */
static void
blob_from(const char *layout, const char *path, char out[72],
    int64_t *size)
{
	digest_file(path, out, size);
	sh("mkdir -p %s/blobs/sha256 && cp %s %s/blobs/sha256/%s", layout,
	    path, layout, out + 7);
}

static void
blob_str(const char *layout, const char *data, char out[72])
{
	char *p = xasprintf("%s/tmpblob", layout);

	put(p, data, strlen(data));
	blob_from(layout, p, out, NULL);
	unlink(p);
	free(p);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/picolet-import-XXXXXX";
	struct err err;
	char *p;

	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	f->state = xasprintf("%s/state", f->dir);
	/* two layers: one plain tar, one gzipped; mtimes fixed so the
	 * tars (and so their digests) are the same every time */
	sh("cd %s && mkdir -p r1/bin r1/etc r2/etc && echo hi > r1/bin/sh && "
	    "ln -s sh r1/bin/ash && echo x > r1/etc/conf && "
	    "echo over > r2/etc/conf && %s"
	    "tar --mtime=@1600000000 --owner=0 --group=0 --sort=name "
	    "-C r1 -cf l1.tar . && tar --mtime=@1600000000 --owner=0 "
	    "--group=0 --sort=name -C r2 -cf l2.tar . && "
	    "gzip -n -c l2.tar > l2.tgz", f->dir,
	    /* a whiteout is a device node: only root can make one */
	    geteuid() == 0 ? "touch r2/etc/.wh.none && " : "");
	p = xasprintf("%s/l1.tar", f->dir);
	digest_file(p, f->diff1, &f->size1);
	memcpy(f->layer1, f->diff1, 72);
	free(p);
	p = xasprintf("%s/l2.tar", f->dir);
	digest_file(p, f->diff2, NULL);
	free(p);
	p = xasprintf("%s/l2.tgz", f->dir);
	digest_file(p, f->layer2, &f->size2);
	free(p);
	if (store_open(&f->s, f->state, &err) != 0)
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	struct err err;

	store_close(f->s);
	assert_int_equal(rm_rf(f->dir, &err), 0);
	free(f->dir);
	free(f->state);
	free(f);
	return 0;
}

static char *
config_json(const struct fx *f, const char *diff2)
{
	return xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\","
	    "\"created\":\"2024-01-02T03:04:05.5Z\",\"config\":{"
	    "\"Entrypoint\":[\"/bin/sh\"],\"Cmd\":[\"-c\",\"echo hi\"],"
	    "\"Env\":[\"PATH=/bin\",\"A=b\"],\"WorkingDir\":\"/w\","
	    "\"User\":\"1000:1000\"},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"%s\",\"%s\"]}}", f->diff1, diff2);
}

/*
 * An OCI layout archive at <dir>/<name>; annot is the descriptor's
 * annotations object ("" for none).  Returns the manifest digest.
 */
static void
make_oci(const struct fx *f, const char *name, const char *annot,
    const char *diff2, bool as_index, char mdigest[72])
{
	char *lay = xasprintf("%s/oci", f->dir), *p, *s;
	char cfg[72], l1[72], l2[72], top[72];

	sh("rm -rf %s && mkdir -p %s", lay, lay);
	p = xasprintf("%s/l1.tar", f->dir);
	blob_from(lay, p, l1, NULL);
	free(p);
	p = xasprintf("%s/l2.tgz", f->dir);
	blob_from(lay, p, l2, NULL);
	free(p);
	s = config_json(f, diff2);
	blob_str(lay, s, cfg);
	free(s);
	s = xasprintf("{\"schemaVersion\":2,\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{"
	    "\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"%s\",\"size\":1},\"layers\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
	    "\"size\":%lld},{\"mediaType\":\"application/vnd.oci.image."
	    "layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%lld}]}", cfg,
	    l1, (long long)f->size1, l2, (long long)f->size2);
	blob_str(lay, s, mdigest);
	free(s);
	memcpy(top, mdigest, 72);
	if (as_index) {
		/* another platform first, then ours (the test host's) */
		char arch[16], variant[8];

		store_platform(arch, variant);
		s = xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType"
		    "\":\"application/vnd.oci.image.manifest.v1+json\","
		    "\"digest\":\"sha256:%064d\",\"size\":1,\"platform\":{"
		    "\"os\":\"linux\",\"architecture\":\"mips\"}},{\"mediaType"
		    "\":\"application/vnd.oci.image.manifest.v1+json\","
		    "\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":"
		    "\"linux\",\"architecture\":\"%s\"}}]}", 0, mdigest, arch);
		blob_str(lay, s, top);
		free(s);
	}
	s = xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	    "\"%s\",\"digest\":\"%s\",\"size\":1%s%s%s}]}", as_index ?
	    "application/vnd.oci.image.index.v1+json" :
	    "application/vnd.oci.image.manifest.v1+json", top,
	    annot[0] ? ",\"annotations\":" : "", annot, "");
	p = xasprintf("%s/index.json", lay);
	put(p, s, strlen(s));
	free(p);
	free(s);
	p = xasprintf("%s/oci-layout", lay);
	put(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	free(p);
	sh("tar -C %s -cf %s/%s oci-layout index.json blobs", lay, f->dir,
	    name);
	free(lay);
}

static size_t
count(const struct fx *f, const char *sub)
{
	char *p = xasprintf("%s/images/%s", f->state, sub);
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(p);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	free(p);
	return n;
}

static int
import(struct fx *f, const char *name, char ***refs, struct err *err)
{
	char *p = xasprintf("%s/%s", f->dir, name);
	int r = store_import(f->s, p, refs, err);

	free(p);
	return r;
}

static void
test_oci(void **state)
{
	struct fx *f = *state;
	struct store_image *img, **list;
	char md[72], **refs, *p;
	struct err err;
	struct stat st;
	size_t n;

	make_oci(f, "a.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"busybox:1.36\"}", f->diff2, false, md);
	if (import(f, "a.tar", &refs, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(refs[0], "docker.io/library/busybox:1.36");
	assert_null(refs[1]);
	strv_free(refs);

	assert_int_equal(store_image_get(f->s, "busybox:1.36", &img, &err),
	    0);
	assert_string_equal(img->ref, "docker.io/library/busybox:1.36");
	assert_string_equal(img->digest, md);
	assert_int_equal(img->nlayers, 2);
	p = xasprintf("%s/images/layers/sha256/%s", f->state, f->diff1 + 7);
	assert_string_equal(img->layers[0], p);
	free(p);
	assert_null(img->layers[2]);
	assert_string_equal(img->entrypoint[0], "/bin/sh");
	assert_null(img->entrypoint[1]);
	assert_string_equal(img->cmd[1], "echo hi");
	assert_string_equal(img->env[1], "A=b");
	assert_string_equal(img->working_dir, "/w");
	assert_string_equal(img->user, "1000:1000");
	assert_string_equal(img->os, "linux");
	assert_string_equal(img->arch, "amd64");
	assert_int_equal(img->size, f->size1 + f->size2);
	assert_int_equal(img->created_ns, 1704164645500000000LL);
	p = xasprintf("%s/bin/ash", img->layers[0]);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	free(p);
	p = xasprintf("%s/etc/conf", img->layers[1]);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	store_image_free(img);

	/* blobs: 2 layers, config, manifest; nothing in tmp */
	assert_int_equal(count(f, "blobs/sha256"), 4);
	assert_int_equal(count(f, "layers/sha256"), 2);
	assert_int_equal(count(f, "tmp"), 0);

	assert_int_equal(store_image_get(f->s, "other", &img, &err),
	    -ENOENT);
	assert_null(img);

	/* pinned by digest: any tag of the repo with that manifest */
	p = xasprintf("busybox@%s", md);
	assert_int_equal(store_image_get(f->s, p, &img, &err), 0);
	store_image_free(img);
	free(p);
	p = xasprintf("busybox:1.36@%s", md);
	assert_int_equal(store_image_get(f->s, p, &img, &err), 0);
	store_image_free(img);
	free(p);
	p = xasprintf("busybox:1.3@%s", md);
	assert_int_equal(store_image_get(f->s, p, &img, &err), -ENOENT);
	free(p);
	p = xasprintf("docker.io/library/busybo@%s", md);
	assert_int_equal(store_image_get(f->s, p, &img, &err), -ENOENT);
	free(p);
	p = xasprintf("busybox@sha256:%064d", 0);
	assert_int_equal(store_image_get(f->s, p, &img, &err), -ENOENT);
	free(p);

	/* an entry someone added by hand with a tag-only ref.name */
	char *data, *idx = xasprintf("%s/images/index.json", f->state);
	assert_int_equal(read_file(idx, 1 << 20, &data, NULL, &err), 0);
	char *q = strstr(data, "\"manifests\":[") + 13;
	p = xasprintf("%.*s{\"mediaType\":\"application/vnd.oci.image."
	    "manifest.v1+json\",\"digest\":\"%s\",\"size\":1,"
	    "\"annotations\":{\"org.opencontainers.image.ref.name\":"
	    "\"v1\"}},%s", (int)(q - data), data, md, q);
	put(idx, p, strlen(p));
	free(p);
	free(data);
	free(idx);
	assert_int_equal(store_image_get(f->s, "localhost/unnamed:v1", &img,
	    &err), 0);
	store_image_free(img);
	assert_int_equal(store_image_remove(f->s, "localhost/unnamed:v1",
	    &err), 0);
	assert_int_equal(store_image_list(f->s, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->ref, "docker.io/library/busybox:1.36");
	store_image_free(list[0]);
	free(list);

	assert_int_equal(store_image_remove(f->s, "docker.io/library/"
	    "busybox:1.36", &err), 0);
	assert_int_equal(store_image_get(f->s, "busybox:1.36", &img, &err),
	    -ENOENT);
	assert_int_equal(store_image_remove(f->s, "busybox:1.36", &err),
	    -ENOENT);
	assert_int_equal(store_image_list(f->s, &list, &n, &err), 0);
	assert_int_equal(n, 0);
	free(list);
}

static void
test_oci_index_and_tag_only(void **state)
{
	struct fx *f = *state;
	struct store_image *img;
	char md[72], **refs;
	struct err err;

	/* a tag-only ref.name: the archive's file name gives the repo */
	make_oci(f, "My_Img-2.tar.gz", "{\"org.opencontainers.image.ref.name"
	    "\":\"1.0\"}", f->diff2, true, md);
	if (import(f, "My_Img-2.tar.gz", &refs, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(refs[0], "localhost/my_img-2:1.0");
	strv_free(refs);
	assert_int_equal(store_image_get(f->s, "localhost/my_img-2:1.0",
	    &img, &err), 0);
	assert_string_equal(img->digest, md);	/* the platform's manifest */
	store_image_free(img);

	/* containerd's name annotation wins over a tag-only ref.name */
	make_oci(f, "c.tar", "{\"io.containerd.image.name\":\"docker.io/"
	    "x/y:2\",\"org.opencontainers.image.ref.name\":\"2\"}", f->diff2,
	    false, md);
	if (import(f, "c.tar", &refs, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(refs[0], "docker.io/x/y:2");
	strv_free(refs);
	/* the same layers: unpacked once */
	assert_int_equal(count(f, "layers/sha256"), 2);
}

static void
test_refused(void **state)
{
	struct fx *f = *state;
	char md[72], *p;
	struct err err;

	/* no ref at all */
	make_oci(f, "n.tar", "", f->diff2, false, md);
	assert_int_equal(import(f, "n.tar", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "archive names no image"));

	/* config's diff_id does not match the layer */
	make_oci(f, "d.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"x:1\"}", f->diff1, false, md);
	assert_int_equal(import(f, "d.tar", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "diff_id mismatch"));

	/* a blob whose content is not its name */
	make_oci(f, "m.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"x:1\"}", f->diff2, false, md);
	sh("cd %s/oci && echo tampered >> blobs/sha256/%s && tar -cf "
	    "../m.tar oci-layout index.json blobs", f->dir, f->layer1 + 7);
	assert_int_equal(import(f, "m.tar", NULL, &err), -EINVAL);
	p = xasprintf("blob %s: digest mismatch", f->layer1);
	if (strstr(err.msg, p) == NULL)
		fail_msg("%s", err.msg);
	free(p);

	/* a gzipped archive with corrupt data */
	make_oci(f, "g.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"x:1\"}", f->diff2, false, md);
	sh("cd %s && gzip -n -c g.tar > g.tar.gz && "
	    "printf 'XXXXXXXXXXXXXXXX' | dd of=g.tar.gz bs=1 seek=$(($(stat -c %%s g.tar.gz) / 2)) "
	    "conv=notrunc status=none", f->dir);
	assert_true(import(f, "g.tar.gz", NULL, &err) < 0);
	if (strstr(err.msg, "gzip") == NULL)
		fail_msg("%s", err.msg);

	/* not an image archive */
	sh("cd %s && tar -cf junk.tar l1.tar", f->dir);
	assert_int_equal(import(f, "junk.tar", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "neither"));
	assert_int_equal(import(f, "missing.tar", NULL, &err), -ENOENT);

	/* nothing left behind by any of it */
	assert_int_equal(count(f, "blobs/sha256"), 0);
	assert_int_equal(count(f, "layers/sha256"), 0);
	assert_int_equal(count(f, "tmp"), 0);
}

static void
test_docker_save(void **state)
{
	struct fx *f = *state;
	struct store_image *img;
	char cfg[72], **refs, *s, *p;
	struct err err;
	struct stat st;
	ino_t ino;

	/* first the OCI one, so its layer 1 is there already */
	char md[72];
	make_oci(f, "a.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"busybox:1.36\"}", f->diff2, false, md);
	assert_int_equal(import(f, "a.tar", NULL, &err), 0);
	p = xasprintf("%s/images/layers/sha256/%s", f->state, f->diff1 + 7);
	assert_int_equal(stat(p, &st), 0);
	ino = st.st_ino;
	free(p);

	/* docker save: "<id>/layer.tar", a duplicate as a symlink, config
	 * as "<hex>.json" */
	sh("cd %s && rm -rf ds && mkdir -p ds/aaa ds/bbb ds/ccc && "
	    "cp l1.tar ds/aaa/layer.tar && cp l2.tar ds/bbb/layer.tar && "
	    "ln -s ../bbb/layer.tar ds/ccc/layer.tar", f->dir);
	s = xasprintf("{\"architecture\":\"arm64\",\"os\":\"linux\","
	    "\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"%s\",\"%s\",\"%s\"]}}", f->diff1, f->diff2,
	    f->diff2);
	store_sha_buf(s, strlen(s), cfg);
	p = xasprintf("%s/ds/%s.json", f->dir, cfg + 7);
	put(p, s, strlen(s));
	free(p);
	free(s);
	s = xasprintf("[{\"Config\":\"%s.json\",\"RepoTags\":[\"app:v1\","
	    "\"reg.example.com:5000/team/app:v1\"],\"Layers\":["
	    "\"aaa/layer.tar\",\"bbb/layer.tar\",\"ccc/layer.tar\"]}]",
	    cfg + 7);
	p = xasprintf("%s/ds/manifest.json", f->dir);
	put(p, s, strlen(s));
	free(p);
	free(s);
	sh("cd %s/ds && tar -cf ../ds.tar manifest.json *.json aaa bbb ccc",
	    f->dir);
	if (import(f, "ds.tar", &refs, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(refs[0], "docker.io/library/app:v1");
	assert_string_equal(refs[1], "reg.example.com:5000/team/app:v1");
	strv_free(refs);
	assert_int_equal(store_image_get(f->s, "app:v1", &img, &err), 0);
	assert_string_equal(img->id, cfg);
	assert_int_equal(img->nlayers, 3);
	assert_string_equal(img->layers[1], img->layers[2]);
	assert_string_equal(img->arch, "arm64");
	assert_null(img->entrypoint);
	assert_string_equal(img->cmd[0], "sh");
	assert_null(img->working_dir);
	assert_int_equal(img->created_ns, 0);
	store_image_free(img);

	/* layer 1 was not unpacked again; layer 2 (plain here, gzipped in
	 * the OCI archive) has the same diffid: not again either */
	p = xasprintf("%s/images/layers/sha256/%s", f->state, f->diff1 + 7);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_ino, ino);
	free(p);
	assert_int_equal(count(f, "layers/sha256"), 2);
	assert_int_equal(count(f, "tmp"), 0);

	/* the OCI image is still there; store_open again is harmless */
	store_close(f->s);
	assert_int_equal(store_open(&f->s, f->state, &err), 0);
	assert_int_equal(store_image_get(f->s, "busybox:1.36", &img, &err),
	    0);
	store_image_free(img);

	/* a docker archive with no RepoTags */
	sh("cd %s/ds && sed -i 's/\"RepoTags\":\\[[^]]*\\]/\"RepoTags\":null/'"
	    " manifest.json && tar -cf ../dn.tar manifest.json *.json aaa bbb "
	    "ccc", f->dir);
	assert_int_equal(import(f, "dn.tar", NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "archive names no image"));
}

static void
test_stale_tmp(void **state)
{
	struct fx *f = *state;
	struct err err;
	char *p;

	/* a dead importer's leftovers go at open; a live one's stay */
	p = xasprintf("%s/images/tmp/999999999-abc", f->state);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/images/tmp/%d-live", f->state, (int)getpid());
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/images/layers/sha256/abc.tmp.999999999", f->state);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	/* a partial dir of our pid is a previous boot's: not known whole */
	p = xasprintf("%s/images/tmp/%d-partial", f->state, (int)getpid());
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/images/tmp/%d-partial/%064d.ok", f->state,
	    (int)getpid(), 0);
	assert_int_equal(close(open(p, O_WRONLY | O_CREAT, 0600)), 0);
	free(p);
	store_close(f->s);
	assert_int_equal(store_open(&f->s, f->state, &err), 0);
	assert_int_equal(count(f, "tmp"), 1);
	assert_int_equal(count(f, "layers/sha256"), 0);
}

/* A pull's verified blob goes from its partial dir into blobs/ whole; a
 * copy of one already there goes; none at all is an error. */
static void
test_blob_settle(void **state)
{
	struct fx *f = *state;
	char dg[72], *part, *ok, *in, *data = NULL;
	struct err err;
	size_t len;
	int fd, i;

	part = xasprintf("%s/images/tmp/%d-partial", f->state, (int)getpid());
	assert_int_equal(mkdir(part, 0700), 0);
	store_sha_buf("hello", 5, dg);
	ok = blob_ok_path(part, dg);
	in = blob_path(f->s, dg);
	for (i = 0; i < 2; i++) {
		fd = open(ok, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "hello", 5), 5);
		close(fd);
		assert_int_equal(blob_settle(f->s, part, dg, &err), 0);
		assert_int_equal(access(ok, F_OK), -1);
		assert_int_equal(read_file(in, 64, &data, &len, &err), 0);
		assert_int_equal(len, 5);
		assert_memory_equal(data, "hello", 5);
		free(data);
	}
	store_sha_buf("other", 5, dg);
	assert_int_equal(blob_settle(f->s, part, dg, &err), -ENOENT);
	free(part);
	free(ok);
	free(in);
}

/* GC: nothing while a ref needs it; what a kept image needs stays; young
 * files stay; the rest goes. */
static void
test_gc(void **state)
{
	struct fx *f = *state;
	struct store_gc_stats st;
	struct store_image *img;
	const char *keep[2] = { NULL, NULL };
	char md[72], id[72];
	struct err err;
	size_t nblobs;

	make_oci(f, "a.tar", "{\"org.opencontainers.image.ref.name\":"
	    "\"busybox:1.36\"}", f->diff2, false, md);
	assert_int_equal(import(f, "a.tar", NULL, &err), 0);
	nblobs = count(f, "blobs/sha256");
	assert_int_equal(nblobs, 4);	/* manifest, config, two layers */
	assert_int_equal(count(f, "layers/sha256"), 2);
	assert_int_equal(store_gc(f->s, NULL, 0, &st, &err), 0);
	assert_int_equal(st.blobs + st.layers, 0);

	assert_int_equal(store_image_get(f->s, "busybox:1.36", &img, &err), 0);
	snprintf(id, sizeof(id), "%s", img->id);
	store_image_free(img);
	assert_int_equal(store_image_remove(f->s, "busybox:1.36", &err), 0);
	/* young: kept */
	assert_int_equal(store_gc(f->s, NULL, 3600, &st, &err), 0);
	assert_int_equal(st.blobs + st.layers, 0);
	/* a running container's image: its config and unpacked layers */
	keep[0] = id;
	assert_int_equal(store_gc(f->s, keep, 0, &st, &err), 0);
	assert_int_equal(st.blobs, 3);
	assert_int_equal(st.layers, 0);
	assert_true(st.bytes > 0);
	assert_int_equal(count(f, "blobs/sha256"), 1);
	assert_int_equal(count(f, "layers/sha256"), 2);
	assert_int_equal(store_gc(f->s, NULL, 0, &st, &err), 0);
	assert_int_equal(st.blobs, 1);
	assert_int_equal(st.layers, 2);
	assert_int_equal(count(f, "blobs/sha256"), 0);
	assert_int_equal(count(f, "layers/sha256"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oci_index_and_tag_only,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_save, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_settle, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
