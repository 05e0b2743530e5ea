/* One exchange with corio's HTTP client: async mode's tasks, and https in
 * the blocking modes (each such hop on a private loop in the calling
 * thread). The client follows no redirect: check_fetch does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

double check_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct client_exchange {
    corio_http_client *c;
    int64_t deadline; /* corio_now() ms */
} client_exchange;

static int exchange(void *ctx, const char *url, const check_opts *o, uint64_t *bytes,
                    char **location)
{
    /* Bodies are only counted: every task of a loop reads into one buffer. */
    static _Thread_local char discard[16384];
    client_exchange *x = ctx;
    corio_http_request_opts ro = {.method = o->head ? "HEAD" : "GET", .max_body = CHECK_MAX_BODY};
    corio_http_response *resp;
    int rc = corio_http_client_open(x->c, url, &ro, &resp, x->deadline);
    if (rc < 0)
        return rc;
    ssize_t n;
    while ((n = corio_http_response_read(resp, discard, sizeof discard)) > 0)
        *bytes += (uint64_t)n;
    rc = n < 0 ? (int)n : corio_http_response_status(resp);
    const char *loc = corio_http_response_header(resp, "Location");
    if (rc > 0 && loc && !(*location = strdup(loc)))
        rc = -ENOMEM;
    corio_http_response_free(resp);
    return rc;
}

void check_fetch_async(corio_http_client *c, const char *url, const check_opts *o, int64_t deadline,
                       check_result *r)
{
    client_exchange x = {c, deadline};
    corio_scope scope;
    int rc = corio_scope_enter(&scope, deadline, 0);
    if (rc < 0) {
        *r = (check_result){.outcome = rc};
        return;
    }
    check_fetch(url, o, o->follow ? CHECK_MAX_REDIRECTS : 0, exchange, &x, r);
    /* Whatever the deadline interrupted, the URL timed out. */
    if (corio_scope_exit(&scope) == -ETIMEDOUT)
        r->outcome = -ETIMEDOUT;
}

typedef struct private_exchange {
    const char *url;
    const check_opts *o;
    double deadline_ms; /* on check_now_ms's clock */
    uint64_t *bytes;
    char **location;
} private_exchange;

static intptr_t private_exchange_task(void *arg)
{
    private_exchange *p = arg;
    client_exchange x = {.deadline = corio_now() + (int64_t)(p->deadline_ms - check_now_ms())};
    int rc = corio_http_client_new(NULL, &x.c);
    if (rc < 0)
        return rc;
    corio_scope scope;
    if ((rc = corio_scope_enter(&scope, x.deadline, 0)) == 0) {
        rc = exchange(&x, p->url, p->o, p->bytes, p->location);
        if (corio_scope_exit(&scope) == -ETIMEDOUT)
            rc = -ETIMEDOUT;
    }
    corio_http_client_free(x.c);
    return rc;
}

int check_exchange_private_loop(const char *url, const check_opts *o, double deadline_ms,
                                uint64_t *bytes, char **location)
{
    private_exchange p = {url, o, deadline_ms, bytes, location};
    return (int)corio_run(private_exchange_task, &p);
}
