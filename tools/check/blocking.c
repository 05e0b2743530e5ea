/* A minimal blocking HTTP/1.1 client for the seed's thread and process
 * modes: getaddrinfo, a plain socket whose SO_RCVTIMEO/SO_SNDTIMEO are set
 * to what is left of the URL's deadline before every call, one request with
 * Connection: close, the answer parsed by response.c as corio's client
 * parses it. Redirects are followed by check_fetch, as in every mode; an
 * https hop (no TLS here) goes to corio's client on a private loop. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

/* Arms the socket's timeouts with the time left; -ETIMEDOUT when none. */
static int arm(int fd, double deadline)
{
    double left = deadline - check_now_ms();
    if (left < 1)
        return -ETIMEDOUT;
    struct timeval tv = {.tv_sec = (time_t)(left / 1000),
                         .tv_usec = (suseconds_t)((long)left % 1000 * 1000)};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
        return -errno;
    return 0;
}

/* A socket call's failure as the URL's outcome: a timed-out wait reads
 * EAGAIN (EINPROGRESS for connect). */
static int sock_error(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS ? -ETIMEDOUT : -err;
}

static int connect_to(const corio_url *u, double deadline, int *out)
{
    char port[8];
    snprintf(port, sizeof port, "%d", corio_url_port(u));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(u->host, port, &hints, &ai) != 0)
        return -CORIO_EDNS;
    int rc = -ENOENT;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        if ((rc = arm(fd, deadline)) == 0) {
            /* connect honours SO_SNDTIMEO on Linux. */
            rc = connect(fd, a->ai_addr, a->ai_addrlen) < 0 ? sock_error(errno) : 0;
        }
        if (rc == 0) {
            *out = fd;
            break;
        }
        close(fd);
        if (rc == -ETIMEDOUT)
            break;
    }
    freeaddrinfo(ai);
    return rc;
}

static int send_request(int fd, const corio_url *u, const check_opts *o, double deadline)
{
    char req[8192];
    int port = corio_url_port(u), v6 = strchr(u->host, ':') != NULL;
    char portpart[16] = "";
    if (u->port >= 0 && port != (strcmp(u->scheme, "https") ? 80 : 443))
        snprintf(portpart, sizeof portpart, ":%d", port);
    int len = snprintf(req, sizeof req,
                       "%s %s%s%s HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: corio-check/%s\r\n"
                       "Accept: */*\r\nConnection: close\r\n\r\n",
                       o->head ? "HEAD" : "GET", *u->path ? u->path : "/", u->query ? "?" : "",
                       u->query ? u->query : "", v6 ? "[" : "", u->host, v6 ? "]" : "", portpart,
                       corio_version());
    if (len < 0 || (size_t)len >= sizeof req)
        return -EINVAL;
    for (int sent = 0; sent < len;) {
        int rc = arm(fd, deadline);
        if (rc < 0)
            return rc;
        ssize_t n = send(fd, req + sent, (size_t)(len - sent), MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR)
            return sock_error(errno);
        sent += n > 0 ? (int)n : 0;
    }
    return 0;
}

typedef struct blocking {
    double deadline;
    char buf[16384];
} blocking;

/* Sends the request and feeds what comes back to the parser until the
 * answer is complete. */
static int converse(int fd, const corio_url *u, const check_opts *o, blocking *b,
                    check_response *resp)
{
    int rc = send_request(fd, u, o, b->deadline);
    while (rc == 0) {
        if ((rc = arm(fd, b->deadline)) < 0)
            break;
        ssize_t n;
        while ((n = recv(fd, b->buf, sizeof b->buf, 0)) < 0 && errno == EINTR) {
        }
        rc = n < 0 ? sock_error(errno) : check_response_feed(resp, b->buf, (size_t)n);
    }
    return rc < 0 ? rc : check_response_status(resp);
}

static int exchange(void *ctx, const char *url, const check_opts *o, uint64_t *bytes,
                    char **location)
{
    blocking *b = ctx;
    corio_url u;
    int rc = corio_url_parse(url, &u);
    if (rc < 0)
        return rc;
    if (!strcmp(u.scheme, "https")) {
        corio_url_free(&u);
        return check_exchange_private_loop(url, o, b->deadline, bytes, location);
    }
    int fd = -1;
    check_response *resp = check_response_new(o->head);
    rc = resp ? connect_to(&u, b->deadline, &fd) : -ENOMEM;
    if (rc == 0) {
        rc = converse(fd, &u, o, b, resp);
        close(fd);
    }
    corio_url_free(&u);
    if (resp) {
        *bytes = check_response_bytes(resp);
        const char *loc = check_response_location(resp);
        if (rc > 0 && loc && !(*location = strdup(loc)))
            rc = -ENOMEM;
    }
    check_response_free(resp);
    return rc;
}

void check_fetch_blocking(const char *url, const check_opts *o, check_result *r)
{
    blocking *b = malloc(sizeof *b);
    if (!b) {
        *r = (check_result){.outcome = -ENOMEM};
        return;
    }
    b->deadline = check_now_ms() + (double)o->timeout_ms;
    check_fetch(url, o, o->follow ? CHECK_MAX_REDIRECTS : 0, exchange, b, r);
    free(b);
}
