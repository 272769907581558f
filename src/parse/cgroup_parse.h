/* /proc/PID/cgroup: the systemd unit and the container a process runs in.
 * Pure: text in, names out.
 *
 * The unit follows systemd's own rule (cg_path_get_unit(), what
 * `ps -o unit` and `systemctl status PID` say): skip the leading slices
 * ("system.slice", "user.slice/user-1000.slice"), then the next path
 * component is the unit if it is a valid unit name that is not a slice; a
 * leading "_" (systemd's escape for names the kernel reserves) is dropped.
 * "/system.slice/foo.service/worker" is foo.service, a user's service
 * ".../user@1000.service/app.slice/x.service" is user@1000.service, and
 * "/", "/system.slice" or "/docker/ID" have none.
 *
 * The container is the innermost path component that names one: a
 * runtime's scope or cgroup ("docker-ID.scope", "libpod-ID.scope",
 * "cri-containerd-ID.scope", "crio-ID.scope", also without ".scope"), the
 * "SLICE:RUNTIME:ID" form of containerd and CRI-O on cgroup v1, or a bare ID
 * (the cgroupfs drivers: "/docker/ID", "/kubepods/besteffort/podUID/ID").
 * ID is always the 64 lower-case hex digits of the runtime; the result is
 * its first 12, as `docker ps` shows it. */
#ifndef LSHIDDEN_PARSE_CGROUP_PARSE_H
#define LSHIDDEN_PARSE_CGROUP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

enum {
    CGROUP_UNIT_MAX = 256,     /* systemd's UNIT_NAME_MAX, with the NUL */
    CGROUP_CONTAINER_LEN = 12, /* the short id */
};

struct cgroup_owner {
    char unit[CGROUP_UNIT_MAX];               /* "" when none */
    char container[CGROUP_CONTAINER_LEN + 1]; /* "" when none */
};

/* The unit of the cgroup path[0..len), into unit (CGROUP_UNIT_MAX bytes);
 * false when it names none. */
bool cgroup_path_unit(const char *path, size_t len, char *unit);

/* The short container id of the cgroup path[0..len), into id
 * (CGROUP_CONTAINER_LEN + 1 bytes); false when it names none. */
bool cgroup_path_container(const char *path, size_t len, char *id);

/* The whole /proc/PID/cgroup text.  Each answer comes from the first line
 * that gives one, in this order: the cgroup v2 line "0::PATH", the
 * "N:name=systemd:PATH" line of hybrid and v1 hosts (systemd's own tree
 * there), and for the container any other v1 line. */
void cgroup_file_parse(const char *text, size_t len, struct cgroup_owner *owner);

#endif
