/* Results: libpq's PGresult behind typed accessors. Values are libpq's text
 * form, read in place; bytea is decoded from its hex form once, on first
 * read, and kept with the result. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

typedef struct pg_blob {
    struct pg_blob *next;
    int row, col;
    size_t len;
    unsigned char *data; /* PQunescapeBytea's */
} pg_blob;

int corio__pg_wrap(PGresult *res, corio_pg_result **out)
{
    /* Inside the PGresult's own memory: PQclear frees it, no malloc of its own. */
    corio_pg_result *r = PQresultAlloc(res, sizeof *r);
    if (!r) {
        PQclear(res);
        return -ENOMEM;
    }
    r->res = res;
    r->blobs = NULL;
    *out = r;
    return 0;
}

void corio_pg_result_free(corio_pg_result *r)
{
    if (!r)
        return;
    while (r->blobs) {
        pg_blob *b = r->blobs;
        r->blobs = b->next;
        PQfreemem(b->data);
        free(b);
    }
    PQclear(r->res); /* r with it */
}

int corio_pg_nrows(const corio_pg_result *r)
{
    return r ? PQntuples(r->res) : 0;
}

int corio_pg_ncols(const corio_pg_result *r)
{
    return r ? PQnfields(r->res) : 0;
}

const char *corio_pg_colname(const corio_pg_result *r, int col)
{
    return r ? PQfname(r->res, col) : NULL;
}

unsigned corio_pg_coltype(const corio_pg_result *r, int col)
{
    return r ? PQftype(r->res, col) : 0;
}

int64_t corio_pg_affected(const corio_pg_result *r)
{
    const char *n = r ? PQcmdTuples(r->res) : "";
    return *n ? strtoll(n, NULL, 10) : -1;
}

static bool in_range(const corio_pg_result *r, int row, int col)
{
    return r && row >= 0 && col >= 0 && row < PQntuples(r->res) && col < PQnfields(r->res);
}

bool corio_pg_isnull(const corio_pg_result *r, int row, int col)
{
    return in_range(r, row, col) && PQgetisnull(r->res, row, col);
}

/* The value's text: 0, -ERANGE, -ENODATA. */
static int value(const corio_pg_result *r, int row, int col, const char **out)
{
    if (!in_range(r, row, col))
        return -ERANGE;
    if (PQgetisnull(r->res, row, col))
        return -ENODATA;
    *out = PQgetvalue(r->res, row, col);
    return 0;
}

int corio_pg_get_bool(const corio_pg_result *r, int row, int col, bool *out)
{
    const char *v;
    int rc = value(r, row, col, &v);
    if (rc < 0)
        return rc;
    if ((*v != 't' && *v != 'f') || v[1])
        return -EINVAL;
    *out = *v == 't';
    return 0;
}

int corio_pg_get_int64(const corio_pg_result *r, int row, int col, int64_t *out)
{
    const char *v;
    int rc = value(r, row, col, &v);
    if (rc < 0)
        return rc;
    /* PostgreSQL writes integers as [-]digits: those are read here, without
     * strtoll's locale and base machinery; anything else (spaces, '+')
     * goes to strtoll as before. */
    bool neg = *v == '-';
    const char *p = v + neg;
    uint64_t n = 0, max = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
    bool range = false;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (max - d) / 10)
            range = true;
        else
            n = n * 10 + d;
    }
    if (p > v + neg && !*p) {
        if (range)
            return -ERANGE;
        *out = neg ? (int64_t)(0 - n) : (int64_t)n;
        return 0;
    }
    char *end;
    errno = 0;
    long long ll = strtoll(v, &end, 10);
    if (end == v || *end)
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *out = ll;
    return 0;
}

int corio_pg_get_int32(const corio_pg_result *r, int row, int col, int32_t *out)
{
    int64_t n;
    int rc = corio_pg_get_int64(r, row, col, &n);
    if (rc < 0)
        return rc;
    if (n < INT32_MIN || n > INT32_MAX)
        return -ERANGE;
    *out = (int32_t)n;
    return 0;
}

int corio_pg_get_double(const corio_pg_result *r, int row, int col, double *out)
{
    const char *v;
    int rc = value(r, row, col, &v);
    if (rc < 0)
        return rc;
    char *end;
    /* strtod reads "NaN", "Infinity" and "-Infinity" as PostgreSQL writes them. */
    double d = strtod(v, &end);
    if (end == v || *end)
        return -EINVAL;
    *out = d;
    return 0;
}

int corio_pg_get_text(const corio_pg_result *r, int row, int col, const char **out, size_t *len)
{
    const char *v;
    int rc = value(r, row, col, &v);
    if (rc < 0)
        return rc;
    *out = v;
    if (len)
        *len = (size_t)PQgetlength(r->res, row, col);
    return 0;
}

int corio_pg_get_bytea(corio_pg_result *r, int row, int col, const void **out, size_t *len)
{
    const char *v;
    int rc = value(r, row, col, &v);
    if (rc < 0)
        return rc;
    if (v[0] != '\\' || v[1] != 'x')
        return -EINVAL;
    pg_blob *b = r->blobs;
    while (b && (b->row != row || b->col != col))
        b = b->next;
    if (!b) {
        if (!(b = malloc(sizeof *b)))
            return -ENOMEM;
        b->data = PQunescapeBytea((const unsigned char *)v, &b->len);
        if (!b->data) {
            free(b);
            return -ENOMEM;
        }
        b->row = row;
        b->col = col;
        b->next = r->blobs;
        r->blobs = b;
    }
    *out = b->data;
    if (len)
        *len = b->len;
    return 0;
}
