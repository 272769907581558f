/* The requests in flight of a build without the kernel view (cmake
 * -DLSHIDDEN_DEEP=OFF): CMake compiles this file instead of
 * inflight_scan.c. */
#include "deep/inflight_scan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int inflight_scan_run(struct inflight_scan *is)
{
    struct deep_targets targets = is->targets;
    memset(is, 0, sizeof(*is));
    is->targets = targets;
    snprintf(is->unavailable, sizeof(is->unavailable),
             "this lshidden was built without the kernel view (LSHIDDEN_DEEP=OFF)");
    return -ENOSYS;
}

void inflight_scan_free(struct inflight_scan *is)
{
    deep_result_free(&is->result);
}
