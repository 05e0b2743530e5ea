/* The trio tutorial's echo server (seed 002): every connection gets a task
 * that sends back every byte it receives; many connections at once.
 *
 *     echo_server [--host H] [--port N]    (port 0: the kernel picks one)
 *
 * Prints "listening on H:PORT" and serves until SIGINT or SIGTERM. With
 * --protocol it uses asyncio's transport/protocol style: callbacks on the
 * loop, no task per connection. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

static const char *host = "127.0.0.1";
static int port = 12345;
static int protocol_style; /* --protocol: callbacks, no task per connection */

static void echo_data(corio_transport *t, const void *data, size_t len, void *ctx)
{
    (void)ctx;
    corio_transport_write(t, data, len);
}

static const corio_protocol echo_protocol = {.data_received = echo_data};

static intptr_t echo(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[16384];
    ssize_t n;
    while ((n = corio_stream_read(s, buf, sizeof buf, -1)) > 0)
        if (corio_stream_write(s, buf, (size_t)n, -1) < 0)
            break;
    return 0;
}

static intptr_t serve(void *arg)
{
    (void)arg;
    corio_fd *l;
    int rc = corio_tcp_listen(host, port, 0, &l);
    if (rc < 0) {
        fprintf(stderr, "echo_server: cannot listen on %s:%d: %s\n", host, port, corio_strerror(rc));
        return rc;
    }
    printf("listening on %s:%d\n", host, corio_tcp_local_port(l));
    rc = protocol_style ? corio_serve_protocol(l, &echo_protocol, NULL, NULL) : corio_serve_tcp(l, echo, NULL);
    corio_fd_close(l);
    return rc == -ECANCELED ? 0 : rc;
}

static intptr_t main_task(void *arg)
{
    (void)arg;
    corio_task *srv;
    int rc = corio_spawn(NULL, serve, NULL, &srv);
    if (rc < 0)
        return rc;
    int sig = corio_signal_wait_shutdown(srv); /* SIGINT/SIGTERM cancel the server */
    intptr_t r;
    corio_join(srv, &r);
    if (sig > 0)
        fprintf(stderr, "echo_server: %s, stopped\n", strsignal(sig));
    return r;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s [--host H] [--port N] [--protocol]\nEchoes every byte back; port 0 picks a free "
                   "one.\n--protocol: the transport/protocol callback style instead of a task per connection\n",
                   argv[0]);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("echo_server (corio) %s\n", corio_version());
            return 0;
        } else if (!strcmp(argv[i], "--protocol")) {
            protocol_style = 1;
        } else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
            host = argv[++i];
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "echo_server: --port: not a port number: '%s'\n", argv[i]);
                return 2;
            }
            port = (int)p;
        } else {
            fprintf(stderr, "echo_server: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return corio_run(main_task, NULL) < 0 ? 1 : 0;
}
