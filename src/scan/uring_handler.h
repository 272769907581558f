/* io_uring: the fixed files of each ring (from its fdinfo) and the rings
 * left with no fd at all (from the process's mappings). */
#ifndef LSHIDDEN_SCAN_URING_HANDLER_H
#define LSHIDDEN_SCAN_URING_HANDLER_H

#include "scan/handler.h"

extern const struct file_handler uring_handler;

#endif
