/* The minimal BTF for CO-RE: which types it keeps, how it renumbers them,
 * and that it refuses what it cannot read. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse/btf_min.h"
#include "unit.h"

enum { K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_TYPEDEF = 8 };

/* A small BTF, written by hand. */
struct builder {
    unsigned char types[4096];
    size_t types_len;
    char strs[1024];
    size_t strs_len;
    uint32_t ntypes;
};

static void put(struct builder *b, uint32_t v)
{
    memcpy(b->types + b->types_len, &v, 4);
    b->types_len += 4;
}

static uint32_t str(struct builder *b, const char *s)
{
    if (!*s)
        return 0;
    uint32_t off = (uint32_t)b->strs_len;
    memcpy(b->strs + off, s, strlen(s) + 1);
    b->strs_len += strlen(s) + 1;
    return off;
}

static uint32_t add_type(struct builder *b, const char *name, unsigned kind, unsigned vlen,
                         uint32_t size_or_type)
{
    put(b, str(b, name));
    put(b, (uint32_t)kind << 24 | vlen);
    put(b, size_or_type);
    return ++b->ntypes;
}

static void add_member(struct builder *b, const char *name, uint32_t type, uint32_t bit_offset)
{
    put(b, str(b, name));
    put(b, type);
    put(b, bit_offset);
}

static size_t finish(struct builder *b, unsigned char *out)
{
    uint16_t magic = 0xeB9F;
    uint32_t hdr[5] = {24, 0, (uint32_t)b->types_len, (uint32_t)b->types_len,
                       (uint32_t)b->strs_len};
    memcpy(out, &magic, 2);
    out[2] = 1;
    out[3] = 0;
    memcpy(out + 4, hdr, sizeof(hdr));
    memcpy(out + 24, b->types, b->types_len);
    memcpy(out + 24 + b->types_len, b->strs, b->strs_len);
    return 24 + b->types_len + b->strs_len;
}

/* file { path f_path; inode *f_inode; u32 count; int arr[4]; }, path
 * { dentry *dentry; }, and structs only a pointer or nothing reaches. */
static size_t sample(unsigned char *out)
{
    struct builder b = {.strs_len = 1};
    uint32_t t_int = add_type(&b, "int", K_INT, 0, 4);
    put(&b, 32); /* encoding: 32 bits */
    uint32_t t_dentry = add_type(&b, "dentry", K_STRUCT, 1, 8);
    add_member(&b, "d_x", t_int, 0);
    uint32_t t_dentry_ptr = add_type(&b, "", K_PTR, 0, t_dentry);
    uint32_t t_path = add_type(&b, "path", K_STRUCT, 1, 8);
    add_member(&b, "dentry", t_dentry_ptr, 0);
    uint32_t t_inode = add_type(&b, "inode", K_STRUCT, 1, 8);
    add_member(&b, "i_ino", t_int, 0);
    uint32_t t_inode_ptr = add_type(&b, "", K_PTR, 0, t_inode);
    uint32_t t_u32 = add_type(&b, "u32", K_TYPEDEF, 0, t_int);
    uint32_t t_arr = add_type(&b, "", K_ARRAY, 0, 0);
    put(&b, t_int);
    put(&b, t_int);
    put(&b, 4);
    add_type(&b, "file", K_STRUCT, 4, 48);
    add_member(&b, "f_path", t_path, 0);
    add_member(&b, "f_inode", t_inode_ptr, 64);
    add_member(&b, "count", t_u32, 128);
    add_member(&b, "arr", t_arr, 160);
    add_type(&b, "unrelated", K_STRUCT, 1, 4);
    add_member(&b, "x", t_int, 0);
    return finish(&b, out);
}

struct seen {
    char names[16][32];
    size_t n;
    size_t ptrs_to_void, ptrs;
};

/* Walks the kinds sample() uses; fails the test on any other. */
static void read_back(const struct btf_min *min, struct seen *seen)
{
    const unsigned char *p = (const unsigned char *)min->data;
    uint32_t type_len, str_len;
    memcpy(&type_len, p + 12, 4);
    memcpy(&str_len, p + 20, 4);
    const unsigned char *t = p + 24, *end = t + type_len;
    const char *strs = (const char *)end;
    memset(seen, 0, sizeof(*seen));
    while (t < end) {
        uint32_t name, info, sot;
        memcpy(&name, t, 4);
        memcpy(&info, t + 4, 4);
        memcpy(&sot, t + 8, 4);
        unsigned kind = info >> 24, vlen = info & 0xffff;
        CHECK(name < str_len);
        if (kind == K_STRUCT && seen->n < 16)
            snprintf(seen->names[seen->n++], 32, "%s", strs + name);
        if (kind == K_PTR) {
            seen->ptrs++;
            seen->ptrs_to_void += sot == 0;
        }
        size_t extra = kind == K_INT ? 4 : kind == K_ARRAY ? 12 : kind == K_STRUCT ? 12 * vlen : 0;
        CHECK(kind == K_INT || kind == K_PTR || kind == K_ARRAY || kind == K_STRUCT ||
              kind == K_TYPEDEF);
        t += 12 + extra;
    }
    CHECK(t == end);
}

static bool has_struct(const struct seen *seen, const char *name)
{
    for (size_t i = 0; i < seen->n; i++)
        if (strcmp(seen->names[i], name) == 0)
            return true;
    return false;
}

TEST(keeps_what_the_named_structs_embed_not_what_they_point_to)
{
    unsigned char buf[8192];
    size_t len = sample(buf);
    const char *names[] = {"file", "file___old", "io_ring_ctx___old"};
    struct btf_min min;
    CHECK_EQ_INT(btf_min_build(buf, len, names, 3, &min), 0);
    CHECK_EQ_INT(min.wanted, 2); /* file and file___old are one name */
    CHECK_EQ_INT(min.found, 1);
    CHECK(btf_min_found(&min, "file___new"));
    CHECK(!btf_min_found(&min, "io_ring_ctx"));
    CHECK(!btf_min_found(&min, "path")); /* kept, but not asked for */
    struct seen seen;
    read_back(&min, &seen);
    CHECK(has_struct(&seen, "file"));
    CHECK(has_struct(&seen, "path"));   /* embedded */
    CHECK(!has_struct(&seen, "inode")); /* only pointed to */
    CHECK(!has_struct(&seen, "dentry"));
    CHECK(!has_struct(&seen, "unrelated"));
    CHECK_EQ_INT(seen.ptrs, 2);
    CHECK_EQ_INT(seen.ptrs_to_void, 2);
    /* What it wrote, it reads: the same struct, by the same name. */
    struct btf_min again;
    const char *file[] = {"file"};
    CHECK_EQ_INT(btf_min_build(min.data, min.len, file, 1, &again), 0);
    CHECK_EQ_INT(again.len, min.len);
    CHECK(memcmp(again.data, min.data, min.len) == 0);
    btf_min_free(&again);
    btf_min_free(&min);
}

TEST(no_names_gives_an_empty_btf)
{
    unsigned char buf[8192];
    size_t len = sample(buf);
    struct btf_min min;
    CHECK_EQ_INT(btf_min_build(buf, len, NULL, 0, &min), 0);
    CHECK_EQ_INT(min.found, 0);
    CHECK_EQ_INT(min.len, 24 + 1);
    btf_min_free(&min);
}

TEST(refuses_what_it_cannot_read)
{
    unsigned char buf[8192];
    size_t len = sample(buf);
    const char *names[] = {"file"};
    struct btf_min min;
    CHECK_EQ_INT(btf_min_build(buf, 10, names, 1, &min), -EINVAL);
    unsigned char bad[8192];
    memcpy(bad, buf, len);
    bad[0] ^= 0xff; /* the other byte order, or no BTF at all */
    CHECK_EQ_INT(btf_min_build(bad, len, names, 1, &min), -EINVAL);
    memcpy(bad, buf, len);
    uint32_t huge = 1u << 30;
    memcpy(bad + 12, &huge, 4); /* types past the end */
    CHECK_EQ_INT(btf_min_build(bad, len, names, 1, &min), -EINVAL);
    memcpy(bad, buf, len);
    bad[24 + 7] = 31; /* an unknown kind in the first record */
    CHECK_EQ_INT(btf_min_build(bad, len, names, 1, &min), -EINVAL);
    CHECK(min.data == NULL);
}

/* The running kernel's own BTF, where it can be read. */
TEST(the_kernel_btf_has_the_types_the_programs_name)
{
    int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return; /* no BTF here: nothing to say */
    }
    char *data = malloc((size_t)st.st_size);
    ssize_t n = 0, got = 1;
    while (data && n < st.st_size && (got = read(fd, data + n, (size_t)(st.st_size - n))) > 0)
        n += got;
    close(fd);
    CHECK(n == st.st_size);
    const char *names[] = {"file", "dentry", "task_struct", "seq_file", "no_such_type_here"};
    struct btf_min min;
    CHECK_EQ_INT(btf_min_build(data, (size_t)n, names, 5, &min), 0);
    CHECK_EQ_INT(min.found, 4);
    CHECK(min.len > 24 && min.len < (size_t)n / 10);
    btf_min_free(&min);
    free(data);
}
