/* The layers of an overlayfs mount, from its superblock options as
 * mountinfo shows them (libmount has already undone the octal escapes):
 * "lowerdir=/a:/b,upperdir=/u,workdir=/w", "lowerdir+=/a,datadir+=/d".
 * overlayfs escapes ',' ':' and '\' in a layer name with a backslash.
 * Pure: a string in, paths out. */
#ifndef LSHIDDEN_PARSE_OVERLAY_OPTIONS_H
#define LSHIDDEN_PARSE_OVERLAY_OPTIONS_H

#include <stddef.h>

enum overlay_role { OVERLAY_LOWER, OVERLAY_UPPER, OVERLAY_WORK, OVERLAY_DATA };

struct overlay_layer {
    enum overlay_role role;
    char *path; /* malloc'd, unescaped */
};

struct overlay_layers {
    struct overlay_layer *items;
    size_t len, cap;
};

/* Appends every layer named in options to out.  Returns 0, or -ENOMEM
 * (what was parsed so far is kept). */
int overlay_layers_parse(const char *options, struct overlay_layers *out);
void overlay_layers_free(struct overlay_layers *layers);

/* "lowerdir", "upperdir", "workdir", "datadir". */
const char *overlay_role_name(enum overlay_role role);

#endif
