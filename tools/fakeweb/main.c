/* corio-fakeweb: serves the fake web (routes.c, graph.c) or, as
 * `corio-fakeweb urls`, prints URL lists for it (urls.c). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"
#include "fakeweb.h"

static const char *const prog = "corio-fakeweb";

static void usage(void)
{
    printf("usage: corio-fakeweb [--host H] [--port N] [--threads N] [--seed S] [--pages N]\n"
           "                     [--page-delay MS] [--log-level LEVEL]\n"
           "       corio-fakeweb urls --count N --base URL [--mix SPEC] [--delay A-B] [--seed S]\n"
           "\n"
           "A local web for checkers and crawlers: the path decides the answer.\n"
           "  /status/{code}      that status (3xx ones redirect to /status/200)\n"
           "  /delay/{ms}         200 after that long; ?delay=MS does the same on any path\n"
           "  /bytes/{n}          n pseudo-random bytes (by --seed)\n"
           "  /redirect/{n}       302 to /redirect/{n-1} (query kept); /redirect/0 is 200\n"
           "  /hang               accepts and never answers\n"
           "  /reset              closes the connection with RST\n"
           "  /chunked/{n}        n chunks, Transfer-Encoding: chunked\n"
           "  /robots.txt         \"User-agent: *\\nDisallow: /private/\\n\"; /private/... is 200\n"
           "  /site/{i}/page/{j}  the link graph (any site i >= 0; page j < --pages, else 404):\n"
           "      text/html; charset=utf-8 with these <a href> links, in this order:\n"
           "      1. /site/i/page/((j+1)%%N)          2. ../page/K1\n"
           "      3. http://HOST/site/i/page/K2      4. //HOST/site/i/page/K3#sec\n"
           "      5. #top                            6. https://offsite.example/page/K4\n"
           "      7. mailto:someone@example.com      8. /site/i/page/((j+1)%%N) again\n"
           "      HOST is the request's Host header; K1..K4 in [0, N) are splitmix64 draws of\n"
           "      (seed, i, j) (see docs/tools.md). From /site/i/page/0 exactly the N pages of\n"
           "      site i are reachable on the same host.\n"
           "\n"
           "  --host H          address to listen on (default 127.0.0.1)\n"
           "  --port N          port (default 8000; 0: a free one); prints\n"
           "                    'listening on http://HOST:PORT' once listening\n"
           "  --threads N       loops, one per thread, sharing the port (default 1)\n"
           "  --seed S          link graph and /bytes content (default 1)\n"
           "  --pages N         pages per site of the link graph (default 1000)\n"
           "  --page-delay MS   delay before every graph page answer (default 0)\n"
           "  --log-level LEVEL what the server logs on stderr: error, warn (default),\n"
           "                    info (also malformed requests, timeouts), debug or off\n"
           "SIGINT/SIGTERM stop it gracefully (requests in flight get 1 s).\n");
    exit(CLI_OK);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "urls"))
        return fakeweb_urls_main(argc - 1, argv + 1);
    cli_log(prog, CLI_LOG_DEFAULT);
    static fakeweb_opts opts = {.seed = 1, .pages = 1000};
    tool_server srv = {.prog = prog,
                       .usage = usage,
                       .host = "127.0.0.1",
                       .port = 8000,
                       .grace_ms = 1000,
                       .threads = 1,
                       .backlog = 4096 /* a checker opens 1000 at once */};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--seed"))
            opts.seed = (uint64_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, LONG_MAX);
        else if (!strcmp(a, "--pages"))
            opts.pages = (uint64_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 1, LONG_MAX);
        else if (!strcmp(a, "--page-delay"))
            opts.page_delay = (int)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 3600000);
        else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    bool built = corio_http_app_new(&srv.app) == 0 && fakeweb_add_routes(srv.app, &opts) == 0;
    if (built) {
        corio_http_limits lim = {.max_connections = 100000};
        corio_http_app_set_limits(srv.app, &lim);
    }
    return tool_serve(&srv, built);
}
