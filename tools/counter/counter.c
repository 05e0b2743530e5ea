/* corio-counter: seed 000's aiohttp counter. GET / adds one to a counter
 * that lives in the app's state (set up by an on_startup hook, as the
 * talk's init_counter), waits --delay ms (the talk's "await sleep(1)") and
 * answers the value it took, as text. One loop serves every request, so
 * concurrent clients never lose an update. With --redis URL the counter is
 * the Redis key corio:counter (INCR), so several servers on one Redis count
 * together, still without a lost update.
 *
 *     corio-counter [--host H] [--port N] [--delay MS] [--redis URL]
 *                   [--log-level LEVEL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

static const char prog[] = "corio-counter";

#define REDIS_KEY "corio:counter"

typedef struct counter_state {
    long counter;
    int delay_ms;
    const char *redis_url;   /* NULL: the counter is in the process */
    corio_redis_pool *redis; /* connections for the requests of the loop */
} counter_state;

/* Connects once at startup, so that an unreachable Redis stops the server
 * with a message rather than fail every request. */
static int open_redis(counter_state *st)
{
    int rc = corio_redis_pool_new(st->redis_url, NULL, 16, &st->redis);
    corio_redis *c;
    if (rc == 0 && (rc = corio_redis_pool_acquire(st->redis, &c, corio_now() + 5000)) == 0)
        corio_redis_pool_release(st->redis, c);
    if (rc < 0) {
        corio_redis_pool_free(st->redis);
        st->redis = NULL;
        const char *why = rc == -CORIO_ESERVER ? corio_redis_connect_errstr() : corio_strerror(rc);
        fprintf(stderr, "%s: %s: %s\n", prog, st->redis_url, why);
    }
    return rc;
}

static int init_counter(corio_http_app *app, void *arg)
{
    counter_state *st = arg;
    st->counter = 0;
    corio_http_app_set_state(app, st);
    return st->redis_url ? open_redis(st) : 0;
}

static int close_counter(corio_http_app *app, void *arg)
{
    (void)app;
    counter_state *st = arg;
    if (st->redis)
        corio_redis_pool_free(st->redis);
    st->redis = NULL;
    return 0;
}

static int next_value(counter_state *st, long *value)
{
    if (!st->redis) {
        *value = ++st->counter;
        return 0;
    }
    corio_redis *c;
    int rc = corio_redis_pool_acquire(st->redis, &c, corio_now() + 5000);
    if (rc < 0)
        return rc;
    long long v = 0;
    rc = corio_redis_int(c, &v, corio_now() + 5000, "INCR %s", REDIS_KEY);
    corio_redis_pool_release(st->redis, c);
    *value = (long)v;
    return rc;
}

static int counter_handler(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    counter_state *st = corio_http_app_state(corio_http_req_app(req));
    long value; /* taken before the wait, as the talk's handler does */
    int rc = next_value(st, &value);
    if (rc < 0)
        return corio_http_resp_text(resp, 503, "counter unavailable\n");
    rc = corio_sleep(st->delay_ms);
    if (rc < 0)
        return rc;
    char text[32];
    snprintf(text, sizeof text, "%ld", value);
    return corio_http_resp_text(resp, 200, text);
}

static void usage(void)
{
    printf("usage: %s [--host H] [--port N] [--delay MS] [--redis URL] [--log-level LEVEL]\n"
           "GET / increments a shared counter, waits, and answers its value.\n"
           "  --host H           address to listen on (default 127.0.0.1)\n"
           "  --port N           port (default 8080; 0: any free one, printed)\n"
           "  --delay MS         wait before answering (default 1000)\n"
           "  --redis URL        keep the counter in Redis (key " REDIS_KEY "), shared by\n"
           "                     every server on it: redis://[:password@]host[:port][/db],\n"
           "                     rediss://..., unix:///path[?db=N]\n"
           "  --log-level LEVEL  what the server logs on stderr: error, warn (default),\n"
           "                     info (also malformed requests, timeouts), debug or off\n",
           prog);
    exit(CLI_OK);
}

int main(int argc, char **argv)
{
    cli_log(prog, CLI_LOG_DEFAULT);
    tool_server srv = {
        .prog = prog, .usage = usage, .host = "127.0.0.1", .port = 8080, .grace_ms = 5000};
    counter_state st = {.delay_ms = 1000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--delay"))
            st.delay_ms = (int)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 3600000);
        else if (!strcmp(a, "--redis"))
            st.redis_url = cli_value(prog, argc, argv, &i);
        else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    bool built = corio_http_app_new(&srv.app) == 0 &&
                 corio_http_on_startup(srv.app, init_counter, &st) == 0 &&
                 corio_http_on_shutdown(srv.app, close_counter, &st) == 0 &&
                 corio_http_route(srv.app, "GET", "/", counter_handler, NULL) == 0;
    return tool_serve(&srv, built);
}
