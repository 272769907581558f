#include "deep/inflight_scan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lshidden_inflight.skel.h"
#include "util/vec.h"

struct iter_output {
    char *data;
    size_t len, cap;
};

/* As deep_scan.c's: libbpf says nothing unless LSHIDDEN_DEEP_DEBUG asks.
 * Set here too, since this scan may load before that one sets its own
 * (libbpf's default would print its warnings to the user's stderr). */
__attribute__((format(printf, 2, 0))) static int quiet_libbpf(enum libbpf_print_level level,
                                                              const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || !getenv("LSHIDDEN_DEEP_DEBUG"))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

/* Runs prog over every task and appends what it writes to out (the same
 * steps as deep_scan.c's read_iterator, which is private there). */
static int read_all(struct bpf_program *prog, struct iter_output *out)
{
    struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
    if (!link)
        return -errno;
    int r = 0, fd = bpf_iter_create(bpf_link__fd(link));
    if (fd < 0)
        r = -errno;
    while (fd >= 0) {
        if (vec_reserve((void **)&out->data, &out->cap, out->len + 65536, 1, 1 << 20) < 0) {
            r = -ENOMEM;
            break;
        }
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : 0;
            break;
        }
        out->len += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    bpf_link__destroy(link);
    return r;
}

static uint32_t verified_insns(const struct bpf_program *prog)
{
    struct bpf_prog_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
        return 0;
    return info.verified_insns;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The BTF deep_scan.c would use: LSHIDDEN_DEEP_BTF, else the kernel's own
 * (NULL), which only root may complete with module BTF. */
static const char *btf_path(void)
{
    const char *btf = getenv("LSHIDDEN_DEEP_BTF");
    if (btf && *btf)
        return btf;
    return geteuid() != 0 ? "/sys/kernel/btf/vmlinux" : NULL;
}

static int load(struct inflight_scan *is, struct lshidden_inflight **skelp)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path());
    struct lshidden_inflight *skel = lshidden_inflight__open_opts(&opts);
    if (!skel) {
        int err = -errno;
        snprintf(is->unavailable, sizeof(is->unavailable), "cannot open the BPF object: %s",
                 strerror(-err));
        return err;
    }
    skel->rodata->ntarget_devs = is->targets.ndevs;
    for (uint32_t i = 0; i < is->targets.ndevs && i < DEEP_MAX_TARGETS; i++)
        skel->rodata->target_devs[i] = is->targets.devs[i];
    int err = lshidden_inflight__load(skel);
    if (err) {
        snprintf(is->unavailable, sizeof(is->unavailable),
                 "the kernel rejected the BPF programs (%s) (LSHIDDEN_DEEP_DEBUG=1 shows "
                 "libbpf's log)",
                 strerror(-err));
        lshidden_inflight__destroy(skel);
        return err;
    }
    is->load_ms = ms_since(&t0);
    is->verified_insns =
        verified_insns(skel->progs.inflight_tasks) + verified_insns(skel->progs.inflight_rings);
    if (getenv("LSHIDDEN_DEEP_DEBUG"))
        fprintf(stderr,
                "lshidden: in-flight programs: %u verified insns (tasks %u, rings %u), loaded in "
                "%.1f ms\n",
                is->verified_insns, verified_insns(skel->progs.inflight_tasks),
                verified_insns(skel->progs.inflight_rings), is->load_ms);
    *skelp = skel;
    return 0;
}

int inflight_scan_run(struct inflight_scan *is)
{
    struct deep_targets targets = is->targets;
    memset(is, 0, sizeof(*is));
    is->targets = targets;
    if (!targets.ndevs)
        return 0;
    libbpf_set_print(quiet_libbpf);
    struct lshidden_inflight *skel = NULL;
    int r = load(is, &skel);
    if (r < 0)
        return r;
    struct iter_output out = {NULL, 0, 0};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = read_all(skel->progs.inflight_tasks, &out);
    double tasks_ms = ms_since(&t0);
    if (r == 0)
        r = read_all(skel->progs.inflight_rings, &out);
    if (getenv("LSHIDDEN_DEEP_DEBUG"))
        fprintf(stderr, "lshidden: in-flight iterators: tasks %.1f ms, rings %.1f ms\n", tasks_ms,
                ms_since(&t0) - tasks_ms);
    if (r < 0)
        snprintf(is->unavailable, sizeof(is->unavailable), "running a BPF iterator: %s",
                 strerror(-r));
    struct deep_decode_error err = {0, NULL};
    if (r == 0 && (r = deep_decode(out.data, out.len, &is->result, &err)) == -EINVAL)
        snprintf(is->unavailable, sizeof(is->unavailable),
                 "BPF iterator output malformed at byte %zu: %s", err.offset, err.reason);
    else if (r < 0 && !is->unavailable[0])
        snprintf(is->unavailable, sizeof(is->unavailable), "decoding: %s", strerror(-r));
    is->aio_known = skel->bss->aio_layout_known;
    is->uring_known = skel->bss->uring_layout_known;
    is->cut = skel->bss->requests_cut;
    free(out.data);
    lshidden_inflight__destroy(skel);
    if (r < 0)
        deep_result_free(&is->result);
    return r;
}

void inflight_scan_free(struct inflight_scan *is)
{
    deep_result_free(&is->result);
}
