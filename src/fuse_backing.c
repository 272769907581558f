#include "fuse_backing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdinfo_parse.h"
#include "deep_scan.h"
#include "file_identity.h"

static const char unlisted_note[] =
    "this kernel does not list FUSE passthrough backing files: the connection may hold files on "
    "this mount";

static const char inferred_note[] =
    "FUSE connection inferred from the mount's type: this kernel's /dev/fuse fdinfo has no "
    "fuse_connection (Linux 6.16+)";

const char *fuse_conn_mountpoints(struct arena *arena, const struct mount_ns *ns, uint32_t conn)
{
    size_t len = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        char *out = pass ? arena_alloc(arena, len + 1) : NULL;
        size_t n = 0;
        if (pass && !out)
            return NULL;
        for (size_t i = 0; ns && i < ns->len; i++) {
            const struct mount_entry *e = &ns->entries[i];
            if (!mount_entry_is_fuse_conn(e, conn))
                continue;
            size_t tlen = strlen(e->target);
            if (out) {
                if (n)
                    out[n] = ',';
                memcpy(out + n + (n > 0), e->target, tlen);
            }
            n += tlen + (n > 0);
        }
        if (!pass && n == 0)
            return NULL;
        if (out) {
            out[n] = '\0';
            return out;
        }
        len = n;
    }
    return NULL;
}

/* Before 6.16 the kernel does not say which connection a /dev/fuse fd
 * serves.  The best remaining evidence: exactly one FUSE mount whose type
 * or source names the server ("fuse.sshfs", "sshfs#host:"). */
static bool infer_conn(const struct mount_ns *ns, const char *command, uint32_t *conn)
{
    const struct mount_entry *found = NULL;
    size_t clen = command ? strlen(command) : 0;
    for (size_t i = 0; clen && ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (!e->fstype || strncmp(e->fstype, "fuse.", 5) != 0 || strcmp(e->fstype + 5, command))
            continue;
        if (found)
            return false;
        found = e;
    }
    if (!found || found->dev_major != 0)
        return false;
    *conn = found->dev_minor;
    return true;
}

void fuse_scan_dev_fd(struct proc_scan *ps, int fd, ssize_t fd_row_index)
{
    struct scan *scan = ps->scan;
    struct fuse_server_fd server = {.proc = ps->proc, .fd = fd};
    char entry[32];
    uint64_t conn;
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd);
    int r = read_file_at(ps->dirfd, entry, &scan->file_buf);
    if (r < 0) {
        if (r != -ENOENT)
            proc_scan_report(ps, r, entry);
        return;
    }
    if (fdinfo_get_u64(scan->file_buf.data, scan->file_buf.len, "fuse_connection", &conn) == 0 &&
        conn <= UINT32_MAX) {
        server.has_conn = true;
        server.conn = (uint32_t)conn;
    } else if (infer_conn(proc_scan_mounts(ps), ps->proc->command, &server.conn)) {
        server.has_conn = server.inferred = true;
    }
    fuse_server_list_add(&scan->fuse_servers, &server);

    if (fd_row_index < 0 || !server.has_conn)
        return;
    struct file_record *row = &scan->records.items[fd_row_index];
    row->has_fuse_conn = true;
    row->fuse_conn = server.conn;
    row->fuse_mount = fuse_conn_mountpoints(&scan->arena, proc_scan_mounts(ps), server.conn);
    if (server.inferred)
        row->note = inferred_note;
}

const struct fuse_server_fd *fuse_first_server(const struct scan *scan, uint32_t conn)
{
    for (size_t i = 0; i < scan->fuse_servers.len; i++) {
        const struct fuse_server_fd *s = &scan->fuse_servers.items[i];
        if (s->has_conn && s->conn == conn)
            return s;
    }
    return NULL;
}

static bool dir_is_empty(const char *path)
{
    DIR *dir = opendir(path);
    if (!dir)
        return true;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(dir)))
        empty = de->d_name[0] == '.';
    closedir(dir);
    return empty;
}

char *fuse_connections_dir(const struct scan *scan, bool wanted)
{
    char *path;
    const char *sys_root = scan->opts.sys_root;
    if (!sys_root || asprintf(&path, "%s/fs/fuse/connections", sys_root) < 0)
        return NULL;
    /* Reading "waiting" and backing files needs fusectl, which few systems
     * mount; a read-only mount of it changes nothing else. */
    if (wanted && scan->opts.live && geteuid() == 0 && strcmp(sys_root, "/sys") == 0 &&
        dir_is_empty(path))
        mount("fusectl", path, "fusectl", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    return path;
}

static bool kernel_has_passthrough(const struct kernel_release *k)
{
    return !k->known || k->major > 6 || (k->major == 6 && k->minor >= 9);
}

static void fill_backing_row(struct scan *scan, struct mount_ns *ns, struct file_record *rec,
                             bool deleted)
{
    struct file_identity id;
    rec->hidden = true;
    rec->path_complete = true;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (deleted || !scan->opts.live || !scan->opts.want_identity)
        return;
    if (file_identity_at(AT_FDCWD, rec->path, &id) < 0)
        return;
    record_set_identity(rec, &id);
    const struct mount_entry *e = rec->has_mount_id ? mount_ns_find_id(ns, rec->mount_id) : NULL;
    if (e)
        rec->mountpoint = e->target;
}

static void emit_connection_files(struct scan *scan, struct mount_ns *ns, uint32_t conn,
                                  const struct fixed_table *table)
{
    const struct fuse_server_fd *server = fuse_first_server(scan, conn);
    const char *mounts = fuse_conn_mountpoints(&scan->arena, ns, conn);
    for (size_t i = 0; i < table->nfiles; i++) {
        struct file_record *rec =
            record_list_add(&scan->records, server ? server->proc : NULL, SOURCE_FUSE_BACKING);
        if (!rec)
            return;
        rec->path =
            arena_strndup(&scan->arena, fixed_file_name(table, i), table->files[i].name_len);
        rec->has_backing_id = rec->has_fuse_conn = true;
        rec->backing_id = table->files[i].slot;
        rec->fuse_conn = conn;
        rec->fuse_mount = mounts;
        if (rec->path)
            fill_backing_row(scan, ns, rec, table->files[i].deleted);
    }
}

static void scan_connection(struct scan *scan, struct mount_ns *ns, const char *dir, uint32_t conn)
{
    char *path;
    if (asprintf(&path, "%s/%u/backing_files", dir, conn) < 0)
        return;
    const struct fuse_server_fd *server = fuse_first_server(scan, conn);
    pid_t pid = server ? server->proc->pid : 0;
    /* With -p, only the connections those processes serve. */
    if (scan->opts.npids && !server) {
        free(path);
        return;
    }
    int r = read_file_at(AT_FDCWD, path, &scan->file_buf);
    struct fixed_table table;
    struct parse_error err = {0, NULL};
    if (r == -ENOENT) {
        /* --deep read this connection's backing-id table itself. */
        if (!kernel_has_passthrough(&scan->kernel) ||
            (scan->deep && deep_scan_listed_fuse_conn(scan->deep, conn))) {
            free(path);
            return;
        }
        uint32_t *unlisted =
            realloc(scan->fuse_unlisted, (scan->nfuse_unlisted + 1) * sizeof(*unlisted));
        if (unlisted) {
            scan->fuse_unlisted = unlisted;
            unlisted[scan->nfuse_unlisted++] = conn;
        }
        if (scan->deep)
            warning_add(&scan->warnings, WARN_FUSE_HIDDEN, pid, path,
                        "this kernel does not list FUSE passthrough backing files, and --deep "
                        "could not read them (%s): those of connection %u cannot be shown",
                        deep_scan_fuse_reason(scan->deep), conn);
        else
            warning_add(&scan->warnings, WARN_FUSE_HIDDEN, pid, path,
                        "this kernel does not list FUSE passthrough backing files: those of "
                        "connection %u cannot be shown",
                        conn);
    } else if (r < 0) {
        warning_add(&scan->warnings, warning_kind_for_errno(r), pid, path, "%s", strerror(-r));
    } else if (fixed_table_parse(scan->file_buf.data, scan->file_buf.len, 0, 1, &table, &err) < 0) {
        warning_add(&scan->warnings, WARN_MALFORMED, pid, path,
                    "malformed backing_files: line %u: %s", err.line,
                    err.reason ? err.reason : "out of memory");
    } else {
        emit_connection_files(scan, ns, conn, &table);
        fixed_table_free(&table);
    }
    free(path);
}

void fuse_add_possible_holders(struct scan *scan)
{
    struct mount_ns *ns = scan_self_mounts(scan);
    for (size_t i = 0; i < scan->nfuse_unlisted; i++) {
        uint32_t conn = scan->fuse_unlisted[i];
        const struct fuse_server_fd *server = fuse_first_server(scan, conn);
        struct file_record *rec =
            record_list_add(&scan->records, server ? server->proc : NULL, SOURCE_FUSE_BACKING);
        char *object;
        if (!rec || asprintf(&object, "FUSE connection %u", conn) < 0)
            return;
        rec->hidden = rec->possible = true;
        rec->effect = EFFECT_BLOCKS_UMOUNT;
        rec->has_fuse_conn = true;
        rec->fuse_conn = conn;
        rec->fuse_mount = fuse_conn_mountpoints(&scan->arena, ns, conn);
        rec->object = arena_strdup(&scan->arena, object);
        rec->note = unlisted_note;
        free(object);
    }
}

static bool parse_conn_name(const char *name, uint32_t *conn)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(name, &end, 10);
    if (name[0] < '0' || name[0] > '9' || *end || errno || v > UINT32_MAX)
        return false;
    *conn = (uint32_t)v;
    return true;
}

static bool has_fuse_mount(const struct mount_ns *ns)
{
    for (size_t i = 0; ns && i < ns->len; i++)
        if (ns->entries[i].fstype && strncmp(ns->entries[i].fstype, "fuse", 4) == 0 &&
            strcmp(ns->entries[i].fstype, "fusectl") != 0)
            return true;
    return false;
}

static bool connection_dir_exists(const char *dir, uint32_t conn)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%u", dir, conn);
    return stat(path, &st) == 0;
}

char *fuse_ctl_dir_for_deep(struct scan *scan)
{
    if (!scan->opts.live)
        return NULL;
    return fuse_connections_dir(scan, has_fuse_mount(scan_self_mounts(scan)));
}

void fuse_emit_backing_files(struct scan *scan)
{
    struct mount_ns *ns = scan_self_mounts(scan);
    char *dir = fuse_connections_dir(scan, scan->fuse_servers.len > 0 || has_fuse_mount(ns));
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *de;
    uint32_t conn;
    while (d && (de = readdir(d)))
        if (parse_conn_name(de->d_name, &conn))
            scan_connection(scan, ns, dir, conn);
    if (d)
        closedir(d);
    /* A server's fd keeps the connection, and its backing files, after
     * the FUSE mount and its fusectl directory are gone. */
    for (size_t i = 0; dir && i < scan->fuse_servers.len; i++) {
        const struct fuse_server_fd *s = &scan->fuse_servers.items[i];
        if (s->has_conn && !s->inferred && fuse_first_server(scan, s->conn) == s &&
            !connection_dir_exists(dir, s->conn))
            scan_connection(scan, ns, dir, s->conn);
    }
    free(dir);
}
