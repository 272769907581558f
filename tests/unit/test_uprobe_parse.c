/* Unit tests of the tracefs uprobe_events parser (parse/uprobe_parse.c):
 * the lines trace_uprobe_show() prints, and what it never prints. */
#include <errno.h>
#include <string.h>

#include "parse/uprobe_parse.h"
#include "unit.h"

static int span_is(struct text_span s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void cursor(struct text_cursor *cur, const char *text)
{
    text_cursor_init(cur, text, strlen(text));
}

/* The one line of text: its result, with *ev filled. */
static int parse_one(const char *text, struct uprobe_event *ev)
{
    struct text_cursor cur;
    cursor(&cur, text);
    return uprobe_events_next(&cur, ev);
}

TEST(uprobe_plain_probe)
{
    struct uprobe_event ev;
    CHECK_EQ_INT(parse_one("p:lshtest_42/probe /tmp/x/true:0x0000000000001000\n", &ev), 1);
    CHECK(!ev.is_return);
    CHECK(span_is(ev.name, "p:lshtest_42/probe"));
    CHECK(span_is(ev.group, "lshtest_42"));
    CHECK(span_is(ev.event, "probe"));
    CHECK(span_is(ev.path, "/tmp/x/true"));
    CHECK_EQ_INT(ev.offset, 0x1000);
    CHECK(!ev.has_ref_ctr);
}

TEST(uprobe_return_probe_with_fetchargs)
{
    struct uprobe_event ev;
    CHECK_EQ_INT(parse_one("r:uprobes/ret /usr/lib/libc.so.6:0x00000000000a1b2c arg1=%di:u64 "
                           "s=+0(%si):string",
                           &ev),
                 1);
    CHECK(ev.is_return);
    CHECK(span_is(ev.name, "r:uprobes/ret"));
    CHECK(span_is(ev.path, "/usr/lib/libc.so.6"));
    CHECK_EQ_INT(ev.offset, 0xa1b2c);
}

TEST(uprobe_ref_ctr_and_colon_in_path)
{
    struct uprobe_event ev;
    /* The kernel splits at the last ':', so the path may hold one. */
    CHECK_EQ_INT(parse_one("p:sdt_app/start /opt/a:b/app:0x0000000000000400(0x12)\n", &ev), 1);
    CHECK(span_is(ev.path, "/opt/a:b/app"));
    CHECK_EQ_INT(ev.offset, 0x400);
    CHECK(ev.has_ref_ctr);
    CHECK_EQ_INT(ev.ref_ctr_offset, 0x12);
    /* '(' in the path itself is not a reference counter. */
    CHECK_EQ_INT(parse_one("p:g/e /opt/(x)/app:0x10", &ev), 1);
    CHECK(span_is(ev.path, "/opt/(x)/app"));
    CHECK(!ev.has_ref_ctr);
}

TEST(uprobe_relative_path_is_kept)
{
    /* The kernel resolved it against the writer's cwd; the caller decides. */
    struct uprobe_event ev;
    CHECK_EQ_INT(parse_one("p:g/e bin/true:0x1", &ev), 1);
    CHECK(span_is(ev.path, "bin/true"));
}

TEST(uprobe_several_lines_blank_lines_and_no_final_newline)
{
    struct text_cursor cur;
    struct uprobe_event ev;
    cursor(&cur, "\np:a/one /x:0x1\n  \t\nr:b/two /y:0x2");
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 1);
    CHECK(span_is(ev.event, "one"));
    CHECK_EQ_INT(cur.line, 2);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 1);
    CHECK(span_is(ev.event, "two"));
    CHECK_EQ_INT(cur.line, 4);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 0);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 0);
    cursor(&cur, "");
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 0);
}

TEST(uprobe_malformed_lines)
{
    static const char *const bad[] = {
        "p:g/e",                        /* no probe point */
        "x:g/e /x:0x1",                 /* not p or r */
        "p g/e /x:0x1",                 /* no ':' after the kind */
        "p:ge /x:0x1",                  /* no group */
        "p:/e /x:0x1",                  /* empty group */
        "p:g/ /x:0x1",                  /* empty event */
        "p:g/e/f /x:0x1",               /* '/' in the event */
        "p:g/e /x",                     /* no offset */
        "p:g/e :0x1",                   /* empty path */
        "p:g/e /x:1000",                /* not hex as the kernel prints it */
        "p:g/e /x:0x",                  /* no digits */
        "p:g/e /x:0xfg",                /* not a hex digit */
        "p:g/e /x:0x00000000000000001", /* 17 digits: more than a long */
        "p:g/e /x:0x1(0x2",             /* unclosed reference counter */
        "p:g/e /x:0x1(2)",              /* reference counter not hex */
        "p:g/e /x:0x1(0x2)z",           /* text after it */
    };
    struct uprobe_event ev;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = parse_one(bad[i], &ev);
        if (r != -EINVAL)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK_EQ_INT(r, -EINVAL);
    }
    /* A NUL in the line. */
    struct text_cursor cur;
    text_cursor_init(&cur, "p:g/e /x\0y:0x1", 14);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), -EINVAL);
}

TEST(uprobe_malformed_line_does_not_stop)
{
    struct text_cursor cur;
    struct uprobe_event ev;
    cursor(&cur, "p:a/one /x:0x1\ngarbage\np:b/two /y:0x2\n");
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 1);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), -EINVAL);
    CHECK_EQ_INT(cur.line, 2);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 1);
    CHECK(span_is(ev.event, "two"));
    CHECK_EQ_INT(cur.line, 3);
    CHECK_EQ_INT(uprobe_events_next(&cur, &ev), 0);
}
