/* corio-pubsub: seed 004's "Publish and Subscribe", a streaming web
 * service. Subscribers hold a GET / stream of server-sent events; POST /
 * publishes to all of them; a browser gets a page that does both.
 *
 *     corio-pubsub [--host H] [--port N] [--history N] [--max-subscribers N]
 *                  [--hard-limit SIZE] [--hard-messages N] [--soft-limit SIZE]
 *                  [--soft-messages N] [--soft-seconds S] [--heartbeat SECONDS]
 *                  [--redis URL [--channel NAME]] [--log-level LEVEL]
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "serve.h"
#include "server.h"

static const char prog[] = "corio-pubsub";

static void usage(void)
{
    printf("usage: %s [--host H] [--port N] [--history N] [--max-subscribers N]\n"
           "                    [--hard-limit SIZE] [--hard-messages N] [--soft-limit SIZE]\n"
           "                    [--soft-messages N] [--soft-seconds S] [--heartbeat SECONDS]\n"
           "                    [--redis URL [--channel NAME]] [--log-level LEVEL]\n"
           "Publish and subscribe over HTTP with server-sent events.\n"
           "  GET /            a text/event-stream of messages (a browser gets a page);\n"
           "                   with Last-Event-ID: N, first the kept messages after N\n"
           "  POST /?msg=TEXT  publishes TEXT (or POST the text as the body, up to 64 KiB)\n"
           "  GET /stats       subscribers, messages published and held, subscribers\n"
           "                   dropped (JSON)\n"
           "A publish never waits for subscribers. Each message is stored once and shared\n"
           "by the history and every subscriber still to send it. A subscriber whose\n"
           "pending messages (published since it subscribed, not yet sent) go over a hard\n"
           "limit is disconnected at once; over a soft limit for longer than\n"
           "--soft-seconds, too. It can reconnect with Last-Event-ID and loses nothing\n"
           "kept in the history. SIZE is bytes, or with k, m or g (KiB, MiB, GiB); a\n"
           "limit of 0 is none.\n"
           "Options:\n"
           "  --host H               address to listen on (default 127.0.0.1)\n"
           "  --port N               port (default 8080; 0: any free one, printed)\n"
           "  --history N            messages kept for Last-Event-ID replay (default 1000)\n"
           "  --max-subscribers N    streams open at once; beyond: 503 (default 10000)\n"
           "  --hard-limit SIZE      pending bytes that disconnect a subscriber (default 32m)\n"
           "  --hard-messages N      pending messages that do (default 262144)\n"
           "  --soft-limit SIZE      pending bytes a subscriber may stay over for\n"
           "                         --soft-seconds (default 8m)\n"
           "  --soft-messages N      pending messages likewise (default 65536)\n"
           "  --soft-seconds S       how long (default 60)\n"
           "  --heartbeat SECONDS    comment on idle streams this often (default 15)\n"
           "  --redis URL            one service with every instance on this Redis\n"
           "                         (redis://host:port[/db] or unix:///path): messages go\n"
           "                         through the stream corio-pubsub:CHANNEL, capped near\n"
           "                         --history; event ids are its ids (\"MS-SEQ\"), usable as\n"
           "                         Last-Event-ID on any instance (docs/scale-out.md)\n"
           "  --channel NAME         the stream's name (default main)\n"
           "  --log-level LEVEL      what the server logs on stderr: error, warn (default),\n"
           "                         info (also malformed requests, timeouts), debug or off\n",
           prog);
    exit(CLI_OK);
}

/* Bytes, or KiB, MiB, GiB with a k, m or g suffix (either case). */
static size_t size_option(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    const char *units = "kmg";
    const char *unit = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
    int shift = unit ? 10 * (int)(unit - units + 1) : 0;
    if (!isdigit((unsigned char)*s) || errno || (*end && (!unit || end[1])) ||
        v > (1ULL << 40) >> shift)
        cli_usage_error(prog, "%s: expected bytes (up to 1 TiB, k, m or g allowed), not '%s'", opt,
                        s);
    return (size_t)(v << shift);
}

static size_t count_option(const char *opt, const char *s)
{
    return (size_t)cli_long(prog, opt, s, 0, 100000000);
}

int main(int argc, char **argv)
{
    cli_log(prog, CLI_LOG_DEFAULT);
    tool_server srv = {
        .prog = prog, .usage = usage, .host = "127.0.0.1", .port = 8080, .grace_ms = 1000};
    /* Redis's pub/sub defaults (32mb 8mb 60); the message counts are those
     * sizes in messages of about 128 bytes */
    pubsub_server ps = {
        .limits = {.history = 1000,
                   .max_subscribers = 10000,
                   .hard = {.bytes = 32 << 20, .messages = 262144},
                   .soft = {.bytes = 8 << 20, .messages = 65536},
                   .soft_ms = 60000},
        .heartbeat_ms = 15000,
        .channel = "main",
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--history"))
            ps.limits.history =
                (size_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 10000000);
        else if (!strcmp(a, "--max-subscribers"))
            ps.limits.max_subscribers =
                (size_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 1000000);
        else if (!strcmp(a, "--hard-limit"))
            ps.limits.hard.bytes = size_option(a, cli_value(prog, argc, argv, &i));
        else if (!strcmp(a, "--hard-messages"))
            ps.limits.hard.messages = count_option(a, cli_value(prog, argc, argv, &i));
        else if (!strcmp(a, "--soft-limit"))
            ps.limits.soft.bytes = size_option(a, cli_value(prog, argc, argv, &i));
        else if (!strcmp(a, "--soft-messages"))
            ps.limits.soft.messages = count_option(a, cli_value(prog, argc, argv, &i));
        else if (!strcmp(a, "--soft-seconds"))
            ps.limits.soft_ms = cli_seconds_ms(prog, a, cli_value(prog, argc, argv, &i));
        else if (!strcmp(a, "--redis"))
            ps.redis = cli_value(prog, argc, argv, &i);
        else if (!strcmp(a, "--channel"))
            ps.channel = cli_value(prog, argc, argv, &i);
        else if (!strcmp(a, "--heartbeat"))
            ps.heartbeat_ms = cli_seconds_ms(prog, a, cli_value(prog, argc, argv, &i));
        else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    bool built = corio_http_app_new(&srv.app) == 0 && pubsub_routes(srv.app, &ps) == 0;
    return tool_serve(&srv, built);
}
