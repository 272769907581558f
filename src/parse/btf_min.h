/* A minimal BTF for CO-RE: the kernel types the BPF programs name, cut
 * out of the kernel's whole BTF.
 *
 * libbpf relocates each type the programs use by scanning every type of
 * the kernel's BTF for its name: 40 types times 126,000 took 30 ms, half
 * of loading the kernel view.  Given a BTF that holds only those types,
 * libbpf finds the same candidates at once.  Each named struct, union and
 * enum is copied with everything it embeds (members, arrays, typedefs,
 * modifiers); pointers become void *, since relocation never looks
 * through one (any two pointers are compatible for it).  Pure: works on
 * a buffer, for unit tests and fuzzers. */
#ifndef LSHIDDEN_PARSE_BTF_MIN_H
#define LSHIDDEN_PARSE_BTF_MIN_H

#include <stdbool.h>
#include <stddef.h>

struct essential_name;

struct btf_min {
    char *data; /* malloc'd raw BTF: header, types, strings */
    size_t len;
    struct essential_name *names; /* sorted, for btf_min_found() */
    size_t wanted;                /* distinct names asked for */
    size_t found;                 /* how many of them had at least one type */
};

/* Builds from the raw BTF base[0..len) a BTF holding every struct, union
 * and enum whose name is one of names (a name's "___flavour" suffix is
 * ignored, as libbpf does).  Returns 0, -EINVAL when base is not a BTF
 * this host can read (other byte order, bad bounds, unknown kind), or
 * -ENOMEM. */
int btf_min_build(const void *base, size_t len, const char *const *names, size_t nnames,
                  struct btf_min *out);

/* Whether the BTF min was built from has a struct, union or enum of this
 * name (its essential part): the answer for a name that was asked for. */
bool btf_min_found(const struct btf_min *min, const char *name);

void btf_min_free(struct btf_min *min);

#endif
