/* Unit tests of the sock_diag AF_UNIX dump parser: bound, abstract and
 * unbound sockets, the kernel's dev_t encoding, the end of a dump and of
 * a buffer, kernel errors, and truncated or broken messages. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "parse/unix_diag_parse.h"
#include "unit.h"

/* A dump reply, built the way the kernel lays it out. */
struct wire {
    unsigned char b[4096];
    size_t len;
    size_t msg; /* start of the message being built */
};

static void put(struct wire *w, const void *p, size_t n)
{
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void pad(struct wire *w)
{
    while (w->len % 4)
        w->b[w->len++] = 0;
}

static void begin(struct wire *w, uint16_t type, uint16_t flags)
{
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = 1};
    w->msg = w->len;
    put(w, &h, sizeof(h));
}

static void end(struct wire *w)
{
    uint32_t len = (uint32_t)(w->len - w->msg);
    memcpy(w->b + w->msg, &len, sizeof(len));
    pad(w);
}

static void sock(struct wire *w, uint8_t family, uint32_t ino)
{
    struct unix_diag_msg m = {.udiag_family = family, .udiag_type = SOCK_STREAM, .udiag_ino = ino};
    begin(w, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI);
    put(w, &m, sizeof(m));
}

static void attr(struct wire *w, uint16_t type, const void *p, size_t n)
{
    struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type};
    put(w, &a, sizeof(a));
    put(w, p, n);
    pad(w);
}

static void vfs(struct wire *w, uint32_t ino, unsigned major, unsigned minor)
{
    struct unix_diag_vfs v = {.udiag_vfs_ino = ino, .udiag_vfs_dev = major << 20 | minor};
    attr(w, UNIX_DIAG_VFS, &v, sizeof(v));
}

static void status(struct wire *w, uint16_t type, int err)
{
    begin(w, type, NLM_F_MULTI);
    put(w, &err, sizeof(err));
    end(w);
}

static int first(const struct wire *w, size_t len, struct unix_diag_sock *s)
{
    struct unix_diag_cursor cur;
    unix_diag_cursor_init(&cur, w->b, len);
    return unix_diag_next(&cur, s);
}

TEST(bound_abstract_and_unbound)
{
    struct wire w = {0};
    sock(&w, AF_UNIX, 11); /* unbound: no attributes */
    end(&w);
    sock(&w, AF_UNIX, 12); /* abstract: a name, no VFS */
    attr(&w, UNIX_DIAG_NAME, "\0abstract", 9);
    end(&w);
    sock(&w, AF_UNIX, 13);
    attr(&w, UNIX_DIAG_NAME, "/run/x.sock", 12); /* with the kernel's NUL */
    vfs(&w, 77, 259, 3);
    end(&w);
    status(&w, NLMSG_DONE, 0);

    struct unix_diag_cursor cur;
    struct unix_diag_sock s;
    unix_diag_cursor_init(&cur, w.b, w.len);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_SOCKET);
    CHECK_EQ_INT(s.ino, 13);
    CHECK_EQ_INT(s.vfs_ino, 77);
    CHECK_EQ_INT(s.vfs_major, 259);
    CHECK_EQ_INT(s.vfs_minor, 3);
    CHECK_EQ_INT(s.name_len, 11);
    CHECK(s.name && memcmp(s.name, "/run/x.sock", 11) == 0);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_DONE);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_END);
}

TEST(names)
{
    struct wire w = {0};
    struct unix_diag_sock s;
    sock(&w, AF_UNIX, 1);
    vfs(&w, 2, 0, 40);
    attr(&w, UNIX_DIAG_NAME, "rel", 3); /* no NUL: the whole attribute */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_SOCKET);
    CHECK_EQ_INT(s.name_len, 3);
    CHECK(s.name && memcmp(s.name, "rel", 3) == 0);
    CHECK_EQ_INT(s.vfs_major, 0);
    CHECK_EQ_INT(s.vfs_minor, 40);

    memset(&w, 0, sizeof(w));
    sock(&w, AF_UNIX, 1);
    vfs(&w, 2, 0, 40); /* bound, but the reply has no name */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_SOCKET);
    CHECK(s.name == NULL && s.name_len == 0);

    memset(&w, 0, sizeof(w));
    sock(&w, AF_UNIX, 1);
    attr(&w, UNIX_DIAG_NAME, "", 0);
    vfs(&w, 2, 0xfff, 0xfffff); /* the widest numbers the encoding has */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_SOCKET);
    CHECK(s.name == NULL);
    CHECK_EQ_INT(s.vfs_major, 0xfff);
    CHECK_EQ_INT(s.vfs_minor, 0xfffff);
}

TEST(end_of_buffer_and_unaligned)
{
    struct wire w = {0};
    struct unix_diag_sock s;
    sock(&w, AF_UNIX, 5);
    vfs(&w, 6, 8, 1);
    end(&w);
    begin(&w, NLMSG_NOOP, 0);
    end(&w);
    unsigned char shifted[sizeof(w.b) + 1];
    memcpy(shifted + 1, w.b, w.len);
    struct unix_diag_cursor cur;
    unix_diag_cursor_init(&cur, shifted + 1, w.len);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_SOCKET);
    CHECK_EQ_INT(s.ino, 5);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_END);
    unix_diag_cursor_init(&cur, NULL, 10);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_END);
}

TEST(kernel_errors)
{
    struct wire w = {0};
    struct unix_diag_sock s;
    status(&w, NLMSG_ERROR, -EPERM);
    CHECK_EQ_INT(first(&w, w.len, &s), -EPERM);
    w.len = 0;
    status(&w, NLMSG_ERROR, 0);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_DONE);
    w.len = 0;
    status(&w, NLMSG_ERROR, 5);
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);
    w.len = 0;
    status(&w, NLMSG_DONE, -ENOBUFS);
    CHECK_EQ_INT(first(&w, w.len, &s), -ENOBUFS);
    w.len = 0;
    begin(&w, NLMSG_DONE, 0); /* no status word */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_DONE);
    w.len = 0;
    sock(&w, AF_UNIX, 5);
    vfs(&w, 6, 8, 1);
    end(&w);
    uint16_t flags = NLM_F_MULTI | NLM_F_DUMP_INTR;
    memcpy(w.b + offsetof(struct nlmsghdr, nlmsg_flags), &flags, sizeof(flags));
    CHECK_EQ_INT(first(&w, w.len, &s), -EAGAIN);
}

/* One well-formed bound socket, for the tests to break. */
static void one_socket(struct wire *w)
{
    memset(w, 0, sizeof(*w));
    sock(w, AF_UNIX, 9);
    attr(w, UNIX_DIAG_NAME, "/a", 3);
    vfs(w, 10, 0, 40);
    end(w);
}

TEST(truncated_and_broken)
{
    struct wire w;
    struct unix_diag_sock s;
    one_socket(&w);
    for (size_t len = 1; len < w.len; len++)
        CHECK_EQ_INT(first(&w, len, &s), -EINVAL);
    CHECK_EQ_INT(first(&w, w.len, &s), UNIX_DIAG_SOCKET);

    one_socket(&w);
    uint32_t big = (uint32_t)w.len + 4;
    memcpy(w.b, &big, sizeof(big)); /* nlmsg_len past the buffer */
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);
    uint32_t tiny = 8; /* shorter than its own header */
    memcpy(w.b, &tiny, sizeof(tiny));
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);

    one_socket(&w);
    w.b[NLMSG_HDRLEN] = AF_INET; /* not AF_UNIX */
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);

    size_t first_attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct unix_diag_msg));
    one_socket(&w);
    uint16_t alen = 200; /* an attribute past its message */
    memcpy(w.b + first_attr, &alen, sizeof(alen));
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);
    alen = 2; /* shorter than its own header */
    memcpy(w.b + first_attr, &alen, sizeof(alen));
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);

    memset(&w, 0, sizeof(w));
    sock(&w, AF_UNIX, 9);
    attr(&w, UNIX_DIAG_VFS, "abcd", 4); /* shorter than unix_diag_vfs */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);

    memset(&w, 0, sizeof(w));
    begin(&w, SOCK_DIAG_BY_FAMILY, 0);
    put(&w, "\x01\x01\x01", 3); /* shorter than unix_diag_msg */
    end(&w);
    CHECK_EQ_INT(first(&w, w.len, &s), -EINVAL);

    /* A broken message ends the buffer: no loop, no later socket. */
    one_socket(&w);
    w.b[NLMSG_HDRLEN] = AF_INET;
    sock(&w, AF_UNIX, 20);
    vfs(&w, 21, 0, 40);
    end(&w);
    struct unix_diag_cursor cur;
    unix_diag_cursor_init(&cur, w.b, w.len);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), -EINVAL);
    CHECK_EQ_INT(unix_diag_next(&cur, &s), UNIX_DIAG_END);
}

TEST(net_ns_links)
{
    uint64_t ino = 0;
    CHECK_EQ_INT(net_ns_link_parse("net:[4026531840]", &ino), 0);
    CHECK(ino == 4026531840ull);
    CHECK_EQ_INT(net_ns_link_parse("net:[]", &ino), -EINVAL);
    CHECK_EQ_INT(net_ns_link_parse("net:[12", &ino), -EINVAL);
    CHECK_EQ_INT(net_ns_link_parse("mnt:[4026531840]", &ino), -EINVAL);
    CHECK_EQ_INT(net_ns_link_parse("net:[1x]", &ino), -EINVAL);
    CHECK_EQ_INT(net_ns_link_parse("", &ino), -EINVAL);
}
