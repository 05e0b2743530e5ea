/* TCP and streams over loopback, ports chosen by the kernel. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/corio.h>

#include "fdcheck.h"

/* --- an echo server in a task -------------------------------------------- */

static intptr_t echo(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = corio_stream_read(s, buf, sizeof buf, -1)) > 0)
        if (corio_stream_write(s, buf, (size_t)n, -1) < 0)
            return -1;
    return 0;
}

static int server_port;

static intptr_t server(void *arg)
{
    corio_fd *l;
    int rc = corio_tcp_listen("127.0.0.1", 0, 0, &l);
    if (rc < 0)
        return rc;
    server_port = corio_tcp_local_port(l);
    rc = corio_serve_tcp(l, arg ? (corio_conn_fn *)arg : echo, NULL, -1);
    corio_fd_close(l);
    return rc == -ECANCELED ? 0 : rc;
}

static corio_task *start_server(corio_conn_fn *handler)
{
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, server, (void *)handler, &t), 0);
    corio_yield(); /* it listens */
    cr_assert_gt(server_port, 0);
    return t;
}

static void stop_server(corio_task *t)
{
    intptr_t r;
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, 0);
}

static corio_stream *dial(const char *host)
{
    corio_fd *f;
    corio_stream *s;
    cr_assert_eq(corio_tcp_connect(host, server_port, &f, corio_now() + 5000), 0);
    cr_assert_eq(corio_stream_open(f, &s), 0);
    return s;
}

static intptr_t echo_main(void *arg)
{
    (void)arg;
    corio_dns_set_servers("127.0.0.1:9"); /* "localhost" comes from /etc/hosts */
    corio_task *srv = start_server(NULL);
    corio_stream *a = dial("127.0.0.1"), *b = dial("localhost");
    char line[64];
    cr_assert_eq(corio_stream_write(a, "hello\nworld\n", 12, -1), 0);
    cr_assert_eq(corio_stream_write(b, "other\n", 6, -1), 0);
    cr_assert_eq(corio_stream_read_line(a, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "hello\n", 6), 0);
    cr_assert_eq(corio_stream_read_line(a, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "world\n", 6), 0);
    cr_assert_eq(corio_stream_read_line(b, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "other\n", 6), 0);
    corio_stream_close(a);
    corio_stream_close(b);
    stop_server(srv);
    return 0;
}

Test(net, echo_over_serve_tcp, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(echo_main, NULL), 0);
}

/* --- big transfers, both ways at once ------------------------------------ */

#define BIG (1u << 20)

static intptr_t writer(void *arg)
{
    corio_stream *s = arg;
    unsigned char *buf = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 31 + i / 4096);
    int rc = corio_stream_write(s, buf, BIG, -1);
    free(buf);
    if (rc == 0)
        rc = corio_stream_shutdown_write(s);
    return rc;
}

static intptr_t big_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(NULL);
    corio_stream *s = dial("127.0.0.1");
    corio_task *w;
    corio_spawn(NULL, writer, s, &w); /* writing and reading at once: no deadlock */
    unsigned char *got = malloc(BIG + 1);
    cr_assert_eq(corio_stream_read_exactly(s, got, BIG, -1), 0);
    for (size_t i = 0; i < BIG; i++)
        cr_assert_eq(got[i], (unsigned char)(i * 31 + i / 4096), "byte %zu", i);
    cr_assert_eq(corio_stream_read(s, got, 1, -1), 0, "the half close came back as end of stream");
    free(got);
    intptr_t r;
    corio_join(w, &r, -1);
    cr_assert_eq(r, 0);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, one_mebibyte_both_ways_and_half_close, .timeout = 30, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(big_main, NULL), 0);
}

/* --- limits, resets, refused, timeouts ------------------------------------ */

static intptr_t no_newline(corio_stream *s, void *arg)
{
    (void)arg;
    char junk[100];
    memset(junk, 'x', sizeof junk);
    corio_stream_write(s, junk, sizeof junk, -1);
    char b;
    corio_stream_read(s, &b, 1, -1); /* until the client closes */
    return 0;
}

static intptr_t limit_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(no_newline);
    corio_stream *s = dial("127.0.0.1");
    char buf[128];
    cr_assert_eq(corio_stream_read_line(s, buf, 10, -1), -EMSGSIZE);
    cr_assert_eq(corio_stream_read(s, buf, sizeof buf, -1), 10, "the 10 bytes stay readable");
    cr_assert_eq(corio_stream_read_line(s, buf, 0, -1), -EINVAL);
    cr_assert_eq(corio_stream_read(s, NULL, 5, -1), -EINVAL);
    cr_assert_eq(corio_stream_read_line(s, buf, 2, corio_now() + 1), -EMSGSIZE);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, read_line_limit, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(limit_main, NULL), 0);
}

static intptr_t resetter(corio_stream *s, void *arg)
{
    (void)arg;
    struct linger lg = {1, 0};
    setsockopt(corio_fd_fileno(corio_stream_fd(s)), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    corio_stream_write(s, "partial", 7, -1);
    return 0; /* serve closes it: with linger 0, a reset */
}

static intptr_t reset_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(resetter);
    corio_stream *s = dial("127.0.0.1");
    char buf[64];
    ssize_t n = corio_stream_read(s, buf, 7, -1);
    cr_assert(n == 7 || n == -ECONNRESET, "got %zd", n);
    corio_sleep(10);
    n = corio_stream_read(s, buf, sizeof buf, -1);
    cr_assert_eq(n, -ECONNRESET);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, peer_reset_mid_read, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(reset_main, NULL), 0);
}

static intptr_t refused_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c;
    corio_tcp_listen("127.0.0.1", 0, 0, &l);
    int port = corio_tcp_local_port(l);
    corio_fd_close(l);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", port, &c, -1), -ECONNREFUSED);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", 0, &c, -1), -EINVAL);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", 70000, &c, -1), -EINVAL);
    cr_assert_eq(corio_tcp_connect(NULL, 80, &c, -1), -EINVAL);
    /* The suite's resolver is 127.0.0.1:9 (CORIO_DNS_SERVERS): nothing
     * answers there, so a name that is not in /etc/hosts fails fast, and no
     * query leaves this machine. */
    corio_dns_set_servers("127.0.0.1:9");
    int64_t t0 = corio_now();
    int rc = corio_tcp_connect("no-such-host.invalid", 80, &c, corio_now() + 5000);
    cr_assert(rc == -ENOENT || rc == -EAGAIN || rc == -ECONNREFUSED || rc == -ETIMEDOUT, "got %d",
              rc);
    cr_assert_lt(corio_now() - t0, 6000, "bounded");
    cr_assert_eq(corio_tcp_listen("127.0.0.1", -2, 0, &l), -EINVAL);
    return 0;
}

Test(net, refused_and_bad_input, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(refused_main, NULL), 0);
}

/* A listener on ip:port (0: any) that never accepts, its backlog filled
 * with the connections put in held[8]: SYNs to it are dropped, so connects
 * hang. Returns how many it holds. */
static int jam(const char *ip, int port, corio_fd **l, corio_fd **held)
{
    cr_assert_eq(corio_tcp_listen(ip, port, 1, l), 0);
    port = corio_tcp_local_port(*l);
    int n = 0;
    while (n < 8 && corio_tcp_connect(ip, port, &held[n], corio_now() + 100) == 0)
        n++;
    cr_assert_lt(n, 8, "the backlog fills up");
    return n;
}

static void unjam(corio_fd *l, corio_fd **held, int n)
{
    for (int i = 0; i < n; i++)
        corio_fd_close(held[i]);
    corio_fd_close(l);
}

static intptr_t timeout_main(void *arg)
{
    (void)arg;
    corio_fd *l, *held[8], *c;
    int nheld = jam("127.0.0.1", 0, &l, held);
    int64_t t0 = corio_now();
    int rc = corio_tcp_connect("127.0.0.1", corio_tcp_local_port(l), &c, corio_now() + 200);
    cr_assert_eq(rc, -ETIMEDOUT, "once the backlog is full, connect waits and times out");
    cr_assert_geq(corio_now() - t0, 200);
    unjam(l, held, nheld);
    return 0;
}

Test(net, connect_deadline, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(timeout_main, NULL), 0);
}

/* --- happy eyeballs -------------------------------------------------------- */

static corio_addr addr_of(const char *ip)
{
    corio_addr a;
    cr_assert_eq(corio_dns_resolve(ip, &a, 1, -1), 1);
    return a;
}

/* Accepts one connection on l and checks it came in. */
static void accept_one(corio_fd *l)
{
    corio_fd *conn;
    cr_assert_eq(corio_tcp_accept(l, &conn, corio_now() + 1000), 0);
    corio_fd_close(conn);
}

/* Addresses that refuse fail at once: the good one is tried straight after. */
static intptr_t he_refused_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &l), 0);
    int port = corio_tcp_local_port(l);
    corio_addr addrs[] = {addr_of("::1"), addr_of("127.0.0.2"), addr_of("127.0.0.1")};
    int64_t t0 = corio_now();
    cr_assert_eq(corio_tcp_connect_addrs(addrs, 3, port, &c, corio_now() + 5000), 0);
    /* Waiting out the 250 ms attempt delay after each refusal would take 500
     * ms; the margin below that is for a loaded machine. */
    cr_assert_lt(corio_now() - t0, 450, "no attempt delay after failures");
    accept_one(l);
    corio_fd_close(c);
    corio_fd_close(l);
    return 0;
}

Test(net, happy_eyeballs_past_refusals, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(he_refused_main, NULL), 0);
}

/* The first address never answers: the next is tried after the 250 ms
 * attempt delay, not at the deadline; the hanging attempt is closed. */
static intptr_t he_hanging_main(void *arg)
{
    (void)arg;
    corio_fd *jl, *held[8], *l, *c;
    int nheld = jam("127.0.0.2", 0, &jl, held);
    int port = corio_tcp_local_port(jl);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", port, 0, &l), 0);
    corio_addr addrs[] = {addr_of("127.0.0.2"), addr_of("127.0.0.1")};
    int64_t t0 = corio_now();
    cr_assert_eq(corio_tcp_connect_addrs(addrs, 2, port, &c, corio_now() + 5000), 0);
    int64_t took = corio_now() - t0;
    cr_assert(took >= 240 && took < 1000, "took %lld ms", (long long)took);
    accept_one(l);
    corio_fd_close(c);
    corio_fd_close(l);
    unjam(jl, held, nheld);
    return 0;
}

Test(net, happy_eyeballs_attempt_delay, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(he_hanging_main, NULL), 0);
}

/* The families alternate: after the hanging IPv4 address comes the IPv6 one
 * (at 250 ms), not the other hanging IPv4 ones (which would put it at 750). */
static intptr_t he_interleave_main(void *arg)
{
    (void)arg;
    corio_fd *jl, *held[8], *l, *c;
    int nheld = jam("127.0.0.2", 0, &jl, held);
    int port = corio_tcp_local_port(jl);
    cr_assert_eq(corio_tcp_listen("::1", port, 0, &l), 0);
    corio_addr addrs[] = {addr_of("127.0.0.2"), addr_of("127.0.0.2"), addr_of("127.0.0.2"),
                          addr_of("::1")};
    int64_t t0 = corio_now();
    cr_assert_eq(corio_tcp_connect_addrs(addrs, 4, port, &c, corio_now() + 5000), 0);
    int64_t took = corio_now() - t0;
    cr_assert(took >= 240 && took < 700, "IPv6 second: took %lld ms", (long long)took);
    accept_one(l);
    corio_fd_close(c);
    corio_fd_close(l);
    unjam(jl, held, nheld);
    return 0;
}

Test(net, happy_eyeballs_alternates_families, .timeout = 20, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(he_interleave_main, NULL), 0);
}

static intptr_t he_fail_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c, *jl, *held[8];
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &l), 0);
    int port = corio_tcp_local_port(l);
    corio_fd_close(l);
    corio_addr refused[] = {addr_of("127.0.0.1"), addr_of("::1"), addr_of("127.0.0.2")};
    cr_assert_eq(corio_tcp_connect_addrs(refused, 3, port, &c, corio_now() + 5000), -ECONNREFUSED);
    cr_assert_eq(corio_tcp_connect_addrs(refused, 0, port, &c, -1), -EINVAL);

    /* Every address hangs: the deadline ends it, every attempt closed. */
    int nheld = jam("127.0.0.2", 0, &jl, held);
    port = corio_tcp_local_port(jl);
    corio_addr hang[] = {addr_of("127.0.0.2"), addr_of("127.0.0.2"), addr_of("127.0.0.2")};
    int64_t t0 = corio_now();
    cr_assert_eq(corio_tcp_connect_addrs(hang, 3, port, &c, corio_now() + 400), -ETIMEDOUT);
    int64_t took = corio_now() - t0;
    cr_assert(took >= 400 && took < 1000, "took %lld ms", (long long)took);
    unjam(jl, held, nheld);
    return 0;
}

Test(net, happy_eyeballs_refused_and_deadline, .timeout = 20, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(he_fail_main, NULL), 0);
}

static int he_port;

static intptr_t he_connector(void *arg)
{
    (void)arg;
    corio_fd *c;
    corio_addr hang[] = {addr_of("127.0.0.2"), addr_of("127.0.0.2")};
    return corio_tcp_connect_addrs(hang, 2, he_port, &c, -1);
}

static intptr_t he_cancel_main(void *arg)
{
    (void)arg;
    corio_fd *jl, *held[8];
    int nheld = jam("127.0.0.2", 0, &jl, held);
    he_port = corio_tcp_local_port(jl);
    corio_task *t;
    intptr_t r;
    cr_assert_eq(corio_spawn(NULL, he_connector, NULL, &t), 0);
    corio_sleep(300); /* both attempts in flight */
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    unjam(jl, held, nheld);
    return 0;
}

Test(net, happy_eyeballs_cancelled, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(he_cancel_main, NULL), 0);
}

/* --- UDP, Unix sockets, SO_REUSEPORT, one loop per thread ---------------- */

static intptr_t udp_main(void *arg)
{
    (void)arg;
    corio_fd *a, *b;
    char from[64], buf[16];
    int port;
    cr_assert_eq(corio_udp_open("127.0.0.1", 0, &a), 0);
    cr_assert_eq(corio_udp_open("127.0.0.1", 0, &b), 0);
    int pb = corio_tcp_local_port(b), pa = corio_tcp_local_port(a);
    cr_assert_eq(corio_udp_recv(b, buf, sizeof buf, from, &port, corio_now() + 5), -ETIMEDOUT);
    cr_assert_eq(corio_udp_send(a, "ping", 4, "127.0.0.1", pb, -1), 4);
    cr_assert_eq(corio_udp_recv(b, buf, sizeof buf, from, &port, -1), 4);
    cr_assert_eq(memcmp(buf, "ping", 4), 0);
    cr_assert_str_eq(from, "127.0.0.1");
    cr_assert_eq(port, pa);
    cr_assert_eq(corio_udp_send(a, "x", 1, "not-an-ip", pb, -1), -EINVAL);
    corio_fd_close(a);
    corio_fd_close(b);
    return 0;
}

Test(net, udp_datagrams, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(udp_main, NULL), 0);
}

static char sock_path[64];

static intptr_t unix_server(void *arg)
{
    corio_fd *l = arg;
    int rc = corio_serve_tcp(l, echo, NULL, -1);
    return rc == -ECANCELED ? 0 : rc;
}

static intptr_t unix_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c;
    corio_stream *s;
    corio_task *srv;
    char buf[8];
    snprintf(sock_path, sizeof sock_path, "/tmp/corio-test-%d.sock", (int)getpid());
    cr_assert_eq(corio_unix_listen(sock_path, 0, &l), 0);
    corio_spawn(NULL, unix_server, l, &srv);
    cr_assert_eq(corio_unix_connect(sock_path, &c, -1), 0);
    corio_stream_open(c, &s);
    cr_assert_eq(corio_stream_write(s, "unix", 4, -1), 0);
    cr_assert_eq(corio_stream_read_exactly(s, buf, 4, -1), 0);
    cr_assert_eq(memcmp(buf, "unix", 4), 0);
    corio_stream_close(s);
    corio_task_cancel(srv);
    corio_join(srv, NULL, -1);
    corio_fd_close(l);
    unlink(sock_path);
    cr_assert_eq(corio_unix_connect("", &c, -1), -EINVAL);
    return 0;
}

Test(net, unix_stream_sockets, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(unix_main, NULL), 0);
}

#include <stdatomic.h>
static atomic_int loops_ran, shared_port;

static intptr_t per_loop(void *arg)
{
    (void)arg;
    corio_fd *l;
    int want = atomic_load(&shared_port);
    int rc = corio_tcp_listen_ex("127.0.0.1", want, 0, CORIO_LISTEN_REUSEPORT, &l);
    if (rc < 0)
        return rc;
    atomic_fetch_add(&loops_ran, 1);
    corio_fd_close(l);
    return 0;
}

#include <netinet/in.h>

Test(net, one_loop_per_thread_with_reuseport, .timeout = 10, .init = fd_check_start,
     .fini = fd_check_end)
{
    /* A plain listener holds a port with SO_REUSEPORT; three loops join it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    listen(fd, 8);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    atomic_store(&shared_port, ntohs(sa.sin_port));
    cr_assert_eq(corio_run_threads(3, per_loop, NULL), 0);
    close(fd);
    cr_assert_eq(atomic_load(&loops_ran), 3, "three listeners shared the port");
    cr_assert_eq(corio_run_threads(0, NULL, NULL), -EINVAL);
}

static intptr_t dns_main(void *arg)
{
    (void)arg;
    corio_addr a[4];
    corio_dns_set_servers("127.0.0.1:9");
    cr_assert_eq(corio_dns_resolve("localhost", a, 4, -1) > 0, 1, "from /etc/hosts");
    cr_assert_eq(corio_dns_resolve("127.0.0.1", a, 4, -1), 1,
                 "an IP literal never reaches the resolver");
    cr_assert_eq(a[0].sa.ss_family, AF_INET);
    cr_assert_eq(corio_dns_resolve("::1", a, 4, -1), 1);
    cr_assert_eq(a[0].sa.ss_family, AF_INET6);
    int rc = corio_dns_resolve("nonexistent.invalid", a, 4, corio_now() + 3000);
    cr_assert_lt(rc, 0);
    cr_assert_eq(corio_dns_resolve("", a, 4, -1), -EINVAL);
    cr_assert_eq(corio_dns_resolve("localhost", NULL, 4, -1), -EINVAL);
    cr_assert_eq(corio_dns_set_servers("not a server list"), -EINVAL);
    return 0;
}

Test(net, dns_hosts_literals_and_failures, .timeout = 20, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(dns_main, NULL), 0);
}

/* --- transports and protocols --------------------------------------------- */

static int made, lost_clean, eofs;

static void p_made(corio_transport *t, void *ctx)
{
    (void)t, (void)ctx;
    made++;
}

static void p_data(corio_transport *t, const void *data, size_t len, void *ctx)
{
    (void)ctx;
    corio_transport_write(t, data, len);
}

static bool p_eof(corio_transport *t, void *ctx)
{
    (void)ctx;
    eofs++;
    corio_transport_write(t, "bye", 3); /* still allowed: we keep it open... */
    corio_transport_close(t);           /* ...and close once it is out */
    return true;
}

static void p_lost(corio_transport *t, int err, void *ctx)
{
    (void)t, (void)ctx;
    lost_clean += err == 0;
}

static const corio_protocol echo_proto = {p_made, p_data, p_eof, p_lost, NULL, NULL};

static intptr_t proto_server(void *arg)
{
    int rc = corio_serve_protocol(arg, &echo_proto, NULL, NULL, -1);
    return rc == -ECANCELED ? 0 : rc;
}

static intptr_t protocol_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c;
    corio_stream *s;
    corio_task *srv;
    char buf[16];
    corio_tcp_listen("127.0.0.1", 0, 0, &l);
    server_port = corio_tcp_local_port(l);
    corio_spawn(NULL, proto_server, l, &srv);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", server_port, &c, -1), 0);
    corio_stream_open(c, &s);
    cr_assert_eq(corio_stream_write(s, "abc", 3, -1), 0);
    cr_assert_eq(corio_stream_read_exactly(s, buf, 3, -1), 0);
    cr_assert_eq(memcmp(buf, "abc", 3), 0);
    corio_stream_shutdown_write(s);
    cr_assert_eq(corio_stream_read_exactly(s, buf, 3, -1), 0);
    cr_assert_eq(memcmp(buf, "bye", 3), 0);
    cr_assert_eq(corio_stream_read(s, buf, sizeof buf, -1), 0, "closed after the bye");
    corio_stream_close(s);
    corio_sleep(5);
    cr_assert_eq(made, 1);
    cr_assert_eq(eofs, 1);
    cr_assert_eq(lost_clean, 1);
    corio_task_cancel(srv);
    corio_join(srv, NULL, -1);
    corio_fd_close(l);
    return 0;
}

Test(net, transport_and_protocol_echo, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(protocol_main, NULL), 0);
}

/* --- the servers' deadline ------------------------------------------------- */

enum serve_kind { SERVE_TCP, SERVE_PARK, SERVE_PROTOCOL };

typedef struct deadline_srv {
    enum serve_kind kind;
    corio_fd *listener;
    int64_t deadline;
    int64_t returned_at;
} deadline_srv;

static intptr_t deadline_server(void *arg)
{
    deadline_srv *d = arg;
    int rc = d->kind == SERVE_TCP ? corio_serve_tcp(d->listener, echo, NULL, d->deadline)
             : d->kind == SERVE_PARK
                 ? corio_serve_tcp_ex(d->listener, echo, NULL, CORIO_SERVE_PARK, d->deadline)
                 : corio_serve_protocol(d->listener, &echo_proto, NULL, NULL, d->deadline);
    d->returned_at = corio_now();
    return rc;
}

static corio_stream *dial_listener(corio_fd *l)
{
    corio_fd *f;
    corio_stream *s;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", corio_tcp_local_port(l), &f, -1), 0);
    cr_assert_eq(corio_stream_open(f, &s), 0);
    return s;
}

/* The connection is served: one round trip. */
static void echoes(corio_stream *s)
{
    char buf[8];
    cr_assert_eq(corio_stream_write(s, "ping", 4, -1), 0);
    cr_assert_eq(corio_stream_read_exactly(s, buf, 4, -1), 0);
    cr_assert_eq(memcmp(buf, "ping", 4), 0);
}

static intptr_t serve_deadline_main(void *arg)
{
    enum serve_kind kind = (enum serve_kind)(intptr_t)arg;
    deadline_srv d = {.kind = kind, .deadline = corio_now() + 200};
    deadline_srv forever = {.kind = kind, .deadline = -1};
    corio_task *t, *f;
    intptr_t r;
    char buf[8];
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &d.listener), 0);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &forever.listener), 0);
    cr_assert_eq(corio_spawn(NULL, deadline_server, &d, &t), 0);
    cr_assert_eq(corio_spawn(NULL, deadline_server, &forever, &f), 0);
    corio_stream *busy = dial_listener(d.listener), *idle = dial_listener(d.listener);
    corio_stream *other = dial_listener(forever.listener);
    echoes(busy);
    cr_assert_eq(corio_join(t, &r, -1), 0);
    cr_assert_eq(r, -ETIMEDOUT);
    cr_assert_geq(d.returned_at, d.deadline, "not before its deadline");
    ssize_t n = corio_stream_read(busy, buf, sizeof buf, -1);
    cr_assert(n == 0 || n == -ECONNRESET, "the served connection is closed: %zd", n);
    n = corio_stream_read(idle, buf, sizeof buf, -1);
    cr_assert(n == 0 || n == -ECONNRESET, "the idle connection is closed: %zd", n);
    /* (a transport is aborted: its client may read a reset) */
    /* -1: the other server goes on past that deadline, until cancelled. */
    echoes(other);
    corio_task_cancel(f);
    cr_assert_eq(corio_join(f, &r, -1), 0);
    cr_assert_eq(r, -ECANCELED);
    corio_stream_close(busy);
    corio_stream_close(idle);
    corio_stream_close(other);
    corio_fd_close(d.listener);
    corio_fd_close(forever.listener);
    return 0;
}

Test(net, serve_tcp_deadline, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(serve_deadline_main, (void *)(intptr_t)SERVE_TCP), 0);
}

Test(net, serve_tcp_ex_park_deadline, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(serve_deadline_main, (void *)(intptr_t)SERVE_PARK), 0);
}

Test(net, serve_protocol_deadline, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(serve_deadline_main, (void *)(intptr_t)SERVE_PROTOCOL), 0);
}

/* --- big transfers and a peer that never sends a newline -------------------- */

#include <sys/resource.h>

#define HUGE (64u << 20)

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 131 + (i >> 13));
}

static intptr_t huge_writer(void *arg)
{
    corio_stream *s = arg;
    static unsigned char chunk[1 << 16];
    for (size_t off = 0; off < HUGE; off += sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = pattern(off + i);
        int rc = corio_stream_write(s, chunk, sizeof chunk, -1);
        if (rc < 0)
            return rc;
    }
    return corio_stream_shutdown_write(s);
}

static intptr_t huge_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(NULL), *w;
    corio_stream *s = dial("127.0.0.1");
    corio_spawn(NULL, huge_writer, s, &w);
    static unsigned char buf[1 << 16];
    size_t got = 0;
    ssize_t n;
    while ((n = corio_stream_read(s, buf, sizeof buf, -1)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(got + (size_t)i))
                cr_assert_fail("byte %zu differs", got + (size_t)i);
        got += (size_t)n;
    }
    cr_assert_eq(n, 0);
    cr_assert_eq(got, HUGE, "64 MiB out and back, byte-exact");
    intptr_t r;
    corio_join(w, &r, -1);
    cr_assert_eq(r, 0);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, sixty_four_mebibytes_both_ways, .timeout = 120, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(huge_main, NULL), 0);
}

static intptr_t flood(corio_stream *s, void *arg)
{
    (void)arg;
    static char junk[1 << 16];
    memset(junk, 'z', sizeof junk);
    for (int i = 0; i < 4096; i++) /* up to 256 MiB, never a newline */
        if (corio_stream_write(s, junk, sizeof junk, -1) < 0)
            break;
    return 0;
}

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static intptr_t flood_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(flood);
    corio_stream *s = dial("127.0.0.1");
    static char line[65536];
    long before = max_rss_kib();
    cr_assert_eq(corio_stream_read_line(s, line, sizeof line, -1), -EMSGSIZE);
    cr_assert_eq(corio_stream_read_line(s, line, sizeof line, -1), -EMSGSIZE, "still bounded");
    cr_assert_lt(max_rss_kib() - before, 8 * 1024, "no unbounded buffer");
    cr_assert_eq(corio_stream_close(s), 0, "the stream closes cleanly");
    stop_server(srv);
    return 0;
}

Test(net, a_peer_that_never_sends_a_newline, .timeout = 60, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(flood_main, NULL), 0);
}
