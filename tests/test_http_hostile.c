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
#include "run.h"

#define BIG (16u << 20)

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
    return corio_http_resp_send(resp, 200, "application/octet-stream", big_body, BIG);
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
    while (body < BIG) {
        size_t want = BIG - body < sizeof chunk ? BIG - body : sizeof chunk;
        ssize_t n = recv(fd, chunk, want, 0);
        cr_assert_gt(n, 0, "body cut at %zu of %u bytes", body, BIG);
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

RUN(slow_reader_gets_everything)
{
    (void)arg;
    fixture f = {0};
    cr_assert_eq(corio_http_app_new(&f.app), 0);
    corio_http_route(f.app, "GET", "/big", big, NULL);
    corio_http_route(f.app, "GET", "/small", small, NULL);
    corio_http_limits l = {.write_timeout_ms = 500, .body_timeout_ms = 500};
    fixture_serve(&f, &l);
    port_of_test = f.port;
    intptr_t r = -1;
    cr_assert_eq(corio_to_thread(slow_reader, NULL, &r), 0);
    cr_assert_eq(r, 0);
    stop(&f);
    return 0;
}

Test(hostile, big_answer_to_a_slow_reader_is_never_cut, .timeout = 60)
{
    big_body = malloc(BIG);
    memset(big_body, 'x', BIG);
    slow_reader_gets_everything_run();
    free(big_body);
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
    size_t cap = BIG + 65536;
    char *all = malloc(cap + 1);
    size_t n = read_all(fd, all, cap, 0);
    close(fd);
    cr_assert_lt(n, (size_t)BIG, "the whole answer went out to a stalled reader");
    cr_assert_eq(count_answers(all, n < cap ? n : cap), 1,
                 "an answer followed a cut one on the same connection");
    free(all);
    return 0;
}

RUN(stalled_reader_is_closed)
{
    (void)arg;
    fixture f = {0};
    cr_assert_eq(corio_http_app_new(&f.app), 0);
    corio_http_route(f.app, "GET", "/big", big, NULL);
    corio_http_route(f.app, "GET", "/small", small, NULL);
    corio_http_limits l = {.write_timeout_ms = 300, .body_timeout_ms = 300};
    fixture_serve(&f, &l);
    port_of_test = f.port;
    intptr_t r = -1;
    cr_assert_eq(corio_to_thread(stalled_reader, NULL, &r), 0);
    cr_assert_eq(r, 0);
    stop(&f);
    return 0;
}

Test(hostile, cut_answer_closes_the_connection, .timeout = 60)
{
    big_body = malloc(BIG);
    memset(big_body, 'x', BIG);
    stalled_reader_is_closed_run();
    free(big_body);
}
