/* --mount: the HINT of each holder, what an admin runs to release it.
 * Paths are quoted for a POSIX shell, so a hint can be pasted as it is. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"

/* s as one shell word: as it is when it is plain, else in single quotes. */
static char *shell_word(struct arena *arena, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "/._+-:@,=%_";
    size_t len = strlen(s);
    if (len && strspn(s, plain) == len)
        return arena_strdup(arena, s);
    size_t quotes = 0;
    for (const char *p = s; *p; p++)
        quotes += *p == '\'';
    char *out = arena_alloc(arena, len + quotes * 3 + 3), *o = out;
    if (!out)
        return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4); /* close, an escaped quote, reopen */
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

__attribute__((format(printf, 2, 3))) static const char *hint(struct arena *arena, const char *fmt,
                                                              ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof(buf) ? NULL : arena_strdup(arena, buf);
}

static const char *process_hint(struct arena *arena, const struct process_info *proc)
{
    if (!proc)
        return NULL;
    if (proc->unit)
        return hint(arena, "kill %d (or restart %s)", (int)proc->pid, proc->unit);
    if (proc->container)
        return hint(arena, "kill %d (or stop container %s)", (int)proc->pid, proc->container);
    return hint(arena, "kill %d", (int)proc->pid);
}

/* The text of object after a prefix, or NULL. */
static const char *after(const char *object, const char *prefix)
{
    size_t n = strlen(prefix);
    return object && strncmp(object, prefix, n) == 0 && object[n] ? object + n : NULL;
}

static const char *fuse_hint(struct arena *arena, const struct file_record *rec)
{
    const char *mount = rec->fuse_mount ? shell_word(arena, rec->fuse_mount) : NULL;
    if (mount && rec->proc)
        return hint(arena, "umount %s and stop its server %d", mount, (int)rec->proc->pid);
    if (mount)
        return hint(arena, "umount %s", mount);
    return rec->proc ? hint(arena, "stop the FUSE server %d", (int)rec->proc->pid) : NULL;
}

static const char *holder_hint(struct arena *arena, const struct file_record *rec)
{
    const char *path = rec->path ? shell_word(arena, rec->path) : NULL;
    const char *name;
    switch (rec->source) {
    case SOURCE_CWD:
    case SOURCE_ROOT:
    case SOURCE_EXE:
    case SOURCE_FD:
    case SOURCE_MMAP:
    case SOURCE_URING_RING:
    case SOURCE_URING_FIXED:
    case SOURCE_UNIX_SOCKET:
    case SOURCE_FANOTIFY:
    case SOURCE_IN_FLIGHT: /* SCM_RIGHTS rows come with their own */
    case SOURCE_SYSCALL: return process_hint(arena, rec->proc);
    case SOURCE_FUSE_BACKING: return fuse_hint(arena, rec);
    case SOURCE_LOOP: return rec->object ? hint(arena, "losetup -d %s", rec->object) : NULL;
    case SOURCE_SWAP: return path ? hint(arena, "swapoff %s", path) : NULL;
    case SOURCE_BINFMT:
        name = after(rec->object, "binfmt_misc:");
        return name ? hint(arena, "echo -1 > /proc/sys/fs/binfmt_misc/%s", shell_word(arena, name))
                    : NULL;
    case SOURCE_NFS_EXPORT:
        name = after(rec->object, "export to ");
        return name && path ? hint(arena, "exportfs -u %s:%s", shell_word(arena, name), path)
                            : NULL;
    case SOURCE_NFSD_STATE:
        return hint(arena, "exportfs -u the export, then wait for the client's lease to end (or "
                           "restart nfs-server)");
    case SOURCE_SUBMOUNT:
    case SOURCE_BIND: return path ? hint(arena, "umount %s", path) : NULL;
    case SOURCE_MOUNT_NS:
        return rec->proc && path
                   ? hint(arena, "nsenter -t %d -m umount %s", (int)rec->proc->pid, path)
                   : NULL;
    case SOURCE_OVERLAY: /* set by their finders, which know what to release */
    case SOURCE_UPROBE:
    case SOURCE_IMAGE:
    case SOURCE_DETACHED_MOUNT:
    case SOURCE_CORE_DUMP:
    case SOURCE_FS_CONTEXT:
    case SOURCE_COUNT: break;
    }
    return NULL;
}

void holders_set_hints(struct holder_scan *hs)
{
    for (size_t i = 0; i < hs->records->len; i++) {
        struct file_record *rec = hs->records->items[i];
        if (!rec->hint)
            rec->hint = holder_hint(hs->arena, rec);
    }
}

const char *holder_umount_hint(struct holder_scan *hs, const char *mountpoint)
{
    const char *word = shell_word(hs->arena, mountpoint);
    return word ? hint(hs->arena, "umount %s", word) : NULL;
}
