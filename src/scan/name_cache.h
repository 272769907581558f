/* The names io_uring fdinfo prints, kept once per worker thread: the one
 * string every row with that name shares, and what looking the name up
 * found.  A host's rings tend to register the same few files in many
 * slots (40 rings x 500 slots over 200 files), and each lookup is an
 * openat2(), a statx() and a close().
 *
 * A name means the same file only within one root: entries are keyed by
 * the root the lookup is made in (ours, or a process's root in another
 * mount namespace) as well as by the name.  Bounded: past NAME_CACHE_MAX
 * names, more are neither kept nor shared (every lookup is then made). */
#ifndef LSHIDDEN_SCAN_NAME_CACHE_H
#define LSHIDDEN_SCAN_NAME_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/file_identity.h"
#include "util/arena.h"

enum { NAME_CACHE_MAX = 1 << 15 };

/* A root names are looked up in: 0 is ours (and that of a scan that
 * looks nothing up); NAME_ROOT_UNKEPT one whose names are not kept. */
typedef uint32_t name_root;
#define NAME_ROOT_UNKEPT UINT32_MAX

struct name_cache_entry {
    const char *path; /* in the worker's arena: rows point at it */
    uint32_t len, hash;
    name_root root;
    bool looked_up; /* result, id and blocked are known */
    bool warned;    /* the -EAGAIN warning of blocked was given */
    int result;     /* of file_identity_by_name() */
    const struct mount_entry *blocked;
    struct file_identity id;
};

struct name_root_key {
    bool shared; /* false: a root that could not be identified, never shared */
    uint64_t mnt_ns;
    struct file_identity dir;
};

struct name_cache {
    struct name_cache_entry *entries; /* in the order added */
    size_t len, cap;
    uint32_t *slots; /* open addressing: an entry's index + 1, 0 free */
    size_t nslots;
    struct {
        struct name_root_key *items;
        size_t len, cap;
    } roots;
};

/* The root of a process in another mount namespace: mnt_ns and the
 * identity of its root directory; with dir NULL (not known), a root of
 * its own, shared with no other process.  NAME_ROOT_UNKEPT on allocation
 * failure. */
name_root name_cache_root(struct name_cache *cache, uint64_t mnt_ns,
                          const struct file_identity *dir);

/* The entry of name[0..len) looked up in root, added if new (the string
 * copied into arena).  NULL when the cache is full, root is
 * NAME_ROOT_UNKEPT or memory ran out: the caller then keeps a string of
 * its own and looks the name up itself.  The entry moves on the next
 * call (its path does not). */
struct name_cache_entry *name_cache_get(struct name_cache *cache, struct arena *arena,
                                        name_root root, const char *name, size_t len);

void name_cache_free(struct name_cache *cache);

#endif
