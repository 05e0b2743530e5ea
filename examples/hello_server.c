/* The plaintext benchmark server: GET / answers "Hello, World!" (keep-alive,
 * pipelining), on one loop or one loop per core with SO_REUSEPORT.
 *
 *     hello-server [--host H] [--port N] [--threads N]
 *
 * SIGINT/SIGTERM stop it gracefully (requests in flight get 5 s). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <corio/corio.h>

static const char *host = "127.0.0.1";
static int port = 8080;
static unsigned threads = 1;
static corio_http_app *app;

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    return corio_http_resp_text(resp, 200, "Hello, World!");
}

static intptr_t stop_on_signal(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (corio_signal_wait(&set, -1) > 0)
        corio_http_stop(app, 5000);
    return 0;
}

static intptr_t serve(void *arg)
{
    (void)arg;
    corio_fd *l;
    int rc = corio_tcp_listen_ex(host, port, 0, threads > 1 ? CORIO_LISTEN_REUSEPORT : 0, &l);
    if (rc < 0) {
        fprintf(stderr, "hello-server: cannot listen on %s:%d: %s\n", host, port,
                corio_strerror(rc));
        return rc;
    }
    corio_task *watch = NULL;
    if (corio_loop_index() == 0) {
        printf("listening on http://%s:%d\n", host, corio_tcp_local_port(l));
        fflush(stdout);
        corio_spawn(NULL, stop_on_signal, NULL, &watch);
    }
    rc = corio_http_serve(app, l, NULL);
    if (watch)
        corio_task_cancel(watch);
    corio_fd_close(l);
    return rc;
}

static void usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "hello-server: %s '%s' (try --help)\n", msg, arg);
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: hello-server [--host H] [--port N] [--threads N]\n"
                   "Answers GET / with \"Hello, World!\" (HTTP/1.1 keep-alive, pipelining).\n"
                   "  --host H     address to listen on (default 127.0.0.1)\n"
                   "  --port N     port (default 8080; 0: any free one, printed)\n"
                   "  --threads N  loops, one per thread, sharing the port (default 1; 0: one per "
                   "core)\n");
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("hello-server (corio) %s\n", corio_version());
            return 0;
        }
        if (i + 1 >= argc)
            usage_error("missing value or unknown argument", a);
        char *end;
        if (!strcmp(a, "--host")) {
            host = argv[++i];
        } else if (!strcmp(a, "--port")) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || !*argv[i] || v < 0 || v > 65535)
                usage_error("--port: not a port number:", argv[i]);
            port = (int)v;
        } else if (!strcmp(a, "--threads")) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || !*argv[i] || v < 0 || v > 1024)
                usage_error("--threads: not a thread count:", argv[i]);
            threads = (unsigned)v;
        } else {
            usage_error("unknown argument", a);
        }
    }
    if (threads == 0)
        threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    /* Every loop thread inherits the mask, so the signal waits in loop 0. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (corio_http_app_new(&app) < 0 || corio_http_route(app, "GET", "/", hello, NULL) < 0) {
        fprintf(stderr, "hello-server: out of memory\n");
        return 1;
    }
    intptr_t rc = threads > 1 ? corio_run_threads(threads, serve, NULL) : corio_run(serve, NULL);
    corio_http_app_free(app);
    return rc < 0 ? 1 : 0;
}
