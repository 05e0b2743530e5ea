/* The HTTP server against clients that misbehave: slow and stalled readers,
 * smuggling attempts in the framing, trickled bodies, clients that leave.
 * The server runs in the test's loop; each client is a plain blocking socket
 * in a thread-pool thread (corio_to_thread), so it can be as slow or as
 * strange as a real one. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <corio/corio.h>

#include "http_fixture.h"
#include "kernel_buffers.h"
#include "run.h"

/* The big answer: more than the server's socket can hold for a client
 * that does not read (sized at run time: autotuning limits differ). */
static size_t big_len;

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A blocking client socket to 127.0.0.1:port with a small receive buffer
 * (so the kernel cannot take a big answer off the server's hands) and a
 * receive timeout. */
static int dial(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_str(int fd, const char *s)
{
    size_t n = strlen(s);
    cr_assert_eq(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads everything until the server closes or the timeout: how many bytes;
 * the first cap of them into buf (NUL-terminated). */
static size_t read_all(int fd, char *buf, size_t cap, int pause_ms)
{
    size_t total = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        if (total < cap) {
            size_t k = (size_t)n < cap - total ? (size_t)n : cap - total;
            memcpy(buf + total, chunk, k);
        }
        total += (size_t)n;
        if (pause_ms)
            nap_ms(pause_ms);
    }
    buf[total < cap ? total : cap] = '\0';
    return total;
}

/* Counts the status lines of answers in what a client read. */
static int count_answers(const char *s, size_t len)
{
    int n = 0;
    const char *end = s + len;
    for (const char *p = s; (p = memmem(p, (size_t)(end - p), "HTTP/1.1 ", 9)); p += 9)
        n++;
    return n;
}

/* --- big answers to slow and stalled readers ------------------------------ */

static char *big_body;

static int big(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    (void)arg;
    return corio_http_resp_send(resp, 200, "application/octet-stream", big_body, big_len);
}

static int small(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    (void)arg;
    return corio_http_resp_text(resp, 200, "small\n");
}

static int port_of_test;

/* Reads a 16 MiB answer in 64 KiB pieces 8 ms apart: about 2 s in all,
 * four times the write timeout, but never 500 ms without progress. Then
 * asks again on the same connection. */
static intptr_t slow_reader(void *arg)
{
    (void)arg;
    int fd = dial(port_of_test, 65536);
    send_str(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    char head[4096];
    size_t hn = 0;
    while (!memmem(head, hn, "\r\n\r\n", 4) && hn < sizeof head) {
        ssize_t n = recv(fd, head + hn, 1, 0);
        cr_assert_gt(n, 0);
        hn += (size_t)n;
    }
    size_t body = 0;
    char chunk[65536];
    while (body < big_len) {
        size_t want = big_len - body < sizeof chunk ? big_len - body : sizeof chunk;
        ssize_t n = recv(fd, chunk, want, 0);
        cr_assert_gt(n, 0, "body cut at %zu of %zu bytes", body, big_len);
        body += (size_t)n;
        nap_ms(8);
    }
    send_str(fd, "GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char rest[4096];
    read_all(fd, rest, sizeof rest - 1, 0);
    close(fd);
    cr_assert(strstr(rest, "HTTP/1.1 200 OK") && strstr(rest, "small\n"), "%s", rest);
    return 0;
}

/* Serves /big and /small with the given write timeout and runs client in
 * a thread-pool thread against it. */
typedef struct big_case {
    int write_timeout_ms;
    corio_fn *client;
} big_case;

static big_case the_case;

RUN(big_answer)
{
    (void)arg;
    fixture f = {0};
    cr_assert_eq(corio_http_app_new(&f.app), 0);
    corio_http_route(f.app, "GET", "/big", big, NULL);
    corio_http_route(f.app, "GET", "/small", small, NULL);
    /* the old whole-body deadline was body_timeout_ms: as short, to compare */
    corio_http_limits l = {.write_timeout_ms = the_case.write_timeout_ms,
                           .body_timeout_ms = the_case.write_timeout_ms};
    fixture_serve(&f, &l);
    port_of_test = f.port;
    intptr_t r = -1;
    cr_assert_eq(corio_to_thread(the_case.client, NULL, &r, -1), 0);
    cr_assert_eq(r, 0);
    stop(&f);
    return 0;
}

static void run_big_case(int write_timeout_ms, corio_fn *client)
{
    the_case = (big_case){write_timeout_ms, client};
    big_len = 2 * tcp_send_buffer_max() + (1u << 20);
    if (big_len < 16u << 20)
        big_len = 16u << 20;
    big_body = malloc(big_len);
    memset(big_body, 'x', big_len);
    big_answer_run();
    free(big_body);
}

Test(hostile, big_answer_to_a_slow_reader_is_never_cut, .timeout = 60)
{
    run_big_case(500, slow_reader);
}

/* Asks for 16 MiB and a second answer, then reads nothing for 450 ms (one
 * and a half write timeouts): the first answer cannot be completed, so the
 * connection must close after part of it, and the second request must never
 * be answered on it (a client would read that answer as body bytes). */
static intptr_t stalled_reader(void *arg)
{
    (void)arg;
    int fd = dial(port_of_test, 65536);
    send_str(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /small HTTP/1.1\r\nHost: t\r\n\r\n");
    nap_ms(450);
    size_t cap = big_len + 65536;
    char *all = malloc(cap + 1);
    size_t n = read_all(fd, all, cap, 0);
    close(fd);
    cr_assert_lt(n, big_len, "the whole answer went out to a stalled reader");
    cr_assert_eq(count_answers(all, n < cap ? n : cap), 1,
                 "an answer followed a cut one on the same connection");
    free(all);
    return 0;
}

Test(hostile, cut_answer_closes_the_connection, .timeout = 60)
{
    run_big_case(300, stalled_reader);
}

/* --- strict framing ------------------------------------------------------- */

static int echo_param(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char out[256];
    const char *v = corio_http_req_param(req, "name");
    snprintf(out, sizeof out, "param=[%s] len=%zu\n", v, strlen(v));
    return corio_http_resp_text(resp, 200, out);
}

static int echo_path(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char out[256];
    snprintf(out, sizeof out, "path=[%s]\n", corio_http_req_path(req));
    return corio_http_resp_text(resp, 200, out);
}

static void framing_app(fixture *f)
{
    cr_assert_eq(corio_http_app_new(&f->app), 0);
    corio_http_route(f->app, "POST", "/echo", fixture_echo, NULL);
    corio_http_route(f->app, "GET", "/hello/{name}", echo_param, NULL);
    corio_http_route(f->app, "GET", "/{path...}", echo_path, NULL);
}

/* What the server answers to req: the status of its first answer, and
 * whether anything followed it on the connection. */
static int status_of(const fixture *f, const char *req, bool *more)
{
    char *out = raw(f, req, 3000);
    int status = 0;
    sscanf(out, "HTTP/1.1 %d", &status);
    if (more)
        *more = count_answers(out, strlen(out)) > 1;
    free(out);
    return status;
}

typedef struct framing_case {
    const char *why, *req;
    int status;
} framing_case;

static const framing_case cases[] = {
    {"chunk data not followed by CRLF",
     "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n"
     "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
     400},
    {"chunk size with junk",
     "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     "2;\x01\r\nab\r\n0\r\n\r\n",
     400},
    {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"a request line without a version", "GET /\r\n\r\n", 400},
    {"an unsupported transfer coding",
     "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
    {"Content-Length and Transfer-Encoding",
     "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\n\r\n",
     400},
    {"two Content-Lengths",
     "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
     "Content-Length: 2\r\n\r\nab",
     400},
    {"a NUL in the path", "GET /index.html%00.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"a NUL in a route parameter", "GET /hello/a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
    {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
    {"HTTP/0.9", "GET / HTTP/0.9\r\nHost: t\r\n\r\n", 505},
    {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", 505},
    {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505},
};

RUN(framing)
{
    (void)arg;
    fixture f = {0};
    framing_app(&f);
    fixture_serve(&f, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool more = false;
        int status = status_of(&f, cases[i].req, &more);
        cr_expect_eq(status, cases[i].status, "%s: %d, want %d", cases[i].why, status,
                     cases[i].status);
        cr_expect(!more, "%s: a second answer followed", cases[i].why);
    }
    /* the well-formed neighbours of those still work */
    cr_assert_eq(status_of(&f, "GET /x HTTP/1.0\r\n\r\n", NULL), 200);
    cr_assert_eq(
        status_of(&f, "GET /hello/a%20b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", NULL),
        200);
    cr_assert_eq(status_of(&f,
                           "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                           "Connection: close\r\n\r\n2\r\nab\r\n0\r\n\r\n",
                           NULL),
                 200);
    stop(&f);
    return 0;
}

Test(hostile, strict_framing, .timeout = 60)
{
    framing_run();
}

/* Bytes that cannot begin a request line (a TLS ClientHello on the plain
 * port) get 400 at once, not silence until the header timeout. */
RUN(not_http)
{
    (void)arg;
    fixture f = {0};
    framing_app(&f);
    fixture_serve(&f, NULL);
    static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    int64_t t0 = corio_now();
    char *out = raw(&f, hello, 5000);
    int64_t took = corio_now() - t0;
    cr_assert(strncmp(out, "HTTP/1.1 400", 12) == 0, "answer: %s", out);
    cr_assert_lt(took, 5000, "the answer took %lld ms (the header timeout is 10 s)",
                 (long long)took);
    free(out);
    stop(&f);
    return 0;
}

Test(hostile, bytes_that_are_not_http_get_400_at_once, .timeout = 30)
{
    not_http_run();
}

/* --- the client is as strict ---------------------------------------------- */

typedef struct canned {
    corio_fd *listener;
    const char *answer;
} canned;

/* Answers one connection with canned bytes, whatever it asked, and closes. */
static intptr_t canned_server(void *arg)
{
    canned *k = arg;
    corio_fd *conn;
    if (corio_tcp_accept(k->listener, &conn, corio_now() + 5000) < 0)
        return -1;
    char buf[4096];
    corio_fd_read(conn, buf, sizeof buf, corio_now() + 5000);
    corio_fd_write_all(conn, k->answer, strlen(k->answer), corio_now() + 5000);
    corio_sleep(50);
    corio_fd_close(conn);
    return 0;
}

static const char *const bad_answers[] = {
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
};

RUN(client_framing)
{
    (void)arg;
    for (size_t i = 0; i < sizeof bad_answers / sizeof *bad_answers; i++) {
        canned k = {.answer = bad_answers[i]};
        cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &k.listener), 0);
        corio_task *t;
        cr_assert_eq(corio_spawn(NULL, canned_server, &k, &t), 0);
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", corio_tcp_local_port(k.listener));
        corio_http_response *r = NULL;
        int rc = corio_http_get(url, NULL, &r, corio_now() + 5000);
        if (rc == 0) {
            const char *body;
            size_t len;
            rc = corio_http_response_body(r, &body, &len);
            corio_http_response_free(r);
        }
        cr_expect_lt(rc, 0, "answer %zu accepted", i);
        corio_join(t, NULL, -1);
        corio_task_release(t);
        corio_fd_close(k.listener);
    }
    return 0;
}

Test(hostile, client_refuses_bad_framing, .timeout = 30)
{
    client_framing_run();
}

/* --- bodies trickled in --------------------------------------------------- */

/* Sends a 4 KiB body's bytes in pieces of `piece` bytes every `gap_ms`,
 * stopping when the server answers: what it answered. */
typedef struct trickle {
    size_t piece;
    int gap_ms;
    int status;
} trickle;

static intptr_t trickler(void *arg)
{
    trickle *t = arg;
    int fd = dial(port_of_test, 0);
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n");
    char piece[4096];
    memset(piece, 'b', sizeof piece);
    for (size_t sent = 0; sent < 4096; sent += t->piece) {
        if (send(fd, piece, t->piece, MSG_NOSIGNAL) < 0)
            break;
        char peek;
        if (recv(fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
            break; /* answered already */
        nap_ms(t->gap_ms);
    }
    char out[8192];
    read_all(fd, out, sizeof out - 1, 0);
    close(fd);
    t->status = 0;
    sscanf(out, "HTTP/1.1 %d", &t->status);
    return 0;
}

RUN(trickled_bodies)
{
    (void)arg;
    fixture f = {0};
    framing_app(&f);
    /* every read within 30 s, but the whole body within 1 s plus a second
     * per KiB */
    corio_http_limits l = {.body_total_timeout_ms = 1000, .body_min_rate = 1024};
    fixture_serve(&f, &l);
    port_of_test = f.port;
    /* a byte every 100 ms: 10 bytes/s, far below the minimum rate */
    trickle slow = {.piece = 1, .gap_ms = 100};
    cr_assert_eq(corio_to_thread(trickler, &slow, NULL, -1), 0);
    cr_assert_eq(slow.status, 408);
    /* a KiB every 400 ms: longer than the 1 s base in all (1.6 s), but at
     * 2.5 KiB/s it keeps earning time */
    trickle fair = {.piece = 1024, .gap_ms = 400};
    cr_assert_eq(corio_to_thread(trickler, &fair, NULL, -1), 0);
    cr_assert_eq(fair.status, 200);
    stop(&f);
    return 0;
}

Test(hostile, trickled_body_gets_408_a_fair_one_does_not, .timeout = 60)
{
    trickled_bodies_run();
}

/* --- clients that leave while their handler waits ------------------------- */

static int hang_rc = 1;

static int hang(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    (void)arg;
    hang_rc = corio_sleep(20000); /* a long poll, a backend that hangs */
    return hang_rc < 0 ? hang_rc : corio_http_resp_text(resp, 200, "late\n");
}

static int pause_then_answer(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    (void)arg;
    int rc = corio_sleep(300);
    return rc < 0 ? rc : corio_http_resp_text(resp, 200, "still here\n");
}

/* Asks, waits 200 ms and closes (full: a keep-alive client gone); then
 * asks with Connection: close and half-closes, which still wants the
 * answer. */
static intptr_t leaving_clients(void *arg)
{
    (void)arg;
    int fd = dial(port_of_test, 0);
    send_str(fd, "GET /hang HTTP/1.1\r\nHost: t\r\n\r\n");
    nap_ms(200);
    close(fd);

    fd = dial(port_of_test, 0);
    send_str(fd, "GET /pause HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    shutdown(fd, SHUT_WR);
    char out[4096];
    read_all(fd, out, sizeof out - 1, 0);
    close(fd);
    cr_assert(strstr(out, "still here"), "half-closed client got: %s", out);
    return 0;
}

RUN(leaving)
{
    (void)arg;
    fixture f = {0};
    cr_assert_eq(corio_http_app_new(&f.app), 0);
    corio_http_route(f.app, "GET", "/hang", hang, NULL);
    corio_http_route(f.app, "GET", "/pause", pause_then_answer, NULL);
    fixture_serve(&f, NULL);
    port_of_test = f.port;
    hang_rc = 1;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_to_thread(leaving_clients, NULL, NULL, -1), 0);
    for (int i = 0; i < 500 && hang_rc == 1; i++)
        corio_sleep(10);
    cr_assert_eq(hang_rc, -ECANCELED, "the handler of a client that left: %d after %lld ms",
                 hang_rc, (long long)(corio_now() - t0));
    stop(&f);
    return 0;
}

Test(hostile, handler_of_a_client_that_left_is_cancelled, .timeout = 60)
{
    leaving_run();
}
