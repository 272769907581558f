#include "scan/name_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

enum { NAME_CACHE_FIRST_CAP = 256 };

static bool same_dir(const struct file_identity *a, const struct file_identity *b)
{
    return a->dev_major == b->dev_major && a->dev_minor == b->dev_minor && a->inode == b->inode &&
           a->has_mount_id == b->has_mount_id && a->mount_id == b->mount_id;
}

name_root name_cache_root(struct name_cache *cache, uint64_t mnt_ns,
                          const struct file_identity *dir)
{
    for (size_t i = 0; dir && i < cache->roots.len; i++) {
        const struct name_root_key *k = &cache->roots.items[i];
        if (k->shared && k->mnt_ns == mnt_ns && same_dir(&k->dir, dir))
            return (name_root)(i + 1);
    }
    struct name_root_key key = {.shared = dir != NULL, .mnt_ns = mnt_ns};
    if (dir)
        key.dir = *dir;
    if (cache->roots.len + 1 >= NAME_ROOT_UNKEPT || VEC_APPEND(&cache->roots, key) < 0)
        return NAME_ROOT_UNKEPT;
    return (name_root)cache->roots.len;
}

/* FNV-1a over the root and the bytes. */
static uint32_t name_hash(name_root root, const char *name, size_t len)
{
    uint32_t h = 2166136261u ^ root;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

static struct name_cache_entry *slot_for(struct name_cache_entry *slots, size_t cap, uint32_t hash,
                                         name_root root, const char *name, size_t len)
{
    for (size_t i = hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct name_cache_entry *e = &slots[i];
        if (!e->path || (e->hash == hash && e->root == root && e->len == len &&
                         memcmp(e->path, name, len) == 0))
            return e;
    }
}

/* Doubles the table while it is under the bound; the load stays at most
 * one half, so a probe always ends at a free slot. */
static int grow(struct name_cache *cache)
{
    size_t cap = cache->cap ? cache->cap * 2 : NAME_CACHE_FIRST_CAP;
    struct name_cache_entry *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < cache->cap; i++) {
        const struct name_cache_entry *e = &cache->slots[i];
        if (e->path)
            *slot_for(slots, cap, e->hash, e->root, e->path, e->len) = *e;
    }
    free(cache->slots);
    cache->slots = slots;
    cache->cap = cap;
    return 0;
}

struct name_cache_entry *name_cache_get(struct name_cache *cache, struct arena *arena,
                                        name_root root, const char *name, size_t len)
{
    if (root == NAME_ROOT_UNKEPT || len > UINT32_MAX)
        return NULL;
    uint32_t hash = name_hash(root, name, len);
    if (cache->cap) {
        struct name_cache_entry *e = slot_for(cache->slots, cache->cap, hash, root, name, len);
        if (e->path)
            return e;
    }
    if (cache->len >= NAME_CACHE_MAX)
        return NULL;
    if ((cache->len + 1) * 2 > cache->cap && grow(cache) < 0)
        return NULL;
    char *path = arena_strndup(arena, name, len);
    if (!path)
        return NULL;
    struct name_cache_entry *e = slot_for(cache->slots, cache->cap, hash, root, name, len);
    *e = (struct name_cache_entry){.path = path, .len = (uint32_t)len, .hash = hash, .root = root};
    cache->len++;
    return e;
}

void name_cache_free(struct name_cache *cache)
{
    free(cache->slots);
    free(cache->roots.items);
    memset(cache, 0, sizeof(*cache));
}
