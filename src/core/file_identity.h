/* What a file is, as opposed to what it is called: type, device, inode,
 * mount id and link count, from one statx() call. */
#ifndef LSHIDDEN_CORE_FILE_IDENTITY_H
#define LSHIDDEN_CORE_FILE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mount_table.h"
#include "core/record.h"
#include "core/warnings.h"

struct file_identity {
    enum file_type type;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    uint32_t nlink;
    bool has_mount_id;
    int mount_id;
};

/* statx() of dirfd/path ("" for dirfd itself), following links (so /proc
 * magic links reach the open file itself), from the attributes the kernel
 * has cached: a FUSE or network server is never asked.  Returns 0 or
 * -errno. */
int file_identity_at(int dirfd, const char *path, struct file_identity *id);

/* The note of a row whose file was not looked up by name. */
extern const char unchecked_path_note[];

/* Whether w is record_mark_unchecked()'s warning about a mount. */
bool warning_is_unchecked_mount(const struct warning *w);

/* Where file_identity_by_name() looks a path up, and in which table. */
struct name_lookup {
    int dirfd;                         /* with root: the directory root is opened in */
    const char *root;                  /* "root" of /proc/PID; NULL: our own root */
    const struct mount_ns *ns;         /* the table the path is read against */
    const struct mount_entry *blocked; /* out: the mount not looked into */
};

/* Identity of the file an absolute path names, looked up by name inside
 * the root without following any symlink, so a planted link cannot lead
 * it to another file or into another filesystem.  When, by the table, the
 * path lies on a filesystem whose server may not answer (or there is no
 * table), nothing is opened: -EAGAIN, and blocked is that mount (NULL when
 * unknown).  Returns 0 or -errno. */
int file_identity_by_name(struct name_lookup *where, const char *path, struct file_identity *id);

/* A row (or, rec NULL, a holder) whose file on mount e (NULL: unknown)
 * was not looked at: its note, and one warning (pid 0, path the mount
 * point) per mount. */
void record_mark_unchecked(struct file_record *rec, struct warning_list *list,
                           const struct mount_entry *e);

/* Kernel names of files that have no path: "socket:[N]", "pipe:[N]",
 * "anon_inode:NAME".  Sets the type, and the inode where the name holds
 * one; returns false for anything else. */
bool pseudo_file_classify(const char *name, enum file_type *type, bool *has_inode, uint64_t *inode);

/* Strips a trailing " (deleted)" in place; returns whether there was one. */
bool strip_deleted_suffix(char *path, size_t *len);

void record_set_identity(struct file_record *rec, const struct file_identity *id,
                         enum identity_origin origin);

#endif
