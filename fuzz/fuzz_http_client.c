/* libFuzzer target: arbitrary bytes as a server's answer to the client
 * (status line, headers, chunked / length / close-delimited bodies, gzip),
 * over a real loopback connection. Any input must give a response or a
 * clean error, never a crash or a hang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

static const uint8_t *input;
static size_t input_len;

static intptr_t answer(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[4096];
    corio_stream_read(s, buf, sizeof buf, corio_now() + 1000); /* the request */
    corio_stream_write(s, input, input_len, corio_now() + 1000);
    return 0;
}

static intptr_t server(void *arg)
{
    corio_serve_tcp(arg, answer, NULL, -1);
    return 0;
}

static intptr_t one(void *arg)
{
    (void)arg;
    corio_fd *l;
    /* No port (the machine's, not the input's fault): this input is
     * skipped, not reported as a crash. */
    if (corio_tcp_listen("127.0.0.1", 0, 0, &l) < 0)
        return 0;
    corio_task *t;
    if (corio_spawn(NULL, server, l, &t) < 0) {
        corio_fd_close(l);
        return 0;
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", corio_tcp_local_port(l));
    corio_http_request_opts o = {.gzip = input_len & 1, .max_body = 1 << 16, .max_redirects = 0};
    corio_http_response *r;
    if (corio_http_get(url, &o, &r, corio_now() + 2000) == 0) {
        corio_http_response_header(r, "Location");
        corio_http_response_free(r);
    }
    corio_task_cancel(t);
    corio_join(t, NULL, -1);
    corio_task_release(t);
    corio_fd_close(l);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 60000)
        return 0;
    input = data;
    input_len = size;
    corio_run(one, NULL);
    return 0;
}
