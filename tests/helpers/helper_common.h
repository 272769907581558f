/* Shared by the liburing test helpers: fatal errors, and holding
 * everything until stdin reaches EOF or a signal arrives.  Define
 * HELPER_NAME (a string literal) before including it. */
#ifndef LSHIDDEN_HELPER_COMMON_H
#define LSHIDDEN_HELPER_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELPER_MAYBE_UNUSED __attribute__((unused))

static volatile sig_atomic_t got_signal;

static HELPER_MAYBE_UNUSED void die(const char *what, int err)
{
    fprintf(stderr, HELPER_NAME ": %s: %s\n", what, strerror(err));
    exit(1);
}

static HELPER_MAYBE_UNUSED void check_sys(int ret, const char *what)
{
    if (ret < 0)
        die(what, errno);
}

/* liburing returns -errno instead of setting errno. */
static HELPER_MAYBE_UNUSED void check_uring(int ret, const char *what)
{
    if (ret < 0)
        die(what, -ret);
}

/* The kernel's mount id for fd, from the "mnt_id:" line of its fdinfo;
 * -1 when there is none. */
static HELPER_MAYBE_UNUSED int fd_mount_id(int fd)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    FILE *fp = fopen(path, "re");
    if (!fp)
        die(path, errno);
    char line[256];
    int id = -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "mnt_id: %d", &id) == 1)
            break;
    fclose(fp);
    return id;
}

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static HELPER_MAYBE_UNUSED void install_signal_handlers(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: read() sees EINTR */
    sigemptyset(&sa.sa_mask);
    check_sys(sigaction(SIGTERM, &sa, NULL), "sigaction");
    check_sys(sigaction(SIGINT, &sa, NULL), "sigaction");
    signal(SIGPIPE, SIG_IGN);
}

static HELPER_MAYBE_UNUSED void wait_for_eof_or_signal(void)
{
    char buf[256];
    while (!got_signal) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

#endif
