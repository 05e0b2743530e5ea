#include "parse.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/pool.h>

/* What a pool thread needs, owned by the job: the page and the links found.
 * Two owners (the waiting task and the thread): whoever lets go last frees
 * it, so a cancelled wait never frees what the thread still uses. */
typedef struct job {
    char *html;
    size_t len;
    char *page_url;
    char **urls;
    size_t n, cap;
    int rc;
    atomic_int owners;
} job;

static void job_release(job *j)
{
    if (atomic_fetch_sub(&j->owners, 1) != 1)
        return;
    for (size_t i = 0; i < j->n; i++)
        free(j->urls[i]);
    free(j->urls);
    free(j->html);
    free(j->page_url);
    free(j);
}

static int keep(const char *url, void *arg)
{
    job *j = arg;
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 16;
        char **u = realloc(j->urls, cap * sizeof *u);
        if (!u)
            return -ENOMEM;
        j->urls = u;
        j->cap = cap;
    }
    if (!(j->urls[j->n] = strdup(url)))
        return -ENOMEM;
    j->n++;
    return 0;
}

static intptr_t run(void *arg)
{
    job *j = arg;
    j->rc = links_extract(j->html, j->len, j->page_url, keep, j);
    job_release(j);
    return 0;
}

void parse_setup(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cores > 2 ? (unsigned)cores - 1 : 1;
    corio_pool_configure(1, n); /* -EBUSY if the pool already runs: keep it */
}

int parse_links(const char *html, size_t len, const char *page_url, links_fn *fn, void *arg)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    j->html = malloc(len + 1);
    j->page_url = strdup(page_url);
    if (!j->html || !j->page_url) {
        atomic_init(&j->owners, 1);
        job_release(j);
        return -ENOMEM;
    }
    memcpy(j->html, html, len);
    j->html[len] = '\0';
    j->len = len;
    atomic_init(&j->owners, 2);
    int rc = corio_to_thread(run, j, NULL, -1);
    if (rc < 0 && rc != -ECANCELED && rc != -ETIMEDOUT) {
        atomic_fetch_sub(&j->owners, 1); /* it never ran */
        job_release(j);
        return rc;
    }
    if (rc == 0) {
        rc = j->rc;
        for (size_t i = 0; rc >= 0 && i < j->n; i++) {
            int frc = fn(j->urls[i], arg);
            if (frc < 0)
                rc = frc;
        }
    }
    job_release(j);
    return rc;
}
