/* --journal: one line per holder of the queried mount, for a journal or
 * a shutdown hook. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/journal.h"
#include "output/output.h"
#include "parse/text_escape.h"

/* "pid 42 (nginx)", and where it runs: " of nginx.service", or " in
 * container 0123456789ab" (its unit is then only the runtime's scope). */
static void describe_process(const struct process_info *p, char *buf, size_t n)
{
    const char *cmd = p->command ? p->command : "?";
    if (p->container)
        snprintf(buf, n, "pid %d (%s) in container %s", (int)p->pid, cmd, p->container);
    else if (p->unit)
        snprintf(buf, n, "pid %d (%s) of %s", (int)p->pid, cmd, p->unit);
    else
        snprintf(buf, n, "pid %d (%s)", (int)p->pid, cmd);
}

/* "pid 42 (nginx) of nginx.service fd 5" and the like: who, in a few words. */
static void describe_holder(const struct file_record *rec, char *buf, size_t n)
{
    static const struct process_info no_process = {0};
    char who[384];
    describe_process(rec->proc ? rec->proc : &no_process, who, sizeof(who));
    switch (source_info(rec->source)->wording) {
    case WORDING_FD: snprintf(buf, n, "%s fd %d", who, rec->fd); break;
    case WORDING_PROCESS_LINK: snprintf(buf, n, "%s %s", who, file_source_name(rec->source)); break;
    case WORDING_FIXED_FILE:
        if (rec->has_ring_fd)
            snprintf(buf, n, "%s io_uring fd %d fixed file %u", who, rec->ring_fd, rec->slot);
        else
            snprintf(buf, n, "%s io_uring fixed file %u", who, rec->slot);
        break;
    case WORDING_FDLESS_RING: snprintf(buf, n, "%s io_uring ring with no fd", who); break;
    case WORDING_FUSE: {
        /* A backing id's file, an open file's own one (--deep), or the
         * connection as a whole when its files cannot be listed. */
        const char *what = rec->has_backing_id ? " backing file"
                           : rec->path         ? " passthrough backing file"
                                               : "";
        if (rec->proc)
            snprintf(buf, n, "%s FUSE connection %u%s", who, rec->fuse_conn, what);
        else
            snprintf(buf, n, "FUSE connection %u (no server)%s", rec->fuse_conn, what);
        break;
    }
    case WORDING_NAMESPACE:
        snprintf(buf, n, "mount namespace %s", rec->object ? rec->object : "?");
        break;
    case WORDING_OBJECT:
        snprintf(buf, n, "%s %s", source_info(rec->source)->holder, rec->object ? rec->object : "");
        break;
    case WORDING_IN_FLIGHT: /* the request's or the receiver's process */
        if (rec->object)
            snprintf(buf, n, "%s in-flight %s", who, rec->object);
        else
            snprintf(buf, n, "%s file in flight", who);
        break;
    }
}

int mount_report_journal(const struct record_list *records, const struct mount_target *t,
                         size_t unseen, FILE *stream)
{
    bool utf8 = output_locale_is_utf8();
    char *mp = terminal_escape(t->mountpoint, strlen(t->mountpoint), utf8);
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        char who[512];
        describe_holder(rec, who, sizeof(who));
        char *safe_who = terminal_escape(who, strlen(who), utf8);
        char *path = rec->path ? terminal_escape(rec->path, strlen(rec->path), utf8) : NULL;
        fprintf(stream, "lshidden: %s: held by %s%s%s (%s%s%s)\n", mp ? mp : "",
                safe_who ? safe_who : "", path ? " " : "", path ? path : "",
                rec->effect == EFFECT_KEEPS_ALIVE ? "keeps it alive" : "blocks umount",
                rec->hidden ? ", hidden" : "", rec->possible ? ", possible" : "");
        free(safe_who);
        free(path);
    }
    /* A hook that finds no line must not read that as "free". */
    if (!records->len && unseen)
        fprintf(stream, "lshidden: %s: possibly held: %zu part%s of the system could not be seen\n",
                mp ? mp : "", unseen, unseen == 1 ? "" : "s");
    free(mp);
    return fflush(stream) == 0 ? 0 : -errno;
}
