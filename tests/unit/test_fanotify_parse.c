/* Unit tests of the fanotify fdinfo parser. */
#include <errno.h>
#include <string.h>

#include "parse/fanotify_parse.h"
#include "unit.h"

static int parse(const char *text, struct fanotify_group *g)
{
    memset(g, 0, sizeof(*g));
    return fanotify_fdinfo_parse(text, strlen(text), g);
}

TEST(marks_of_every_kind)
{
    struct fanotify_group g;
    CHECK_EQ_INT(parse("pos:\t0\nflags:\t02000000\nmnt_id:\t15\nino:\t1057\n"
                       "fanotify flags:10 event-flags:0\n"
                       "fanotify mnt_id:2a mflags:0 mask:20 ignored_mask:0\n"
                       "fanotify sdev:800002 mflags:0 mask:20 ignored_mask:0\n"
                       "fanotify ino:1a sdev:fd00003 mflags:0 mask:20 ignored_mask:0 "
                       "fhandle-bytes:8 fhandle-type:1 f_handle:1a00000000000000\n",
                       &g),
                 0);
    CHECK(g.found);
    CHECK_EQ_INT(g.flags, 0x10);
    CHECK_EQ_INT(g.nmarks, 3);
    if (g.nmarks == 3) {
        CHECK_EQ_INT(g.marks[0].kind, FANOTIFY_MARK_MOUNT);
        CHECK_EQ_INT(g.marks[0].mnt_id, 0x2a);
        CHECK_EQ_INT(g.marks[1].kind, FANOTIFY_MARK_FILESYSTEM);
        CHECK_EQ_INT(g.marks[1].dev_major, 8);
        CHECK_EQ_INT(g.marks[1].dev_minor, 2);
        CHECK_EQ_INT(g.marks[2].kind, FANOTIFY_MARK_INODE);
        CHECK_EQ_INT(g.marks[2].dev_major, 253);
        CHECK_EQ_INT(g.marks[2].dev_minor, 3);
        CHECK_EQ_INT(g.marks[2].ino, 0x1a);
    }
    fanotify_group_free(&g);
}

TEST(fid_groups_and_plain_fdinfo)
{
    struct fanotify_group g;
    CHECK_EQ_INT(parse("fanotify flags:200 event-flags:0\n", &g), 0);
    CHECK(g.found && (g.flags & FANOTIFY_REPORTS_FID));
    fanotify_group_free(&g);
    CHECK_EQ_INT(parse("pos:\t0\nflags:\t02\nmnt_id:\t15\n", &g), 0);
    CHECK(!g.found && g.nmarks == 0);
    fanotify_group_free(&g);
    CHECK_EQ_INT(parse("", &g), 0);
    fanotify_group_free(&g);
}

TEST(malformed_lines)
{
    static const char *bad[] = {
        "fanotify flags: event-flags:0\n",
        "fanotify flags:zz\n",
        "fanotify mnt_id:xyz mflags:0\n",
        "fanotify mflags:0 mask:20\n",
        "fanotify flags:10 event-flags:0\nfanotify mnt_id:fffffffffff mflags:0\n",
        "fanotify flags:123456789abcdef01\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fanotify_group g;
        CHECK_EQ_INT(parse(bad[i], &g), -EINVAL);
        fanotify_group_free(&g);
    }
    /* No trailing newline, and a NUL-free buffer that is not a C string. */
    struct fanotify_group g = {0};
    const char text[] = "fanotify flags:10 event-flags:0\nfanotify mnt_id:7 mflags:0";
    CHECK_EQ_INT(fanotify_fdinfo_parse(text, sizeof(text) - 1, &g), 0);
    CHECK_EQ_INT(g.nmarks, 1);
    fanotify_group_free(&g);
}
