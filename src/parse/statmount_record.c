#include "parse/statmount_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Offsets in struct statmount (include/uapi/linux/mount.h, 6.8+). */
enum {
    OFF_SIZE = 0,
    OFF_MNT_OPTS = 4,
    OFF_MASK = 8,
    OFF_SB_DEV_MAJOR = 16,
    OFF_SB_DEV_MINOR = 20,
    OFF_SB_FLAGS = 32,
    OFF_FS_TYPE = 36,
    OFF_MNT_ID_OLD = 56,
    OFF_MNT_PARENT_ID_OLD = 60,
    OFF_MNT_ATTR = 64,
    OFF_MNT_PEER_GROUP = 80,
    OFF_MNT_MASTER = 88,
    OFF_MNT_ROOT = 104,
    OFF_MNT_POINT = 108,
    OFF_FS_SUBTYPE = 120,
    OFF_SB_SOURCE = 124,
};

/* MOUNT_ATTR_* of the mount (include/uapi/linux/mount.h). */
#define ATTR_RDONLY      0x01u
#define ATTR_NOSUID      0x02u
#define ATTR_NODEV       0x04u
#define ATTR_NOEXEC      0x08u
#define ATTR_ATIME_MASK  0x70u
#define ATTR_NOATIME     0x10u
#define ATTR_STRICTATIME 0x20u
#define ATTR_NODIRATIME  0x80u
#define ATTR_NOSYMFOLLOW 0x200000u
#define SB_RDONLY        0x01u

static uint32_t get32(const unsigned char *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static uint64_t get64(const unsigned char *p, size_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

/* The string a field names, if its bit is in the mask: it must start and
 * end (NUL) within the len bytes the record says it has. */
static int get_string(const unsigned char *p, size_t len, uint64_t mask, uint64_t bit, size_t field,
                      const char **out)
{
    *out = NULL;
    if (!(mask & bit))
        return 0;
    size_t off = (size_t)STATMOUNT_HEADER_SIZE + get32(p, field);
    if (off >= len || !memchr(p + off, '\0', len - off))
        return -EINVAL;
    *out = (const char *)p + off;
    return 0;
}

int statmount_record_decode(const void *buf, size_t len, struct statmount_record *out)
{
    const unsigned char *p = buf;
    memset(out, 0, sizeof(*out));
    if (len < STATMOUNT_HEADER_SIZE)
        return -EINVAL;
    /* The kernel's size is what it wrote; never trust more than we got. */
    uint32_t size = get32(p, OFF_SIZE);
    if (size < STATMOUNT_HEADER_SIZE || size > len)
        return -EINVAL;
    len = size;
    out->mask = get64(p, OFF_MASK);
    if ((out->mask & STATMOUNT_RECORD_NEEDS) != STATMOUNT_RECORD_NEEDS)
        return -EINVAL;
    out->sb_dev_major = get32(p, OFF_SB_DEV_MAJOR);
    out->sb_dev_minor = get32(p, OFF_SB_DEV_MINOR);
    out->sb_flags = get32(p, OFF_SB_FLAGS);
    out->mnt_id_old = get32(p, OFF_MNT_ID_OLD);
    out->parent_id_old = get32(p, OFF_MNT_PARENT_ID_OLD);
    out->mnt_attr = get64(p, OFF_MNT_ATTR);
    out->mnt_peer_group = get64(p, OFF_MNT_PEER_GROUP);
    out->mnt_master = get64(p, OFF_MNT_MASTER);
    uint64_t m = out->mask;
    if (get_string(p, len, m, STATMOUNT_MNT_ROOT, OFF_MNT_ROOT, &out->mnt_root) < 0 ||
        get_string(p, len, m, STATMOUNT_MNT_POINT, OFF_MNT_POINT, &out->mnt_point) < 0 ||
        get_string(p, len, m, STATMOUNT_FS_TYPE, OFF_FS_TYPE, &out->fs_type) < 0 ||
        get_string(p, len, m, STATMOUNT_FS_SUBTYPE, OFF_FS_SUBTYPE, &out->fs_subtype) < 0 ||
        get_string(p, len, m, STATMOUNT_SB_SOURCE, OFF_SB_SOURCE, &out->sb_source) < 0 ||
        get_string(p, len, m, STATMOUNT_MNT_OPTS, OFF_MNT_OPTS, &out->mnt_opts) < 0) {
        memset(out, 0, sizeof(*out));
        return -EINVAL;
    }
    return 0;
}

/* A bounded writer: once out of room it stays out, and says so at the end. */
struct line {
    char *p;
    size_t size, len;
    bool full;
};

static void put_char(struct line *l, char c)
{
    if (l->len + 1 >= l->size) {
        l->full = true;
        return;
    }
    l->p[l->len++] = c;
}

static void put_text(struct line *l, const char *s)
{
    for (; *s; s++)
        put_char(l, *s);
}

/* A field the way mountinfo writes it: characters that would split it
 * become \ooo, and so does the backslash (escape == all).  Options are
 * already escaped by the filesystem, so there only the separators are. */
static void put_field(struct line *l, const char *s, bool escape_backslash)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t' || c == '\n' || (c == '\\' && escape_backslash)) {
            char oct[5];
            snprintf(oct, sizeof(oct), "\\%03o", c);
            put_text(l, oct);
        } else {
            put_char(l, (char)c);
        }
    }
}

/* prefix, then v in decimal. */
static void put_number(struct line *l, const char *prefix, uint64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRIu64, v);
    put_text(l, prefix);
    put_text(l, num);
}

/* The mount's own flags, as show_mnt_opts() writes them. */
static void put_mount_flags(struct line *l, uint64_t attr)
{
    put_text(l, attr & ATTR_RDONLY ? "ro" : "rw");
    if (attr & ATTR_NOSUID)
        put_text(l, ",nosuid");
    if (attr & ATTR_NODEV)
        put_text(l, ",nodev");
    if (attr & ATTR_NOEXEC)
        put_text(l, ",noexec");
    if ((attr & ATTR_ATIME_MASK) == ATTR_NOATIME)
        put_text(l, ",noatime");
    else if ((attr & ATTR_ATIME_MASK) != ATTR_STRICTATIME)
        put_text(l, ",relatime");
    if (attr & ATTR_NODIRATIME)
        put_text(l, ",nodiratime");
    if (attr & ATTR_NOSYMFOLLOW)
        put_text(l, ",nosymfollow");
}

int statmount_record_format(const struct statmount_record *rec, char *out, size_t size)
{
    struct line l = {out, size, 0, size == 0};
    put_number(&l, "", rec->mnt_id_old);
    put_number(&l, " ", rec->parent_id_old);
    put_number(&l, " ", rec->sb_dev_major);
    put_number(&l, ":", rec->sb_dev_minor);
    put_char(&l, ' ');
    put_field(&l, rec->mnt_root ? rec->mnt_root : "/", true);
    put_char(&l, ' ');
    put_field(&l, rec->mnt_point ? rec->mnt_point : "/", true);
    put_char(&l, ' ');
    put_mount_flags(&l, rec->mnt_attr);
    if (rec->mnt_peer_group)
        put_number(&l, " shared:", rec->mnt_peer_group);
    if (rec->mnt_master)
        put_number(&l, " master:", rec->mnt_master);
    put_text(&l, " - ");
    put_field(&l, rec->fs_type && *rec->fs_type ? rec->fs_type : "none", true);
    if (rec->fs_subtype && *rec->fs_subtype) {
        put_char(&l, '.');
        put_field(&l, rec->fs_subtype, true);
    }
    put_char(&l, ' ');
    put_field(&l, rec->sb_source && *rec->sb_source ? rec->sb_source : "none", true);
    put_text(&l, rec->sb_flags & SB_RDONLY ? " ro" : " rw");
    if (rec->mnt_opts && *rec->mnt_opts) {
        put_char(&l, ',');
        put_field(&l, rec->mnt_opts, false);
    }
    put_char(&l, '\n');
    if (l.full)
        return -ENOSPC;
    out[l.len] = '\0';
    return (int)l.len;
}
