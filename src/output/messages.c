#include "output/messages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/text_escape.h"

void message_path_error(const char *prefix, const char *path, const char *reason)
{
    char *safe = terminal_escape(path, strlen(path), false);
    fprintf(stderr, "lshidden: %s%s: %s\n", prefix, safe ? safe : "?", reason);
    free(safe);
}

void message_write_error(int err)
{
    if (err != -EPIPE)
        fprintf(stderr, "lshidden: write error: %s\n", strerror(-err));
}
