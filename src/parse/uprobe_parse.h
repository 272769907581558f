/* The parser of tracefs uprobe_events (kernel/trace/trace_uprobe.c,
 * trace_uprobe_show()): one line per probe,
 *   "p:GROUP/EVENT PATH:0xOFFSET[(0xREFCTR)][ NAME=FETCHARG...]"
 * or "r:..." for a return probe.  PATH is the string the creator wrote,
 * kept as it was (not a d_path, not escaped): the kernel split the command
 * on blanks, so it has none, but it may hold ':' (the offset follows the
 * last one) and may even be relative.  A pure function on a buffer, like
 * the other holder texts (parse/holder_parse.h): spans point into it. */
#ifndef LSHIDDEN_PARSE_UPROBE_PARSE_H
#define LSHIDDEN_PARSE_UPROBE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "parse/holder_parse.h"

struct uprobe_event {
    bool is_return;         /* "r:" rather than "p:" */
    struct text_span name;  /* "p:GROUP/EVENT": the probe as the kernel names it */
    struct text_span group; /* GROUP */
    struct text_span event; /* EVENT */
    struct text_span path;  /* as written when the probe was made, raw */
    uint64_t offset;
    bool has_ref_ctr;
    uint64_t ref_ctr_offset;
};

/* Returns 1 with *ev filled, 0 at the end of the text, -EINVAL for a
 * malformed line (cur->line says which; the cursor has moved past it, so
 * the caller may go on).  Blank lines are skipped. */
int uprobe_events_next(struct text_cursor *cur, struct uprobe_event *ev);

#endif
