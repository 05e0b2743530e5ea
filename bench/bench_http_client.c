/* bench-http-client: N GETs over C keep-alive connections with one corio
 * client session (C tasks, each looping over requests). Prints one JSON
 * line: requests/s and CPU per request. usage: bench-http-client URL N C */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <corio/corio.h>

static const char *url;
static long left, failed;
static corio_http_client *client;

static intptr_t worker(void *arg)
{
    (void)arg;
    while (left > 0) {
        left--;
        corio_http_response *r;
        if (corio_http_client_request(client, url, NULL, &r, -1) < 0) {
            failed++;
            continue;
        }
        if (corio_http_response_status(r) != 200)
            failed++;
        corio_http_response_free(r);
    }
    return 0;
}

static intptr_t run(void *arg)
{
    long c = (long)(intptr_t)arg;
    corio_http_client_opts o = {.max_per_host = (unsigned)c, .max_total = (unsigned)c};
    corio_nursery *n;
    if (corio_http_client_new(&o, &client) < 0 || corio_nursery_open(&n) < 0)
        return -1;
    for (long i = 0; i < c; i++)
        corio_spawn(n, worker, NULL, NULL);
    corio_nursery_close(n);
    corio_http_client_free(client);
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-http-client URL N C\n");
        return 2;
    }
    url = argv[1];
    long n = atol(argv[2]), c = atol(argv[3]);
    if (n <= 0 || c <= 0) {
        fprintf(stderr, "bench-http-client: N and C must be positive\n");
        return 2;
    }
    left = n;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double c0 = cpu_seconds();
    intptr_t rc = corio_run(run, (void *)(intptr_t)c);
    double cpu = cpu_seconds() - c0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"requests\": %ld, \"failed\": %ld, \"rps\": %.0f, \"cpu_us_per_req\": %.2f}\n", n,
           failed, n / wall, cpu / n * 1e6);
    return rc < 0 || failed ? 1 : 0;
}
