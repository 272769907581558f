/* --mount: uprobes on files of the mount.  A uprobe keeps the path of its
 * file (and so the mount) until it is removed: umount fails with EBUSY,
 * and no process has the file open.  The table was read before the holder
 * stage gave up the privileges tracefs and bpf(2) need
 * (scan/uprobes.c). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount/holder_common.h"

static const struct process_info *find_process(const struct holder_scan *hs, int pid)
{
    for (size_t i = 0; pid > 0 && hs->processes && i < hs->processes->len; i++)
        if (hs->processes->items[i]->pid == pid)
            return hs->processes->items[i];
    return NULL;
}

/* A relative path was resolved against the creator's cwd, which is not
 * known now: the probe may be on any mount. */
static void report_relative(struct holder_scan *hs, const struct uprobe_entry *e)
{
    warning_add(hs->warnings, WARN_IO, 0, NULL,
                "uprobe %s names the relative path %s: the mount it holds is not known", e->object,
                e->path);
}

static void add_uprobe(struct holder_scan *hs, const struct uprobe_entry *e)
{
    if (e->path[0] != '/') {
        report_relative(hs, e);
        return;
    }
    char *path = arena_strdup(hs->arena, e->path);
    if (!path)
        return;
    /* The path is the string given when the probe was made (or, for a
     * uprobe_multi link, a name the file had): it may name another file
     * by now, so a stat() elsewhere does not rule the probe out. */
    struct file_record *rec =
        holder_add_by_path(hs, SOURCE_UPROBE, e->object, path, e->deleted, true);
    if (!rec)
        return;
    if (e->hint)
        rec->hint = arena_strdup(hs->arena, e->hint);
    if (e->origin == UPROBE_PERF_FD && e->fd >= 0) {
        rec->proc = find_process(hs, e->pid);
        rec->has_fd = true;
        rec->fd = e->fd;
    }
}

/* The uprobe PMU's type number (perf_event_attr.type); false when this
 * kernel has none, and so no perf_event fd can be a uprobe of its own. */
static bool uprobe_pmu_type(struct holder_scan *hs, uint32_t *type)
{
    char *file = holder_path(hs, hs->sys_root ? hs->sys_root : "/sys",
                             "bus/event_source/devices/uprobe/type");
    struct read_buf buf = {0};
    bool found = false;
    if (file && read_file_at(AT_FDCWD, file, &buf, READ_CAP_SMALL) == 0 && buf.data) {
        char *end;
        unsigned long v = strtoul(buf.data, &end, 10);
        found = end != buf.data && v <= UINT32_MAX;
        *type = (uint32_t)v;
    }
    read_buf_free(&buf);
    return found;
}

static bool listed_perf_fd(const struct uprobe_table *table, const struct file_record *rec)
{
    for (size_t i = 0; i < table->len; i++)
        if (table->items[i].origin == UPROBE_PERF_FD && table->items[i].pid == rec->proc->pid &&
            table->items[i].fd == rec->fd)
            return true;
    return false;
}

/* A perf_event fd that may be a uprobe on the uprobe PMU with no BPF
 * program (nothing names its file): possible.  The kernel view gives each
 * fd's PMU, so only those on the uprobe PMU are left then. */
static void add_possible_perf_fds(struct holder_scan *hs)
{
    uint32_t uprobe_type = 0;
    if (!hs->live || !uprobe_pmu_type(hs, &uprobe_type))
        return;
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *fd = hs->all_rows->items[i];
        if (fd->source != SOURCE_FD || !fd->proc || !fd->path ||
            strcmp(fd->path, "anon_inode:[perf_event]") != 0 ||
            (fd->has_perf_type && fd->perf_type != uprobe_type) ||
            listed_perf_fd(&hs->res->uprobes, fd))
            continue;
        struct file_record *rec =
            holder_add_fd(hs, SOURCE_UPROBE, "perf_event (maybe a uprobe)", fd, "close");
        if (!rec)
            return;
        rec->type = FTYPE_ANON;
        rec->possible = true;
    }
}

void holders_find_uprobes(struct holder_scan *hs)
{
    const struct uprobe_table *table = &hs->res->uprobes;
    for (size_t i = 0; i < table->len; i++)
        if (table->items[i].path && table->items[i].object)
            add_uprobe(hs, &table->items[i]);
    add_possible_perf_fds(hs);
}
