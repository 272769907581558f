/* A row's facts from the kernel's own view of its file (the BPF
 * iterators' records): what it is named and is, with no lookup by name. */
#ifndef LSHIDDEN_CORE_KERNEL_FILE_H
#define LSHIDDEN_CORE_KERNEL_FILE_H

#include "core/record.h"
#include "parse/deep_decode.h"

/* Sets rec's path (borrowed: f must outlive the row), type, device, inode,
 * mount id and whether it is deleted, all as the kernel had them, and
 * says so in its method and identity.  The mount point is left alone. */
void record_set_kernel_file(struct file_record *rec, const struct deep_file *f);

#endif
