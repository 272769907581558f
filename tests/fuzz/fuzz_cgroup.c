/* libFuzzer target for parse/cgroup_parse.c: whatever the text, the unit
 * is a NUL-terminated name shorter than CGROUP_UNIT_MAX with nothing in it
 * a terminal would act on, and the container id is 12 hex digits or
 * empty.  Any broken invariant calls abort().
 *
 * Seeds: tests/fuzz/corpus/fuzz_cgroup/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/cgroup_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_cgroup: invariant broken at line %d: %s\n", __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_owner(const struct cgroup_owner *o)
{
    size_t ulen = strnlen(o->unit, sizeof(o->unit));
    REQUIRE(ulen < sizeof(o->unit));
    for (size_t i = 0; i < ulen; i++)
        REQUIRE((unsigned char)o->unit[i] > 0x20 && o->unit[i] != 0x7f && o->unit[i] != '/');
    size_t clen = strnlen(o->container, sizeof(o->container));
    REQUIRE(clen == 0 || clen == CGROUP_CONTAINER_LEN);
    REQUIRE(strspn(o->container, "0123456789abcdef") == clen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cgroup_owner owner;
    memset(&owner, 0x55, sizeof(owner)); /* garbage in: the parser must set both */
    cgroup_file_parse((const char *)data, size, &owner);
    check_owner(&owner);
    char unit[CGROUP_UNIT_MAX], id[CGROUP_CONTAINER_LEN + 1];
    if (cgroup_path_unit((const char *)data, size, unit))
        REQUIRE(strlen(unit) > 0 && strlen(unit) < sizeof(unit));
    if (cgroup_path_container((const char *)data, size, id))
        REQUIRE(strlen(id) == CGROUP_CONTAINER_LEN);
    return 0;
}
