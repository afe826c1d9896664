/*
 * ref: image references, normalized the way Docker does so that
 * "busybox", "library/busybox:latest" and "docker.io/library/busybox"
 * are one image in the index.  The first component is a registry when it
 * has a '.' or a ':' or is "localhost"; docker.io is the default and
 * single-component names there get "library/".  A digest is kept; a
 * missing tag becomes "latest" unless a digest pins the image.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "store/store.h"

#define NAME_MAX_LEN	255
#define TAG_MAX_LEN	128

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool
component_ok(const char *c, size_t n)
{
	size_t i = 0, run;

	if (n == 0)
		return false;
	while (i < n) {
		if (!islower((unsigned char)c[i]) &&
		    !isdigit((unsigned char)c[i]))
			return false;
		while (i < n && (islower((unsigned char)c[i]) ||
		    isdigit((unsigned char)c[i])))
			i++;
		if (i == n)
			break;
		run = strspn(c + i, "-");
		if (run == 0) {
			if (c[i] == '.' || (c[i] == '_' && c[i + 1] != '_'))
				run = 1;
			else if (c[i] == '_' && c[i + 1] == '_')
				run = 2;
			else
				return false;
		}
		i += run;
		if (i >= n)
			return false;
	}
	return true;
}

static bool
registry_ok(const char *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)r[i]) && r[i] != '.' &&
		    r[i] != '-' && r[i] != ':' && r[i] != '[' && r[i] != ']')
			return false;
	return n > 0 && r[0] != '.' && r[0] != '-' && r[0] != ':';
}

bool
store_tag_valid(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > TAG_MAX_LEN ||
	    !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' &&
		    t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static int
check_path(const char *path, const char *in, struct err *err)
{
	const char *c = path, *slash;
	size_t n;

	for (;;) {
		slash = strchr(c, '/');
		n = slash != NULL ? (size_t)(slash - c) : strlen(c);
		for (size_t i = 0; i < n; i++)
			if (isupper((unsigned char)c[i]))
				return err_setx(err, EINVAL, "image reference "
				    "%s: repository name must be lowercase",
				    in);
		if (!component_ok(c, n))
			return err_setx(err, EINVAL, "image reference %s: "
			    "invalid repository name", in);
		if (slash == NULL)
			return 0;
		c = slash + 1;
	}
}

int
store_ref_normalize(const char *in, char *out, size_t outlen,
    struct err *err)
{
	char name[512], *at, *tag = NULL, *slash, *digest = NULL;
	const char *reg = "docker.io", *path;
	size_t reglen = 9;
	int n;

	if (strlen(in) >= sizeof(name) || in[0] == '\0')
		return err_setx(err, EINVAL, "image reference %s: %s", in,
		    in[0] == '\0' ? "empty" : "too long");
	strcpy(name, in);
	if ((at = strchr(name, '@')) != NULL) {
		*at = '\0';
		digest = at + 1;
		if (!store_digest_valid(digest))
			return err_setx(err, EINVAL, "image reference %s: "
			    "invalid digest", in);
	}
	slash = strrchr(name, '/');
	if ((tag = strrchr(slash != NULL ? slash : name, ':')) != NULL) {
		*tag++ = '\0';
		if (!store_tag_valid(tag))
			return err_setx(err, EINVAL, "image reference %s: "
			    "invalid tag", in);
	}
	path = name;
	slash = strchr(name, '/');
	if (slash != NULL && (memchr(name, '.', (size_t)(slash - name)) ||
	    memchr(name, ':', (size_t)(slash - name)) ||
	    strncmp(name, "localhost/", 10) == 0)) {
		reg = name;
		reglen = (size_t)(slash - name);
		path = slash + 1;
		if (!registry_ok(reg, reglen))
			return err_setx(err, EINVAL, "image reference %s: "
			    "invalid registry", in);
		if (reglen == 15 && strncmp(reg, "index.docker.io", 15) == 0) {
			reg = "docker.io";
			reglen = 9;
		}
	}
	if (check_path(path, in, err) < 0)
		return -EINVAL;
	n = snprintf(out, outlen, "%.*s/%s%s%s%s%s", (int)reglen, reg,
	    reglen == 9 && strncmp(reg, "docker.io", 9) == 0 &&
	    strchr(path, '/') == NULL ? "library/" : "", path,
	    tag != NULL || digest == NULL ? ":" : "",
	    tag != NULL ? tag : digest == NULL ? "latest" : "",
	    digest != NULL ? "@" : "");
	if (n < 0 || (size_t)n >= outlen ||
	    (digest != NULL && (size_t)n + strlen(digest) >= outlen))
		return err_setx(err, ENAMETOOLONG, "image reference %s: too "
		    "long", in);
	if (digest != NULL)
		strcat(out, digest);
	if (strcspn(out, ":@") > NAME_MAX_LEN)
		return err_setx(err, EINVAL, "image reference %s: name longer "
		    "than %d", in, NAME_MAX_LEN);
	return 0;
}
