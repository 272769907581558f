/* --mount: binfmt_misc entries whose F-flag interpreter lies on the mount. */
#include <errno.h>
#include <string.h>

#include "mount/holder_common.h"

static bool is_binfmt_entry(const char *name)
{
    return strcmp(name, "register") != 0 && strcmp(name, "status") != 0;
}

/* The interpreter string is the one given at registration and is never
 * updated, so a path that now names another file does not clear it: only
 * a stat() on the target proves it, the path prefix only suggests it. */
static void add_binfmt(struct holder_scan *hs, const char *name, const struct binfmt_entry *e)
{
    char *path = arena_strndup(hs->arena, e->interpreter.p, e->interpreter.len);
    if (!path)
        return;
    char object[512];
    snprintf(object, sizeof(object), "binfmt_misc:%s", name);
    holder_add_by_path(hs, SOURCE_BINFMT, object, path, TRI_UNKNOWN, true);
}

/* binfmt_misc entries with the F flag, whose interpreter the kernel
 * opened at registration: matched like swap files, except that a path now
 * leading elsewhere still leaves the row possible. */
void holders_find_binfmt(struct holder_scan *hs)
{
    char *dir = holder_path(hs, hs->proc_root, "sys/fs/binfmt_misc");
    struct name_list names;
    if (!dir)
        return;
    int r = holder_list_dir(dir, is_binfmt_entry, &names);
    if (r < 0) {
        if (r != -ENOENT)
            holder_report_error(hs, r, 0, dir);
        return;
    }
    struct read_buf buf = {0};
    for (size_t i = 0; i < names.len; i++) {
        char *file = holder_path(hs, dir, "%s", names.names[i]);
        struct binfmt_entry e;
        if (holder_read_file(hs, file, &buf, READ_CAP_SMALL) < 0)
            continue;
        if (binfmt_entry_parse(buf.data, buf.len, &e) < 0)
            holder_report_malformed(hs, file, 1);
        else if (e.open_file)
            add_binfmt(hs, names.names[i], &e);
    }
    read_buf_free(&buf);
    name_list_free(&names);
}
