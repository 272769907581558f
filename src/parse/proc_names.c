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

/* One hex "0x..." word at *p, up to a space or the end. */
static bool hex_word(const char **p, const char *end, uint64_t *value)
{
    const char *q = *p;
    if (end - q < 3 || q[0] != '0' || q[1] != 'x')
        return false;
    uint64_t v = 0;
    for (q += 2; q < end && *q != ' ' && *q != '\n'; q++) {
        int d = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;
        if (d < 0 || v >> 60)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (q == *p + 2)
        return false;
    *value = v;
    *p = q < end ? q + 1 : q;
    return true;
}

int task_syscall_parse(const char *buf, size_t len, long *nr, uint64_t *arg0, uint64_t *arg1,
                       uint64_t *pc)
{
    const char *p = buf, *end = buf + len;
    long n = 0;
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9' && p - start < 6)
        n = n * 10 + (*p++ - '0');
    if (p == start || p >= end || *p != ' ')
        return -EINVAL;
    p++;
    if (!hex_word(&p, end, arg0) || !hex_word(&p, end, arg1))
        return -EINVAL;
    /* The rest: four more arguments, the stack pointer, and the PC last. */
    uint64_t word = *arg1;
    while (p < end && *p != '\n')
        if (!hex_word(&p, end, &word))
            return -EINVAL;
    *nr = n;
    *pc = word;
    return 0;
}
