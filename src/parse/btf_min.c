#include "parse/btf_min.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { BTF_MAGIC = 0xeB9F, BTF_HEADER_LEN = 24, TYPE_LEN = 12 };

/* The kernel's BTF_KIND_* numbers (include/uapi/linux/btf.h). */
enum {
    KIND_INT = 1,
    KIND_PTR,
    KIND_ARRAY,
    KIND_STRUCT,
    KIND_UNION,
    KIND_ENUM,
    KIND_FWD,
    KIND_TYPEDEF,
    KIND_VOLATILE,
    KIND_CONST,
    KIND_RESTRICT,
    KIND_FUNC,
    KIND_FUNC_PROTO,
    KIND_VAR,
    KIND_DATASEC,
    KIND_FLOAT,
    KIND_DECL_TAG,
    KIND_TYPE_TAG,
    KIND_ENUM64,
};

struct btf_view {
    const unsigned char *types, *strs;
    size_t types_len, strs_len;
    uint32_t *offsets; /* of type id i at offsets[i], ids from 1 */
    uint32_t ntypes;
};

struct essential_name {
    const char *name;
    size_t len;
    bool found;
};

struct out_buf {
    unsigned char *data;
    size_t len, cap;
};

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static unsigned kind_of(uint32_t info)
{
    return (info >> 24) & 0x1f;
}

static unsigned vlen_of(uint32_t info)
{
    return info & 0xffff;
}

/* Bytes a record of this kind has after its 12 common ones; -1 for a
 * kind this reader does not know, whose length it cannot tell. */
static long extra_bytes(unsigned kind, unsigned vlen)
{
    switch (kind) {
    case KIND_INT:
    case KIND_VAR:
    case KIND_DECL_TAG: return 4;
    case KIND_ARRAY: return 12;
    case KIND_STRUCT:
    case KIND_UNION:
    case KIND_DATASEC:
    case KIND_ENUM64: return 12L * vlen;
    case KIND_ENUM:
    case KIND_FUNC_PROTO: return 8L * vlen;
    case KIND_PTR:
    case KIND_FWD:
    case KIND_TYPEDEF:
    case KIND_VOLATILE:
    case KIND_CONST:
    case KIND_RESTRICT:
    case KIND_FUNC:
    case KIND_FLOAT:
    case KIND_TYPE_TAG: return 0;
    default: return -1;
    }
}

static size_t record_len(const struct btf_view *v, uint32_t id)
{
    uint32_t info = get_u32(v->types + v->offsets[id] + 4);
    return TYPE_LEN + (size_t)extra_bytes(kind_of(info), vlen_of(info));
}

/* The NUL-terminated string at off, or NULL when off is outside the
 * string section or the string runs past its end. */
static const char *string_at(const struct btf_view *v, uint32_t off)
{
    if (off >= v->strs_len)
        return NULL;
    const char *s = (const char *)v->strs + off;
    return memchr(s, '\0', v->strs_len - off) ? s : NULL;
}

static int view_init(struct btf_view *v, const unsigned char *base, size_t len)
{
    memset(v, 0, sizeof(*v));
    if (len < BTF_HEADER_LEN)
        return -EINVAL;
    uint16_t magic;
    memcpy(&magic, base, sizeof(magic));
    uint32_t hdr_len = get_u32(base + 4), type_off = get_u32(base + 8),
             type_len = get_u32(base + 12), str_off = get_u32(base + 16),
             str_len = get_u32(base + 20);
    if (magic != BTF_MAGIC || base[2] != 1 || hdr_len < BTF_HEADER_LEN || hdr_len > len)
        return -EINVAL;
    size_t body = len - hdr_len;
    if (type_off > body || type_len > body - type_off || str_off > body ||
        str_len > body - str_off || str_len == 0)
        return -EINVAL;
    v->types = base + hdr_len + type_off;
    v->types_len = type_len;
    v->strs = base + hdr_len + str_off;
    v->strs_len = str_len;
    if (v->strs[0] != '\0')
        return -EINVAL; /* offset 0 is the empty name in every BTF */
    v->offsets = malloc((type_len / TYPE_LEN + 1) * sizeof(*v->offsets));
    if (!v->offsets)
        return -ENOMEM;
    for (size_t off = 0; off < type_len;) {
        if (type_len - off < TYPE_LEN)
            return -EINVAL;
        uint32_t info = get_u32(v->types + off + 4);
        long extra = extra_bytes(kind_of(info), vlen_of(info));
        if (extra < 0 || (size_t)extra > type_len - off - TYPE_LEN)
            return -EINVAL;
        v->offsets[++v->ntypes] = (uint32_t)off;
        off += TYPE_LEN + (size_t)extra;
    }
    return 0;
}

/* libbpf ignores a "___flavour" suffix when it matches names. */
static size_t essential_len(const char *name)
{
    const char *flavour = strstr(name, "___");
    return flavour ? (size_t)(flavour - name) : strlen(name);
}

static int cmp_name(const void *a, const void *b)
{
    const struct essential_name *x = a, *y = b;
    int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A name whose essential part is empty ("___x") names nothing. */
static struct essential_name *find_name(struct essential_name *names, size_t n, const char *name)
{
    struct essential_name key = {name, essential_len(name), false};
    return n && key.len ? bsearch(&key, names, n, sizeof(*names), cmp_name) : NULL;
}

struct closure {
    uint32_t *new_id; /* by old id; 0: not taken */
    uint32_t *order;  /* old ids, in the order taken: new id - 1 */
    uint32_t count;
};

static void take(struct closure *c, const struct btf_view *v, uint32_t id)
{
    if (id == 0 || id > v->ntypes || c->new_id[id])
        return;
    c->new_id[id] = ++c->count;
    c->order[c->count - 1] = id;
}

enum field_role { FIELD_NAME, FIELD_TYPE };

typedef int (*field_fn)(size_t off, enum field_role role, void *arg);

/* Calls each() with the offset in the record at t of every field that
 * holds a name or a type id (all but a pointer's target, which relocation
 * never looks through), and stops at the first that fails. */
static int each_field(const unsigned char *t, field_fn each, void *arg)
{
    uint32_t info = get_u32(t + 4);
    unsigned kind = kind_of(info), vlen = vlen_of(info);
    int r = each(0, FIELD_NAME, arg);
    switch (kind) {
    case KIND_STRUCT:
    case KIND_UNION:
        for (unsigned i = 0; r == 0 && i < vlen; i++)
            if ((r = each(TYPE_LEN + 12 * i, FIELD_NAME, arg)) == 0)
                r = each(TYPE_LEN + 12 * i + 4, FIELD_TYPE, arg);
        break;
    case KIND_ENUM:
    case KIND_ENUM64:
        for (unsigned i = 0; r == 0 && i < vlen; i++)
            r = each(TYPE_LEN + (kind == KIND_ENUM ? 8 : 12) * i, FIELD_NAME, arg);
        break;
    case KIND_ARRAY:
        if (r == 0 && (r = each(TYPE_LEN, FIELD_TYPE, arg)) == 0)
            r = each(TYPE_LEN + 4, FIELD_TYPE, arg);
        break;
    case KIND_FUNC_PROTO:
        if (r == 0)
            r = each(8, FIELD_TYPE, arg);
        for (unsigned i = 0; r == 0 && i < vlen; i++)
            if ((r = each(TYPE_LEN + 8 * i, FIELD_NAME, arg)) == 0)
                r = each(TYPE_LEN + 8 * i + 4, FIELD_TYPE, arg);
        break;
    case KIND_DATASEC:
        for (unsigned i = 0; r == 0 && i < vlen; i++)
            r = each(TYPE_LEN + 12 * i, FIELD_TYPE, arg);
        break;
    case KIND_TYPEDEF:
    case KIND_VOLATILE:
    case KIND_CONST:
    case KIND_RESTRICT:
    case KIND_FUNC:
    case KIND_VAR:
    case KIND_DECL_TAG:
    case KIND_TYPE_TAG:
        if (r == 0)
            r = each(8, FIELD_TYPE, arg);
        break;
    default: break;
    }
    return r;
}

struct taking {
    struct closure *c;
    const struct btf_view *v;
    const unsigned char *t;
};

static int take_field(size_t off, enum field_role role, void *arg)
{
    struct taking *tk = arg;
    if (role == FIELD_TYPE)
        take(tk->c, tk->v, get_u32(tk->t + off));
    return 0;
}

/* Takes every type the record refers to, but through a pointer. */
static void take_referenced(struct closure *c, const struct btf_view *v, uint32_t id)
{
    struct taking tk = {c, v, v->types + v->offsets[id]};
    each_field(tk.t, take_field, &tk);
}

static bool is_named_root(unsigned kind)
{
    return kind == KIND_STRUCT || kind == KIND_UNION || kind == KIND_ENUM || kind == KIND_ENUM64;
}

static void take_roots(struct closure *c, const struct btf_view *v, struct essential_name *names,
                       size_t nnames)
{
    for (uint32_t id = 1; id <= v->ntypes; id++) {
        const unsigned char *t = v->types + v->offsets[id];
        if (!is_named_root(kind_of(get_u32(t + 4))))
            continue;
        const char *name = string_at(v, get_u32(t));
        struct essential_name *hit = name && *name ? find_name(names, nnames, name) : NULL;
        if (hit) {
            hit->found = true;
            take(c, v, id);
        }
    }
    for (uint32_t i = 0; i < c->count; i++)
        take_referenced(c, v, c->order[i]);
}

static int out_reserve(struct out_buf *o, size_t more)
{
    if (o->cap - o->len >= more)
        return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap - o->len < more)
        cap *= 2;
    unsigned char *p = realloc(o->data, cap);
    if (!p)
        return -ENOMEM;
    o->data = p;
    o->cap = cap;
    return 0;
}

/* Appends the string at off of the old section; returns its new offset
 * (0 for the empty name), or UINT32_MAX when out of memory or unreadable. */
static uint32_t copy_string(struct out_buf *strs, const struct btf_view *v, uint32_t off)
{
    const char *s = off ? string_at(v, off) : "";
    if (!s)
        return UINT32_MAX;
    if (!*s)
        return 0;
    size_t n = strlen(s) + 1;
    if (out_reserve(strs, n) < 0 || strs->len > UINT32_MAX - n)
        return UINT32_MAX;
    memcpy(strs->data + strs->len, s, n);
    strs->len += n;
    return (uint32_t)(strs->len - n);
}

struct rewriting {
    unsigned char *t; /* the copied record */
    const struct closure *c;
    const struct btf_view *v;
    struct out_buf *strs;
};

/* A name into the new string section; a type id into the new numbering. */
static int rewrite_field(size_t off, enum field_role role, void *arg)
{
    struct rewriting *rw = arg;
    unsigned char *field = rw->t + off;
    uint32_t old = get_u32(field);
    if (role == FIELD_TYPE) {
        put_u32(field, old && old <= rw->v->ntypes ? rw->c->new_id[old] : 0);
        return 0;
    }
    uint32_t name = copy_string(rw->strs, rw->v, old);
    if (name == UINT32_MAX)
        return -EINVAL;
    put_u32(field, name);
    return 0;
}

/* Rewrites one copied record: names into the new string section, type ids
 * into the new numbering, pointers to void. */
static int rewrite(unsigned char *t, const struct closure *c, const struct btf_view *v,
                   struct out_buf *strs)
{
    struct rewriting rw = {t, c, v, strs};
    if (kind_of(get_u32(t + 4)) == KIND_PTR)
        put_u32(t + 8, 0);
    return each_field(t, rewrite_field, &rw);
}

static int emit(const struct closure *c, const struct btf_view *v, struct btf_min *out)
{
    struct out_buf types = {0}, strs = {0};
    int r = out_reserve(&strs, 1);
    if (r == 0)
        strs.data[strs.len++] = '\0';
    for (uint32_t i = 0; r == 0 && i < c->count; i++) {
        uint32_t id = c->order[i];
        size_t n = record_len(v, id);
        r = out_reserve(&types, n);
        if (r < 0)
            break;
        memcpy(types.data + types.len, v->types + v->offsets[id], n);
        r = rewrite(types.data + types.len, c, v, &strs);
        types.len += n;
    }
    size_t total = BTF_HEADER_LEN + types.len + strs.len;
    if (r == 0 && (types.len > UINT32_MAX || strs.len > UINT32_MAX))
        r = -EINVAL;
    if (r == 0 && !(out->data = malloc(total)))
        r = -ENOMEM;
    if (r == 0) {
        unsigned char *p = (unsigned char *)out->data;
        uint16_t magic = BTF_MAGIC;
        memcpy(p, &magic, sizeof(magic));
        p[2] = 1; /* version */
        p[3] = 0; /* flags */
        put_u32(p + 4, BTF_HEADER_LEN);
        put_u32(p + 8, 0);
        put_u32(p + 12, (uint32_t)types.len);
        put_u32(p + 16, (uint32_t)types.len);
        put_u32(p + 20, (uint32_t)strs.len);
        if (types.len)
            memcpy(p + BTF_HEADER_LEN, types.data, types.len);
        memcpy(p + BTF_HEADER_LEN + types.len, strs.data, strs.len);
        out->len = total;
    }
    free(types.data);
    free(strs.data);
    return r;
}

/* The names, sorted, each essential name once; *n is their count. */
static struct essential_name *sorted_names(const char *const *names, size_t *n)
{
    struct essential_name *sorted = calloc(*n ? *n : 1, sizeof(*sorted));
    if (!sorted)
        return NULL;
    for (size_t i = 0; i < *n; i++)
        sorted[i] = (struct essential_name){names[i], essential_len(names[i]), false};
    if (*n > 1)
        qsort(sorted, *n, sizeof(*sorted), cmp_name);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (sorted[i].len && (kept == 0 || cmp_name(&sorted[kept - 1], &sorted[i]) != 0))
            sorted[kept++] = sorted[i];
    *n = kept;
    return sorted;
}

int btf_min_build(const void *base, size_t len, const char *const *names, size_t nnames,
                  struct btf_min *out)
{
    memset(out, 0, sizeof(*out));
    struct btf_view v = {0};
    struct closure c = {0};
    struct essential_name *sorted = sorted_names(names, &nnames);
    int r = sorted ? view_init(&v, base, len) : -ENOMEM;
    if (r == 0) {
        c.new_id = calloc((size_t)v.ntypes + 1, sizeof(*c.new_id));
        c.order = calloc((size_t)v.ntypes + 1, sizeof(*c.order));
        r = c.new_id && c.order ? 0 : -ENOMEM;
    }
    if (r == 0) {
        take_roots(&c, &v, sorted, nnames);
        r = emit(&c, &v, out);
    }
    out->wanted = nnames;
    for (size_t i = 0; r == 0 && i < nnames; i++)
        out->found += sorted[i].found;
    out->names = sorted;
    if (r < 0)
        btf_min_free(out);
    free(c.new_id);
    free(c.order);
    free(v.offsets);
    return r;
}

bool btf_min_found(const struct btf_min *min, const char *name)
{
    const struct essential_name *hit =
        find_name((struct essential_name *)min->names, min->wanted, name);
    return hit && hit->found;
}

void btf_min_free(struct btf_min *min)
{
    free(min->data);
    free(min->names);
    memset(min, 0, sizeof(*min));
}
