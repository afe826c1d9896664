/*
 * import: an image archive into the store, for devices with no registry.
 * Two formats, both read once as a stream (plain or gzipped tar):
 *   - an OCI image layout (skopeo's oci-archive:, docker >= 25's save):
 *     oci-layout, index.json, blobs/sha256/<hex>;
 *   - a `docker save` archive: manifest.json naming Config, RepoTags and
 *     Layers ("<id>/layer.tar" or "blobs/sha256/<hex>"), where duplicate
 *     layers may be symlinks to each other.
 * oci.c reads the first, docker.c turns the second into an OCI manifest
 * so both end up alike; this file streams, checks and commits.
 *
 * Every file goes to tmp/<pid>-XXXXXX first and every blob's digest is
 * checked as it streams by.  Layers are unpacked there too and their
 * diffids compared with the config's rootfs.diff_ids; only when all of an
 * archive checks out are they synced, renamed into place, synced again
 * (the renames), and the refs written to index.json.  A failure leaves
 * nothing but tmp/, which is removed.
 *
 * Refs: a docker archive's RepoTags, normalized.  In an OCI layout the
 * containerd name annotation wins, then ref.name: a full reference is
 * normalized; a ref.name that is only a tag (skopeo's
 * "oci-archive:busybox.tar:1.36") names no repository, so the archive's
 * file name stands in: busybox.tar with tag 1.36 -> localhost/busybox:1.36.
 * An archive naming no image at all is refused.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "store/store_int.h"

#define MAX_FILES	65536

static char *
clean_name(const char *n)
{
	while (n[0] == '.' && n[1] == '/')
		for (n += 2; *n == '/'; n++)
			;
	return xstrdup(n);
}

struct file *
imp_add_file(struct imp *m, const char *name)
{
	struct file *f;

	m->f = xrealloc(m->f, (m->nf + 1) * sizeof(*m->f));
	f = &m->f[m->nf++];
	memset(f, 0, sizeof(*f));
	f->name = clean_name(name);
	return f;
}

/* The file under name; a real file wins over a link of the same name
 * (tar(1) stores a second copy of a file as a hard link to itself). */
struct file *
imp_find(struct imp *m, const char *name)
{
	size_t i;
	int hops;

	for (hops = 0; hops < 8 && name != NULL; hops++) {
		for (i = m->nf; i-- > 0;)
			if (m->f[i].path != NULL &&
			    strcmp(m->f[i].name, name) == 0)
				return &m->f[i];
		for (i = m->nf; i-- > 0;)
			if (strcmp(m->f[i].name, name) == 0)
				break;
		if (i == (size_t)-1)
			return NULL;
		name = m->f[i].alias;
	}
	return NULL;
}

/* A symlink's target is relative to its own directory. */
static char *
link_target(const char *name, const char *target)
{
	char *d = xstrdup(name), *dir = dirname(d), *t, *out, *p;

	t = strcmp(dir, ".") == 0 ? xstrdup(target) :
	    xasprintf("%s/%s", dir, target);
	free(d);
	/* fold "x/../" the way docker save's "../<id>/layer.tar" needs */
	out = xmalloc(strlen(t) + 1);
	out[0] = '\0';
	for (p = strtok(t, "/"); p != NULL; p = strtok(NULL, "/")) {
		char *s;

		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			s = strrchr(out, '/');
			*(s != NULL ? s : out) = '\0';
			continue;
		}
		if (out[0] != '\0')
			strcat(out, "/");
		strcat(out, p);
	}
	free(t);
	return out;
}

static int
save_entry(struct imp *m, struct store_tar *t, struct file *f,
    struct err *err)
{
	struct store_sha h;
	char buf[65536];
	ssize_t n;
	int fd, r = 0;
	bool first = true;

	f->path = xasprintf("%s/f%zu", m->dir, m->nf);
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, errno, "create %s", f->path);
	store_sha_init(&h);
	while ((n = store_tar_read(t, buf, sizeof(buf), err)) > 0) {
		if (first && n >= 2)
			f->gz = (unsigned char)buf[0] == 0x1f &&
			    (unsigned char)buf[1] == 0x8b;
		first = false;
		store_sha_update(&h, buf, (size_t)n);
		f->size += n;
		if ((r = write_all(fd, buf, (size_t)n)) < 0) {
			r = err_set(err, -r, "write %s", f->path);
			break;
		}
	}
	if (n < 0)
		r = (int)n;
	store_sha_final(&h, f->digest);
	store_sha_free(&h);
	close(fd);
	if (r == 0 && strncmp(f->name, "blobs/sha256/", 13) == 0 &&
	    strcmp(f->name + 13, f->digest + 7) != 0)
		r = err_setx(err, EINVAL, "blob sha256:%s: digest mismatch "
		    "(content is %s)", f->name + 13, f->digest);
	return r;
}

static int
read_archive(struct imp *m, int fd, struct err *err)
{
	struct store_tar_entry *e;
	struct store_tar t;
	struct store_in in;
	struct file *f;
	char buf[4096];
	ssize_t n;
	int r;

	if ((r = store_in_open_fd(&in, fd, err)) < 0)
		goto out;
	in.nodigest = true;	/* each entry is digested on its own */
	store_tar_init(&t, &in);
	while ((r = store_tar_next(&t, &e, err)) > 0) {
		if (e->type != '0' && e->type != '1' && e->type != '2')
			continue;
		if (m->nf >= MAX_FILES) {
			r = err_setx(err, EFBIG, "more than %d files",
			    MAX_FILES);
			break;
		}
		f = imp_add_file(m, e->name);
		if (e->type == '1')
			f->alias = clean_name(e->linkname);
		else if (e->type == '2')
			f->alias = link_target(f->name, e->linkname);
		else if ((r = save_entry(m, &t, f, err)) < 0)
			break;
	}
	/* read to the end, so a gzip trailer (its CRC) is checked too */
	while (r == 0 && (n = store_in_read(&in, buf, sizeof(buf), err)) != 0)
		if (n < 0)
			r = (int)n;
	r = store_in_blame(&in, r, err);
	store_tar_free(&t);
out:
	store_in_close(&in);
	return r;
}

int
imp_file_json(struct imp *m, const char *name, struct json **out,
    struct err *err)
{
	struct file *f = imp_find(m, name);
	char *data;
	size_t len;
	int r;

	*out = NULL;
	if (f == NULL)
		return err_setx(err, ENOENT, "%s missing from the archive",
		    name);
	if ((r = read_file(f->path, STORE_JSON_MAX, &data, &len, err)) < 0)
		return r;
	if ((r = json_parse(data, len, out, err)) < 0)
		err_prefix(err, "%s", name);
	free(data);
	return r;
}

struct file *
imp_blob(struct imp *m, const char *digest, struct err *err)
{
	struct file *f;
	char *name;

	if (!store_digest_valid(digest)) {
		err_setx(err, EINVAL, "invalid digest %s",
		    digest != NULL ? digest : "(none)");
		return NULL;
	}
	name = xasprintf("blobs/sha256/%s", digest + 7);
	if ((f = imp_find(m, name)) == NULL)
		err_setx(err, ENOENT, "blob %s missing from the archive",
		    digest);
	else if (strcmp(f->digest, digest) != 0) {
		err_setx(err, EINVAL, "blob %s: digest mismatch (content is "
		    "%s)", digest, f->digest);
		f = NULL;
	}
	free(name);
	return f;
}

int
imp_blob_json(struct imp *m, const char *digest, struct json **out,
    struct err *err)
{
	char *name;
	int r;

	*out = NULL;
	if (imp_blob(m, digest, err) == NULL)
		return -EINVAL;
	name = xasprintf("blobs/sha256/%s", digest + 7);
	r = imp_file_json(m, name, out, err);
	free(name);
	return r;
}

static void
move_add(struct imp *m, const char *from, char *to)
{
	m->mv = xrealloc(m->mv, (m->nmv + 1) * sizeof(*m->mv));
	m->mv[m->nmv].from = xstrdup(from);
	m->mv[m->nmv].to = to;
	m->nmv++;
}

static bool
pending(struct imp *m, const char *to)
{
	size_t i;

	for (i = 0; i < m->nmv; i++)
		if (strcmp(m->mv[i].to, to) == 0)
			return true;
	return false;
}

/* The blob moves into blobs/ at commit unless it is there already. */
static void
keep_blob(struct imp *m, struct file *f)
{
	char *to;

	if (f == NULL)
		return;
	to = blob_path(m->s, f->digest);
	if (access(to, F_OK) == 0 || pending(m, to)) {
		free(to);
		return;
	}
	move_add(m, f->path, to);
}

/* The diffid of a layer blob without unpacking it. */
static int
layer_diffid(struct file *f, char out[72], struct err *err)
{
	struct store_in in;
	char buf[65536];
	ssize_t n;
	int fd, r;

	if (!f->gz) {
		memcpy(out, f->digest, 72);
		return 0;
	}
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno, "open %s", f->path);
	if ((r = store_in_open_fd(&in, fd, err)) == 0) {
		while ((n = store_in_read(&in, buf, sizeof(buf), err)) > 0)
			;
		r = (int)n;
		if (r == 0)
			store_sha_final(&in.sha, out);
	}
	store_in_close(&in);
	close(fd);
	return r;
}

/* Unpack into tmp/ unless that diffid is in the store already; either
 * way the blob must really have the diffid the config claims. */
static int
unpack_layer(struct imp *m, struct file *f, const char *diffid,
    struct err *err)
{
	char *to = layer_path(m->s, diffid), *dir = NULL, got[72];
	struct store_in in;
	int fd, r;

	if (access(to, F_OK) == 0 || pending(m, to)) {
		r = layer_diffid(f, got, err);
		goto check;
	}
	dir = xasprintf("%s/layer%d", m->dir, m->seq++);
	if (mkdir(dir, 0755) < 0) {
		r = err_set(err, errno, "mkdir %s", dir);
		goto out;
	}
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = err_set(err, errno, "open %s", f->path);
		goto out;
	}
	if ((r = store_in_open_fd(&in, fd, err)) == 0)
		r = store_layer_unpack_into(&in, dir, got, err);
	store_in_close(&in);
	close(fd);
check:
	if (r == 0 && strcmp(got, diffid) != 0)
		r = err_setx(err, EINVAL, "diff_id mismatch: config says %s, "
		    "content is %s", diffid, got);
	if (r < 0)
		err_prefix(err, "layer %s", f->digest);
	else if (dir != NULL) {
		move_add(m, dir, to);
		to = NULL;
	}
out:
	free(to);
	free(dir);
	return r;
}

int
imp_image_manifest(struct imp *m, const char *digest, struct err *err)
{
	const struct json *layers, *ids, *l, *d;
	struct json *man = NULL, *cfg = NULL;
	struct file *f;
	int r;

	if ((r = imp_blob_json(m, digest, &man, err)) < 0)
		goto out;
	layers = json_get(man, "layers");
	if (layers == NULL || layers->type != JSON_ARR) {
		r = err_setx(err, EINVAL, "manifest %s: no layers", digest);
		goto out;
	}
	if ((r = imp_blob_json(m, json_path(man, "config.digest") ?
	    json_path(man, "config.digest")->s : NULL, &cfg, err)) < 0)
		goto out;
	ids = json_path(cfg, "rootfs.diff_ids");
	if (ids == NULL || ids->type != JSON_ARR || ids->n != layers->n) {
		r = err_setx(err, EINVAL, "manifest %s: config's diff_ids do "
		    "not match its layers", digest);
		goto out;
	}
	for (l = layers->child, d = ids->child; l != NULL && r == 0;
	    l = l->next, d = d->next) {
		if ((f = imp_blob(m, json_get_str(l, "digest"), err)) == NULL)
			r = -EINVAL;
		else if (d->type != JSON_STR || !store_digest_valid(d->s))
			r = err_setx(err, EINVAL, "manifest %s: bad diff_id",
			    digest);
		else if ((r = unpack_layer(m, f, d->s, err)) == 0)
			keep_blob(m, f);
	}
	if (r == 0) {
		keep_blob(m, imp_blob(m, json_path(man, "config.digest")->s, err));
		keep_blob(m, imp_blob(m, digest, err));
	}
out:
	json_free(man);
	json_free(cfg);
	return r;
}

static void
sync_store(struct imp *m)
{
	int fd;

	if ((fd = open(m->s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		syncfs(fd);
		close(fd);
	}
}

/* Sync, move blobs and layers in, sync, then publish the refs: a file
 * in blobs/ is whole after a crash (its data on disk before its name),
 * and index.json never names what is not on disk yet. */
static int
commit(struct imp *m, struct err *err)
{
	struct idx x;
	size_t i;
	int fd, r = 0;

	sync_store(m);
	for (i = 0; i < m->nmv && r == 0; i++)
		if (rename(m->mv[i].from, m->mv[i].to) < 0 &&
		    errno != EEXIST && errno != ENOTEMPTY)
			r = err_set(err, errno, "rename %s", m->mv[i].to);
	if (r < 0)
		return r;
	sync_store(m);
	if ((fd = idx_lock(m->s, err)) < 0)
		return fd;
	if ((r = idx_read(m->s, &x, err)) == 0) {
		for (i = 0; i < m->add.n; i++)
			idx_put(&x, m->add.e[i].ref, m->add.e[i].digest,
			    m->add.e[i].media, m->add.e[i].size);
		r = idx_write(m->s, &x, err);
	}
	idx_free(&x);
	idx_unlock(fd);
	return r;
}

/* "/x/busybox-1.36.tar.gz" -> "busybox-1.36", usable in a repo name. */
static void
make_hint(char *hint, size_t len, const char *archive)
{
	static const char *const ext[] = { ".gz", ".tgz", ".tar", ".oci" };
	const char *b = strrchr(archive, '/');
	size_t n, i, k, o = 0;

	b = b != NULL ? b + 1 : archive;
	n = strlen(b);
	for (i = 0; i < ARRAY_SIZE(ext); i++) {
		k = strlen(ext[i]);
		if (n > k && strncmp(b + n - k, ext[i], k) == 0) {
			n -= k;
			i = (size_t)-1;		/* "x.tar.gz": again */
		}
	}
	for (i = 0; i < n && o + 1 < len; i++) {
		char c = (char)tolower((unsigned char)b[i]);

		if (!isalnum((unsigned char)c) && (o == 0 ||
		    (c != '.' && c != '_' && c != '-')))
			c = o == 0 ? 'x' : '-';
		hint[o++] = c;
	}
	while (o > 0 && !isalnum((unsigned char)hint[o - 1]))
		o--;
	hint[o] = '\0';
	if (o == 0)
		snprintf(hint, len, "image");
}

static void
imp_free(struct imp *m)
{
	size_t i;

	for (i = 0; i < m->nf; i++) {
		free(m->f[i].name);
		free(m->f[i].path);
		free(m->f[i].alias);
	}
	free(m->f);
	for (i = 0; i < m->nmv; i++) {
		free(m->mv[i].from);
		free(m->mv[i].to);
	}
	free(m->mv);
	idx_free(&m->add);
	if (m->dir != NULL)
		(void)rm_rf(m->dir, NULL);
	free(m->dir);
}

int
store_import(struct store *s, const char *archive, char ***refs_out,
    struct err *err)
{
	struct imp m = { .s = s };
	size_t i;
	int fd, r;

	if (refs_out != NULL)
		*refs_out = NULL;
	make_hint(m.hint, sizeof(m.hint), archive);
	m.dir = xasprintf("%s/%d-XXXXXX", s->tmp, (int)getpid());
	if (mkdtemp(m.dir) == NULL) {
		r = err_set(err, errno, "mkdtemp %s", m.dir);
		free(m.dir);
		m.dir = NULL;
		goto out;
	}
	if ((fd = open(archive, O_RDONLY | O_CLOEXEC)) < 0) {
		r = err_set(err, errno, "open %s", archive);
		goto out;
	}
	r = read_archive(&m, fd, err);
	close(fd);
	if (r < 0)
		goto fail;
	if (imp_find(&m, "index.json") != NULL && imp_find(&m, "oci-layout") != NULL)
		r = imp_oci_layout(&m, err);
	if (r == 0 && m.add.n == 0 && imp_find(&m, "manifest.json") != NULL)
		r = imp_docker_archive(&m, err);
	else if (r == 0 && m.add.n == 0 && imp_find(&m, "index.json") == NULL)
		r = err_setx(err, EINVAL, "neither an OCI layout nor a "
		    "docker save archive");
	if (r == 0 && m.add.n == 0)
		r = err_setx(err, EINVAL, "archive names no image");
	if (r == 0)
		r = commit(&m, err);
	if (r < 0)
		goto fail;
	for (i = 0; refs_out != NULL && i < m.add.n; i++)
		strv_push(refs_out, m.add.e[i].ref);
	goto out;
fail:
	err_prefix(err, "import %s", archive);
out:
	imp_free(&m);
	return r;
}
