/* libFuzzer target for the sock_diag AF_UNIX dump parser
 * (parse/unix_diag_parse.c) and the "net:[N]" link parser, over the same
 * bytes.  The input is copied to a buffer of its exact size, so a read
 * past it trips ASan; any broken invariant calls abort() so libFuzzer
 * keeps the input.
 *
 * Seeds: tests/fuzz/corpus/fuzz_unix_diag/. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/unix_diag_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_unix_diag: invariant broken at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void fuzz_dump(const unsigned char *buf, size_t len)
{
    struct unix_diag_cursor cur;
    struct unix_diag_sock s;
    int r, guard = 0;
    unix_diag_cursor_init(&cur, buf, len);
    while ((r = unix_diag_next(&cur, &s)) == UNIX_DIAG_SOCKET && guard++ < 100000) {
        REQUIRE(cur.off <= len);
        if (s.name) {
            /* A name is a span of the input, without NULs, never empty. */
            const unsigned char *p = (const unsigned char *)s.name;
            REQUIRE(p >= buf && p + s.name_len <= buf + len);
            REQUIRE(s.name_len > 0 && !memchr(p, '\0', s.name_len));
        } else {
            REQUIRE(s.name_len == 0);
        }
        REQUIRE(s.vfs_major < (1u << 12) && s.vfs_minor < (1u << 20));
    }
    REQUIRE(guard < 100000); /* every call makes progress */
    REQUIRE(r == UNIX_DIAG_END || r == UNIX_DIAG_DONE || (r < 0 && r >= -4095));
    /* Whatever ended the stream, it stays ended. */
    REQUIRE(cur.off == len && unix_diag_next(&cur, &s) == UNIX_DIAG_END);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    REQUIRE(buf);
    memcpy(buf, data, size);
    fuzz_dump(buf, size);
    /* Odd offsets too: the parser must not rely on alignment. */
    if (size > 1)
        fuzz_dump(buf + 1, size - 1);

    char *text = malloc(size + 1);
    REQUIRE(text);
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t ino;
    int r = net_ns_link_parse(text, &ino);
    REQUIRE(r == 0 || r == -EINVAL);
    free(text);
    free(buf);
    return 0;
}
