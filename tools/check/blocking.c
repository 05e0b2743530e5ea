/* A minimal blocking HTTP/1.1 client for the seed's thread and process
 * modes: getaddrinfo, a plain socket whose SO_RCVTIMEO/SO_SNDTIMEO are set
 * to what is left of the URL's deadline before every call, one request with
 * Connection: close, the response framed by Content-Length, chunked or the
 * end of the connection. Redirects are followed as corio's client does;
 * https (no TLS here) goes to corio's client on a private loop. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

enum { LINE_MAX_BYTES = 8192, HEAD_MAX_BYTES = 65536 };

typedef struct reader {
    int fd;
    double deadline;
    size_t pos, len;
    char buf[16384];
} reader;

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

/* > 0 bytes buffered, 0 at the end of the stream, < 0 error. */
static int fill(reader *rd)
{
    if (rd->pos < rd->len)
        return 1;
    int rc = arm(rd->fd, rd->deadline);
    if (rc < 0)
        return rc;
    ssize_t n;
    while ((n = recv(rd->fd, rd->buf, sizeof rd->buf, 0)) < 0 && errno == EINTR) {
    }
    if (n < 0)
        return sock_error(errno);
    rd->pos = 0;
    rd->len = (size_t)n;
    return n > 0;
}

/* One line without its CRLF (or LF) into out; -EBADMSG if too long or the
 * stream ends first. */
static int read_line(reader *rd, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        int rc = fill(rd);
        if (rc <= 0)
            return rc < 0 ? rc : -EBADMSG;
        char c = rd->buf[rd->pos++];
        if (c == '\n')
            break;
        if (n + 1 >= cap)
            return -EBADMSG;
        out[n++] = c;
    }
    if (n && out[n - 1] == '\r')
        n--;
    out[n] = '\0';
    return 0;
}

/* Skips n bytes (all of the stream when n < 0), adding them to *bytes. */
static int skip(reader *rd, long long n, uint64_t *bytes)
{
    while (n != 0) {
        int rc = fill(rd);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return n < 0 ? 0 : -EBADMSG;
        size_t take = rd->len - rd->pos;
        if (n > 0 && (long long)take > n)
            take = (size_t)n;
        rd->pos += take;
        *bytes += take;
        if (n > 0)
            n -= (long long)take;
    }
    return 0;
}

static int chunked_body(reader *rd, uint64_t *bytes)
{
    char line[LINE_MAX_BYTES];
    for (;;) {
        int rc = read_line(rd, line, sizeof line);
        if (rc < 0)
            return rc;
        char *end;
        errno = 0;
        long long size = strtoll(line, &end, 16);
        if (end == line || errno || size < 0 || (*end && *end != ';' && *end != ' '))
            return -EBADMSG;
        if (size == 0)
            break;
        if ((rc = skip(rd, size, bytes)) < 0 || (rc = read_line(rd, line, sizeof line)) < 0)
            return rc;
        if (*line)
            return -EBADMSG;
    }
    do { /* trailers, up to the empty line */
        int rc = read_line(rd, line, sizeof line);
        if (rc < 0)
            return rc;
    } while (*line);
    return 0;
}

typedef struct head {
    int status;
    long long length; /* -1: none */
    int chunked;
    char *location; /* malloc'ed, or NULL */
} head;

static int read_head(reader *rd, head *h)
{
    char line[LINE_MAX_BYTES];
    size_t total = 0;
    int rc = read_line(rd, line, sizeof line);
    if (rc < 0)
        return rc;
    int minor, status, used = 0;
    if (sscanf(line, "HTTP/1.%1d %3d%n", &minor, &status, &used) != 2 || used != 12 || status < 100)
        return -EBADMSG;
    *h = (head){.status = status, .length = -1};
    while ((rc = read_line(rd, line, sizeof line)) == 0 && *line) {
        if ((total += strlen(line)) > HEAD_MAX_BYTES)
            return -EBADMSG;
        char *colon = strchr(line, ':');
        if (!colon)
            return -EBADMSG;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!strcasecmp(line, "Content-Length")) {
            char *end;
            h->length = strtoll(v, &end, 10);
            if (end == v || h->length < 0)
                return -EBADMSG;
        } else if (!strcasecmp(line, "Transfer-Encoding")) {
            h->chunked = strcasestr(v, "chunked") != NULL;
        } else if (!strcasecmp(line, "Location") && !h->location) {
            if (!(h->location = strdup(v)))
                return -ENOMEM;
        }
    }
    return rc;
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

/* One exchange: the final status (> 0) or a negative errno; *location the
 * redirect target when there is one to follow. */
static int exchange(const corio_url *u, const check_opts *o, double deadline, reader *rd,
                    uint64_t *bytes, char **location)
{
    int fd = -1, rc = connect_to(u, deadline, &fd);
    if (rc < 0)
        return rc;
    rd->fd = fd;
    rd->deadline = deadline;
    rd->pos = rd->len = 0;
    head h = {0};
    if ((rc = send_request(fd, u, o, deadline)) == 0) {
        /* Interim 1xx answers precede the real one. */
        while ((rc = read_head(rd, &h)) == 0 && h.status < 200) {
            free(h.location);
            h.location = NULL;
        }
    }
    if (rc == 0) {
        if (o->head || h.status == 204 || h.status == 304)
            rc = 0;
        else if (h.chunked)
            rc = chunked_body(rd, bytes);
        else
            rc = skip(rd, h.length, bytes);
    }
    close(fd);
    if (rc < 0) {
        free(h.location);
        return rc;
    }
    *location = h.location;
    return h.status;
}

static int is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void check_fetch_blocking(const char *url, const check_opts *o, check_result *r)
{
    double t0 = check_now_ms(), deadline = t0 + (double)o->timeout_ms;
    reader *rd = malloc(sizeof *rd);
    char *current = strdup(url);
    int rc = rd && current ? check_url_valid(url) : -ENOMEM;
    *r = (check_result){0};
    for (int hops = 0; rc == 0; hops++) {
        corio_url u;
        if ((rc = corio_url_parse(current, &u)) < 0)
            break;
        if (!strcmp(u.scheme, "https")) {
            corio_url_free(&u);
            int left = o->follow ? CHECK_MAX_REDIRECTS - hops : 0;
            check_fetch_private_loop(current, o, deadline, left, r);
            rc = r->outcome;
            break;
        }
        char *location = NULL;
        r->bytes = 0;
        rc = exchange(&u, o, deadline, rd, &r->bytes, &location);
        corio_url_free(&u);
        if (rc > 0 && o->follow && is_redirect(rc) && location && hops < CHECK_MAX_REDIRECTS) {
            char *next;
            int rrc = corio_url_resolve(current, location, &next);
            free(location);
            if (rrc < 0 || check_url_valid(next) < 0) {
                /* Nowhere valid to go: the redirect is the answer. */
                free(rrc < 0 ? NULL : next);
                break;
            }
            free(current);
            current = next;
            rc = 0;
            continue;
        }
        free(location);
        break;
    }
    free(current);
    free(rd);
    r->outcome = rc;
    r->ms = (float)(check_now_ms() - t0);
}
