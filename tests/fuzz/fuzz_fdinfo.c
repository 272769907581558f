/* libFuzzer target for the pure procfs parsers: uring_fdinfo_parse,
 * name_table_parse (with table sizes taken from the input),
 * fdinfo_get_u64, and maps_next/maps_decode_path over the same bytes.
 * Any broken invariant calls abort() so libFuzzer keeps the input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Isrc tests/fuzz/fuzz_fdinfo.c src/fdinfo_parse.c src/maps_parse.c -o /tmp/fz
 *
 * Seeds: tests/fuzz/corpus/fuzz_fdinfo/ (copy them before a run, libFuzzer
 * writes new inputs into the corpus directory). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/fdinfo_parse.h"
#include "parse/maps_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_fdinfo: invariant broken at line %d: %s\n", __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n + (len > 0 && buf[len - 1] != '\n');
}

/* Table invariants after a successful parse. */
static void check_table(const struct name_table *t, uint32_t table_size, size_t input_len)
{
    REQUIRE(t->format == NAME_FORMAT_NONE || t->format == NAME_FORMAT_PATH ||
            t->format == NAME_FORMAT_NAME);
    if (t->format == NAME_FORMAT_NONE)
        REQUIRE(t->nentries == 0);
    REQUIRE(t->nentries <= t->cap);
    REQUIRE(t->names_len <= t->names_cap);
    if (table_size)
        REQUIRE(t->nentries <= table_size);

    size_t next_off = 0, total = 0;
    for (size_t i = 0; i < t->nentries; i++) {
        const struct name_entry *f = &t->entries[i];
        /* slots strictly increasing: sorted, no duplicates, in both formats */
        if (i > 0)
            REQUIRE(f->number > t->entries[i - 1].number);
        if (table_size)
            REQUIRE(f->number < table_size);
        /* names back to back, in order, each NUL-terminated */
        REQUIRE(f->name_off >= next_off);
        REQUIRE(f->name_off + f->name_len < t->names_len);
        REQUIRE(t->names[f->name_off + f->name_len] == '\0');
        /* no NUL inside a name: the kernel never prints one */
        REQUIRE(strlen(t->names + f->name_off) == f->name_len);
        REQUIRE(f->name_len <= input_len);
        next_off = f->name_off + f->name_len + 1;
        total += f->name_len;
        /* the deleted marker exists only in the escaped format */
        if (t->format != NAME_FORMAT_PATH)
            REQUIRE(!f->deleted);
        if (t->format == NAME_FORMAT_PATH)
            REQUIRE(f->name_len > 0);
    }
    REQUIRE(total <= input_len);
}

/* Writes a PATH-format table back as the kernel would print it (mangle_path
 * with " \t\n\\", then the escaped " (deleted)") and checks that parsing it
 * again gives the same slots, names and flags. */
static void check_path_roundtrip(const struct name_table *t)
{
    size_t cap = 64;
    for (size_t i = 0; i < t->nentries; i++)
        cap += 32 + 4 * t->entries[i].name_len;
    char *text = malloc(cap);
    REQUIRE(text);
    size_t n = 0;
    for (size_t i = 0; i < t->nentries; i++) {
        const struct name_entry *f = &t->entries[i];
        const char *name = name_table_name(t, i);
        n += (size_t)snprintf(text + n, cap - n, "%5u: ", f->number);
        for (size_t j = 0; j < f->name_len; j++) {
            unsigned char c = (unsigned char)name[j];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
                n += (size_t)snprintf(text + n, cap - n, "\\%03o", c);
            else
                text[n++] = (char)c;
        }
        if (f->deleted)
            n += (size_t)snprintf(text + n, cap - n, "\\040(deleted)");
        text[n++] = '\n';
    }
    REQUIRE(n < cap);

    struct name_table again;
    struct parse_error err = {0, NULL};
    int r = name_table_parse(text, n, 0, 1, &again, &err);
    if (r != 0) {
        fprintf(stderr, "fuzz_fdinfo: re-encoded table fails to parse: line %u: %s\n%.*s", err.line,
                err.reason ? err.reason : "?", (int)n, text);
        abort();
    }
    REQUIRE(again.format == NAME_FORMAT_PATH || t->nentries == 0);
    REQUIRE(again.nentries == t->nentries);
    for (size_t i = 0; i < t->nentries; i++) {
        REQUIRE(again.entries[i].number == t->entries[i].number);
        REQUIRE(again.entries[i].deleted == t->entries[i].deleted);
        REQUIRE(again.entries[i].name_len == t->entries[i].name_len);
        REQUIRE(memcmp(name_table_name(&again, i), name_table_name(t, i), t->entries[i].name_len) ==
                0);
    }
    name_table_free(&again);
    free(text);
}

static void check_error(int r, const struct parse_error *err, unsigned first_line, size_t nlines)
{
    REQUIRE(r == -EINVAL || r == -ENOMEM);
    if (r == -EINVAL) {
        REQUIRE(err->reason != NULL);
        REQUIRE(err->line >= first_line);
        REQUIRE(err->line <= first_line + nlines);
    }
}

static void fuzz_table(const char *buf, size_t len, uint32_t table_size, unsigned first_line)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    int r = name_table_parse(buf, len, table_size, first_line, &t, &err);
    if (r == 0) {
        check_table(&t, table_size, len);
        if (t.format == NAME_FORMAT_PATH)
            check_path_roundtrip(&t);
        name_table_free(&t);
    } else {
        check_error(r, &err, first_line ? first_line : 1, count_lines(buf, len));
        REQUIRE(t.entries == NULL && t.names == NULL && t.nentries == 0);
    }
    REQUIRE(t.entries == NULL && t.names == NULL);
}

static void fuzz_uring(const char *buf, size_t len)
{
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    int r = uring_fdinfo_parse(buf, len, &info, &err);
    if (r == 0) {
        /* "UserFiles:\t0" is an empty table, not an unbounded list */
        if (info.has_user_files && info.user_files == 0)
            REQUIRE(info.table.nentries == 0);
        check_table(&info.table, info.has_user_files ? info.user_files : 0, len);
        if (!info.has_user_files)
            REQUIRE(info.table.nentries == 0 && info.table.format == NAME_FORMAT_NONE);
        /* the table always ends at UserBufs: */
        if (info.has_user_files)
            REQUIRE(info.has_user_bufs);
        if (info.has_user_files || info.has_sq_thread)
            REQUIRE(info.has_uring_section);
        bool contended = uring_fdinfo_maybe_contended(&info);
        if (!info.has_uring_section)
            REQUIRE(contended);
        if (info.table.nentries > 0)
            REQUIRE(!contended);
        uring_fdinfo_free(&info);
    } else {
        check_error(r, &err, 1, count_lines(buf, len));
        REQUIRE(info.table.entries == NULL && info.table.names == NULL);
    }
}

static void fuzz_get_u64(const char *buf, size_t len)
{
    static const char *const keys[] = {"pos", "flags", "mnt_id", "ino", "UserFiles", "x"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        uint64_t v = 0xdeadbeef;
        int r = fdinfo_get_u64(buf, len, keys[i], &v);
        REQUIRE(r == 0 || r == -ENOENT || r == -EINVAL);
        if (r != 0)
            REQUIRE(v == 0xdeadbeef);
    }
}

/* How many bytes maps_decode_path should drop: three per "\012", scanned
 * left to right without overlap. */
static size_t nl_escapes(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i + 4 <= len;) {
        if (memcmp(p + i, "\\012", 4) == 0) {
            n++;
            i += 4;
        } else {
            i++;
        }
    }
    return n;
}

static void fuzz_maps(const char *buf, size_t len)
{
    const char *cur = buf, *end = buf + len;
    struct map_entry e;
    for (;;) {
        const char *before = cur;
        int r = maps_next(&cur, end, &e);
        REQUIRE(r == 1 || r == 0 || r == -EINVAL);
        REQUIRE(cur >= before && cur <= end);
        if (r == 0) {
            REQUIRE(before == end && cur == end);
            break;
        }
        REQUIRE(cur > before); /* always progresses */
        if (r < 0)
            continue;
        const char *eol = memchr(before, '\n', (size_t)(end - before));
        if (!eol)
            eol = end;
        REQUIRE(e.path >= before && e.path <= eol);
        REQUIRE(e.path + e.path_len == eol);
        REQUIRE(memchr(e.path, '\n', e.path_len) == NULL);
        REQUIRE(e.path_len == 0 || e.path[0] != ' ');
        REQUIRE(e.perms[4] == '\0');
        REQUIRE(e.dev_major <= 0xfff && e.dev_minor <= 0xfffff);
        if (map_entry_is_uring(&e))
            REQUIRE(e.path_len == strlen("anon_inode:[io_uring]"));

        char *out = malloc(e.path_len + 1);
        REQUIRE(out);
        memset(out, 0x7f, e.path_len + 1);
        size_t n = maps_decode_path(e.path, e.path_len, out);
        REQUIRE(n <= e.path_len);
        REQUIRE(out[n] == '\0');
        REQUIRE(n == e.path_len - 3 * nl_escapes(e.path, e.path_len));
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copy so that reads past the end are caught by ASan exactly. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);

    fuzz_uring(buf, size);
    fuzz_get_u64(buf, size);
    fuzz_maps(buf, size);

    /* name_table_parse over the whole input: unbounded, and bounded by its
     * line count (what an old-format table of every line would need) */
    fuzz_table(buf, size, 0, 1);
    size_t nlines = count_lines(buf, size);
    if (nlines > 0 && nlines <= (1u << 20))
        fuzz_table(buf, size, (uint32_t)nlines, 1);

    /* and with a size and first line taken from the first bytes */
    if (size >= 3) {
        uint32_t table_size = ((uint32_t)data[0] | (uint32_t)data[1] << 8) % ((1u << 20) + 1);
        unsigned first_line = data[2];
        fuzz_table(buf + 3, size - 3, table_size, first_line);
    }
    free(buf);
    return 0;
}
