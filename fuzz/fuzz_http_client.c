/* libFuzzer target: arbitrary bytes as a server's answer to the client
 * (status line, headers, chunked / length / close-delimited bodies, gzip),
 * over a real loopback connection. Any input must give a response or a
 * clean error, never a crash or a hang. */
#include <stdint.h>

#include <corio/corio.h>

#include "canned_server.h"

static intptr_t one(void *arg)
{
    (void)arg;
    canned_server cs;
    if (canned_start(&cs, "http", "/") < 0)
        return 0;
    corio_http_request_opts o = {.gzip = canned_len & 1, .max_body = 1 << 16, .max_redirects = 0};
    corio_http_response *r;
    if (corio_http_get(cs.url, &o, &r, corio_now() + 2000) == 0) {
        corio_http_response_header(r, "Location");
        corio_http_response_free(r);
    }
    canned_stop(&cs);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return canned_run(data, size, one);
}
