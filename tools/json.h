/* What the JSON services (corio-animals, corio-pubsub) share: answering
 * with a jansson value. */
#ifndef CORIO_TOOLS_JSON_H
#define CORIO_TOOLS_JSON_H

#include <errno.h>
#include <stdlib.h>

#include <corio/corio.h>
#include <jansson.h>

/* Answers with json, taking it over; NULL (what json_pack gives for a
 * string that is not UTF-8, or out of memory) is -ENOMEM, which the server
 * answers with a 500. */
static inline int tool_send_json(corio_http_resp *resp, int status, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text)
        return -ENOMEM;
    int rc = corio_http_resp_json(resp, status, text);
    free(text);
    return rc;
}

#endif
