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
#include "pipeline.h"
#include "util/vec.h"

struct cli {
    bool all, json, noheadings, raw, list_columns, journal, fuse, deep;
    const char *proc_root, *sys_root, *mount_path;
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
          "     --deep             also read the kernel's own tables with BPF iterators\n"
          "                          (exact paths and identities; needs root or CAP_BPF\n"
          "                          and CAP_PERFMON)\n"
          "     --list-columns     list the available columns (with --fuse: its own)\n"
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

/* Variadic so that -Wformat=2 checks every caller's format. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("lshidden: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
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
        COL_HOLDER, COL_EFFECT, COL_POSSIBLE, COL_PID,  COL_COMMAND,
        COL_SOURCE, COL_FD,     COL_SLOT,     COL_PATH, COL_OBJECT,
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
        case 'o': cli->output_list = optarg; break;
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
    cfg->deep = cli->deep;
    cfg->mount_path = cli->mount_path;
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
    }
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    setlocale(LC_ALL, "");
    int r = parse_args(&cli, argc, argv);
    if (r == 0) {
        struct pipeline_config cfg;
        choose_columns(&cli);
        config_from_cli(&cli, &cfg);
        r = pipeline_run(&cfg);
    } else {
        r = r > 0 ? EXIT_ROWS : EXIT_TROUBLE;
    }
    free(cli.pid_list.items);
    return r;
}
