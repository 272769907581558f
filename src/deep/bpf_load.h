/* What the kernel view's BPF objects (deep_scan.c, inflight_scan.c) share
 * to load and run: the BTF they are relocated against, libbpf's silence,
 * and reading an iterator to its end. */
#ifndef LSHIDDEN_DEEP_BPF_LOAD_H
#define LSHIDDEN_DEEP_BPF_LOAD_H

#include <bpf/libbpf.h>
#include <stddef.h>
#include <sys/types.h>

struct iter_output {
    char *data;
    size_t len, cap;
};

/* libbpf explains a failed load at length on stderr; lshidden says one
 * line instead, unless LSHIDDEN_DEEP_DEBUG asks for libbpf's own words. */
void bpf_load_quiet_libbpf(void);

/* Runs prog as an iterator (over every task, or only task pid's) and
 * appends all it writes to out.  Returns 0 or -errno. */
int bpf_iter_read(struct bpf_program *prog, pid_t pid, struct iter_output *out);

/* The BTF for btf_custom_path. */
struct kernel_btf {
    /* NULL: libbpf's own search (vmlinux, and module BTF as root). */
    const char *path;
    int min_fd; /* the minimal BTF's memfd (parse/btf_min.h), or -1 */
    char min_path[32];
};

/* Picks the kernel's BTF (LSHIDDEN_DEEP_BTF, else /sys/kernel/btf/vmlinux)
 * and cuts it to the types the programs name where libbpf's own search
 * would find nothing more.  Returns 0, or -errno with why (len bytes)
 * saying it in words: there is no BTF to read. */
int kernel_btf_open(struct kernel_btf *kb, char *why, size_t len);
void kernel_btf_close(struct kernel_btf *kb);

#endif
