#include "scan/fuse_connections.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procfs_io.h"
#include "parse/proc_names.h"
#include "util/vec.h"

static struct fuse_connection *connection_get(struct fuse_connection_list *list, uint32_t conn)
{
    for (size_t i = 0; i < list->len; i++)
        if (list->items[i].conn == conn)
            return &list->items[i];
    struct fuse_connection *c = VEC_PUSH(list);
    if (c)
        c->conn = conn;
    return c;
}

/* A connection shows as a fusectl directory, or as a FUSE mount when
 * fusectl cannot be read; either is enough to list it. */
static int collect_from_mounts(struct fuse_connection_list *list, const struct mount_ns *ns)
{
    for (size_t i = 0; ns && i < ns->len; i++) {
        uint32_t conn;
        if (!mount_entry_fuse_conn(&ns->entries[i], &conn))
            continue;
        struct fuse_connection *c = connection_get(list, conn);
        if (!c)
            return -ENOMEM;
        if (!c->fstype)
            c->fstype = ns->entries[i].fstype;
    }
    return 0;
}

static void read_waiting(struct fuse_connection *c, int dirfd, const char *name, const char *path,
                         struct warning_list *warnings)
{
    char line[64];
    uint64_t waiting;
    int r = read_line_at(dirfd, name, line, sizeof(line));
    if (r == 0 && decimal_name_parse(line, UINT64_MAX, &waiting)) {
        c->waiting = waiting;
        c->has_waiting = true;
    } else if (r == 0) {
        warning_add(warnings, WARN_MALFORMED, 0, path, "not a count of requests");
    } else if (r != -ENOENT) {
        warning_add(warnings, warning_kind_for_errno(r), 0, path, "%s", read_error_text(r));
    }
}

static int collect_from_sysfs(struct fuse_connection_list *list, const struct fusectl *ctl,
                              struct warning_list *warnings)
{
    DIR *d = fusectl_opendir(ctl->dirfd);
    struct dirent *de;
    uint64_t conn;
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char name[300], path[4096];
        if (!decimal_name_parse(de->d_name, UINT32_MAX, &conn))
            continue;
        struct fuse_connection *c = connection_get(list, (uint32_t)conn);
        if (!c) {
            closedir(d);
            return -ENOMEM;
        }
        snprintf(name, sizeof(name), "%s/waiting", de->d_name);
        snprintf(path, sizeof(path), "%s/%s", ctl->path, name);
        read_waiting(c, ctl->dirfd, name, path, warnings);
        snprintf(name, sizeof(name), "%s/backing_files", de->d_name);
        if (faccessat(ctl->dirfd, name, F_OK, 0) == 0)
            c->has_backing = true;
    }
    closedir(d);
    return 0;
}

/* Server pids of conn, ascending and distinct, as "12,34" (arena); NULL
 * when the server is gone. */
static const char *server_pids(struct scan_result *res, uint32_t conn)
{
    char buf[256];
    size_t n = 0;
    buf[0] = '\0';
    pid_t last = 0;
    for (size_t i = 0; i < res->fuse_servers.len && n + 16 < sizeof(buf); i++) {
        const struct fuse_server_fd *s = &res->fuse_servers.items[i];
        if (!s->has_conn || s->conn != conn || s->proc->pid == last)
            continue;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", n ? "," : "", (int)s->proc->pid);
        last = s->proc->pid;
    }
    return n ? arena_strdup(&res->arena, buf) : NULL;
}

static int cmp_conn(const void *a, const void *b)
{
    const struct fuse_connection *x = a, *y = b;
    return (x->conn > y->conn) - (x->conn < y->conn);
}

int fuse_connections_collect(const struct scan_config *cfg, struct scan_result *res,
                             struct fuse_connection_list *list)
{
    int dirfd = fusectl_dirfd(&res->fusectl, cfg->sys_root, cfg->live, true);
    int r = collect_from_mounts(list, res->self_mounts);
    if (r == 0 && dirfd >= 0)
        r = collect_from_sysfs(list, &res->fusectl, &res->warnings);
    for (size_t i = 0; i < list->len; i++) {
        struct fuse_connection *c = &list->items[i];
        c->mountpoints = mount_ns_fuse_mountpoints(res->self_mounts, c->conn, &res->arena);
        c->server_pids = server_pids(res, c->conn);
    }
    if (list->len > 1)
        qsort(list->items, list->len, sizeof(list->items[0]), cmp_conn);
    return r;
}

void fuse_connections_count_backing(struct fuse_connection_list *list,
                                    const struct record_list *records)
{
    for (size_t i = 0; i < list->len; i++) {
        struct fuse_connection *c = &list->items[i];
        for (size_t k = 0; c->has_backing && k < records->len; k++) {
            const struct file_record *rec = records->items[k];
            c->backing += rec->source == SOURCE_FUSE_BACKING && rec->fuse_conn == c->conn &&
                          rec->has_backing_id;
        }
    }
}
