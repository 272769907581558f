/* The walk's threads: processes are shared out to a thread per CPU, each
 * with an output of its own, moved into the result at the end.  A split
 * walk (-a with the kernel view) runs every process's first half while
 * the view loads and reads, then every second half with its fd tables. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/handler.h"
#include "scan/proc_walk.h"
#include "scan/scan.h"
#include "util/vec.h"

/* The per-worker part of a scan: its output, and one state block per
 * handler, reused (zeroed) for every process of a whole walk. */
struct scan_worker {
    const struct scan_config *cfg;
    const struct scan_result *res;
    int proc_fd;
    struct scan_output out;
    void **states; /* one per entry of file_handlers */
};

/* A process between the halves of a split walk: its context and the
 * handlers' state, which its second half goes on with. */
struct proc_scan {
    struct proc_ctx ctx;
    void **states;
    bool begun; /* its directory opened and its first half read */
};

struct scan_walk {
    struct scan_result *res;
    int proc_fd;
    struct scan_worker *workers;
    size_t nworkers, ready;
    struct proc_scan *procs; /* split walks only */
};

enum walk_phase { WALK_WHOLE, WALK_FIRST_HALF, WALK_SECOND_HALF };

static void **handler_states_new(void)
{
    void **states = calloc(file_handler_count, sizeof(*states));
    for (size_t i = 0; states && i < file_handler_count; i++)
        if (!(states[i] = calloc(1, file_handlers[i]->state_size + 1))) {
            while (i-- > 0)
                free(states[i]);
            free(states);
            return NULL;
        }
    return states;
}

static void handler_states_free(void **states)
{
    for (size_t i = 0; states && i < file_handler_count; i++)
        free(states[i]);
    free(states);
}

static struct proc_ctx context_of(struct scan_worker *w, struct process_info *proc)
{
    return (struct proc_ctx){
        .cfg = w->cfg,
        .kernel = &w->res->kernel,
        .self_mnt_ns = w->res->self_mnt_ns,
        .self_mounts = w->res->self_mounts,
        .proc = proc,
        .out = &w->out,
        .dirfd = -1,
    };
}

static void scan_whole(struct scan_worker *w, struct process_info *proc)
{
    struct proc_ctx ctx = context_of(w, proc);
    if (proc_scan_open(&ctx, w->proc_fd) < 0)
        return;
    proc_scan_early(&ctx, w->states);
    proc_scan_late(&ctx, w->states);
    close(ctx.dirfd);
}

/* The directory is closed between the halves: a host of 30,000 processes
 * would otherwise hold as many fds. */
static void scan_first_half(struct scan_worker *w, struct proc_scan *ps, struct process_info *proc)
{
    ps->ctx = context_of(w, proc);
    if (proc_scan_open(&ps->ctx, w->proc_fd) < 0)
        return;
    if (!(ps->states = handler_states_new())) {
        warning_add(&w->out.warnings, WARN_IO, proc->pid, NULL, "out of memory");
        close(ps->ctx.dirfd);
        return;
    }
    proc_scan_early(&ps->ctx, ps->states);
    close(ps->ctx.dirfd);
    ps->ctx.dirfd = -1;
    ps->begun = true;
}

/* A process that exited between the halves is told as one that vanished
 * mid-scan; its handlers still finish, to free their state, and see an
 * unreadable fd table. */
static void scan_second_half(struct scan_worker *w, struct proc_scan *ps)
{
    if (!ps->begun)
        return;
    ps->ctx.cfg = w->cfg;
    ps->ctx.out = &w->out;
    if (proc_scan_open(&ps->ctx, w->proc_fd) == 0) {
        proc_scan_late(&ps->ctx, ps->states);
        close(ps->ctx.dirfd);
    } else {
        ps->ctx.fds_incomplete = true;
        for (size_t i = 0; i < file_handler_count; i++)
            if (file_handlers[i]->finish)
                file_handlers[i]->finish(&ps->ctx, ps->states[i]);
    }
    handler_states_free(ps->states);
    ps->states = NULL;
}

struct worker_task {
    struct scan_walk *walk;
    struct scan_worker *worker;
    atomic_size_t *next;
    enum walk_phase phase;
};

static void *worker_main(void *arg)
{
    struct worker_task *task = arg;
    struct scan_walk *walk = task->walk;
    for (;;) {
        size_t i = atomic_fetch_add(task->next, 1);
        if (i >= walk->res->processes.len)
            return NULL;
        struct process_info *proc = walk->res->processes.items[i];
        switch (task->phase) {
        case WALK_WHOLE: scan_whole(task->worker, proc); break;
        case WALK_FIRST_HALF: scan_first_half(task->worker, &walk->procs[i], proc); break;
        case WALK_SECOND_HALF: scan_second_half(task->worker, &walk->procs[i]); break;
        }
    }
}

/* Scanning is mostly waiting on procfs syscalls, one process at a time,
 * so processes are handed out to a thread per CPU. */
static size_t worker_count(size_t nprocesses)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 0 ? (size_t)cpus : 1;
    if (n > 8)
        n = 8;
    if (n > nprocesses / 32 + 1)
        n = nprocesses / 32 + 1;
    return n;
}

/* Every worker takes processes until none is left; this thread is
 * worker 0, and fewer threads than asked still finish the work. */
static void run_phase(struct scan_walk *walk, enum walk_phase phase)
{
    size_t n = walk->ready;
    if (phase == WALK_FIRST_HALF && n > 1)
        n--; /* the kernel view's thread runs beside it: a CPU of its own */
    struct worker_task *tasks = calloc(n, sizeof(*tasks));
    pthread_t *threads = calloc(n, sizeof(*threads));
    atomic_size_t next = 0;
    size_t started = 1;
    if (!tasks || !threads)
        n = 1;
    struct worker_task only = {walk, &walk->workers[0], &next, phase};
    for (size_t i = 1; tasks && threads && i < n; i++) {
        tasks[i] = (struct worker_task){walk, &walk->workers[i], &next, phase};
        if (pthread_create(&threads[i], NULL, worker_main, &tasks[i]) != 0)
            break;
        started = i + 1;
    }
    worker_main(&only);
    for (size_t i = 1; i < started; i++)
        pthread_join(threads[i], NULL);
    free(tasks);
    free(threads);
}

static int worker_init(struct scan_worker *w, const struct scan_config *cfg,
                       const struct scan_result *res, int proc_fd)
{
    memset(w, 0, sizeof(*w));
    w->cfg = cfg;
    w->res = res;
    w->proc_fd = proc_fd;
    record_list_init(&w->out.records, &w->out.arena);
    return (w->states = handler_states_new()) ? 0 : -ENOMEM;
}

/* Moves a worker's output into the result: rows, strings and mount tables
 * live on there. */
static int worker_merge(struct scan_worker *w, struct scan_result *res)
{
    struct scan_output *out = &w->out;
    int r = record_list_append(&res->records, &out->records);
    for (size_t i = 0; r == 0 && i < out->fuse_servers.len; i++)
        r = VEC_APPEND(&res->fuse_servers, out->fuse_servers.items[i]);
    if (r == 0)
        r = warning_list_move(&res->warnings, &out->warnings);
    if (r == 0)
        r = mount_cache_adopt(&res->mounts, &out->mounts);
    arena_adopt(&res->arena, &out->arena);
    return r;
}

static void worker_free(struct scan_worker *w)
{
    struct scan_output *out = &w->out;
    record_list_free(&out->records);
    warning_list_free(&out->warnings);
    free(out->fuse_servers.items);
    mount_cache_free(&out->mounts);
    name_cache_free(&out->names);
    read_buf_free(&out->link_buf);
    read_buf_free(&out->file_buf);
    arena_free(&out->arena);
    handler_states_free(w->states);
}

/* Merges the workers' outputs (when r is 0) and frees the walk. */
static int walk_end(struct scan_walk *walk, int r)
{
    for (size_t i = 0; r == 0 && i < walk->ready; i++)
        r = worker_merge(&walk->workers[i], walk->res);
    for (size_t i = 0; i < walk->ready; i++)
        worker_free(&walk->workers[i]);
    for (size_t i = 0; walk->procs && i < walk->res->processes.len; i++)
        handler_states_free(walk->procs[i].states);
    if (walk->proc_fd >= 0)
        close(walk->proc_fd);
    fuse_server_list_sort(&walk->res->fuse_servers);
    free(walk->procs);
    free(walk->workers);
    free(walk);
    return r;
}

static int walk_begin(const struct scan_config *cfg, struct scan_result *res, bool split,
                      struct scan_walk **walkp)
{
    struct scan_walk *walk = calloc(1, sizeof(*walk));
    if (!walk)
        return -ENOMEM;
    walk->res = res;
    walk->proc_fd = open(cfg->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (walk->proc_fd < 0) {
        int r = -errno;
        free(walk);
        return r;
    }
    int r = process_list_collect(&res->processes, cfg->proc_root, cfg->live, cfg->pids, cfg->npids,
                                 !cfg->pids_from_kernel, &res->arena, &res->warnings);
    if (r < 0)
        return walk_end(walk, r);
    walk->nworkers = worker_count(res->processes.len);
    walk->workers = calloc(walk->nworkers, sizeof(*walk->workers));
    if (split)
        walk->procs = calloc(res->processes.len + 1, sizeof(*walk->procs));
    r = walk->workers && (!split || walk->procs) ? 0 : -ENOMEM;
    for (; r == 0 && walk->ready < walk->nworkers; walk->ready++)
        r = worker_init(&walk->workers[walk->ready], cfg, res, walk->proc_fd);
    if (r < 0)
        return walk_end(walk, r);
    *walkp = walk;
    return 0;
}

int scan_processes(const struct scan_config *cfg, struct scan_result *res)
{
    struct scan_walk *walk;
    int r = walk_begin(cfg, res, false, &walk);
    if (r < 0)
        return r;
    run_phase(walk, WALK_WHOLE);
    return walk_end(walk, 0);
}

int scan_processes_begin(const struct scan_config *cfg, struct scan_result *res,
                         struct scan_walk **walk)
{
    int r = walk_begin(cfg, res, true, walk);
    if (r == 0)
        run_phase(*walk, WALK_FIRST_HALF);
    return r;
}

int scan_processes_end(struct scan_walk *walk, const struct scan_config *cfg)
{
    for (size_t i = 0; i < walk->ready; i++)
        walk->workers[i].cfg = cfg;
    run_phase(walk, WALK_SECOND_HALF);
    return walk_end(walk, 0);
}
