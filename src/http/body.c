/* A message body parsed out of a buffer by llhttp: the server's request
 * bodies and the client's response bodies are read the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int corio__http_body_span(http_body *b, const char *at, size_t len)
{
    /* llhttp_execute ends an open span even on empty input: pausing there
     * would hand out nothing and get poked again, forever. */
    if (len == 0)
        return 0;
    b->pending = at;
    b->pending_len = len;
    return HPE_PAUSED;
}

int corio__http_body_end(http_body *b)
{
    b->done = true;
    return HPE_PAUSED;
}

size_t corio__http_body_take(http_body *b, void *buf, size_t len)
{
    if (!b->pending_len)
        return 0;
    size_t n = b->pending_len < len ? b->pending_len : len;
    memcpy(buf, b->pending, n);
    b->pending += n;
    b->pending_len -= n;
    b->total += n;
    return n;
}

bool corio__http_body_wants_input(const http_body *b, size_t parsed, size_t end)
{
    return parsed == end && !b->poke;
}

int corio__http_body_step(http_body *b, llhttp_t *p, const char *buf, size_t *parsed, size_t end)
{
    /* After a pause at the end of a body span, the parser may still have
     * steps to take without input (the end of the message): poke it. */
    bool fed = *parsed < end;
    b->poke = false;
    llhttp_errno_t e = llhttp_execute(p, buf + *parsed, end - *parsed);
    if (e == HPE_PAUSED) {
        *parsed = (size_t)(llhttp_get_error_pos(p) - buf);
        llhttp_resume(p);
        b->poke = fed && !b->done;
        return 0;
    }
    if (e != HPE_OK)
        return -EBADMSG;
    *parsed = end;
    return 0;
}

int corio__http_body_whole(ssize_t (*read)(void *arg, void *buf, size_t len), void *arg, size_t cap,
                           size_t max, char **out, size_t *len)
{
    size_t n = 0;
    char *b = malloc(cap);
    if (!b)
        return -ENOMEM;
    for (;;) {
        if (cap - n < 2) {
            char *bigger = realloc(b, cap * 2);
            if (!bigger) {
                free(b);
                return -ENOMEM;
            }
            b = bigger;
            cap *= 2;
        }
        ssize_t got = read(arg, b + n, cap - 1 - n);
        if (got == 0)
            break;
        if (got < 0 || (n += (size_t)got) > max) {
            free(b);
            return got < 0 ? (int)got : -EMSGSIZE;
        }
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}
