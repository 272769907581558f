/* The fdinfo of a fanotify group fd: its flags, and one line per mark.
 *   fanotify flags:10 event-flags:0
 *   fanotify mnt_id:2a mflags:0 mask:20 ignored_mask:0
 *   fanotify sdev:800002 mflags:0 mask:20 ignored_mask:0
 *   fanotify ino:1a sdev:800002 mflags:0 mask:20 ignored_mask:0 fhandle-bytes:...
 * Numbers are hex; sdev is the kernel's dev_t (major << 20 | minor).
 * Pure: a buffer in, the group out. */
#ifndef LSHIDDEN_PARSE_FANOTIFY_PARSE_H
#define LSHIDDEN_PARSE_FANOTIFY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Groups that report file handles instead of open files (FAN_REPORT_FID,
 * _DIR_FID, _NAME, _TARGET_FID) keep no file open for an event. */
#define FANOTIFY_REPORTS_FID 0x1e00u

enum fanotify_mark_kind { FANOTIFY_MARK_MOUNT, FANOTIFY_MARK_FILESYSTEM, FANOTIFY_MARK_INODE };

struct fanotify_mark {
    enum fanotify_mark_kind kind;
    int mnt_id;                    /* FANOTIFY_MARK_MOUNT */
    unsigned dev_major, dev_minor; /* the filesystem (sb and inode marks) */
    uint64_t ino;                  /* FANOTIFY_MARK_INODE */
};

struct fanotify_group {
    bool found; /* a "fanotify flags:" line was there */
    unsigned flags;
    struct fanotify_mark *marks;
    size_t nmarks, cap;
};

/* Returns 0, -EINVAL when a fanotify line is malformed (what came before is
 * kept), or -ENOMEM. */
int fanotify_fdinfo_parse(const char *buf, size_t len, struct fanotify_group *group);
void fanotify_group_free(struct fanotify_group *group);

#endif
