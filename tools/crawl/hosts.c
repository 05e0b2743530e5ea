#include "hosts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "robots.h"

struct host {
    corio_event *ready; /* set once robots.txt is known */
    bool loading;
    robots *rules; /* NULL: everything allowed */
    int64_t next_at;
};

/* Rules from the answer to robots.txt (RFC 9309 2.3.1): a missing file
 * (4xx) allows all, a server error (5xx) disallows all. A host that cannot be
 * reached at all is allowed, so that its pages report the real failure. */
/* A fleet shares its robots.txt answers as 'A' (allow all), 'D' (disallow
 * all) or 'R' and the file's text. */
static int apply_shared(host *h, const char *val, size_t len)
{
    if (len > 0 && val[0] == 'R')
        return robots_parse(val + 1, len - 1, CRAWL_AGENT, &h->rules);
    return len > 0 && val[0] == 'D' ? robots_disallow_all(&h->rules) : 0;
}

static int share(crawler *c, const char *origin, char kind, const char *text, size_t len)
{
    if (!c->fleet)
        return 0;
    char *val = malloc(len + 1);
    if (!val)
        return -ENOMEM;
    val[0] = kind;
    if (len)
        memcpy(val + 1, text, len);
    int rc = fleet_robots_put(c->fleet, origin, val, len + 1);
    free(val);
    return rc;
}

static int load_robots(crawler *c, host *h, const char *origin)
{
    if (c->fleet) { /* asked of Redis first; if Redis fails, fetched here */
        char *val;
        size_t len;
        int rc = fleet_robots_get(c->fleet, origin, &val, &len);
        if (rc == 0) {
            rc = apply_shared(h, val, len);
            free(val);
            return rc;
        }
        if (rc == -ECANCELED || rc == -ENOMEM)
            return rc;
    }
    size_t olen = strlen(origin);
    char *url = malloc(olen + sizeof "/robots.txt");
    if (!url)
        return -ENOMEM;
    memcpy(url, origin, olen);
    memcpy(url + olen, "/robots.txt", sizeof "/robots.txt");
    corio_http_request_opts ro = {
        .max_redirects = 5,
        .max_body = CRAWL_ROBOTS_MAX_BODY,
        .gzip = true,
    };
    corio_http_response *r;
    int rc = corio_http_client_request(c->client, url, &ro, &r, corio_now() + c->o->timeout_ms);
    free(url);
    if (rc == -ECANCELED || rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return 0;
    int status = corio_http_response_status(r);
    if (status >= 200 && status < 300) {
        const char *body;
        size_t len;
        corio_http_response_body(r, &body, &len);
        rc = robots_parse(body, len, CRAWL_AGENT, &h->rules);
        rc = rc < 0 ? rc : share(c, origin, 'R', body, len);
    } else if (status >= 500) {
        rc = robots_disallow_all(&h->rules);
        rc = rc < 0 ? rc : share(c, origin, 'D', NULL, 0);
    } else {
        rc = share(c, origin, 'A', NULL, 0);
    }
    corio_http_response_free(r);
    return rc;
}

static int get_host(crawler *c, const char *origin, host **out)
{
    void **slot;
    int rc = strmap_put(&c->hosts, origin, &slot);
    if (rc < 0)
        return rc;
    if (!*slot) { /* new, or left empty by an earlier lack of memory */
        host *h = calloc(1, sizeof *h);
        if (!h || corio_event_new(&h->ready) < 0) {
            free(h);
            return -ENOMEM;
        }
        *slot = h;
    }
    *out = *slot;
    return 0;
}

int host_admit(crawler *c, const char *url)
{
    /* A normalised URL is "scheme://authority/path...": its origin is
     * everything before the path, already in canonical form. */
    const char *path = strchr(strstr(url, "://") + 3, '/');
    size_t olen = path ? (size_t)(path - url) : strlen(url);
    char *origin = strndup(url, olen);
    if (!origin)
        return -ENOMEM;
    host *h;
    int rc = get_host(c, origin, &h);
    if (rc == 0 && c->o->robots && !h->loading) {
        h->loading = true;
        rc = load_robots(c, h, origin);
        corio_event_set(h->ready); /* also on failure: the waiters must not hang */
    } else if (rc == 0 && c->o->robots) {
        rc = corio_event_wait(h->ready, -1);
    }
    free(origin);
    if (rc < 0)
        return rc;
    if (!robots_allowed(h->rules, path ? path : "/"))
        return 0;
    if (c->o->delay_ms > 0) {
        int64_t now = corio_now(), at = h->next_at > now ? h->next_at : now;
        h->next_at = at + c->o->delay_ms;
        if (at > now && (rc = corio_sleep(at - now)) < 0)
            return rc;
    }
    return 1;
}

void host_free(void *p)
{
    host *h = p;
    if (!h)
        return;
    corio_event_free(h->ready);
    robots_free(h->rules);
    free(h);
}
