/* Internal: writing a response (resp.c). */
#ifndef CORIO_HTTP_RESP_H
#define CORIO_HTTP_RESP_H

#include "wire.h"

/* Queues a response's status line and headers. len < 0: a
 * streamed body. */
int corio__http_head(corio_http_resp *resp, int status, const char *type, long long len);

#endif
