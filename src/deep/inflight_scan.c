#include "deep/inflight_scan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deep/bpf_load.h"
#include "lshidden_inflight.skel.h"

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

static int load(struct inflight_scan *is, struct lshidden_inflight **skelp)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct kernel_btf btf;
    int r = kernel_btf_open(&btf, is->unavailable, sizeof(is->unavailable));
    if (r < 0)
        return r;
    LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf.path);
    struct lshidden_inflight *skel = lshidden_inflight__open_opts(&opts);
    if (!skel) {
        int err = -errno;
        kernel_btf_close(&btf);
        snprintf(is->unavailable, sizeof(is->unavailable), "cannot open the BPF object: %s",
                 strerror(-err));
        return err;
    }
    skel->rodata->ntarget_devs = is->targets.ndevs;
    for (uint32_t i = 0; i < is->targets.ndevs && i < DEEP_MAX_TARGETS; i++)
        skel->rodata->target_devs[i] = is->targets.devs[i];
    int err = lshidden_inflight__load(skel);
    kernel_btf_close(&btf);
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
    bpf_load_quiet_libbpf();
    struct lshidden_inflight *skel = NULL;
    int r = load(is, &skel);
    if (r < 0)
        return r;
    struct iter_output out = {NULL, 0, 0};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = bpf_iter_read(skel->progs.inflight_tasks, 0, &out);
    double tasks_ms = ms_since(&t0);
    if (r == 0)
        r = bpf_iter_read(skel->progs.inflight_rings, 0, &out);
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
