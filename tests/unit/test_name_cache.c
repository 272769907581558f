/* scan/name_cache: one entry per name and root, roots keyed by namespace
 * and root directory, and a bound past which names are not kept. */
#include <stdio.h>
#include <string.h>

#include "scan/name_cache.h"
#include "unit.h"

static struct file_identity dir(uint64_t inode)
{
    return (struct file_identity){.type = FTYPE_DIR,
                                  .dev_major = 8,
                                  .dev_minor = 1,
                                  .inode = inode,
                                  .has_mount_id = true,
                                  .mount_id = 30};
}

TEST(one_entry_per_name_and_root)
{
    struct name_cache c = {0};
    struct arena a = {0};
    const char name[] = "/data/log and more";
    struct name_cache_entry *e = name_cache_get(&c, &a, 0, name, 9);
    CHECK(e != NULL);
    if (!e)
        return;
    const char *path = e->path;
    CHECK_EQ_STR(path, "/data/log");
    CHECK(path != name);
    e->looked_up = true;
    e->result = 0;
    struct name_cache_entry *again = name_cache_get(&c, &a, 0, "/data/log", 9);
    CHECK(again != NULL && again->path == path && again->looked_up);
    struct name_cache_entry *other = name_cache_get(&c, &a, 0, "/data/lo", 8);
    CHECK(other != NULL && other->path != path && !other->looked_up);
    /* The same name in another root is another file. */
    struct file_identity d = dir(2);
    name_root root = name_cache_root(&c, 4026531840ULL, &d);
    CHECK(root != 0 && root != NAME_ROOT_UNKEPT);
    struct name_cache_entry *elsewhere = name_cache_get(&c, &a, root, "/data/log", 9);
    CHECK(elsewhere != NULL && !elsewhere->looked_up && elsewhere->root == root);
    CHECK_EQ_INT(c.len, 3);
    name_cache_free(&c);
    arena_free(&a);
}

TEST(roots_shared_by_namespace_and_directory_only)
{
    struct name_cache c = {0};
    struct file_identity d2 = dir(2), d2_again = dir(2), d3 = dir(3), d2_other_mount = dir(2);
    d2_other_mount.mount_id = 31;
    name_root a = name_cache_root(&c, 100, &d2);
    CHECK(a == name_cache_root(&c, 100, &d2_again));
    CHECK(a != name_cache_root(&c, 101, &d2));             /* another namespace */
    CHECK(a != name_cache_root(&c, 100, &d3));             /* a chroot */
    CHECK(a != name_cache_root(&c, 100, &d2_other_mount)); /* a bind mount of it */
    /* A root that could not be identified is nobody else's. */
    name_root u = name_cache_root(&c, 100, NULL);
    CHECK(u != a && u != name_cache_root(&c, 100, NULL));
    CHECK(u != 0 && u != NAME_ROOT_UNKEPT);
    name_cache_free(&c);
}

TEST(entries_survive_growth_and_stop_at_the_bound)
{
    struct name_cache c = {0};
    struct arena a = {0};
    char name[32];
    const char *first = NULL;
    size_t kept = 0;
    for (unsigned i = 0; i < NAME_CACHE_MAX + 10; i++) {
        int n = snprintf(name, sizeof(name), "/f%u", i);
        struct name_cache_entry *e = name_cache_get(&c, &a, 0, name, (size_t)n);
        kept += e != NULL;
        if (i == 0 && e)
            first = e->path;
    }
    CHECK_EQ_INT(kept, NAME_CACHE_MAX);
    struct name_cache_entry *e = name_cache_get(&c, &a, 0, "/f0", 3);
    CHECK(e != NULL && e->path == first);
    CHECK(name_cache_get(&c, &a, 0, "/new", 4) == NULL);
    CHECK(name_cache_get(&c, &a, NAME_ROOT_UNKEPT, "/f0", 3) == NULL);
    name_cache_free(&c);
    arena_free(&a);
}
