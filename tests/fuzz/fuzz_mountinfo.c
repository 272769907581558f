/* libFuzzer target for the mountinfo reader (core/mount_table.c, libmount
 * behind it): whatever the text, the table is consistent, and lookups and
 * the FUSE helpers stay inside it.  Any broken invariant calls abort().
 *
 * Seeds: tests/fuzz/corpus/fuzz_mountinfo/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mount_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_mountinfo: invariant broken at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err = 0;
    struct mount_ns *ns = mount_ns_parse_text((const char *)data, size, &err);
    if (!ns)
        return 0;
    struct arena arena = {0};
    for (size_t i = 0; i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        REQUIRE(e->id > 0); /* fstab-looking text is refused, not listed */
        REQUIRE(i == 0 || ns->entries[i - 1].id <= e->id);
        REQUIRE(e->target && e->root);
        REQUIRE(mount_ns_find_id(ns, e->id) != NULL);
        uint32_t conn;
        if (mount_entry_fuse_conn(e, &conn)) {
            const char *mps = mount_ns_fuse_mountpoints(ns, conn, &arena);
            REQUIRE(!mps || strlen(mps) > 0);
        }
    }
    REQUIRE(ns->bad_lines == 0 || ns->first_bad_line <= size + 1);
    arena_free(&arena);
    mount_ns_free(ns);
    return 0;
}
