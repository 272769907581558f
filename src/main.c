/* lshidden: list open files, including the ones the kernel holds for a
 * process outside its fd table (io_uring fixed files, rings with no fd).
 * This file only turns the command line into a pipeline configuration. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file_columns.h"
#include "core/fuse_conn.h"
#include "output/messages.h"
#include "parse/text_escape.h"
#include "pipeline.h"
#include "util/vec.h"

struct cli {
    bool all, json, noheadings, raw, list_columns, journal, fuse, deep, no_deep;
    bool prometheus, prometheus_pids;
    bool by_device; /* --dev: mount_path is a device */
    const char *proc_root, *sys_root;
    const char *mount_path; /* the last -m: the one that counts, but with --prometheus */
    struct {
        const char **items;
        size_t len, cap;
    } mount_list;            /* every -m, for --prometheus */
    const char *output_list; /* -o, parsed once the mode is known */
    struct {
        pid_t *items;
        size_t len, cap;
    } pid_list; /* -p */
    int columns[COL_COUNT * 4];
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
          "     --deep             require the kernel's own view: fail (exit 2) where its\n"
          "                          BPF iterators cannot be loaded\n"
          "     --no-deep          read /proc only; load no BPF program\n"
          "     --list-columns     list the available columns (with --fuse: its own)\n"
          "     --proc-root <dir>  read a /proc tree rooted at <dir> instead of /proc\n"
          "     --sys-root <dir>   read a /sys tree rooted at <dir> instead of /sys\n"
          "\n"
          "Unmount diagnostics:\n"
          " -m, --mount <path>     list everything that keeps the mount holding <path> busy\n"
          "     --dev <device>     the same for a filesystem by its device (a block device\n"
          "                          or MAJ:MIN), mounted anywhere or lazily unmounted\n"
          "     --fuse             list FUSE connections: mounts, servers, load, backing files\n"
          "     --journal          with --mount, one line per holder for a journal or hook\n"
          "\n"
          "Metrics:\n"
          "     --prometheus       print counts in the Prometheus text format, for\n"
          "                          node_exporter's textfile collector; --mount may be\n"
          "                          given several times\n"
          "     --prometheus-pids  --prometheus with a pid label on the hidden files\n"
          "\n"
          " -h, --help             display this help\n"
          " -V, --version          display version\n"
          "\n"
          "The kernel's own view is used by default where the caller may load it (root,\n"
          "or CAP_BPF and CAP_PERFMON, with kernel BTF, in the initial PID namespace):\n"
          "BPF iterators are loaded for the run and unloaded before it prints.\n"
          "\n"
          "Exit status: 0 if files (or holders) were listed, 1 if none were, 2 on errors;\n"
          "with --mount 3 when the mount is only possibly held (or not all could be seen);\n"
          "with --prometheus 0 once the metrics are written.\n"
          "For more details see lshidden(1).\n",
          out);
}

/* Variadic so that -Wformat=2 checks every caller's format. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    /* Arguments are a user's bytes: the whole line is escaped. */
    va_list ap;
    char *text = NULL, *safe = NULL;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) >= 0)
        safe = terminal_escape(text, strlen(text), false);
    va_end(ap);
    fprintf(stderr, "lshidden: %s", safe ? safe : "invalid arguments");
    free(text);
    free(safe);
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
        if (VEC_APPEND(&cli->pid_list, (pid_t)v) < 0)
            return -ENOMEM;
        p = *end ? end + 1 : end;
    }
    return cli->pid_list.len ? 0 : usage_error("invalid PID list: '%s'", list);
}

static const struct column_set *cli_column_set(const struct cli *cli)
{
    return cli->fuse ? &fuse_conn_columns : &file_columns;
}

static void add_default_columns(struct cli *cli)
{
    static const int mount_defaults[] = {
        COL_HOLDER, COL_EFFECT, COL_POSSIBLE, COL_PID,    COL_COMMAND, COL_SOURCE,
        COL_FD,     COL_SLOT,   COL_PATH,     COL_OBJECT, COL_HINT,
    };
    const struct column_set *set = cli_column_set(cli);
    if (cli->mount_path) {
        for (size_t i = 0; i < sizeof(mount_defaults) / sizeof(mount_defaults[0]); i++)
            cli->columns[cli->ncolumns++] = mount_defaults[i];
        return;
    }
    for (int i = 0; i < set->count; i++)
        if (column_has(set, i, COLF_DEFAULT))
            cli->columns[cli->ncolumns++] = i;
}

static int parse_columns(struct cli *cli, const char *list)
{
    const struct column_set *set = cli_column_set(cli);
    cli->ncolumns = 0;
    if (*list == '+') {
        add_default_columns(cli);
        list++;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int id = column_by_name(set, p, len);
        if (id < 0) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), p);
            return usage_error("unknown column: %s", name);
        }
        if (cli->ncolumns == sizeof(cli->columns) / sizeof(cli->columns[0]))
            return usage_error("too many columns in '%s'", list);
        cli->columns[cli->ncolumns++] = id;
        p += len + (p[len] == ',');
    }
    return cli->ncolumns ? 0 : usage_error("no columns in '%s'", list);
}

enum {
    OPT_LIST_COLUMNS = 0x100,
    OPT_PROC_ROOT,
    OPT_SYS_ROOT,
    OPT_JOURNAL,
    OPT_FUSE,
    OPT_DEEP,
    OPT_NO_DEEP,
    OPT_PROMETHEUS,
    OPT_PROMETHEUS_PIDS,
    OPT_DEV,
};

/* Counts have no rows or columns to format, and no connections. */
static int check_prometheus(const struct cli *cli)
{
    const struct {
        bool given;
        const char *name;
    } others[] = {
        {cli->json, "--json"},
        {cli->journal, "--journal"},
        {cli->fuse, "--fuse"},
        {cli->list_columns, "--list-columns"},
        {cli->output_list != NULL, "--output"},
    };
    for (size_t i = 0; cli->prometheus && i < sizeof(others) / sizeof(others[0]); i++)
        if (others[i].given)
            return usage_error("--prometheus and %s are mutually exclusive", others[i].name);
    return 0;
}

static int add_mount(struct cli *cli, const char *path)
{
    cli->mount_path = path;
    return VEC_APPEND(&cli->mount_list, path);
}

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
        {"dev", required_argument, NULL, OPT_DEV},
        {"journal", no_argument, NULL, OPT_JOURNAL},
        {"fuse", no_argument, NULL, OPT_FUSE},
        {"deep", no_argument, NULL, OPT_DEEP},
        {"no-deep", no_argument, NULL, OPT_NO_DEEP},
        {"prometheus", no_argument, NULL, OPT_PROMETHEUS},
        {"prometheus-pids", no_argument, NULL, OPT_PROMETHEUS_PIDS},
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
        case 'o': cli->output_list = optarg; break;
        case 'n': cli->noheadings = true; break;
        case 'r': cli->raw = true; break;
        case OPT_LIST_COLUMNS: cli->list_columns = true; break;
        case OPT_PROC_ROOT: cli->proc_root = optarg; break;
        case OPT_SYS_ROOT: cli->sys_root = optarg; break;
        case 'm':
            r = cli->by_device ? usage_error("%s", "--mount and --dev are mutually exclusive")
                               : add_mount(cli, optarg);
            break;
        case OPT_DEV:
            r = cli->mount_path ? usage_error("%s", "--mount and --dev are mutually exclusive")
                                : add_mount(cli, optarg);
            cli->by_device = true;
            break;
        case OPT_JOURNAL: cli->journal = true; break;
        case OPT_FUSE: cli->fuse = true; break;
        case OPT_DEEP: cli->deep = true; break;
        case OPT_NO_DEEP: cli->no_deep = true; break;
        case OPT_PROMETHEUS: cli->prometheus = true; break;
        case OPT_PROMETHEUS_PIDS: cli->prometheus = cli->prometheus_pids = true; break;
        case 'h': usage(stdout); return 1;
        case 'V': printf("lshidden %s\n", LSHIDDEN_VERSION); return 1;
        case ':': return usage_error("option requires an argument: '%s'", argv[optind - 1]);
        default: return usage_error("unrecognized option: '%s'", argv[optind - 1]);
        }
    }
    if (r == 0 && optind < argc)
        return usage_error("unexpected argument: '%s'", argv[optind]);
    if (r == 0)
        r = check_prometheus(cli);
    if (r == 0 && cli->by_device && cli->prometheus)
        return usage_error("%s", "--prometheus and --dev are mutually exclusive");
    if (r == 0 && cli->fuse && cli->mount_path)
        return usage_error("%s", "--fuse and --mount are mutually exclusive");
    if (r == 0 && cli->deep && cli->no_deep)
        return usage_error("%s", "--deep and --no-deep are mutually exclusive");
    if (r == 0 && cli->deep && cli->proc_root)
        return usage_error("%s",
                           "--deep reads the running kernel; it cannot read a --proc-root tree");
    if (r == 0 && cli->journal && !cli->mount_path)
        return usage_error("%s", "--journal needs --mount");
    if (r == 0 && cli->journal && cli->json)
        return usage_error("%s", "--journal and --json are mutually exclusive");
    if (r == 0 && cli->output_list)
        r = parse_columns(cli, cli->output_list);
    return r;
}

/* JSON without -o carries every key of the contract. */
static void choose_columns(struct cli *cli)
{
    const struct column_set *set = cli_column_set(cli);
    if (cli->output_list)
        return;
    if (!cli->json) {
        add_default_columns(cli);
        return;
    }
    for (int i = 0; i < set->count; i++)
        if (cli->mount_path || !column_has(set, i, COLF_MOUNT_ONLY))
            cli->columns[cli->ncolumns++] = i;
}

static enum pipeline_mode cli_mode(const struct cli *cli)
{
    if (cli->list_columns)
        return MODE_LIST_COLUMNS;
    if (cli->prometheus)
        return MODE_PROMETHEUS;
    if (cli->mount_path)
        return MODE_MOUNT;
    return cli->fuse ? MODE_FUSE : MODE_LIST;
}

static void config_from_cli(const struct cli *cli, struct pipeline_config *cfg)
{
    struct scan_config *scan = &cfg->scan;
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = cli_mode(cli);
    cfg->json = cli->json;
    cfg->journal = cli->journal;
    /* A --proc-root tree is not the running kernel: nothing to load. */
    cfg->kernel_view = cli->deep                        ? KERNEL_VIEW_REQUIRED
                       : cli->no_deep || cli->proc_root ? KERNEL_VIEW_OFF
                                                        : KERNEL_VIEW_AUTO;
    cfg->prometheus_pids = cli->prometheus_pids;
    /* Elsewhere the last --mount wins, as it always did. */
    cfg->by_device = cli->by_device;
    cfg->mount_paths = cli->prometheus ? cli->mount_list.items : &cli->mount_path;
    cfg->nmount_paths = cli->prometheus ? cli->mount_list.len : cli->mount_path != NULL;
    cfg->out = (struct output_options){cli_column_set(cli), cli->columns, cli->ncolumns,
                                       cli->noheadings, cli->raw};
    scan->proc_root = cli->proc_root ? cli->proc_root : "/proc";
    /* A /proc snapshot is never read together with this host's /sys. */
    scan->sys_root = cli->sys_root ? cli->sys_root : cli->proc_root ? NULL : "/sys";
    scan->live = cli->proc_root == NULL;
    scan->all = cli->all || cli->mount_path;
    scan->pids = cli->pid_list.items;
    scan->npids = cli->pid_list.len;
    for (size_t i = 0; !cli->fuse && i < cli->ncolumns; i++) {
        scan->want_identity |= column_has(&file_columns, cli->columns[i], COLF_NEEDS_IDENTITY);
        scan->want_mountpoint |= cli->columns[i] == COL_MOUNTPOINT;
        scan->want_owner |= column_has(&file_columns, cli->columns[i], COLF_NEEDS_OWNER);
    }
    /* The --mount summary, --journal and the Prometheus holders name the
     * unit of each holder, whatever the columns. */
    scan->want_owner |= cfg->nmount_paths > 0;
}

/* Whether everything printed reached stdout; says why not once. */
static bool stdout_flushed(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return true;
    message_write_error(errno ? -errno : -EIO);
    return false;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    setlocale(LC_ALL, "");
    int r = parse_args(&cli, argc, argv);
    if (r == 0) {
        struct pipeline_config cfg;
        if (!cli.prometheus)
            choose_columns(&cli); /* counts need no column, nor the identity some read */
        config_from_cli(&cli, &cfg);
        r = pipeline_run(&cfg);
    } else if (r > 0) {
        r = stdout_flushed() ? EXIT_ROWS : EXIT_TROUBLE; /* --help, --version */
    } else {
        r = EXIT_TROUBLE;
    }
    free(cli.pid_list.items);
    free(cli.mount_list.items);
    return r;
}
