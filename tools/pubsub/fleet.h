/* corio-pubsub --redis: instances sharing one Redis form one service. A
 * message published to any instance is appended to a Redis stream
 * ("corio-pubsub:CHANNEL", XADD MAXLEN ~ --history), which gives it its id
 * and its place in the one order; every instance reads the stream on a
 * connection of its own (XREAD BLOCK) and hands each entry to its hub, which
 * fans it out to the local subscribers as before. Replay (Last-Event-ID) is
 * read from the stream, so it works on any instance. When the reading
 * connection is lost the reader reconnects with backoff (100 ms doubling to
 * 5 s) and goes on from the last entry it delivered. */
#ifndef CORIO_TOOLS_PUBSUB_FLEET_H
#define CORIO_TOOLS_PUBSUB_FLEET_H

#include <stdbool.h>

#include <corio/corio.h>

#include "hub.h"

typedef struct ps_fleet ps_fleet;

/* Connects to url (checking it answers), and starts the reader from the
 * stream's newest entry. 0, or what corio_redis_connect returns, -ENOMEM. */
int ps_fleet_start(const char *url, const char *channel, size_t history, ps_hub *hub,
                   ps_fleet **out);
/* Stops the reader and frees f. */
void ps_fleet_stop(ps_fleet *f);
/* Appends data[0..len) to the stream: 0 and its *sid, or a Redis error
 * (-ECONNREFUSED, -ECONNRESET, -ETIMEDOUT, ...: the caller answers 503). */
int ps_fleet_publish(ps_fleet *f, const char *data, size_t len, ps_sid *sid);
/* The newest --history entries after `after`, newest first (an array of
 * stream entries: ps_fleet_entry reads them; free it). */
int ps_fleet_replay(ps_fleet *f, const ps_sid *after, corio_redis_reply **out);
/* One entry of a replay: its id and message. false if it is not one. */
bool ps_fleet_entry(const corio_redis_reply *e, ps_sid *sid, const char **data, size_t *len);
/* Messages published by the whole service (while this Redis ran). */
int ps_fleet_published(ps_fleet *f, long long *n);
/* Whether the reader is connected now. */
bool ps_fleet_up(const ps_fleet *f);

/* "MS-SEQ" (or "MS") as a stream id. */
bool ps_sid_parse(const char *s, ps_sid *out);
/* Whether a comes after b. */
bool ps_sid_after(const ps_sid *a, const ps_sid *b);

#endif
