/* --mount: NFS exports of the mount, and nfsd open state on its device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount/holder_common.h"
#include "parse/proc_names.h"

/* An export pins the exported path's mount.  Like swap, a stat() decides
 * when it can; otherwise the path prefix makes it possible. */
static void add_export(struct holder_scan *hs, const struct nfs_export *e, const char *file,
                       unsigned line)
{
    bool deleted;
    char *path = holder_decode_span(hs, e->path, true, &deleted);
    char *client = holder_unescape_span(hs, e->client);
    if (!path || !client) {
        holder_report_malformed(hs, file, line);
        return;
    }
    size_t object_len = strlen(client) + sizeof("export to ");
    char *object = malloc(object_len);
    if (!object)
        return;
    snprintf(object, object_len, "export to %s", client);
    holder_add_by_path(hs, SOURCE_NFS_EXPORT, object, path, deleted ? TRI_TRUE : TRI_FALSE, false);
    free(object);
}

/* Returns false when the server has no export table: nfsd is not loaded
 * or not running, and there is nothing more to look at. */
static bool find_exports(struct holder_scan *hs, struct read_buf *buf)
{
    char *file = holder_path(hs, hs->proc_root, "fs/nfsd/exports");
    int r = holder_read_file(hs, file, buf, READ_CAP_LIST);
    if (r == -ENOENT) {
        file = holder_path(hs, hs->proc_root, "net/rpc/nfsd.export/content");
        r = holder_read_file(hs, file, buf, READ_CAP_LIST);
    }
    if (r == -ENOENT)
        return false;
    if (r < 0)
        return true;
    struct text_cursor cur;
    struct nfs_export e;
    bool warned = false;
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = exports_next(&cur, &e)) != 0) {
        if (r < 0 && !warned) {
            holder_report_malformed(hs, file, cur.line);
            warned = true;
        } else if (r > 0) {
            add_export(hs, &e, file, cur.line);
        }
    }
    return true;
}

static bool is_client_id(const char *name)
{
    uint64_t id;
    return decimal_name_parse(name, UINT64_MAX, &id);
}

/* NFSv4 open, lock, delegation and layout states hold an open file of
 * the server's.  The kernel names it by superblock and inode, with only
 * the last two path components. */
static void add_nfsd_state(struct holder_scan *hs, const char *client, const struct nfsd_state *st)
{
    char *path =
        st->has_filename ? arena_strndup(hs->arena, st->filename.p, st->filename.len) : NULL;
    char object[128];
    snprintf(object, sizeof(object), "nfsd client %s", client);
    struct file_record *rec = holder_add(hs, SOURCE_NFSD_STATE, object, path);
    if (!rec)
        return;
    rec->path_complete = false;
    rec->possible = false;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = st->dev_major;
    rec->dev_minor = st->dev_minor;
    rec->inode = st->inode;
}

static void find_client_states(struct holder_scan *hs, const char *clients, const char *client,
                               struct read_buf *buf)
{
    char *file = holder_path(hs, clients, "%s/states", client);
    if (holder_read_file(hs, file, buf, READ_CAP_LIST) < 0)
        return; /* ENOENT: the client went away */
    struct text_cursor cur;
    struct nfsd_state st;
    bool warned = false;
    int r;
    /* An open and a lock on one file are two states but one holder:
     * rows are per client and inode. */
    uint64_t seen[64];
    size_t nseen = 0;
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = nfsd_states_next(&cur, &st)) != 0) {
        if (r < 0 && !warned) {
            holder_report_malformed(hs, file, cur.line);
            warned = true;
        }
        if (r < 0 || !st.has_superblock || !holder_is_target_dev(hs, st.dev_major, st.dev_minor))
            continue;
        bool dup = false;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = seen[i] == st.inode;
        if (dup)
            continue;
        if (nseen < sizeof(seen) / sizeof(seen[0]))
            seen[nseen++] = st.inode;
        add_nfsd_state(hs, client, &st);
    }
}

/* nfsd: exports of the mount point or below it (matched like swap
 * files), and NFSv4 states of every client on the target's device
 * (certain; path = the last two components the kernel prints).  No
 * export table at all means no nfsd, and nothing is said. */
void holders_find_nfsd(struct holder_scan *hs)
{
    struct read_buf buf = {0};
    if (!find_exports(hs, &buf)) {
        read_buf_free(&buf);
        return;
    }
    char *clients = holder_path(hs, hs->proc_root, "fs/nfsd/clients");
    struct name_list names;
    int r = clients ? holder_list_dir(clients, is_client_id, &names) : -ENOMEM;
    if (r == 0) {
        for (size_t i = 0; i < names.len; i++)
            find_client_states(hs, clients, names.names[i], &buf);
        name_list_free(&names);
    } else if (r != -ENOENT) {
        holder_report_error(hs, r, 0, clients); /* pre-5.3 kernels have no clients/ */
    }
    read_buf_free(&buf);
}
