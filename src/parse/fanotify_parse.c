#include "parse/fanotify_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

#define KDEV_MAJOR(d) ((unsigned)((d) >> 20))
#define KDEV_MINOR(d) ((unsigned)((d)&0xfffff))

/* The hex value of "key:" among the words of line [p, end), or false. */
static bool hex_field(const char *p, const char *end, const char *key, uint64_t *value)
{
    size_t klen = strlen(key);
    for (const char *w = p; w < end;) {
        const char *space = memchr(w, ' ', (size_t)(end - w));
        const char *wend = space ? space : end;
        if ((size_t)(wend - w) > klen && memcmp(w, key, klen) == 0) {
            uint64_t v = 0;
            const char *d = w + klen;
            if (d == wend)
                return false;
            for (; d < wend; d++) {
                int x = *d >= '0' && *d <= '9'   ? *d - '0'
                        : *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
                        : *d >= 'A' && *d <= 'F' ? *d - 'A' + 10
                                                 : -1;
                if (x < 0 || v >> 60)
                    return false;
                v = v << 4 | (uint64_t)x;
            }
            *value = v;
            return true;
        }
        w = wend + 1;
    }
    return false;
}

static int add_mark(struct fanotify_group *g, const char *p, const char *end)
{
    uint64_t mnt, dev, ino;
    struct fanotify_mark m = {0};
    if (hex_field(p, end, "ino:", &ino) && hex_field(p, end, "sdev:", &dev)) {
        m = (struct fanotify_mark){FANOTIFY_MARK_INODE, 0, KDEV_MAJOR(dev), KDEV_MINOR(dev), ino};
    } else if (hex_field(p, end, "sdev:", &dev)) {
        m = (struct fanotify_mark){FANOTIFY_MARK_FILESYSTEM, 0, KDEV_MAJOR(dev), KDEV_MINOR(dev),
                                   0};
    } else if (hex_field(p, end, "mnt_id:", &mnt) && mnt <= INT32_MAX) {
        m = (struct fanotify_mark){FANOTIFY_MARK_MOUNT, (int)mnt, 0, 0, 0};
    } else {
        return -EINVAL;
    }
    if (vec_reserve((void **)&g->marks, &g->cap, g->nmarks + 1, sizeof(*g->marks), 4) < 0)
        return -ENOMEM;
    g->marks[g->nmarks++] = m;
    return 0;
}

int fanotify_fdinfo_parse(const char *buf, size_t len, struct fanotify_group *group)
{
    static const char prefix[] = "fanotify ";
    const char *end = buf + len;
    for (const char *p = buf; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *lend = nl ? nl : end;
        size_t n = (size_t)(lend - p);
        if (n > sizeof(prefix) - 1 && memcmp(p, prefix, sizeof(prefix) - 1) == 0) {
            const char *rest = p + sizeof(prefix) - 1;
            uint64_t flags;
            int r = 0;
            if (lend - rest >= 6 && memcmp(rest, "flags:", 6) == 0) {
                if (!hex_field(rest, lend, "flags:", &flags) || flags > UINT32_MAX)
                    return -EINVAL;
                group->found = true;
                group->flags = (unsigned)flags;
            } else {
                r = add_mark(group, rest, lend);
            }
            if (r < 0)
                return r;
        }
        p = lend + 1;
    }
    return 0;
}

void fanotify_group_free(struct fanotify_group *group)
{
    free(group->marks);
    memset(group, 0, sizeof(*group));
}
