/* Unit tests of the /proc name parsers: decimal entries, ns/mnt links,
 * kernel releases. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse/proc_names.h"
#include "unit.h"

TEST(decimal_names)
{
    uint64_t v = 0;
    CHECK(decimal_name_parse("0", 10, &v) && v == 0);
    CHECK(decimal_name_parse("007", 10, &v) && v == 7);
    CHECK(decimal_name_parse("2147483647", INT32_MAX, &v) && v == INT32_MAX);
    CHECK(!decimal_name_parse("2147483648", INT32_MAX, &v));
    CHECK(decimal_name_parse("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
    CHECK(!decimal_name_parse("18446744073709551616", UINT64_MAX, &v));
    CHECK(!decimal_name_parse("", 10, &v));
    CHECK(!decimal_name_parse(".", 10, &v));
    CHECK(!decimal_name_parse("self", 10, &v));
    CHECK(!decimal_name_parse("+1", 10, &v));
    CHECK(!decimal_name_parse("-1", 10, &v));
    CHECK(!decimal_name_parse(" 1", 10, &v));
    CHECK(!decimal_name_parse("1 ", 10, &v));
    CHECK(!decimal_name_parse("0x1", 10, &v));
    CHECK(!decimal_name_parse("11", 10, &v));
}

TEST(mnt_ns_links)
{
    uint64_t ino = 0;
    CHECK_EQ_INT(mnt_ns_link_parse("mnt:[4026531841]", &ino), 0);
    CHECK(ino == 4026531841ull);
    CHECK_EQ_INT(mnt_ns_link_parse("mnt:[]", &ino), -EINVAL);
    CHECK_EQ_INT(mnt_ns_link_parse("mnt:[12", &ino), -EINVAL);
    CHECK_EQ_INT(mnt_ns_link_parse("net:[4026531840]", &ino), -EINVAL);
    CHECK_EQ_INT(mnt_ns_link_parse("mnt:[12]x", &ino), -EINVAL);
    CHECK_EQ_INT(mnt_ns_link_parse("mnt:[-1]", &ino), -EINVAL);
    CHECK_EQ_INT(mnt_ns_link_parse("", &ino), -EINVAL);
}

TEST(kernel_releases)
{
    struct kernel_release k = kernel_release_parse("6.14.8-amd64");
    CHECK(k.known);
    CHECK_EQ_INT(k.major, 6);
    CHECK_EQ_INT(k.minor, 14);
    CHECK_EQ_INT(k.patch, 8);
    CHECK(kernel_release_at_least(&k, 6, 14, 8));
    CHECK(!kernel_release_at_least(&k, 6, 14, 9));
    CHECK(kernel_release_at_least(&k, 5, 99, 0));
    CHECK(!kernel_release_at_least(&k, 6, 15, 0));
    k = kernel_release_parse("6.1-rc1");
    CHECK(k.known);
    CHECK_EQ_INT(k.patch, 0);
    k = kernel_release_parse("garbage");
    CHECK(!k.known);
    CHECK(!kernel_release_at_least(&k, 0, 0, 0));
}

TEST(task_syscall_lines)
{
    long nr = 0;
    uint64_t a0 = 0, a1 = 0, pc = 0;
    const char *blocked = "0 0x3 0x7f2a93d9a150 0x1 0x7f2a938cb720 0x0 0x0 0x7ffd 0x7f2a\n";
    CHECK_EQ_INT(task_syscall_parse(blocked, strlen(blocked), &nr, &a0, &a1, &pc), 0);
    CHECK(nr == 0 && a0 == 3 && a1 == 0x7f2a93d9a150ull && pc == 0x7f2a);
    const char *sendfile = "40 0x5 0x7 0x0 0x1000 0x0 0x0 0x1 0x2";
    CHECK_EQ_INT(task_syscall_parse(sendfile, strlen(sendfile), &nr, &a0, &a1, &pc), 0);
    CHECK(nr == 40 && a0 == 5 && a1 == 7 && pc == 2);
    /* A kernel thread: no user stack, no user PC. */
    const char *kthread = "0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0\n";
    CHECK_EQ_INT(task_syscall_parse(kthread, strlen(kthread), &nr, &a0, &a1, &pc), 0);
    CHECK(pc == 0);
    static const char *not_blocked[] = {"running\n",
                                        "-1 0x7ffd 0x7f2a\n",
                                        "",
                                        "0",
                                        "0 ",
                                        "0 0x",
                                        "0 0xzz 0x1",
                                        "0 3 0x1",
                                        "0 0x3",
                                        "12345678 0x1 0x2",
                                        "0 0x11112222333344445 0x1"};
    for (size_t i = 0; i < sizeof(not_blocked) / sizeof(not_blocked[0]); i++)
        CHECK_EQ_INT(task_syscall_parse(not_blocked[i], strlen(not_blocked[i]), &nr, &a0, &a1, &pc),
                     -EINVAL);
}
