#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deep/deep_merge.h"
#include "deep/kernel_view.h"
#include "mount/holders.h"
#include "mount/mount_filter.h"
#include "mount/mount_target.h"
#include "output/journal.h"
#include "output/messages.h"
#include "output/mount_summary.h"
#include "output/prometheus.h"
#include "sandbox.h"
#include "scan/fuse_connections.h"
#include "scan/fuse_sysfs.h"
#include "scan/unix_sockets.h"
#include "scan/uprobes.h"

/* Everything one run holds, so each stage reads like a sentence. */
struct run {
    const struct pipeline_config *cfg;
    struct scan_config scan; /* cfg->scan, narrowed by --mount */
    struct scan_result res;
    struct mount_target *targets; /* --mount: each mount once, in the order given */
    size_t ntargets;
    struct prom_mount *mounts; /* --prometheus: each target's holders, counted */
    struct kernel_view kernel;
    const struct deep_scan *deep; /* NULL with --no-deep, or when it could not run */
    /* --mount: the kernel view's requests in flight; NULL when not read. */
    const struct inflight_scan *requests;
    const char *no_view_why; /* why deep is NULL, in a few words */
    bool view_finished;
    pid_t *walk_pids;                  /* the kernel view's narrowing of the walk, or NULL */
    struct kernel_ring *rings_listed;  /* by the kernel view, before the walk */
    struct kernel_fd_table *fd_tables; /* -a: read by the kernel view */
    size_t rows;                       /* rows printed */
    struct timespec start;             /* of the run, for --prometheus */
};

/* Two paths on one mount are one target, so --prometheus never prints the
 * same samples twice. */
static int add_target(struct run *run, const char *path)
{
    struct mount_target *t = &run->targets[run->ntargets];
    int err = run->cfg->by_device ? mount_target_resolve_device(t, path, run->res.self_mnt_ns)
                                  : mount_target_resolve(t, path, run->res.self_mounts,
                                                         run->res.self_mnt_ns, run->scan.live);
    if (err < 0) {
        message_path_error("", path, strerror(-err));
        return err;
    }
    if (t->stalled_at)
        warning_add(&run->res.warnings, WARN_IO, 0, t->stalled_at,
                    "--mount %s: not looked up below here, on a %s mount whose server may not "
                    "answer; taken to be on %s",
                    path, t->fstype ? t->fstype : "?", t->mountpoint);
    for (size_t i = 0; i < run->ntargets; i++)
        if (run->targets[i].mount_id == t->mount_id) {
            mount_target_free(t);
            return 0;
        }
    run->ntargets++;
    return 0;
}

/* --mount: references are matched by mount id, whatever is printed.  With
 * one target, mappings of other devices cannot hold it, so the scan skips
 * them before any stat(); several targets share one scan of everything. */
static int resolve_targets(struct run *run)
{
    const struct pipeline_config *cfg = run->cfg;
    run->targets = calloc(cfg->nmount_paths, sizeof(*run->targets));
    if (!run->targets) {
        fprintf(stderr, "lshidden: %s\n", strerror(ENOMEM));
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->nmount_paths; i++) {
        int err = add_target(run, cfg->mount_paths[i]);
        if (err < 0)
            return err;
    }
    if (run->ntargets == 1) {
        run->scan.only_dev = true;
        run->scan.only_dev_major = run->targets[0].dev_major;
        run->scan.only_dev_minor = run->targets[0].dev_minor;
    }
    run->scan.want_identity = true;
    return 0;
}

/* A listing of every live process that may use the kernel view: the view
 * then shapes the walk (walk_after_view, fds_from_view). */
static bool lists_host_with_view(const struct run *run)
{
    return run->cfg->mode == MODE_LIST && run->scan.live && !run->scan.npids &&
           run->cfg->kernel_view != KERNEL_VIEW_OFF;
}

/* -a of every process: the kernel view reads every fd, and the walk
 * takes the fds of the processes it read from it, instead of a readlink
 * and a statx per fd. */
static bool fds_from_view(const struct run *run)
{
    return lists_host_with_view(run) && run->scan.all;
}

static void start_kernel_view(struct run *run)
{
    int fuse_ctl_fd = fusectl_dirfd(&run->res.fusectl, run->scan.sys_root, run->scan.live,
                                    mount_ns_has_fuse(run->res.self_mounts));
    /* --mount: the kernel also reads every task's references on the
     * targets' filesystems, for the processes /proc hides. */
    struct deep_targets targets = {0};
    if (run->ntargets <= DEEP_MAX_TARGETS)
        for (size_t i = 0; i < run->ntargets; i++)
            targets.devs[targets.ndevs++] =
                run->targets[i].dev_major << 20 | run->targets[i].dev_minor;
    kernel_view_start(&run->kernel, fuse_ctl_fd, &targets, fds_from_view(run));
}

/* Returns -1 when the view was required (--deep) and could not run: said
 * in one line, and the run ends with status 2. */
static int finish_kernel_view(struct run *run)
{
    if (run->view_finished)
        return 0;
    run->view_finished = true;
    if (run->cfg->kernel_view == KERNEL_VIEW_OFF) {
        run->no_view_why = "--no-deep";
        return 0;
    }
    run->deep = kernel_view_finish(&run->kernel, &run->res.warnings);
    run->requests = kernel_view_requests(&run->kernel);
    if (run->deep)
        return 0;
    run->no_view_why = run->kernel.why;
    if (run->cfg->kernel_view != KERNEL_VIEW_REQUIRED)
        return 0;
    fprintf(stderr, "lshidden: --deep: the kernel view cannot run: %s\n", run->kernel.why);
    return -1;
}

/* The hidden rows alone: the kernel view names every process that holds a
 * ring or a FUSE object, so the walk reads only those, and the ones the
 * view did not see (hidden from it, or started after it), instead of
 * every fd on the host. */
static bool walk_after_view(const struct run *run)
{
    return lists_host_with_view(run) && !run->scan.all;
}

/* The rings the view listed whole go to the walk, which then reads none
 * of their fdinfo. */
static void take_listed_rings(struct run *run, struct scan_config *walk)
{
    if (kernel_view_listed_rings(run->deep, &run->rings_listed, &walk->nrings_listed) == 0)
        walk->rings_listed = run->rings_listed;
}

/* -a: the fd tables and rings the view read go to the walk. */
static void take_fd_tables(struct run *run, struct scan_config *walk)
{
    if (!run->deep)
        return;
    if (kernel_view_fd_tables(run->deep, &run->fd_tables, &walk->nfd_tables) == 0)
        walk->fd_tables = run->fd_tables;
    take_listed_rings(run, walk);
}

/* -a: the view loads and reads while the walk reads all but the fds, then
 * the fds come from its tables.  *view: as finish_kernel_view(). */
static int walk_beside_view(struct run *run, struct scan_config *walk, int *view)
{
    struct scan_walk *halves;
    int r = scan_processes_begin(walk, &run->res, &halves);
    *view = finish_kernel_view(run);
    if (r < 0)
        return r;
    if (*view == 0)
        take_fd_tables(run, walk);
    return scan_processes_end(halves, walk);
}

/* Narrows walk, a copy of the scan's configuration used by the walk
 * alone (every later stage is about the whole host, as the user asked).
 * Returns false when no process needs the walk. */
static bool narrow_walk(struct run *run, struct scan_config *walk)
{
    size_t n = 0;
    /* Without the view's FUSE part, FUSE servers are found by their
     * /dev/fuse fds alone: every process must be read. */
    if (!run->deep || !run->deep->fuse_listed)
        return true; /* the whole walk, as without the view */
    take_listed_rings(run, walk);
    if (kernel_view_walk_pids(run->deep, walk->proc_root, &run->walk_pids, &n) < 0)
        return true;
    walk->pids = run->walk_pids;
    walk->npids = n;
    walk->pids_from_kernel = true;
    return n > 0;
}

/* The kernel's tables beside /proc: FUSE backing files from /sys, then the
 * kernel view's rings and connections. */
static void merge_kernel_tables(struct run *run)
{
    struct scan_result *res = &run->res;
    const struct deep_merge_options opts = {
        .want_mountpoint = run->scan.want_mountpoint,
        .selected_pids = run->scan.npids > 0,
        .hidden_only = run->cfg->mode == MODE_LIST && !run->scan.all,
        .task_refs = run->deep && run->deep->targets.ndevs && !run->deep->task_refs_cut,
    };
    if (run->deep)
        deep_merge_fuse_servers(res, &run->deep->result);
    fuse_sysfs_list_backing(&run->scan, res);
    if (run->deep)
        deep_forget_listed_fuse(res, run->deep);
    fuse_sysfs_warn_unlisted(res, run->deep ? deep_scan_fuse_reason(run->deep) : run->no_view_why);
    if (run->deep)
        deep_merge(res, &run->kernel.ds->result, &opts); /* run->deep, writable */
    else if (run->cfg->kernel_view == KERNEL_VIEW_AUTO)
        kernel_view_note_absence(&res->records, run->no_view_why, &res->warnings);
    if (run->requests)
        deep_merge_requests(res, &run->requests->result, &opts);
    record_list_sort(&res->records);
    /* Each worker warns once about a mount it did not look into. */
    warning_list_drop_repeats(&res->warnings, 0);
    warning_list_sort(&res->warnings);
}

/* --mount: what the holder finders need that only a privileged reader
 * gets: the tables of mount namespaces no process is in, bound sockets
 * (sock_diag in each network namespace) and uprobes (tracefs, bpf(2)). */
static void collect_kernel_holders(struct run *run)
{
    if (!run->scan.live)
        return;
    struct scan_result *res = &run->res;
    if (orphan_ns_collect(&res->orphan_ns, &res->mounts, res->self_mounts, res->self_mnt_ns,
                          &res->processes, &res->records, run->scan.proc_root, &res->warnings) < 0)
        warning_add(&res->warnings, WARN_IO, 0, NULL, "out of memory reading mount namespaces");
    if (bound_sockets_collect(&res->bound_sockets, run->scan.proc_root, &res->processes,
                              &res->warnings) < 0 ||
        uprobes_collect(&res->uprobes, res->self_mounts, &res->records, &res->warnings) < 0)
        warning_add(&res->warnings, WARN_IO, 0, NULL,
                    "out of memory reading bound sockets and uprobes");
}

/* Filters records down to the target's holders and adds the holders that
 * are not process references. */
static void find_holders(struct run *run, const struct mount_target *target,
                         struct record_list *records)
{
    struct scan_result *res = &run->res;
    struct holder_scan hs = {
        .target = target,
        .proc_root = run->scan.proc_root,
        .sys_root = run->scan.sys_root,
        .dev_root = "/dev",
        .live = run->scan.live,
        .res = res,
        .processes = &res->processes,
        .arena = &res->arena,
        .records = records,
        .warnings = &res->warnings,
        .kernel_view = run->deep && run->deep->targets.ndevs && !run->deep->task_refs_cut,
        .aio_view = run->requests && run->requests->aio_known,
    };
    struct record_list all;
    record_list_init(&all, &res->arena);
    if (record_list_append(&all, records) == 0)
        hs.all_rows = &all;
    struct mount_ids receivers = holders_find_receivers(&hs);
    mount_filter_records(records, target, &receivers);
    holders_find_all(&hs);
    holders_set_hints(&hs);
    holder_scan_free(&hs);
    record_list_free(&all);
    record_list_sort_by_holder(records);
}

/* --mount without the kernel view: io_uring requests in flight are not
 * seen, which matters only when nothing certain holds the target. */
static void note_unseen_requests(struct run *run)
{
    if (run->deep || run->cfg->kernel_view != KERNEL_VIEW_AUTO)
        return;
    bool held = false;
    for (size_t i = 0; !held && i < run->res.records.len; i++)
        held = !run->res.records.items[i]->possible;
    kernel_view_note_requests_absence(&run->res.processes, held, run->no_view_why,
                                      &run->res.warnings);
}

/* --prometheus: one target's holders, found on a copy of the row pointers
 * (the rows stay in the arena) and counted at once, since the next
 * target's filter judges the same rows again. */
static int count_target(struct run *run, size_t i)
{
    struct record_list rows;
    size_t warned = run->res.warnings.len;
    record_list_init(&rows, &run->res.arena);
    int r = record_list_append(&rows, &run->res.records);
    if (r == 0) {
        find_holders(run, &run->targets[i], &rows);
        r = prom_mount_count(&run->mounts[i], run->targets[i].mountpoint, &rows);
        warning_list_drop_repeats(&run->res.warnings, warned);
    }
    record_list_free(&rows);
    return r;
}

/* Every target from the one scan. */
static int count_holders(struct run *run)
{
    if (run->ntargets && !(run->mounts = calloc(run->ntargets, sizeof(*run->mounts))))
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; r == 0 && i < run->ntargets; i++)
        r = count_target(run, i);
    return r;
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
        return mount_report_journal(records, run->targets, warning_list_unseen(&run->res.warnings),
                                    stdout);
    int r = records->len ? output_table(&rows, &cfg->out, stdout) : 0;
    if (r == 0 && run->ntargets) {
        mount_report_summary(records, run->targets, warning_list_unseen(&run->res.warnings),
                             stdout);
        r = fflush(stdout) == 0 ? 0 : -errno;
    }
    return r;
}

static int write_prometheus(struct run *run)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const struct prom_report report = {
        .records = &run->res.records,
        .pid_label = run->cfg->prometheus_pids,
        .mounts = run->mounts,
        .nmounts = run->ntargets,
        .processes = &run->res.processes,
        .warnings = &run->res.warnings,
        .scan_seconds = (double)(now.tv_sec - run->start.tv_sec) +
                        (double)(now.tv_nsec - run->start.tv_nsec) / 1e9,
        .kernel_view = run->deep != NULL,
    };
    sandbox_enter(SANDBOX_OUTPUT);
    return output_prometheus(&report, stdout);
}

static int write_output(struct run *run)
{
    switch (run->cfg->mode) {
    case MODE_FUSE: return write_connections(run);
    case MODE_PROMETHEUS: return write_prometheus(run);
    default: return write_files(run);
    }
}

/* What a service manager acts on: held by something certain (0), free
 * with everything seen (1), or possibly held (3): only possible holders,
 * or a partial view. */
static int mount_status(const struct run *run)
{
    const struct record_list *rows = &run->res.records;
    bool possible = false;
    for (size_t i = 0; i < rows->len; i++) {
        if (!rows->items[i]->possible)
            return EXIT_ROWS;
        possible = true;
    }
    return possible || warning_list_unseen(&run->res.warnings) ? EXIT_POSSIBLY_HELD : EXIT_NO_ROWS;
}

/* --prometheus succeeds with the metrics written, whatever they count. */
static int finish(struct run *run, int r)
{
    bool listed = run->rows || run->cfg->mode == MODE_PROMETHEUS;
    int status = run->cfg->mode == MODE_MOUNT ? mount_status(run)
                 : listed                     ? EXIT_ROWS
                                              : EXIT_NO_ROWS;
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
    free(run->walk_pids);
    free(run->rings_listed);
    free(run->fd_tables);
    for (size_t i = 0; i < run->ntargets; i++)
        mount_target_free(&run->targets[i]);
    free(run->targets);
    for (size_t i = 0; run->mounts && i < run->ntargets; i++)
        prom_mount_free(&run->mounts[i]);
    free(run->mounts);
    scan_result_free(&run->res);
}

int pipeline_run(const struct pipeline_config *cfg)
{
    if (cfg->mode == MODE_LIST_COLUMNS)
        return list_columns(cfg);
    struct run run = {.cfg = cfg, .scan = cfg->scan};
    clock_gettime(CLOCK_MONOTONIC, &run.start);
    int r = scan_result_init(&run.res, &run.scan);
    if (r < 0)
        message_path_error("cannot scan ", run.scan.proc_root, strerror(-r));
    else if (cfg->nmount_paths)
        r = resolve_targets(&run);
    if (r < 0) {
        run_free(&run);
        return EXIT_TROUBLE;
    }

    if (cfg->kernel_view != KERNEL_VIEW_OFF)
        start_kernel_view(&run); /* loads BPF beside the /proc walk */
    int view = 0;
    bool walk_any = true;
    struct scan_config walk = run.scan;
    if (walk_after_view(&run)) {
        view = finish_kernel_view(&run);
        walk_any = view == 0 && narrow_walk(&run, &walk);
    } else if (fds_from_view(&run)) {
        r = walk_beside_view(&run, &walk, &view);
        walk_any = false;
    }
    if (walk_any)
        r = scan_processes(&walk, &run.res);
    if (r < 0)
        message_path_error("cannot scan ", run.scan.proc_root, strerror(-r));
    if (view < 0 || finish_kernel_view(&run) < 0 || r < 0) {
        run_free(&run);
        return EXIT_TROUBLE;
    }

    merge_kernel_tables(&run);
    /* The last uses of CAP_SYS_ADMIN: --fuse's private fusectl mount, and
     * the kernel holders read in other namespaces and from bpf(2). */
    if (cfg->mode == MODE_FUSE)
        fusectl_dirfd(&run.res.fusectl, run.scan.sys_root, run.scan.live, true);
    if (run.ntargets)
        collect_kernel_holders(&run);
    sandbox_enter(SANDBOX_HOLDERS); /* BPF is unloaded and the walk is done */
    if (cfg->mode == MODE_MOUNT) {
        find_holders(&run, run.targets, &run.res.records);
        note_unseen_requests(&run);
    } else if (cfg->mode == MODE_PROMETHEUS)
        r = count_holders(&run); /* each --mount target on its own copy of the rows */
    if (r == 0)
        r = write_output(&run);
    int status = finish(&run, r);
    run_free(&run);
    return status;
}
