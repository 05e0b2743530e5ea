/* Anchor for bench-echo: libuv's echo server (the libuv docs' example
 * shape), port from argv[1] (0: any), prints "listening on 127.0.0.1:PORT". */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static uv_loop_t *loop;

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(size);
    buf->len = size;
}

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} write_req;

static void write_cb(uv_write_t *req, int status)
{
    (void)status;
    write_req *w = (write_req *)req;
    free(w->buf.base);
    free(w);
}

static void close_cb(uv_handle_t *h)
{
    free(h);
}

static void read_cb(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        write_req *w = malloc(sizeof *w);
        w->buf = uv_buf_init(buf->base, (unsigned)nread);
        uv_write(&w->req, client, &w->buf, 1, write_cb);
        return;
    }
    free(buf->base);
    if (nread < 0)
        uv_close((uv_handle_t *)client, close_cb);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uv_tcp_t *client = malloc(sizeof *client);
    uv_tcp_init(loop, client);
    if (uv_accept(server, (uv_stream_t *)client) == 0) {
        uv_tcp_nodelay(client, 1);
        uv_read_start((uv_stream_t *)client, alloc_cb, read_cb);
    } else {
        uv_close((uv_handle_t *)client, close_cb);
    }
}

int main(int argc, char **argv)
{
    uv_tcp_t server;
    struct sockaddr_in addr;
    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 0, &addr);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) ||
        uv_listen((uv_stream_t *)&server, 511, on_connection)) {
        fprintf(stderr, "uv_echo: cannot listen\n");
        return 1;
    }
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
    printf("listening on 127.0.0.1:%d\n", ntohs(bound.sin_port));
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
