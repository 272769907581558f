/* probe_helpers: load each program of probe_helpers.bpf.o alone and print
 * the verifier's verdict (last lines of its log). */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char logbuf[1 << 20];
static size_t loglen;

static int grab(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
    (void)lvl;
    if (loglen < sizeof(logbuf) - 1024)
        loglen += (size_t)vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
    return 0;
}

int main(int argc, char **argv)
{
    const char *names[] = {"d_path_ctx_file", "d_path_cast_file", "kfunc_path_d_path", "d_path_vma_file"};
    libbpf_set_print(grab);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct bpf_object *o = bpf_object__open_file(argc > 1 ? argv[1] : "probe_helpers.bpf.o", NULL);
        struct bpf_program *p;
        bpf_object__for_each_program(p, o) bpf_program__set_autoload(p, strcmp(bpf_program__name(p), names[i]) == 0);
        loglen = 0;
        int err = bpf_object__load(o);
        printf("%-18s %s\n", names[i], err ? "REJECTED" : "accepted");
        if (err) {
            /* print the verifier lines that carry the reason */
            char *line = strtok(logbuf, "\n");
            while (line) {
                if (strstr(line, "must") || strstr(line, "not allowed") || strstr(line, "invalid") ||
                    strstr(line, "unknown func") || strstr(line, "expected") || strstr(line, "calling kernel"))
                    printf("    %s\n", line);
                line = strtok(NULL, "\n");
            }
        }
        bpf_object__close(o);
    }
    return 0;
}
