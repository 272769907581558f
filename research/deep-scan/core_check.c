/* core_check: show how libbpf resolves uring_iter.bpf.o's CO-RE relocations
 * against another kernel's BTF (e.g. Debian 12's 6.1 or 6.12, extracted from
 * the linux-image deb).  Prints libbpf's per-relocation debug lines.  The
 * programs are then loaded into the running kernel (relocated for the other
 * kernel) and immediately closed: never attached, never run.
 *   core_check VMLINUX_WITH_BTF [OBJ] */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int pr(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
    (void)lvl;
    char line[4096];
    vsnprintf(line, sizeof(line), fmt, ap);
    if (strstr(line, "CO-RE relocating") || strstr(line, "relo #") || strstr(line, "extern (ksym)") ||
        strstr(line, "failed") || strstr(line, "poison"))
        fputs(line, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    libbpf_set_print(pr);
    LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = argv[1]);
    struct bpf_object *o = bpf_object__open_file(argc > 2 ? argv[2] : "uring_iter.bpf.o", &oo);
    if (!o)
        return 1;
    int err = bpf_object__load(o);
    printf("load: %d\n", err);
    bpf_object__close(o);
    return 0;
}
