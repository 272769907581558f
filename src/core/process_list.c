#include "core/process_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libproc2/pids.h>

#include "core/procfs_io.h"
#include "parse/proc_names.h"
#include "util/sorted.h"
#include "util/vec.h"

static struct process_info *process_list_add(struct process_list *set, struct arena *arena,
                                             pid_t pid)
{
    if (VEC_RESERVE(set, set->len + 1) < 0)
        return NULL;
    struct process_info *proc = arena_zalloc(arena, sizeof(*proc));
    if (!proc)
        return NULL;
    proc->pid = pid;
    set->items[set->len++] = proc;
    return proc;
}

/* libproc2 falls back to the decimal uid when there is no passwd entry;
 * the contract says null there, not a made-up name. */
static const char *user_or_null(struct arena *arena, const char *user, uid_t uid)
{
    char uidstr[16];
    snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
    if (!user || !*user || strcmp(user, uidstr) == 0)
        return NULL;
    return arena_strdup(arena, user);
}

static int collect_procps(struct process_list *set, const pid_t *pids, size_t npids,
                          struct arena *arena)
{
    enum pids_item items[] = {PIDS_ID_PID, PIDS_CMD, PIDS_ID_EUID, PIDS_ID_EUSER};
    enum rel { REL_PID, REL_CMD, REL_EUID, REL_EUSER };
    struct pids_info *info = NULL;
    int r = procps_pids_new(&info, items, (int)(sizeof(items) / sizeof(items[0])));
    if (r < 0)
        return r;

    struct pids_fetch *fetch;
    if (npids) {
        unsigned *these = calloc(npids, sizeof(*these));
        if (!these) {
            procps_pids_unref(&info);
            return -ENOMEM;
        }
        for (size_t i = 0; i < npids; i++)
            these[i] = (unsigned)pids[i];
        fetch = procps_pids_select(info, these, (int)npids, PIDS_SELECT_PID);
        free(these);
    } else {
        fetch = procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY);
    }
    if (!fetch) {
        procps_pids_unref(&info);
        return -errno ? -errno : -EIO;
    }

    for (int i = 0; i < fetch->counts->total; i++) {
        struct pids_stack *stack = fetch->stacks[i];
        struct process_info *proc =
            process_list_add(set, arena, (pid_t)PIDS_VAL(REL_PID, s_int, stack, info));
        if (!proc) {
            procps_pids_unref(&info);
            return -ENOMEM;
        }
        proc->uid = PIDS_VAL(REL_EUID, u_int, stack, info);
        proc->has_uid = true;
        proc->command = arena_strdup(arena, PIDS_VAL(REL_CMD, str, stack, info));
        proc->user = user_or_null(arena, PIDS_VAL(REL_EUSER, str, stack, info), proc->uid);
    }
    procps_pids_unref(&info);
    return 0;
}

/* A fixture tree's status file: "Name:" and the effective uid, the second
 * field of "Uid:". */
static void read_status(const char *proc_root, int rootfd, struct process_info *proc,
                        struct arena *arena, struct read_buf *buf, struct warning_list *warnings)
{
    char path[32], full[4096];
    snprintf(path, sizeof(path), "%d/status", (int)proc->pid);
    int r = read_file_at(rootfd, path, buf, READ_CAP_SMALL);
    if (r < 0) {
        snprintf(full, sizeof(full), "%s/%s", proc_root, path);
        if (r != -ENOENT)
            warning_add(warnings, warning_kind_for_errno(r), proc->pid, full, "%s",
                        read_error_text(r));
        return;
    }
    for (char *line = buf->data; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        unsigned ruid, euid;
        /* The kernel's comm is at most 15 bytes; a tree may say more. */
        if (len > 6 && strncmp(line, "Name:\t", 6) == 0)
            proc->command = arena_strndup(arena, line + 6, len - 6 > 64 ? 64 : len - 6);
        else if (sscanf(line, "Uid:\t%u\t%u", &ruid, &euid) == 2) {
            proc->uid = euid;
            proc->has_uid = true;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (proc->has_uid) {
        struct passwd *pw = getpwuid(proc->uid);
        proc->user = pw ? arena_strdup(arena, pw->pw_name) : NULL;
    }
}

static bool parse_pid(const char *name, pid_t *pid)
{
    uint64_t v;
    if (!decimal_name_parse(name, 0x7fffffff, &v) || v == 0)
        return false;
    *pid = (pid_t)v;
    return true;
}

static bool pid_wanted(pid_t pid, const pid_t *pids, size_t npids)
{
    if (!npids)
        return true;
    for (size_t i = 0; i < npids; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

static int collect_tree(struct process_list *set, const char *proc_root, const pid_t *pids,
                        size_t npids, struct arena *arena, struct warning_list *warnings)
{
    int rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -errno;
    DIR *dir = fdopendir(dup(rootfd));
    if (!dir) {
        close(rootfd);
        return -errno;
    }
    struct read_buf buf = {0};
    struct dirent *de;
    int r = 0;
    pid_t pid;
    while ((de = readdir(dir))) {
        if (!parse_pid(de->d_name, &pid) || !pid_wanted(pid, pids, npids))
            continue;
        struct process_info *proc = process_list_add(set, arena, pid);
        if (!proc) {
            r = -ENOMEM;
            break;
        }
        read_status(proc_root, rootfd, proc, arena, &buf, warnings);
    }
    read_buf_free(&buf);
    closedir(dir);
    close(rootfd);
    return r;
}

static int cmp_proc(const void *a, const void *b)
{
    const struct process_info *x = *(const struct process_info *const *)a;
    const struct process_info *y = *(const struct process_info *const *)b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int process_list_collect(struct process_list *set, const char *proc_root, bool live,
                         const pid_t *pids, size_t npids, bool warn_missing, struct arena *arena,
                         struct warning_list *warnings)
{
    int r = live ? collect_procps(set, pids, npids, arena)
                 : collect_tree(set, proc_root, pids, npids, arena, warnings);
    if (r < 0)
        return r;
    if (set->len > 1)
        qsort(set->items, set->len, sizeof(set->items[0]), cmp_proc);
    for (size_t i = 0; warn_missing && i < npids; i++) {
        bool found = false;
        for (size_t k = 0; k < set->len && !found; k++)
            found = set->items[k]->pid == pids[i];
        if (!found)
            warning_add(warnings, WARN_NOT_FOUND, pids[i], NULL, "no such process");
    }
    return 0;
}

struct pid_vec {
    pid_t *items;
    size_t len, cap;
};

int process_list_pids(const char *proc_root, pid_t **pids, size_t *npids)
{
    struct pid_vec v = {0};
    DIR *dir = opendir(proc_root);
    if (!dir)
        return -errno;
    struct dirent *de;
    pid_t pid;
    int r = 0;
    while (r == 0 && (de = readdir(dir)))
        if (parse_pid(de->d_name, &pid))
            r = VEC_APPEND(&v, pid);
    closedir(dir);
    if (r < 0) {
        free(v.items);
        return r;
    }
    *pids = v.items;
    *npids = sorted_pids_unique(v.items, v.len);
    return 0;
}

void process_list_free(struct process_list *set)
{
    free(set->items);
    memset(set, 0, sizeof(*set));
}
