#include "fuse_connections.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsmartcols/libsmartcols.h>

#include "deep_scan.h"
#include "fuse_backing.h"
#include "json_encode.h"
#include "text_escape.h"

struct fuse_connection {
    uint32_t conn;
    const char *mountpoints; /* comma-separated, arena */
    const char *fstype;
    bool has_waiting, has_backing;
    uint64_t waiting;
    size_t backing;
};

struct connection_list {
    struct fuse_connection *items;
    size_t len, cap;
};

static struct fuse_connection *connection_get(struct connection_list *list, uint32_t conn)
{
    for (size_t i = 0; i < list->len; i++)
        if (list->items[i].conn == conn)
            return &list->items[i];
    if (list->len == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        struct fuse_connection *items = realloc(list->items, cap * sizeof(*items));
        if (!items)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    struct fuse_connection *c = &list->items[list->len++];
    memset(c, 0, sizeof(*c));
    c->conn = conn;
    return c;
}

/* A connection shows as a fusectl directory, or as a FUSE mount when
 * fusectl cannot be read; either is enough to list it. */
static void collect_from_mounts(struct connection_list *list, const struct mount_ns *ns)
{
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (!e->fstype || strncmp(e->fstype, "fuse", 4) != 0 || !strcmp(e->fstype, "fusectl"))
            continue;
        uint32_t conn = strcmp(e->fstype, "fuseblk") == 0
                            ? ((uint32_t)e->dev_major << 20 | e->dev_minor)
                            : e->dev_minor;
        struct fuse_connection *c = connection_get(list, conn);
        if (c && !c->fstype)
            c->fstype = e->fstype;
    }
}

static void collect_from_sysfs(struct connection_list *list, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        char *end, path[4096], line[64];
        unsigned long conn = strtoul(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || conn > UINT32_MAX)
            continue;
        struct fuse_connection *c = connection_get(list, (uint32_t)conn);
        snprintf(path, sizeof(path), "%s/%s/waiting", dir, de->d_name);
        if (c && read_line_at(AT_FDCWD, path, line, sizeof(line)) == 0) {
            c->waiting = strtoull(line, NULL, 10);
            c->has_waiting = true;
        }
        snprintf(path, sizeof(path), "%s/%s/backing_files", dir, de->d_name);
        if (c && faccessat(AT_FDCWD, path, F_OK, 0) == 0)
            c->has_backing = true;
    }
    closedir(d);
}

static int cmp_conn(const void *a, const void *b)
{
    const struct fuse_connection *x = a, *y = b;
    return (x->conn > y->conn) - (x->conn < y->conn);
}

static void finish_connections(struct connection_list *list, struct scan *scan,
                               const struct mount_ns *ns)
{
    for (size_t i = 0; i < list->len; i++) {
        struct fuse_connection *c = &list->items[i];
        c->mountpoints = fuse_conn_mountpoints(&scan->arena, ns, c->conn);
        /* --deep read the backing-id table where the kernel lists none. */
        if (scan->deep && deep_scan_listed_fuse_conn(scan->deep, c->conn))
            c->has_backing = true;
        for (size_t k = 0; c->has_backing && k < scan->records.len; k++) {
            const struct file_record *rec = &scan->records.items[k];
            c->backing += rec->source == SOURCE_FUSE_BACKING && rec->fuse_conn == c->conn &&
                          rec->has_backing_id;
        }
    }
    if (list->len > 1)
        qsort(list->items, list->len, sizeof(list->items[0]), cmp_conn);
}

/* Server pids of conn, ascending and distinct, as "12,34" (arena); NULL
 * when the server is gone. */
static const char *server_pids(struct scan *scan, uint32_t conn)
{
    char buf[256];
    size_t n = 0;
    buf[0] = '\0';
    pid_t last = 0;
    for (size_t i = 0; i < scan->fuse_servers.len && n + 16 < sizeof(buf); i++) {
        const struct fuse_server_fd *s = &scan->fuse_servers.items[i];
        if (!s->has_conn || s->conn != conn || s->proc->pid == last)
            continue;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", n ? "," : "", (int)s->proc->pid);
        last = s->proc->pid;
    }
    return n ? arena_strdup(&scan->arena, buf) : NULL;
}

static int print_table(struct connection_list *list, struct scan *scan, bool noheadings, bool raw,
                       FILE *stream)
{
    static const char *const headers[] = {"CONNECTION",  "MOUNTPOINT", "FSTYPE",
                                          "SERVER-PIDS", "WAITING",    "BACKING-FILES"};
    struct libscols_table *tb = scols_new_table();
    if (!tb)
        return -ENOMEM;
    scols_table_enable_raw(tb, raw);
    scols_table_enable_noheadings(tb, noheadings);
    scols_table_set_stream(tb, stream);
    int r = 0;
    for (size_t i = 0; i < 6 && r == 0; i++)
        if (!scols_table_new_column(tb, headers[i], i == 1 ? 0.3 : 0,
                                    i == 0 || i >= 4 ? SCOLS_FL_RIGHT : 0))
            r = -ENOMEM;
    for (size_t i = 0; i < list->len && r == 0; i++) {
        const struct fuse_connection *c = &list->items[i];
        struct libscols_line *line = scols_table_new_line(tb, NULL);
        char conn[16], waiting[24], backing[24];
        const char *pids = server_pids(scan, c->conn);
        snprintf(conn, sizeof(conn), "%" PRIu32, c->conn);
        snprintf(waiting, sizeof(waiting), "%" PRIu64, c->waiting);
        snprintf(backing, sizeof(backing), "%zu", c->backing);
        char *mp =
            c->mountpoints ? terminal_escape(c->mountpoints, strlen(c->mountpoints), false) : NULL;
        if (!line || scols_line_set_data(line, 0, conn) ||
            (mp && scols_line_set_data(line, 1, mp)) ||
            (c->fstype && scols_line_set_data(line, 2, c->fstype)) ||
            scols_line_set_data(line, 3, pids ? pids : "none") ||
            (c->has_waiting && scols_line_set_data(line, 4, waiting)) ||
            (c->has_backing && scols_line_set_data(line, 5, backing)))
            r = -ENOMEM;
        free(mp);
    }
    if (r == 0 && list->len)
        r = scols_print_table(tb);
    scols_unref_table(tb);
    return r;
}

static void put_opt_uint(struct json_buffer *out, bool known, uint64_t v)
{
    if (known)
        json_buffer_put_uint(out, v);
    else
        json_buffer_puts(out, "null");
}

static void put_list(struct json_buffer *out, const char *csv, bool numbers)
{
    json_buffer_puts(out, "[");
    for (const char *p = csv; p && *p;) {
        size_t len = strcspn(p, ",");
        if (p != csv)
            json_buffer_puts(out, ",");
        if (numbers)
            json_buffer_put(out, p, len);
        else
            json_buffer_put_string(out, p, len);
        p += len + (p[len] == ',');
    }
    json_buffer_puts(out, "]");
}

static int print_json(struct connection_list *list, struct scan *scan, FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    json_buffer_puts(&out, "{\n  \"connections\": [");
    for (size_t i = 0; i < list->len; i++) {
        const struct fuse_connection *c = &list->items[i];
        json_buffer_puts(&out, i ? ",\n    {" : "\n    {");
        json_buffer_put_key(&out, "connection");
        json_buffer_put_uint(&out, c->conn);
        json_buffer_puts(&out, ",");
        json_buffer_put_key(&out, "mountpoints");
        put_list(&out, c->mountpoints, false);
        json_buffer_puts(&out, ",");
        json_buffer_put_key(&out, "fstype");
        if (c->fstype)
            json_buffer_put_string(&out, c->fstype, strlen(c->fstype));
        else
            json_buffer_puts(&out, "null");
        json_buffer_puts(&out, ",");
        json_buffer_put_key(&out, "server_pids");
        put_list(&out, server_pids(scan, c->conn), true);
        json_buffer_puts(&out, ",");
        json_buffer_put_key(&out, "waiting");
        put_opt_uint(&out, c->has_waiting, c->waiting);
        json_buffer_puts(&out, ",");
        json_buffer_put_key(&out, "backing_files");
        put_opt_uint(&out, c->has_backing, c->backing);
        json_buffer_puts(&out, "}");
    }
    json_buffer_puts(&out, list->len ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [");
    int r = json_buffer_finish(&out);
    if (r == 0)
        r = output_json_warnings(&scan->warnings, stream);
    return r;
}

int fuse_list_connections(struct scan *scan, bool json, bool noheadings, bool raw, FILE *stream,
                          size_t *count)
{
    struct connection_list list = {0};
    struct mount_ns *ns = scan_self_mounts(scan);
    char *dir = fuse_connections_dir(scan, true);
    collect_from_mounts(&list, ns);
    if (dir)
        collect_from_sysfs(&list, dir);
    free(dir);
    finish_connections(&list, scan, ns);
    *count = list.len;
    int r =
        json ? print_json(&list, scan, stream) : print_table(&list, scan, noheadings, raw, stream);
    free(list.items);
    return r;
}
