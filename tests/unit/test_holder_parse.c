/* Unit tests of the parsers behind --mount's non-process holders:
 * octal unescaping, loop backing_file, /proc/swaps, binfmt_misc entries,
 * nfsd exports and client states. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/holder_parse.h"
#include "unit.h"

static int span_is(struct text_span s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

/* The span decoded (escaped or not), in a static buffer; NULL if invalid. */
static const char *decoded(struct text_span s, bool escaped, bool *deleted)
{
    static char buf[4096];
    if (s.len + 1 > sizeof(buf) || holder_decode_path(s, escaped, buf, deleted) < 0)
        return NULL;
    return buf;
}

static const char *unescaped(const char *s)
{
    static char buf[4096];
    if (octal_unescape(s, strlen(s), buf) < 0)
        return NULL;
    return buf;
}

static void cursor(struct text_cursor *cur, const char *text)
{
    text_cursor_init(cur, text, strlen(text));
}

/* ---- octal escapes ---- */

TEST(unescape_plain_and_escaped)
{
    CHECK_EQ_STR(unescaped("/srv/data"), "/srv/data");
    CHECK_EQ_STR(unescaped("/a\\040b"), "/a b");
    CHECK_EQ_STR(unescaped("\\011tab\\012nl\\134bs"), "\ttab\nnl\\bs");
    CHECK_EQ_STR(unescaped(""), "");
    /* any byte, including ones the kernel would not escape */
    CHECK_EQ_STR(unescaped("\\303\\251"), "\xc3\xa9");
    char out[8];
    CHECK_EQ_INT(octal_unescape("a\\040b", 6, out), 3);
    /* only len bytes are read */
    CHECK_EQ_INT(octal_unescape("ab\\040", 2, out), 2);
    CHECK_EQ_STR(out, "ab");
}

TEST(unescape_malformed)
{
    char out[16];
    CHECK_EQ_INT(octal_unescape("a\\", 2, out), -EINVAL);     /* lone backslash */
    CHECK_EQ_INT(octal_unescape("a\\04", 4, out), -EINVAL);   /* truncated */
    CHECK_EQ_INT(octal_unescape("a\\08x", 5, out), -EINVAL);  /* not octal */
    CHECK_EQ_INT(octal_unescape("a\\400", 5, out), -EINVAL);  /* above 0377 */
    CHECK_EQ_INT(octal_unescape("a\\000", 5, out), -EINVAL);  /* NUL */
    CHECK_EQ_INT(octal_unescape("a\\x20", 5, out), -EINVAL);  /* not a kernel escape */
    CHECK_EQ_INT(octal_unescape("\\040\\", 5, out), -EINVAL); /* trailing */
}

TEST(decode_path_deleted_suffix)
{
    bool deleted = true;
    struct text_span s = {"/swap\\040file\\040(deleted)", 26};
    CHECK_EQ_STR(decoded(s, true, &deleted), "/swap file");
    CHECK(deleted);
    s = (struct text_span){"/swap\\040file", 13};
    CHECK_EQ_STR(decoded(s, true, &deleted), "/swap file");
    CHECK(!deleted);
    /* raw text (loop backing_file): the suffix is literal */
    s = (struct text_span){"/img/disk.img (deleted)", 23};
    CHECK_EQ_STR(decoded(s, false, &deleted), "/img/disk.img");
    CHECK(deleted);
    /* raw text keeps backslashes as they are */
    s = (struct text_span){"/a\\040b", 7};
    CHECK_EQ_STR(decoded(s, false, &deleted), "/a\\040b");
    CHECK(!deleted);
    /* a name that is only the suffix is not stripped to nothing */
    s = (struct text_span){" (deleted)", 10};
    CHECK_EQ_STR(decoded(s, false, &deleted), " (deleted)");
    CHECK(!deleted);
    s = (struct text_span){"/x\\0", 4};
    CHECK(decoded(s, true, &deleted) == NULL);
}

/* ---- loop backing_file ---- */

TEST(loop_backing_file)
{
    struct text_span path;
    const char *t = "/srv/images/disk.img\n";
    CHECK_EQ_INT(loop_backing_file_parse(t, strlen(t), &path), 0);
    CHECK(span_is(path, "/srv/images/disk.img"));
    /* unescaped: spaces and even newlines are raw; only the last newline
     * terminates */
    t = "/srv/my images/a\nb.img (deleted)\n";
    CHECK_EQ_INT(loop_backing_file_parse(t, strlen(t), &path), 0);
    CHECK(span_is(path, "/srv/my images/a\nb.img (deleted)"));
    bool deleted;
    CHECK_EQ_STR(decoded(path, false, &deleted), "/srv/my images/a\nb.img");
    CHECK(deleted);
    /* no trailing newline (a hand-written fixture) */
    t = "/x.img";
    CHECK_EQ_INT(loop_backing_file_parse(t, strlen(t), &path), 0);
    CHECK(span_is(path, "/x.img"));
    CHECK_EQ_INT(loop_backing_file_parse("\n", 1, &path), -EINVAL);
    CHECK_EQ_INT(loop_backing_file_parse("", 0, &path), -EINVAL);
    CHECK_EQ_INT(loop_backing_file_parse("/a\0b\n", 5, &path), -EINVAL);
}

/* ---- /proc/swaps ---- */

static const char SWAPS[] =
    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
    "/dev/vda2                               partition\t1048572\t\t0\t\t-2\n"
    "/scratch/swap\\040file                   file\t\t65532\t\t1024\t\t-3\n"
    "/scratch/old\\040(deleted)               file\t\t8188\t\t0\t\t5\n"
    "/a/very/long/path/to/a/swap/file/beyond/forty/columns file\t\t12345678\t0\t\t-4\n";

TEST(swaps_entries)
{
    struct text_cursor cur;
    struct swap_entry e;
    bool deleted;
    cursor(&cur, SWAPS);

    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/dev/vda2"));
    CHECK(!e.is_file);
    CHECK(e.size_kib == 1048572);
    CHECK(e.used_kib == 0);
    CHECK_EQ_INT(e.priority, -2);

    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK(e.is_file);
    CHECK_EQ_STR(decoded(e.path, true, &deleted), "/scratch/swap file");
    CHECK(!deleted);
    CHECK(e.size_kib == 65532);
    CHECK(e.used_kib == 1024);
    CHECK_EQ_INT(e.priority, -3);

    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK_EQ_STR(decoded(e.path, true, &deleted), "/scratch/old");
    CHECK(deleted);
    CHECK_EQ_INT(e.priority, 5);

    /* past 40 columns: one space; sizes of 8 digits lose their extra tab */
    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/a/very/long/path/to/a/swap/file/beyond/forty/columns"));
    CHECK(e.size_kib == 12345678);
    CHECK_EQ_INT(e.priority, -4);
    CHECK_EQ_INT(cur.line, 5);

    CHECK_EQ_INT(swaps_next(&cur, &e), 0);
    CHECK_EQ_INT(swaps_next(&cur, &e), 0);
}

TEST(swaps_empty_and_header_only)
{
    struct text_cursor cur;
    struct swap_entry e;
    cursor(&cur, "");
    CHECK_EQ_INT(swaps_next(&cur, &e), 0);
    cursor(&cur, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    CHECK_EQ_INT(swaps_next(&cur, &e), 0);
    /* no header (a fixture) and no final newline */
    cursor(&cur, "/s file 4 0 -2");
    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/s"));
}

TEST(swaps_malformed)
{
    struct text_cursor cur;
    struct swap_entry e;
    const char *bad[] = {
        "/s file 4 0\n",             /* missing priority */
        "/s disk 4 0 -2\n",          /* unknown type */
        "/s file 4x 0 -2\n",         /* bad size */
        "/s file 4 0 -2 extra\n",    /* trailing field */
        " /s file 4 0 -2\n",         /* starts with a blank */
        "/s file 4 0 99999999999\n", /* priority overflows int */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cursor(&cur, bad[i]);
        CHECK_EQ_INT(swaps_next(&cur, &e), -EINVAL);
    }
    /* the cursor moves on past a bad line */
    cursor(&cur, "Filename Type\n/s file x 0 -2\n/t file 4 0 -2\n");
    CHECK_EQ_INT(swaps_next(&cur, &e), -EINVAL);
    CHECK_EQ_INT(cur.line, 2);
    CHECK_EQ_INT(swaps_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/t"));
}

/* ---- binfmt_misc ---- */

TEST(binfmt_magic_entry)
{
    const char *t = "enabled\n"
                    "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
                    "flags: POCF\n"
                    "offset 0\n"
                    "magic 7f454c460201010000000000000000000200b700\n"
                    "mask ffffffffffffff00fffffffffffffffffeffffff\n";
    struct binfmt_entry e;
    CHECK_EQ_INT(binfmt_entry_parse(t, strlen(t), &e), 0);
    CHECK(e.enabled);
    CHECK(span_is(e.interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"));
    CHECK(span_is(e.flags, "POCF"));
    CHECK(e.open_file);
}

TEST(binfmt_extension_entry)
{
    const char *t = "disabled\ninterpreter /opt/my tools/run jar\nflags: \nextension .jar\n";
    struct binfmt_entry e;
    CHECK_EQ_INT(binfmt_entry_parse(t, strlen(t), &e), 0);
    CHECK(!e.enabled);
    /* raw, spaces included */
    CHECK(span_is(e.interpreter, "/opt/my tools/run jar"));
    CHECK(span_is(e.flags, ""));
    CHECK(!e.open_file);

    t = "enabled\ninterpreter /bin/x\nflags: F\nextension .x\n";
    CHECK_EQ_INT(binfmt_entry_parse(t, strlen(t), &e), 0);
    CHECK(e.open_file);
    CHECK(span_is(e.flags, "F"));
    /* flags at the very end, without a newline */
    t = "enabled\ninterpreter /bin/x\nflags: OF";
    CHECK_EQ_INT(binfmt_entry_parse(t, strlen(t), &e), 0);
    CHECK(span_is(e.flags, "OF"));
    CHECK(e.open_file);
    /* an interpreter holding a newline runs to the flags line */
    t = "enabled\ninterpreter /bin/a\nb\nflags: F\n";
    CHECK_EQ_INT(binfmt_entry_parse(t, strlen(t), &e), 0);
    CHECK(span_is(e.interpreter, "/bin/a\nb"));
}

TEST(binfmt_malformed)
{
    struct binfmt_entry e;
    const char *bad[] = {
        "",
        "enabled\n",                           /* no interpreter */
        "maybe\ninterpreter /x\nflags: F\n",   /* bad status */
        "enabled\ninterpreter /x\n",           /* no flags line */
        "enabled\ninterpreter \nflags: F\n",   /* empty interpreter */
        "enabled\nflags: F\ninterpreter /x\n", /* wrong order */
        "enabled\ninterpreter /x\nflags: f\n", /* lower-case flag */
        "1\n",                                 /* the "status" file */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(binfmt_entry_parse(bad[i], strlen(bad[i]), &e), -EINVAL);
}

/* ---- nfsd exports ---- */

TEST(exports_entries)
{
    const char *t =
        "# Version 1.1\n"
        "# Path Client(Flags) # IPs\n"
        "/srv/data\t*(rw,no_root_squash,sync,wdelay,no_subtree_check,uuid=1:2:3:4,sec=1)\n"
        "/srv/my\\040share\t192.168.1.0/24(ro,root_squash,sync,wdelay)\n"
        "\n"
        "# /srv/old\t*(ro)\n"
        "/srv/x\tgss/krb5\\040host(rw)\n";
    struct text_cursor cur;
    struct nfs_export e;
    bool deleted;
    cursor(&cur, t);
    CHECK_EQ_INT(exports_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/srv/data"));
    CHECK(span_is(e.client, "*"));
    CHECK(span_is(e.options, "rw,no_root_squash,sync,wdelay,no_subtree_check,uuid=1:2:3:4,sec=1"));
    CHECK_EQ_INT(cur.line, 3);

    CHECK_EQ_INT(exports_next(&cur, &e), 1);
    CHECK_EQ_STR(decoded(e.path, true, &deleted), "/srv/my share");
    CHECK(span_is(e.client, "192.168.1.0/24"));
    CHECK(span_is(e.options, "ro,root_squash,sync,wdelay"));

    CHECK_EQ_INT(exports_next(&cur, &e), 1);
    CHECK(span_is(e.path, "/srv/x"));
    CHECK_EQ_STR(unescaped("gss/krb5\\040host"), "gss/krb5 host");
    CHECK(span_is(e.client, "gss/krb5\\040host"));
    CHECK_EQ_INT(exports_next(&cur, &e), 0);

    /* nfsd.export/content: a different header, empty options for an entry
     * whose cache data is not valid */
    cursor(&cur, "#path domain(flags)\n/srv/data\t*()\n");
    CHECK_EQ_INT(exports_next(&cur, &e), 1);
    CHECK(span_is(e.options, ""));
}

TEST(exports_malformed)
{
    struct text_cursor cur;
    struct nfs_export e;
    const char *bad[] = {
        "/srv/data *(rw)\n", /* no tab */
        "\t*(rw)\n",         /* empty path */
        "/srv/data\t(rw)\n", /* empty client */
        "/srv/data\t*\n",    /* no options */
        "/srv/data\t*(rw\n", /* unclosed */
        "/srv/a b\t*(rw)\n", /* raw blank in the escaped path */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cursor(&cur, bad[i]);
        CHECK_EQ_INT(exports_next(&cur, &e), -EINVAL);
    }
}

/* ---- nfsd client states ---- */

TEST(nfsd_states_entries)
{
    const char *t =
        "- 0x00000001c8a3e15f94b8a53b00000002: { type: open, access: rw, deny: --, "
        "superblock: \"fd:00:1835011\", filename: \"data/report.txt\", "
        "owner: \"open id:\\x00\\x00\\x00&\\x00\\x00\\x00\\x00\\x00\\x00\\x04\\x8a\" }\n"
        "- 0x00000001c8a3e15f94b8a53b00000003: { type: lock, superblock: \"08:11:12\", "
        "filename: \"a/b\", owner: \"lock id:\\x00\" }\n"
        "- 0x00000001c8a3e15f94b8a53b00000004: { type: deleg, access: r, "
        "superblock: \"103:fffff:18446744073709551615\", filename: \"x/y z\" }\n"
        "- 0x00000001c8a3e15f94b8a53b00000005: { type: layout, superblock: \"fd:00:7\", "
        "filename: \"d/l\", admin-revoked }\n";
    struct text_cursor cur;
    struct nfsd_state st;
    cursor(&cur, t);

    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.type, "open"));
    CHECK(st.has_superblock);
    CHECK_EQ_INT(st.dev_major, 0xfd);
    CHECK_EQ_INT(st.dev_minor, 0);
    CHECK(st.inode == 1835011); /* decimal, not hex */
    CHECK(st.has_filename);
    CHECK(span_is(st.filename, "data/report.txt"));

    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.type, "lock"));
    CHECK_EQ_INT(st.dev_major, 8);
    CHECK_EQ_INT(st.dev_minor, 0x11);
    CHECK(st.inode == 12);
    CHECK(span_is(st.filename, "a/b"));

    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.type, "deleg"));
    CHECK_EQ_INT(st.dev_major, 0x103);
    CHECK_EQ_INT(st.dev_minor, 0xfffff);
    CHECK(st.inode == UINT64_MAX);
    CHECK(span_is(st.filename, "x/y z"));

    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.type, "layout"));
    CHECK(st.inode == 7);
    CHECK(span_is(st.filename, "d/l"));

    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 0);
}

TEST(nfsd_states_raw_names)
{
    /* %pD2 is printed raw: quotes, the separator text, even newlines */
    const char *t =
        "- 0x01: { type: open, access: r-, deny: --, superblock: \"fd:01:5\", "
        "filename: \"dir/a\", owner: \"b\", owner: \"lock\\x22\" }\n"
        "- 0x02: { type: deleg, access: w, superblock: \"fd:01:6\", "
        "filename: \"dir/line\none\" }\n"
        "- 0x03: { type: deleg, access: r, superblock: \"fd:01:7\", filename: \"q/\" }\" }\n";
    struct text_cursor cur;
    struct nfsd_state st;
    cursor(&cur, t);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.filename, "dir/a\", owner: \"b"));
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.filename, "dir/line\none"));
    CHECK(st.inode == 6);
    CHECK_EQ_INT(cur.line, 3);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.filename, "q/\" }"));
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 0);
}

TEST(nfsd_states_without_file)
{
    /* 6.9+: an open whose file is gone prints no superblock or filename */
    const char *t = "- 0x01: { type: open, access: r-, deny: --, owner: \"x\" }\n"
                    "- 0x02: { type: deleg, access: r }\n";
    struct text_cursor cur;
    struct nfsd_state st;
    cursor(&cur, t);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(!st.has_superblock);
    CHECK(!st.has_filename);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(span_is(st.type, "deleg"));
    CHECK(!st.has_superblock);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 0);
    cursor(&cur, "");
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 0);
}

TEST(nfsd_states_malformed)
{
    struct text_cursor cur;
    struct nfsd_state st;
    const char *bad[] = {
        "garbage\n",
        "- 0x01: { access: r }\n",                                          /* no type */
        "- 0x01: { type: open, superblock: \"fd:00\" }\n",                  /* no inode */
        "- 0x01: { type: open, superblock: \"fd:00:0x10\" }\n",             /* hex inode */
        "- 0x01: { type: open, superblock: \"1000:00:1\" }\n",              /* major > 12 bits */
        "- 0x01: { type: open, superblock: \"fd:00:1\", filename: \"a }\n", /* unclosed */
        "- 0x01: { type: open, superblock: \"fd:00:1\"\n",                  /* no closing brace */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cursor(&cur, bad[i]);
        CHECK_EQ_INT(nfsd_states_next(&cur, &st), -EINVAL);
    }
    /* a bad entry does not stop the next one */
    cursor(&cur, "junk\n- 0x02: { type: deleg, access: r, superblock: \"fd:00:9\", "
                 "filename: \"a/b\" }\n");
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), -EINVAL);
    CHECK_EQ_INT(nfsd_states_next(&cur, &st), 1);
    CHECK(st.inode == 9);
}
