/* One URL with corio's HTTP client: async mode's tasks, and https in the
 * blocking modes (each such URL on a private loop in the calling thread). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "check.h"

double check_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int check_url_valid(const char *url)
{
    corio_url u;
    int rc = corio_url_parse(url, &u);
    if (rc == 0 && (!u.scheme || !u.host || !*u.host ||
                    (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))))
        rc = -EINVAL;
    corio_url_free(&u);
    return rc == -ENOMEM ? rc : rc < 0 ? -EINVAL : 0;
}

void check_fetch_async(corio_http_client *c, const char *url, const check_opts *o, int64_t deadline,
                       int max_redirects, check_result *r)
{
    /* Bodies are only counted: every task of a loop reads into one buffer. */
    static _Thread_local char discard[16384];
    int64_t t0 = corio_now_ns();
    *r = (check_result){0};
    corio_http_request_opts ro = {.method = o->head ? "HEAD" : "GET",
                                  .max_redirects = max_redirects};
    corio_http_response *resp = NULL;
    corio_scope scope;
    int rc = check_url_valid(url);
    if (rc == 0 && (rc = corio_scope_enter(&scope, deadline, 0)) == 0) {
        rc = corio_http_client_open(c, url, &ro, &resp, deadline);
        ssize_t n = 0;
        while (rc == 0 && (n = corio_http_response_read(resp, discard, sizeof discard)) > 0)
            r->bytes += (uint64_t)n;
        if (rc == 0 && n < 0)
            rc = (int)n;
        if (rc == 0)
            rc = corio_http_response_status(resp);
        corio_http_response_free(resp);
        /* Whatever the deadline interrupted, the URL timed out. */
        if (corio_scope_exit(&scope) == -ETIMEDOUT)
            rc = -ETIMEDOUT;
    }
    r->outcome = rc;
    r->ms = (float)((corio_now_ns() - t0) / 1e6);
}

typedef struct private_fetch {
    const char *url;
    const check_opts *o;
    double deadline_ms; /* on check_now_ms's clock */
    int max_redirects;
    check_result *r;
} private_fetch;

static intptr_t private_fetch_task(void *arg)
{
    private_fetch *p = arg;
    corio_http_client *c;
    int rc = corio_http_client_new(NULL, &c);
    if (rc < 0) {
        *p->r = (check_result){.outcome = rc};
        return 0;
    }
    int64_t deadline = corio_now() + (int64_t)(p->deadline_ms - check_now_ms());
    check_fetch_async(c, p->url, p->o, deadline, p->max_redirects, p->r);
    corio_http_client_free(c);
    return 0;
}

void check_fetch_private_loop(const char *url, const check_opts *o, double deadline_ms,
                              int max_redirects, check_result *r)
{
    private_fetch p = {url, o, deadline_ms, max_redirects, r};
    intptr_t rc = corio_run(private_fetch_task, &p);
    if (rc < 0)
        *r = (check_result){.outcome = (int32_t)rc};
}
