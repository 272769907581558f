/* Writes lshidden.1 from lshidden.1.in, replacing the @COLUMNS@ and
 * @FUSE_COLUMNS@ lines with the column tables, so the man page cannot
 * drift from the code. */
#include <stdio.h>
#include <string.h>

#include "core/file_columns.h"
#include "core/fuse_conn.h"

static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

static void write_columns(FILE *out, const struct column_set *set)
{
    for (int i = 0; i < set->count; i++) {
        const struct column_info *c = &set->columns[i];
        fputs(".TP\n.B ", out);
        put_escaped(out, c->name);
        fprintf(out, "\n(JSON key \\fB%s\\fR, %s%s)\n", c->json_key, column_kind_name(c->kind),
                c->flags & COLF_DEFAULT ? ", default" : "");
        put_escaped(out, c->help);
        fputs(".\n", out);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TEMPLATE OUTPUT\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
    if (!in || !out) {
        perror("gen_man_columns");
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), in)) {
        if (strcmp(line, "@COLUMNS@\n") == 0)
            write_columns(out, &file_columns);
        else if (strcmp(line, "@FUSE_COLUMNS@\n") == 0)
            write_columns(out, &fuse_conn_columns);
        else if (strncmp(line, ".TH ", 4) == 0 && strstr(line, "@VERSION@"))
            fprintf(out, ".TH LSHIDDEN 1 \"\" \"lshidden %s\" \"User Commands\"\n",
                    LSHIDDEN_VERSION);
        else
            fputs(line, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 1;
}
