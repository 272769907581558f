#include "scan/proc_ctx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct file_record *proc_ctx_emit(struct proc_ctx *ctx, enum file_source source)
{
    struct file_record *rec = record_list_add(&ctx->out->records, ctx->proc, source);
    if (rec && ctx->tid) {
        rec->has_tid = true;
        rec->tid = ctx->tid;
    }
    return rec;
}

char *proc_ctx_path(struct proc_ctx *ctx, const char *what)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%d/%s", ctx->cfg->proc_root, (int)ctx->proc->pid, what);
    return arena_strdup(&ctx->out->arena, buf);
}

int proc_ctx_report(struct proc_ctx *ctx, int err, const char *what)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    bool per_process = kind == WARN_PERMISSION || kind == WARN_VANISHED;
    if (per_process && ctx->reported)
        return err;
    ctx->reported |= per_process;
    const char *reason =
        kind == WARN_VANISHED ? "process exited during the scan" : read_error_text(err);
    warning_add(&ctx->out->warnings, kind, ctx->proc->pid, proc_ctx_path(ctx, what), "%s", reason);
    return err;
}

struct mount_ns *proc_ctx_mounts(struct proc_ctx *ctx)
{
    if (!ctx->mounts_loaded) {
        int err = 0;
        ctx->mounts_loaded = true;
        ctx->mounts = mount_cache_get(&ctx->out->mounts, ctx->proc->mnt_ns,
                                      proc_ctx_path(ctx, "mountinfo"), &err);
        if (!ctx->mounts && err != -ENOENT && err != -ESRCH)
            proc_ctx_report(ctx, err, "mountinfo");
    }
    return ctx->mounts;
}

bool proc_ctx_same_mnt_ns(const struct proc_ctx *ctx)
{
    return ctx->proc->has_mnt_ns && ctx->proc->mnt_ns == ctx->self_mnt_ns;
}

const struct mount_ns *proc_ctx_names_table(struct proc_ctx *ctx)
{
    if (proc_ctx_same_mnt_ns(ctx) && ctx->self_mounts)
        return ctx->self_mounts;
    return proc_ctx_mounts(ctx);
}

/* Mount ids are system-wide, so an id missing from the process's own
 * table (a file reached through our namespace) is looked up in the
 * others already loaded. */
void proc_ctx_set_mountpoint(struct proc_ctx *ctx, struct file_record *rec)
{
    if (!ctx->cfg->want_mountpoint)
        return;
    struct mount_ns *ns = proc_ctx_mounts(ctx);
    const struct mount_entry *entry = NULL;
    if (rec->has_mount_id) {
        entry = mount_ns_find_id(ns, rec->mount_id);
        if (!entry)
            entry = mount_cache_find_id(&ctx->out->mounts, rec->mount_id);
    } else if (rec->has_dev) {
        entry = mount_ns_find_dev(ns, rec->dev_major, rec->dev_minor);
        if (entry) {
            rec->has_mount_id = true;
            rec->mount_id = entry->id;
        }
    }
    if (entry)
        rec->mountpoint = entry->target;
}
