#include "crawl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleet.h"
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

typedef struct found {
    crawler *c;
    int depth;    /* of the links */
    char **batch; /* a fleet's new links, added to Redis in one call */
    size_t n, cap;
} found;

static int batch_push(found *f, const char *url)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        char **b = realloc(f->batch, cap * sizeof *b);
        if (!b)
            return -ENOMEM;
        f->batch = b;
        f->cap = cap;
    }
    if (!(f->batch[f->n] = strdup(url)))
        return -ENOMEM;
    f->n++;
    return 0;
}

/* Sends a fleet's batch to Redis (where seen URLs are dropped) and frees it. */
static int batch_flush(found *f)
{
    int rc = f->n ? fleet_add(f->c->fleet, (const char *const *)f->batch, f->n, f->depth) : 0;
    for (size_t i = 0; i < f->n; i++)
        free(f->batch[i]);
    free(f->batch);
    f->batch = NULL;
    f->n = f->cap = 0;
    return rc;
}

/* Queues url (normalised) once ever (a fleet: into f's batch). 0, or
 * -ENOMEM. */
static int enqueue(crawler *c, const char *url, found *f)
{
    int rc = strmap_put(&c->seen, url, NULL);
    if (rc <= 0)
        return rc;
    c->stats.seen = c->seen.len;
    if (c->fleet)
        return batch_push(f, url);
    int depth = f->depth;
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

static int on_link(const char *url, void *arg)
{
    found *f = arg;
    crawler *c = f->c;
    if (c->stopping || (c->o->max_depth >= 0 && f->depth > c->o->max_depth) ||
        !host_allowed(c, url))
        return 0;
    return enqueue(c, url, f);
}

static void stop(crawler *c)
{
    c->stopping = true;
    if (c->queue)
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

/* Marks a redirect's target seen: 1 if it was not (locally, and in a
 * fleet's Redis), 0 if it was, or a negative errno. */
static int mark_seen(crawler *c, const char *url)
{
    int rc = strmap_put(&c->seen, url, NULL);
    if (rc > 0) {
        c->stats.seen = c->seen.len;
        if (c->fleet)
            rc = fleet_mark_seen(c->fleet, url);
    }
    return rc;
}

/* One page: the request, redirects hop by hop (each hop's host checked
 * against the allowed ones, and its URL marked seen so it is fetched only
 * once), the body if it is HTML, its links. Writes the record; *how says
 * what became of the URL. 0, or -ECANCELED / -ENOMEM, or a fleet's Redis
 * failure (no record written then). */
static int visit(crawler *c, const item *it, fleet_outcome *how)
{
    *how = FLEET_SKIPPED;
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
            if (!c->fleet && c->started >= c->o->max_pages) {
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
        if ((rc = mark_seen(c, next)) <= 0) {
            free(next);
            break;
        }
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
            found f = {.c = c, .depth = it->depth + 1};
            rec.links = parse_links(body, len, url, on_link, &f);
            rc = rec.links < 0 ? rec.links : 0;
            int frc = c->fleet ? batch_flush(&f) : 0;
            rc = rc < 0 ? rc : frc;
        }
    } else if (rc >= 0 && r) {
        rec.bytes = drain_small(r);
    }
    corio_http_response_free(r);
    if (t0)
        c->stats.in_flight--;
    if (rc < 0 && (rc == -ECANCELED || rc == -ENOMEM || c->fleet)) {
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
    /* A fleet's page is written out before Redis counts it done, so that a
     * worker killed later has not lost it. */
    if (c->o->out && c->fleet)
        fflush(c->o->out);
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
    *how = rec.error || rec.status >= 400 ? FLEET_FAILED : FLEET_OK;
    free(url);
    return 0;
}

static intptr_t worker(void *arg)
{
    crawler *c = arg;
    item *it;
    while (corio_queue_get(c->queue, (void **)&it, -1) == 0) {
        int rc = 0;
        fleet_outcome how = FLEET_SKIPPED;
        if (c->stopping)
            c->stats.left++;
        else
            rc = visit(c, it, &how);
        free(it);
        corio_queue_task_done(c->queue);
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0)
            break;
    }
    return 0;
}

static void fleet_fail(crawler *c, int rc)
{
    if (!c->fleet_error)
        c->fleet_error = rc;
    c->stopping = true;
}

/* A fleet's worker: takes URLs from Redis until the fleet is done, polling
 * while only other workers' leases are out (one of them may add links, or
 * die and leave its URL to be taken again). */
static intptr_t fleet_worker(void *arg)
{
    crawler *c = arg;
    while (!c->stopping) {
        int depth;
        char *url;
        int rc = fleet_take(c->fleet, &depth, &url);
        if (rc == FLEET_EMPTY) {
            if (corio_sleep(FLEET_POLL_MS + rand() % FLEET_POLL_MS) < 0)
                break;
            continue;
        }
        if (rc == FLEET_DONE || rc == FLEET_SPENT || rc == -ECANCELED)
            break;
        if (rc < 0) {
            fleet_fail(c, rc);
            break;
        }
        size_t len = strlen(url);
        item *it = malloc(sizeof *it + len + 1);
        fleet_outcome how = FLEET_SKIPPED;
        if (!it) {
            rc = -ENOMEM;
        } else {
            it->depth = depth;
            memcpy(it->url, url, len + 1);
            /* Marked seen here too, so that its own links to it are not sent. */
            rc = strmap_put(&c->seen, url, NULL);
            rc = rc < 0 ? rc : visit(c, it, &how);
            rc = rc < 0 ? rc : fleet_complete(c->fleet, depth, url, how);
        }
        free(it);
        free(url);
        if (rc == -ECANCELED)
            break;
        if (rc < 0) {
            fleet_fail(c, rc);
            break;
        }
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
    if (rc == 0 && c->o->redis)
        rc = fleet_open(c->o->redis, c->o->job, c->o->lease_ms, c->o->max_pages, &c->fleet);
    else if (rc == 0)
        rc = corio_queue_new(0, 0, &c->queue);
    found f = {.c = c};
    for (int i = 0; rc == 0 && i < c->o->nstart; i++) {
        char *url, *host;
        if ((rc = link_resolve(c->o->start[i], "", &url)) <= 0) {
            rc = rc < 0 ? rc : -EINVAL;
            break;
        }
        host = host_of(url);
        rc = host ? strmap_put(&c->start_hosts, host, NULL) : -EINVAL;
        rc = rc < 0 ? rc : enqueue(c, url, &f);
        free(host);
        free(url);
    }
    /* Every worker offers the start URLs: the first one queues them. */
    int frc = c->fleet ? batch_flush(&f) : 0;
    return rc < 0 ? rc : frc;
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
        rc = corio_spawn_ex(n, c->fleet ? fleet_worker : worker, c, &so, NULL);
    if (rc == 0 && c->queue && corio_queue_join(c->queue, -1) == -ECANCELED)
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
    fleet_close(c->fleet);
    c->fleet = NULL;
    rc = rc ? rc : c->fleet_error;
    return rc == -ECANCELED ? 0 : rc;
}
