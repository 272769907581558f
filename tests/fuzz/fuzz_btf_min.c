/* libFuzzer target for the minimal-BTF builder (parse/btf_min.c): any
 * input either is refused or gives a BTF that the builder reads back with
 * the same types.  A broken invariant calls abort() so libFuzzer keeps the
 * input.
 *
 * Seeds: tests/fuzz/corpus/fuzz_btf_min/ (small BTFs). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/btf_min.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_btf_min: invariant broken at line %d: %s\n", __LINE__, #cond);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const names[] = {"file", "file___old", "path", "inode", "a", "b", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct btf_min min;
    int r = btf_min_build(data, size, names, sizeof(names) / sizeof(names[0]), &min);
    REQUIRE(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r != 0) {
        REQUIRE(min.data == NULL);
        return 0;
    }
    REQUIRE(min.found <= min.wanted);
    /* What it wrote is a BTF it reads, and building again keeps every type
     * (maybe numbered in another order: a type first reached through a
     * member may be a named one the second time). */
    struct btf_min again;
    REQUIRE(btf_min_build(min.data, min.len, names, sizeof(names) / sizeof(names[0]), &again) == 0);
    REQUIRE(again.len == min.len && again.found == min.found);
    btf_min_free(&again);
    btf_min_free(&min);
    return 0;
}
