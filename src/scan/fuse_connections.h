/* --fuse: one row per FUSE connection, with its mounts, server processes,
 * waiting requests and backing files (where the kernel shows them). */
#ifndef LSHIDDEN_SCAN_FUSE_CONNECTIONS_H
#define LSHIDDEN_SCAN_FUSE_CONNECTIONS_H

#include "core/fuse_conn.h"
#include "scan/scan.h"

/* After the scan: every connection our mount table or fusectl shows, in
 * connection order.  Returns 0 or -ENOMEM. */
int fuse_connections_collect(const struct scan_config *cfg, struct scan_result *res,
                             struct fuse_connection_list *list);

/* Counts the fuse-backing rows of each connection whose backing files can
 * be told (has_backing). */
void fuse_connections_count_backing(struct fuse_connection_list *list,
                                    const struct record_list *records);

#endif
