#include "crawl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hosts.h"
#include "jsonl.h"
#include "links.h"
#include "parse.h"

typedef struct item {
    int depth;
    char url[]; /* normalised */
} item;

void crawl_count_error(crawl_stats *s, const char *name)
{
    for (size_t i = 0; i < s->nclasses; i++) {
        if (strcmp(s->classes[i].name, name) == 0) {
            s->classes[i].count++;
            return;
        }
    }
    if (s->nclasses < CRAWL_MAX_CLASSES)
        s->classes[s->nclasses++] = (crawl_class){name, 1};
}

/* The host of an absolute URL, malloc'ed, or NULL. */
static char *host_of(const char *url)
{
    corio_url u;
    if (corio_url_parse(url, &u) < 0)
        return NULL;
    char *host = u.host && *u.host ? strdup(u.host) : NULL;
    corio_url_free(&u);
    return host;
}

const char *crawl_bad_start(const crawl_opts *o)
{
    for (int i = 0; i < o->nstart; i++) {
        char *url;
        if (link_resolve(o->start[i], "", &url) <= 0)
            return o->start[i];
        free(url);
    }
    return NULL;
}

static bool host_allowed(crawler *c, const char *url)
{
    char *host = host_of(url);
    if (!host)
        return false;
    bool ok = c->o->allow ? regexec(c->o->allow, host, 0, NULL, 0) == 0
                          : strmap_contains(&c->start_hosts, host);
    free(host);
    return ok;
}

/* Queues url (normalised) once ever. 0, or -ENOMEM. */
static int enqueue(crawler *c, const char *url, int depth)
{
    int rc = strmap_put(&c->seen, url, NULL);
    if (rc <= 0)
        return rc;
    c->stats.seen = c->seen.len;
    size_t len = strlen(url);
    item *it = malloc(sizeof *it + len + 1);
    if (!it)
        return -ENOMEM;
    it->depth = depth;
    memcpy(it->url, url, len + 1);
    /* Unbounded: a put never waits. It fails only once the crawl stops. */
    if (corio_queue_put(c->queue, it, -1) < 0)
        free(it);
    return 0;
}

typedef struct found {
    crawler *c;
    int depth; /* of the links */
} found;

static int on_link(const char *url, void *arg)
{
    found *f = arg;
    crawler *c = f->c;
    if (c->stopping || (c->o->max_depth >= 0 && f->depth > c->o->max_depth) ||
        !host_allowed(c, url))
        return 0;
    return enqueue(c, url, f->depth);
}

static void stop(crawler *c)
{
    c->stopping = true;
    corio_queue_close(c->queue);
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static bool is_html(const corio_http_response *r)
{
    const char *ct = corio_http_response_header(r, "Content-Type");
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, "text/html", 9) == 0 && strchr(" \t;", ct[9]) != NULL;
}

/* Reads a small body away so that its connection goes back to the pool;
 * a large one is not worth the bytes, its connection is closed instead. */
static uint64_t drain_small(corio_http_response *r)
{
    const char *cl = corio_http_response_header(r, "Content-Length");
    size_t len = 0;
    if (cl && strtoull(cl, NULL, 10) <= 65536 && corio_http_response_body(r, NULL, &len) < 0)
        len = 0;
    return len;
}

/* One page: the request, redirects hop by hop (each hop's host checked
 * against the allowed ones, and its URL marked seen so it is fetched only
 * once), the body if it is HTML, its links. Writes the record. 0, or
 * -ECANCELED / -ENOMEM. */
static int visit(crawler *c, const item *it)
{
    char *url = strdup(it->url);
    if (!url)
        return -ENOMEM;
    page_record rec = {.depth = it->depth};
    corio_http_response *r = NULL;
    int64_t t0 = 0;
    int rc;
    for (int hop = 0;; hop++) {
        if ((rc = host_admit(c, url)) < 0)
            break;
        if (rc == 0 && hop == 0) { /* never fetched: no record */
            c->stats.robots_skipped++;
            free(url);
            return 0;
        }
        if (rc == 0) {
            rec.error = "robots-disallowed";
            break;
        }
        if (hop == 0) {
            if (c->started >= c->o->max_pages) {
                stop(c);
                c->stats.left++;
                free(url);
                return 0;
            }
            c->started++;
            c->stats.in_flight++;
            t0 = corio_now();
        }
        corio_http_request_opts ro = {
            .max_body = c->o->max_body,
            .gzip = true,
        };
        if ((rc = corio_http_client_open(c->client, url, &ro, &r, corio_now() + c->o->timeout_ms)) <
            0) {
            r = NULL;
            rec.error = corio_http_error_class(rc);
            break;
        }
        rec.status = corio_http_response_status(r);
        const char *loc = corio_http_response_header(r, "Location");
        if (!is_redirect(rec.status) || !loc)
            break;
        if (hop == CRAWL_MAX_REDIRECTS) {
            rec.error = "too-many-redirects";
            break;
        }
        char *next;
        if ((rc = link_resolve(url, loc, &next)) < 0)
            break;
        if (rc == 0 || !host_allowed(c, next)) {
            rec.error = rc == 0 ? "redirect-unsupported" : "redirect-off-host";
            free(next);
            break;
        }
        /* A target already seen is (or was) fetched on its own: stop here. */
        if ((rc = strmap_put(&c->seen, next, NULL)) <= 0) {
            free(next);
            break;
        }
        c->stats.seen = c->seen.len;
        drain_small(r);
        corio_http_response_free(r);
        r = NULL;
        free(url);
        url = next;
    }
    if (rc >= 0 && r && rec.status >= 200 && rec.status < 300 && is_html(r)) {
        const char *body;
        size_t len;
        if ((rc = corio_http_response_body(r, &body, &len)) < 0) {
            rec.error = corio_http_error_class(rc);
        } else {
            rec.bytes = len;
            found f = {c, it->depth + 1};
            rec.links = parse_links(body, len, url, on_link, &f);
            rc = rec.links < 0 ? rec.links : 0;
        }
    } else if (rc >= 0 && r) {
        rec.bytes = drain_small(r);
    }
    corio_http_response_free(r);
    if (t0)
        c->stats.in_flight--;
    if (rc == -ECANCELED || rc == -ENOMEM) {
        c->stats.left++;
        free(url);
        return rc;
    }
    rec.url = url;
    rec.ms = corio_now() - t0;
    if (rec.links < 0)
        rec.links = 0;
    if (c->o->out)
        jsonl_record(c->o->out, &rec);
    if (rec.status > 0) {
        c->stats.fetched++;
    } else {
        c->stats.failed++;
        /* A start URL that failed is named: the crawl has nothing else. */
        if (it->depth == 0)
            fprintf(stderr, "corio-crawl: %s: %s\n", url, rec.error ? rec.error : "no answer");
    }
    if (rec.status >= 400)
        c->stats.http_errors++;
    if (rec.error)
        crawl_count_error(&c->stats, rec.error);
    free(url);
    return 0;
}

static intptr_t worker(void *arg)
{
    crawler *c = arg;
    item *it;
    while (corio_queue_get(c->queue, (void **)&it, -1) == 0) {
        int rc = 0;
        if (c->stopping)
            c->stats.left++;
        else
            rc = visit(c, it);
        free(it);
        corio_queue_task_done(c->queue);
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0)
            break;
    }
    return 0;
}

static int start(crawler *c)
{
    char ua[64];
    snprintf(ua, sizeof ua, "%s/%s", CRAWL_AGENT, corio_version());
    corio_http_client_opts co = {
        .max_per_host = c->o->per_host,
        .max_total = c->o->workers > c->o->per_host ? c->o->workers : c->o->per_host,
        .connect_timeout_ms = (int)c->o->timeout_ms,
        .read_timeout_ms = (int)c->o->timeout_ms,
        .user_agent = ua,
    };
    parse_setup();
    int rc = corio_http_client_new(&co, &c->client);
    rc = rc ? rc : corio_queue_new(0, 0, &c->queue);
    for (int i = 0; rc == 0 && i < c->o->nstart; i++) {
        char *url, *host;
        if ((rc = link_resolve(c->o->start[i], "", &url)) <= 0)
            return rc < 0 ? rc : -EINVAL;
        host = host_of(url);
        rc = host ? strmap_put(&c->start_hosts, host, NULL) : -EINVAL;
        rc = rc < 0 ? rc : enqueue(c, url, 0);
        free(host);
        free(url);
    }
    return rc;
}

int crawl_run(crawler *c)
{
    const crawl_opts *o = c->o;
    *c = (crawler){.o = o};
    corio_nursery *n = NULL;
    int rc = start(c);
    if (rc == 0)
        rc = corio_nursery_open(&n);
    corio_spawn_opts so = {.name = "crawl-worker"}; /* gumbo runs on the pool's threads */
    for (unsigned i = 0; rc == 0 && i < o->workers; i++)
        rc = corio_spawn_ex(n, worker, c, &so, NULL);
    if (rc == 0 && corio_queue_join(c->queue, -1) == -ECANCELED)
        c->stopping = true;
    if (c->queue)
        stop(c);
    if (n) {
        intptr_t failed = corio_nursery_close(n);
        rc = rc ? rc : (int)failed;
    }
    item *it;
    while (c->queue && corio_queue_try_get(c->queue, (void **)&it) == 0) {
        c->stats.left++;
        free(it);
    }
    if (c->queue)
        corio_queue_free(c->queue);
    corio_http_client_free(c->client);
    strmap_clear(&c->seen, NULL);
    strmap_clear(&c->hosts, host_free);
    strmap_clear(&c->start_hosts, NULL);
    return rc == -ECANCELED ? 0 : rc;
}
