/* One URL's outcome, hop by hop, for every mode: the modes differ only in
 * how one exchange is done (corio's client, or blocking sockets whose
 * answers are parsed as corio's client parses them), never in what an answer
 * counts as. Redirects are followed here, not by the client, so that where
 * a redirect leads is judged once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int check_url_valid(const char *url)
{
    corio_url u;
    int rc = corio_url_parse(url, &u);
    if (rc == 0 && (!u.scheme || !u.host || !*u.host ||
                    (strcmp(u.scheme, "http") && strcmp(u.scheme, "https"))))
        rc = -EINVAL;
    corio_url_free(&u);
    return rc == -ENOMEM ? rc : rc < 0 ? -EINVAL : 0;
}

static int is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One errno per class, whichever layer said it: a socket's timed-out wait
 * reads EAGAIN (EINPROGRESS for connect), a write to a closed peer EPIPE. */
static int classify(int rc)
{
    if (rc > 0)
        return rc < 1000 ? rc : -EBADMSG;
    switch (-rc) {
    case EAGAIN:
    case EINPROGRESS:
        return -ETIMEDOUT;
    case EPIPE:
    case ECONNABORTED:
        return -ECONNRESET;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
        return -ECONNREFUSED;
    case EKEYREJECTED:
        return -EPROTO;
    default:
        return rc;
    }
}

/* The next hop after a redirect from current to location: 0 and *next, or
 * -EBADMSG (cannot be resolved), -EINVAL (not an http(s) URL), -ENOMEM. */
static int next_hop(const char *current, const char *location, char **next)
{
    int rc = corio_url_resolve(current, location, next);
    if (rc < 0)
        return rc == -ENOMEM ? rc : -EBADMSG;
    if ((rc = check_url_valid(*next)) < 0) {
        free(*next);
        *next = NULL;
    }
    return rc;
}

void check_fetch(const char *url, const check_opts *o, int max_redirects,
                 check_exchange_fn exchange, void *ctx, check_result *r)
{
    double t0 = check_now_ms();
    *r = (check_result){0};
    char *current = strdup(url);
    int rc = current ? check_url_valid(url) : -ENOMEM;
    for (int hops = 0; rc == 0; hops++) {
        char *location = NULL, *next = NULL;
        r->bytes = 0;
        rc = exchange(ctx, current, o, &r->bytes, &location);
        if (rc > 0 && is_redirect(rc) && location && hops < max_redirects &&
            (rc = next_hop(current, location, &next)) == 0) {
            free(current);
            current = next;
        }
        free(location);
    }
    free(current);
    r->outcome = classify(rc);
    r->ms = (float)(check_now_ms() - t0);
}
