/* Unit tests of the statmount(2) record decoder and its mountinfo form:
 * records laid out by hand as the kernel writes them (struct statmount,
 * include/uapi/linux/mount.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse/statmount_record.h"
#include "unit.h"

struct builder {
    unsigned char buf[2048];
    size_t strings; /* bytes of strings written after the header */
};

static void put32(struct builder *b, size_t off, uint32_t v)
{
    memcpy(b->buf + off, &v, sizeof(v));
}

static void put64(struct builder *b, size_t off, uint64_t v)
{
    memcpy(b->buf + off, &v, sizeof(v));
}

/* A string field: the text after the header, its offset at off. */
static void put_str(struct builder *b, size_t off, const char *s)
{
    put32(b, off, (uint32_t)b->strings);
    memcpy(b->buf + STATMOUNT_HEADER_SIZE + b->strings, s, strlen(s) + 1);
    b->strings += strlen(s) + 1;
}

static size_t finish(struct builder *b, uint64_t mask)
{
    size_t size = STATMOUNT_HEADER_SIZE + b->strings;
    put32(b, 0, (uint32_t)size);
    put64(b, 8, mask);
    return size;
}

/* A tmpfs at "/srv/a b" of device 0:52, id 66 below 64, shared:3. */
static size_t tmpfs_record(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    put32(b, 16, 0);
    put32(b, 20, 52);
    put32(b, 32, 0);         /* sb_flags: rw */
    put32(b, 56, 66);        /* mnt_id_old */
    put32(b, 60, 64);        /* mnt_parent_id_old */
    put64(b, 64, 0x2 | 0x4); /* nosuid, nodev; relatime */
    put64(b, 80, 3);         /* peer group */
    put_str(b, 104, "/");
    put_str(b, 108, "/srv/a b");
    put_str(b, 36, "tmpfs");
    put_str(b, 124, "tmp\\fs");
    put_str(b, 4, "size=1024k,mode=755");
    put_str(b, 120, "");
    return finish(b, STATMOUNT_RECORD_WANTS);
}

TEST(decodes_every_field)
{
    struct builder b;
    size_t len = tmpfs_record(&b);
    struct statmount_record rec;
    CHECK_EQ_INT(statmount_record_decode(b.buf, len, &rec), 0);
    CHECK_EQ_INT(rec.sb_dev_major, 0);
    CHECK_EQ_INT(rec.sb_dev_minor, 52);
    CHECK_EQ_INT(rec.mnt_id_old, 66);
    CHECK_EQ_INT(rec.parent_id_old, 64);
    CHECK_EQ_INT(rec.mnt_peer_group, 3);
    CHECK_EQ_INT(rec.mnt_master, 0);
    CHECK_EQ_STR(rec.mnt_root, "/");
    CHECK_EQ_STR(rec.mnt_point, "/srv/a b");
    CHECK_EQ_STR(rec.fs_type, "tmpfs");
    CHECK_EQ_STR(rec.sb_source, "tmp\\fs");
    CHECK_EQ_STR(rec.mnt_opts, "size=1024k,mode=755");
    CHECK_EQ_STR(rec.fs_subtype, "");
}

TEST(formats_a_mountinfo_line)
{
    struct builder b;
    size_t len = tmpfs_record(&b);
    struct statmount_record rec;
    char line[512];
    CHECK_EQ_INT(statmount_record_decode(b.buf, len, &rec), 0);
    const char *want = "66 64 0:52 / /srv/a\\040b rw,nosuid,nodev,relatime shared:3 - tmpfs "
                       "tmp\\134fs rw,size=1024k,mode=755\n";
    CHECK_EQ_INT(statmount_record_format(&rec, line, sizeof(line)), strlen(want));
    CHECK_EQ_STR(line, want);
    /* One byte short of the terminator: no partial line. */
    CHECK_EQ_INT(statmount_record_format(&rec, line, strlen(want)), -ENOSPC);
}

TEST(optional_strings_and_flags)
{
    struct builder b;
    memset(&b, 0, sizeof(b));
    put32(&b, 16, 8);
    put32(&b, 20, 1);
    put32(&b, 32, 1); /* sb_flags: SB_RDONLY */
    put32(&b, 56, 30);
    put32(&b, 60, 30);               /* a namespace's root: its own parent */
    put64(&b, 64, 0x1 | 0x10 | 0x8); /* ro, noatime, noexec */
    put64(&b, 88, 7);                /* master:7 */
    put_str(&b, 104, "/sub\tdir");
    put_str(&b, 108, "/mnt");
    put_str(&b, 36, "fuse");
    put_str(&b, 120, "sshfs");
    size_t len = finish(&b, STATMOUNT_RECORD_NEEDS | STATMOUNT_FS_SUBTYPE);
    struct statmount_record rec;
    char line[512];
    CHECK_EQ_INT(statmount_record_decode(&b.buf, len, &rec), 0);
    CHECK(rec.sb_source == NULL && rec.mnt_opts == NULL);
    CHECK(statmount_record_format(&rec, line, sizeof(line)) > 0);
    CHECK_EQ_STR(line,
                 "30 30 8:1 /sub\\011dir /mnt ro,noexec,noatime master:7 - fuse.sshfs none ro\n");
}

TEST(rejects_malformed_records)
{
    struct builder b;
    struct statmount_record rec;
    size_t len = tmpfs_record(&b);
    CHECK_EQ_INT(statmount_record_decode(b.buf, STATMOUNT_HEADER_SIZE - 1, &rec), -EINVAL);
    /* The size field says more than was read. */
    CHECK_EQ_INT(statmount_record_decode(b.buf, len - 1, &rec), -EINVAL);
    /* A required field missing from the mask. */
    put64(&b, 8, STATMOUNT_RECORD_WANTS & ~(uint64_t)STATMOUNT_MNT_POINT);
    CHECK_EQ_INT(statmount_record_decode(b.buf, len, &rec), -EINVAL);
    /* A string past the end, and one with no terminator in the record. */
    len = tmpfs_record(&b);
    put32(&b, 108, (uint32_t)b.strings);
    CHECK_EQ_INT(statmount_record_decode(b.buf, len, &rec), -EINVAL);
    len = tmpfs_record(&b);
    b.buf[len - 1] = 'x';
    CHECK_EQ_INT(statmount_record_decode(b.buf, len, &rec), -EINVAL);
    CHECK(rec.mnt_point == NULL);
}
