/* Unit tests of the --prometheus encoder: label escaping, grouping of
 * hidden rows and of --mount holders, the fixed families. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/prometheus.h"
#include "util/vec.h"
#include "unit.h"

TEST(label_values_are_escaped)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"nginx", "nginx"},
        {"a\\b", "a\\\\b"},
        {"say \"hi\"", "say \\\"hi\\\""},
        {"two\nlines", "two\\nlines"},
        {"tab\tstays", "tab\tstays"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xc3", "\xef\xbf\xbd"}, /* a sequence cut short */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = prom_label_value(cases[i].in);
        CHECK_EQ_STR(got, cases[i].out);
        free(got);
    }
}

/* A fake scan: processes and rows in an arena. */
struct fake {
    struct arena arena;
    struct record_list records;
    struct process_list processes;
    struct warning_list warnings;
};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    record_list_init(&f->records, &f->arena);
}

static struct process_info *fake_process(struct fake *f, pid_t pid, const char *command)
{
    struct process_info *p = arena_zalloc(&f->arena, sizeof(*p));
    p->pid = pid;
    p->command = command;
    VEC_APPEND(&f->processes, p);
    return p;
}

static struct file_record *fake_row(struct fake *f, const struct process_info *p,
                                    enum file_source source, int n)
{
    struct file_record *rec = NULL;
    for (int i = 0; i < n; i++)
        rec = record_list_add(&f->records, p, source);
    return rec;
}

static void fake_free(struct fake *f)
{
    record_list_free(&f->records);
    free(f->processes.items);
    warning_list_free(&f->warnings);
    arena_free(&f->arena);
}

/* The report as text (open_memstream), NULL if it failed. */
static char *render(const struct prom_report *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    int r = output_prometheus(report, out);
    fclose(out);
    CHECK_EQ_INT(r, 0);
    return text;
}

static void check_has_line(const char *text, const char *line)
{
    char *want = NULL;
    if (asprintf(&want, "\n%s\n", line) < 0)
        return;
    if (!text || !strstr(text, want)) {
        fprintf(stderr, "  missing line: %s\n", line);
        unit_failures_in_test++;
    }
    free(want);
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

static void fake_hidden_rows(struct fake *f)
{
    struct process_info *db1 = fake_process(f, 10, "db");
    struct process_info *db2 = fake_process(f, 11, "db");
    struct process_info *odd = fake_process(f, 12, "we\"ird\\\n\xff");
    /* Names that differ only in invalid bytes are one label value. */
    struct process_info *odd2 = fake_process(f, 13, "we\"ird\\\n\xfe");
    fake_row(f, db1, SOURCE_URING_FIXED, 3);
    fake_row(f, db1, SOURCE_FD, 5); /* not hidden: never counted */
    fake_row(f, db2, SOURCE_URING_FIXED, 2);
    fake_row(f, db2, SOURCE_URING_RING, 1);
    fake_row(f, odd, SOURCE_URING_FIXED, 1);
    fake_row(f, odd2, SOURCE_URING_FIXED, 1);
    fake_row(f, NULL, SOURCE_FUSE_BACKING, 2); /* its server is gone */
}

TEST(hidden_rows_grouped_by_source_and_command)
{
    struct fake f;
    fake_init(&f);
    fake_hidden_rows(&f);
    struct prom_report report = {
        .records = &f.records, .processes = &f.processes, .warnings = &f.warnings};
    char *text = render(&report);
    check_has_line(text, "# TYPE lshidden_hidden_files gauge");
    check_has_line(text, "lshidden_hidden_files{source=\"uring-fixed\",command=\"db\"} 5");
    check_has_line(text, "lshidden_hidden_files{source=\"uring-ring\",command=\"db\"} 1");
    check_has_line(text, "lshidden_hidden_files{source=\"uring-fixed\","
                         "command=\"we\\\"ird\\\\\\n\xef\xbf\xbd\"} 2");
    check_has_line(text, "lshidden_hidden_files{source=\"fuse-backing\",command=\"\"} 2");
    CHECK_EQ_INT(count_lines(text, "lshidden_hidden_files{"), 4);
    CHECK(!strstr(text ? text : "", "source=\"fd\""));
    CHECK(!strstr(text ? text : "", "pid="));
    free(text);
    fake_free(&f);
}

TEST(pid_label_splits_processes)
{
    struct fake f;
    fake_init(&f);
    fake_hidden_rows(&f);
    struct prom_report report = {.records = &f.records,
                                 .pid_label = true,
                                 .processes = &f.processes,
                                 .warnings = &f.warnings};
    char *text = render(&report);
    check_has_line(text,
                   "lshidden_hidden_files{source=\"uring-fixed\",command=\"db\",pid=\"10\"} 3");
    check_has_line(text,
                   "lshidden_hidden_files{source=\"uring-fixed\",command=\"db\",pid=\"11\"} 2");
    check_has_line(text, "lshidden_hidden_files{source=\"fuse-backing\",command=\"\",pid=\"\"} 2");
    CHECK_EQ_INT(count_lines(text, "lshidden_hidden_files{"), 6);
    free(text);
    fake_free(&f);
}

TEST(mount_holders_grouped_by_kind_effect_and_certainty)
{
    struct fake f;
    fake_init(&f);
    struct process_info *p = fake_process(&f, 20, "sh");
    /* cwd and fd are both "process" holders: one sample. */
    fake_row(&f, p, SOURCE_CWD, 1)->effect = EFFECT_BLOCKS_UMOUNT;
    fake_row(&f, p, SOURCE_FD, 1)->effect = EFFECT_BLOCKS_UMOUNT;
    struct file_record *maybe = fake_row(&f, p, SOURCE_URING_RING, 1);
    maybe->effect = EFFECT_BLOCKS_UMOUNT;
    maybe->possible = true;
    fake_row(&f, NULL, SOURCE_MOUNT_NS, 1)->effect = EFFECT_KEEPS_ALIVE;

    struct prom_mount mounts[2];
    prom_mount_count(&mounts[0], "/srv/da\"ta", &f.records);
    struct record_list none = {0};
    prom_mount_count(&mounts[1], "/idle", &none);
    struct prom_report report = {.records = &none,
                                 .mounts = mounts,
                                 .nmounts = 2,
                                 .processes = &f.processes,
                                 .warnings = &f.warnings};
    char *text = render(&report);
    check_has_line(text, "# TYPE lshidden_mount_holders gauge");
    check_has_line(text, "lshidden_mount_holders{mountpoint=\"/srv/da\\\"ta\",holder=\"process\","
                         "effect=\"blocks-umount\",possible=\"false\",unit=\"\"} 2");
    check_has_line(text, "lshidden_mount_holders{mountpoint=\"/srv/da\\\"ta\",holder=\"io_uring\","
                         "effect=\"blocks-umount\",possible=\"true\",unit=\"\"} 1");
    check_has_line(text, "lshidden_mount_holders{mountpoint=\"/srv/da\\\"ta\","
                         "holder=\"mount-namespace\",effect=\"keeps-alive\",possible=\"false\","
                         "unit=\"\"} 1");
    CHECK_EQ_INT(count_lines(text, "lshidden_mount_holders{"), 3);
    free(text);
    prom_mount_free(&mounts[0]);
    prom_mount_free(&mounts[1]);
    fake_free(&f);
}

TEST(mount_holders_name_their_unit)
{
    struct fake f;
    fake_init(&f);
    struct process_info *db = fake_process(&f, 30, "postgres");
    struct process_info *web = fake_process(&f, 31, "nginx");
    db->unit = "postgresql.service";
    web->unit = "nginx.service";
    fake_row(&f, db, SOURCE_CWD, 1)->effect = EFFECT_BLOCKS_UMOUNT;
    fake_row(&f, db, SOURCE_FD, 1)->effect = EFFECT_BLOCKS_UMOUNT;
    fake_row(&f, web, SOURCE_FD, 1)->effect = EFFECT_BLOCKS_UMOUNT;

    struct prom_mount mount;
    CHECK_EQ_INT(prom_mount_count(&mount, "/srv", &f.records), 0);
    struct record_list none = {0};
    struct prom_report report = {.records = &none,
                                 .mounts = &mount,
                                 .nmounts = 1,
                                 .processes = &f.processes,
                                 .warnings = &f.warnings};
    char *text = render(&report);
    check_has_line(text, "lshidden_mount_holders{mountpoint=\"/srv\",holder=\"process\","
                         "effect=\"blocks-umount\",possible=\"false\","
                         "unit=\"postgresql.service\"} 2");
    check_has_line(text, "lshidden_mount_holders{mountpoint=\"/srv\",holder=\"process\","
                         "effect=\"blocks-umount\",possible=\"false\",unit=\"nginx.service\"} 1");
    CHECK_EQ_INT(count_lines(text, "lshidden_mount_holders{"), 2);
    free(text);
    prom_mount_free(&mount);
    fake_free(&f);
}

TEST(processes_warnings_and_run)
{
    struct fake f;
    fake_init(&f);
    for (pid_t pid = 1; pid <= 5; pid++)
        fake_process(&f, pid, "x");
    warning_add(&f.warnings, WARN_PERMISSION, 2, "/proc/2/fd", "denied");
    warning_add(&f.warnings, WARN_PERMISSION, 2, "/proc/2/maps", "denied");
    warning_add(&f.warnings, WARN_VANISHED, 3, "/proc/3/fd", "gone");
    warning_add(&f.warnings, WARN_VANISHED, 2, "/proc/2/fd", "gone"); /* still unreadable */
    warning_add(&f.warnings, WARN_RING_BUSY, 4, "/proc/4/fdinfo/5", "busy");
    warning_add(&f.warnings, WARN_IO, 0, "/proc/swaps", "error");
    struct prom_report report = {.records = &f.records,
                                 .processes = &f.processes,
                                 .warnings = &f.warnings,
                                 .scan_seconds = 0.25,
                                 .kernel_view = true};
    char *text = render(&report);
    check_has_line(text, "lshidden_processes{state=\"inspected\"} 3");
    check_has_line(text, "lshidden_processes{state=\"unreadable\"} 1");
    check_has_line(text, "lshidden_processes{state=\"vanished\"} 1");
    check_has_line(text, "lshidden_warnings{reason=\"permission\"} 2");
    check_has_line(text, "lshidden_warnings{reason=\"ring-busy\"} 1");
    check_has_line(text, "lshidden_warnings{reason=\"deep\"} 0");
    CHECK_EQ_INT(count_lines(text, "lshidden_warnings{"), WARN_KIND_COUNT);
    check_has_line(text, "lshidden_scan_duration_seconds 0.250000");
    check_has_line(text, "lshidden_kernel_view 1");
    /* No --mount: no holders family at all. */
    CHECK(!strstr(text ? text : "", "lshidden_mount_holders"));
    /* Every family has its HELP and TYPE, and the text ends with a newline. */
    CHECK_EQ_INT(count_lines(text, "# HELP "), 5);
    CHECK_EQ_INT(count_lines(text, "# TYPE "), 5);
    CHECK(text && text[strlen(text) - 1] == '\n');
    free(text);
    fake_free(&f);
}

TEST(write_error_is_returned)
{
    struct fake f;
    fake_init(&f);
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        struct prom_report report = {
            .records = &f.records, .processes = &f.processes, .warnings = &f.warnings};
        CHECK(output_prometheus(&report, full) < 0);
        fclose(full);
    }
    fake_free(&f);
}
