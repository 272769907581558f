/* File handlers: each one claims the fds and mappings of one kind (an
 * io_uring ring, /dev/fuse) and turns them into rows.  The walk calls them
 * through the table in handlers.c; adding a hidden source is one handler
 * file and one line there.
 *
 * Per process, the walk gives each handler a zeroed block of state_size
 * bytes, calls on_fd and on_mapping for what it claims, then finish, which
 * must release whatever the handler allocated in its state. */
#ifndef LSHIDDEN_SCAN_HANDLER_H
#define LSHIDDEN_SCAN_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/record.h"
#include "parse/maps_parse.h"
#include "scan/proc_ctx.h"

/* One entry of proc_root/PID/fd. */
struct fd_entry {
    int fd;
    int fd_dirfd;     /* proc_root/PID/fd, for *at() calls on name */
    const char *name; /* the fd as a decimal name */
    const char *link; /* what the link reads */
    /* Its -a row, or NULL (default view): rows never move, so a handler
     * may fill it in. */
    struct file_record *row;
};

struct file_handler {
    const char *name;
    const char *fd_link;                               /* exact link text claimed, or NULL */
    bool (*claims_mapping)(const struct map_entry *m); /* or NULL */
    size_t state_size;
    void (*on_fd)(struct proc_ctx *ctx, void *state, const struct fd_entry *fd);
    void (*on_mapping)(struct proc_ctx *ctx, void *state, const struct map_entry *m);
    void (*finish)(struct proc_ctx *ctx, void *state); /* or NULL */
};

extern const struct file_handler *const file_handlers[];
extern const size_t file_handler_count;

/* The handler that claims an fd with this link text, or NULL. */
const struct file_handler *file_handler_for_fd(const char *link, size_t *index);
/* The handler that claims this mapping, or NULL. */
const struct file_handler *file_handler_for_mapping(const struct map_entry *m, size_t *index);

#endif
