#include "core/kernel_file.h"

#include <sys/stat.h>

#include "core/file_identity.h"

void record_set_kernel_file(struct file_record *rec, const struct deep_file *f)
{
    rec->path = f->path;
    rec->path_complete = f->path_complete;
    rec->method = METHOD_BPF;
    rec->identity = IDENTITY_KERNEL;
    if (rec->note == unchecked_path_note)
        rec->note = NULL; /* the kernel named it without asking any server */
    rec->deleted = f->deleted ? TRI_TRUE : TRI_FALSE;
    /* Anon inodes have no file type bits. */
    rec->type = (f->mode & S_IFMT) ? file_type_from_mode(f->mode) : FTYPE_ANON;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = f->dev_major;
    rec->dev_minor = f->dev_minor;
    rec->inode = f->inode;
    rec->has_mount_id = f->has_mount_id;
    rec->mount_id = f->mount_id;
}
