/* The resolver against a fake DNS server: a task of the test's own loop on
 * 127.0.0.1 (a port the kernel picks) answering from a small zone, so no
 * query ever leaves this machine. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <corio/corio.h>

#include "fdcheck.h"

/* --- the fake server ------------------------------------------------------ */

enum { T_A = 1, T_AAAA = 28 };
enum { RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3 };

typedef struct record {
    const char *name;
    int type;
    const char *ip;
} record;

/* Every answer is a loopback address: a test that connects stays local. */
static const record zone[] = {
    {"web.test", T_A, "127.0.0.10"}, {"web.test", T_A, "127.0.0.11"},
    {"web.test", T_AAAA, "::1"},     {"here.test", T_A, "127.0.0.1"},
    {"here.test", T_AAAA, "::1"},    {"v4only.test", T_A, "127.0.0.12"},
};

enum fake_mode { ANSWER, SILENT, SERVFAIL };

typedef struct fake_dns {
    corio_fd *sock;
    corio_task *task;
    enum fake_mode mode;
    uint32_t ttl; /* of every answer, seconds */
    int queries;  /* datagrams received */
} fake_dns;

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Reads the question's name (dotted, no compression: queries have none) from
 * q[12..len); returns the offset just past it, or -1 when malformed. */
static int parse_name(const unsigned char *q, int len, char *name, size_t size)
{
    int off = 12;
    size_t out = 0;
    while (off < len && q[off]) {
        int n = q[off++];
        if (n > 63 || off + n > len || out + (size_t)n + 2 > size)
            return -1;
        if (out)
            name[out++] = '.';
        memcpy(name + out, q + off, (size_t)n);
        out += (size_t)n;
        off += n;
    }
    name[out] = '\0';
    return off < len ? off + 1 : -1;
}

/* Builds the reply to query q into r (512 bytes): the records of the zone
 * for the asked name and type, NODATA for a known name without that type,
 * NXDOMAIN for an unknown name, or SERVFAIL in that mode. Its length, or -1
 * to drop a malformed query. */
static int reply(const fake_dns *s, const unsigned char *q, int len, unsigned char *r)
{
    char name[256];
    int off = len >= 12 && get16(q + 4) == 1 ? parse_name(q, len, name, sizeof name) : -1;
    if (off < 0 || off + 4 > len)
        return -1;
    unsigned type = get16(q + off);
    int end = off + 4; /* past type and class */
    memcpy(r, q, (size_t)end);
    int answers = 0, rcode = RCODE_NXDOMAIN;
    for (size_t i = 0; i < sizeof zone / sizeof zone[0] && s->mode == ANSWER; i++) {
        if (strcasecmp(zone[i].name, name) != 0)
            continue;
        rcode = 0;
        if (zone[i].type != (int)type || end + 28 > 512)
            continue;
        unsigned char *rr = r + end;
        put16(rr, 0xC00C); /* the name: a pointer to the question's */
        put16(rr + 2, type);
        put16(rr + 4, 1); /* IN */
        put16(rr + 6, s->ttl >> 16);
        put16(rr + 8, s->ttl & 0xFFFF);
        int alen = type == T_A ? 4 : 16;
        put16(rr + 10, (unsigned)alen);
        inet_pton(type == T_A ? AF_INET : AF_INET6, zone[i].ip, rr + 12);
        end += 12 + alen;
        answers++;
    }
    if (s->mode == SERVFAIL)
        rcode = RCODE_SERVFAIL;
    put16(r + 2, 0x8000 | (get16(q + 2) & 0x7900) | 0x0080 | (unsigned)rcode); /* QR, RA */
    put16(r + 6, (unsigned)answers);
    put16(r + 8, 0);
    put16(r + 10, 0);
    return end;
}

static intptr_t fake_serve(void *arg)
{
    fake_dns *s = arg;
    unsigned char q[512], r[512];
    char from[INET6_ADDRSTRLEN];
    int port;
    for (;;) {
        ssize_t n = corio_udp_recv(s->sock, q, sizeof q, from, &port, -1);
        if (n < 0)
            return n == -ECANCELED ? 0 : n;
        s->queries++;
        int len = s->mode == SILENT ? -1 : reply(s, q, (int)n, r);
        if (len > 0)
            corio_udp_send(s->sock, r, (size_t)len, from, port, -1);
    }
}

/* Starts the server and points this loop's resolver at it. */
static void fake_start(fake_dns *s)
{
    *s = (fake_dns){.ttl = 300};
    cr_assert_eq(corio_udp_open("127.0.0.1", 0, &s->sock), 0);
    char csv[32];
    snprintf(csv, sizeof csv, "127.0.0.1:%d", corio_tcp_local_port(s->sock));
    cr_assert_eq(corio_dns_set_servers(csv), 0);
    cr_assert_eq(corio_spawn(NULL, fake_serve, s, &s->task), 0);
}

static void fake_stop(fake_dns *s)
{
    intptr_t r;
    corio_task_cancel(s->task);
    corio_join(s->task, &r, -1);
    cr_assert_eq(r, 0);
    corio_fd_close(s->sock);
}

/* --- helpers ----------------------------------------------------------------- */

/* Whether addrs[0..n) holds ip. */
static bool has(const corio_addr *addrs, int n, const char *ip)
{
    char buf[INET6_ADDRSTRLEN];
    for (int i = 0; i < n; i++) {
        const struct sockaddr_storage *ss = &addrs[i].sa;
        const void *a = ss->ss_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
        if (inet_ntop(ss->ss_family, a, buf, sizeof buf) && !strcmp(buf, ip))
            return true;
    }
    return false;
}

#define DNS_TEST(name, timeout_s)                                                                  \
    static intptr_t name##_main(void *arg);                                                        \
    Test(dns, name, .timeout = timeout_s, .init = fd_check_start, .fini = fd_check_end)            \
    {                                                                                              \
        cr_assert_eq(corio_run(name##_main, NULL), 0);                                             \
    }                                                                                              \
    static intptr_t name##_main(void *arg)

/* --- answers and failures ------------------------------------------------- */

DNS_TEST(resolves_a_and_aaaa, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    corio_addr a[8];
    int n = corio_dns_resolve("web.test", a, 8, corio_now() + 5000);
    cr_assert_eq(n, 3);
    cr_assert(has(a, n, "127.0.0.10") && has(a, n, "127.0.0.11") && has(a, n, "::1"));
    cr_assert_eq(s.queries, 2, "one A and one AAAA query");
    n = corio_dns_resolve("v4only.test", a, 8, corio_now() + 5000);
    cr_assert_eq(n, 1, "an A record and no AAAA");
    cr_assert(has(a, n, "127.0.0.12"));
    cr_assert_eq(corio_dns_resolve("web.test", a, 1, -1), 1, "at most max addresses");
    fake_stop(&s);
    return 0;
}

DNS_TEST(nxdomain_is_enoent, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    corio_addr a[4];
    cr_assert_eq(corio_dns_resolve("missing.test", a, 4, corio_now() + 5000), -ENOENT);
    cr_assert_gt(s.queries, 0);
    fake_stop(&s);
    return 0;
}

DNS_TEST(servfail_is_eagain, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    s.mode = SERVFAIL;
    corio_addr a[4];
    cr_assert_eq(corio_dns_resolve("web.test", a, 4, corio_now() + 5000), -EAGAIN);
    s.mode = ANSWER;
    cr_assert_eq(corio_dns_resolve("web.test", a, 4, corio_now() + 5000), 3,
                 "a failure is not cached");
    fake_stop(&s);
    return 0;
}

DNS_TEST(silent_server_times_out_at_the_deadline, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    s.mode = SILENT;
    corio_addr a[4];
    int64_t t0 = corio_now();
    cr_assert_eq(corio_dns_resolve("web.test", a, 4, corio_now() + 300), -ETIMEDOUT);
    int64_t took = corio_now() - t0;
    cr_assert(took >= 300 && took < 1000, "took %lld ms", (long long)took);
    cr_assert_gt(s.queries, 0, "the query reached the server");
    fake_stop(&s);
    return 0;
}

/* --- the cache ---------------------------------------------------------------- */

DNS_TEST(cache_holds_for_the_ttl, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    s.ttl = 1;
    corio_addr a[8];
    cr_assert_eq(corio_dns_resolve("web.test", a, 8, corio_now() + 5000), 3);
    int asked = s.queries;
    cr_assert_gt(asked, 0);
    cr_assert_eq(corio_dns_resolve("web.test", a, 8, corio_now() + 5000), 3);
    cr_assert(has(a, 3, "127.0.0.10") && has(a, 3, "::1"), "the cached addresses");
    cr_assert_eq(s.queries, asked, "answered from the cache");
    corio_sleep(1100);
    cr_assert_eq(corio_dns_resolve("web.test", a, 8, corio_now() + 5000), 3);
    cr_assert_gt(s.queries, asked, "asked again once the TTL ran out");
    fake_stop(&s);
    return 0;
}

DNS_TEST(ttl_zero_is_not_cached, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    s.ttl = 0;
    corio_addr a[8];
    cr_assert_eq(corio_dns_resolve("web.test", a, 8, corio_now() + 5000), 3);
    int asked = s.queries;
    cr_assert_eq(corio_dns_resolve("web.test", a, 8, corio_now() + 5000), 3);
    cr_assert_gt(s.queries, asked, "an answer with TTL 0 is used once, not kept");
    fake_stop(&s);
    return 0;
}

DNS_TEST(literals_and_hosts_never_reach_the_server, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    corio_addr a[4];
    cr_assert_eq(corio_dns_resolve("127.0.0.1", a, 4, -1), 1);
    cr_assert_eq(a[0].sa.ss_family, AF_INET);
    cr_assert_eq(corio_dns_resolve("::1", a, 4, -1), 1);
    cr_assert_eq(a[0].sa.ss_family, AF_INET6);
    int n = corio_dns_resolve("localhost", a, 4, corio_now() + 5000);
    cr_assert_gt(n, 0, "from /etc/hosts");
    cr_assert(has(a, n, "127.0.0.1") || has(a, n, "::1"));
    cr_assert_eq(s.queries, 0);
    fake_stop(&s);
    return 0;
}

/* --- cancellation and connecting ------------------------------------------ */

static intptr_t lookup(void *arg)
{
    (void)arg;
    corio_addr a[4];
    return corio_dns_resolve("web.test", a, 4, -1);
}

DNS_TEST(cancelled_lookup, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    s.mode = SILENT;
    corio_task *t;
    intptr_t r;
    cr_assert_eq(corio_spawn(NULL, lookup, NULL, &t), 0);
    corio_sleep(50);
    cr_assert_gt(s.queries, 0, "the lookup is in flight");
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    s.mode = ANSWER;
    corio_addr a[4];
    cr_assert_eq(corio_dns_resolve("web.test", a, 4, corio_now() + 5000), 3,
                 "the resolver still works");
    fake_stop(&s);
    return 0;
}

DNS_TEST(tcp_connect_to_a_name, 10)
{
    (void)arg;
    fake_dns s;
    fake_start(&s);
    corio_fd *l, *c, *conn;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &l), 0);
    /* here.test is ::1 (nobody listens there) and 127.0.0.1. */
    cr_assert_eq(corio_tcp_connect("here.test", corio_tcp_local_port(l), &c, corio_now() + 5000),
                 0);
    cr_assert_eq(corio_tcp_accept(l, &conn, corio_now() + 1000), 0);
    cr_assert_eq(corio_fd_write_all(c, "hi", 2, -1), 0);
    char buf[2];
    cr_assert_eq(corio_fd_read(conn, buf, 2, corio_now() + 1000), 2);
    cr_assert_eq(memcmp(buf, "hi", 2), 0);
    corio_fd_close(conn);
    corio_fd_close(c);
    corio_fd_close(l);
    corio_fd *x;
    cr_assert_eq(corio_tcp_connect("missing.test", 80, &x, corio_now() + 5000), -ENOENT);
    fake_stop(&s);
    return 0;
}
