/* libFuzzer target for the tracefs uprobe_events parser
 * (parse/uprobe_parse.c).  Any broken invariant calls abort() so
 * libFuzzer keeps the input.
 *
 * Seeds: tests/fuzz/corpus/fuzz_uprobe/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/uprobe_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_uprobe: invariant broken at line %d: %s\n", __LINE__, #cond);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *buf_start, *buf_end;

/* Every span lies inside the input and holds no NUL or newline. */
static void check_span(struct text_span s, size_t min_len)
{
    REQUIRE(s.len >= min_len);
    if (s.len == 0)
        return;
    REQUIRE(s.p >= buf_start && s.p + s.len <= buf_end);
    REQUIRE(!memchr(s.p, '\0', s.len) && !memchr(s.p, '\n', s.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    buf_start = buf;
    buf_end = buf + size;
    struct text_cursor cur;
    struct uprobe_event ev;
    unsigned last_line = 0;
    int r, guard = 0;
    text_cursor_init(&cur, buf, size);
    while ((r = uprobe_events_next(&cur, &ev)) != 0 && guard++ < 1000000) {
        REQUIRE(cur.line > last_line); /* every call moves on */
        last_line = cur.line;
        if (r < 0)
            continue;
        check_span(ev.name, 5);
        check_span(ev.group, 1);
        check_span(ev.event, 1);
        check_span(ev.path, 1);
        REQUIRE(ev.name.p[0] == (ev.is_return ? 'r' : 'p') && ev.name.p[1] == ':');
        /* group and event are the name's own text, after "p:". */
        REQUIRE(ev.group.p == ev.name.p + 2);
        REQUIRE(ev.event.p + ev.event.len == ev.name.p + ev.name.len);
        REQUIRE(!memchr(ev.event.p, '/', ev.event.len));
        REQUIRE(!ev.has_ref_ctr || ev.path.p + ev.path.len < buf_end);
    }
    REQUIRE(guard < 1000000);
    REQUIRE(cur.p == buf_end);
    return 0;
}
