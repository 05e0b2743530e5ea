/* corio-pubsub: seed 004's "Publish and Subscribe", a streaming web
 * service. Subscribers hold a GET / stream of server-sent events; POST /
 * publishes to all of them; a browser gets a page that does both.
 *
 *     corio-pubsub [--host H] [--port N] [--history N] [--queue-limit N]
 *                  [--stall-ms MS] [--max-subscribers N] [--heartbeat SECONDS]
 *                  [--log-level LEVEL]
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "serve.h"
#include "server.h"

static const char prog[] = "corio-pubsub";

static void usage(void)
{
    printf("usage: %s [--host H] [--port N] [--history N] [--queue-limit N]\n"
           "                    [--stall-ms MS] [--max-subscribers N] [--heartbeat SECONDS]\n"
           "                    [--log-level LEVEL]\n"
           "Publish and subscribe over HTTP with server-sent events.\n"
           "  GET /            a text/event-stream of messages (a browser gets a page)\n"
           "  POST /?msg=TEXT  publishes TEXT (or POST the text as the body, up to 64 KiB)\n"
           "  GET /stats       subscribers, messages published, subscribers dropped,\n"
           "                   publishes held back and for how long (JSON)\n"
           "A publish waits while a subscriber's queue is over half full (it answers once\n"
           "the slowest reading subscriber has caught up to a quarter), so publishers go\n"
           "as fast as delivery and healthy subscribers miss nothing; one that takes\n"
           "nothing for --stall-ms while over half full is disconnected, as is one\n"
           "whose queue fills; either can reconnect with Last-Event-ID.\n"
           "Options:\n"
           "  --host H               address to listen on (default 127.0.0.1)\n"
           "  --port N               port (default 8080; 0: any free one, printed)\n"
           "  --history N            messages kept for Last-Event-ID replay (default 1000)\n"
           "  --queue-limit N        messages waiting for one subscriber before it is\n"
           "                         disconnected (default 1024)\n"
           "  --stall-ms MS          a subscriber holding publishers back this long without\n"
           "                         taking a message is disconnected (default 2000; 0:\n"
           "                         publishers never wait, only a full queue disconnects)\n"
           "  --max-subscribers N    streams open at once; beyond: 503 (default 10000)\n"
           "  --heartbeat SECONDS    comment on idle streams this often (default 15)\n"
           "  --log-level LEVEL      what the server logs on stderr: error, warn (default),\n"
           "                         info (also malformed requests, timeouts), debug or off\n",
           prog);
    exit(CLI_OK);
}

int main(int argc, char **argv)
{
    cli_log(prog, CLI_LOG_DEFAULT);
    tool_server srv = {.prog = prog, .host = "127.0.0.1", .port = 8080, .grace_ms = 1000};
    pubsub_server ps = {
        .limits = {.history = 1000,
                   .queue_limit = 1024,
                   .max_subscribers = 10000,
                   .stall_ms = 2000},
        .heartbeat_ms = 15000,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage();
        else if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--history"))
            ps.limits.history =
                (size_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 10000000);
        else if (!strcmp(a, "--queue-limit"))
            ps.limits.queue_limit =
                (size_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 1, 10000000);
        else if (!strcmp(a, "--stall-ms"))
            ps.limits.stall_ms = cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 3600000);
        else if (!strcmp(a, "--max-subscribers"))
            ps.limits.max_subscribers =
                (size_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 1000000);
        else if (!strcmp(a, "--heartbeat"))
            ps.heartbeat_ms = cli_seconds_ms(prog, a, cli_value(prog, argc, argv, &i));
        else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    if (corio_http_app_new(&srv.app) < 0 || pubsub_routes(srv.app, &ps) < 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return CLI_FAILURE;
    }
    int rc = tool_serve(&srv);
    corio_http_app_free(srv.app);
    return rc;
}
