/* The pub/sub hub: subscribers, the history ring and fan-out, without HTTP.
 *
 * Published messages form one log, oldest to newest. Each is encoded once
 * and reference-counted by what points at it: the message before it, the
 * history ring (the last `history` messages), the hub (the newest, to append
 * to), each subscriber whose next message it is, and each stream writing it.
 * A subscriber's pending list is the log from its next message on, so
 * publishing copies nothing per subscriber and never waits: it appends,
 * hands the message to the subscribers that had caught up, and checks every
 * subscriber's limits (O(subscribers), no allocation but the message's).
 *
 * The limits are Redis's client-output-buffer-limit for pub/sub clients,
 * counted in bytes of events and in messages a subscriber has pending
 * (published since it subscribed and not taken yet: a replay from the
 * history is not held against it). Over a hard limit it is dropped at once;
 * over a soft limit for longer than soft_ms it is dropped. They are checked
 * as messages are published, the only thing that makes a list grow. Dropped
 * means unlinked, its pending list released and its task cancelled (its
 * stream ends; it can reconnect with the last id it saw).
 *
 * Memory: what is alive is the log from the oldest message the ring or a
 * subscriber still points at, so at most the history plus one hard limit
 * (a replay starts within the history, and what came since is within the
 * hard limit), however many subscribers there are. All calls belong to the
 * loop that created the hub. */
#ifndef CORIO_TOOLS_PUBSUB_HUB_H
#define CORIO_TOOLS_PUBSUB_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corio/corio.h>

typedef struct ps_hub ps_hub;
typedef struct ps_sub ps_sub;

/* A Redis stream entry's id, "MS-SEQ" (a fleet's message id); {0, 0}: none. */
typedef struct ps_sid {
    uint64_t ms, seq;
} ps_sid;

typedef struct ps_msg {
    unsigned refs;
    ps_hub *hub;
    struct ps_msg *next; /* the next in the log (a reference), NULL for the newest */
    uint64_t id;
    ps_sid sid;   /* in a fleet: the event's id, the stream entry's */
    uint64_t end; /* bytes of events published up to and including this one */
    size_t len;
    /* the whole server-sent event ("id: N", a "data: " line per line of the
     * message, a blank line), encoded once for every stream; NUL-terminated */
    char event[];
} ps_msg;

/* What a subscriber may have pending; 0 in a field: no limit on it. */
typedef struct ps_limit {
    size_t bytes;
    size_t messages;
} ps_limit;

typedef struct ps_limits {
    size_t history;         /* messages kept for replay (0: none) */
    size_t max_subscribers; /* beyond: ps_hub_subscribe says -EAGAIN */
    ps_limit hard;          /* over either: dropped at once */
    ps_limit soft;          /* over either for longer than soft_ms: dropped */
    int64_t soft_ms;
} ps_limits;

typedef struct ps_stats {
    size_t subscribers;
    uint64_t published;           /* messages so far; also the last id */
    uint64_t dropped_subscribers; /* in all */
    uint64_t dropped_hard;        /* of those, over a hard limit */
    uint64_t dropped_soft;        /* over a soft limit for longer than soft_ms */
    size_t history;               /* messages held for replay now */
    size_t held_messages;         /* alive in the log (history, pending, being written) */
    uint64_t held_bytes;          /* their events' bytes */
} ps_stats;

/* -ENOMEM. */
int ps_hub_new(const ps_limits *limits, ps_hub **out);
/* Frees the hub and its history; every subscriber must have left and every
 * message taken been released. */
void ps_hub_free(ps_hub *h);

/* Publishes a copy of data[0..len) to every subscriber and the history,
 * dropping those now over their limits; reports how many subscribers it
 * went to and its id. Never waits. -ENOMEM (nothing published). */
int ps_hub_publish(ps_hub *h, const char *data, size_t len, size_t *delivered, uint64_t *id);
/* The same for a message a fleet's Redis stream gave the id sid: the event
 * says "id: MS-SEQ"; the hub's own id still orders and counts it. */
int ps_hub_publish_sid(ps_hub *h, const char *data, size_t len, const ps_sid *sid,
                       size_t *delivered, uint64_t *id);
/* Writes data as one server-sent event with the id sid (id when sid is
 * NULL) into out (NULL: only counts) and returns its length, NUL excluded;
 * out needs that plus one byte. */
size_t ps_encode_event(char *out, uint64_t id, const ps_sid *sid, const char *data, size_t len);

/* Subscribes the calling task to every message published from now on,
 * after the kept messages from last_id + 1 when replay is true (those that
 * fell out of the history are lost). -EAGAIN at max_subscribers, -ENOMEM. */
int ps_hub_subscribe(ps_hub *h, bool replay, uint64_t last_id, ps_sub **out);
/* The subscriber's next message (the caller releases it), waiting until
 * deadline (absolute corio_now() ms, -1: none; 0: do not wait, -EAGAIN if
 * none is there): -ETIMEDOUT, -ECANCELED (dropped, or the task was
 * cancelled). */
int ps_sub_next(ps_sub *s, int64_t deadline, ps_msg **out);
/* Whether the hub dropped s. */
bool ps_sub_dropped(const ps_sub *s);
/* Leaves the hub: releases what was still pending and frees s. */
void ps_sub_leave(ps_sub *s);

void ps_msg_release(ps_msg *m);
void ps_hub_stats(const ps_hub *h, ps_stats *out);

#endif
