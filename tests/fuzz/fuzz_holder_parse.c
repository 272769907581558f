/* libFuzzer target for the parsers of the kernel texts that name --mount
 * holders (parse/holder_parse.c): /proc/swaps, binfmt_misc entries, nfsd
 * exports and client states, loop backing_file, and the octal escapes of
 * mountinfo-style text, all over the same bytes.  Any broken invariant
 * calls abort() so libFuzzer keeps the input.
 *
 * Seeds: tests/fuzz/corpus/fuzz_holder_parse/. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/fanotify_parse.h"
#include "parse/holder_parse.h"
#include "parse/overlay_options.h"
#include "parse/proc_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_holder_parse: invariant broken at line %d: %s\n", __LINE__,      \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *buf_start, *buf_end;

/* Every span a parser hands out lies inside the input. */
static void check_span(struct text_span s)
{
    if (s.len == 0)
        return;
    REQUIRE(s.p >= buf_start && s.p + s.len <= buf_end);
}

/* Decoding never grows a span and always NUL-terminates. */
static void check_decode(struct text_span s, bool escaped)
{
    char *out = malloc(s.len + 1);
    bool deleted = false;
    REQUIRE(out);
    ssize_t n = holder_decode_path(s, escaped, out, &deleted);
    REQUIRE(n < 0 || ((size_t)n <= s.len && out[n] == '\0'));
    n = octal_unescape(s.p, s.len, out);
    REQUIRE(n < 0 || ((size_t)n <= s.len && out[n] == '\0'));
    free(out);
}

static void fuzz_iterators(const char *buf, size_t len)
{
    struct text_cursor cur;
    struct swap_entry swap;
    struct nfs_export export;
    struct nfsd_state state;
    int r, guard = 0;

    text_cursor_init(&cur, buf, len);
    while ((r = swaps_next(&cur, &swap)) != 0 && guard++ < 100000)
        if (r > 0) {
            check_span(swap.path);
            check_decode(swap.path, true);
        }
    REQUIRE(guard < 100000); /* every call makes progress */

    guard = 0;
    text_cursor_init(&cur, buf, len);
    while ((r = exports_next(&cur, &export)) != 0 && guard++ < 100000)
        if (r > 0) {
            check_span(export.path);
            check_span(export.client);
            check_span(export.options);
            check_decode(export.path, true);
        }
    REQUIRE(guard < 100000);

    guard = 0;
    text_cursor_init(&cur, buf, len);
    while ((r = nfsd_states_next(&cur, &state)) != 0 && guard++ < 100000)
        if (r > 0) {
            check_span(state.type);
            if (state.has_filename)
                check_span(state.filename);
        }
    REQUIRE(guard < 100000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    buf_start = buf;
    buf_end = buf + size;
    fuzz_iterators(buf, size);

    struct binfmt_entry entry;
    if (binfmt_entry_parse(buf, size, &entry) == 0) {
        check_span(entry.interpreter);
        check_span(entry.flags);
        check_decode(entry.interpreter, false);
    }
    struct text_span path;
    if (loop_backing_file_parse(buf, size, &path) == 0) {
        check_span(path);
        REQUIRE(path.len > 0);
        check_decode(path, false);
    }
    check_decode((struct text_span){buf, size}, true);

    /* A fanotify group's fdinfo: marks only from "fanotify " lines, each of
     * which costs at least a dozen bytes. */
    struct fanotify_group group = {0};
    int r = fanotify_fdinfo_parse(buf, size, &group);
    REQUIRE(r == 0 || r == -EINVAL || r == -ENOMEM);
    REQUIRE(group.nmarks * 12 <= size);
    for (size_t i = 0; i < group.nmarks; i++)
        REQUIRE(group.marks[i].kind <= FANOTIFY_MARK_INODE && group.marks[i].mnt_id >= 0);
    fanotify_group_free(&group);

    /* A thread's syscall line: the PC is the last of the words read. */
    long nr;
    uint64_t a0, a1, pc;
    if (task_syscall_parse(buf, size, &nr, &a0, &a1, &pc) == 0)
        REQUIRE(nr >= 0 && nr < 1000000);

    /* Overlay options come from libmount as a C string. */
    char *options = malloc(size + 1);
    REQUIRE(options);
    memcpy(options, buf, size);
    options[size] = '\0';
    struct overlay_layers layers = {0};
    r = overlay_layers_parse(options, &layers);
    REQUIRE(r == 0 || r == -ENOMEM);
    for (size_t i = 0; i < layers.len; i++)
        REQUIRE(layers.items[i].path && strlen(layers.items[i].path) <= strlen(options));
    overlay_layers_free(&layers);
    free(options);
    return 0;
}
