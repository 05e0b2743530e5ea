/* c-ares on the loop. c-ares tells us (sock_state_cb) which sockets to watch
 * for what; we watch them level-triggered on the poller and hand readiness
 * back with ares_process_fd; one loop timer follows ares_timeout. */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <corio/dns.h>
#include <corio/time.h>

#include "../core/sched.h"

#define WATCH_MAX 16  /* c-ares uses a handful of sockets */
#define CACHE_MAX 256 /* names per loop */
#define ADDR_MAX  8   /* addresses kept per name */
#define HOSTS_TTL 60  /* seconds, for answers without a DNS TTL */

typedef struct watch {
    corio__io io;
    struct dns *dns;
    uint32_t events; /* 0: slot free */
} watch;

typedef struct cached {
    char *host;
    corio_addr addr[ADDR_MAX];
    int n;
    int64_t expires; /* corio_now() ms */
} cached;

typedef struct dns {
    corio__loop *loop;
    ares_channel channel;
    watch watches[WATCH_MAX];
    corio__timer timer;
    cached cache[CACHE_MAX];
    size_t next_slot; /* round-robin eviction */
} dns;

typedef struct query {
    corio_task *task;
    int status;
    struct ares_addrinfo *res;
    bool done;      /* answered (possibly at once, from /etc/hosts) */
    bool waiting;   /* the asker is parked for the answer */
    bool abandoned; /* the asker left: the callback frees the query */
} query;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
    ares_library_init(ARES_LIB_INIT_ALL);
}

static void rearm(dns *d)
{
    corio__loop *l = d->loop;
    if (d->timer.index != SIZE_MAX)
        corio__timer_remove(&l->timers, &d->timer);
    struct timeval tv, *t = ares_timeout(d->channel, NULL, &tv);
    if (t)
        corio__timer_add(&l->timers, &d->timer,
                         corio_now_ns() + (int64_t)t->tv_sec * 1000000000 + t->tv_usec * 1000);
}

static void on_timer(corio__timer *timer)
{
    dns *d = corio__container_of(timer, dns, timer);
    ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(d);
}

static void on_ready(corio__io *io, uint32_t events)
{
    watch *w = (watch *)io;
    dns *d = w->dns;
    ares_socket_t fd = io->fd;
    ares_process_fd(d->channel, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
                    events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
    rearm(d);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    dns *d = data;
    uint32_t want = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
    watch *w = NULL, *free_slot = NULL;
    for (int i = 0; i < WATCH_MAX; i++) {
        if (d->watches[i].events && d->watches[i].io.fd == fd)
            w = &d->watches[i];
        else if (!d->watches[i].events && !free_slot)
            free_slot = &d->watches[i];
    }
    if (w) {
        corio__poller_del(&d->loop->poller, &w->io, true);
        w->events = 0;
    }
    if (!want)
        return;
    w = w ? w : free_slot;
    if (!w)
        return; /* more sockets than slots: c-ares falls back on its timeouts */
    w->io.fd = fd;
    w->io.ready = on_ready;
    w->dns = d;
    if (corio__poller_add(&d->loop->poller, &w->io, want, true) == 0)
        w->events = want;
}

static void destroy(void *p)
{
    dns *d = p;
    ares_destroy(d->channel); /* pending queries' callbacks run: they free themselves */
    if (d->timer.index != SIZE_MAX)
        corio__timer_remove(&d->loop->timers, &d->timer);
    for (int i = 0; i < CACHE_MAX; i++)
        free(d->cache[i].host);
    free(d);
}

static int get_dns(corio__loop *l, dns **out)
{
    if (l->dns) {
        *out = l->dns;
        return 0;
    }
    pthread_once(&init_once, library_init);
    dns *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->loop = l;
    d->timer.index = SIZE_MAX;
    d->timer.fire = on_timer;
    struct ares_options o = {
        .sock_state_cb = sock_state, .sock_state_cb_data = d, .timeout = 2000, .tries = 2};
    if (ares_init_options(&d->channel, &o,
                          ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
        ARES_SUCCESS) {
        free(d);
        return -ENOMEM;
    }
    /* CORIO_DNS_SERVERS overrides /etc/resolv.conf: the test suite points it
     * at loopback so no test ever sends a query off this machine. */
    const char *servers = getenv("CORIO_DNS_SERVERS");
    if (servers && *servers)
        ares_set_servers_ports_csv(d->channel, servers);
    l->dns = d;
    l->dns_destroy = destroy;
    *out = d;
    return 0;
}

static int map_status(int status)
{
    switch (status) {
    case ARES_SUCCESS:
        return 0;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
        return -ENOENT;
    case ARES_ETIMEOUT:
        return -ETIMEDOUT;
    case ARES_EBADNAME:
    case ARES_EBADFAMILY:
        return -EINVAL;
    case ARES_ENOMEM:
        return -ENOMEM;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
        return -ECANCELED;
    default:
        /* SERVFAIL, REFUSED, format errors, servers out of reach...: try
         * again later. c-ares 1.18 reports a server that answered SERVFAIL
         * every time as ARES_ECONNREFUSED: that is no refused connection. */
        return -EAGAIN;
    }
}

static void answered(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    query *q = arg;
    q->status = status;
    q->res = res;
    q->done = true;
    if (q->abandoned) {
        if (res)
            ares_freeaddrinfo(res);
        free(q);
    } else if (q->waiting) {
        corio__wake(q->task->loop, q->task, 0);
    }
}

static void asker_left(corio_task *t)
{
    query *q = t->wait_data;
    q->abandoned = true;
}

static cached *lookup_cache(dns *d, const char *host)
{
    int64_t now = corio_now();
    for (int i = 0; i < CACHE_MAX; i++)
        if (d->cache[i].host && d->cache[i].expires > now && !strcmp(d->cache[i].host, host))
            return &d->cache[i];
    return NULL;
}

static int copy_out(const cached *c, corio_addr *out, size_t max)
{
    int n = 0;
    for (; n < c->n && (size_t)n < max; n++)
        out[n] = c->addr[n];
    return n ? n : -ENOENT;
}

/* Copies res's addresses out and caches them for their smallest TTL. An
 * answer from /etc/hosts carries no TTL (0, as DNS's "do not keep" does): it
 * is kept for HOSTS_TTL. A TTL of 0 from DNS is used once, not kept. */
static int take_answer(dns *d, const char *host, const struct ares_addrinfo *res, bool from_hosts,
                       corio_addr *out, size_t max)
{
    cached fresh = {0};
    int ttl = INT32_MAX;
    for (const struct ares_addrinfo_node *n = res->nodes; n && fresh.n < ADDR_MAX; n = n->ai_next) {
        if (n->ai_addrlen > sizeof fresh.addr[0].sa)
            continue;
        memcpy(&fresh.addr[fresh.n].sa, n->ai_addr, n->ai_addrlen);
        fresh.addr[fresh.n++].len = n->ai_addrlen;
        if (n->ai_ttl < ttl)
            ttl = n->ai_ttl;
    }
    if (from_hosts)
        ttl = HOSTS_TTL;
    int rc = copy_out(&fresh, out, max);
    if (rc < 0 || ttl <= 0 || !(fresh.host = strdup(host)))
        return rc; /* answered, not cached */
    fresh.expires = corio_now() + (int64_t)ttl * 1000;
    cached *c = &d->cache[d->next_slot++ % CACHE_MAX];
    free(c->host);
    *c = fresh;
    return rc;
}

int corio_dns_resolve(const char *host, corio_addr *out, size_t max, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    if (!host || !*host || !out || max == 0 || strlen(host) > 253)
        return -EINVAL;
    /* IP literals never touch the resolver. */
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out[0].sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out[0].sa;
    memset(&out[0], 0, sizeof out[0]);
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        out[0].len = sizeof *v4;
        return 1;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        out[0].len = sizeof *v6;
        return 1;
    }
    dns *d;
    int rc = get_dns(l, &d);
    if (rc < 0)
        return rc;
    cached *c = lookup_cache(d, host);
    if (c)
        return copy_out(c, out, max);
    rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    query *q = calloc(1, sizeof *q);
    if (!q)
        return -ENOMEM;
    q->task = l->current;
    struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    ares_getaddrinfo(d->channel, host, NULL, &hints, answered, q);
    rearm(d);
    /* c-ares answers from /etc/hosts before ares_getaddrinfo returns, and
     * from DNS only later. */
    bool from_hosts = q->done;
    if (!q->done) { /* not answered from /etc/hosts at once: wait */
        l->current->wait_data = q;
        q->waiting = true;
        rc = corio__park(l, "dns", 0, corio__deadline_ns(deadline), asker_left);
        q->waiting = false;
        if (rc < 0)
            return corio__wait_rc(rc); /* q is freed by the callback */
    }
    rc = map_status(q->status);
    if (rc == 0 && q->res)
        rc = take_answer(d, host, q->res, from_hosts, out, max);
    if (q->res)
        ares_freeaddrinfo(q->res);
    free(q);
    return rc;
}

int corio_dns_set_servers(const char *csv)
{
    corio__loop *l = CORIO__LOOP();
    if (!csv)
        return -EINVAL;
    dns *d;
    int rc = get_dns(l, &d);
    if (rc < 0)
        return rc;
    if (ares_set_servers_ports_csv(d->channel, csv) != ARES_SUCCESS)
        return -EINVAL;
    for (int i = 0; i < CACHE_MAX; i++) {
        free(d->cache[i].host);
        d->cache[i].host = NULL;
    }
    return 0;
}
