/* The requests in flight that hold a --mount target's files after their
 * fd was closed (Linux AIO poll requests, io_uring requests armed for poll
 * or running in an io-wq worker): the BPF iterators of
 * src/deep/bpf/inflight.bpf.c, a skeleton of their own, loaded only when
 * there are targets.  Their records decode into deep_object kinds
 * DEEP_OBJ_AIO and DEEP_OBJ_URING_REQ. */
#ifndef LSHIDDEN_DEEP_INFLIGHT_SCAN_H
#define LSHIDDEN_DEEP_INFLIGHT_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "deep/deep_scan.h"
#include "parse/deep_decode.h"

struct inflight_scan {
    struct deep_targets targets; /* set before inflight_scan_run() */
    struct deep_result result;
    bool aio_known;   /* this kernel's AIO types resolved (CONFIG_AIO) */
    bool uring_known; /* and its io_uring cancel table and io-wq workers */
    bool cut;         /* a listing did not fit its seq buffer */
    /* What loading cost: the verifier's instructions over both programs
     * (bpf_prog_info.verified_insns) and the time open + load took. */
    uint32_t verified_insns;
    double load_ms;
    /* One line for the user when the scan could not run; empty otherwise. */
    char unavailable[320];
};

/* Loads, runs and unloads the programs.  Returns 0, or -errno with
 * unavailable set; the result is then empty.  LSHIDDEN_DEEP_DEBUG=1 prints
 * libbpf's log and the load cost on stderr. */
int inflight_scan_run(struct inflight_scan *is);
void inflight_scan_free(struct inflight_scan *is);

#endif
