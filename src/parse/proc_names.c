#include "parse/proc_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool decimal_span_parse(const char *s, size_t len, uint64_t max, uint64_t *value)
{
    uint64_t v = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > (max - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *value = v;
    return true;
}

bool decimal_name_parse(const char *name, uint64_t max, uint64_t *value)
{
    return decimal_span_parse(name, strlen(name), max, value);
}

int mnt_ns_link_parse(const char *link, uint64_t *inode)
{
    size_t len = strlen(link);
    if (len < 7 || memcmp(link, "mnt:[", 5) != 0 || link[len - 1] != ']')
        return -EINVAL;
    return decimal_span_parse(link + 5, len - 6, UINT64_MAX, inode) ? 0 : -EINVAL;
}

struct kernel_release kernel_release_parse(const char *text)
{
    struct kernel_release k = {0};
    int n = sscanf(text, "%u.%u.%u", &k.major, &k.minor, &k.patch);
    k.known = n >= 2;
    if (n < 3)
        k.patch = 0;
    return k;
}

bool kernel_release_at_least(const struct kernel_release *k, unsigned major, unsigned minor,
                             unsigned patch)
{
    if (!k->known)
        return false;
    if (k->major != major)
        return k->major > major;
    if (k->minor != minor)
        return k->minor > minor;
    return k->patch >= patch;
}
