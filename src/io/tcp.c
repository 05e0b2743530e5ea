/* TCP: resolving, connecting, listening, accepting, serving. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <corio/cancel.h>
#include <corio/dns.h>
#include <corio/net.h>
#include <corio/nursery.h>
#include <corio/task.h>
#include <corio/time.h>

#include "../base/log.h"
#include "../core/sched.h"
#include "fd.h"
#include "park.h"
#include "stream.h"

/* --- resolving ----------------------------------------------------------- */

#define ADDRS 8

/* Fills ss for an IP literal: 1 if host was one, 0 if not. Accepts [v6]. */
static int literal(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return 1;
    }
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2); /* [::1] as in URLs */
        buf[n - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return 1;
    }
    return 0;
}

/* Resolves host (literal or name, through the loop's resolver) into up to
 * ADDRS addresses with port set, linked as an addrinfo list in ai[]. */
static int resolve(const char *host, int port, corio_addr *addrs, struct addrinfo *ai,
                   int64_t deadline)
{
    if (!host || port < 0 || port > 65535)
        return -EINVAL;
    int n;
    if (literal(host, port, &addrs[0].sa, &addrs[0].len)) {
        n = 1;
    } else {
        n = corio_dns_resolve(host, addrs, ADDRS, deadline);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            if (addrs[i].sa.ss_family == AF_INET)
                ((struct sockaddr_in *)&addrs[i].sa)->sin_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in6 *)&addrs[i].sa)->sin6_port = htons((uint16_t)port);
        }
    }
    for (int i = 0; i < n; i++) {
        memset(&ai[i], 0, sizeof ai[i]);
        ai[i].ai_family = addrs[i].sa.ss_family;
        ai[i].ai_socktype = SOCK_STREAM;
        ai[i].ai_addr = (struct sockaddr *)&addrs[i].sa;
        ai[i].ai_addrlen = addrs[i].len;
        ai[i].ai_next = i + 1 < n ? &ai[i + 1] : NULL;
    }
    return n;
}

/* --- connect --------------------------------------------------------------- */

/* RFC 8305's "connection attempt delay": how long an attempt has to itself
 * before the next address is tried alongside it. */
#define ATTEMPT_DELAY_MS 250
/* Attempts in flight at once: more wait for one to fail. */
#define RACE_MAX 8

/* Starts a nonblocking connect: the socket, or a negative errno when it
 * failed at once. */
static int connect_start(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* How a connect ended, once its socket is writable (or in error). */
static int connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    return -err;
}

static int connect_one(const struct sockaddr *sa, socklen_t len, int64_t deadline, corio_fd **out)
{
    int fd = connect_start(sa, len);
    if (fd < 0)
        return fd;
    corio_fd *f;
    int rc = corio__fd_open_socket(fd, &f);
    if (rc < 0)
        return rc;
    rc = corio_fd_wait(f, CORIO_WRITE, deadline);
    if (rc == 0)
        rc = connect_result(fd);
    if (rc < 0) {
        corio_fd_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* a with its port set; false for a family TCP does not connect to. */
static bool with_port(const corio_addr *a, int port, corio_addr *out)
{
    *out = *a;
    if (a->sa.ss_family == AF_INET)
        ((struct sockaddr_in *)&out->sa)->sin_port = htons((uint16_t)port);
    else if (a->sa.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&out->sa)->sin6_port = htons((uint16_t)port);
    else
        return false;
    return true;
}

/* How much a failed attempt's error says about the destination: the peer's
 * own answer most, this host's lack of a route or of the family least. The
 * error reported when every attempt failed is the most telling one. */
static int err_rank(int rc)
{
    switch (rc) {
    case -ECONNREFUSED:
    case -ECONNRESET:
        return 3;
    case -EHOSTUNREACH:
    case -ETIMEDOUT:
        return 2;
    case -ENETUNREACH:
        return 1;
    default:
        return 0;
    }
}

/* The order of a race (RFC 8305 section 4): the families alternate, starting
 * with the first address's, each family in the order given. */
typedef struct order {
    const corio_addr *addrs;
    size_t n;
    size_t at[2]; /* the next IPv6, IPv4 address; n when none is left */
    int turn;     /* the family whose turn it is: 0 IPv6, 1 IPv4 */
} order;

static const sa_family_t order_family[2] = {AF_INET6, AF_INET};

static size_t order_scan(const order *o, size_t i, int fam)
{
    while (i < o->n && o->addrs[i].sa.ss_family != order_family[fam])
        i++;
    return i;
}

static void order_init(order *o, const corio_addr *addrs, size_t n)
{
    *o = (order){.addrs = addrs, .n = n, .turn = addrs[0].sa.ss_family == AF_INET};
    o->at[0] = order_scan(o, 0, 0);
    o->at[1] = order_scan(o, 0, 1);
}

static bool order_more(const order *o)
{
    return o->at[0] < o->n || o->at[1] < o->n;
}

/* The next address (order_more must hold). */
static const corio_addr *order_next(order *o)
{
    int fam = o->at[o->turn] < o->n ? o->turn : !o->turn;
    size_t i = o->at[fam];
    o->at[fam] = order_scan(o, i + 1, fam);
    o->turn = !fam;
    return &o->addrs[i];
}

/* A race of connects in the calling task: it parks once for all of them,
 * each attempt's socket watched (one-shot) for the end of its connect. */
typedef struct race race;

typedef struct attempt {
    corio__io io; /* fd -1: the slot is free */
    race *race;
    bool done;
} attempt;

struct race {
    corio__loop *loop;
    corio_task *task;
    attempt slot[RACE_MAX];
};

static void attempt_ready(corio__io *io, uint32_t events)
{
    (void)events;
    attempt *a = (attempt *)io;
    corio_task *t = a->race->task;
    a->done = true;
    if (t->state == CORIO__WAITING && t->wait_data == a->race)
        corio__wake(a->race->loop, t, 0);
}

/* Starts a connect to a in a free slot: 0, or the error it failed with. */
static int race_start(race *r, const corio_addr *a)
{
    int fd = connect_start((const struct sockaddr *)&a->sa, a->len);
    if (fd < 0)
        return fd;
    attempt *s = r->slot;
    while (s->io.fd >= 0)
        s++;
    *s = (attempt){.io = {.fd = fd, .ready = attempt_ready}, .race = r};
    int rc = corio__poller_add(&r->loop->poller, &s->io, EPOLLOUT | EPOLLONESHOT, true);
    if (rc < 0) {
        close(fd);
        s->io.fd = -1;
    }
    return rc;
}

/* Happy eyeballs: the next address is tried when the last one started has
 * had ATTEMPT_DELAY_MS, or at once when an attempt fails; the first connect
 * to succeed wins and the others are closed. */
static int connect_race(const corio_addr *addrs, size_t n, int port, int64_t deadline,
                        corio_fd **out)
{
    corio__loop *l = CORIO__TASK_LOOP();
    race r = {.loop = l, .task = l->current};
    for (int i = 0; i < RACE_MAX; i++)
        r.slot[i].io.fd = -1;
    order o;
    order_init(&o, addrs, n);
    int64_t deadline_ns = corio__deadline_ns(deadline), next_ns = 0;
    int err = -EINVAL, rc, won = -1, live = 0;
    for (;;) {
        for (int i = 0; i < RACE_MAX && won < 0; i++) {
            attempt *a = &r.slot[i];
            if (a->io.fd < 0 || !a->done)
                continue;
            corio__poller_del(&l->poller, &a->io, true);
            rc = connect_result(a->io.fd);
            if (rc == 0) {
                won = i;
                break;
            }
            close(a->io.fd);
            a->io.fd = -1;
            live--;
            err = err_rank(rc) >= err_rank(err) ? rc : err;
            next_ns = 0; /* a failure starts the next attempt at once */
        }
        if (won >= 0)
            break;
        bool can_start = order_more(&o) && live < RACE_MAX;
        if (can_start && corio_now_ns() >= next_ns) {
            corio_addr a;
            with_port(order_next(&o), port, &a); /* the order holds IPv4 and IPv6 only */
            rc = race_start(&r, &a);
            if (rc < 0) {
                err = err_rank(rc) >= err_rank(err) ? rc : err;
            } else {
                live++;
                next_ns = corio_now_ns() + (int64_t)ATTEMPT_DELAY_MS * 1000000;
            }
            continue;
        }
        if (!live && !order_more(&o)) {
            rc = err;
            break;
        }
        bool stagger = can_start && (deadline_ns < 0 || next_ns < deadline_ns);
        l->current->wait_data = &r;
        rc = corio__park(l, "connect to %lld addresses", live, stagger ? next_ns : deadline_ns,
                         NULL);
        l->current->wait_data = NULL;
        if (rc == CORIO__EDEADLINE && stagger)
            continue;
        if (rc < 0) {
            rc = corio__wait_rc(rc);
            break;
        }
    }
    for (int i = 0; i < RACE_MAX; i++) {
        if (r.slot[i].io.fd >= 0 && i != won) {
            corio__poller_del(&l->poller, &r.slot[i].io, true);
            close(r.slot[i].io.fd);
        }
    }
    return won >= 0 ? corio__fd_open_socket(r.slot[won].io.fd, out) : rc;
}

int corio_tcp_connect(const char *host, int port, corio_fd **out, int64_t deadline)
{
    if (!out || port <= 0)
        return -EINVAL;
    corio_addr addrs[ADDRS];
    struct addrinfo list[ADDRS];
    int rc = resolve(host, port, addrs, list, deadline);
    if (rc < 0)
        return rc;
    return corio_tcp_connect_addrs(addrs, (size_t)rc, port, out, deadline);
}

int corio_tcp_connect_addrs(const corio_addr *addrs, size_t n, int port, corio_fd **out,
                            int64_t deadline)
{
    if (!out || !addrs || n == 0 || port <= 0 || port > 65535)
        return -EINVAL;
    if (n > 1)
        return connect_race(addrs, n, port, deadline, out);
    corio_addr a;
    if (!with_port(&addrs[0], port, &a))
        return -EINVAL;
    return connect_one((const struct sockaddr *)&a.sa, a.len, deadline, out);
}

/* --- listen and accept --------------------------------------------------- */

int corio_tcp_listen(const char *host, int port, int backlog, corio_fd **out)
{
    return corio_tcp_listen_ex(host, port, backlog, 0, out);
}

int corio_tcp_listen_ex(const char *host, int port, int backlog, unsigned flags, corio_fd **out)
{
    if (!out || (flags & ~(unsigned)CORIO_LISTEN_REUSEPORT))
        return -EINVAL;
    (void)CORIO__LOOP();
    corio_addr addrs[ADDRS];
    struct addrinfo list_[ADDRS], *list = list_;
    int rc = resolve(host && *host ? host : "0.0.0.0", port, addrs, list_, -1);
    if (rc < 0)
        return rc;
    rc = 0;
    int fd = socket(list->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        ((flags & CORIO_LISTEN_REUSEPORT) &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) ||
        bind(fd, list->ai_addr, list->ai_addrlen) < 0 ||
        listen(fd, backlog > 0 ? backlog : 511) < 0) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
    }
    if (rc < 0)
        return rc;
    /* Linux's accepted sockets inherit it: one setsockopt per listener
     * rather than one per connection. */
    bool nodelay = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0;
    rc = corio_fd_open(fd, out);
    if (rc == 0 && nodelay)
        corio__fd_set_lends_nodelay(*out);
    return rc;
}

int corio_tcp_local_port(const corio_fd *f)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!f || getsockname(corio_fd_fileno(f), (struct sockaddr *)&ss, &len) < 0)
        return -EBADF;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

static int accepted(corio_fd *listener, int fd, corio_fd **conn)
{
    int one = 1;
    if (!corio__fd_lends_nodelay(listener))
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return corio__fd_open_socket(fd, conn);
}

int corio_tcp_accept(corio_fd *listener, corio_fd **conn, int64_t deadline)
{
    CORIO__MISUSE_IF(!listener, "the listener is NULL");
    if (!conn)
        return -EINVAL;
    int fd;
    int rc = corio__fd_accept(listener, &fd, deadline);
    if (rc != -EOPNOTSUPP)
        return rc < 0 ? rc : accepted(listener, fd, conn);
    for (;;) {
        fd = accept4(corio_fd_fileno(listener), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return accepted(listener, fd, conn);
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN)
            return -errno;
        rc = corio__fd_wait_again(listener, CORIO_READ, deadline);
        if (rc < 0)
            return rc;
    }
}

/* Out of descriptors or memory: accepting again at once would spin. */
static bool accept_starved(int rc)
{
    return rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM;
}

int corio__accept_or_wait(corio_fd *listener, corio_fd **conn, const char *module,
                          corio__log_limit *limit)
{
    for (;;) {
        int rc = corio_tcp_accept(listener, conn, -1);
        if (!accept_starved(rc))
            return rc;
        unsigned long n = corio__log_limited(limit, CORIO_LOG_WARN);
        if (n)
            corio__log_write(CORIO_LOG_WARN, module,
                             "accept: %s; new connections wait in the backlog until some close "
                             "(failed accepts since the last report: %lu)",
                             corio_strerror(rc), n);
        if ((rc = corio_sleep(10)) < 0)
            return rc;
    }
}

int corio__fd_peer_name(const corio_fd *f, char *buf, size_t len)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    buf[0] = '\0';
    if (!f || getpeername(corio_fd_fileno(f), (struct sockaddr *)&sa, &salen) < 0)
        return -errno;
    const void *addr = sa.ss_family == AF_INET6
                           ? (const void *)&((struct sockaddr_in6 *)&sa)->sin6_addr
                           : (const void *)&((struct sockaddr_in *)&sa)->sin_addr;
    if (!inet_ntop(sa.ss_family, addr, buf, (socklen_t)len)) {
        buf[0] = '\0';
        return -errno;
    }
    return 0;
}

/* --- options, Unix sockets, UDP ------------------------------------------- */

int corio_socket_set(corio_fd *f, enum corio_sockopt opt, int value)
{
    static const int level[] = {IPPROTO_TCP, SOL_SOCKET, SOL_SOCKET, SOL_SOCKET, SOL_SOCKET};
    static const int name[] = {TCP_NODELAY, SO_KEEPALIVE, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF};
    CORIO__MISUSE_IF(!f, "the fd is NULL");
    if ((unsigned)opt >= sizeof name / sizeof name[0])
        return -EINVAL;
    return setsockopt(corio_fd_fileno(f), level[opt], name[opt], &value, sizeof value) < 0 ? -errno
                                                                                           : 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    if (!path || !*path || strlen(path) >= sizeof sa->sun_path)
        return -EINVAL;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    strcpy(sa->sun_path, path);
    return 0;
}

int corio_unix_listen(const char *path, int backlog, corio_fd **out)
{
    struct sockaddr_un sa;
    int rc = unix_addr(path, &sa);
    if (rc < 0 || !out)
        return rc < 0 ? rc : -EINVAL;
    (void)CORIO__LOOP();
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket from an earlier run */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, backlog > 0 ? backlog : 511) < 0) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return corio_fd_open(fd, out);
}

int corio_unix_connect(const char *path, corio_fd **out, int64_t deadline)
{
    struct sockaddr_un sa;
    int rc = unix_addr(path, &sa);
    if (rc < 0 || !out)
        return rc < 0 ? rc : -EINVAL;
    return connect_one((const struct sockaddr *)&sa, sizeof sa, deadline, out);
}

int corio_udp_open(const char *host, int port, corio_fd **out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (!out || port < 0 || port > 65535 || !literal(host ? host : "0.0.0.0", port, &ss, &len))
        return -EINVAL;
    (void)CORIO__LOOP();
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return corio_fd_open(fd, out);
}

ssize_t corio_udp_send(corio_fd *f, const void *buf, size_t len, const char *host, int port,
                       int64_t deadline)
{
    struct sockaddr_storage ss;
    socklen_t alen;
    CORIO__MISUSE_IF(!f, "the fd is NULL");
    if ((!buf && len) || !host || port <= 0 || port > 65535 || !literal(host, port, &ss, &alen))
        return -EINVAL;
    for (;;) {
        ssize_t n =
            sendto(corio_fd_fileno(f), buf, len, MSG_NOSIGNAL, (struct sockaddr *)&ss, alen);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int rc = corio__fd_wait_again(f, CORIO_WRITE, deadline);
        if (rc < 0)
            return rc;
    }
}

ssize_t corio_udp_recv(corio_fd *f, void *buf, size_t len, char *from, int *port, int64_t deadline)
{
    CORIO__MISUSE_IF(!f, "the fd is NULL");
    if (!buf && len)
        return -EINVAL;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t alen = sizeof ss;
        ssize_t n =
            recvfrom(corio_fd_fileno(f), buf, len, MSG_TRUNC, (struct sockaddr *)&ss, &alen);
        if (n >= 0) {
            const void *addr = ss.ss_family == AF_INET6
                                   ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                   : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
            if (from)
                inet_ntop(ss.ss_family, addr, from, INET6_ADDRSTRLEN);
            if (port)
                *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                       : ((struct sockaddr_in *)&ss)->sin_port);
            return n > (ssize_t)len ? (ssize_t)len : n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int rc = corio__fd_wait_again(f, CORIO_READ, deadline);
        if (rc < 0)
            return rc;
    }
}

/* --- serve_tcp --------------------------------------------------------------- */

typedef struct tcp_server {
    corio_conn_fn *handler;
    void *arg;
    unsigned flags;
    corio_nursery *nursery;
    corio__parker pk;          /* with CORIO_SERVE_PARK */
    corio__log_limit failures; /* handlers failing, shared by the connections */
} tcp_server;

typedef struct served {
    tcp_server *srv;
    corio_stream *conn;
    corio__parked p;
} served;

static void served_end(served *c, intptr_t rc)
{
    tcp_server *srv = c->srv;
    corio__parked_done(&c->p);
    corio_stream_close(c->conn);
    /* A connection's trouble is its own, not the server's: never fail the
     * nursery (which would cancel every other connection), but say so. A
     * cancelled handler is the server stopping; a peer that went away is
     * the peer's doing (as in the HTTP server). */
    if (rc == -EPIPE || rc == -ECONNRESET) {
        corio__log(CORIO_LOG_DEBUG, "tcp", "connection handler failed: %s",
                   corio_strerror((int)rc));
    } else if (rc < 0 && rc != -ECANCELED) {
        unsigned long n = corio__log_limited(&srv->failures, CORIO_LOG_WARN);
        if (n)
            corio__log_write(CORIO_LOG_WARN, "tcp",
                             "connection handler failed: %s (failures since the last report: %lu)",
                             corio_strerror((int)rc), n);
    }
    free(c);
}

/* A parked connection ended without a task. */
static void parked_end(corio__parked *p, int rc)
{
    served *c = corio__container_of(p, served, p);
    if (rc == -ENOMEM)
        corio__log(CORIO_LOG_WARN, "tcp", "dropped a connection: %s", corio_strerror(rc));
    served_end(c, rc == -ENOMEM ? 0 : rc);
}

/* Parks c until its descriptor is readable: no task, no read buffer. */
static void park(served *c)
{
    corio__stream_trim(c->conn);
    corio__park_conn(&c->p, -1); /* without a deadline it cannot fail */
}

/* After the handler asked to be called again when more bytes come: 0 when
 * they are there (call it now), 1 when c went on without this task (parked,
 * or handed to a new one), or a negative errno. */
static int await_bytes(served *c)
{
    corio_fd *f = corio__stream_plain_fd(c->conn); /* NULL: the stream holds bytes */
    if (!f || !corio__fd_nothing_to_read(f))
        return 0;
    int rc = corio__park_conn_wait(&c->p, -1, false);
    if (rc == 1 && !c->p.woken)
        corio__stream_trim(c->conn);
    return rc;
}

static intptr_t serve_one(void *arg)
{
    served *c = arg;
    tcp_server *srv = c->srv;
    intptr_t rc;
    for (;;) {
        rc = srv->handler(c->conn, srv->arg);
        if (rc != CORIO_CONN_PARK || !(srv->flags & CORIO_SERVE_PARK))
            break;
        int w = await_bytes(c);
        if (w == 1)
            return 0;
        if (w < 0) {
            rc = w;
            break;
        }
    }
    served_end(c, rc);
    return 0;
}

static intptr_t resumed(void *arg)
{
    return serve_one(corio__container_of(arg, served, p));
}

int corio_serve_tcp(corio_fd *listener, corio_conn_fn *handler, void *arg, int64_t deadline)
{
    return corio_serve_tcp_ex(listener, handler, arg, 0, deadline);
}

int corio_serve_tcp_ex(corio_fd *listener, corio_conn_fn *handler, void *arg, unsigned flags,
                       int64_t deadline)
{
    CORIO__MISUSE_IF(!listener, "the listener is NULL");
    if (!handler || (flags & ~(unsigned)CORIO_SERVE_PARK))
        return -EINVAL;
    tcp_server srv = {.handler = handler, .arg = arg, .flags = flags};
    int rc = corio_nursery_open(&srv.nursery);
    if (rc < 0)
        return rc;
    corio__parker_init(&srv.pk, srv.nursery, resumed, parked_end, "connection");
    /* The deadline bounds the accepting only: entered after the nursery,
     * its scope does not reach the connections, which stop below as on
     * cancel. */
    corio_scope until;
    if ((rc = corio_scope_enter(&until, deadline, 0)) < 0) {
        corio_nursery_close(srv.nursery);
        return rc;
    }
    corio__log_limit starved = {0};
    for (;;) {
        corio_fd *fd;
        if ((rc = corio__accept_or_wait(listener, &fd, "tcp", &starved)) < 0)
            break;
        static const corio_spawn_opts opts = {.name = "connection"};
        corio_stream *s = NULL;
        served *c = NULL;
        int err = corio_stream_open(fd, &s); /* on failure it closed fd */
        if (err == 0)
            err = (c = malloc(sizeof *c)) ? 0 : -ENOMEM;
        if (err == 0) {
            *c = (served){.srv = &srv, .conn = s};
            corio__parked_init(&c->p, &srv.pk, corio__stream_plain_fd(s));
            if (flags & CORIO_SERVE_PARK) /* the first bytes start its task */
                park(c);
            else
                err = corio_spawn_ex(srv.nursery, serve_one, c, &opts, NULL);
        }
        if (err < 0) {
            if (s)
                corio_stream_close(s);
            free(c);
            corio__log(CORIO_LOG_WARN, "tcp", "dropped a new connection: %s", corio_strerror(err));
        }
    }
    corio_scope_exit(&until); /* rc says why it ended */
    corio__parker_closing(&srv.pk);
    corio_nursery_cancel(srv.nursery); /* the server stops: so do its connections */
    corio_nursery_close(srv.nursery);
    corio__parker_close(&srv.pk);
    return rc;
}
