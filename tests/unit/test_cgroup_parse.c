/* Unit tests of the /proc/PID/cgroup parser: systemd units and container
 * ids from the paths real hosts have. */
#include <string.h>

#include "parse/cgroup_parse.h"
#include "unit.h"

#define ID64 "3f2a9c0d5e6b7a8190c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7081"
#define ID12 "3f2a9c0d5e6b"

/* The unit of a path, or "" when it names none. */
static const char *unit_of(const char *path)
{
    static char unit[CGROUP_UNIT_MAX];
    if (!cgroup_path_unit(path, strlen(path), unit))
        return "";
    return unit;
}

static const char *container_of(const char *path)
{
    static char id[CGROUP_CONTAINER_LEN + 1];
    if (!cgroup_path_container(path, strlen(path), id))
        return "";
    return id;
}

/* A cgroup path and what it names ("" for nothing). */
struct path_case {
    const char *path, *want;
};

static void check_units(const struct path_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_STR(unit_of(cases[i].path), cases[i].want);
}

static void check_containers(const struct path_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_STR(container_of(cases[i].path), cases[i].want);
}

#define CHECK_UNITS(cases)      check_units(cases, sizeof(cases) / sizeof(cases[0]))
#define CHECK_CONTAINERS(cases) check_containers(cases, sizeof(cases) / sizeof(cases[0]))

TEST(system_services_and_scopes)
{
    static const struct path_case cases[] = {
        {"/system.slice/postgresql.service", "postgresql.service"},
        {"/system.slice/postgresql@15-main.service", "postgresql@15-main.service"},
        {"/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service"},
        {"/init.scope", "init.scope"},
        {"/system.slice/systemd-journald.socket", "systemd-journald.socket"},
        {"/system.slice/srv-data.mount", "srv-data.mount"},
        {"/system.slice/dev-sda2.swap", "dev-sda2.swap"},
        /* systemd escapes in unit names stay as they are */
        {"/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", "machine-qemu\\x2d1\\x2dvm.scope"},
        /* delegated subtrees: the unit is the first component after the slices */
        {"/system.slice/foo.service/worker", "foo.service"},
        {"/system.slice/containerd.service/kubepods-burstable-pod1.slice:cri-containerd:" ID64,
         "containerd.service"},
        {"/system.slice/docker-" ID64 ".scope/init.scope", "docker-" ID64 ".scope"},
    };
    CHECK_UNITS(cases);
}

TEST(user_sessions)
{
    static const struct path_case cases[] = {
        {"/user.slice/user-1000.slice/session-3.scope", "session-3.scope"},
        /* A user's own services are under the user manager: systemd's
         * system unit of them is the manager (ps -o unit says the same). */
        {"/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
         "user@1000.service"},
        {"/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service"},
    };
    CHECK_UNITS(cases);
}

TEST(paths_that_name_no_unit)
{
    static const struct path_case cases[] = {
        {"/", ""},
        {"", ""},
        {"/system.slice", ""},
        {"/user.slice/user-1000.slice", ""},
        {"/process_api/d457190fa55b74d482ff0081335f4897", ""},
        {"/lxc/web", ""},
        {"/docker/" ID64, ""},
        /* outside the reader's cgroup namespace */
        {"/../../system.slice/foo.service", ""},
        /* not a unit type, an empty name, a template, a bad character */
        {"/system.slice/foo.daemon", ""},
        {"/system.slice/.service", ""},
        {"/system.slice/getty@.service", ""},
        {"/system.slice/@tty1.service", ""},
        {"/system.slice/foo bar.service", ""},
        /* a slice that is not a valid name ends the slices: no unit either */
        {"/a b.slice/foo.service", ""},
    };
    CHECK_UNITS(cases);
}

TEST(containers_as_systemd_scopes)
{
    static const struct path_case cases[] = {
        {"/system.slice/docker-" ID64 ".scope", ID12},
        {"/machine.slice/libpod-" ID64 ".scope", ID12},
        {"/machine.slice/libpod-" ID64 ".scope/container", ID12},
        {"/kubepods.slice/kubepods-burstable.slice/"
         "kubepods-burstable-pod0f9e8d7c_6b5a_4938_2716_05f4e3d2c1b0.slice/"
         "cri-containerd-" ID64 ".scope",
         ID12},
        {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
         "crio-" ID64 ".scope",
         ID12},
        /* podman's cgroupfs manager: the same name without ".scope" */
        {"/libpod_parent/libpod-" ID64, ID12},
    };
    CHECK_CONTAINERS(cases);
    CHECK_EQ_STR(unit_of("/kubepods.slice/kubepods-besteffort.slice/"
                         "kubepods-besteffort-pod1.slice/crio-" ID64 ".scope"),
                 "crio-" ID64 ".scope");
}

TEST(containers_on_cgroupfs_paths)
{
    static const struct path_case cases[] = {
        {"/docker/" ID64, ID12},
        {"/kubepods/besteffort/pod0f9e8d7c-6b5a-4938-2716-05f4e3d2c1b0/" ID64, ID12},
        {"/actions_job/" ID64, ID12},
        /* containerd and CRI-O with the systemd driver on cgroup v1 */
        {"/kubepods-burstable-pod1.slice:cri-containerd:" ID64, ID12},
        {"/kubepods-burstable-pod1.slice:crio:" ID64, ID12},
        {"/system.slice/containerd.service/kubepods-burstable-pod1.slice:cri-containerd:" ID64,
         ID12},
        /* nested containers: the innermost */
        {"/docker/" ID64 "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "0123456789ab"},
    };
    CHECK_CONTAINERS(cases);
}

TEST(paths_that_name_no_container)
{
    static const struct path_case cases[] = {
        {"/", ""},
        {"/system.slice/docker.service", ""},
        /* conmon, podman's and CRI-O's monitor, is not the container */
        {"/machine.slice/libpod-conmon-" ID64 ".scope", ""},
        {"/system.slice/crio-conmon-" ID64 ".scope", ""},
        /* ids are 64 lower-case hex digits, nothing else */
        {"/process_api/d457190fa55b74d482ff0081335f4897", ""},
        {"/docker/" ID12, ""},
        {"/docker/3F2A9C0D5E6B7A8190C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F7081", ""},
        {"/docker/" ID64 "0", ""},
        {"/system.slice/podman-" ID64 ".scope", ""},
        {"/x.slice:docker" ID64, ""},
        {"/x.slice:" ID64, ""},
    };
    CHECK_CONTAINERS(cases);
}

TEST(escaped_names)
{
    /* systemd escapes cgroup names the kernel reserves with a "_" */
    CHECK_EQ_STR(unit_of("/system.slice/_cpu.service"), "cpu.service");
    CHECK_EQ_STR(unit_of("/_x.slice/y.service"), "y.service");
}

TEST(unit_name_length)
{
    char path[600] = "/system.slice/";
    size_t base = strlen(path);
    memset(path + base, 'a', 247);
    strcpy(path + base + 247, ".service"); /* 255 bytes: the longest name */
    CHECK_EQ_INT(strlen(unit_of(path)), 255);
    memset(path + base, 'a', 248);
    strcpy(path + base + 248, ".service");
    CHECK_EQ_STR(unit_of(path), "");
}

static void parse(const char *text, struct cgroup_owner *owner)
{
    cgroup_file_parse(text, strlen(text), owner);
}

TEST(whole_files)
{
    struct cgroup_owner o;
    parse("0::/system.slice/postgresql.service\n", &o);
    CHECK_EQ_STR(o.unit, "postgresql.service");
    CHECK_EQ_STR(o.container, "");

    /* hybrid: systemd's own tree is name=systemd, the v2 line mirrors it */
    parse("12:pids:/system.slice/nginx.service\n"
          "4:memory:/system.slice/nginx.service\n"
          "1:name=systemd:/system.slice/nginx.service\n"
          "0::/system.slice/nginx.service\n",
          &o);
    CHECK_EQ_STR(o.unit, "nginx.service");

    /* the v2 line first, name=systemd where it has none */
    parse("1:name=systemd:/system.slice/a.service\n0::/x.slice/b.service\n", &o);
    CHECK_EQ_STR(o.unit, "b.service");
    parse("9:name=systemd:/lshtest.slice/z.service\n4:memory:/process_api/d4\n0::/\n", &o);
    CHECK_EQ_STR(o.unit, "z.service");

    /* controllers' trees say nothing about units */
    parse("3:cpu:/system.slice/c.service\n0::/\n", &o);
    CHECK_EQ_STR(o.unit, "");
}

TEST(whole_files_with_containers)
{
    struct cgroup_owner o;
    parse("0::/system.slice/docker-" ID64 ".scope\n", &o);
    CHECK_EQ_STR(o.unit, "docker-" ID64 ".scope");
    CHECK_EQ_STR(o.container, ID12);

    /* docker's cgroupfs driver on v1: every controller's line */
    parse("11:devices:/docker/" ID64 "\n4:memory:/docker/" ID64 "\n1:name=systemd:/docker/" ID64
          "\n0::/\n",
          &o);
    CHECK_EQ_STR(o.unit, "");
    CHECK_EQ_STR(o.container, ID12);

    /* v1 without a name=systemd tree */
    parse("4:memory:/docker/" ID64 "\n3:cpu,cpuacct:/docker/" ID64 "\n", &o);
    CHECK_EQ_STR(o.container, ID12);

    /* containerd's colon form keeps its colons inside the path */
    parse("1:name=systemd:/kubepods-besteffort-pod1.slice:cri-containerd:" ID64 "\n0::/\n", &o);
    CHECK_EQ_STR(o.unit, "");
    CHECK_EQ_STR(o.container, ID12);
}

TEST(malformed_files)
{
    struct cgroup_owner o;
    parse("", &o);
    CHECK_EQ_STR(o.unit, "");
    CHECK_EQ_STR(o.container, "");
    parse("garbage\n0:/system.slice/x.service\n\n::\n", &o);
    CHECK_EQ_STR(o.unit, "");
    /* no final newline, and a buffer that is not NUL-terminated */
    const char text[] = "0::/system.slice/last.serviceXXXX";
    cgroup_file_parse(text, strlen(text) - 4, &o);
    CHECK_EQ_STR(o.unit, "last.service");
    /* "0" with controllers is a v1 hierarchy numbered 0, not v2 */
    parse("0:cpu:/system.slice/c.service\n", &o);
    CHECK_EQ_STR(o.unit, "");
}
