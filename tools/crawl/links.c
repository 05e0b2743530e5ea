#include "links.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include <corio/url.h>

/* An href as the URL parser wants it: HTML's surrounding whitespace gone,
 * tabs and newlines removed and spaces escaped as the WHATWG parser does,
 * so that hand-written pages with a stray space still yield their link. */
static char *clean_href(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
                 s[n - 1] == '\f'))
        n--;
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            continue;
        if (s[i] == ' ') {
            memcpy(o, "%20", 3);
            o += 3;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int link_resolve(const char *base, const char *ref, char **out)
{
    *out = NULL;
    char *href = clean_href(ref), *abs = NULL;
    if (!href)
        return -ENOMEM;
    int rc = corio_url_resolve(base, href, &abs);
    free(href);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return 0;
    bool web = strncmp(abs, "http://", 7) == 0 || strncmp(abs, "https://", 8) == 0;
    rc = web ? corio_url_normalize(abs, out) : 0;
    free(abs);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0) {
        *out = NULL;
        return 0;
    }
    return web;
}

/* The walk keeps its own stack of nodes: pages nest deeply, and a
 * recursive walk would spend the task's stack on them. */
typedef struct walk {
    GumboNode **stack;
    size_t n, cap;
} walk;

static int push_children(walk *w, const GumboVector *children)
{
    if (w->n + children->length > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap < w->n + children->length)
            cap *= 2;
        GumboNode **s = realloc(w->stack, cap * sizeof *s);
        if (!s)
            return -ENOMEM;
        w->stack = s;
        w->cap = cap;
    }
    for (size_t i = children->length; i-- > 0;) /* reversed: popped in document order */
        w->stack[w->n++] = children->data[i];
    return 0;
}

/* The href of element e if it is tag and has one, else NULL. */
static const char *href_of(const GumboElement *e, GumboTag tag)
{
    if (e->tag != tag)
        return NULL;
    const GumboAttribute *a = gumbo_get_attribute(&e->attributes, "href");
    return a ? a->value : NULL;
}

/* Collects the <a href> values in document order and the first <base href>. */
static int collect(GumboNode *root, const char ***hrefs, size_t *nhrefs, const char **base)
{
    walk w = {0};
    size_t cap = 0;
    int rc = push_children(&w, &(GumboVector){.data = (void **)&root, .length = 1});
    while (rc == 0 && w.n) {
        GumboNode *node = w.stack[--w.n];
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE)
            continue;
        const GumboElement *e = &node->v.element;
        const char *b = href_of(e, GUMBO_TAG_BASE), *a = href_of(e, GUMBO_TAG_A);
        if (b && !*base)
            *base = b;
        if (a && *nhrefs == cap) {
            cap = cap ? cap * 2 : 32;
            const char **p = realloc(*hrefs, cap * sizeof *p);
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            *hrefs = p;
        }
        if (a)
            (*hrefs)[(*nhrefs)++] = a;
        rc = push_children(&w, &e->children);
    }
    free(w.stack);
    return rc;
}

/* gumbo mallocs every node, string and vector, and a page's tree lives
 * exactly as long as one links_extract call: so it allocates from a bump
 * arena that is emptied after each page instead (no frees, and no recursive
 * teardown of the tree). Tasks cannot interleave inside a parse, so one
 * arena per thread serves them all. */
#define ARENA_CHUNK (64u << 10)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

static _Thread_local chunk *arena;

static void *arena_alloc(void *unused, size_t n)
{
    (void)unused;
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (!arena || arena->cap - arena->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL; /* gumbo then fails the parse */
        c->next = arena;
        c->used = 0;
        c->cap = cap;
        arena = c;
    }
    void *p = (char *)arena->data + arena->used;
    arena->used += n;
    return p;
}

static void arena_free(void *unused, void *p)
{
    (void)unused, (void)p;
}

/* Keeps one chunk for the next page, frees the rest. */
static void arena_reset(void)
{
    while (arena && arena->next) {
        chunk *next = arena->next;
        free(arena);
        arena = next;
    }
    if (arena)
        arena->used = 0;
}

int links_extract(const char *html, size_t len, const char *page_url, links_fn *fn, void *arg)
{
    GumboOptions opts = kGumboDefaultOptions;
    opts.max_errors = 0; /* we never read the parse errors: do not keep them */
    opts.allocator = arena_alloc;
    opts.deallocator = arena_free;
    GumboOutput *doc = gumbo_parse_with_options(&opts, html, len);
    if (!doc) {
        arena_reset();
        return -ENOMEM;
    }
    const char **hrefs = NULL, *base_href = NULL;
    size_t n = 0;
    char *base = NULL;
    int rc = collect(doc->root, &hrefs, &n, &base_href);
    /* A <base href> that does not resolve leaves the page's URL the base. */
    if (rc == 0 && base_href && (rc = link_resolve(page_url, base_href, &base)) > 0)
        rc = 0;
    int count = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        char *url;
        if ((rc = link_resolve(base ? base : page_url, hrefs[i], &url)) <= 0)
            continue;
        rc = fn(url, arg);
        free(url);
        count++;
    }
    free(base);
    free(hrefs);
    arena_reset(); /* the whole tree at once */
    return rc < 0 ? rc : count;
}
