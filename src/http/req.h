/* Internal: reading a request (req.c). */
#ifndef CORIO_HTTP_REQ_H
#define CORIO_HTTP_REQ_H

#include "wire.h"

void corio__http_parser_init(conn *c);
/* Reads until the buffer holds a whole head: 0; 1 when the connection
 * parked (corio__http_park: its task is to end); or < 0 (the connection
 * ends; an error answer may be queued). */
int corio__http_read_head(conn *c);
/* Checks and parses the head in [start, head_end): 0, or < 0 with an
 * error answer queued. */
int corio__http_parse_head(conn *c);
/* Reads what the handler left of the body, so the next request can follow
 * (unless it is too much to be worth it: then the connection closes). */
void corio__http_drain(conn *c);

#endif
