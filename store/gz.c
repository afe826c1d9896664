/*
 * gz: the byte source under the tar reader.  Layers and archives come
 * plain or gzipped; the gzip magic decides, never the file name.  Several
 * gzip members in a row (pigz, concatenated files) are one stream, as
 * gunzip treats them; bytes after the last member that start no new one
 * are ignored, as gunzip does (tape padding).  zstd layers are refused
 * with a clear message.
 * The inflated bytes are digested as they pass: a layer's diffid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/util.h"
#include "store/store.h"

#define IBUF	65536

static ssize_t
raw_read(struct store_in *in, struct err *err)
{
	ssize_t r;

	if (in->mem != NULL) {
		r = (ssize_t)MIN(in->memlen - in->mempos, (size_t)IBUF);
		memcpy(in->ibuf, in->mem + in->mempos, (size_t)r);
		in->mempos += (size_t)r;
	} else {
		do
			r = read(in->fd, in->ibuf, IBUF);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return err_set(err, errno, "read");
	}
	in->ilen = (size_t)r;
	in->ipos = 0;
	return r;
}

static int
start(struct store_in *in, struct err *err)
{
	z_stream *z;
	ssize_t r;

	in->ibuf = xmalloc(IBUF);
	store_sha_init(&in->sha);
	/* a short first read cannot hide the magic: read until 4 bytes */
	while (in->ilen < 4) {
		size_t have = in->ilen;
		unsigned char keep[4];

		memcpy(keep, in->ibuf, have);
		if ((r = raw_read(in, err)) < 0)
			return (int)r;
		if (r == 0) {
			memcpy(in->ibuf, keep, have);
			in->ilen = have;
			break;
		}
		memmove(in->ibuf + have, in->ibuf, (size_t)r);
		memcpy(in->ibuf, keep, have);
		in->ilen = have + (size_t)r;
	}
	if (in->ilen >= 4 && memcmp(in->ibuf, "\x28\xb5\x2f\xfd", 4) == 0)
		return err_setx(err, ENOTSUP, "zstd compression not supported");
	if (in->ilen < 2 || in->ibuf[0] != 0x1f || in->ibuf[1] != 0x8b)
		return 0;
	in->gz = true;
	z = xcalloc(1, sizeof(*z));
	in->z = z;
	if (inflateInit2(z, 16 + MAX_WBITS) != Z_OK)
		return err_setx(err, ENOMEM, "gzip: inflateInit failed");
	in->zinit = true;
	return 0;
}

int
store_in_open_fd(struct store_in *in, int fd, struct err *err)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	return start(in, err);
}

int
store_in_open_mem(struct store_in *in, const void *p, size_t n,
    struct err *err)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->mem = p != NULL ? p : (const unsigned char *)"";
	in->memlen = n;
	return start(in, err);
}

static ssize_t
inflate_some(struct store_in *in, void *buf, size_t n, struct err *err)
{
	z_stream *z = in->z;
	ssize_t r, k;
	int zr;

	for (;;) {
		if (in->ipos == in->ilen) {
			if ((r = raw_read(in, err)) < 0)
				return r;
			if (r == 0)
				return err_setx(err, EINVAL,
				    "gzip: unexpected end of data");
		}
		z->next_in = in->ibuf + in->ipos;
		z->avail_in = (uInt)(in->ilen - in->ipos);
		z->next_out = buf;
		z->avail_out = (uInt)MIN(n, (size_t)IBUF);
		zr = inflate(z, Z_NO_FLUSH);
		in->ipos = in->ilen - z->avail_in;
		r = (ssize_t)(MIN(n, (size_t)IBUF) - z->avail_out);
		if (zr == Z_STREAM_END) {
			/* another member may follow; else this is the end,
			 * and zero padding after it is ignored as gzip does */
			if (in->ipos == in->ilen && (k = raw_read(in, err)) <= 0) {
				if (k < 0)
					return k;
				in->eof = true;
			} else if (in->ibuf[in->ipos] != 0x1f)
				in->eof = true;
			else if (inflateReset(z) != Z_OK)
				return err_setx(err, EINVAL, "gzip: reset");
			if (r > 0 || in->eof)
				return r;
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return err_setx(err, EINVAL, "gzip: corrupt data (%s)",
			    z->msg != NULL ? z->msg : "inflate failed");
		if (r > 0)
			return r;
	}
}

ssize_t
store_in_read(struct store_in *in, void *buf, size_t n, struct err *err)
{
	ssize_t r;

	if (n == 0 || in->eof)
		return 0;
	if (in->gz)
		r = inflate_some(in, buf, n, err);
	else {
		if (in->ipos == in->ilen && (r = raw_read(in, err)) <= 0) {
			if (r == 0)
				in->eof = true;
			return r;
		}
		r = (ssize_t)MIN(n, in->ilen - in->ipos);
		memcpy(buf, in->ibuf + in->ipos, (size_t)r);
		in->ipos += (size_t)r;
	}
	if (r > 0) {
		if (!in->nodigest)
			store_sha_update(&in->sha, buf, (size_t)r);
		in->nout += r;
	}
	return r;
}

int
store_in_blame(struct store_in *in, int r, struct err *err)
{
	struct err e2;
	char buf[65536];
	ssize_t n;

	/* corrupt deflate data often inflates to garbage first and fails
	 * its CRC only at the end: that is the error worth reporting */
	if (!in->gz || r >= 0)
		return r;
	while ((n = store_in_read(in, buf, sizeof(buf), &e2)) > 0)
		;
	if (n < 0 && strncmp(e2.msg, "gzip", 4) == 0) {
		if (err != NULL)
			*err = e2;
		return (int)n;
	}
	return r;
}

void
store_in_close(struct store_in *in)
{
	if (in->zinit)
		inflateEnd(in->z);
	free(in->z);
	free(in->ibuf);
	if (in->ibuf != NULL || in->z != NULL) {
		store_sha_free(&in->sha);
	}
	in->z = NULL;
	in->ibuf = NULL;
	in->zinit = false;
}
