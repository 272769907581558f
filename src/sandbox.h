/* Least privilege, in steps that follow the pipeline: once the kernel
 * view is loaded and the /proc walk is done, lshidden needs less and less,
 * and gives the rest up for good, so that a bug in what remains (parsing a
 * hostile tree, formatting a hostile name) cannot become root's.
 *
 *   sandbox_enter(SANDBOX_HOLDERS)  keeps CAP_SYS_PTRACE (reading other
 *       users' /proc/PID entries) and CAP_DAC_READ_SEARCH (files under
 *       /proc, /sys and /dev of any mode); drops everything else, CAP_BPF,
 *       CAP_PERFMON and CAP_SYS_ADMIN (its last use, fusectl's private
 *       mount, is before this stage) among them; sets PR_SET_NO_NEW_PRIVS.
 *   sandbox_enter(SANDBOX_OUTPUT)   keeps no capability, and installs a
 *       seccomp filter that lets through only what printing needs (write,
 *       memory, futex, exit, fstat and TCGETS ioctl for stdio); anything
 *       else fails with EPERM.
 *
 * Each step only removes.  Sanitizer builds skip the seccomp filter: their
 * runtime makes calls of its own.  With LSHIDDEN_DEBUG_SANDBOX set, the
 * process's CapPrm, CapEff, NoNewPrivs and Seccomp lines go to stderr as
 * each stage is entered ("sandbox holders: ...", and at the end "sandbox
 * output: ..."), for tests. */
#ifndef LSHIDDEN_SANDBOX_H
#define LSHIDDEN_SANDBOX_H

enum sandbox_stage {
    SANDBOX_HOLDERS,
    SANDBOX_OUTPUT,
};

/* Returns 0, or -errno when a step could not be taken (then told once on
 * stderr; the run goes on: a missing sandbox is not a wrong answer). */
int sandbox_enter(enum sandbox_stage stage);

/* With LSHIDDEN_DEBUG_SANDBOX set: the output stage's status lines. */
void sandbox_report(void);

#endif
