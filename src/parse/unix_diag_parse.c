#include "parse/unix_diag_parse.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "parse/proc_names.h"

/* The wire is host-endian but not necessarily aligned in the caller's
 * buffer (a fuzzer's input is not), so every field is copied out. */
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint16_t get_u16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

void unix_diag_cursor_init(struct unix_diag_cursor *cur, const void *buf, size_t len)
{
    cur->buf = buf;
    cur->len = buf ? len : 0;
    cur->off = 0;
}

unsigned unix_diag_dev_major(uint32_t dev)
{
    return dev >> 20;
}

unsigned unix_diag_dev_minor(uint32_t dev)
{
    return dev & 0xfffff;
}

/* The kernel counts the name's terminating NUL for a path (and an abstract
 * name starts with one): the name is what lies before the first NUL. */
static void take_name(struct unix_diag_sock *out, const unsigned char *p, size_t len)
{
    const unsigned char *nul = memchr(p, '\0', len);
    size_t n = nul ? (size_t)(nul - p) : len;
    out->name = n ? (const char *)p : NULL;
    out->name_len = n;
}

/* The attributes after a unix_diag_msg.  Returns 1 when the socket has
 * UNIX_DIAG_VFS, 0 when it has not, -EINVAL on a broken attribute. */
static int parse_attrs(const unsigned char *p, size_t len, struct unix_diag_sock *out)
{
    bool vfs = false;
    while (len >= NLA_HDRLEN) {
        size_t alen = get_u16(p);
        unsigned type = get_u16(p + 2) & NLA_TYPE_MASK;
        if (alen < NLA_HDRLEN || alen > len)
            return -EINVAL;
        const unsigned char *data = p + NLA_HDRLEN;
        size_t dlen = alen - NLA_HDRLEN;
        if (type == UNIX_DIAG_VFS) {
            if (dlen < sizeof(struct unix_diag_vfs))
                return -EINVAL;
            uint32_t dev = get_u32(data + offsetof(struct unix_diag_vfs, udiag_vfs_dev));
            out->vfs_ino = get_u32(data + offsetof(struct unix_diag_vfs, udiag_vfs_ino));
            out->vfs_major = unix_diag_dev_major(dev);
            out->vfs_minor = unix_diag_dev_minor(dev);
            vfs = true;
        } else if (type == UNIX_DIAG_NAME) {
            take_name(out, data, dlen);
        }
        size_t step = NLA_ALIGN(alen);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    /* Trailing bytes too short for an attribute are padding at most. */
    return vfs;
}

/* One SOCK_DIAG_BY_FAMILY message's payload. */
static int parse_sock(const unsigned char *p, size_t len, struct unix_diag_sock *out)
{
    if (len < sizeof(struct unix_diag_msg) ||
        p[offsetof(struct unix_diag_msg, udiag_family)] != AF_UNIX)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->ino = get_u32(p + offsetof(struct unix_diag_msg, udiag_ino));
    size_t head = NLMSG_ALIGN(sizeof(struct unix_diag_msg));
    if (head >= len)
        return 0;
    return parse_attrs(p + head, len - head, out);
}

/* NLMSG_DONE and NLMSG_ERROR carry an int: 0, or a negative errno. */
static int parse_status(const unsigned char *p, size_t len, int type)
{
    if (len < sizeof(int))
        return type == NLMSG_DONE ? UNIX_DIAG_DONE : -EINVAL;
    int err;
    memcpy(&err, p, sizeof(err));
    if (err > 0 || err < -4095)
        return -EINVAL;
    return err < 0 ? err : UNIX_DIAG_DONE; /* an ack ends it as well */
}

static int fail(struct unix_diag_cursor *cur, int err)
{
    cur->off = cur->len; /* a broken stream has no next message */
    return err;
}

int unix_diag_next(struct unix_diag_cursor *cur, struct unix_diag_sock *out)
{
    while (cur->len - cur->off >= NLMSG_HDRLEN) {
        const unsigned char *msg = cur->buf + cur->off;
        size_t left = cur->len - cur->off;
        size_t mlen = get_u32(msg + offsetof(struct nlmsghdr, nlmsg_len));
        uint16_t type = get_u16(msg + offsetof(struct nlmsghdr, nlmsg_type));
        uint16_t flags = get_u16(msg + offsetof(struct nlmsghdr, nlmsg_flags));
        if (mlen < NLMSG_HDRLEN || mlen > left)
            return fail(cur, -EINVAL);
        size_t step = NLMSG_ALIGN(mlen);
        cur->off += step < left ? step : left;
        if (flags & NLM_F_DUMP_INTR)
            return fail(cur, -EAGAIN);
        const unsigned char *payload = msg + NLMSG_HDRLEN;
        size_t plen = mlen - NLMSG_HDRLEN;
        int r;
        switch (type) {
        case NLMSG_DONE:
        case NLMSG_ERROR: return fail(cur, parse_status(payload, plen, type));
        case SOCK_DIAG_BY_FAMILY:
            r = parse_sock(payload, plen, out);
            if (r < 0)
                return fail(cur, r);
            if (r > 0)
                return UNIX_DIAG_SOCKET;
            break;
        default: break; /* NLMSG_NOOP, or a type a newer kernel may add */
        }
    }
    if (cur->off != cur->len)
        return fail(cur, -EINVAL); /* a truncated header */
    return UNIX_DIAG_END;
}

int net_ns_link_parse(const char *link, uint64_t *inode)
{
    static const char prefix[] = "net:[";
    size_t n = strlen(link), p = sizeof(prefix) - 1;
    if (n < p + 2 || memcmp(link, prefix, p) != 0 || link[n - 1] != ']')
        return -EINVAL;
    return decimal_span_parse(link + p, n - p - 1, UINT64_MAX, inode) ? 0 : -EINVAL;
}
