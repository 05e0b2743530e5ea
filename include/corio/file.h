/* Files through the thread pool (regular files are always "ready" to epoll,
 * so their reads and writes block: they run on a pool thread while the
 * calling task waits and the loop runs on). */
#ifndef CORIO_FILE_H
#define CORIO_FILE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the whole file into a malloc'd buffer (NUL-terminated for text's
 * sake; *len excludes the NUL). -EFBIG if it is larger than max bytes (0: 1
 * GiB); errors of open/read as negative errnos. */
CORIO_API int corio_file_read_all(const char *path, size_t max, void **data, size_t *len);

/* Creates or truncates path and writes len bytes; with append, appends. */
CORIO_API int corio_file_write_all(const char *path, const void *data, size_t len, bool append);

/* Streaming a file: sequential reads and writes from its current offset. */
typedef struct corio_file corio_file;
/* flags as for open(2) (O_RDONLY, O_WRONLY | O_CREAT | O_TRUNC, ...); mode for O_CREAT. */
CORIO_API int corio_file_open(const char *path, int flags, int mode, corio_file **out);
CORIO_API ssize_t corio_file_read(corio_file *f, void *buf, size_t len);
CORIO_API ssize_t corio_file_write(corio_file *f, const void *buf, size_t len);
CORIO_API int corio_file_close(corio_file *f);

#ifdef __cplusplus
}
#endif
#endif
