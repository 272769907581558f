/* The whole flow of one lshidden run, as one straight line:
 * scan /proc and the kernel's tables → merge the kernel view → holders →
 * filter → output.  main.c only turns the command line into this
 * configuration. */
#ifndef LSHIDDEN_PIPELINE_H
#define LSHIDDEN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "output/output.h"
#include "scan/scan.h"

/* --mount: 0 held, 1 free (everything seen, nothing holds it), 3 possibly
 * held; every mode: 2 on errors. */
enum { EXIT_ROWS = 0, EXIT_NO_ROWS = 1, EXIT_TROUBLE = 2, EXIT_POSSIBLY_HELD = 3 };

enum pipeline_mode {
    MODE_LIST,         /* open files (hidden ones, or all with -a) */
    MODE_MOUNT,        /* --mount PATH: what keeps it busy */
    MODE_FUSE,         /* --fuse: one row per FUSE connection */
    MODE_PROMETHEUS,   /* --prometheus: counts, for node_exporter's textfile collector */
    MODE_LIST_COLUMNS, /* --list-columns */
};

/* Whether the run loads the kernel's own view (BPF iterators). */
enum kernel_view_use {
    KERNEL_VIEW_AUTO,     /* where the caller may load it; /proc alone elsewhere */
    KERNEL_VIEW_OFF,      /* --no-deep, or a --proc-root tree */
    KERNEL_VIEW_REQUIRED, /* --deep: exit 2 where it cannot run */
};

struct pipeline_config {
    enum pipeline_mode mode;
    struct scan_config scan;
    struct output_options out;
    bool json;
    bool journal;   /* --mount --journal */
    bool by_device; /* --dev: the one mount path is a device */
    enum kernel_view_use kernel_view;
    bool prometheus_pids; /* --prometheus-pids: a pid label on hidden files */
    /* --mount: exactly one path in MODE_MOUNT, any number in
     * MODE_PROMETHEUS. */
    const char *const *mount_paths;
    size_t nmount_paths;
};

/* Runs it; returns the exit status (EXIT_*).  Errors are reported on
 * stderr, once, with the path involved. */
int pipeline_run(const struct pipeline_config *cfg);

#endif
