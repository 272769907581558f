/* What a scan could not see.  Collected, not printed on the spot, so JSON
 * carries them and the table run can summarise instead of flooding. */
#ifndef LSHIDDEN_CORE_WARNINGS_H
#define LSHIDDEN_CORE_WARNINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum warning_kind {
    WARN_PERMISSION,  /* a process we were not allowed to inspect */
    WARN_VANISHED,    /* a process that exited while we read it */
    WARN_RING_BUSY,   /* a ring whose table stayed unreadable after retries */
    WARN_MALFORMED,   /* kernel text we could not parse */
    WARN_IO,          /* any other read error */
    WARN_NOT_FOUND,   /* a process asked for with -p that does not exist */
    WARN_FUSE_HIDDEN, /* FUSE backing files this kernel does not list */
    WARN_DEEP,        /* the kernel view could not run, or not all of it */
    WARN_KIND_COUNT
};

struct warning {
    enum warning_kind kind;
    pid_t pid; /* 0: not about one process */
    char *path;
    char *reason;
};

struct warning_list {
    struct warning *items;
    size_t len, cap;
};

__attribute__((format(printf, 5, 6))) void warning_add(struct warning_list *list,
                                                       enum warning_kind kind, pid_t pid,
                                                       const char *path, const char *fmt, ...);

/* "permission", "ring-busy", ...: a kind's name for machines (--prometheus). */
const char *warning_kind_name(enum warning_kind kind);

/* How many processes (or other sources) the run could not see in full:
 * denied, unreadable or malformed files and busy rings.  A process that
 * exited holds nothing, and a kernel view that could not run leaves the /proc
 * view as it is, so neither counts. */
size_t warning_list_unseen(const struct warning_list *list);

/* Maps a failed read of a process's file to a warning kind. */
enum warning_kind warning_kind_for_errno(int err);

/* One line per kind of problem on stream: counts for permission and
 * vanished processes, then details of the rest (a few, then a count). */
void warnings_print_summary(const struct warning_list *list, FILE *stream);

/* Moves every warning of src to the end of list (src ends up empty). */
int warning_list_move(struct warning_list *list, struct warning_list *src);

/* Drops each warning from index from on that repeats an earlier one (kind,
 * pid, path and reason): --prometheus runs the holder finders once per
 * mount, and most of what they cannot read is the same every time. */
void warning_list_drop_repeats(struct warning_list *list, size_t from);

/* Drops each warning drop() says is answered (by the kernel view, say). */
void warning_list_drop_if(struct warning_list *list,
                          bool (*drop)(const struct warning *w, void *arg), void *arg);

/* By pid, keeping the order of each process's own warnings. */
void warning_list_sort(struct warning_list *list);
void warning_list_free(struct warning_list *list);

#endif
