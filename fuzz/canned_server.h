/* What the client fuzz targets share: a loopback TCP server that answers
 * every connection's first read with the input, whatever was asked, and the
 * libFuzzer entry that runs a client against it. */
#ifndef CORIO_FUZZ_CANNED_SERVER_H
#define CORIO_FUZZ_CANNED_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include <corio/corio.h>

static const uint8_t *canned_input;
static size_t canned_len;

static intptr_t canned_answer(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[4096];
    corio_stream_read(s, buf, sizeof buf, corio_now() + 1000); /* what the client sent */
    corio_stream_write(s, canned_input, canned_len, corio_now() + 1000);
    return 0;
}

static intptr_t canned_serve(void *arg)
{
    corio_serve_tcp(arg, canned_answer, NULL, -1);
    return 0;
}

typedef struct canned_server {
    corio_fd *listener;
    corio_task *task;
    char url[64]; /* SCHEME://127.0.0.1:PORT followed by the path */
} canned_server;

/* Starts the server on a port the OS picks. A negative errno when it
 * cannot: the machine's fault, not the input's, so the caller skips the
 * input rather than report a crash. */
static int canned_start(canned_server *cs, const char *scheme, const char *path)
{
    int rc = corio_tcp_listen("127.0.0.1", 0, 0, &cs->listener);
    if (rc < 0)
        return rc;
    if ((rc = corio_spawn(NULL, canned_serve, cs->listener, &cs->task)) < 0) {
        corio_fd_close(cs->listener);
        return rc;
    }
    snprintf(cs->url, sizeof cs->url, "%s://127.0.0.1:%d%s", scheme,
             corio_tcp_local_port(cs->listener), path);
    return 0;
}

static void canned_stop(canned_server *cs)
{
    corio_task_cancel(cs->task);
    corio_join(cs->task, NULL, -1);
    corio_task_release(cs->task);
    corio_fd_close(cs->listener);
}

/* The body of LLVMFuzzerTestOneInput: runs client as the root task with
 * the input as the server's answer (inputs over 60000 bytes are skipped). */
static int canned_run(const uint8_t *data, size_t size, corio_fn *client)
{
    if (size > 60000)
        return 0;
    canned_input = data;
    canned_len = size;
    corio_run(client, NULL);
    return 0;
}

#endif
