// SPDX-License-Identifier: GPL-2.0
/* probe_helpers.bpf.c: which path helpers does the verifier accept in
 * iter/task_file programs on this kernel?  Loaded one program at a time by
 * probe_helpers.c; each program is the smallest use of one helper. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int bpf_path_d_path(struct path *path, char *buf, size_t buf__sz) __ksym __weak;
extern void *bpf_rdonly_cast(const void *obj__ign, u32 btf_id) __ksym __weak;

char buf[256];

/* 1: bpf_d_path on the iterator's own (trusted) file */
SEC("iter/task_file")
int d_path_ctx_file(struct bpf_iter__task_file *ctx)
{
    struct file *f = ctx->file;
    if (f)
        bpf_d_path(&f->f_path, buf, sizeof(buf));
    return 0;
}

/* 2: bpf_d_path on a file pointer read from kernel memory (like a fixed
 * slot), turned into a BTF pointer with bpf_rdonly_cast (untrusted) */
SEC("iter/task_file")
int d_path_cast_file(struct bpf_iter__task_file *ctx)
{
    struct file *f = ctx->file;
    if (!f)
        return 0;
    u64 p = (u64)BPF_CORE_READ(f, private_data); /* stand-in for a slot's file_ptr */
    struct file *g = bpf_rdonly_cast((void *)p, bpf_core_type_id_kernel(struct file));
    if (g)
        bpf_d_path(&g->f_path, buf, sizeof(buf));
    return 0;
}

/* 3: the bpf_path_d_path kfunc on the trusted file */
SEC("iter/task_file")
int kfunc_path_d_path(struct bpf_iter__task_file *ctx)
{
    struct file *f = ctx->file;
    if (f)
        bpf_path_d_path(&f->f_path, buf, sizeof(buf));
    return 0;
}

/* 4: bpf_d_path from iter/task_vma on vma->vm_file (walked from trusted vma) */
SEC("iter/task_vma")
int d_path_vma_file(struct bpf_iter__task_vma *ctx)
{
    struct vm_area_struct *vma = ctx->vma;
    if (vma && vma->vm_file)
        bpf_d_path(&vma->vm_file->f_path, buf, sizeof(buf));
    return 0;
}
