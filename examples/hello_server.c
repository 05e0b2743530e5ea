/* The plaintext benchmark server: GET / answers "Hello, World!" (keep-alive,
 * pipelining), on one loop or one loop per core with SO_REUSEPORT.
 *
 *     hello-server [--host H] [--port N] [--threads N] [--log-level LEVEL]
 *
 * SIGINT/SIGTERM stop it gracefully (requests in flight get 5 s). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "cli.h"
#include "serve.h"

static const char *const prog = "hello-server";

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    return corio_http_resp_text(resp, 200, "Hello, World!");
}

static void usage(void)
{
    printf("usage: hello-server [--host H] [--port N] [--threads N] [--log-level LEVEL]\n"
           "Answers GET / with \"Hello, World!\" (HTTP/1.1 keep-alive, pipelining).\n"
           "  --host H     address to listen on (default 127.0.0.1)\n"
           "  --port N     port (default 8080; 0: any free one, printed)\n"
           "  --threads N  loops, one per thread, sharing the port (default 1; 0: one per "
           "core)\n"
           "  --log-level L  error, warn (default), info, debug or off (on stderr)\n");
    exit(CLI_OK);
}

int main(int argc, char **argv)
{
    cli_log(prog, CLI_LOG_DEFAULT);
    tool_server srv = {.prog = prog,
                       .usage = usage,
                       .host = "127.0.0.1",
                       .port = 8080,
                       .grace_ms = 5000,
                       .threads = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--threads")) /* 0 (one per core) is ours */
            srv.threads = (unsigned)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 1024);
        else if (!tool_server_option(&srv, argc, argv, &i))
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    if (srv.threads == 0)
        srv.threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    bool built = corio_http_app_new(&srv.app) == 0 &&
                 corio_http_route(srv.app, "GET", "/", hello, NULL) == 0;
    return tool_serve(&srv, built);
}
