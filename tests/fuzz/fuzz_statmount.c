/* libFuzzer target for the statmount(2) record decoder and its mountinfo
 * form (parse/statmount_record.c).  Any broken invariant calls abort() so
 * libFuzzer keeps the input.
 *
 * Seeds: tests/fuzz/corpus/fuzz_statmount/. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/statmount_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_statmount: invariant broken at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A decoded string lies inside the input, after the header, terminated. */
static void check_string(const char *s, const uint8_t *data, size_t size)
{
    if (!s)
        return;
    REQUIRE((const uint8_t *)s >= data + STATMOUNT_HEADER_SIZE && (const uint8_t *)s < data + size);
    REQUIRE(memchr(s, '\0', size - (size_t)((const uint8_t *)s - data)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct statmount_record rec;
    if (statmount_record_decode(data, size, &rec) < 0)
        return 0;
    check_string(rec.mnt_root, data, size);
    check_string(rec.mnt_point, data, size);
    check_string(rec.fs_type, data, size);
    check_string(rec.fs_subtype, data, size);
    check_string(rec.sb_source, data, size);
    check_string(rec.mnt_opts, data, size);
    REQUIRE(rec.mnt_root && rec.mnt_point && rec.fs_type);
    static char line[1 << 17];
    int n = statmount_record_format(&rec, line, sizeof(line));
    if (n == -ENOSPC)
        return 0;
    /* One line of fields: a newline at its end and nowhere else, no tab. */
    REQUIRE(n > 0 && (size_t)n == strlen(line));
    REQUIRE(line[n - 1] == '\n' && !memchr(line, '\n', (size_t)n - 1));
    REQUIRE(!strchr(line, '\t'));
    REQUIRE(strstr(line, " - ") != NULL);
    return 0;
}
