/* --mount: uprobes on files of the mount. */
#include "mount/holder_common.h"

void holders_find_uprobes(struct holder_scan *hs)
{
    (void)hs;
}
