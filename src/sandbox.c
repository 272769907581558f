#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static void warn_once(const char *what, int err)
{
    static bool told;
    if (!told)
        fprintf(stderr, "lshidden: could not %s: %s; going on without\n", what, strerror(-err));
    told = true;
}

static int keep_capabilities(const int *keep, size_t n)
{
    if (capng_get_caps_process() < 0)
        return -EPERM;
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
        return 0; /* nothing to give up */
    bool had[8] = {false};
    for (size_t i = 0; i < n && i < sizeof(had) / sizeof(had[0]); i++)
        had[i] = capng_have_capability(CAPNG_PERMITTED, (unsigned)keep[i]);
    capng_clear(CAPNG_SELECT_CAPS);
    /* Only what is held can be kept: asking for more is EPERM. */
    for (size_t i = 0; i < n && i < sizeof(had) / sizeof(had[0]); i++)
        if (had[i] &&
            capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)keep[i]) < 0)
            return -EINVAL;
    return capng_apply(CAPNG_SELECT_CAPS) < 0 ? -EPERM : 0;
}

/* What printing a table or JSON and exiting calls, and nothing else. */
static int install_output_filter(void)
{
    static const int allowed[] = {
        SCMP_SYS(write),
        SCMP_SYS(writev),
        SCMP_SYS(fstat),
        SCMP_SYS(newfstatat),
        SCMP_SYS(lseek),
        SCMP_SYS(brk),
        SCMP_SYS(mmap),
        SCMP_SYS(munmap),
        SCMP_SYS(mremap),
        SCMP_SYS(madvise),
        SCMP_SYS(mprotect),
        SCMP_SYS(futex),
        SCMP_SYS(close),
        SCMP_SYS(exit),
        SCMP_SYS(exit_group),
        SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigprocmask),
        SCMP_SYS(getpid),
        SCMP_SYS(gettid),
        SCMP_SYS(tgkill),
        SCMP_SYS(clock_gettime),
        SCMP_SYS(getrandom),
        SCMP_SYS(read),
        /* What a new thread calls before it runs (glibc). */
        SCMP_SYS(set_robust_list),
        SCMP_SYS(rseq),
        /* The summary of warnings says whether we ran as root. */
        SCMP_SYS(getuid),
        SCMP_SYS(geteuid),
        SCMP_SYS(getgid),
        SCMP_SYS(getegid),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    int r = ctx ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    /* Threads (JSON is encoded by helper threads), and nothing else that
     * clone makes: clone3's flags are behind a pointer a filter cannot
     * read, so it says ENOSYS and glibc falls back to clone(2), whose
     * flags must ask for a thread.  The threads inherit this filter. */
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (r == 0) {
        struct scmp_arg_cmp thread = {
            .arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_THREAD, .datum_b = CLONE_THREAD};
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread);
    }
    /* isatty() and the terminal's width, on the output stream. */
    static const unsigned long ioctls[] = {TCGETS, TIOCGWINSZ};
    for (size_t i = 0; r == 0 && i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
        struct scmp_arg_cmp request = {.arg = 1, .op = SCMP_CMP_EQ, .datum_a = ioctls[i]};
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &request);
    }
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    return r;
}

/* With LSHIDDEN_DEBUG_SANDBOX: /proc/self/status, opened before the
 * output filter forbids opening, read after it (its text is made at read). */
static int status_fd = -1;

static void print_status(int fd, const char *stage)
{
    char text[8192];
    ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
    if (n <= 0)
        return;
    text[n] = '\0';
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "CapPrm:", 7) ||
            !strncmp(line, "NoNewPrivs:", 11) || !strncmp(line, "Seccomp:", 8))
            fprintf(stderr, "lshidden: sandbox %s: %s\n", stage, line);
}

int sandbox_enter(enum sandbox_stage stage)
{
    static const int for_holders[] = {CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH};
    int r = stage == SANDBOX_HOLDERS
                ? keep_capabilities(for_holders, sizeof(for_holders) / sizeof(for_holders[0]))
                : keep_capabilities(NULL, 0);
    if (r < 0) {
        warn_once("drop capabilities", r);
        return r;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        warn_once("set no_new_privs", -errno);
        return -errno;
    }
    bool debug = getenv("LSHIDDEN_DEBUG_SANDBOX") != NULL;
    if (debug && stage == SANDBOX_HOLDERS) {
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        print_status(fd, "holders");
        if (fd >= 0)
            close(fd);
    }
    if (debug && stage == SANDBOX_OUTPUT && status_fd < 0)
        status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (stage == SANDBOX_OUTPUT && !SANITIZED && (r = install_output_filter()) < 0)
        warn_once("install the seccomp filter", r);
    return r;
}

void sandbox_report(void)
{
    print_status(status_fd, "output");
}
