/* --fuse: one row per FUSE connection, with its mounts, server processes,
 * waiting requests and backing files (where the kernel shows them). */
#ifndef LSHIDDEN_FUSE_CONNECTIONS_H
#define LSHIDDEN_FUSE_CONNECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output.h"
#include "scan.h"

/* After scan_run(): prints the connections as a table or as
 * {"connections": [...], "warnings": [...]}; *count gets how many.
 * Returns 0 or -errno. */
int fuse_list_connections(struct scan *scan, bool json, bool noheadings, bool raw, FILE *stream,
                          size_t *count);

#endif
