/* Header spans as llhttp reports them: the server's requests and the
 * client's responses keep them the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int corio__http_hdrs_field(http_hdrs *h, const char *at, size_t len, size_t max)
{
    if (h->name_open) { /* the same name, continued */
        h->v[h->n - 1].name_end = at + len;
        return 0;
    }
    if (max && h->n == max)
        return -E2BIG;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        http_hdr *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = (http_hdr){at, "", at + len, NULL};
    h->name_open = true;
    return 0;
}

void corio__http_hdrs_field_done(http_hdrs *h)
{
    h->name_open = false;
}

void corio__http_hdrs_value(http_hdrs *h, const char *at, size_t len)
{
    if (!h->n || !len)
        return; /* an empty value's span is where the next line starts */
    http_hdr *last = &h->v[h->n - 1];
    if (!last->value_end)
        last->value = at;
    last->value_end = at + len; /* a value in pieces ends with the last */
}

/* The bytes after each span (':' after a name, CR/LF after a value) are
 * parsed already, so they can become terminators. */
void corio__http_hdrs_finish(http_hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        http_hdr *x = &h->v[i];
        *(char *)x->name_end = '\0';
        if (!x->value_end)
            continue;
        char *v = (char *)x->value;
        size_t len = (size_t)(x->value_end - v);
        while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        v[len] = '\0';
    }
}

bool corio__http_hdr_is(const http_hdr *x, const char *name, size_t len)
{
    return (size_t)(x->name_end - x->name) == len && strncasecmp(x->name, name, len) == 0;
}

const char *corio__http_hdrs_get(const http_hdrs *h, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < h->n; i++)
        if (corio__http_hdr_is(&h->v[i], name, len))
            return h->v[i].value;
    return NULL;
}
