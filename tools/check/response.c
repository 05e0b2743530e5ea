/* An HTTP/1.1 answer parsed as corio's client parses it, for the blocking
 * modes: the head gathered up to its empty line within CHECK_MAX_HEAD bytes
 * and handed to llhttp whole (interim 1xx answers skipped), the body framed
 * by llhttp (Content-Length, chunked or the end of the connection), counted
 * up to CHECK_MAX_BODY. llhttp is the library's own, built strict (chunk
 * data must end in CRLF), so the two parse the same bytes the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "check.h"

struct check_response {
    llhttp_t p;
    int head_req;
    char *in; /* the head being gathered */
    size_t end;
    int in_body, complete, status;
    uint64_t bytes;
    char *location;
    int field_is_location;
    int too_large;
};

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    check_response *r = p->data;
    r->field_is_location = len == 8 && !strncasecmp(at, "Location", 8);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    check_response *r = p->data;
    if (!r->field_is_location || r->location)
        return 0;
    while (len && (at[len - 1] == ' ' || at[len - 1] == '\t'))
        len--;
    return (r->location = strndup(at, len)) ? 0 : -1;
}

static int on_headers_complete(llhttp_t *p)
{
    check_response *r = p->data;
    /* No body follows (1) an answer to HEAD, a 1xx, 204 or 304, whatever
     * its Content-Length says (RFC 9112, 6.3): llhttp 8 would wait for
     * one. */
    int status = p->status_code;
    return r->head_req || status < 200 || status == 204 || status == 304;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    (void)at;
    check_response *r = p->data;
    r->bytes += len;
    if (r->bytes > CHECK_MAX_BODY) {
        r->too_large = 1;
        return -1;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    check_response *r = p->data;
    r->complete = 1;
    return HPE_PAUSED; /* whatever follows is not asked for */
}

static const llhttp_settings_t settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

check_response *check_response_new(int head)
{
    check_response *r = calloc(1, sizeof *r);
    if (!r || !(r->in = malloc(CHECK_MAX_HEAD))) {
        free(r);
        return NULL;
    }
    r->head_req = head;
    llhttp_init(&r->p, HTTP_RESPONSE, &settings);
    r->p.data = r;
    return r;
}

void check_response_free(check_response *r)
{
    if (!r)
        return;
    free(r->in);
    free(r->location);
    free(r);
}

static int body(check_response *r, const char *buf, size_t n)
{
    if (r->complete)
        return 1;
    llhttp_errno_t e = llhttp_execute(&r->p, buf, n);
    if (e == HPE_PAUSED)
        return 1;
    if (e != HPE_OK)
        return r->too_large ? -EMSGSIZE : -EBADMSG;
    return 0;
}

/* Parses the head at the start of r->in, end bytes long: 0 for a final
 * answer, 1 for an interim one (dropped from r->in), -EBADMSG. */
static int parse_head(check_response *r, size_t end)
{
    free(r->location);
    r->location = NULL;
    r->complete = 0;
    llhttp_errno_t e = llhttp_execute(&r->p, r->in, end);
    if (e == HPE_PAUSED) {
        llhttp_resume(&r->p);
        if (llhttp_get_error_pos(&r->p) != r->in + end)
            return -EBADMSG;
    } else if (e != HPE_OK) {
        return -EBADMSG;
    }
    r->status = r->p.status_code;
    if (r->status >= 200 || r->status == 101)
        return 0;
    memmove(r->in, r->in + end, r->end - end);
    r->end -= end;
    return 1;
}

int check_response_feed(check_response *r, const char *buf, size_t n)
{
    if (n == 0) { /* the peer closed */
        if (!r->in_body)
            return r->end ? -EBADMSG : -ECONNRESET;
        /* A close-delimited body ends here: llhttp_finish calls
         * on_message_complete, whose pause it returns. */
        if (!r->complete)
            llhttp_finish(&r->p);
        return r->complete ? 1 : -ECONNRESET;
    }
    if (r->in_body)
        return body(r, buf, n);
    for (size_t used = 0;;) {
        size_t take = n - used < CHECK_MAX_HEAD - r->end ? n - used : CHECK_MAX_HEAD - r->end;
        memcpy(r->in + r->end, buf + used, take);
        r->end += take;
        used += take;
        size_t e = corio_http_head_end(r->in, r->end);
        if (!e)
            return r->end == CHECK_MAX_HEAD ? -EBADMSG : 0;
        int rc = parse_head(r, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            r->in_body = 1;
            rc = r->complete ? 1 : body(r, r->in + e, r->end - e);
            return rc != 0 || used == n ? rc : body(r, buf + used, n - used);
        }
    }
}

int check_response_status(const check_response *r)
{
    return r->status;
}

uint64_t check_response_bytes(const check_response *r)
{
    return r->bytes;
}

const char *check_response_location(const check_response *r)
{
    return r->location;
}
