/* --mount: a process writing a core dump into the mount.  The kernel
 * writes the dump through a file of its own, in no fd table, for as long
 * as the dump takes (about a second per GB): umount fails meanwhile. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"

static bool is_dumping(struct holder_scan *hs, const struct process_info *proc)
{
    char *file = holder_path(hs, hs->proc_root, "%d/status", (int)proc->pid);
    struct read_buf buf = {0};
    bool dumping = false;
    if (file && read_file_at(AT_FDCWD, file, &buf, READ_CAP_SMALL) == 0 && buf.data)
        dumping = strstr(buf.data, "\nCoreDumping:\t1\n") != NULL;
    read_buf_free(&buf);
    return dumping;
}

/* The cwd row of pid among the scan's rows (a relative pattern writes
 * there). */
static const struct file_record *cwd_of(const struct holder_scan *hs, pid_t pid)
{
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *rec = hs->all_rows->items[i];
        if (rec->source == SOURCE_CWD && rec->proc && rec->proc->pid == pid && !rec->has_tid)
            return rec;
    }
    return NULL;
}

static void add_dump(struct holder_scan *hs, const struct process_info *proc, const char *pattern)
{
    char object[320];
    snprintf(object, sizeof(object), "core dump (%s)", pattern);
    struct file_record *rec = NULL;
    if (pattern[0] == '/') {
        /* The directory: the file's name has the pattern's %-fields in it. */
        const char *slash = strrchr(pattern, '/');
        char *dir = arena_alloc(hs->arena, (size_t)(slash - pattern) + 2);
        if (!dir)
            return;
        memcpy(dir, pattern, (size_t)(slash - pattern) + 1);
        dir[slash == pattern ? 1 : slash - pattern] = '\0';
        rec = holder_add_by_path(hs, SOURCE_CORE_DUMP, object, dir, TRI_FALSE, true);
    } else {
        const struct file_record *cwd = cwd_of(hs, proc->pid);
        if (!cwd || !cwd->has_mount_id || cwd->mount_id != hs->target->mount_id)
            return;
        rec = holder_add(hs, SOURCE_CORE_DUMP, object, cwd->path);
        if (rec)
            holder_set_on_target(hs, rec);
    }
    if (!rec)
        return;
    rec->proc = proc;
    char hint[96];
    snprintf(hint, sizeof(hint), "wait for the dump of %d to end (or kill -9 %d)", (int)proc->pid,
             (int)proc->pid);
    rec->hint = arena_strdup(hs->arena, hint);
}

void holders_find_core_dumps(struct holder_scan *hs)
{
    char *file = holder_path(hs, hs->proc_root, "sys/kernel/core_pattern");
    struct read_buf buf = {0};
    if (!file || read_file_at(AT_FDCWD, file, &buf, READ_CAP_SMALL) < 0 || !buf.data) {
        read_buf_free(&buf);
        return; /* a fixture tree without one, or no core dumps at all */
    }
    buf.data[strcspn(buf.data, "\n")] = '\0';
    /* "|helper": the dump goes down a pipe to a process, whose own fd is a
     * holder like any other. */
    if (buf.data[0] && buf.data[0] != '|')
        for (size_t i = 0; i < hs->processes->len; i++)
            if (is_dumping(hs, hs->processes->items[i]))
                add_dump(hs, hs->processes->items[i], buf.data);
    read_buf_free(&buf);
}
