/* Unit tests of --mount's summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/mount_summary.h"
#include "unit.h"

static char *summary_of(const struct record_list *rows, size_t unseen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct mount_target t = {.mountpoint = "/srv/data", .mount_id = 40};
    mount_report_summary(rows, &t, unseen, f);
    fclose(f);
    return text;
}

TEST(more_references_of_a_counted_process)
{
    struct arena arena = {0};
    struct record_list rows;
    struct process_info proc = {.pid = 42, .command = "db"};
    record_list_init(&rows, &arena);
    record_list_add(&rows, &proc, SOURCE_CWD)->effect = EFFECT_BLOCKS_UMOUNT;
    struct file_record *maybe = record_list_add(&rows, &proc, SOURCE_URING_FIXED);
    maybe->effect = EFFECT_BLOCKS_UMOUNT;
    maybe->possible = true;
    char *text = summary_of(&rows, 0);
    CHECK(strstr(text, "held by 1 process (1 reference, 0 hidden)") != NULL);
    CHECK(strstr(text, "possibly also by 1 more reference of that process") != NULL);
    CHECK(strstr(text, "0 more") == NULL);
    free(text);
    record_list_free(&rows);
    arena_free(&arena);
}

TEST(partial_view_is_never_free)
{
    struct record_list rows;
    record_list_init(&rows, NULL);
    char *text = summary_of(&rows, 2);
    CHECK(strstr(text, "may still be busy") != NULL);
    CHECK(strstr(text, "can be unmounted") == NULL);
    free(text);
    text = summary_of(&rows, 0);
    CHECK(strstr(text, "can be unmounted") != NULL);
    free(text);
}
