/* --mount: swap files on the mount (/proc/swaps). */
#include "mount/holder_common.h"

/* /proc/swaps prints a d_path, current as of now: when the file can be
 * stat()ed its mount id decides; a deleted file (or a fixture) has only
 * its path, which may also lie on a mount below the target. */
static void add_swap(struct holder_scan *hs, const struct swap_entry *e, const char *file,
                     unsigned line)
{
    bool deleted;
    char *path = holder_decode_span(hs, e->path, true, &deleted);
    if (!path) {
        holder_report_malformed(hs, file, line);
        return;
    }
    holder_add_by_path(hs, SOURCE_SWAP, "swap", path, deleted ? TRI_TRUE : TRI_FALSE, false);
}

/* Swap files (not partitions) of proc_root/swaps: certain when statx
 * puts the file on the target, possible when only the path lies below the
 * mount point (deleted, or a fixture). */
void holders_find_swap(struct holder_scan *hs)
{
    char *file = holder_path(hs, hs->proc_root, "swaps");
    struct read_buf buf = {0};
    if (holder_read_file(hs, file, &buf, READ_CAP_LIST) == 0) {
        struct text_cursor cur;
        struct swap_entry e;
        bool warned = false;
        int r;
        text_cursor_init(&cur, buf.data, buf.len);
        while ((r = swaps_next(&cur, &e)) != 0) {
            if (r < 0) {
                if (!warned)
                    holder_report_malformed(hs, file, cur.line);
                warned = true;
            } else if (e.is_file) {
                add_swap(hs, &e, file, cur.line);
            }
        }
    }
    read_buf_free(&buf);
}
