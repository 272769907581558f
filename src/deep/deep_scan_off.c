/* The kernel view of a build without it (cmake -DLSHIDDEN_DEEP=OFF: no
 * clang, bpftool or libbpf at build time).  CMake compiles this file
 * instead of deep_scan.c; --deep then says, in its one warning, that it
 * was not built, and the /proc scan goes on as without --deep. */
#include "deep/deep_scan.h"

#include <errno.h>
#include <stdio.h>

int deep_scan_run(struct deep_scan *ds, int fuse_ctl_fd)
{
    (void)fuse_ctl_fd;
    snprintf(ds->unavailable, sizeof(ds->unavailable),
             "this lshidden was built without the kernel view (LSHIDDEN_DEEP=OFF)");
    return -ENOSYS;
}

void deep_scan_free(struct deep_scan *ds)
{
    deep_result_free(&ds->result);
}

bool deep_scan_listed_fuse_conn(const struct deep_scan *ds, uint32_t conn)
{
    (void)ds;
    (void)conn;
    return false;
}

const char *deep_scan_fuse_reason(const struct deep_scan *ds)
{
    (void)ds;
    return "the kernel view was not built";
}
