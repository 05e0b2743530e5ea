/* Connecting: libpq's connect-poll loop on corio's fd waits, after host
 * names are resolved by corio's resolver rather than libpq's blocking one. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/cancel.h>
#include <corio/dns.h>
#include <corio/task.h>

#include "../base/misuse.h"
#include "../base/log.h"
#include "../io/fd.h"
#include "pg_internal.h"

/* libpq prints notices on stderr by default; a library must not. */
static void on_notice(void *arg, const char *msg)
{
    (void)arg;
    corio__log(CORIO_LOG_DEBUG, "pg", "notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Where PQconnectPoll's failure came from: before the startup packet went
 * out nobody answered; after it, a server refused the session. */
static int connect_error(PGconn *conn, bool reached)
{
    const char *msg = PQerrorMessage(conn);
    corio__log(CORIO_LOG_INFO, "pg", "connect: %.*s", (int)strcspn(msg, "\n"), msg);
    return reached ? -CORIO_ESERVER : -ECONNREFUSED;
}

static int connect_poll(PGconn *conn, int64_t deadline)
{
    bool reached = false;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    if (PQstatus(conn) == CONNECTION_BAD)
        return connect_error(conn, false);
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED)
            return connect_error(conn, reached);
        /* The socket can change between polls (another address, or a
         * retry without TLS): ask for it each time. */
        int rc = corio_wait_fd(PQsocket(conn),
                               st == PGRES_POLLING_READING ? CORIO_READ : CORIO_WRITE, deadline);
        if (rc < 0)
            return rc;
        st = PQconnectPoll(conn);
        ConnStatusType cs = PQstatus(conn);
        if (cs == CONNECTION_AWAITING_RESPONSE || cs == CONNECTION_AUTH_OK)
            reached = true;
    }
    return 0;
}

static int attach(corio_pg *c)
{
    if (PQsetnonblocking(c->conn, 1) < 0)
        return -ENOMEM;
    int fd = dup(PQsocket(c->conn));
    if (fd < 0)
        return -errno;
    c->et = !PQsslInUse(c->conn) && !PQgssEncInUse(c->conn);
    /* Nonblocking already (libpq's socket, one file description). Read
     * interest only: libpq's sends wait on its own descriptor
     * (corio__pg_flush), and on a Unix socket an EPOLLOUT edge each time
     * the server reads a request would wake the loop for nothing. */
    return corio__fd_open_reader(fd, &c->fd);
}

static const char *option(const PQconninfoOption *o, const char *name)
{
    for (; o->keyword; o++)
        if (!strcmp(o->keyword, name))
            return o->val;
    return NULL;
}

/* Whether libpq would resolve host itself: one name (not a socket
 * directory, not an address, not a list), no hostaddr given. */
static bool needs_lookup(const char *host, const char *hostaddr)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return host && *host && host[0] != '/' && host[0] != '@' && !strchr(host, ',') &&
           !(hostaddr && *hostaddr) && inet_pton(AF_INET, host, buf) != 1 &&
           inet_pton(AF_INET6, host, buf) != 1;
}

/* libpq resolves a host name with a blocking getaddrinfo inside
 * PQconnectPoll, which would stop the loop: the name is resolved here with
 * corio's resolver and its addresses handed to libpq as hostaddr (host
 * stays, for TLS verification and .pgpass), one host entry per address. */
static int start(PQconninfoOption *opts, PGconn **out, int64_t deadline)
{
    enum { MAXADDR = 4 };
    const char *host = option(opts, "host");
    corio_addr addrs[MAXADDR];
    int n = 0;
    if (needs_lookup(host, option(opts, "hostaddr")) &&
        (n = corio_dns_resolve(host, addrs, MAXADDR, deadline)) < 0)
        return n == -ENOENT || n == -EAGAIN ? -CORIO_EDNS : n;
    size_t count = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        count++;
    const char **keys = calloc(count + 2, sizeof *keys), **vals = calloc(count + 2, sizeof *vals);
    size_t hlen = host ? strlen(host) + 1 : 0;
    char *hosts = malloc(hlen * MAXADDR + 1), *addrlist = malloc(MAXADDR * (INET6_ADDRSTRLEN + 1));
    int rc = keys && vals && hosts && addrlist ? 0 : -ENOMEM;
    size_t k = 0;
    for (PQconninfoOption *o = opts; !rc && o->keyword; o++)
        if (o->val && !(n > 0 && !strcmp(o->keyword, "host"))) {
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
    if (!rc && n > 0) {
        char *h = hosts, *a = addrlist;
        for (int i = 0; i < n; i++) {
            const struct sockaddr_storage *ss = &addrs[i].sa;
            const void *bin = ss->ss_family == AF_INET6
                                  ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                                  : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
            char ip[INET6_ADDRSTRLEN] = "";
            inet_ntop(ss->ss_family, bin, ip, sizeof ip);
            h += sprintf(h, "%s%s", i ? "," : "", host);
            a += sprintf(a, "%s%s", i ? "," : "", ip);
        }
        keys[k] = "host";
        vals[k++] = hosts;
        keys[k] = "hostaddr";
        vals[k++] = addrlist;
    }
    if (!rc && !(*out = PQconnectStartParams(keys, vals, 0)))
        rc = -ENOMEM;
    free(keys);
    free(vals);
    free(hosts);
    free(addrlist);
    return rc;
}

int corio_pg_connect(const char *conninfo, corio_pg **out, int64_t deadline)
{
    CORIO__MISUSE_IF(!conninfo || !out, "conninfo or out is NULL");
    CORIO__MISUSE_IF(!corio_current(), "called outside a task");
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        corio__log(CORIO_LOG_INFO, "pg", "connect: %s", perr ? perr : "out of memory");
        int rc = perr ? -EINVAL : -ENOMEM;
        PQfreemem(perr);
        return rc;
    }
    int rc = corio_checkpoint();
    corio_pg *c = rc < 0 ? NULL : calloc(1, sizeof *c);
    if (!rc && !c)
        rc = -ENOMEM;
    if (!rc)
        rc = start(opts, &c->conn, deadline);
    PQconninfoFree(opts);
    if (rc < 0) {
        free(c);
        return rc;
    }
    PQsetNoticeProcessor(c->conn, on_notice, NULL);
    rc = connect_poll(c->conn, deadline);
    if (!rc)
        rc = attach(c);
    if (rc < 0) {
        corio_pg_close(c);
        return rc;
    }
    *out = c;
    return 0;
}
