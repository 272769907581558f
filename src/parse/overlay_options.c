#include "parse/overlay_options.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

/* The end of the field starting at p: the first unescaped stop character
 * (or the end of the string). */
static const char *field_end(const char *p, const char *stops)
{
    while (*p && !strchr(stops, *p))
        p += p[0] == '\\' && p[1] ? 2 : 1;
    return p;
}

/* [p, end) with overlayfs's backslash escapes undone. */
static char *unescape(const char *p, const char *end)
{
    char *s = malloc((size_t)(end - p) + 1), *o = s;
    if (!s)
        return NULL;
    while (p < end) {
        if (p[0] == '\\' && p + 1 < end)
            p++;
        *o++ = *p++;
    }
    *o = '\0';
    return s;
}

static int add_layer(struct overlay_layers *out, enum overlay_role role, const char *p,
                     const char *end)
{
    if (p == end)
        return 0; /* "lowerdir=a::b": an empty name marks the data-only layers */
    char *path = unescape(p, end);
    struct overlay_layer *layer = path ? VEC_PUSH(out) : NULL;
    if (!layer) {
        free(path);
        return -ENOMEM;
    }
    *layer = (struct overlay_layer){role, path};
    return 0;
}

static bool key_is(const char *p, const char *end, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(end - p) == n && memcmp(p, key, n) == 0;
}

/* One "key=value" option; keys that name no layer are skipped. */
static int parse_option(const char *p, const char *end, struct overlay_layers *out)
{
    const char *eq = field_end(p, "=,");
    if (*eq != '=' || eq >= end)
        return 0;
    const char *value = eq + 1;
    if (key_is(p, eq, "lowerdir")) {
        /* Layers separated by ':'; "::" starts the data-only ones. */
        bool data = false;
        for (const char *v = value; v < end;) {
            const char *stop = field_end(v, ":,");
            if (stop > end)
                stop = end;
            if (stop == v && v != value)
                data = true;
            int r = add_layer(out, data ? OVERLAY_DATA : OVERLAY_LOWER, v, stop);
            if (r < 0)
                return r;
            v = stop < end ? stop + 1 : end;
        }
        return 0;
    }
    if (key_is(p, eq, "lowerdir+"))
        return add_layer(out, OVERLAY_LOWER, value, end);
    if (key_is(p, eq, "datadir+"))
        return add_layer(out, OVERLAY_DATA, value, end);
    if (key_is(p, eq, "upperdir"))
        return add_layer(out, OVERLAY_UPPER, value, end);
    if (key_is(p, eq, "workdir"))
        return add_layer(out, OVERLAY_WORK, value, end);
    return 0;
}

int overlay_layers_parse(const char *options, struct overlay_layers *out)
{
    for (const char *p = options ? options : ""; *p;) {
        const char *end = field_end(p, ",");
        int r = parse_option(p, end, out);
        if (r < 0)
            return r;
        p = *end ? end + 1 : end;
    }
    return 0;
}

void overlay_layers_free(struct overlay_layers *layers)
{
    for (size_t i = 0; i < layers->len; i++)
        free(layers->items[i].path);
    free(layers->items);
    memset(layers, 0, sizeof(*layers));
}

const char *overlay_role_name(enum overlay_role role)
{
    switch (role) {
    case OVERLAY_LOWER: return "lowerdir";
    case OVERLAY_UPPER: return "upperdir";
    case OVERLAY_WORK: return "workdir";
    case OVERLAY_DATA: return "datadir";
    }
    return "?";
}
