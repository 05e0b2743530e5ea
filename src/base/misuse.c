#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "misuse.h"

_Noreturn void corio__misuse(const char *func, const char *msg)
{
    /* One writev: the line is not interleaved with other threads' output. */
    struct iovec iov[] = {
        {(void *)"corio: ", 7}, {(void *)func, strlen(func)},
        {(void *)": ", 2},      {(void *)msg, strlen(msg)},
        {(void *)"\n", 1},
    };
    ssize_t rc = writev(STDERR_FILENO, iov, 5);
    (void)rc; /* nothing better to do if stderr is gone: abort anyway */
    abort();
}
