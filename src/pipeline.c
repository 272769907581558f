#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep/deep_merge.h"
#include "deep/kernel_view.h"
#include "mount/holders.h"
#include "mount/mount_filter.h"
#include "mount/mount_target.h"
#include "output/journal.h"
#include "output/messages.h"
#include "output/mount_summary.h"
#include "sandbox.h"
#include "scan/fuse_connections.h"
#include "scan/fuse_sysfs.h"

/* Everything one run holds, so each stage reads like a sentence. */
struct run {
    const struct pipeline_config *cfg;
    struct scan_config scan; /* cfg->scan, narrowed by --mount */
    struct scan_result res;
    struct mount_target target;
    bool has_target;
    struct kernel_view kernel;
    const struct deep_scan *deep; /* NULL without --deep, or when it could not run */
    size_t rows;                  /* rows printed */
};

/* --mount: mappings of other devices cannot hold the mount, so the scan
 * skips them before any stat(); references are matched by mount id,
 * whatever is printed. */
static int resolve_target(struct run *run)
{
    int err = mount_target_resolve(&run->target, run->cfg->mount_path, run->res.self_mounts,
                                   run->res.self_mnt_ns, run->scan.live);
    if (err < 0) {
        message_path_error("", run->cfg->mount_path, strerror(-err));
        return err;
    }
    run->has_target = true;
    run->scan.only_dev = true;
    run->scan.only_dev_major = run->target.dev_major;
    run->scan.only_dev_minor = run->target.dev_minor;
    run->scan.want_identity = true;
    return 0;
}

static void start_kernel_view(struct run *run)
{
    char *fuse_ctl_dir = NULL;
    if (run->scan.live)
        fuse_ctl_dir = fuse_connections_dir(&run->scan, mount_ns_has_fuse(run->res.self_mounts));
    kernel_view_start(&run->kernel, fuse_ctl_dir, &run->res.warnings);
}

/* The kernel's tables beside /proc: FUSE backing files from /sys, then the
 * kernel view's rings and connections. */
static void merge_kernel_tables(struct run *run)
{
    struct scan_result *res = &run->res;
    const struct deep_merge_options opts = {
        .want_mountpoint = run->scan.want_mountpoint,
        .selected_pids = run->scan.npids > 0,
    };
    if (run->deep)
        deep_merge_fuse_servers(res, &run->deep->result);
    fuse_sysfs_list_backing(&run->scan, res);
    if (run->deep)
        deep_forget_listed_fuse(res, run->deep);
    fuse_sysfs_warn_unlisted(res, run->deep ? deep_scan_fuse_reason(run->deep) : NULL);
    if (run->deep)
        deep_merge(res, &run->deep->result, &opts);
    record_list_sort(&res->records);
    warning_list_sort(&res->warnings);
}

static void find_holders(struct run *run)
{
    struct scan_result *res = &run->res;
    struct holder_scan hs = {
        .target = &run->target,
        .proc_root = run->scan.proc_root,
        .sys_root = run->scan.sys_root,
        .dev_root = "/dev",
        .live = run->scan.live,
        .res = res,
        .processes = &res->processes,
        .arena = &res->arena,
        .records = &res->records,
        .warnings = &res->warnings,
    };
    mount_filter_records(&res->records, &run->target);
    holders_find_all(&hs);
    record_list_sort_by_holder(&res->records);
}

static int write_connections(struct run *run)
{
    struct fuse_connection_list list = {0};
    int r = fuse_connections_collect(&run->scan, &run->res, &list);
    /* The kernel view read backing-id tables the kernel lists nowhere. */
    for (size_t i = 0; run->deep && i < list.len; i++)
        if (deep_scan_listed_fuse_conn(run->deep, list.items[i].conn))
            list.items[i].has_backing = true;
    fuse_connections_count_backing(&list, &run->res.records);
    struct output_rows rows = output_rows_of_connections(&list);
    sandbox_enter(SANDBOX_OUTPUT);
    if (r == 0)
        r = run->cfg->json ? output_json(&rows, &run->res.warnings, &run->cfg->out, stdout)
                           : output_table(&rows, &run->cfg->out, stdout);
    run->rows = list.len;
    free(list.items);
    return r;
}

static int write_files(struct run *run)
{
    const struct pipeline_config *cfg = run->cfg;
    const struct record_list *records = &run->res.records;
    struct output_rows rows = output_rows_of_records(records);
    run->rows = records->len;
    sandbox_enter(SANDBOX_OUTPUT);
    if (cfg->json)
        return output_json(&rows, &run->res.warnings, &cfg->out, stdout);
    if (cfg->journal)
        return mount_report_journal(records, &run->target, stdout);
    int r = records->len ? output_table(&rows, &cfg->out, stdout) : 0;
    if (r == 0 && run->has_target) {
        mount_report_summary(records, &run->target, stdout);
        r = fflush(stdout) == 0 ? 0 : -errno;
    }
    return r;
}

static int finish(struct run *run, int r)
{
    int status = run->rows ? EXIT_ROWS : EXIT_NO_ROWS;
    if (r < 0)
        message_write_error(r);
    if (r < 0)
        status = EXIT_TROUBLE;
    warnings_print_summary(&run->res.warnings, stderr);
    sandbox_report();
    return status;
}

static int list_columns(const struct pipeline_config *cfg)
{
    sandbox_enter(SANDBOX_OUTPUT);
    int r = output_column_list(cfg->json, &cfg->out, stdout);
    if (r < 0)
        message_write_error(r);
    sandbox_report();
    return r < 0 ? EXIT_TROUBLE : EXIT_ROWS;
}

static void run_free(struct run *run)
{
    kernel_view_free(&run->kernel);
    if (run->has_target)
        mount_target_free(&run->target);
    scan_result_free(&run->res);
}

int pipeline_run(const struct pipeline_config *cfg)
{
    if (cfg->mode == MODE_LIST_COLUMNS)
        return list_columns(cfg);
    struct run run = {.cfg = cfg, .scan = cfg->scan};
    int r = scan_result_init(&run.res, &run.scan);
    if (r < 0)
        message_path_error("cannot scan ", run.scan.proc_root, strerror(-r));
    else if (cfg->mode == MODE_MOUNT)
        r = resolve_target(&run);
    if (r < 0) {
        run_free(&run);
        return EXIT_TROUBLE;
    }

    if (cfg->deep)
        start_kernel_view(&run); /* loads BPF beside the /proc walk */
    r = scan_processes(&run.scan, &run.res);
    if (cfg->deep)
        run.deep = kernel_view_finish(&run.kernel, &run.res.warnings);
    if (r < 0) {
        message_path_error("cannot scan ", run.scan.proc_root, strerror(-r));
        run_free(&run);
        return EXIT_TROUBLE;
    }

    merge_kernel_tables(&run);
    sandbox_enter(SANDBOX_HOLDERS); /* BPF is unloaded and the walk is done */
    if (cfg->mode == MODE_MOUNT)
        find_holders(&run);
    r = cfg->mode == MODE_FUSE ? write_connections(&run) : write_files(&run);
    int status = finish(&run, r);
    run_free(&run);
    return status;
}
