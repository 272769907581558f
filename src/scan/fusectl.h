/* fusectl, the FUSE control filesystem (/sys/fs/fuse/connections): where it
 * is mounted, it is read there; where it is not, lshidden mounts it in a
 * mount namespace of a thread of its own and keeps only an fd on it, so
 * the host's mount table is the same after a run as before. */
#ifndef LSHIDDEN_SCAN_FUSECTL_H
#define LSHIDDEN_SCAN_FUSECTL_H

#include <dirent.h>
#include <stdbool.h>

struct fusectl {
    char *path; /* sys_root/fs/fuse/connections: where names in messages point */
    int dirfd;  /* on that directory, or on our private mount of it; -1 */
    bool looked, mounted;
};

void fusectl_init(struct fusectl *ctl);

/* The connections directory of sys_root (NULL: none), -1 when there is
 * none.  wanted: FUSE is in use, so an empty directory (fusectl not
 * mounted) is worth a private mount, when live (the host's /sys) and root. */
int fusectl_dirfd(struct fusectl *ctl, const char *sys_root, bool live, bool wanted);

/* A new directory stream on dirfd, from its start (a dup shares the
 * offset, so a second listing would otherwise find nothing). */
DIR *fusectl_opendir(int dirfd);

void fusectl_free(struct fusectl *ctl);

#endif
