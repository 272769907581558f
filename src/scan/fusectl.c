#include "scan/fusectl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

void fusectl_init(struct fusectl *ctl)
{
    memset(ctl, 0, sizeof(*ctl));
    ctl->dirfd = -1;
}

DIR *fusectl_opendir(int dirfd)
{
    int fd = dirfd >= 0 ? dup(dirfd) : -1;
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir)
        rewinddir(dir);
    else if (fd >= 0)
        close(fd);
    return dir;
}

static bool dir_is_empty(int dirfd)
{
    DIR *dir = fusectl_opendir(dirfd);
    if (!dir)
        return true;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(dir)))
        empty = de->d_name[0] == '.';
    closedir(dir);
    return empty;
}

struct private_mount {
    const char *path;
    int fd, err;
};

/* In a thread: a mount namespace of its own (unshare(CLONE_NEWNS) affects
 * only the calling thread), made private first so that nothing mounted in
 * it propagates back to the host's, then fusectl on the connections
 * directory there.  The fd outlives the namespace, as a file outlives a
 * lazy umount. */
static void *mount_privately(void *arg)
{
    struct private_mount *job = arg;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("fusectl", job->path, "fusectl", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
            0) {
        job->err = -errno;
        return NULL;
    }
    job->fd = open(job->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    job->err = job->fd < 0 ? -errno : 0;
    return NULL;
}

static int open_private_mount(const char *path)
{
    struct private_mount job = {path, -1, 0};
    pthread_t thread;
    if (pthread_create(&thread, NULL, mount_privately, &job) != 0)
        return -EAGAIN;
    pthread_join(thread, NULL);
    return job.fd >= 0 ? job.fd : job.err;
}

int fusectl_dirfd(struct fusectl *ctl, const char *sys_root, bool live, bool wanted)
{
    if (!ctl->looked) {
        ctl->looked = true;
        if (!sys_root || asprintf(&ctl->path, "%s/fs/fuse/connections", sys_root) < 0) {
            ctl->path = NULL;
            return -1;
        }
        ctl->dirfd = open(ctl->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    bool may_mount = live && geteuid() == 0 && strcmp(sys_root, "/sys") == 0;
    if (wanted && may_mount && !ctl->mounted && ctl->dirfd >= 0 && dir_is_empty(ctl->dirfd)) {
        ctl->mounted = true; /* tried: once is enough */
        int fd = open_private_mount(ctl->path);
        if (fd >= 0) {
            close(ctl->dirfd);
            ctl->dirfd = fd;
        }
    }
    return ctl->dirfd;
}

void fusectl_free(struct fusectl *ctl)
{
    if (ctl->dirfd >= 0)
        close(ctl->dirfd);
    free(ctl->path);
    fusectl_init(ctl);
}
