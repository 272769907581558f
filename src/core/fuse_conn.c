#include "core/fuse_conn.h"

#include <stdlib.h>

const struct fuse_server_fd *fuse_server_list_first(const struct fuse_server_list *list,
                                                    uint32_t conn)
{
    for (size_t i = 0; i < list->len; i++)
        if (list->items[i].has_conn && list->items[i].conn == conn)
            return &list->items[i];
    return NULL;
}

static int cmp_server(const void *a, const void *b)
{
    const struct fuse_server_fd *x = a, *y = b;
    if (x->proc->pid != y->proc->pid)
        return x->proc->pid < y->proc->pid ? -1 : 1;
    return (x->fd > y->fd) - (x->fd < y->fd);
}

void fuse_server_list_sort(struct fuse_server_list *list)
{
    if (list->len > 1)
        qsort(list->items, list->len, sizeof(list->items[0]), cmp_server);
}

/* clang-format off */
static const struct column_info fuse_column_table[FCOL_COUNT] = {
    [FCOL_CONNECTION] = {
        .name = "CONNECTION", .json_key = "connection", .kind = COLKIND_NUMBER,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "FUSE connection number (/sys/fs/fuse/connections/N)",
    },
    [FCOL_MOUNTPOINT] = {
        .name = "MOUNTPOINT", .json_key = "mountpoints", .kind = COLKIND_STRING_LIST,
        .width_hint = 0.3, .flags = COLF_DEFAULT | COLF_RAW_BYTES,
        .help = "mount points of the connection in our mount namespace",
    },
    [FCOL_FSTYPE] = {
        .name = "FSTYPE", .json_key = "fstype", .kind = COLKIND_STRING, .flags = COLF_DEFAULT,
        .help = "filesystem type of its mounts (fuse.NAME, fuseblk)",
    },
    [FCOL_SERVER_PIDS] = {
        .name = "SERVER-PIDS", .json_key = "server_pids", .kind = COLKIND_NUMBER_LIST,
        .flags = COLF_DEFAULT, .empty_text = "none",
        .help = "processes with a /dev/fuse fd on the connection; none when the server is gone",
    },
    [FCOL_WAITING] = {
        .name = "WAITING", .json_key = "waiting", .kind = COLKIND_NUMBER,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "requests waiting for the server (fusectl waiting)",
    },
    [FCOL_BACKING_FILES] = {
        .name = "BACKING-FILES", .json_key = "backing_files", .kind = COLKIND_NUMBER,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "passthrough backing files the kernel holds for it; empty when it cannot be told",
    },
};
/* clang-format on */

static void fuse_column_value(const void *row, int id, struct column_value *v)
{
    const struct fuse_connection *c = row;
    v->kind = fuse_column_table[id].kind;
    v->str = NULL;
    switch ((enum fuse_column_id)id) {
    case FCOL_CONNECTION: column_set_unum(v, true, c->conn); break;
    case FCOL_MOUNTPOINT: column_set_str(v, c->mountpoints); break;
    case FCOL_FSTYPE: column_set_str(v, c->fstype); break;
    case FCOL_SERVER_PIDS: column_set_str(v, c->server_pids); break;
    case FCOL_WAITING: column_set_unum(v, c->has_waiting, c->waiting); break;
    case FCOL_BACKING_FILES: column_set_unum(v, c->has_backing, c->backing); break;
    case FCOL_COUNT: v->null = true; break;
    }
}

const struct column_set fuse_conn_columns = {
    .rows_key = "connections",
    .columns = fuse_column_table,
    .count = FCOL_COUNT,
    .value = fuse_column_value,
};
