/* Unit tests of the fdinfo parsers: uring_fdinfo_parse, name_table_parse,
 * uring_fdinfo_maybe_contended and fdinfo_get_u64.  Inputs follow the
 * exact kernel formats in kernel-interfaces.md sections 1 and 5. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse/fdinfo_parse.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------ */

static int parse_str(const char *text, struct uring_fdinfo *info, struct parse_error *err)
{
    return uring_fdinfo_parse(text, strlen(text), info, err);
}

static int table_str(const char *text, uint32_t size, unsigned first_line, struct name_table *t,
                     struct parse_error *err)
{
    return name_table_parse(text, strlen(text), size, first_line, t, err);
}

static const struct name_entry *find_slot(const struct name_table *t, uint32_t slot)
{
    for (size_t i = 0; i < t->nentries; i++)
        if (t->entries[i].number == slot)
            return &t->entries[i];
    return NULL;
}

static const char *slot_name(const struct name_table *t, uint32_t slot)
{
    const struct name_entry *f = find_slot(t, slot);
    return f ? t->names + f->name_off : NULL;
}

/* Every name is NUL-terminated at name_len and has no NUL before it. */
static int names_consistent(const struct name_table *t)
{
    for (size_t i = 0; i < t->nentries; i++) {
        const struct name_entry *f = &t->entries[i];
        if (f->name_off + f->name_len >= t->names_len)
            return 0;
        if (t->names[f->name_off + f->name_len] != '\0')
            return 0;
        if (strlen(t->names + f->name_off) != f->name_len)
            return 0;
    }
    return 1;
}

static int slots_increasing(const struct name_table *t)
{
    for (size_t i = 1; i < t->nentries; i++)
        if (t->entries[i].number <= t->entries[i - 1].number)
            return 0;
    return 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable text buffer for the huge tables. */
struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (t->len + n + 1 > cap)
            cap *= 2;
        t->p = realloc(t->p, cap);
        if (!t->p)
            abort();
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* Maximum runtime for the big tables; linear parsing takes well under a
 * second even with sanitizers, a quadratic one takes minutes. */
#define BIG_TABLE_SECONDS 5.0

/* ---- the kernel's own examples ----------------------------------------- */

/* 6.18, captured live (reference 1.5): 16-slot sparse table.  Lines 1-18
 * are the header; UserFiles: is line 19. */
#define HEADER_618                                                                                 \
    "pos:\t0\n"                                                                                    \
    "flags:\t02000002\n"                                                                           \
    "mnt_id:\t17\n"                                                                                \
    "ino:\t85414\n"                                                                                \
    "SqMask:\t0x7\n"                                                                               \
    "SqHead:\t0\n"                                                                                 \
    "SqTail:\t0\n"                                                                                 \
    "CachedSqHead:\t0\n"                                                                           \
    "CqMask:\t0xf\n"                                                                               \
    "CqHead:\t0\n"                                                                                 \
    "CqTail:\t0\n"                                                                                 \
    "CachedCqTail:\t0\n"                                                                           \
    "SQEs:\t0\n"                                                                                   \
    "CQEs:\t0\n"                                                                                   \
    "SqThread:\t-1\n"                                                                              \
    "SqThreadCpu:\t-1\n"                                                                           \
    "SqTotalTime:\t0\n"                                                                            \
    "SqWorkTime:\t0\n"
#define USERFILES_LINE_618 19

#define TRAILER_618                                                                                \
    "UserBufs:\t3\n"                                                                               \
    "    0: 0x56428becd000/4096\n"                                                                 \
    "    1: <none>\n"                                                                              \
    "    2: <none>\n"                                                                              \
    "PollList:\n"                                                                                  \
    "CqOverflowList:\n"                                                                            \
    "NAPI:\tdisabled\n"

#define LONG_NAME "a_very_long_file_name_exceeding_the_inline_dname_length_0123456789"

static const char example_618[] = HEADER_618 "UserFiles:\t16\n"
                                             "    0: /scratch/d\\040ir/fi\\040le\\011x\\134y\n"
                                             "    1: /scratch/nl\\012name\n"
                                             "    2: /scratch/<none>\n"
                                             "    3: /scratch/" LONG_NAME "\n"
                                             "    4: /scratch/deleted_file\\040(deleted)\n"
                                             "    5: socket:[85415]\n"
                                             "    6: pipe:[85417]\n"
                                             "    7: anon_inode:[eventfd]\n"
                                             "    8: /memfd:mymemfd\\040(deleted)\n"
                                             "    9: socket:[85418]\n"
                                             "   10: /dev/null\n"
                                             "   12: /in_other_ns\n" TRAILER_618;

static void check_618(const struct uring_fdinfo *info)
{
    CHECK(info->has_mnt_id);
    CHECK_EQ_INT(info->mnt_id, 17);
    CHECK(info->has_ino);
    CHECK_EQ_INT(info->ino, 85414);
    CHECK(info->has_uring_section);
    CHECK(info->has_sq_thread);
    CHECK_EQ_INT(info->sq_thread, -1);
    CHECK(info->has_user_files);
    CHECK_EQ_INT(info->user_files, 16);
    CHECK(info->has_user_bufs);
    CHECK_EQ_INT(info->user_bufs, 3);

    const struct name_table *t = &info->table;
    CHECK_EQ_INT(t->format, NAME_FORMAT_PATH);
    CHECK_EQ_INT(t->nentries, 12);
    CHECK(names_consistent(t));
    CHECK(slots_increasing(t));

    static const struct {
        uint32_t slot;
        const char *name;
        bool deleted;
    } want[] = {
        {0, "/scratch/d ir/fi le\tx\\y", false},
        {1, "/scratch/nl\nname", false},
        {2, "/scratch/<none>", false},
        {3, "/scratch/" LONG_NAME, false},
        {4, "/scratch/deleted_file", true},
        {5, "socket:[85415]", false},
        {6, "pipe:[85417]", false},
        {7, "anon_inode:[eventfd]", false},
        {8, "/memfd:mymemfd", true},
        {9, "socket:[85418]", false},
        {10, "/dev/null", false},
        {12, "/in_other_ns", false},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && i < t->nentries; i++) {
        const struct name_entry *f = &t->entries[i];
        CHECK_EQ_INT(f->number, want[i].slot);
        CHECK_EQ_STR(name_table_name(t, i), want[i].name);
        CHECK_EQ_INT(f->name_len, strlen(want[i].name));
        CHECK_EQ_INT(f->deleted, want[i].deleted);
    }
    CHECK(find_slot(t, 11) == NULL);
    CHECK(find_slot(t, 13) == NULL);
    CHECK(find_slot(t, 15) == NULL);
}

TEST(example_618_every_slot)
{
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(example_618, &info, &err), 0);
    check_618(&info);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
    /* free leaves it zeroed, so a second free is harmless */
    CHECK(info.table.entries == NULL && info.table.names == NULL);
    uring_fdinfo_free(&info);
}

TEST(example_618_without_trailing_newline)
{
    size_t len = strlen(example_618);
    CHECK(example_618[len - 1] == '\n');
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(uring_fdinfo_parse(example_618, len - 1, &info, &err), 0);
    check_618(&info);
    uring_fdinfo_free(&info);
}

TEST(example_618_ends_at_userbufs_line)
{
    /* Truncated right after "UserBufs:\t3", no newline. */
    const char *end = strstr(example_618, "UserBufs:\t3") + strlen("UserBufs:\t3");
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(uring_fdinfo_parse(example_618, (size_t)(end - example_618), &info, &err), 0);
    check_618(&info);
    uring_fdinfo_free(&info);
}

TEST(example_618_null_err_pointer)
{
    struct uring_fdinfo info;
    CHECK_EQ_INT(parse_str(example_618, &info, NULL), 0);
    check_618(&info);
    uring_fdinfo_free(&info);
}

/* 5.10, assembled from the 5.10.13 source (reference 1.5). */
static const char example_510[] = "pos:\t0\n"
                                  "flags:\t02000002\n"
                                  "mnt_id:\t13\n"
                                  "SqThread:\t-1\n"
                                  "SqThreadCpu:\t-1\n"
                                  "UserFiles:\t4\n"
                                  "    0: hostname\n"
                                  "    1: <none>\n"
                                  "    2: UNIX\n"
                                  "    3: \n"
                                  "UserBufs:\t1\n"
                                  "    0: 0x7f2d19ab0000/4096\n"
                                  "Personalities:\n"
                                  "    1\n"
                                  "\tUid:\t0\t\t0\t\t0\t\t0\n"
                                  "\tGid:\t0\t\t0\t\t0\t\t0\n"
                                  "\tGroups:\t0\n"
                                  "\tCapEff:\t0000003fffffffff\n"
                                  "PollList:\n";

TEST(example_510_every_slot)
{
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(example_510, &info, &err), 0);
    CHECK(info.has_mnt_id);
    CHECK_EQ_INT(info.mnt_id, 13);
    CHECK(!info.has_ino); /* ino: is 5.14+ */
    CHECK(info.has_uring_section);
    CHECK(info.has_sq_thread);
    CHECK_EQ_INT(info.sq_thread, -1);
    CHECK(info.has_user_files);
    CHECK_EQ_INT(info.user_files, 4);
    CHECK(info.has_user_bufs);
    CHECK_EQ_INT(info.user_bufs, 1);

    const struct name_table *t = &info.table;
    CHECK_EQ_INT(t->format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(t->nentries, 3);
    CHECK(names_consistent(t));
    CHECK(slots_increasing(t));
    CHECK_EQ_STR(slot_name(t, 0), "hostname"); /* a basename stays a basename */
    CHECK(find_slot(t, 1) == NULL);            /* <none>: empty slot, skipped */
    CHECK_EQ_STR(slot_name(t, 2), "UNIX");
    CHECK_EQ_STR(slot_name(t, 3), ""); /* a pipe's d_iname is empty */
    for (size_t i = 0; i < t->nentries; i++)
        CHECK(!t->entries[i].deleted); /* the old format never says */
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
}

TEST(example_510_joseph_qi_sqpoll)
{
    static const char text[] = "pos:\t0\n"
                               "flags:\t02000002\n"
                               "mnt_id:\t13\n"
                               "SqThread:\t6929\n"
                               "SqThreadCpu:\t2\n"
                               "UserFiles:\t1\n"
                               "    0: testfile\n"
                               "UserBufs:\t0\n"
                               "PollList:\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_sq_thread);
    CHECK_EQ_INT(info.sq_thread, 6929);
    CHECK_EQ_INT(info.user_files, 1);
    CHECK_EQ_INT(info.user_bufs, 0);
    CHECK_EQ_INT(info.table.nentries, 1);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_STR(slot_name(&info.table, 0), "testfile");
    uring_fdinfo_free(&info);
}

/* 5.6-5.9: no SqThread lines; the section is only UserFiles/UserBufs. */
TEST(example_56_user_files_only)
{
    static const char text[] = "pos:\t0\n"
                               "flags:\t02000002\n"
                               "mnt_id:\t13\n"
                               "UserFiles:\t2\n"
                               "    0: <none>\n"
                               "    1: data.bin\n"
                               "UserBufs:\t0\n"
                               "Personalities:\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_uring_section);
    CHECK(!info.has_sq_thread);
    CHECK_EQ_INT(info.table.nentries, 1);
    CHECK_EQ_STR(slot_name(&info.table, 1), "data.bin");
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
}

/* 6.1: ring state lines before SqThread, old table format. */
TEST(example_61_old_format_with_ring_state)
{
    static const char text[] = "pos:\t0\n"
                               "flags:\t02000002\n"
                               "mnt_id:\t15\n"
                               "ino:\t1057\n"
                               "SqMask:\t0x7\n"
                               "SqHead:\t0\n"
                               "SqTail:\t0\n"
                               "CachedSqHead:\t0\n"
                               "CqMask:\t0xf\n"
                               "CqHead:\t0\n"
                               "CqTail:\t0\n"
                               "CachedCqTail:\t0\n"
                               "SQEs:\t1\n"
                               "    0: opcode:READV, fd:0, flags:0, off:0, addr:0x0, rw_flags:0x0, "
                               "buf_index:0 user_data:0\n"
                               "CQEs:\t1\n"
                               "    0: user_data:7, res:0, flag:0\n"
                               "SqThread:\t-1\n"
                               "SqThreadCpu:\t-1\n"
                               "UserFiles:\t3\n"
                               "    0: passwd\n"
                               "    1: UNIX-STREAM\n"
                               "    2: <none>\n"
                               "UserBufs:\t0\n"
                               "PollList:\n"
                               "CqOverflowList:\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_ino);
    CHECK_EQ_INT(info.ino, 1057);
    CHECK_EQ_INT(info.mnt_id, 15);
    CHECK_EQ_INT(info.user_files, 3);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(info.table.nentries, 2);
    CHECK_EQ_STR(slot_name(&info.table, 0), "passwd");
    CHECK_EQ_STR(slot_name(&info.table, 1), "UNIX-STREAM");
    CHECK(find_slot(&info.table, 2) == NULL);
    uring_fdinfo_free(&info);
}

TEST(sq_thread_sqpoll_ring)
{
    static const char text[] = HEADER_618; /* SqThread: -1 */
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_sq_thread);
    CHECK_EQ_INT(info.sq_thread, -1);
    uring_fdinfo_free(&info);

    static const char sqpoll[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t90001\n"
                                 "SqMask:\t0x7\n"
                                 "SqThread:\t14080\n"
                                 "SqThreadCpu:\t0\n"
                                 "SqTotalTime:\t211326\n"
                                 "SqWorkTime:\t0\n"
                                 "UserFiles:\t0\n"
                                 "UserBufs:\t0\n";
    CHECK_EQ_INT(parse_str(sqpoll, &info, &err), 0);
    CHECK(info.has_sq_thread);
    CHECK_EQ_INT(info.sq_thread, 14080);
    CHECK_EQ_INT(info.ino, 90001);
    uring_fdinfo_free(&info);

    /* 5.6-5.9 have no SqThread line at all */
    CHECK_EQ_INT(parse_str("UserFiles:\t0\nUserBufs:\t0\n", &info, &err), 0);
    CHECK(!info.has_sq_thread);
    uring_fdinfo_free(&info);
}

TEST(user_bufs_count)
{
    static const char text[] = "SqMask:\t0x7\nUserFiles:\t0\nUserBufs:\t4096\n"
                               "    0: 0x1000/4096\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_user_bufs);
    CHECK_EQ_INT(info.user_bufs, 4096);
    /* the UserBufs body is not a file table */
    CHECK_EQ_INT(info.table.nentries, 0);
    uring_fdinfo_free(&info);
}

/* ---- old format: continuation lines and <none> ---------------------------- */

TEST(old_format_name_with_newlines)
{
    /* Slot 1 is named "line1\nline2\n\nline4": four lines, one empty. */
    static const char text[] = "mnt_id:\t13\n"
                               "SqThread:\t-1\n"
                               "UserFiles:\t3\n"
                               "    0: a\n"
                               "    1: line1\n"
                               "line2\n"
                               "\n"
                               "line4\n"
                               "    2: <none>\n"
                               "UserBufs:\t0\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(info.table.nentries, 2);
    CHECK_EQ_STR(slot_name(&info.table, 0), "a");
    CHECK_EQ_STR(slot_name(&info.table, 1), "line1\nline2\n\nline4");
    CHECK(names_consistent(&info.table));
    uring_fdinfo_free(&info);
}

TEST(old_format_name_starting_or_ending_with_newline)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    /* "\nfoo" prints as "    0: " then "foo"; "bar\n" as "    1: bar" then "". */
    CHECK_EQ_INT(table_str("    0: \nfoo\n    1: bar\n\n    2: <none>\n", 3, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(t.nentries, 2);
    CHECK_EQ_STR(slot_name(&t, 0), "\nfoo");
    CHECK_EQ_STR(slot_name(&t, 1), "bar\n");
    CHECK(names_consistent(&t));
    name_table_free(&t);
}

TEST(old_format_file_named_none_with_continuation)
{
    /* Slot 0 is a file named "<none>\nfoo"; slot 1 is really empty. */
    static const char text[] = "SqThread:\t-1\n"
                               "UserFiles:\t3\n"
                               "    0: <none>\n"
                               "foo\n"
                               "    1: <none>\n"
                               "    2: last\n"
                               "UserBufs:\t0\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK_EQ_INT(info.table.nentries, 2);
    CHECK_EQ_STR(slot_name(&info.table, 0), "<none>\nfoo");
    CHECK(find_slot(&info.table, 1) == NULL);
    CHECK_EQ_STR(slot_name(&info.table, 2), "last");
    CHECK(slots_increasing(&info.table));
    CHECK(names_consistent(&info.table));
    uring_fdinfo_free(&info);
}

TEST(old_format_none_then_several_continuations)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    /* "<none>\n\nx": an empty continuation, then another */
    CHECK_EQ_INT(table_str("    0: <none>\n\nx\n    1: <none>\n", 2, 1, &t, &err), 0);
    CHECK_EQ_INT(t.nentries, 1);
    CHECK_EQ_STR(slot_name(&t, 0), "<none>\n\nx");
    name_table_free(&t);
    /* the last slot, named "<none>\n" */
    CHECK_EQ_INT(table_str("    0: a\n    1: <none>\n\n", 2, 1, &t, &err), 0);
    CHECK_EQ_INT(t.nentries, 2);
    CHECK_EQ_STR(slot_name(&t, 1), "<none>\n");
    name_table_free(&t);
}

TEST(old_format_all_empty)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: <none>\n    1: <none>\n    2: <none>\n", 3, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(t.nentries, 0);
    name_table_free(&t);
}

TEST(old_format_entry_like_continuation_with_wrong_slot)
{
    /* "a\n    5: b" is one name: slot 5 is not the next slot. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: a\n    5: b\n    1: c\n", 2, 1, &t, &err), 0);
    CHECK_EQ_INT(t.nentries, 2);
    CHECK_EQ_STR(slot_name(&t, 0), "a\n    5: b");
    CHECK_EQ_STR(slot_name(&t, 1), "c");
    name_table_free(&t);
}

TEST(old_format_names_are_raw)
{
    /* Old names are not escaped: a backslash sequence stays as is, and a
     * " (deleted)" ending is part of the name, not a marker. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: a\\040b\n    1: <none>\n    2: x (deleted)\n    3: t\tab\n", 4,
                           1, &t, &err),
                 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(t.nentries, 3);
    CHECK_EQ_STR(slot_name(&t, 0), "a\\040b");
    CHECK_EQ_STR(slot_name(&t, 2), "x (deleted)");
    CHECK(!find_slot(&t, 2)->deleted);
    CHECK_EQ_STR(slot_name(&t, 3), "t\tab");
    name_table_free(&t);
}

TEST(old_format_pseudo_names)
{
    /* Pseudo files under the old format: no "kind:" prefix, except memfd. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(
        table_str("    0: [eventfd]\n    1: memfd:buf\n    2: TCP\n    3: \n", 4, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(t.nentries, 4);
    CHECK_EQ_STR(slot_name(&t, 0), "[eventfd]");
    CHECK_EQ_STR(slot_name(&t, 1), "memfd:buf");
    CHECK_EQ_STR(slot_name(&t, 2), "TCP");
    CHECK_EQ_STR(slot_name(&t, 3), "");
    name_table_free(&t);
}

TEST(old_format_single_full_slot_is_name)
{
    /* A full old table with no <none>: bare names decide the format. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: hostname\n", 1, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
    CHECK_EQ_STR(slot_name(&t, 0), "hostname");
    name_table_free(&t);
}

/* ---- format detection --------------------------------------------------- */

TEST(format_detection_new_format_pseudo_names)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    static const char *const path_like[] = {
        "    0: /etc/passwd\n",
        "    0: socket:[1]\n",
        "    0: pipe:[2]\n",
        "    0: anon_inode:[eventfd]\n",
        "    0: anon_inode:bpf-map\n",
        "    0: mnt:[4026531841]\n",
        "    0: /memfd:x\\040(deleted)\n",
    };
    for (size_t i = 0; i < sizeof(path_like) / sizeof(path_like[0]); i++) {
        CHECK_EQ_INT(table_str(path_like[i], 1, 1, &t, &err), 0);
        if (t.format != NAME_FORMAT_PATH)
            fprintf(stderr, "  not PATH: %s", path_like[i]);
        CHECK_EQ_INT(t.format, NAME_FORMAT_PATH);
        CHECK_EQ_INT(t.nentries, 1);
        name_table_free(&t);
    }
    static const char *const name_like[] = {
        "    0: passwd\n", "    0: [eventfd]\n", "    0: memfd:x\n",
        "    0: UNIX\n",   "    0: \n",          "    0: <none>\n",
    };
    for (size_t i = 0; i < sizeof(name_like) / sizeof(name_like[0]); i++) {
        CHECK_EQ_INT(table_str(name_like[i], 1, 1, &t, &err), 0);
        if (t.format != NAME_FORMAT_NAME)
            fprintf(stderr, "  not NAME: %s", name_like[i]);
        CHECK_EQ_INT(t.format, NAME_FORMAT_NAME);
        name_table_free(&t);
    }
}

TEST(new_format_anon_inode_without_brackets)
{
    /* inotify_init() names its anon inode "inotify" (no brackets), so a
     * registered inotify fd prints "anon_inode:inotify" on 6.14+; bpf
     * objects print "anon_inode:bpf-map" etc. */
    static const char text[] = HEADER_618 "UserFiles:\t16\n"
                                          "    3: anon_inode:inotify\n"
                                          "    7: /etc/passwd\n"
                                          "    9: anon_inode:bpf-map\n" TRAILER_618;
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    int r = parse_str(text, &info, &err);
    CHECK_EQ_INT(r, 0);
    if (r == 0) {
        CHECK_EQ_INT(info.table.format, NAME_FORMAT_PATH);
        CHECK_EQ_INT(info.table.nentries, 3);
        CHECK_EQ_STR(slot_name(&info.table, 3), "anon_inode:inotify");
        CHECK_EQ_STR(slot_name(&info.table, 9), "anon_inode:bpf-map");
        uring_fdinfo_free(&info);
    } else {
        fprintf(stderr, "  line %u: %s\n", err.line, err.reason ? err.reason : "?");
    }
    /* a lone one in slot 0 of a 1-slot table parses either way, but must
     * still be recognised as the new (full path) format */
    static const char lone[] = HEADER_618 "UserFiles:\t1\n"
                                          "    0: anon_inode:inotify\n" TRAILER_618;
    r = parse_str(lone, &info, &err);
    CHECK_EQ_INT(r, 0);
    if (r == 0) {
        CHECK_EQ_INT(info.table.format, NAME_FORMAT_PATH);
        uring_fdinfo_free(&info);
    }
}

TEST(empty_body_is_format_none)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(name_table_parse("", 0, 0, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NONE);
    CHECK_EQ_INT(t.nentries, 0);
    name_table_free(&t);
    CHECK_EQ_INT(name_table_parse("", 0, 16, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_NONE);
    name_table_free(&t);
}

/* ---- new format specifics ----------------------------------------------- */

TEST(new_format_escapes)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: /a\\040b\n"
                           "    1: /tab\\011\n"
                           "    2: /nl\\012\\012x\n"
                           "    3: /back\\134slash\\134\n"
                           "    4: /\\040\\040(deleted)\\040(deleted)\n"
                           "    5: /raw<>\x1b\xc3\xa9\n",
                           0, 1, &t, &err),
                 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_PATH);
    CHECK_EQ_INT(t.nentries, 6);
    CHECK_EQ_STR(slot_name(&t, 0), "/a b");
    CHECK_EQ_STR(slot_name(&t, 1), "/tab\t");
    CHECK_EQ_STR(slot_name(&t, 2), "/nl\n\nx");
    CHECK_EQ_STR(slot_name(&t, 3), "/back\\slash\\");
    /* only the last " (deleted)" is the marker */
    CHECK_EQ_STR(slot_name(&t, 4), "/  (deleted)");
    CHECK(find_slot(&t, 4)->deleted);
    CHECK_EQ_STR(slot_name(&t, 5), "/raw<>\x1b\xc3\xa9");
    CHECK(!find_slot(&t, 5)->deleted);
    CHECK(names_consistent(&t));
    name_table_free(&t);
}

TEST(new_format_deleted_suffix_only_at_end)
{
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: /x\\040(deleted)y\n    1: /y(deleted)\n", 2, 1, &t, &err), 0);
    CHECK_EQ_STR(slot_name(&t, 0), "/x (deleted)y");
    CHECK(!find_slot(&t, 0)->deleted);
    CHECK_EQ_STR(slot_name(&t, 1), "/y(deleted)");
    CHECK(!find_slot(&t, 1)->deleted);
    name_table_free(&t);
}

TEST(new_format_sparse_unbounded_and_first_line)
{
    /* FUSE backing_files style: unbounded, ids need not start at 0. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    1: /mnt/back\\040file\n    7: /mnt/other\n", 0, 1, &t, &err), 0);
    CHECK_EQ_INT(t.nentries, 2);
    CHECK_EQ_STR(slot_name(&t, 1), "/mnt/back file");
    CHECK_EQ_STR(slot_name(&t, 7), "/mnt/other");
    name_table_free(&t);

    /* errors are numbered from first_line */
    err.line = 0;
    CHECK_EQ_INT(table_str("    0: /a\ngarbage\n", 0, 40, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 41);
    CHECK(err.reason != NULL);
    CHECK(t.entries == NULL && t.nentries == 0); /* freed on error */
    /* first_line 0 counts as 1 */
    CHECK_EQ_INT(table_str("    0: /a\ngarbage\n", 0, 0, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
}

TEST(new_format_last_slot_of_table)
{
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(
        parse_str("SqMask:\t0x7\nUserFiles:\t16\n   15: /last\nUserBufs:\t0\n", &info, &err), 0);
    CHECK_EQ_INT(info.table.nentries, 1);
    CHECK_EQ_STR(slot_name(&info.table, 15), "/last");
    uring_fdinfo_free(&info);
}

TEST(indexes_of_six_and_seven_digits)
{
    /* "%5u" leaves no leading space once the index has 5+ digits. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("99999: /a\n100000: /b\n1048575: /c\n", 1u << 20, 1, &t, &err), 0);
    CHECK_EQ_INT(t.format, NAME_FORMAT_PATH);
    CHECK_EQ_INT(t.nentries, 3);
    CHECK_EQ_STR(slot_name(&t, 99999), "/a");
    CHECK_EQ_STR(slot_name(&t, 100000), "/b");
    CHECK_EQ_STR(slot_name(&t, 1048575), "/c");
    name_table_free(&t);

    /* " 100000:" is not what %5u prints */
    CHECK_EQ_INT(table_str("99999: /a\n 100000: /b\n", 1u << 20, 1, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
    /* nor is a short field */
    CHECK_EQ_INT(table_str("    0: /a\n   1: /b\n", 16, 1, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
    CHECK_EQ_INT(table_str("    0: /a\n      1: /b\n", 16, 1, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
    /* missing space after the colon */
    CHECK_EQ_INT(table_str("    0: /a\n    1:/b\n", 16, 1, &t, &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
}

/* ---- empty tables and contention shapes ----------------------------------- */

TEST(empty_table)
{
    static const char text[] = HEADER_618 "UserFiles:\t0\n" TRAILER_618;
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_uring_section);
    CHECK(info.has_user_files);
    CHECK_EQ_INT(info.user_files, 0);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NONE);
    CHECK_EQ_INT(info.table.nentries, 0);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);

    /* old format too */
    CHECK_EQ_INT(parse_str("mnt_id:\t13\nSqThread:\t-1\nSqThreadCpu:\t-1\nUserFiles:\t0\n"
                           "UserBufs:\t0\nPollList:\n",
                           &info, &err),
                 0);
    CHECK(info.has_user_files);
    CHECK_EQ_INT(info.table.nentries, 0);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
}

TEST(contended_615_no_uring_section)
{
    /* 6.15+/6.14.8+: the trylock failed, only the generic header. */
    static const char text[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t85414\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(info.has_ino);
    CHECK_EQ_INT(info.ino, 85414);
    CHECK_EQ_INT(info.mnt_id, 17);
    CHECK(!info.has_uring_section);
    CHECK(!info.has_user_files);
    CHECK(!info.has_sq_thread);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);

    /* the same without the final newline */
    CHECK_EQ_INT(uring_fdinfo_parse(text, strlen(text) - 1, &info, &err), 0);
    CHECK_EQ_INT(info.ino, 85414);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);

    /* and an empty read */
    CHECK_EQ_INT(uring_fdinfo_parse("", 0, &info, &err), 0);
    CHECK(!info.has_uring_section);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
}

TEST(contended_59_to_6147_count_without_entries)
{
    /* 6.14.0-6.14.7 new format: N slots claimed, nothing printed. */
    static const char text618[] = HEADER_618 "UserFiles:\t16\n" TRAILER_618;
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text618, &info, &err), 0);
    CHECK(info.has_uring_section);
    CHECK_EQ_INT(info.user_files, 16);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NONE);
    CHECK_EQ_INT(info.table.nentries, 0);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);

    /* 5.10 with !has_lock: SqThread -1, count only, no bufs, no personalities */
    static const char text510[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t13\n"
                                  "SqThread:\t-1\nSqThreadCpu:\t-1\n"
                                  "UserFiles:\t4\n"
                                  "UserBufs:\t1\n"
                                  "PollList:\n";
    CHECK_EQ_INT(parse_str(text510, &info, &err), 0);
    CHECK_EQ_INT(info.user_files, 4);
    CHECK_EQ_INT(info.user_bufs, 1);
    CHECK_EQ_INT(info.table.nentries, 0);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
}

TEST(maybe_contended_cases)
{
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    /* SqMask but no UserFiles: the section is incomplete */
    CHECK_EQ_INT(parse_str("mnt_id:\t17\nSqMask:\t0x7\nSqHead:\t0\n", &info, &err), 0);
    CHECK(info.has_uring_section);
    CHECK(!info.has_user_files);
    CHECK(uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
    /* a complete table is not */
    CHECK_EQ_INT(parse_str(example_510, &info, &err), 0);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
    /* all slots <none> in the old format is a complete, empty table */
    CHECK_EQ_INT(parse_str("SqThread:\t-1\nUserFiles:\t2\n    0: <none>\n    1: <none>\n"
                           "UserBufs:\t0\n",
                           &info, &err),
                 0);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(info.table.nentries, 0);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);
    /* a zeroed struct (never parsed) counts as contended */
    memset(&info, 0, sizeof(info));
    CHECK(uring_fdinfo_maybe_contended(&info));
}

TEST(non_uring_fdinfo)
{
    /* A regular file's fdinfo: parses, no section. */
    static const char text[] = "pos:\t1234\nflags:\t0100002\nmnt_id:\t25\nino:\t1311\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK(!info.has_uring_section);
    CHECK_EQ_INT(info.mnt_id, 25);
    CHECK_EQ_INT(info.ino, 1311);
    uring_fdinfo_free(&info);
}

/* ---- huge tables ----------------------------------------------------------- */

TEST(huge_old_format_table_1m_slots)
{
    const uint32_t n = 1u << 20; /* IORING_MAX_FIXED_FILES */
    struct text t = {0};
    char line[64];
    text_puts(&t, "pos:\t0\nflags:\t02000002\nmnt_id:\t13\nSqThread:\t-1\nSqThreadCpu:\t-1\n");
    snprintf(line, sizeof(line), "UserFiles:\t%u\n", n);
    text_puts(&t, line);
    size_t expect_files = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i % 3 == 0)
            snprintf(line, sizeof(line), "%5u: f%u\n", i, i);
        else if (i % 3 == 1)
            snprintf(line, sizeof(line), "%5u: <none>\n", i);
        else
            snprintf(line, sizeof(line), "%5u: \n", i); /* pipe */
        expect_files += i % 3 != 1;
        text_puts(&t, line);
    }
    text_puts(&t, "UserBufs:\t0\nPollList:\n");

    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    double t0 = now_seconds();
    int r = uring_fdinfo_parse(t.p, t.len, &info, &err);
    double dt = now_seconds() - t0;
    CHECK_EQ_INT(r, 0);
    if (dt > BIG_TABLE_SECONDS)
        fprintf(stderr, "  1M-slot old table took %.2fs\n", dt);
    CHECK(dt < BIG_TABLE_SECONDS);
    CHECK_EQ_INT(info.user_files, n);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(info.table.nentries, expect_files);
    CHECK(slots_increasing(&info.table));
    CHECK(names_consistent(&info.table));
    CHECK_EQ_STR(slot_name(&info.table, 0), "f0");
    CHECK_EQ_STR(slot_name(&info.table, 99999), "f99999");
    CHECK_EQ_STR(slot_name(&info.table, 100002), "f100002");
    CHECK_EQ_STR(slot_name(&info.table, 1048575), "f1048575"); /* 1048575 % 3 == 0 */
    CHECK_EQ_STR(slot_name(&info.table, 1048574), "");
    CHECK(find_slot(&info.table, 1048573) == NULL);
    CHECK(!uring_fdinfo_maybe_contended(&info));
    uring_fdinfo_free(&info);

    /* the same table claiming one more slot is short by one entry */
    char *p = strstr(t.p, "UserFiles:\t1048576\n");
    CHECK(p != NULL);
    if (p) {
        memcpy(p, "UserFiles:\t1048577\n", 19);
        CHECK_EQ_INT(uring_fdinfo_parse(t.p, t.len, &info, &err), -EINVAL);
        CHECK_EQ_INT(err.line, 7);
    }
    free(t.p);
}

TEST(huge_new_format_table_100k_entries)
{
    const uint32_t n = 100000, size = 2 * n + 1;
    struct text t = {0};
    char line[128];
    text_puts(&t, HEADER_618);
    snprintf(line, sizeof(line), "UserFiles:\t%u\n", size);
    text_puts(&t, line);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = 2 * i + 1;
        if (i % 2)
            snprintf(line, sizeof(line), "%5u: /data/dir\\040%u/f\\134%u\n", slot, i, i);
        else
            snprintf(line, sizeof(line), "%5u: /data/gone%u\\040(deleted)\n", slot, i);
        text_puts(&t, line);
    }
    text_puts(&t, TRAILER_618);

    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    double t0 = now_seconds();
    int r = uring_fdinfo_parse(t.p, t.len, &info, &err);
    double dt = now_seconds() - t0;
    CHECK_EQ_INT(r, 0);
    CHECK(dt < BIG_TABLE_SECONDS);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_PATH);
    CHECK_EQ_INT(info.table.nentries, n);
    CHECK(slots_increasing(&info.table));
    CHECK(names_consistent(&info.table));
    CHECK_EQ_STR(slot_name(&info.table, 1), "/data/gone0");
    CHECK(find_slot(&info.table, 1)->deleted);
    CHECK_EQ_STR(slot_name(&info.table, 3), "/data/dir 1/f\\1");
    CHECK(!find_slot(&info.table, 3)->deleted);
    CHECK_EQ_STR(slot_name(&info.table, 199999), "/data/dir 99999/f\\99999");
    CHECK(find_slot(&info.table, 199998) == NULL);
    CHECK_EQ_INT(info.table.entries[n - 1].number, 199999);
    uring_fdinfo_free(&info);
    free(t.p);
}

TEST(huge_old_format_single_name_many_lines)
{
    /* One name with 200000 embedded newlines: appending continuations must
     * stay linear. */
    struct text t = {0};
    text_puts(&t, "    0: start\n");
    for (int i = 0; i < 200000; i++)
        text_puts(&t, "x\n");
    text_puts(&t, "    1: <none>\n");
    struct name_table tab;
    struct parse_error err = {0, NULL};
    double t0 = now_seconds();
    CHECK_EQ_INT(name_table_parse(t.p, t.len, 2, 1, &tab, &err), 0);
    CHECK(now_seconds() - t0 < BIG_TABLE_SECONDS);
    CHECK_EQ_INT(tab.nentries, 1);
    CHECK_EQ_INT(tab.entries[0].name_len, 5 + 2 * 200000);
    CHECK(names_consistent(&tab));
    name_table_free(&tab);
    free(t.p);
}

/* ---- malformed input ------------------------------------------------------- */

struct bad_case {
    const char *text;
    unsigned line; /* expected err.line */
};

static void check_bad(const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct uring_fdinfo info;
        struct parse_error err = {0, NULL};
        int r = parse_str(c[i].text, &info, &err);
        if (r != -EINVAL || err.line != c[i].line) {
            fprintf(stderr, "  case %zu: r=%d line=%u (%s), expected -EINVAL line %u\n", i, r,
                    err.line, err.reason ? err.reason : "no reason", c[i].line);
            unit_failures_in_test++;
        }
        if (r == -EINVAL && !err.reason) {
            fprintf(stderr, "  case %zu: no reason given\n", i);
            unit_failures_in_test++;
        }
        if (r == 0)
            uring_fdinfo_free(&info);
        else /* left freed */
            CHECK(info.table.entries == NULL && info.table.names == NULL);
    }
}

TEST(malformed_numbers)
{
    static const struct bad_case cases[] = {
        {"pos:\t0\nflags:\t02\nmnt_id:\tx\n", 3},
        {"mnt_id:\t\n", 1},
        {"mnt_id:\t-\n", 1},
        {"mnt_id:\t2147483648\n", 1}, /* > INT_MAX */
        {"mnt_id:\t17 \n", 1},
        {"ino:\t-5\n", 1},
        {"ino:\t18446744073709551616\n", 1},
        {"ino:\t0x10\n", 1},
        {"SqMask:\t0x7\nSqThread:\tabc\n", 2},
        {"SqThread:\t\n", 1},
        {"SqThread:\t1.5\n", 1},
        {"UserFiles:\tabc\nUserBufs:\t0\n", 1},
        {"UserFiles:\t\nUserBufs:\t0\n", 1},
        {"UserFiles:\t-1\nUserBufs:\t0\n", 1},
        {"UserFiles:\t4294967296\nUserBufs:\t0\n", 1},
        {"SqThread:\t-1\nUserFiles:\t0\nUserBufs:\tmany\n", 3},
        {"SqThread:\t-1\nUserFiles:\t0\nUserBufs:\t\n", 3},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));

    /* big but valid */
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str("mnt_id:\t2147483647\nino:\t18446744073709551615\n", &info, &err), 0);
    CHECK_EQ_INT(info.mnt_id, 2147483647);
    CHECK(info.ino == UINT64_MAX);
    uring_fdinfo_free(&info);
    CHECK_EQ_INT(parse_str("mnt_id:\t-2147483648\n", &info, &err), 0);
    CHECK_EQ_INT(info.mnt_id, -2147483647 - 1);
    uring_fdinfo_free(&info);
}

TEST(malformed_missing_userbufs)
{
    static const struct bad_case cases[] = {
        /* cut before UserBufs: */
        {HEADER_618 "UserFiles:\t16\n    0: /a\n", USERFILES_LINE_618},
        {HEADER_618 "UserFiles:\t16\n", USERFILES_LINE_618},
        {HEADER_618 "UserFiles:\t0", USERFILES_LINE_618},
        /* "UserBufs:" without its tab is not the terminator */
        {"UserFiles:\t0\nUserBufs: 0\n", 1},
        {"SqThread:\t-1\nUserFiles:\t1\n    0: a\nPollList:\n", 2},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_second_userfiles)
{
    static const struct bad_case cases[] = {
        {"UserFiles:\t0\nUserBufs:\t0\nUserFiles:\t0\nUserBufs:\t0\n", 3},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_escapes)
{
    /* each entry is line 20 */
#define ESC_CASE(entry)                                                                            \
    {                                                                                              \
        HEADER_618 "UserFiles:\t2\n" entry "\nUserBufs:\t0\n", 20                                  \
    }
    static const struct bad_case cases[] = {
        ESC_CASE("    0: /a\\9"),            /* not octal */
        ESC_CASE("    0: /a\\9zz"),          /* not octal, enough room */
        ESC_CASE("    0: /a\\"),             /* trailing backslash */
        ESC_CASE("    0: /a\\04"),           /* short */
        ESC_CASE("    0: /a\\0"),            /* short */
        ESC_CASE("    0: /a\\400b"),         /* > 0377 */
        ESC_CASE("    0: /a\\000b"),         /* NUL */
        ESC_CASE("    0: /a\\08xb"),         /* 8 is not octal */
        ESC_CASE("    0: /a\\n"),            /* C escapes are not the kernel's */
        ESC_CASE("    0: /a\\\\"),           /* unescaped backslash pair */
        ESC_CASE("    0: /a\\040\\1"),       /* valid, then short */
        ESC_CASE("    0: anon_inode:[x]\\"), /* pseudo names too */
    };
#undef ESC_CASE
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));

    /* the smallest valid escape at the very end still decodes */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: /\\134", 1, 1, &t, &err), 0);
    CHECK_EQ_STR(slot_name(&t, 0), "/\\");
    name_table_free(&t);
    CHECK_EQ_INT(table_str("    0: /\\377\\001", 1, 1, &t, &err), 0);
    CHECK_EQ_STR(slot_name(&t, 0), "/\xff\x01");
    name_table_free(&t);
}

TEST(malformed_new_format_slot_order_and_bounds)
{
    static const struct bad_case cases[] = {
        /* decreasing */
        {HEADER_618 "UserFiles:\t16\n    3: /a\n    1: /b\nUserBufs:\t0\n", 21},
        /* repeated */
        {HEADER_618 "UserFiles:\t16\n    3: /a\n    3: /b\nUserBufs:\t0\n", 21},
        /* beyond the table size */
        {HEADER_618 "UserFiles:\t2\n    0: /a\n    5: /b\nUserBufs:\t0\n", 21},
        {HEADER_618 "UserFiles:\t16\n   16: /a\nUserBufs:\t0\n", 20},
        {HEADER_618 "UserFiles:\t1\n100000: /a\nUserBufs:\t0\n", 20},
        /* an empty value reads as an old-format (pipe) entry, so the table is
         * then short of entries: reported at the first entry line */
        {HEADER_618 "UserFiles:\t16\n    0: /a\n    2: \n    3: /b\nUserBufs:\t0\n", 20},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_new_format_entries_with_zero_table_size)
{
    /* "UserFiles:\t0" is an empty io_uring table, not an unbounded list:
     * an entry after it cannot be a slot of the ring. */
    static const struct bad_case cases[] = {
        {HEADER_618 "UserFiles:\t0\n    0: /etc/passwd\nUserBufs:\t0\n", 20},
        {"SqThread:\t-1\nUserFiles:\t0\n    0: passwd\nUserBufs:\t0\n", 3},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_new_format_garbage_lines)
{
    static const struct bad_case cases[] = {
        {HEADER_618 "UserFiles:\t16\n    0: /a\ngarbage\n    2: /b\nUserBufs:\t0\n", 21},
        {HEADER_618 "UserFiles:\t16\n    0: /a\n\n    2: /b\nUserBufs:\t0\n", 21},
        {HEADER_618 "UserFiles:\t16\n    0: /a\n    2: /b\n \nUserBufs:\t0\n", 22},
        {HEADER_618 "UserFiles:\t16\ngarbage\n    0: /a\nUserBufs:\t0\n", 20},
        /* a body with no entry at all */
        {HEADER_618 "UserFiles:\t16\ngarbage\nUserBufs:\t0\n", 20},
        {HEADER_618 "UserFiles:\t16\n\nUserBufs:\t0\n", 20},
        /* raw tab or CR break the "%5u: " prefix */
        {HEADER_618 "UserFiles:\t16\n    0: /a\n\t1: /b\nUserBufs:\t0\n", 21},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_old_format_counts)
{
    static const struct bad_case cases[] = {
        /* fewer entries than the table: reported at the first entry line */
        {"SqThread:\t-1\nUserFiles:\t3\n    0: a\n    1: <none>\nUserBufs:\t0\n", 3},
        /* a gap: "    2: b" continues slot 0, so slot 1 is missing */
        {"SqThread:\t-1\nUserFiles:\t3\n    0: a\n    2: b\n    1: <none>\nUserBufs:\t0\n", 3},
        /* text before the first slot */
        {"SqThread:\t-1\nUserFiles:\t1\ngarbage\n    0: a\nUserBufs:\t0\n", 3},
        /* numbering does not start at 0 */
        {"SqThread:\t-1\nUserFiles:\t2\n    1: a\n    2: <none>\nUserBufs:\t0\n", 3},
    };
    check_bad(cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(malformed_old_format_decreasing_is_a_continuation)
{
    /* In the old format "    0: c" after slot 1 can only be part of a
     * name; with the count right it parses as one. */
    struct name_table t;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(table_str("    0: a\n    1: b\n    0: c\n", 2, 1, &t, &err), 0);
    CHECK_EQ_STR(slot_name(&t, 1), "b\n    0: c");
    name_table_free(&t);
    /* with the count wrong it is an error */
    CHECK_EQ_INT(table_str("    0: a\n    1: b\n    0: c\n", 3, 1, &t, &err), -EINVAL);
}

TEST(malformed_nul_byte_in_name)
{
    /* The kernel never prints a NUL in fdinfo; a name holding one would be
     * cut short by every consumer, so the text must be rejected. */
    static const char newfmt[] = "    0: /a\0b\n";
    static const char oldfmt[] = "    0: a\0b\n    1: <none>\n";
    struct name_table t;
    struct parse_error err = {0, NULL};
    int r = name_table_parse(newfmt, sizeof(newfmt) - 1, 1, 1, &t, &err);
    CHECK_EQ_INT(r, -EINVAL);
    if (r == 0) {
        CHECK(names_consistent(&t));
        name_table_free(&t);
    }
    r = name_table_parse(oldfmt, sizeof(oldfmt) - 1, 2, 1, &t, &err);
    CHECK_EQ_INT(r, -EINVAL);
    if (r == 0) {
        CHECK(names_consistent(&t));
        name_table_free(&t);
    }
}

TEST(malformed_null_err_pointer)
{
    struct uring_fdinfo info;
    CHECK_EQ_INT(parse_str("mnt_id:\tx\n", &info, NULL), -EINVAL);
    struct name_table t;
    CHECK_EQ_INT(table_str("garbage\n", 0, 1, &t, NULL), -EINVAL);
}

TEST(unrelated_lines_are_ignored)
{
    /* SQE/CQE/UserBufs/Personality lines look like "%5u: " entries but are
     * outside the UserFiles section. */
    static const char text[] = "SqMask:\t0x7\n"
                               "SQEs:\t1\n"
                               "    0: opcode:READ, fd:3, flags:0, off:0, addr:0x0, rw_flags:0x0, "
                               "buf_index:0 user_data:1\n"
                               "CQEs:\t0\n"
                               "SqThread:\t-1\n"
                               "UserFiles:\t1\n"
                               "    0: /x\n"
                               "UserBufs:\t1\n"
                               "    0: 0x1000/4096\n"
                               "Personalities:\n"
                               "    1\n"
                               "\tUid:\t0\t\t0\t\t0\t\t0\n"
                               "PollList:\n"
                               "  op=22, task_works=0\n"
                               "CqOverflowList:\n"
                               "  user_data=1, res=0, flags=0\n"
                               "NAPI:\tenabled\n"
                               "napi tracking:\tdynamic\n"
                               "napi_busy_poll_dt:\t0\n"
                               "napi_prefer_busy_poll:\tfalse\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(parse_str(text, &info, &err), 0);
    CHECK_EQ_INT(info.table.nentries, 1);
    CHECK_EQ_STR(slot_name(&info.table, 0), "/x");
    CHECK_EQ_INT(info.user_bufs, 1);
    uring_fdinfo_free(&info);
}

/* ---- fdinfo_get_u64 -------------------------------------------------------- */

TEST(get_u64_found_and_absent)
{
    static const char text[] = "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t85414\n";
    uint64_t v = 12345;
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "pos", &v), 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "mnt_id", &v), 0);
    CHECK_EQ_INT(v, 17);
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "ino", &v), 0);
    CHECK_EQ_INT(v, 85414);
    /* without the trailing newline */
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text) - 1, "ino", &v), 0);
    CHECK_EQ_INT(v, 85414);
    /* absent */
    v = 777;
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "SqThread", &v), -ENOENT);
    CHECK_EQ_INT(v, 777);
    CHECK_EQ_INT(fdinfo_get_u64("", 0, "ino", &v), -ENOENT);
    /* a key is a whole key, not a prefix of one */
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "mnt", &v), -ENOENT);
    CHECK_EQ_INT(fdinfo_get_u64(text, strlen(text), "in", &v), -ENOENT);
    CHECK_EQ_INT(fdinfo_get_u64("xino:\t5\n", 8, "ino", &v), -ENOENT);
    /* the first occurrence wins */
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t1\nino:\t2\n", 14, "ino", &v), 0);
    CHECK_EQ_INT(v, 1);
}

TEST(get_u64_separators)
{
    uint64_t v = 0;
    static const char fuse[] = "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t4\nfuse_connection:\t42\n";
    CHECK_EQ_INT(fdinfo_get_u64(fuse, strlen(fuse), "fuse_connection", &v), 0);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(fdinfo_get_u64("tfd:  12\n", 9, "tfd", &v), 0);
    CHECK_EQ_INT(v, 12);
    CHECK_EQ_INT(fdinfo_get_u64("ino:7\n", 6, "ino", &v), 0);
    CHECK_EQ_INT(v, 7);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t18446744073709551615\n", 26, "ino", &v), 0);
    CHECK(v == UINT64_MAX);
}

TEST(get_u64_bad_values)
{
    uint64_t v = 0;
    CHECK_EQ_INT(fdinfo_get_u64("ino:\tabc\n", 9, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t-1\n", 8, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t12 x\n", 10, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t12 \n", 9, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t18446744073709551616\n", 26, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:\t\n", 6, "ino", &v), -EINVAL);
}

TEST(get_u64_present_but_empty)
{
    /* "ino:" with no value is present and bad, not absent. */
    uint64_t v = 0;
    CHECK_EQ_INT(fdinfo_get_u64("ino:\n", 5, "ino", &v), -EINVAL);
    CHECK_EQ_INT(fdinfo_get_u64("ino:", 4, "ino", &v), -EINVAL);
}

TEST(old_format_last_name_continues_with_entry_like_line)
{
    /* The table has one slot, so "    1: <none>" can only be the rest of
     * slot 0's name after an embedded newline. */
    static const char text[] =
        "SqThread:\t-1\nUserFiles:\t1\n    0: a\n    1: <none>\nUserBufs:\t0\n";
    struct uring_fdinfo info;
    struct parse_error err = {0, NULL};
    CHECK_EQ_INT(uring_fdinfo_parse(text, sizeof(text) - 1, &info, &err), 0);
    CHECK_EQ_INT(info.table.format, NAME_FORMAT_NAME);
    CHECK_EQ_INT(info.table.nentries, 1);
    if (info.table.nentries == 1)
        CHECK_EQ_STR(name_table_name(&info.table, 0), "a\n    1: <none>");
    uring_fdinfo_free(&info);
}
