#include <string.h>

#include "scan/handler.h"
#include "scan/fuse_dev_handler.h"
#include "scan/uring_handler.h"

const struct file_handler *const file_handlers[] = {
    &uring_handler,    /* anon_inode:[io_uring] fds and ring mappings */
    &fuse_dev_handler, /* /dev/fuse fds: FUSE servers */
};
const size_t file_handler_count = sizeof(file_handlers) / sizeof(file_handlers[0]);

const struct file_handler *file_handler_for_fd(const char *link, size_t *index)
{
    for (size_t i = 0; i < file_handler_count; i++)
        if (file_handlers[i]->fd_link && strcmp(file_handlers[i]->fd_link, link) == 0) {
            *index = i;
            return file_handlers[i];
        }
    return NULL;
}

const struct file_handler *file_handler_for_mapping(const struct map_entry *m, size_t *index)
{
    for (size_t i = 0; i < file_handler_count; i++)
        if (file_handlers[i]->claims_mapping && file_handlers[i]->claims_mapping(m)) {
            *index = i;
            return file_handlers[i];
        }
    return NULL;
}
