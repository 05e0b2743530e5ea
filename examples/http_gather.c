/* The talks' aiohttp client: five GETs at once with gather, the total time
 * about the slowest answer, not the sum.
 *
 *     http_gather [--url BASE] [--unit-ms MS]
 *
 * Without --url it starts its own server whose /delay/{ms} answers after ms
 * milliseconds, and fetches /delay/(i * unit) for i = 1..5. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "demo_args.h"

#define N 5

static char base[256];
static long unit_ms;
static corio_http_client *client;

static int delayed(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = corio_sleep(atoi(corio_http_req_param(req, "ms")));
    return rc ? rc : corio_http_resp_text(resp, 200, corio_http_req_path(req));
}

static intptr_t fetch(void *arg)
{
    int i = (int)(intptr_t)arg;
    char url[512];
    snprintf(url, sizeof url, "%s/delay/%ld", base, (long)(i * unit_ms));
    corio_http_response *r;
    int rc = corio_http_client_request(client, url, NULL, &r, -1);
    if (rc < 0) {
        printf("GET %s: %s (%s)\n", url, corio_strerror(rc), corio_http_error_class(rc));
        return rc;
    }
    const char *body;
    corio_http_response_body(r, &body, NULL);
    printf("GET %s -> %d %s\n", url, corio_http_response_status(r), body);
    corio_http_response_free(r);
    return 0;
}

static intptr_t serve(void *app)
{
    corio_fd *l = corio_http_app_state(app);
    int rc = corio_http_serve(app, l, NULL, -1);
    return rc == -ECANCELED ? 0 : rc;
}

static intptr_t run(void *arg)
{
    (void)arg;
    corio_http_app *app = NULL;
    corio_task *server = NULL;
    corio_fd *l = NULL;
    if (!base[0]) { /* our own server on a free port */
        if (corio_http_app_new(&app) < 0 ||
            corio_http_route(app, "GET", "/delay/{ms}", delayed, NULL) < 0 ||
            corio_tcp_listen("127.0.0.1", 0, 0, &l) < 0)
            return -1;
        corio_http_app_set_state(app, l);
        snprintf(base, sizeof base, "http://127.0.0.1:%d", corio_tcp_local_port(l));
        corio_spawn(NULL, serve, app, &server);
    }
    corio_http_client_opts o = {.max_per_host = N};
    if (corio_http_client_new(&o, &client) < 0)
        return -1;
    corio_task *t[N];
    corio_future *fs[N];
    int64_t t0 = corio_now();
    for (int i = 0; i < N; i++) {
        corio_spawn(NULL, fetch, (void *)(intptr_t)(i + 1), &t[i]);
        fs[i] = corio_task_future(t[i]);
    }
    intptr_t results[N];
    int rc = corio_gather(fs, N, results, 0, -1);
    printf("%d requests in %.2f s (one after another: %.2f s)\n", N,
           (double)(corio_now() - t0) / 1000, (double)(15 * unit_ms) / 1000);
    for (int i = 0; i < N; i++)
        corio_task_release(t[i]);
    corio_http_client_free(client);
    if (server) {
        corio_task_cancel(server);
        corio_join(server, NULL, -1);
        corio_task_release(server);
        corio_fd_close(l);
        corio_http_app_free(app);
    }
    return rc;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--url") && i + 1 < argc) {
            snprintf(base, sizeof base, "%s", argv[i + 1]);
            memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 2) * sizeof *argv);
            argc -= 2;
            i--;
        }
    }
    unit_ms = demo_unit_ms(argc, argv, 100,
                           "Five GETs at once with gather (--url BASE: against BASE/delay/MS; "
                           "default: a server of its own)");
    return demo_run("http_gather", run);
}
