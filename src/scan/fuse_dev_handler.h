/* /dev/fuse fds: the server side of FUSE connections.  Each one becomes a
 * fuse_server_fd of the scan result and, with -a, names its connection and
 * mount points in its fd row. */
#ifndef LSHIDDEN_SCAN_FUSE_DEV_HANDLER_H
#define LSHIDDEN_SCAN_FUSE_DEV_HANDLER_H

#include "scan/handler.h"

extern const struct file_handler fuse_dev_handler;

#endif
