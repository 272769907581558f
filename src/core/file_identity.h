/* What a file is, as opposed to what it is called: type, device, inode,
 * mount id and link count, from one statx() call. */
#ifndef LSHIDDEN_CORE_FILE_IDENTITY_H
#define LSHIDDEN_CORE_FILE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

struct file_identity {
    enum file_type type;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    uint32_t nlink;
    bool has_mount_id;
    int mount_id;
};

/* statx() of dirfd/path, following links (so /proc magic links reach the
 * open file itself).  Returns 0 or -errno. */
int file_identity_at(int dirfd, const char *path, struct file_identity *id);

/* Kernel names of files that have no path: "socket:[N]", "pipe:[N]",
 * "anon_inode:NAME".  Sets the type, and the inode where the name holds
 * one; returns false for anything else. */
bool pseudo_file_classify(const char *name, enum file_type *type, bool *has_inode, uint64_t *inode);

/* Strips a trailing " (deleted)" in place; returns whether there was one. */
bool strip_deleted_suffix(char *path, size_t *len);

void record_set_identity(struct file_record *rec, const struct file_identity *id,
                         enum identity_origin origin);

#endif
