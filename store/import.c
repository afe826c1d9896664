/*
 * import: an image archive into the store, for devices with no registry.
 * Two formats, both read once as a stream (plain or gzipped tar):
 *   - an OCI image layout (skopeo's oci-archive:, docker >= 25's save):
 *     oci-layout, index.json, blobs/sha256/<hex>;
 *   - a `docker save` archive: manifest.json naming Config, RepoTags and
 *     Layers ("<id>/layer.tar" or "blobs/sha256/<hex>"), where duplicate
 *     layers may be symlinks to each other.
 * A docker archive is turned into an OCI manifest so both end up alike.
 *
 * Every file goes to tmp/<pid>-XXXXXX first and every blob's digest is
 * checked as it streams by.  Layers are unpacked there too and their
 * diffids compared with the config's rootfs.diff_ids; only when all of an
 * archive checks out are blobs and layers renamed into place, synced, and
 * the refs written to index.json.  A failure leaves nothing but tmp/,
 * which is removed.
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

struct file {
	char *name;		/* in the archive, cleaned */
	char *path;		/* in tmp/, NULL for an alias */
	char *alias;		/* link target (archive name) */
	int64_t size;
	char digest[72];
	bool gz;
};

struct move {
	char *from, *to;
};

struct imp {
	struct store *s;
	char *dir;
	char hint[128];
	struct file *f;
	size_t nf;
	struct move *mv;	/* done at commit, in order */
	size_t nmv;
	struct idx add;
	int seq;
};

static char *
clean_name(const char *n)
{
	while (n[0] == '.' && n[1] == '/')
		for (n += 2; *n == '/'; n++)
			;
	return xstrdup(n);
}

static struct file *
add_file(struct imp *m, const char *name)
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
static struct file *
find(struct imp *m, const char *name)
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
	store_tar_init(&t, &in);
	while ((r = store_tar_next(&t, &e, err)) > 0) {
		if (e->type != '0' && e->type != '1' && e->type != '2')
			continue;
		if (m->nf >= MAX_FILES) {
			r = err_setx(err, EFBIG, "more than %d files",
			    MAX_FILES);
			break;
		}
		f = add_file(m, e->name);
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

static int
file_json(struct imp *m, const char *name, struct json **out,
    struct err *err)
{
	struct file *f = find(m, name);
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

static struct file *
blob(struct imp *m, const char *digest, struct err *err)
{
	struct file *f;
	char *name;

	if (!store_digest_valid(digest)) {
		err_setx(err, EINVAL, "invalid digest %s",
		    digest != NULL ? digest : "(none)");
		return NULL;
	}
	name = xasprintf("blobs/sha256/%s", digest + 7);
	if ((f = find(m, name)) == NULL)
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

static int
blob_file_json(struct imp *m, const char *digest, struct json **out,
    struct err *err)
{
	char *name;
	int r;

	*out = NULL;
	if (blob(m, digest, err) == NULL)
		return -EINVAL;
	name = xasprintf("blobs/sha256/%s", digest + 7);
	r = file_json(m, name, out, err);
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
			store_sha_final(&in.sha_out, out);
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

static int
image_manifest(struct imp *m, const char *digest, struct err *err)
{
	const struct json *layers, *ids, *l, *d;
	struct json *man = NULL, *cfg = NULL;
	struct file *f;
	int r;

	if ((r = blob_file_json(m, digest, &man, err)) < 0)
		goto out;
	layers = json_get(man, "layers");
	if (layers == NULL || layers->type != JSON_ARR) {
		r = err_setx(err, EINVAL, "manifest %s: no layers", digest);
		goto out;
	}
	if ((r = blob_file_json(m, json_path(man, "config.digest") ?
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
		if ((f = blob(m, json_get_str(l, "digest"), err)) == NULL)
			r = -EINVAL;
		else if (d->type != JSON_STR || !store_digest_valid(d->s))
			r = err_setx(err, EINVAL, "manifest %s: bad diff_id",
			    digest);
		else if ((r = unpack_layer(m, f, d->s, err)) == 0)
			keep_blob(m, f);
	}
	if (r == 0) {
		keep_blob(m, blob(m, json_path(man, "config.digest")->s, err));
		keep_blob(m, blob(m, digest, err));
	}
out:
	json_free(man);
	json_free(cfg);
	return r;
}

static bool
platform_match(const struct json *p, const char *arch, const char *variant)
{
	const char *v = json_get_str(p, "variant");

	if (p == NULL || json_get_str(p, "os") == NULL ||
	    strcmp(json_get_str(p, "os"), "linux") != 0 ||
	    json_get_str(p, "architecture") == NULL ||
	    strcmp(json_get_str(p, "architecture"), arch) != 0)
		return false;
	return v == NULL || variant[0] == '\0' || strcmp(v, variant) == 0;
}

/* A descriptor to an image manifest; an index is resolved to this
 * machine's platform, or to its only manifest. */
static int
resolve(struct imp *m, const struct json *desc, const struct json **out,
    struct json **hold, struct err *err)
{
	const char *mt = json_get_str(desc, "mediaType");
	const struct json *list, *c, *pick = NULL;
	char arch[16], variant[8];
	int r;

	*out = desc;
	if (mt == NULL || (strcmp(mt, MT_OCI_INDEX) != 0 &&
	    strcmp(mt, MT_DOCKER_LIST) != 0))
		return 0;
	if ((r = blob_file_json(m, json_get_str(desc, "digest"), hold,
	    err)) < 0)
		return r;
	list = json_get(*hold, "manifests");
	if (list == NULL || list->type != JSON_ARR || list->n == 0)
		return err_setx(err, EINVAL, "index %s: no manifests",
		    json_get_str(desc, "digest"));
	store_platform(arch, variant);
	for (c = list->child; c != NULL && pick == NULL; c = c->next)
		if (platform_match(json_get(c, "platform"), arch, variant))
			pick = c;
	if (pick == NULL && list->n == 1)
		pick = list->child;
	if (pick == NULL)
		return err_setx(err, ENOENT, "index %s: no image for linux/%s%s"
		    "%s", json_get_str(desc, "digest"), arch,
		    variant[0] ? "/" : "", variant);
	*out = pick;
	return 0;
}

static int
oci_layout(struct imp *m, struct err *err)
{
	const struct json *list, *c, *man;
	struct json *index = NULL, *hold;
	char ref[REF_MAX];
	int r;

	if ((r = file_json(m, "index.json", &index, err)) < 0)
		return r;
	list = json_get(index, "manifests");
	for (c = list != NULL ? list->child : NULL; c != NULL && r >= 0;
	    c = c->next) {
		r = ref_from_annotations(json_get(c, "annotations"), m->hint,
		    ref, sizeof(ref), err);
		if (r != 0)
			continue;
		hold = NULL;
		if ((r = resolve(m, c, &man, &hold, err)) == 0 &&
		    (r = image_manifest(m, json_get_str(man, "digest"),
		    err)) == 0)
			idx_put(&m->add, ref, json_get_str(man, "digest"),
			    json_get_str(man, "mediaType") != NULL ?
			    json_get_str(man, "mediaType") : MT_OCI_MANIFEST,
			    json_get_int(man, "size", 0));
		json_free(hold);
	}
	json_free(index);
	return r < 0 ? r : 0;
}

/* Write a made-up blob (docker archives have no manifest) into tmp/. */
static const char *
synth_blob(struct imp *m, const void *data, size_t len, struct err *err)
{
	char digest[72], *name;
	struct file *f;
	int fd;

	store_sha_buf(data, len, digest);
	name = xasprintf("blobs/sha256/%s", digest + 7);
	if ((f = find(m, name)) != NULL) {
		free(name);
		return f->digest;
	}
	f = add_file(m, name);
	free(name);
	f->path = xasprintf("%s/f%zu", m->dir, m->nf);
	memcpy(f->digest, digest, sizeof(digest));
	f->size = (int64_t)len;
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, data, len) < 0) {
		err_set(err, errno, "write %s", f->path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return f->digest;
}

/* An alias "blobs/sha256/<hex>" for an archive file, named by content. */
static struct file *
as_blob(struct imp *m, const char *name, struct err *err)
{
	struct file *f = find(m, name), *a;
	char *bn;

	if (f == NULL) {
		err_setx(err, ENOENT, "%s missing from the archive", name);
		return NULL;
	}
	bn = xasprintf("blobs/sha256/%s", f->digest + 7);
	if (find(m, bn) == NULL) {
		const char *target = f->name;
		char *t = xstrdup(target);

		a = add_file(m, bn);
		a->alias = t;
		f = find(m, bn);
	}
	free(bn);
	return f;
}

static const char *
docker_manifest(struct imp *m, const struct json *ent, struct err *err)
{
	const struct json *layers = json_get(ent, "Layers"), *l;
	struct file *cf, *lf;
	const char *d = NULL;
	struct jsonw w;
	struct buf b;

	if ((cf = as_blob(m, json_get_str(ent, "Config") != NULL ?
	    json_get_str(ent, "Config") : "(no Config)", err)) == NULL)
		return NULL;
	if (layers == NULL || layers->type != JSON_ARR) {
		err_setx(err, EINVAL, "manifest.json: no Layers");
		return NULL;
	}
	buf_init(&b, STORE_JSON_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kint(&w, "schemaVersion", 2);
	jw_kstr(&w, "mediaType", MT_OCI_MANIFEST);
	jw_key(&w, "config");
	jw_obj(&w);
	jw_kstr(&w, "mediaType", MT_OCI_CONFIG);
	jw_kstr(&w, "digest", cf->digest);
	jw_kint(&w, "size", cf->size);
	jw_obj_end(&w);
	jw_key(&w, "layers");
	jw_arr(&w);
	for (l = layers->child; l != NULL; l = l->next) {
		if (l->type != JSON_STR ||
		    (lf = as_blob(m, l->s, err)) == NULL)
			goto out;
		jw_obj(&w);
		jw_kstr(&w, "mediaType", lf->gz ? MT_OCI_LAYER_GZ :
		    MT_OCI_LAYER);
		jw_kstr(&w, "digest", lf->digest);
		jw_kint(&w, "size", lf->size);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err == 0)
		d = synth_blob(m, b.p, b.len, err);
	else
		err_setx(err, EFBIG, "manifest.json: too many layers");
out:
	buf_free(&b);
	return d;
}

static int
docker_archive(struct imp *m, struct err *err)
{
	const struct json *c, *tags, *t;
	struct json *list = NULL;
	char ref[REF_MAX], digest[72];
	const char *d;
	int64_t size;
	int r;

	if ((r = file_json(m, "manifest.json", &list, err)) < 0)
		return r;
	for (c = list->type == JSON_ARR ? list->child : NULL; c != NULL;
	    c = c->next) {
		tags = json_get(c, "RepoTags");
		if (tags == NULL || tags->type != JSON_ARR || tags->n == 0)
			continue;
		if ((d = docker_manifest(m, c, err)) == NULL) {
			r = -EINVAL;
			break;
		}
		memcpy(digest, d, sizeof(digest));
		if ((r = image_manifest(m, digest, err)) < 0)
			break;
		size = blob(m, digest, NULL)->size;
		for (t = tags->child; t != NULL && r == 0; t = t->next) {
			if (t->type != JSON_STR)
				continue;
			if ((r = store_ref_normalize(t->s, ref, sizeof(ref),
			    err)) == 0)
				idx_put(&m->add, ref, digest, MT_OCI_MANIFEST,
				    size);
		}
		if (r < 0)
			break;
	}
	json_free(list);
	return r;
}

/* Move blobs and layers in, sync, then publish the refs. */
static int
commit(struct imp *m, struct err *err)
{
	struct idx x;
	size_t i;
	int fd, r = 0;

	for (i = 0; i < m->nmv && r == 0; i++)
		if (rename(m->mv[i].from, m->mv[i].to) < 0 &&
		    errno != EEXIST && errno != ENOTEMPTY)
			r = err_set(err, errno, "rename %s", m->mv[i].to);
	if (r < 0)
		return r;
	/* index.json must never name what is not on disk yet */
	if ((fd = open(m->s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		syncfs(fd);
		close(fd);
	}
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
	if (find(&m, "index.json") != NULL && find(&m, "oci-layout") != NULL)
		r = oci_layout(&m, err);
	if (r == 0 && m.add.n == 0 && find(&m, "manifest.json") != NULL)
		r = docker_archive(&m, err);
	else if (r == 0 && m.add.n == 0 && find(&m, "index.json") == NULL)
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
