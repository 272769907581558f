#include "scan/fuse_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_identity.h"
#include "core/procfs_io.h"
#include "parse/fdinfo_parse.h"
#include "parse/proc_names.h"
#include "util/vec.h"

/* What one pass over the connections needs at hand. */
struct sysfs_pass {
    const struct scan_config *cfg;
    struct scan_result *res;
    int dirfd; /* the connections directory */
    struct read_buf buf;
};

static void fill_backing_row(struct sysfs_pass *p, struct file_record *rec, bool deleted)
{
    struct file_identity id;
    struct name_lookup where = {.ns = p->res->self_mounts};
    rec->path_complete = true;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (deleted || !p->cfg->live || !p->cfg->want_identity)
        return;
    int r = file_identity_by_name(&where, rec->path, &id);
    if (r == -EAGAIN)
        record_mark_unchecked(rec, &p->res->warnings, where.blocked);
    if (r < 0)
        return;
    record_set_identity(rec, &id, IDENTITY_PATH);
    const struct mount_entry *e =
        rec->has_mount_id ? mount_ns_find_id(p->res->self_mounts, rec->mount_id) : NULL;
    if (e)
        rec->mountpoint = e->target;
}

static void emit_connection_files(struct sysfs_pass *p, uint32_t conn,
                                  const struct name_table *table)
{
    struct scan_result *res = p->res;
    const struct fuse_server_fd *server = fuse_server_list_first(&res->fuse_servers, conn);
    const char *mounts = mount_ns_fuse_mountpoints(res->self_mounts, conn, &res->arena);
    for (size_t i = 0; i < table->nentries; i++) {
        struct file_record *rec =
            record_list_add(&res->records, server ? server->proc : NULL, SOURCE_FUSE_BACKING);
        if (!rec)
            return;
        rec->path =
            arena_strndup(&res->arena, name_table_name(table, i), table->entries[i].name_len);
        rec->has_backing_id = rec->has_fuse_conn = true;
        rec->backing_id = table->entries[i].number;
        rec->fuse_conn = conn;
        rec->fuse_mount = mounts;
        if (rec->path)
            fill_backing_row(p, rec, table->entries[i].deleted);
    }
}

static bool kernel_has_passthrough(const struct kernel_release *k)
{
    return !k->known || kernel_release_at_least(k, 6, 9, 0);
}

static void scan_connection(struct sysfs_pass *p, uint32_t conn)
{
    struct scan_result *res = p->res;
    const struct fuse_server_fd *server = fuse_server_list_first(&res->fuse_servers, conn);
    pid_t pid = server ? server->proc->pid : 0;
    char name[32], path[4096];
    /* With -p, only the connections those processes serve. */
    if (p->cfg->npids && !server)
        return;
    snprintf(name, sizeof(name), "%u/backing_files", conn);
    snprintf(path, sizeof(path), "%s/%s", res->fusectl.path, name);
    int r = read_file_at(p->dirfd, name, &p->buf, READ_CAP_TABLE);
    struct name_table table;
    struct parse_error err = {0, NULL};
    if (r == -ENOENT) {
        struct fuse_unlisted unlisted = {conn, pid, arena_strdup(&res->arena, path)};
        if (kernel_has_passthrough(&res->kernel))
            VEC_APPEND(&res->fuse_unlisted, unlisted);
    } else if (r < 0) {
        warning_add(&res->warnings, warning_kind_for_errno(r), pid, path, "%s", read_error_text(r));
    } else if (name_table_parse(p->buf.data, p->buf.len, 0, 1, &table, &err) < 0) {
        warning_add(&res->warnings, WARN_MALFORMED, pid, path,
                    "malformed backing_files: line %u: %s", err.line,
                    err.reason ? err.reason : "out of memory");
    } else {
        emit_connection_files(p, conn, &table);
        name_table_free(&table);
    }
}

static bool connection_dir_exists(int dirfd, uint32_t conn)
{
    char name[16];
    struct stat st;
    snprintf(name, sizeof(name), "%u", conn);
    return fstatat(dirfd, name, &st, 0) == 0;
}

void fuse_sysfs_list_backing(const struct scan_config *cfg, struct scan_result *res)
{
    bool in_use = res->fuse_servers.len > 0 || mount_ns_has_fuse(res->self_mounts);
    struct sysfs_pass p = {.cfg = cfg,
                           .res = res,
                           .dirfd = fusectl_dirfd(&res->fusectl, cfg->sys_root, cfg->live, in_use)};
    if (p.dirfd < 0)
        return;
    DIR *d = fusectl_opendir(p.dirfd);
    struct dirent *de;
    uint64_t conn;
    while (d && (de = readdir(d)))
        if (decimal_name_parse(de->d_name, UINT32_MAX, &conn))
            scan_connection(&p, (uint32_t)conn);
    if (d)
        closedir(d);
    /* A server's fd keeps the connection, and its backing files, after
     * the FUSE mount and its fusectl directory are gone. */
    for (size_t i = 0; i < res->fuse_servers.len; i++) {
        const struct fuse_server_fd *s = &res->fuse_servers.items[i];
        if (s->has_conn && !s->inferred &&
            fuse_server_list_first(&res->fuse_servers, s->conn) == s &&
            !connection_dir_exists(p.dirfd, s->conn))
            scan_connection(&p, s->conn);
    }
    read_buf_free(&p.buf);
}

void fuse_sysfs_warn_unlisted(struct scan_result *res, const char *deep_reason)
{
    for (size_t i = 0; i < res->fuse_unlisted.len; i++) {
        const struct fuse_unlisted *u = &res->fuse_unlisted.items[i];
        warning_add(&res->warnings, WARN_FUSE_HIDDEN, u->server, u->path,
                    "this kernel does not list FUSE passthrough backing files, and the kernel "
                    "view did not read them (%s): those of connection %u cannot be shown",
                    deep_reason ? deep_reason : "not loaded", u->conn);
    }
}
