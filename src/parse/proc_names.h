/* Names the kernel hands out in /proc and /sys: decimal directory entries
 * (PIDs, fds, FUSE connections), namespace links, the kernel release.
 * Pure: strings in, values out. */
#ifndef LSHIDDEN_PARSE_PROC_NAMES_H
#define LSHIDDEN_PARSE_PROC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A plain decimal name: digits only (no sign, space or "0x"), at most
 * max.  "." and "self" are not numbers. */
bool decimal_name_parse(const char *name, uint64_t max, uint64_t *value);
/* The same for the len bytes at s (no terminator needed). */
bool decimal_span_parse(const char *s, size_t len, uint64_t max, uint64_t *value);

/* The target of a /proc/PID/ns/mnt link, "mnt:[N]".  Returns 0 or
 * -EINVAL. */
int mnt_ns_link_parse(const char *link, uint64_t *inode);

struct kernel_release {
    bool known;
    unsigned major, minor, patch;
};

/* "6.18.3-amd64" and the like, from /proc/sys/kernel/osrelease; known is
 * false when not even major.minor can be read. */
struct kernel_release kernel_release_parse(const char *text);

/* Whether the release is at least major.minor.patch (false when unknown). */
bool kernel_release_at_least(const struct kernel_release *k, unsigned major, unsigned minor,
                             unsigned patch);

/* /proc/PID/task/TID/syscall of a thread blocked in a system call:
 * "NR ARG0 ARG1 ... SP PC" (decimal, then hex).  Returns 0 with the number,
 * the first two arguments and the user PC (0 for a kernel thread), or
 * -EINVAL for "running", "-1 ..." (not in a system call) and anything
 * malformed. */
int task_syscall_parse(const char *buf, size_t len, long *nr, uint64_t *arg0, uint64_t *arg1,
                       uint64_t *pc);

#endif
