/* One mount as statmount(2) returns it (Linux 6.8+; strings and mount
 * namespace ids 6.11+), and the same mount as a line of mountinfo, so a
 * namespace read with listmount/statmount goes through the one mount table
 * reader (core/mount_table.c).  Pure: a buffer in, fields or text out.
 *
 * The layout is the kernel's struct statmount (include/uapi/linux/mount.h):
 * a 512-byte header of fixed fields, then the strings, each field naming a
 * string by its offset from the end of the header.  Debian 12's headers
 * predate it, so the offsets are written out here. */
#ifndef LSHIDDEN_PARSE_STATMOUNT_RECORD_H
#define LSHIDDEN_PARSE_STATMOUNT_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* The request mask bits lshidden asks for (STATMOUNT_*). */
#define STATMOUNT_SB_BASIC   0x0001u
#define STATMOUNT_MNT_BASIC  0x0002u
#define STATMOUNT_MNT_ROOT   0x0008u
#define STATMOUNT_MNT_POINT  0x0010u
#define STATMOUNT_FS_TYPE    0x0020u
#define STATMOUNT_MNT_OPTS   0x0080u
#define STATMOUNT_FS_SUBTYPE 0x0100u
#define STATMOUNT_SB_SOURCE  0x0200u

/* What a record must carry to stand for a mountinfo line. */
#define STATMOUNT_RECORD_NEEDS                                                                     \
    (STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT |         \
     STATMOUNT_FS_TYPE)
/* What lshidden asks for: the above and the optional strings. */
#define STATMOUNT_RECORD_WANTS                                                                     \
    (STATMOUNT_RECORD_NEEDS | STATMOUNT_MNT_OPTS | STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE)

/* The size of the fixed header: where the strings begin. */
#define STATMOUNT_HEADER_SIZE 512u

struct statmount_record {
    uint64_t mask; /* what the kernel filled in */
    unsigned sb_dev_major, sb_dev_minor;
    uint32_t sb_flags;       /* SB_RDONLY is bit 0 */
    uint32_t mnt_id_old;     /* the ids of mountinfo and fdinfo */
    uint32_t parent_id_old;  /* its own id for a namespace's root */
    uint64_t mnt_attr;       /* MOUNT_ATTR_* */
    uint64_t mnt_peer_group; /* 0 when not shared */
    uint64_t mnt_master;     /* 0 when not a slave */
    /* Into the buffer decoded, NUL-terminated; NULL when the mask says
     * the kernel did not fill them in (the optional ones). */
    const char *mnt_root;
    const char *mnt_point;
    const char *fs_type;
    const char *fs_subtype;
    const char *sb_source;
    const char *mnt_opts;
};

/* Decodes the len bytes of a statmount(2) answer.  Returns 0, or -EINVAL
 * when it is shorter than its header or than its own size field, lacks a
 * field of STATMOUNT_RECORD_NEEDS, or names a string outside itself or
 * without a terminator. */
int statmount_record_decode(const void *buf, size_t len, struct statmount_record *out);

/* Writes the record as one line of /proc/PID/mountinfo, newline included,
 * into out (size bytes, NUL-terminated): ids, device, root and mount point
 * (octal-escaped as the kernel does), the mount's flags, its peer groups,
 * "-", the type ("fuse.sshfs" with a subtype), the source ("none" when it
 * has none) and the superblock's options.  Returns the length, or -ENOSPC
 * when out is too small. */
int statmount_record_format(const struct statmount_record *rec, char *out, size_t size);

#endif
