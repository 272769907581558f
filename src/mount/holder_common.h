/* Shared by the --mount holder finders (holders_*.c): paths under a
 * root, warnings, rows, and what a statx() says about a path. */
#ifndef LSHIDDEN_MOUNT_HOLDER_COMMON_H
#define LSHIDDEN_MOUNT_HOLDER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/file_identity.h"
#include "core/procfs_io.h"
#include "mount/holders.h"
#include "parse/holder_parse.h"

enum stat_match {
    STAT_UNKNOWN, /* not live, file deleted, or stat failed */
    STAT_ON_TARGET,
    STAT_ELSEWHERE,
};

struct name_list {
    char **names;
    size_t len, cap;
};

/* "ROOT/REST" built with printf, in the arena.  NULL on allocation failure
 * or an absurdly long path. */
__attribute__((format(printf, 3, 4))) char *holder_path(struct holder_scan *hs, const char *root,
                                                        const char *fmt, ...);
void holder_report_error(struct holder_scan *hs, int err, pid_t pid, const char *path);
void holder_report_process_error(struct holder_scan *hs, int err, pid_t pid, const char *path);
void holder_report_malformed(struct holder_scan *hs, const char *path, unsigned line);
int holder_read_file(struct holder_scan *hs, const char *path, struct read_buf *buf, size_t cap);
bool holder_is_target_dev(const struct holder_scan *hs, unsigned major, unsigned minor);
struct file_record *holder_add(struct holder_scan *hs, enum file_source source, const char *object,
                               const char *path);
void holder_set_on_target(struct holder_scan *hs, struct file_record *rec);
/* A holder that is one fd of a process, from the scan's row of that fd:
 * its process, fd and path; and, with verb, the hint "VERB fd N of PID, or
 * kill PID" (NULL: the generic one of holder_hint.c). */
struct file_record *holder_add_fd(struct holder_scan *hs, enum file_source source,
                                  const char *object, const struct file_record *fd,
                                  const char *verb);
/* A holder that is another mount e of the filesystem (a submount, a bind
 * mount): certain, with e's mount id, device and mount point. */
struct file_record *holder_add_mount(struct holder_scan *hs, enum file_source source,
                                     const struct mount_entry *e);
/* Whether the parent chain of e in ns reaches the target mount.  Bounded
 * by the table size: a fixture (or a table read while mounts changed) may
 * loop. */
bool holder_mount_below_target(const struct holder_scan *hs, const struct mount_ns *ns,
                               const struct mount_entry *e);
/* A holder the kernel names only by a path (swap file, export,
 * interpreter): certain when a stat() puts it on the target, possible when
 * the path merely lies on the mount.  stale_path: the string may name
 * another file by now, so a stat() elsewhere does not rule it out.
 * Returns the row, or NULL when it does not hold the target. */
struct file_record *holder_add_by_path(struct holder_scan *hs, enum file_source source,
                                       const char *object, const char *path, enum tristate deleted,
                                       bool stale_path);
char *holder_decode_span(struct holder_scan *hs, struct text_span span, bool escaped,
                         bool *deleted);
char *holder_unescape_span(struct holder_scan *hs, struct text_span span);
enum stat_match holder_stat_path(struct holder_scan *hs, const char *path, bool deleted,
                                 struct file_identity *id);
void name_list_free(struct name_list *list);
int holder_list_dir(const char *path, bool (*keep)(const char *name), struct name_list *out);

#endif
