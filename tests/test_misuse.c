/* The misuse half of the calling rule (include/corio/common.h) across the
 * modules: a NULL handle where one is required, and the other programming
 * errors that once returned -EINVAL, abort with "corio: <function>: <what>".
 * The _free and _close calls take NULL as free(3) does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/corio.h>

#include "child.h"

/* A case that must run inside a task: name() runs body in corio_run. */
#define IN_TASK(name, body)                                                                        \
    static intptr_t name##_main(void *arg)                                                         \
    {                                                                                              \
        (void)arg;                                                                                 \
        body;                                                                                      \
        return 0;                                                                                  \
    }                                                                                              \
    static void name(void)                                                                         \
    {                                                                                              \
        corio_run(name##_main, NULL);                                                              \
    }

/* --- sync ------------------------------------------------------------------ */
static void tsqueue_put_null(void)
{
    corio_tsqueue_put(NULL, NULL, -1);
}

static void tsqueue_try_get_null(void)
{
    void *item;
    corio_tsqueue_try_get(NULL, &item);
}

static void tsqueue_size_null(void)
{
    corio_tsqueue_size(NULL);
}

static void cond_without_lock(void)
{
    corio_cond *c;
    corio_cond_new(NULL, &c);
}

IN_TASK(task_done_unmatched, {
    corio_queue *q;
    corio_queue_new(0, 0, &q);
    corio_queue_put(q, NULL, -1);
    corio_queue_task_done(q);
    corio_queue_task_done(q);
})

static void gen_next_null(void)
{
    intptr_t v;
    corio_gen_next(NULL, &v);
}

static intptr_t one(corio_gen *g, void *arg)
{
    (void)arg;
    return corio_gen_yield(g, 1, NULL);
}

static void gen_yield_outside(void)
{
    corio_gen *g;
    corio_gen_new(one, NULL, 0, &g);
    corio_gen_yield(g, 2, NULL);
}

/* Resuming or closing a generator from inside its own body. */
static intptr_t resumes_itself(corio_gen *g, void *arg)
{
    intptr_t v;
    if (arg)
        return corio_gen_close(g);
    return corio_gen_send(g, 1, &v);
}

static void gen_send_inside(void)
{
    corio_gen *g;
    intptr_t v;
    corio_gen_new(resumes_itself, NULL, 0, &g);
    corio_gen_next(g, &v);
}

static void gen_close_inside(void)
{
    corio_gen *g;
    intptr_t v;
    corio_gen_new(resumes_itself, "close", 0, &g);
    corio_gen_next(g, &v);
}

IN_TASK(respool_release_null, corio_respool_release(NULL, NULL, false))
IN_TASK(procpool_call_null, {
    void *out;
    size_t len;
    corio_procpool_call(NULL, 0, NULL, 0, &out, &len, -1);
})

Test(misuse, sync_null_handles_abort, .timeout = 30)
{
    assert_misuse(tsqueue_put_null, "corio: corio_tsqueue_put: the queue is NULL");
    assert_misuse(tsqueue_try_get_null, "corio: corio_tsqueue_try_get: the queue is NULL");
    assert_misuse(tsqueue_size_null, "corio: corio_tsqueue_size: the queue is NULL");
    assert_misuse(cond_without_lock, "corio: corio_cond_new: the lock is NULL");
    assert_misuse(gen_next_null, "corio: corio_gen_next: the generator is NULL");
    assert_misuse(gen_yield_outside, "corio: corio_gen_yield: called outside the generator's body");
    assert_misuse(gen_send_inside,
                  "corio: corio_gen_send: called from inside the generator's own body");
    assert_misuse(gen_close_inside,
                  "corio: corio_gen_close: called from inside the generator's own body");
    assert_misuse(respool_release_null, "corio: corio_respool_release: the pool is NULL");
    assert_misuse(procpool_call_null, "corio: corio_procpool_call: the pool is NULL");
}

/* asyncio's ValueError("task_done() called too many times"). */
Test(misuse, queue_task_done_without_put_aborts, .timeout = 10)
{
    assert_misuse(task_done_unmatched,
                  "corio: corio_queue_task_done: called more times than items were put");
}

/* --- io, http, db ---------------------------------------------------------- */
IN_TASK(stream_read_null, {
    char b[1];
    corio_stream_read(NULL, b, 1, -1);
})
IN_TASK(stream_write_null, corio_stream_write(NULL, "x", 1, -1))
IN_TASK(accept_null, {
    corio_fd *c;
    corio_tcp_accept(NULL, &c, -1);
})
IN_TASK(socket_set_null, corio_socket_set(NULL, CORIO_SO_NODELAY, 1))
IN_TASK(process_wait_null, corio_process_wait(NULL, -1))
IN_TASK(resp_send_null, corio_http_resp_send(NULL, 200, "text/plain", "x", 1))
IN_TASK(sse_send_null, corio_http_sse_send(NULL, NULL, NULL, "x"))
IN_TASK(response_body_null, corio_http_response_body(NULL, NULL, NULL))
IN_TASK(client_open_null, {
    corio_http_response *r;
    corio_http_client_open(NULL, "http://127.0.0.1:1/", NULL, &r, 0);
})
IN_TASK(redis_argv_null, {
    const char *argv[] = {"PING"};
    corio_redis_reply *r;
    corio_redis_argv(NULL, 1, argv, NULL, &r, 0);
})
IN_TASK(pg_query_null, {
    corio_pg_result *r;
    corio_pg_query(NULL, "SELECT 1", NULL, &r, 0);
})

static void noop(void *arg)
{
    (void)arg;
}

static void handle_cancel_null(void)
{
    corio_handle_cancel(NULL);
}

static void call_soon_threadsafe_null(void)
{
    corio_call_soon_threadsafe(NULL, noop, NULL);
}

static void pg_pool_new_null(void)
{
    corio_pg_pool *p;
    corio_pg_pool_new(NULL, NULL, &p);
}

static void redis_pool_new_null_out(void)
{
    corio_redis_pool_new("redis://127.0.0.1:1", NULL, 1, NULL);
}

IN_TASK(redis_pool_acquire_null, {
    corio_redis *c;
    corio_redis_pool_acquire(NULL, &c, 0);
})
IN_TASK(redis_pool_release_null, corio_redis_pool_release(NULL, NULL))
IN_TASK(redis_pool_idle_null, corio_redis_pool_idle(NULL))
IN_TASK(redis_sub_open_null_out, corio_redis_sub_open("redis://127.0.0.1:1", NULL, NULL, 0))
IN_TASK(redis_subscribe_null, corio_redis_subscribe(NULL, "news", 0))
IN_TASK(redis_unsubscribe_null, corio_redis_unsubscribe(NULL, NULL, 0))
IN_TASK(redis_sub_get_null, {
    corio_redis_msg m;
    corio_redis_sub_get(NULL, &m, 0);
})

Test(misuse, loop_and_pool_null_handles_abort, .timeout = 30)
{
    assert_misuse(handle_cancel_null, "corio: corio_handle_cancel: the handle is NULL");
    assert_misuse(call_soon_threadsafe_null,
                  "corio: corio_call_soon_threadsafe: the loop or cb is NULL");
    assert_misuse(pg_pool_new_null, "corio: corio_pg_pool_new: conninfo or out is NULL");
    assert_misuse(redis_pool_new_null_out, "corio: corio_redis_pool_new: out is NULL");
    assert_misuse(redis_pool_acquire_null,
                  "corio: corio_redis_pool_acquire: the pool or out is NULL");
    assert_misuse(redis_pool_release_null,
                  "corio: corio_redis_pool_release: the pool or the connection is NULL");
    assert_misuse(redis_pool_idle_null, "corio: corio_redis_pool_idle: the pool is NULL");
    assert_misuse(redis_sub_open_null_out, "corio: corio_redis_sub_open: out is NULL");
    assert_misuse(redis_subscribe_null, "corio: corio_redis_subscribe: the subscriber is NULL");
    assert_misuse(redis_unsubscribe_null, "corio: corio_redis_unsubscribe: the subscriber is NULL");
    assert_misuse(redis_sub_get_null, "corio: corio_redis_sub_get: the subscriber or msg is NULL");
}

/* A handler that writes a chunk (or an event) before starting its answer,
 * driven by corio_http_serve_conn on one end of a socket pair whose other
 * end already holds a request. */
static int chunk_first(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    if (arg)
        return corio_http_sse_send(resp, NULL, NULL, "x");
    return corio_http_resp_write_chunk(resp, "x", 1);
}

static intptr_t serve_one_request(void *arg)
{
    static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    cr_assert_eq(write(sv[1], get, sizeof get - 1), (ssize_t)(sizeof get - 1));
    corio_http_app *app;
    corio_fd *f;
    corio_stream *s;
    corio_http_app_new(&app);
    corio_http_route(app, "GET", "/", chunk_first, arg);
    cr_assert_eq(corio_fd_open(sv[0], &f), 0);
    cr_assert_eq(corio_stream_open(f, &s), 0);
    return corio_http_serve_conn(app, s);
}

static void write_chunk_before_start(void)
{
    corio_run(serve_one_request, NULL);
}

static void sse_send_before_start(void)
{
    corio_run(serve_one_request, "sse");
}

Test(misuse, calls_out_of_order_abort, .timeout = 30)
{
    assert_misuse(write_chunk_before_start,
                  "corio: corio_http_resp_write_chunk: called before corio_http_resp_start");
    assert_misuse(sse_send_before_start,
                  "corio: corio_http_sse_send: called before corio_http_sse_start");
}

Test(misuse, io_http_db_null_handles_abort, .timeout = 30)
{
    assert_misuse(stream_read_null, "corio: corio_stream_read: the stream is NULL");
    assert_misuse(stream_write_null, "corio: corio_stream_write: the stream is NULL");
    assert_misuse(accept_null, "corio: corio_tcp_accept: the listener is NULL");
    assert_misuse(socket_set_null, "corio: corio_socket_set: the fd is NULL");
    assert_misuse(process_wait_null, "corio: corio_process_wait: the process is NULL");
    assert_misuse(resp_send_null, "corio: corio_http_resp_send: the response is NULL");
    assert_misuse(sse_send_null, "corio: corio_http_sse_send: the response is NULL");
    assert_misuse(response_body_null, "corio: corio_http_response_body: the response is NULL");
    assert_misuse(client_open_null, "corio: corio_http_client_open: the client is NULL");
    assert_misuse(pg_query_null, "corio: corio_pg: the connection is NULL");
    assert_misuse(redis_argv_null, "corio: corio_redis: the connection is NULL");
}

IN_TASK(close_nulls, {
    cr_assert_eq(corio_stream_close(NULL), 0);
    cr_assert_eq(corio_fd_close(NULL), 0);
    cr_assert_eq(corio_file_close(NULL), 0);
    cr_assert_eq(corio_tsqueue_free(NULL), 0);
})

Test(misuse, free_and_close_take_null, .timeout = 10)
{
    close_nulls();
}

/* The failure half: corio_strerror says what went wrong for corio's uses of
 * a code (not libc's generic text), and every code is one static string. */
Test(errors, strerror_names_corio_meanings, .timeout = 10)
{
    static const int codes[] = {
        ECANCELED,    ETIMEDOUT, EPERM,     EDEADLK, EALREADY, EBUSY,  EPIPE,        EMSGSIZE,
        EINVAL,       EAGAIN,    ENOENT,    EBADF,   EBADMSG,  EPROTO, EKEYREJECTED, ECONNRESET,
        ECONNABORTED, ECHILD,    EOVERFLOW, ENODATA, ERANGE,   EFBIG,  CORIO_EDNS,   CORIO_ESERVER};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = corio_strerror(-codes[i]);
        cr_assert(codes[i] > 4095 || strcmp(s, strerror(codes[i])) != 0, "%d: libc's text %s",
                  codes[i], s);
        cr_assert_eq(s, corio_strerror(-codes[i]), "static");
    }
    cr_assert_str_eq(corio_strerror(0), "success");
    cr_assert_str_eq(corio_strerror(-EHOSTUNREACH), strerror(EHOSTUNREACH));
    cr_assert_str_eq(corio_strerror(-99999), "unknown error");
}
