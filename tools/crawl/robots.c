#include "robots.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct rule {
    bool allow;
    char *prefix;
} rule;

struct robots {
    rule *rules;
    size_t n, cap;
};

/* The rules of one kind of group (ours or "*"), and whether one was seen. */
typedef struct group_rules {
    robots r;
    bool seen;
} group_rules;

static int add_rule(robots *r, bool allow, const char *v, size_t len)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        rule *p = realloc(r->rules, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        r->rules = p;
        r->cap = cap;
    }
    char *prefix = strndup(v, len);
    if (!prefix)
        return -ENOMEM;
    r->rules[r->n++] = (rule){allow, prefix};
    return 0;
}

static void clear(robots *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->rules[i].prefix);
    free(r->rules);
}

/* The line's value with spaces around it and any "# comment" removed. */
static const char *value_of(const char *p, const char *end, size_t *len)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *e = p;
    while (e < end && *e != '#')
        e++;
    while (e > p && isspace((unsigned char)e[-1]))
        e--;
    *len = (size_t)(e - p);
    return p;
}

/* A User-agent value names us when its product token (up to a '/' or a
 * space) equals ours, ignoring case. */
static bool names_us(const char *v, size_t len, const char *agent)
{
    size_t tok = 0;
    while (tok < len && v[tok] != '/' && v[tok] != ' ')
        tok++;
    return tok == strlen(agent) && strncasecmp(v, agent, tok) == 0;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
    return klen == strlen(name) && strncasecmp(k, name, klen) == 0;
}

int robots_parse(const char *text, size_t len, const char *agent, robots **out)
{
    group_rules ours = {0}, star = {0};
    bool for_us = false, for_star = false, in_agents = false;
    int rc = 0;
    const char *end = text + len;
    for (const char *p = text; rc == 0 && p < end;) {
        const char *eol = p;
        while (eol < end && *eol != '\n' && *eol != '\r')
            eol++;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            const char *k = p;
            while (k < colon && isspace((unsigned char)*k))
                k++;
            size_t klen = (size_t)(colon - k);
            while (klen && isspace((unsigned char)k[klen - 1]))
                klen--;
            size_t vlen;
            const char *v = value_of(colon + 1, eol, &vlen);
            if (key_is(k, klen, "user-agent")) {
                if (!in_agents) /* a User-agent after rules starts a new group */
                    for_us = for_star = false;
                in_agents = true;
                if (vlen == 1 && *v == '*')
                    for_star = star.seen = true;
                else if (names_us(v, vlen, agent))
                    for_us = ours.seen = true;
            } else if (key_is(k, klen, "allow") || key_is(k, klen, "disallow")) {
                in_agents = false;
                bool allow = key_is(k, klen, "allow");
                /* An empty value ("Disallow:") is no rule at all. */
                if (vlen && for_us)
                    rc = add_rule(&ours.r, allow, v, vlen);
                else if (vlen && for_star)
                    rc = add_rule(&star.r, allow, v, vlen);
            } else if (klen) {
                in_agents = false; /* Sitemap, Crawl-delay, ...: ignored */
            }
        }
        p = eol + 1;
    }
    group_rules *use = ours.seen ? &ours : &star;
    group_rules *drop = ours.seen ? &star : &ours;
    clear(&drop->r);
    *out = NULL;
    if (rc < 0 || use->r.n == 0) {
        clear(&use->r);
        return rc;
    }
    if (!(*out = malloc(sizeof **out))) {
        clear(&use->r);
        return -ENOMEM;
    }
    **out = use->r;
    return 0;
}

int robots_disallow_all(robots **out)
{
    static const char all[] = "User-agent: *\nDisallow: /\n";
    return robots_parse(all, sizeof all - 1, "*", out);
}

bool robots_allowed(const robots *r, const char *path)
{
    if (!r)
        return true;
    size_t best = 0;
    bool allowed = true;
    for (size_t i = 0; i < r->n; i++) {
        size_t n = strlen(r->rules[i].prefix);
        if (strncmp(path, r->rules[i].prefix, n) != 0)
            continue;
        if (n > best || (n == best && r->rules[i].allow)) {
            best = n;
            allowed = r->rules[i].allow;
        }
    }
    return allowed;
}

void robots_free(robots *r)
{
    if (!r)
        return;
    clear(r);
    free(r);
}
