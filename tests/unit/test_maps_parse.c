/* Unit tests of the /proc/PID/maps parser: maps_next, maps_decode_path and
 * map_entry_is_uring. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/maps_parse.h"
#include "unit.h"

/* Parses the one line in text (which may or may not end in '\n'). */
static int parse_one(const char *text, struct map_entry *e)
{
    const char *cur = text, *end = text + strlen(text);
    memset(e, 0x5a, sizeof(*e));
    int r = maps_next(&cur, end, e);
    return r;
}

/* The entry's path, decoded, in a static buffer. */
static const char *decoded(const struct map_entry *e)
{
    static char buf[4096];
    if (e->path_len + 1 > sizeof(buf))
        return NULL;
    size_t n = maps_decode_path(e->path, e->path_len, buf);
    if (n != strlen(buf))
        return NULL;
    return buf;
}

static int path_is(const struct map_entry *e, const char *want)
{
    return e->path_len == strlen(want) && memcmp(e->path, want, e->path_len) == 0;
}

TEST(line_with_path)
{
    struct map_entry e;
    CHECK_EQ_INT(parse_one("55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234567                 "
                           "   /usr/bin/cat\n",
                           &e),
                 1);
    CHECK(e.start == 0x55d0c0a00000ull);
    CHECK(e.end == 0x55d0c0a02000ull);
    CHECK_EQ_STR(e.perms, "r--p");
    CHECK(e.offset == 0);
    CHECK_EQ_INT(e.dev_major, 8);
    CHECK_EQ_INT(e.dev_minor, 1);
    CHECK(e.inode == 1234567);
    CHECK(path_is(&e, "/usr/bin/cat"));
    CHECK_EQ_STR(decoded(&e), "/usr/bin/cat");
    CHECK(!map_entry_is_uring(&e));
}

TEST(line_with_offset_and_big_dev)
{
    struct map_entry e;
    CHECK_EQ_INT(
        parse_one("7f3a1c228000-7f3a1c3bd000 r-xp 00028000 103:02 2883603                  "
                  "  /usr/lib/x86_64-linux-gnu/libc.so.6",
                  &e),
        1);
    CHECK(e.offset == 0x28000);
    CHECK_EQ_INT(e.dev_major, 0x103);
    CHECK_EQ_INT(e.dev_minor, 2);
    CHECK(e.inode == 2883603);
    CHECK_EQ_STR(e.perms, "r-xp");
    CHECK(path_is(&e, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
    /* maximum device numbers: 12-bit major, 20-bit minor */
    CHECK_EQ_INT(parse_one("1000-2000 rw-s 00000000 fff:fffff 1 /x\n", &e), 1);
    CHECK_EQ_INT(e.dev_major, 0xfff);
    CHECK_EQ_INT(e.dev_minor, 0xfffff);
    /* the top of the address space and a 64-bit offset */
    CHECK_EQ_INT(parse_one("ffffffffff600000-ffffffffff601000 --xp ffffffffffffffff 00:00 0        "
                           "          [vsyscall]\n",
                           &e),
                 1);
    CHECK(e.start == 0xffffffffff600000ull);
    CHECK(e.end == 0xffffffffff601000ull);
    CHECK(e.offset == UINT64_MAX);
    CHECK_EQ_STR(e.perms, "--xp");
    CHECK(path_is(&e, "[vsyscall]"));
    /* 32-bit style, 8 hex digits */
    CHECK_EQ_INT(parse_one("08048000-08049000 r-xp 00000000 03:0c 64593 /usr/sbin/gpm\n", &e), 1);
    CHECK(e.start == 0x08048000);
    CHECK_EQ_INT(e.dev_minor, 0xc);
}

TEST(line_without_path)
{
    struct map_entry e;
    /* the kernel ends a nameless line with the inode and one space */
    CHECK_EQ_INT(parse_one("7ffd1c5e2000-7ffd1c604000 rw-p 00000000 00:00 0 \n", &e), 1);
    CHECK(e.inode == 0);
    CHECK_EQ_INT(e.path_len, 0);
    CHECK_EQ_STR(decoded(&e), "");
    CHECK(!map_entry_is_uring(&e));
    /* tolerated without the space too */
    CHECK_EQ_INT(parse_one("7ffd1c5e2000-7ffd1c604000 rw-p 00000000 00:00 0\n", &e), 1);
    CHECK_EQ_INT(e.path_len, 0);
    CHECK_EQ_INT(parse_one("7ffd1c5e2000-7ffd1c604000 rw-p 00000000 00:00 0", &e), 1);
    CHECK_EQ_INT(e.path_len, 0);
}

TEST(pseudo_paths)
{
    struct map_entry e;
    CHECK_EQ_INT(
        parse_one("5581e2b5b000-5581e2b7c000 rw-p 00000000 00:00 0                         "
                  " [heap]\n",
                  &e),
        1);
    CHECK(path_is(&e, "[heap]"));
    CHECK_EQ_INT(
        parse_one("7ffd1c5e2000-7ffd1c604000 rw-p 00000000 00:00 0                         "
                  " [stack]\n",
                  &e),
        1);
    CHECK(path_is(&e, "[stack]"));
    CHECK_EQ_INT(
        parse_one("7f0000000000-7f0000001000 rw-s 00000000 00:01 1042 /dev/zero (deleted)\n", &e),
        1);
    CHECK(path_is(&e, "/dev/zero (deleted)"));
    CHECK_EQ_INT(parse_one("7f0000000000-7f0000001000 rw-s 00000000 00:01 2049 /SYSV00000000 "
                           "(deleted)\n",
                           &e),
                 1);
    CHECK(path_is(&e, "/SYSV00000000 (deleted)"));
}

TEST(deleted_suffix_kept)
{
    /* maps prints " (deleted)" raw; the parser leaves the caller to judge */
    struct map_entry e;
    CHECK_EQ_INT(parse_one("7f5a00000000-7f5a00001000 rw-s 00000000 00:01 5123                     "
                           "  /memfd:mybuf (deleted)\n",
                           &e),
                 1);
    CHECK(path_is(&e, "/memfd:mybuf (deleted)"));
    CHECK_EQ_STR(decoded(&e), "/memfd:mybuf (deleted)");
    CHECK(e.inode == 5123);
    CHECK_EQ_INT(e.dev_minor, 1);
    CHECK_EQ_INT(
        parse_one("7f5a00000000-7f5a00001000 r--p 00000000 08:01 99 /tmp/gone (deleted)", &e), 1);
    CHECK_EQ_STR(decoded(&e), "/tmp/gone (deleted)");
}

TEST(newline_escape_in_path)
{
    struct map_entry e;
    CHECK_EQ_INT(parse_one("7f5a00000000-7f5a00001000 r--p 00000000 08:01 42 /tmp/a\\012b\n", &e),
                 1);
    CHECK(path_is(&e, "/tmp/a\\012b"));
    CHECK_EQ_STR(decoded(&e), "/tmp/a\nb");
    CHECK_EQ_INT(maps_decode_path(e.path, e.path_len, (char[32]){0}), strlen("/tmp/a\nb"));
    /* several, adjacent, and at both ends of the name */
    CHECK_EQ_INT(
        parse_one("7f5a00000000-7f5a00001000 r--p 00000000 08:01 42 /\\012\\012x\\012\n", &e), 1);
    CHECK_EQ_STR(decoded(&e), "/\n\nx\n");
}

TEST(decode_leaves_other_bytes_alone)
{
    /* maps escapes only '\n': spaces, tabs, backslashes and other octal
     * sequences are the file's own bytes */
    char out[64];
    static const char raw[] = "/a b\tc\\d\\040e\\01\\";
    size_t n = maps_decode_path(raw, strlen(raw), out);
    CHECK_EQ_INT(n, strlen(raw));
    CHECK_EQ_STR(out, raw);
    /* "\\012" must be a whole escape: a short one at the end stays */
    n = maps_decode_path("/x\\01", 5, out);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_STR(out, "/x\\01");
    /* the decoder honours path_len, not a NUL */
    n = maps_decode_path("/x\\012yz", 4, out);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_STR(out, "/x\\0");
    n = maps_decode_path("", 0, out);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_STR(out, "");
    /* escaped backslash before 012 is not the kernel's: each byte as is */
    n = maps_decode_path("\\\\012", 5, out);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(out, "\\\n");
}

TEST(spaces_in_path_kept)
{
    struct map_entry e;
    CHECK_EQ_INT(parse_one("7f5a00000000-7f5a00001000 r--p 00000000 08:01 42                       "
                           "   /tmp/a b  c \n",
                           &e),
                 1);
    CHECK(path_is(&e, "/tmp/a b  c "));
}

TEST(uring_mappings)
{
    struct map_entry e;
    /* SQ/CQ rings at offset 0, SQEs at 0x10000000 */
    CHECK_EQ_INT(parse_one("7f1c2e000000-7f1c2e002000 rw-s 00000000 00:0f 85414                    "
                           "  anon_inode:[io_uring]\n",
                           &e),
                 1);
    CHECK(map_entry_is_uring(&e));
    CHECK(e.inode == 85414);
    CHECK_EQ_INT(e.dev_major, 0);
    CHECK_EQ_INT(e.dev_minor, 15);
    CHECK_EQ_STR(e.perms, "rw-s");
    CHECK_EQ_INT(parse_one("7f1c2e003000-7f1c2e004000 rw-s 10000000 00:0f 85414                    "
                           "  anon_inode:[io_uring]",
                           &e),
                 1);
    CHECK(map_entry_is_uring(&e));
    CHECK(e.offset == 0x10000000);
    /* no padding at all */
    CHECK_EQ_INT(parse_one("1000-2000 rw-s 08000000 00:0f 7 anon_inode:[io_uring]\n", &e), 1);
    CHECK(map_entry_is_uring(&e));

    static const char *const not_uring[] = {
        "1000-2000 rw-s 00000000 00:0f 7 anon_inode:[io_uringx]\n",
        "1000-2000 rw-s 00000000 00:0f 7 anon_inode:[io_urin]\n",
        "1000-2000 rw-s 00000000 00:0f 7 anon_inode:[eventfd]\n",
        "1000-2000 rw-s 00000000 00:0f 7 /anon_inode:[io_uring]\n",
        "1000-2000 rw-s 00000000 00:0f 7 anon_inode:[io_uring] (deleted)\n",
        "1000-2000 rw-s 00000000 00:0f 7 /tmp/anon_inode:[io_uring]\n",
        "1000-2000 rw-s 00000000 00:0f 7 \n",
    };
    for (size_t i = 0; i < sizeof(not_uring) / sizeof(not_uring[0]); i++) {
        CHECK_EQ_INT(parse_one(not_uring[i], &e), 1);
        CHECK(!map_entry_is_uring(&e));
    }
}

TEST(aio_mappings)
{
    struct map_entry e;
    CHECK_EQ_INT(parse_one("7f3640725000-7f3640726000 rw-s 00000000 00:13 145693                 "
                           "    /[aio] (deleted)\n",
                           &e),
                 1);
    CHECK(map_entry_is_aio(&e));
    CHECK(!map_entry_is_uring(&e));
    CHECK_EQ_INT(parse_one("1000-2000 rw-s 00000000 00:13 7 /[aio]\n", &e), 1);
    CHECK(map_entry_is_aio(&e));

    static const char *const not_aio[] = {
        "1000-2000 rw-s 00000000 00:13 7 /[aio]x\n",
        "1000-2000 rw-s 00000000 00:13 7 [aio]\n",
        "1000-2000 rw-s 00000000 00:13 7 /tmp/[aio] (deleted)\n",
        "1000-2000 rw-s 00000000 00:13 7 /[aio] (deleted) \n",
        "1000-2000 rw-s 00000000 00:0f 7 anon_inode:[io_uring]\n",
        "1000-2000 rw-s 00000000 00:13 7 \n",
    };
    for (size_t i = 0; i < sizeof(not_aio) / sizeof(not_aio[0]); i++) {
        CHECK_EQ_INT(parse_one(not_aio[i], &e), 1);
        CHECK(!map_entry_is_aio(&e));
    }
}

TEST(iterate_whole_file)
{
    static const char maps[] =
        "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234567                    /usr/bin/cat\n"
        "55d0c1c4e000-55d0c1c6f000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f1c2e000000-7f1c2e002000 rw-s 00000000 00:0f 85414                      "
        "anon_inode:[io_uring]\n"
        "7f1c2e003000-7f1c2e004000 rw-s 10000000 00:0f 85414                      "
        "anon_inode:[io_uring]\n"
        "7f1c2e005000-7f1c2e006000 rw-s 00000000 00:0f 85499                      "
        "anon_inode:[io_uring]\n"
        "7ffd1c5e2000-7ffd1c604000 rw-p 00000000 00:00 0 \n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
    const char *cur = maps, *end = maps + strlen(maps);
    struct map_entry e;
    int n = 0, uring = 0, r;
    uint64_t inodes[8] = {0};
    while ((r = maps_next(&cur, end, &e)) == 1) {
        if (n < 8)
            inodes[n] = e.inode;
        n++;
        uring += map_entry_is_uring(&e);
        CHECK(cur <= end);
    }
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(n, 7);
    CHECK_EQ_INT(uring, 3);
    CHECK(cur == end);
    CHECK(inodes[0] == 1234567 && inodes[2] == 85414 && inodes[4] == 85499 && inodes[6] == 0);
    /* at the end it keeps returning 0 */
    CHECK_EQ_INT(maps_next(&cur, end, &e), 0);
    CHECK_EQ_INT(maps_next(&cur, end, &e), 0);
    /* an empty buffer */
    cur = maps;
    CHECK_EQ_INT(maps_next(&cur, maps, &e), 0);
}

TEST(iterate_without_trailing_newline)
{
    static const char maps[] = "1000-2000 r--p 00000000 08:01 1 /a\n"
                               "3000-4000 r--p 00000000 08:01 2 /b";
    const char *cur = maps, *end = maps + strlen(maps);
    struct map_entry e;
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK(path_is(&e, "/a"));
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK(path_is(&e, "/b"));
    CHECK(e.inode == 2);
    CHECK(cur == end);
    CHECK_EQ_INT(maps_next(&cur, end, &e), 0);
}

TEST(malformed_lines)
{
    static const char *const bad[] = {
        "\n",                                                      /* empty line */
        "garbage\n",                                               /* not a mapping */
        "1000 2000 r--p 00000000 08:01 1 /a\n",                    /* no '-' */
        "1000-2000\n",                                             /* truncated */
        "1000-2000 r--p\n",                                        /* truncated */
        "1000-2000 r--p 00000000\n",                               /* truncated */
        "1000-2000 r--p 00000000 08:01\n",                         /* no inode */
        "1000-2000 r--p 00000000 08:01 \n",                        /* no inode */
        "-2000 r--p 00000000 08:01 1 /a\n",                        /* empty start */
        "1000- r--p 00000000 08:01 1 /a\n",                        /* empty end */
        "10G0-2000 r--p 00000000 08:01 1 /a\n",                    /* not hex */
        "1000-2000 r--p 0000000x 08:01 1 /a\n",                    /* not hex */
        "1000-2000 r--p 00000000 0g:01 1 /a\n",                    /* not hex */
        "1000-2000 r--p 00000000 08-01 1 /a\n",                    /* no ':' in dev */
        "1000-2000 r--p 00000000 08:01 x /a\n",                    /* inode not decimal */
        "1000-2000 r--p 00000000 08:01 -1 /a\n",                   /* negative inode */
        "1000-2000 r-p 00000000 08:01 1 /a\n",                     /* perms too short */
        "1000-2000 r--pp 00000000 08:01 1 /a\n",                   /* perms too long */
        "1000-2000  r--p 00000000 08:01 1 /a\n",                   /* double space */
        "10000000000000000-2000 r--p 00000000 08:01 1 /a\n",       /* 17 hex digits */
        "1000-2000 r--p 00000000 1000:01 1 /a\n",                  /* major > 0xfff */
        "1000-2000 r--p 00000000 08:100000 1 /a\n",                /* minor > 0xfffff */
        "1000-2000 r--p 00000000 08:01 18446744073709551616 /a\n", /* inode overflow */
        "1000-2000\tr--p 00000000 08:01 1 /a\n",                   /* tab */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct map_entry e;
        int r = parse_one(bad[i], &e);
        if (r != -EINVAL) {
            fprintf(stderr, "  accepted (r=%d): %s", r, bad[i]);
            unit_failures_in_test++;
        }
    }
}

TEST(malformed_inode_followed_by_text)
{
    /* The inode field ends at a space or the end of the line. */
    struct map_entry e;
    int r = parse_one("1000-2000 r--p 00000000 08:01 123abc /a\n", &e);
    CHECK_EQ_INT(r, -EINVAL);
    r = parse_one("1000-2000 r--p 00000000 08:01 123/a\n", &e);
    CHECK_EQ_INT(r, -EINVAL);
}

TEST(largest_inode)
{
    /* The kernel prints the inode with %lu: every 64-bit value is valid. */
    struct map_entry e;
    CHECK_EQ_INT(parse_one("1000-2000 r--p 00000000 08:01 18446744073709551615 /a\n", &e), 1);
    CHECK(e.inode == UINT64_MAX);
    CHECK_EQ_INT(parse_one("1000-2000 r--p 00000000 08:01 18446744073709551609 /a\n", &e), 1);
    CHECK(e.inode == UINT64_MAX - 6);
}

TEST(malformed_line_is_skipped)
{
    /* After an error the cursor is past the bad line, so a caller can go
     * on with the next one. */
    static const char maps[] = "1000-2000 r--p 00000000 08:01 1 /a\n"
                               "this is not a mapping\n"
                               "3000-4000 r--p 00000000 08:01 2 /b\n";
    const char *cur = maps, *end = maps + strlen(maps);
    struct map_entry e;
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK_EQ_INT(maps_next(&cur, end, &e), -EINVAL);
    CHECK(cur == strstr(maps, "3000-"));
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK(path_is(&e, "/b"));
    CHECK_EQ_INT(maps_next(&cur, end, &e), 0);
}

TEST(path_never_spans_lines)
{
    static const char maps[] =
        "1000-2000 r--p 00000000 08:01 1 /a\n3000-4000 r--p 00000000 08:01 2\n";
    const char *cur = maps, *end = maps + strlen(maps);
    struct map_entry e;
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK_EQ_INT(e.path_len, 2);
    CHECK(memchr(e.path, '\n', e.path_len) == NULL);
    CHECK_EQ_INT(maps_next(&cur, end, &e), 1);
    CHECK_EQ_INT(e.path_len, 0);
}
