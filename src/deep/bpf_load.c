#include "deep/bpf_load.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/procfs_io.h"
#include "kernel_type_names.h"
#include "parse/btf_min.h"
#include "util/vec.h"

#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"

__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level,
                                                              const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || !getenv("LSHIDDEN_DEEP_DEBUG"))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

void bpf_load_quiet_libbpf(void)
{
    libbpf_set_print(libbpf_print);
}

int bpf_iter_read(struct bpf_program *prog, pid_t pid, struct iter_output *out)
{
    union bpf_iter_link_info info;
    memset(&info, 0, sizeof(info));
    info.task.pid = (__u32)pid;
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
    struct bpf_link *link = bpf_program__attach_iter(prog, pid ? &opts : NULL);
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

static bool has_module_btf(void)
{
    DIR *d = opendir("/sys/kernel/btf");
    struct dirent *de;
    bool found = false;
    while (d && !found && (de = readdir(d)))
        found = de->d_name[0] != '.' && strcmp(de->d_name, "vmlinux") != 0;
    if (d)
        closedir(d);
    return found;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The kernel's BTF cut down to the types the programs name
 * (parse/btf_min.h), in a memfd: libbpf then finds each type's candidates
 * at once instead of scanning the whole BTF for every one (30 of the 50 ms
 * of CPU a load took).  Returns the fd, or -errno when libbpf must use the
 * whole BTF: it cannot be read, or (modules: libbpf would search module
 * BTF, as root) a type that may live in a module is not in vmlinux. */
/* The kernel's BTF mapped read-only (6.16+ maps /sys/kernel/btf/vmlinux):
 * 5 MiB that a read would copy into fresh pages.  Returns NULL where it
 * cannot be mapped; the caller reads it then, and says why it could not.
 * Opened like every other file read (O_NONBLOCK, regular files only):
 * LSHIDDEN_DEEP_BTF may name a FIFO, whose open would wait for a writer. */
static const void *map_btf(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    void *p = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (size_t)st.st_size <= READ_CAP_TABLE)
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd >= 0)
        close(fd);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)st.st_size;
    return p;
}

static int min_btf_fd(const char *path, bool modules)
{
    struct read_buf buf = {0};
    struct btf_min min = {0};
    const size_t nnames = sizeof(kernel_type_names) / sizeof(kernel_type_names[0]);
    size_t mapped_len = 0;
    const void *mapped = map_btf(path, &mapped_len);
    int r = mapped ? 0 : read_file_at(AT_FDCWD, path, &buf, READ_CAP_TABLE);
    if (r == 0)
        r = mapped ? btf_min_build(mapped, mapped_len, kernel_type_names, nnames, &min)
                   : btf_min_build(buf.data, buf.len, kernel_type_names, nnames, &min);
    if (mapped)
        munmap((void *)mapped, mapped_len);
    read_buf_free(&buf);
    if (r == 0 && modules &&
        (!btf_min_found(&min, "fuse_conn") || !btf_min_found(&min, "unix_skb_parms")) &&
        has_module_btf())
        r = -ENOENT;
    int fd = r == 0 ? memfd_create("lshidden-btf", MFD_CLOEXEC) : r;
    if (fd < 0 && r == 0)
        r = -errno;
    if (r == 0 && (r = write_all(fd, min.data, min.len)) < 0)
        close(fd);
    btf_min_free(&min);
    return r < 0 ? r : fd;
}

/* Only root walks module BTF (FUSE may be a module): libbpf needs
 * CAP_SYS_ADMIN to list BTF objects and fails outright without it, so
 * anyone else is pinned to vmlinux alone. */
int kernel_btf_open(struct kernel_btf *kb, char *why, size_t len)
{
    const char *env = getenv("LSHIDDEN_DEEP_BTF");
    const char *path = env && *env ? env : DEFAULT_BTF;
    memset(kb, 0, sizeof(*kb));
    kb->min_fd = -1;
    struct stat st;
    if (access(path, R_OK) != 0) {
        int err = -errno;
        snprintf(why, len, "no kernel BTF (%s: %s)", path, strerror(-err));
        return err;
    }
    /* libbpf opens the path it is given and waits: a FIFO would hang. */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "no kernel BTF (%s: not a regular file)", path);
        return -EINVAL;
    }
    bool modules = !(env && *env) && geteuid() == 0;
    kb->path = modules ? NULL : path;
    kb->min_fd = min_btf_fd(path, modules);
    if (kb->min_fd >= 0) {
        snprintf(kb->min_path, sizeof(kb->min_path), "/proc/self/fd/%d", kb->min_fd);
        kb->path = kb->min_path;
    }
    return 0;
}

void kernel_btf_close(struct kernel_btf *kb)
{
    if (kb->min_fd >= 0)
        close(kb->min_fd);
    kb->min_fd = -1;
}
