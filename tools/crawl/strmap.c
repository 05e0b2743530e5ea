#include "strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, then a final mix so the low bits (the probe start) depend on the
 * whole string: URLs of one site differ only near their end. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 33);
}

static strmap_slot *find(const strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
            return s;
    }
}

static int grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    strmap old = *m;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        *m = old;
        return -ENOMEM;
    }
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            *find(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
    free(old.slots);
    return 0;
}

int strmap_put(strmap *m, const char *key, void ***slot)
{
    if ((m->len + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return -ENOMEM;
    uint64_t h = hash_str(key);
    strmap_slot *s = find(m, key, h);
    int added = 0;
    if (!s->key) {
        if (!(s->key = strdup(key)))
            return -ENOMEM;
        s->hash = h;
        s->value = NULL;
        m->len++;
        added = 1;
    }
    if (slot)
        *slot = &s->value;
    return added;
}

void *strmap_get(const strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    return find(m, key, hash_str(key))->value;
}

int strmap_contains(const strmap *m, const char *key)
{
    return m->cap && find(m, key, hash_str(key))->key != NULL;
}

void strmap_clear(strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        if (free_value)
            free_value(m->slots[i].value);
        free(m->slots[i].key);
    }
    free(m->slots);
    *m = (strmap){0};
}
