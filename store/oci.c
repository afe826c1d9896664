/*
 * oci: an OCI image layout inside an archive (skopeo's oci-archive:,
 * docker >= 25's save): index.json names the images.  A descriptor may
 * point at an image index (multi-arch): this machine's platform is
 * picked (uname's machine as GOARCH, with the arm variant), or the only
 * manifest there is; attestation entries (unknown/unknown) never match.
 * How annotations become refs is ref_from_annotations' business.
 */
#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "store/store_int.h"

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
	if ((r = imp_blob_json(m, json_get_str(desc, "digest"), hold,
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

int
imp_oci_layout(struct imp *m, struct err *err)
{
	const struct json *list, *c, *man;
	struct json *index = NULL, *hold;
	char ref[REF_MAX];
	int r;

	if ((r = imp_file_json(m, "index.json", &index, err)) < 0)
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
		    (r = imp_image_manifest(m, json_get_str(man, "digest"),
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
