#include "parse/maps_parse.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads a hex field ending at stop; advances *p past the stop character. */
static int read_hex(const char **p, const char *end, char stop, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    int ndigits = 0;
    while (s < end && *s != stop) {
        int d = hexval(*s);
        if (d < 0 || ndigits == 16)
            return -EINVAL;
        v = v << 4 | (unsigned)d;
        ndigits++;
        s++;
    }
    if (s == end || ndigits == 0)
        return -EINVAL;
    *p = s + 1;
    *value = v;
    return 0;
}

static int read_dec(const char **p, const char *end, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s == end || *s < '0' || *s > '9')
        return -EINVAL;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -EINVAL;
        v = v * 10 + digit;
        s++;
    }
    if (s < end && *s != ' ')
        return -EINVAL;
    *p = s;
    *value = v;
    return 0;
}

int maps_next(const char **cursor, const char *end, struct map_entry *entry)
{
    const char *p = *cursor;
    if (p >= end)
        return 0;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    *cursor = nl ? nl + 1 : end;

    uint64_t major, minor;
    if (read_hex(&p, eol, '-', &entry->start) < 0 || read_hex(&p, eol, ' ', &entry->end) < 0)
        return -EINVAL;
    if (eol - p < 5 || p[4] != ' ')
        return -EINVAL;
    memcpy(entry->perms, p, 4);
    entry->perms[4] = '\0';
    p += 5;
    if (read_hex(&p, eol, ' ', &entry->offset) < 0 || read_hex(&p, eol, ':', &major) < 0 ||
        read_hex(&p, eol, ' ', &minor) < 0 || read_dec(&p, eol, &entry->inode) < 0)
        return -EINVAL;
    if (major > 0xfff || minor > 0xfffff)
        return -EINVAL;
    entry->dev_major = (unsigned)major;
    entry->dev_minor = (unsigned)minor;
    while (p < eol && *p == ' ')
        p++;
    entry->path = p;
    entry->path_len = (size_t)(eol - p);
    return 1;
}

size_t maps_decode_path(const char *path, size_t path_len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < path_len; i++) {
        if (path[i] == '\\' && path_len - i >= 4 && memcmp(path + i, "\\012", 4) == 0) {
            out[n++] = '\n';
            i += 3;
        } else {
            out[n++] = path[i];
        }
    }
    out[n] = '\0';
    return n;
}

bool map_entry_is_aio(const struct map_entry *entry)
{
    static const char name[] = "/[aio]", deleted[] = "/[aio] (deleted)";
    return (entry->path_len == sizeof(name) - 1 &&
            memcmp(entry->path, name, entry->path_len) == 0) ||
           (entry->path_len == sizeof(deleted) - 1 &&
            memcmp(entry->path, deleted, entry->path_len) == 0);
}

bool map_entry_is_uring(const struct map_entry *entry)
{
    static const char name[] = "anon_inode:[io_uring]";
    return entry->path_len == sizeof(name) - 1 && memcmp(entry->path, name, entry->path_len) == 0;
}
