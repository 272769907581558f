/* FUSE connections in /sys/fs/fuse/connections: the passthrough backing
 * files the kernel holds for a connection with no fd anywhere
 * (FUSE_DEV_IOC_BACKING_OPEN), where the kernel lists them. */
#ifndef LSHIDDEN_SCAN_FUSE_SYSFS_H
#define LSHIDDEN_SCAN_FUSE_SYSFS_H

#include <stdbool.h>

#include "scan/scan.h"

/* After the walk: one hidden fuse-backing row per file that
 * connections/N/backing_files lists (the proposed UserFiles format), owned
 * by the connection's server.  Connections whose backing files no file
 * lists go to res->fuse_unlisted. */
void fuse_sysfs_list_backing(const struct scan_config *cfg, struct scan_result *res);

/* One warning per connection left in res->fuse_unlisted.  deep_reason:
 * why the kernel view did not read them (it could not, or --no-deep). */
void fuse_sysfs_warn_unlisted(struct scan_result *res, const char *deep_reason);

#endif
