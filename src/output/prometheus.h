/* --prometheus: counts of one run in the Prometheus text exposition
 * format 0.0.4, for node_exporter's textfile collector.  Pure: rows and
 * counts in, text out. */
#ifndef LSHIDDEN_OUTPUT_PROMETHEUS_H
#define LSHIDDEN_OUTPUT_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/process_list.h"
#include "core/record.h"
#include "core/warnings.h"

/* One sample of lshidden_mount_holders: holders of one kind, effect and
 * certainty in one systemd unit (NULL: none), counted. */
struct prom_holder_sample {
    const char *holder; /* the source's holder kind: process, io_uring, ... */
    enum holder_effect effect;
    bool possible;
    const char *unit; /* borrowed from the process */
    size_t count;
};

/* The holders of one --mount target, counted as soon as they are found:
 * the next target's filter reuses the same rows. */
struct prom_mount {
    const char *mountpoint;
    struct {
        struct prom_holder_sample *items;
        size_t len, cap;
    } samples;
};

/* Returns 0 or -ENOMEM. */
int prom_mount_count(struct prom_mount *mount, const char *mountpoint,
                     const struct record_list *holders);
void prom_mount_free(struct prom_mount *mount);

struct prom_report {
    const struct record_list *records; /* the scan's rows; the hidden ones are counted */
    bool pid_label;                    /* --prometheus-pids */
    const struct prom_mount *mounts;
    size_t nmounts;
    const struct process_list *processes;
    const struct warning_list *warnings;
    double scan_seconds;
    bool kernel_view; /* the kernel view ran */
};

/* Every family, with HELP and TYPE lines.  Returns 0 or -errno (e.g.
 * -EPIPE, -ENOMEM); flushes the stream. */
int output_prometheus(const struct prom_report *report, FILE *stream);

/* s as a label value: invalid UTF-8 replaced by U+FFFD, then backslash,
 * double quote and newline escaped.  malloc'd; NULL on allocation
 * failure. */
char *prom_label_value(const char *s);

#endif
