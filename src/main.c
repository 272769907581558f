/* lshidden: list open files, including the ones the kernel holds for a
 * process outside its fd table (io_uring fixed files, rings with no fd). */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "fuse_backing.h"
#include "fuse_connections.h"
#include "mount_holders.h"
#include "mount_report.h"
#include "mount_target.h"
#include "output.h"
#include "scan.h"

enum { EXIT_ROWS = 0, EXIT_NO_ROWS = 1, EXIT_TROUBLE = 2 };

struct cli {
    bool all, json, noheadings, raw, list_columns, explicit_columns, journal, fuse, deep;
    const char *proc_root, *sys_root, *mount_path;
    pid_t *pids;
    size_t npids;
    enum column_id columns[COL_COUNT * 4];
    size_t ncolumns;
};

static void usage(FILE *out)
{
    fputs("Usage:\n"
          " lshidden [options]\n"
          "\n"
          "List open files, including the ones the kernel holds outside fd tables:\n"
          "io_uring fixed files and io_uring rings that have no fd left.\n"
          "\n"
          "Options:\n"
          " -a, --all              also list normal open files (fds, cwd, root, exe, mmaps)\n"
          " -p, --pid <list>       only these processes (comma-separated PIDs)\n"
          " -J, --json             use JSON output format\n"
          " -o, --output <list>    output columns (\"+list\" adds to the default ones)\n"
          " -n, --noheadings       don't print headings\n"
          " -r, --raw              use raw output format\n"
          "     --deep             also read the kernel's own tables with BPF iterators\n"
          "                          (exact paths and identities; needs root or CAP_BPF\n"
          "                          and CAP_PERFMON)\n"
          "     --list-columns     list the available columns\n"
          "     --proc-root <dir>  read a /proc tree rooted at <dir> instead of /proc\n"
          "     --sys-root <dir>   read a /sys tree rooted at <dir> instead of /sys\n"
          "\n"
          "Unmount diagnostics:\n"
          " -m, --mount <path>     list everything that keeps the mount holding <path> busy\n"
          "     --fuse             list FUSE connections: mounts, servers, load, backing files\n"
          "     --journal          with --mount, one line per holder for a journal or hook\n"
          "\n"
          " -h, --help             display this help\n"
          " -V, --version          display version\n"
          "\n"
          "Exit status: 0 if files (or holders) were listed, 1 if none were, 2 on errors.\n"
          "For more details see lshidden(1).\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("lshidden: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'lshidden --help' for more information.\n", stderr);
    return -EINVAL;
}

static int parse_pids(struct cli *cli, const char *list)
{
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v <= 0 || v > 0x7fffffff || (*end && *end != ','))
            return usage_error("invalid PID list: '%s'", list);
        pid_t *pids = realloc(cli->pids, (cli->npids + 1) * sizeof(*pids));
        if (!pids)
            return -ENOMEM;
        cli->pids = pids;
        cli->pids[cli->npids++] = (pid_t)v;
        p = *end ? end + 1 : end;
    }
    return cli->npids ? 0 : usage_error("invalid PID list: '%s'", list);
}

static void add_default_columns(struct cli *cli)
{
    static const enum column_id mount_defaults[] = {
        COL_HOLDER, COL_EFFECT, COL_POSSIBLE, COL_PID,  COL_COMMAND,
        COL_SOURCE, COL_FD,     COL_SLOT,     COL_PATH, COL_OBJECT,
    };
    if (cli->mount_path) {
        for (size_t i = 0; i < sizeof(mount_defaults) / sizeof(mount_defaults[0]); i++)
            cli->columns[cli->ncolumns++] = mount_defaults[i];
        return;
    }
    for (int i = 0; i < COL_COUNT; i++)
        if (column_table[i].is_default)
            cli->columns[cli->ncolumns++] = (enum column_id)i;
}

static int parse_columns(struct cli *cli, const char *list)
{
    cli->explicit_columns = true;
    cli->ncolumns = 0;
    if (*list == '+') {
        add_default_columns(cli);
        list++;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int id = column_by_name(p, len);
        if (id < 0) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), p);
            return usage_error("unknown column: %s", name);
        }
        if (cli->ncolumns == sizeof(cli->columns) / sizeof(cli->columns[0]))
            return usage_error("too many columns in '%s'", list);
        cli->columns[cli->ncolumns++] = (enum column_id)id;
        p += len + (p[len] == ',');
    }
    return cli->ncolumns ? 0 : usage_error("no columns in '%s'", list);
}

enum { OPT_LIST_COLUMNS = 0x100, OPT_PROC_ROOT, OPT_SYS_ROOT, OPT_JOURNAL, OPT_FUSE, OPT_DEEP };

/* Returns 0 to go on, 1 when done (help, version), -errno on error. */
static int parse_args(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'},
        {"pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'J'},
        {"output", required_argument, NULL, 'o'},
        {"noheadings", no_argument, NULL, 'n'},
        {"raw", no_argument, NULL, 'r'},
        {"list-columns", no_argument, NULL, OPT_LIST_COLUMNS},
        {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
        {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
        {"mount", required_argument, NULL, 'm'},
        {"journal", no_argument, NULL, OPT_JOURNAL},
        {"fuse", no_argument, NULL, OPT_FUSE},
        {"deep", no_argument, NULL, OPT_DEEP},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, r = 0;
    opterr = 0; /* getopt's messages carry the full argv[0]; ours say lshidden */
    while (r == 0 && (c = getopt_long(argc, argv, ":ap:Jo:nrm:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': cli->all = true; break;
        case 'p': r = parse_pids(cli, optarg); break;
        case 'J': cli->json = true; break;
        case 'o': r = parse_columns(cli, optarg); break;
        case 'n': cli->noheadings = true; break;
        case 'r': cli->raw = true; break;
        case OPT_LIST_COLUMNS: cli->list_columns = true; break;
        case OPT_PROC_ROOT: cli->proc_root = optarg; break;
        case OPT_SYS_ROOT: cli->sys_root = optarg; break;
        case 'm': cli->mount_path = optarg; break;
        case OPT_JOURNAL: cli->journal = true; break;
        case OPT_FUSE: cli->fuse = true; break;
        case OPT_DEEP: cli->deep = true; break;
        case 'h': usage(stdout); return 1;
        case 'V': printf("lshidden %s\n", LSHIDDEN_VERSION); return 1;
        case ':': return usage_error("option requires an argument: '%s'", argv[optind - 1]);
        default: return usage_error("unrecognized option: '%s'", argv[optind - 1]);
        }
    }
    if (r == 0 && optind < argc)
        return usage_error("unexpected argument: '%s'", argv[optind]);
    if (r == 0 && cli->fuse && cli->mount_path)
        return usage_error("%s", "--fuse and --mount are mutually exclusive");
    if (r == 0 && cli->deep && cli->proc_root)
        return usage_error("%s",
                           "--deep reads the running kernel; it cannot read a --proc-root tree");
    if (r == 0 && cli->journal && !cli->mount_path)
        return usage_error("%s", "--journal needs --mount");
    if (r == 0 && cli->journal && cli->json)
        return usage_error("%s", "--journal and --json are mutually exclusive");
    return r;
}

/* JSON without -o carries every key of the contract. */
static void choose_columns(struct cli *cli)
{
    if (cli->explicit_columns)
        return;
    if (cli->json) {
        for (int i = 0; i < COL_COUNT; i++)
            if (cli->mount_path || !column_table[i].mount_only)
                cli->columns[cli->ncolumns++] = (enum column_id)i;
    } else
        add_default_columns(cli);
}

static void scan_options_from_cli(const struct cli *cli, struct scan_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->proc_root = cli->proc_root ? cli->proc_root : "/proc";
    /* A /proc snapshot is never read together with this host's /sys. */
    opts->sys_root = cli->sys_root ? cli->sys_root : cli->proc_root ? NULL : "/sys";
    opts->live = cli->proc_root == NULL;
    opts->all = cli->all || cli->mount_path;
    opts->pids = cli->pids;
    opts->npids = cli->npids;
    opts->deep = cli->deep;
    for (size_t i = 0; i < cli->ncolumns; i++) {
        opts->want_identity |= column_table[cli->columns[i]].needs_identity;
        opts->want_mountpoint |= cli->columns[i] == COL_MOUNTPOINT;
    }
    /* --mount matches references by mount id, whatever is printed. */
    opts->want_identity |= cli->mount_path != NULL;
}

static void find_mount_holders(struct scan *scan, const struct mount_target *target)
{
    struct holder_scan hs = {
        .target = target,
        .proc_root = scan->opts.proc_root,
        .sys_root = scan->opts.sys_root,
        .dev_root = "/dev",
        .live = scan->opts.live,
        .processes = &scan->processes,
        .arena = &scan->arena,
        .records = &scan->records,
        .warnings = &scan->warnings,
    };
    fuse_add_possible_holders(scan);
    mount_filter_records(&scan->records, target);
    holders_find_loop(&hs);
    holders_find_swap(&hs);
    holders_find_binfmt(&hs);
    holders_find_nfsd(&hs);
    holders_find_submounts(&hs);
    holders_find_namespaces(&hs);
    record_list_sort_by_holder(&scan->records);
}

static int write_output(const struct cli *cli, struct scan *scan, const struct output_options *out,
                        const struct mount_target *target)
{
    if (cli->json)
        return output_json(&scan->records, &scan->warnings, out, stdout);
    if (cli->journal)
        return mount_report_journal(&scan->records, target, stdout);
    int r = scan->records.len ? output_table(&scan->records, out, stdout) : 0;
    if (r == 0 && target) {
        mount_report_summary(&scan->records, target, stdout);
        r = fflush(stdout) == 0 ? 0 : -errno;
    }
    return r;
}

static int run(struct cli *cli)
{
    struct output_options out = {cli->columns, cli->ncolumns, cli->noheadings, cli->raw};
    if (cli->list_columns)
        return output_column_list(cli->json, &out, stdout) < 0 ? EXIT_TROUBLE : EXIT_ROWS;

    struct scan_options opts;
    struct scan scan;
    struct mount_target target;
    scan_options_from_cli(cli, &opts);
    if (cli->mount_path) {
        int err = mount_target_resolve(&target, cli->mount_path, opts.proc_root, opts.live);
        if (err < 0) {
            fprintf(stderr, "lshidden: %s: %s\n", cli->mount_path, strerror(-err));
            return EXIT_TROUBLE;
        }
        opts.only_dev = true;
        opts.only_dev_major = target.dev_major;
        opts.only_dev_minor = target.dev_minor;
    }
    int r = scan_init(&scan, &opts);
    if (r == 0)
        r = scan_run(&scan);
    if (r < 0) {
        fprintf(stderr, "lshidden: cannot scan %s: %s\n", opts.proc_root, strerror(-r));
        scan_free(&scan);
        if (cli->mount_path)
            mount_target_free(&target);
        return EXIT_TROUBLE;
    }
    size_t rows;
    if (cli->mount_path)
        find_mount_holders(&scan, &target);
    if (cli->fuse)
        r = fuse_list_connections(&scan, cli->json, cli->noheadings, cli->raw, stdout, &rows);
    else
        r = write_output(cli, &scan, &out, cli->mount_path ? &target : NULL);
    if (!cli->fuse)
        rows = scan.records.len;
    warnings_print_summary(&scan.warnings, stderr);
    scan_free(&scan);
    if (cli->mount_path)
        mount_target_free(&target);
    if (r < 0) {
        if (r != -EPIPE)
            fprintf(stderr, "lshidden: write error: %s\n", strerror(-r));
        return EXIT_TROUBLE;
    }
    return rows ? EXIT_ROWS : EXIT_NO_ROWS;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    setlocale(LC_ALL, "");
    int r = parse_args(&cli, argc, argv);
    if (r == 0) {
        choose_columns(&cli);
        r = run(&cli);
    } else {
        r = r > 0 ? EXIT_ROWS : EXIT_TROUBLE;
    }
    free(cli.pids);
    return r;
}
