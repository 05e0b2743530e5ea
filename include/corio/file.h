/* Files through the thread pool (regular files are always "ready" to epoll,
 * so their reads and writes block: they run on a pool thread while the
 * calling task waits and the loop runs on).
 *
 * Every call here but close waits for the pool (corio_to_thread), so besides
 * the system's errors of the file call (-ENOENT, -EACCES, -EISDIR, -ENOSPC,
 * ...) each can return -EAGAIN (no pool thread could be started), -ENOMEM,
 * and -EINVAL for a NULL path, out-pointer or buffer (with len > 0). Misuse
 * (aborts): a call outside a task; a NULL file handle. */
#ifndef CORIO_FILE_H
#define CORIO_FILE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the whole file into a malloc'd buffer (NUL-terminated for text's
 * sake; *len excludes the NUL). Errors: -EFBIG it is larger than max bytes
 * (0: 1 GiB); -ECANCELED the task was cancelled (the read finishes in the
 * background and is dropped); the errors above. */
CORIO_API int corio_file_read_all(const char *path, size_t max, void **data, size_t *len);

/* Creates or truncates path and writes len bytes; with append, appends.
 * Errors: -ECANCELED (the write still completes in the background: data is
 * copied first); the errors above. */
CORIO_API int corio_file_write_all(const char *path, const void *data, size_t len, bool append);

/* Streaming a file: sequential reads and writes from its current offset. */
typedef struct corio_file corio_file;
/* flags as for open(2) (O_RDONLY, O_WRONLY | O_CREAT | O_TRUNC, ...); mode
 * for O_CREAT. Errors: open(2)'s (-ENOENT, -EACCES, ...); -ECANCELED (a file
 * opened meanwhile is closed); the errors above. */
CORIO_API int corio_file_open(const char *path, int flags, int mode, corio_file **out);
/* One read(2) / write(2) at the current offset: the count (0 at end of
 * file for a read), or the call's negative errno (-EIO, -ENOSPC, -EBADF not
 * opened for that direction, ...); the errors above. Not cancellable once
 * started (they are short): no -ECANCELED. */
CORIO_API ssize_t corio_file_read(corio_file *f, void *buf, size_t len);
CORIO_API ssize_t corio_file_write(corio_file *f, const void *buf, size_t len);
/* Closes f (NULL: 0). Returns close(2)'s error (-EIO: earlier writes may be
 * lost), f being freed anyway. */
CORIO_API int corio_file_close(corio_file *f);

#ifdef __cplusplus
}
#endif
#endif
