/* The hub's log of messages, history ring, fan-out and limits (hub.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct ps_sub {
    ps_hub *hub;
    corio_task *task;
    corio_event *ready; /* set when a message comes to a subscriber that had caught up */
    ps_sub *prev, *next_sub;
    ps_msg *next; /* the first pending message (a reference), NULL when caught up */
    /* where its pending list is counted from: the last message taken, or
     * the newest when it subscribed if that is later (a replay is free) */
    uint64_t base_id, base_end;
    int64_t soft_since; /* over a soft limit since then; -1: not over */
    bool dropped;
};

struct ps_hub {
    ps_limits lim;
    ps_msg **ring; /* message id k lives in ring[(k - 1) % history] */
    ps_msg *newest;
    uint64_t next_id, bytes; /* bytes: of every event published */
    ps_sub *subs;
    size_t nsubs, held_messages;
    uint64_t held_bytes, dropped_hard, dropped_soft;
};

int ps_hub_new(const ps_limits *limits, ps_hub **out)
{
    ps_hub *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->lim = *limits;
    h->next_id = 1;
    if (h->lim.history && !(h->ring = calloc(h->lim.history, sizeof *h->ring))) {
        free(h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

void ps_hub_free(ps_hub *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->lim.history; i++)
        ps_msg_release(h->ring[i]);
    ps_msg_release(h->newest);
    free(h->ring);
    free(h);
}

/* Freeing a message releases the next one: a loop, as a whole log can go at once. */
void ps_msg_release(ps_msg *m)
{
    while (m && --m->refs == 0) {
        ps_msg *next = m->next;
        m->hub->held_messages--;
        m->hub->held_bytes -= m->len;
        free(m);
        m = next;
    }
}

static ps_msg *hold(ps_msg *m)
{
    m->refs++;
    return m;
}

static void unlink_sub(ps_sub *s)
{
    ps_hub *h = s->hub;
    if (s->prev)
        s->prev->next_sub = s->next_sub;
    else
        h->subs = s->next_sub;
    if (s->next_sub)
        s->next_sub->prev = s->prev;
    s->prev = s->next_sub = NULL;
    h->nsubs--;
    ps_msg_release(s->next);
    s->next = NULL;
}

/* Out of the fan-out at once, its pending list released, and its task
 * cancelled so a stream stuck writing to a peer that stopped reading ends
 * too. */
static void drop(ps_sub *s, uint64_t *why)
{
    unlink_sub(s);
    s->dropped = true;
    (*why)++;
    corio_task_cancel(s->task);
}

static bool over(const ps_limit *l, uint64_t messages, uint64_t bytes)
{
    return (l->messages && messages > l->messages) || (l->bytes && bytes > l->bytes);
}

/* After m was published: drops s if it is now over its limits. */
static bool check_limits(ps_sub *s, const ps_msg *m, int64_t *now)
{
    ps_hub *h = s->hub;
    uint64_t messages = m->id - s->base_id, bytes = m->end - s->base_end;
    if (over(&h->lim.hard, messages, bytes)) {
        drop(s, &h->dropped_hard);
        return false;
    }
    if (!over(&h->lim.soft, messages, bytes)) {
        s->soft_since = -1;
        return true;
    }
    if (*now < 0)
        *now = corio_now();
    if (s->soft_since < 0)
        s->soft_since = *now;
    if (*now - s->soft_since >= h->lim.soft_ms) {
        drop(s, &h->dropped_soft);
        return false;
    }
    return true;
}

/* Encodes data as one event: a "data: " line for each of its lines (split
 * at \r\n, \r or \n, as EventSource reads them). Two passes: size, then
 * text. */
size_t ps_encode_event(char *out, uint64_t id, const ps_sid *sid, const char *data, size_t len)
{
    size_t n = sid ? (size_t)snprintf(out, out ? 48 : 0, "id: %llu-%llu\n",
                                      (unsigned long long)sid->ms, (unsigned long long)sid->seq)
                   : (size_t)snprintf(out, out ? 32 : 0, "id: %llu\n", (unsigned long long)id);
    for (size_t i = 0;;) {
        size_t j = i;
        while (j < len && data[j] != '\r' && data[j] != '\n')
            j++;
        if (out) {
            memcpy(out + n, "data: ", 6);
            memcpy(out + n + 6, data + i, j - i);
            out[n + 6 + j - i] = '\n';
        }
        n += 6 + j - i + 1;
        if (j == len)
            break;
        i = j + (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n' ? 2 : 1);
    }
    if (out) {
        out[n] = '\n';
        out[n + 1] = '\0';
    }
    return n + 1;
}

int ps_hub_publish(ps_hub *h, const char *data, size_t len, size_t *delivered, uint64_t *id)
{
    return ps_hub_publish_sid(h, data, len, NULL, delivered, id);
}

int ps_hub_publish_sid(ps_hub *h, const char *data, size_t len, const ps_sid *sid,
                       size_t *delivered, uint64_t *id)
{
    size_t elen = ps_encode_event(NULL, h->next_id, sid, data, len);
    ps_msg *m = malloc(sizeof *m + elen + 1);
    if (!m)
        return -ENOMEM;
    *m = (ps_msg){.refs = 1, .hub = h, .id = h->next_id++}; /* the hub's: the newest */
    if (sid)
        m->sid = *sid;
    m->len = ps_encode_event(m->event, m->id, sid, data, len);
    m->end = h->bytes += m->len;
    h->held_messages++;
    h->held_bytes += m->len;
    if (h->newest) {
        h->newest->next = hold(m);
        ps_msg_release(h->newest);
    }
    h->newest = m;
    if (h->lim.history) {
        ps_msg **slot = &h->ring[(m->id - 1) % h->lim.history];
        ps_msg_release(*slot);
        *slot = hold(m);
    }
    size_t n = 0;
    int64_t now = -1;
    for (ps_sub *s = h->subs, *after; s; s = after) {
        after = s->next_sub; /* a drop unlinks s */
        if (!s->next) {
            s->next = hold(m);
            corio_event_set(s->ready);
        }
        n += check_limits(s, m, &now);
    }
    *delivered = n;
    *id = m->id;
    return 0;
}

/* The oldest id still in the ring. */
static uint64_t oldest_kept(const ps_hub *h)
{
    uint64_t published = h->next_id - 1;
    return published > h->lim.history ? published - h->lim.history + 1 : 1;
}

int ps_hub_subscribe(ps_hub *h, bool replay, uint64_t last_id, ps_sub **out)
{
    if (h->nsubs >= h->lim.max_subscribers)
        return -EAGAIN;
    ps_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    if (corio_event_new(&s->ready) < 0) {
        free(s);
        return -ENOMEM;
    }
    s->hub = h;
    s->task = corio_current();
    s->base_id = h->next_id - 1;
    s->base_end = h->bytes;
    s->soft_since = -1;
    if (replay && h->lim.history && last_id < s->base_id) {
        uint64_t first = last_id + 1 > oldest_kept(h) ? last_id + 1 : oldest_kept(h);
        s->next = hold(h->ring[(first - 1) % h->lim.history]);
    }
    s->next_sub = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->nsubs++;
    *out = s;
    return 0;
}

int ps_sub_next(ps_sub *s, int64_t deadline, ps_msg **out)
{
    while (!s->next) {
        if (s->dropped)
            return -ECANCELED;
        if (deadline == 0)
            return -EAGAIN;
        corio_event_clear(s->ready);
        int rc = corio_event_wait(s->ready, deadline);
        if (rc < 0)
            return rc;
    }
    /* s's reference goes to the caller; the next message gets one of s's */
    ps_msg *m = s->next;
    s->next = m->next ? hold(m->next) : NULL;
    if (m->id > s->base_id) {
        s->base_id = m->id;
        s->base_end = m->end;
    }
    *out = m;
    return 0;
}

bool ps_sub_dropped(const ps_sub *s)
{
    return s->dropped;
}

void ps_sub_leave(ps_sub *s)
{
    if (!s->dropped)
        unlink_sub(s);
    corio_event_free(s->ready);
    free(s);
}

void ps_hub_stats(const ps_hub *h, ps_stats *out)
{
    uint64_t published = h->next_id - 1;
    *out = (ps_stats){
        .subscribers = h->nsubs,
        .published = published,
        .dropped_subscribers = h->dropped_hard + h->dropped_soft,
        .dropped_hard = h->dropped_hard,
        .dropped_soft = h->dropped_soft,
        .history = (size_t)(published < h->lim.history ? published : h->lim.history),
        .held_messages = h->held_messages,
        .held_bytes = h->held_bytes,
    };
}
