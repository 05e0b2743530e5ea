/* async mode: corio tasks sharing one client (a keep-alive pool per
 * origin), at most --concurrency requests in flight: that many workers
 * take the next URL of the list in turn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"

#include "check.h"

typedef struct async_run {
    const check_input *in;
    const check_opts *o;
    check_sink *sink;
    corio_http_client *client;
    FILE *f;
    char *line;
    size_t cap;
    uint64_t next;
    int failed;
} async_run;

static intptr_t worker(void *arg)
{
    async_run *a = arg;
    const char *url;
    /* Reading a line never blocks the loop for long: the list is a
     * regular file. */
    while (!a->failed && check_input_next(a->f, &a->line, &a->cap, &url) == 1) {
        uint64_t index = a->next++;
        char *copy = strdup(url);
        check_result r = {.outcome = -ENOMEM};
        if (copy)
            check_fetch_async(a->client, copy, a->o, corio_now() + a->o->timeout_ms, &r);
        free(copy);
        if (check_sink_add(a->sink, index, &r) < 0)
            a->failed = 1;
    }
    return 0;
}

static intptr_t run(void *arg)
{
    async_run *a = arg;
    unsigned n =
        a->o->concurrency < a->in->urls ? (unsigned)a->o->concurrency : (unsigned)a->in->urls;
    corio_http_client_opts co = {.max_per_host = n ? n : 1, .max_total = n ? n : 1};
    int rc = corio_http_client_new(&co, &a->client);
    if (rc < 0)
        return rc;
    /* Workers only wait on the network: small stacks keep 1000 of them
     * cheap. */
    corio_spawn_opts so = {.name = "check", .stack_size = 64 * 1024};
    corio_task *dump = NULL;
    tool_dump_start(&dump);
    corio_nursery *nursery;
    if ((rc = corio_nursery_open(&nursery)) == 0) {
        for (unsigned i = 0; i < n && rc == 0; i++)
            rc = corio_spawn_ex(nursery, worker, a, &so, NULL);
        intptr_t crc = corio_nursery_close(nursery);
        rc = rc < 0 ? rc : (int)crc;
    }
    tool_dump_stop(dump);
    corio_http_client_free(a->client);
    return rc;
}

int check_run_async(const check_input *in, const check_opts *o, check_sink *s)
{
    async_run a = {.in = in, .o = o, .sink = s, .f = check_input_reopen(in)};
    if (!a.f)
        return -errno;
    intptr_t rc = corio_run(run, &a);
    fclose(a.f);
    free(a.line);
    return rc < 0 ? (int)rc : a.failed ? -ENOMEM : 0;
}
