/* Numbers from the request (path parameters, ?delay=), which every
 * endpoint reads alike. */
#include <errno.h>
#include <stdlib.h>

#include "fakeweb.h"

/* A whole number in [0, max] from a path parameter or query value. */
long fakeweb_number(const char *s, long max)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return *end || errno || v < 0 || v > max ? -1 : v;
}

int fakeweb_query_delay(corio_http_req *req)
{
    if (!corio_http_req_query_string(req))
        return 0;
    long ms = fakeweb_number(corio_http_req_query(req, "delay"), MAX_DELAY_MS);
    return ms > 0 ? corio_sleep(ms) : 0;
}
