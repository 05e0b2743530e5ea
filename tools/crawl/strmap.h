/* A compact open-addressing hash map from strings to pointers: the crawler's
 * seen-set of normalised URLs (values unused) and its per-host table.
 * Linear probing over a power-of-two table kept at most 3/4 full; each slot
 * caches its key's hash so a probe compares strings only on a hash match.
 * Keys are copied; values are the caller's. No deletion: a crawl only grows. */
#ifndef CORIO_CRAWL_STRMAP_H
#define CORIO_CRAWL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
    uint64_t hash;
    char *key; /* NULL: empty slot */
    void *value;
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots;
    size_t cap, len;
} strmap;

/* Adds key when absent (with value NULL): 1 added, 0 already there, -ENOMEM.
 * *slot (when slot is non-NULL) points at the entry's value, valid until the
 * next insertion. */
int strmap_put(strmap *m, const char *key, void ***slot);
/* The value stored for key, or NULL (absent or stored NULL). */
void *strmap_get(const strmap *m, const char *key);
int strmap_contains(const strmap *m, const char *key);
/* Frees the keys and the table, calling free_value (if non-NULL) on each
 * value; the map is empty and reusable afterwards. */
void strmap_clear(strmap *m, void (*free_value)(void *));

#endif
