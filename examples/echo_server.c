/* The trio tutorial's echo server (seed 002): every connection gets a task
 * that sends back every byte it receives; many connections at once. The
 * server parks a connection waiting for bytes (CORIO_SERVE_PARK): an idle
 * one holds no task, and its handler is called again when bytes come.
 *
 *     echo_server [--host H] [--port N]    (port 0: the kernel picks one)
 *
 * Prints "listening on H:PORT" and serves until SIGINT or SIGTERM. With
 * --protocol it uses asyncio's transport/protocol style: callbacks on the
 * loop, no task per connection. */
#include <stdio.h>

#include <corio/corio.h>

#include "server_args.h"

static server_args args = {
    .prog = "echo_server",
    .usage =
        "[--host H] [--port N] [--protocol]\nEchoes every byte back; port 0 picks a free one.\n"
        "--protocol: the transport/protocol callback style instead of a task per connection",
    .host = "127.0.0.1",
    .port = 12345,
    .flag = "--protocol",
};

static void echo_data(corio_transport *t, const void *data, size_t len, void *ctx)
{
    (void)ctx;
    corio_transport_write(t, data, len);
}

static const corio_protocol echo_protocol = {.data_received = echo_data};

/* Called when bytes have come: sends them back, then parks until more do. */
static intptr_t echo(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[16384];
    ssize_t n = corio_stream_read(s, buf, sizeof buf, -1);
    if (n <= 0 || corio_stream_write(s, buf, (size_t)n, -1) < 0)
        return 0;
    return CORIO_CONN_PARK;
}

/* Serves on l until cancelled: a task per connection, or the protocol's
 * callbacks. */
static int serve(corio_fd *l, void *unused)
{
    (void)unused;
    return args.flag_set ? corio_serve_protocol(l, &echo_protocol, NULL, NULL, -1)
                         : corio_serve_tcp_ex(l, echo, NULL, CORIO_SERVE_PARK, -1);
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    return stream_example_run(&args, serve);
}
