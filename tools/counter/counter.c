/* corio-counter: seed 000's aiohttp counter. GET / adds one to a counter
 * that lives in the app's state (set up by an on_startup hook, as the
 * talk's init_counter), waits --delay ms (the talk's "await sleep(1)") and
 * answers the value it took, as text. One loop serves every request, so
 * concurrent clients never lose an update.
 *
 *     corio-counter [--host H] [--port N] [--delay MS] [--log-level LEVEL]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

static const char prog[] = "corio-counter";

typedef struct counter_state {
    long counter;
    int delay_ms;
} counter_state;

static int init_counter(corio_http_app *app, void *arg)
{
    counter_state *st = arg;
    st->counter = 0;
    corio_http_app_set_state(app, st);
    return 0;
}

static int counter_handler(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    counter_state *st = corio_http_app_state(corio_http_req_app(req));
    long value = ++st->counter; /* taken before the wait, as the talk's handler does */
    int rc = corio_sleep(st->delay_ms);
    if (rc < 0)
        return rc;
    char text[32];
    snprintf(text, sizeof text, "%ld", value);
    return corio_http_resp_text(resp, 200, text);
}

static void usage(void)
{
    printf("usage: %s [--host H] [--port N] [--delay MS] [--log-level LEVEL]\n"
           "GET / increments a shared counter, waits, and answers its value.\n"
           "  --host H           address to listen on (default 127.0.0.1)\n"
           "  --port N           port (default 8080; 0: any free one, printed)\n"
           "  --delay MS         wait before answering (default 1000)\n"
           "  --log-level LEVEL  what the server logs on stderr: error, warn (default),\n"
           "                     info (also malformed requests, timeouts), debug or off\n",
           prog);
    exit(CLI_OK);
}

int main(int argc, char **argv)
{
    cli_log(prog, CLI_LOG_DEFAULT);
    tool_server srv = {.prog = prog, .host = "127.0.0.1", .port = 8080, .grace_ms = 5000};
    counter_state st = {.delay_ms = 1000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage();
        else if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--delay"))
            st.delay_ms = (int)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 3600000);
        else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    if (corio_http_app_new(&srv.app) < 0 || corio_http_on_startup(srv.app, init_counter, &st) < 0 ||
        corio_http_route(srv.app, "GET", "/", counter_handler, NULL) < 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return CLI_FAILURE;
    }
    int rc = tool_serve(&srv);
    corio_http_app_free(srv.app);
    return rc;
}
