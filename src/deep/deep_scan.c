#include "deep/deep_scan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "deep/bpf_load.h"
#include "lshidden_deep.skel.h"
#include "parse/proc_names.h"
#include "scan/fusectl.h"
#include "util/vec.h"

/* Each continuation lists at least one more slot, so a table of N slots
 * needs at most N runs; this only stops a table that keeps changing. */
enum { MAX_CONTINUATIONS = 4096 };

/* Rings, FUSE connections, mapped files and sockets the scan can tell
 * apart.  The kernel zeroes and initialises a hash map's whole bucket array
 * at creation (4 ms for 64k entries here, 7 for a million), so a scan
 * starts with room for 4,096 and is run again with 16 times the room only
 * when that fills. */
enum { CLAIMS_FIRST = 1 << 12, CLAIMS_MOST = 1 << 20 };

struct fd_list {
    int *items;
    size_t len, cap;
};

static int decode_output(struct deep_scan *ds, const struct iter_output *out)
{
    struct deep_decode_error err = {0, NULL};
    int r = deep_decode(out->data, out->len, &ds->result, &err);
    if (r == -EINVAL)
        snprintf(ds->unavailable, sizeof(ds->unavailable),
                 "BPF iterator output malformed at byte %zu: %s", err.offset, err.reason);
    return r;
}

static struct bpf_program *program_for(struct lshidden_deep *skel, enum deep_via via)
{
    switch (via) {
    case DEEP_VIA_VMA: return skel->progs.deep_vmas;
    case DEEP_VIA_REGISTERED: return skel->progs.deep_tasks;
    default: return skel->progs.deep_files; /* fds of every kind */
    }
}

/* A listing that ran out of seq buffer is continued from where it stopped
 * by running one iterator again over one task that reaches the object. */
static int continue_listing(struct deep_scan *ds, struct lshidden_deep *skel, size_t index,
                            struct iter_output *out)
{
    for (unsigned runs = 0; ds->result.items[index].truncated; runs++) {
        struct deep_object *o = &ds->result.items[index];
        const struct deep_reach *reach = &o->reaches[0];
        uint32_t from = o->resume_slot;
        if (runs == MAX_CONTINUATIONS)
            break;
        skel->bss->resume_key = o->key;
        skel->bss->resume_from = from;
        /* Unclaimed, so that the first of the task's ways to it lists it. */
        bpf_map__delete_elem(skel->maps.claimed, &o->key, sizeof(o->key), 0);
        o->truncated = false;
        out->len = 0;
        /* Registered rings are per thread: filter on the thread. */
        pid_t task = reach->via == DEEP_VIA_REGISTERED ? reach->tid : reach->pid;
        int r = bpf_iter_read(program_for(skel, reach->via), task, out);
        if (r == 0)
            r = decode_output(ds, out);
        skel->bss->resume_key = 0;
        if (r < 0 && r != -ESRCH && r != -ENOENT)
            return r;
        o = &ds->result.items[index];
        if (r < 0 || (o->truncated && o->resume_slot <= from))
            break; /* the task or the ring went away, or the table changed */
    }
    return 0;
}

/* Asked up front: a verifier rejection is also EACCES, so the load's error
 * alone cannot tell "not allowed" from "not understood". */
static bool may_load_bpf(void)
{
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, caps) != 0)
        return geteuid() == 0;
    uint64_t eff = (uint64_t)caps[1].effective << 32 | caps[0].effective;
    uint64_t bpf = 1ULL << 39, perfmon = 1ULL << 38, sys_admin = 1ULL << CAP_SYS_ADMIN;
    return (eff & sys_admin) || ((eff & bpf) && (eff & perfmon));
}

static void describe_load_error(char *buf, size_t len, int err)
{
    if (err == -EPERM)
        snprintf(buf, len,
                 "the kernel refused to load BPF programs (%s): is "
                 "kernel.unprivileged_bpf_disabled set, or a security module in the way?",
                 strerror(-err));
    else
        snprintf(buf, len,
                 "the kernel rejected the BPF programs (%s); this kernel's layout may not be "
                 "supported (LSHIDDEN_DEEP_DEBUG=1 shows libbpf's log)",
                 strerror(-err));
}

/* Loads the skeleton; when it is refused with the FUSE part (say FUSE is a
 * module whose BTF cannot be read), loads the io_uring part alone. */
static int load_programs(struct deep_scan *ds, struct lshidden_deep **skelp, const char *btf,
                         uint32_t claims)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
        struct lshidden_deep *skel = lshidden_deep__open_opts(&opts);
        if (!skel) {
            int err = -errno;
            snprintf(ds->unavailable, sizeof(ds->unavailable), "cannot open the BPF object: %s",
                     strerror(-err));
            return err;
        }
        if (attempt == 1)
            skel->rodata->with_fuse = 0;
        bpf_map__set_max_entries(skel->maps.claimed, claims);
        skel->rodata->ntarget_devs = ds->targets.ndevs;
        skel->rodata->all_fds = ds->all_fds;
        for (uint32_t i = 0; i < ds->targets.ndevs && i < DEEP_MAX_TARGETS; i++)
            skel->rodata->target_devs[i] = ds->targets.devs[i];
        int err = lshidden_deep__load(skel);
        if (err == 0) {
            *skelp = skel;
            return 0;
        }
        lshidden_deep__destroy(skel);
        if (err == -EPERM || attempt == 1) {
            describe_load_error(ds->unavailable, sizeof(ds->unavailable), err);
            return err;
        }
        describe_load_error(ds->fuse_unavailable, sizeof(ds->fuse_unavailable), err);
    }
    return -EINVAL;
}

static int run_iterators(struct deep_scan *ds, struct lshidden_deep *skel)
{
    struct iter_output out = {NULL, 0, 0};
    struct bpf_program *progs[] = {skel->progs.deep_files, skel->progs.deep_vmas,
                                   skel->progs.deep_tasks};
    /* With every fd read, the tasks go first: a process that deep_tasks
     * saw then had its fds read after it, so its table (empty or not) is
     * whole; one that started between the two passes has fds and no
     * earlier record, which is no harm. */
    if (ds->all_fds) {
        progs[0] = skel->progs.deep_tasks;
        progs[1] = skel->progs.deep_files;
        progs[2] = skel->progs.deep_vmas;
    }
    int r = 0;
    for (size_t i = 0; r == 0 && i < sizeof(progs) / sizeof(progs[0]); i++)
        r = bpf_iter_read(progs[i], 0, &out);
    ds->fuse_listed = r == 0 && skel->rodata->with_fuse && skel->bss->fuse_layout_known;
    if (r < 0)
        snprintf(ds->unavailable, sizeof(ds->unavailable), "running a BPF iterator: %s",
                 strerror(-r));
    if (r == 0)
        r = decode_output(ds, &out);
    for (size_t i = 0; r == 0 && i < ds->result.len; i++)
        r = continue_listing(ds, skel, i, &out);
    if (r < 0 && !ds->unavailable[0])
        snprintf(ds->unavailable, sizeof(ds->unavailable), "reading the BPF iterators: %s",
                 strerror(-r));
    if (skel->bss->fuse_walk_cut)
        ds->fuse_walk_cut = true;
    if (skel->bss->task_refs_cut)
        ds->task_refs_cut = true;
    if (skel->bss->claims_full && r == 0) {
        snprintf(ds->unavailable, sizeof(ds->unavailable),
                 "more rings and FUSE connections than it can tell apart");
        r = -ENOSPC;
    }
    free(out.data);
    return r;
}

/* Connections whose server is gone are reachable only through their
 * fusectl directory: hold one O_PATH fd on each while the iterators run, so
 * that deep_files meets them in lshidden's own fd table. */
static void open_fuse_ctl_dirs(int ctl_fd, struct fd_list *fds)
{
    DIR *d = fusectl_opendir(ctl_fd);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        uint64_t conn;
        if (!decimal_name_parse(de->d_name, UINT32_MAX, &conn))
            continue;
        int fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (VEC_APPEND(fds, fd) < 0) {
            close(fd);
            break;
        }
    }
    if (d)
        closedir(d);
}

static void close_fds(struct fd_list *fds)
{
    for (size_t i = 0; i < fds->len; i++)
        close(fds->items[i]);
    free(fds->items);
}

/* The iterators name tasks by their PIDs in the initial PID namespace,
 * which are /proc's only there.  Its inode is a constant of the kernel
 * (PROC_PID_INIT_INO). */
static bool in_initial_pid_ns(void)
{
    char link[64];
    ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
    if (n < 0)
        return true; /* no namespaces at all */
    link[n] = '\0';
    return strcmp(link, "pid:[4026531836]") == 0;
}

int deep_scan_run(struct deep_scan *ds, int fuse_ctl_fd)
{
    struct deep_targets targets = ds->targets;
    bool all_fds = ds->all_fds;
    memset(ds, 0, sizeof(*ds));
    ds->targets = targets;
    ds->all_fds = all_fds;
    bpf_load_quiet_libbpf();
    if (!in_initial_pid_ns()) {
        snprintf(ds->unavailable, sizeof(ds->unavailable),
                 "lshidden runs in a PID namespace of its own, and the kernel's tables name "
                 "tasks by their PIDs outside it");
        return -EOPNOTSUPP;
    }
    if (!may_load_bpf()) {
        snprintf(ds->unavailable, sizeof(ds->unavailable),
                 "loading BPF programs needs root, or CAP_BPF and CAP_PERFMON");
        return -EPERM;
    }
    struct kernel_btf btf;
    int r = kernel_btf_open(&btf, ds->unavailable, sizeof(ds->unavailable));
    if (r < 0)
        return r;
    r = -ENOSPC;
    for (uint32_t claims = CLAIMS_FIRST; r == -ENOSPC && claims <= CLAIMS_MOST; claims *= 16) {
        struct lshidden_deep *skel = NULL;
        deep_result_free(&ds->result);
        ds->unavailable[0] = '\0';
        ds->fuse_walk_cut = ds->task_refs_cut = false;
        r = load_programs(ds, &skel, btf.path, claims);
        if (r < 0)
            break;
        struct fd_list ctl_fds = {0};
        if (skel->rodata->with_fuse)
            open_fuse_ctl_dirs(fuse_ctl_fd, &ctl_fds);
        r = run_iterators(ds, skel);
        close_fds(&ctl_fds);
        lshidden_deep__destroy(skel);
    }
    kernel_btf_close(&btf);
    if (r < 0) {
        deep_result_free(&ds->result);
        ds->fuse_listed = false;
    }
    return r;
}

void deep_scan_free(struct deep_scan *ds)
{
    deep_result_free(&ds->result);
}

bool deep_scan_listed_fuse_conn(const struct deep_scan *ds, uint32_t conn)
{
    if (!ds->fuse_listed)
        return false;
    for (size_t i = 0; i < ds->result.len; i++) {
        const struct deep_object *o = &ds->result.items[i];
        if (o->kind == DEEP_OBJ_FUSE_CONN && o->fuse_conn == conn && !o->truncated)
            return true;
    }
    return false;
}

const char *deep_scan_fuse_reason(const struct deep_scan *ds)
{
    if (ds->fuse_unavailable[0])
        return ds->fuse_unavailable;
    if (!ds->fuse_listed)
        return "the kernel's BTF describes no FUSE passthrough: is the fuse module's BTF in "
               "/sys/kernel/btf?";
    if (ds->fuse_walk_cut)
        return "too many backing ids to walk";
    return "the connection was not reached";
}
