/*
 * volume: spec.volumes of a Pod into typed struct cfg_volume.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

/* Each volume: a name and exactly one source, kept as a node. */
void
dec_volumes(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_pod *pod)
{
	const struct cfg_node *c, *f;
	struct cfg_volume *v;
	char p[DEC_PATH], fp[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	pod->volumes = xcalloc(n->n + 1, sizeof(*pod->volumes));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		v = &pod->volumes[pod->nvolumes++];
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (!strcmp(f->key, "name")) {
				if (dec_str(d, f, fp, &v->name) == 0)
					dec_name(d, f, fp, v->name,
					    cfg_check_dns1123_label, "name");
			} else if (v->type != NULL) {
				dec_error(d, f, fp, "may not specify more than "
				    "1 volume type");
			} else {
				v->type = xstrdup(f->key);
				v->node = f;
			}
		}
		if (v->name == NULL)
			dec_missing(d, c, p, "name");
		if (v->type == NULL)
			dec_error(d, c, p, "must specify a volume type");
	}
	dec_dups(d, &n, &path, 1, "name");
}

void
dec_volume_free(struct cfg_volume *v)
{
	free(v->name);
	free(v->type);
}
