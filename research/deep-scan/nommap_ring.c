/* nommap_ring: test helper for the deep-scan prototype.
 *
 *   nommap_ring DIR     (run as any user; DIR must exist)
 *
 * Creates a ring with IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY
 * through the raw io_uring_setup syscall (liburing 2.3 and the 6.1 uapi
 * headers lack both flags), so the ring never has an fd and is never mapped:
 * it is reachable only through task->io_uring->registered_rings[].  Two
 * files, DIR/nommap-1 and DIR/nommap-2 (the latter then unlinked), are
 * registered as fixed files in slots 0 and 2 (slot 1 is a hole) through
 * IORING_REGISTER_USE_REGISTERED_RING, and their fds are closed.  Prints
 *   {"pid":P,"ring_index":I,"files":[{"slot":0,"path":"...","dev":"M:m","inode":N},...]}
 * then waits for EOF on stdin.  Needs Linux 6.5+. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14)
#endif
#ifndef IORING_SETUP_REGISTERED_FD_ONLY
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15)
#endif
#ifndef IORING_REGISTER_USE_REGISTERED_RING
#define IORING_REGISTER_USE_REGISTERED_RING (1U << 31)
#endif

/* io_uring_params with the 6.5+ user_addr fields (the 6.1 header calls
 * them resv2; same layout). */
static void die(const char *what)
{
    fprintf(stderr, "nommap_ring: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: nommap_ring DIR\n");
        return 2;
    }
    long pg = sysconf(_SC_PAGESIZE);
    void *sq = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *sqes = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sq == MAP_FAILED || sqes == MAP_FAILED)
        die("mmap");
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY;
    /* sq_off.user_addr (resv2 in old headers) = SQEs, cq_off.user_addr = rings */
    uint64_t *sq_user = (uint64_t *)((char *)&p.sq_off + offsetof(struct io_sqring_offsets, resv2));
    uint64_t *cq_user = (uint64_t *)((char *)&p.cq_off + offsetof(struct io_cqring_offsets, resv2));
    *sq_user = (uint64_t)(uintptr_t)sqes;
    *cq_user = (uint64_t)(uintptr_t)sq;
    int idx = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (idx < 0)
        die("io_uring_setup(NO_MMAP|REGISTERED_FD_ONLY)");

    char path[2][4096];
    int fds[3] = {-1, -1, -1};
    struct stat st[2];
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof(path[i]), "%s/nommap-%d", argv[1], i + 1);
        int fd = open(path[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || fstat(fd, &st[i]) < 0)
            die(path[i]);
        fds[i == 0 ? 0 : 2] = fd;
    }
    int ret = (int)syscall(__NR_io_uring_register, idx,
                           IORING_REGISTER_FILES | IORING_REGISTER_USE_REGISTERED_RING, fds, 3);
    if (ret < 0)
        die("io_uring_register(FILES, registered ring)");
    if (unlink(path[1]) < 0)
        die("unlink");
    close(fds[0]);
    close(fds[2]);
    printf("{\"pid\":%d,\"ring_index\":%d,\"files\":[", (int)getpid(), idx);
    for (int i = 0; i < 2; i++)
        printf("%s{\"slot\":%d,\"path\":\"%s\",\"deleted\":%s,\"dev\":\"%u:%u\",\"inode\":%lu}",
               i ? "," : "", i == 0 ? 0 : 2, path[i], i ? "true" : "false", major(st[i].st_dev),
               minor(st[i].st_dev), (unsigned long)st[i].st_ino);
    printf("]}\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}
