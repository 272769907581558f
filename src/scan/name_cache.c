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

/* The slot of name in root: its entry's, or the free one where it goes. */
static uint32_t *slot_for(const struct name_cache *cache, uint32_t hash, name_root root,
                          const char *name, size_t len)
{
    for (size_t i = hash & (cache->nslots - 1);; i = (i + 1) & (cache->nslots - 1)) {
        uint32_t *slot = &cache->slots[i];
        if (!*slot)
            return slot;
        const struct name_cache_entry *e = &cache->entries[*slot - 1];
        if (e->hash == hash && e->root == root && e->len == len && memcmp(e->path, name, len) == 0)
            return slot;
    }
}

/* Room for one more entry; the slots stay at most half full, so a probe
 * always ends at a free one. */
static int grow(struct name_cache *cache)
{
    if (vec_reserve((void **)&cache->entries, &cache->cap, cache->len + 1, sizeof(*cache->entries),
                    NAME_CACHE_FIRST_CAP / 2) < 0)
        return -1;
    if ((cache->len + 1) * 2 <= cache->nslots)
        return 0;
    size_t nslots = cache->nslots ? cache->nslots * 2 : NAME_CACHE_FIRST_CAP;
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    free(cache->slots);
    cache->slots = slots;
    cache->nslots = nslots;
    for (size_t i = 0; i < cache->len; i++) {
        const struct name_cache_entry *e = &cache->entries[i];
        *slot_for(cache, e->hash, e->root, e->path, e->len) = (uint32_t)(i + 1);
    }
    return 0;
}

struct name_cache_entry *name_cache_get(struct name_cache *cache, struct arena *arena,
                                        name_root root, const char *name, size_t len)
{
    if (root == NAME_ROOT_UNKEPT || len > UINT32_MAX)
        return NULL;
    uint32_t hash = name_hash(root, name, len);
    if (cache->nslots) {
        uint32_t *slot = slot_for(cache, hash, root, name, len);
        if (*slot)
            return &cache->entries[*slot - 1];
    }
    if (cache->len >= NAME_CACHE_MAX || grow(cache) < 0)
        return NULL;
    char *path = arena_strndup(arena, name, len);
    if (!path)
        return NULL;
    struct name_cache_entry *e = &cache->entries[cache->len];
    *e = (struct name_cache_entry){.path = path, .len = (uint32_t)len, .hash = hash, .root = root};
    *slot_for(cache, hash, root, name, len) = (uint32_t)++cache->len;
    return e;
}

void name_cache_free(struct name_cache *cache)
{
    free(cache->entries);
    free(cache->slots);
    free(cache->roots.items);
    memset(cache, 0, sizeof(*cache));
}
