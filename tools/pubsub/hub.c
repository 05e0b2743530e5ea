/* The hub's fan-out, history ring and subscriber bookkeeping (hub.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct ps_sub {
    ps_hub *hub;
    corio_queue *queue;
    corio_task *task;
    ps_sub *prev, *next;
    uint64_t replay_next; /* the replay covers ids replay_next .. live_from - 1 */
    uint64_t live_from;   /* the first id that comes through the queue */
    int64_t progress_at;  /* while backed: when it became so or last took a message */
    bool backed;          /* queue went above the high-water mark, not yet down to the low */
    bool dropped;
};

struct ps_hub {
    ps_limits lim;
    ps_msg **ring; /* message id k lives in ring[(k - 1) % history] */
    uint64_t next_id;
    ps_sub *subs;
    size_t nsubs;
    size_t nbacked;    /* subscribers backed up */
    corio_event *room; /* set while none is: publishers wait for it */
    uint64_t dropped, dropped_stalled, waits, wait_ms;
};

/* Hysteresis: a subscriber backs up above half its queue and frees the
 * publishers at a quarter, so they resume with room for a burst rather than
 * waking for every message taken. */
static size_t high_water(const ps_hub *h)
{
    return h->lim.queue_limit / 2;
}

static size_t low_water(const ps_hub *h)
{
    return h->lim.queue_limit / 4;
}

int ps_hub_new(const ps_limits *limits, ps_hub **out)
{
    ps_hub *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->lim = *limits;
    h->next_id = 1;
    if (corio_event_new(&h->room) < 0) {
        free(h);
        return -ENOMEM;
    }
    corio_event_set(h->room);
    if (h->lim.history && !(h->ring = calloc(h->lim.history, sizeof *h->ring))) {
        corio_event_free(h->room);
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
        if (h->ring[i])
            ps_msg_release(h->ring[i]);
    free(h->ring);
    corio_event_free(h->room);
    free(h);
}

void ps_msg_release(ps_msg *m)
{
    if (--m->refs == 0)
        free(m);
}

/* The oldest id still in the ring. */
static uint64_t oldest_kept(const ps_hub *h)
{
    uint64_t published = h->next_id - 1;
    return published > h->lim.history ? published - h->lim.history + 1 : 1;
}

static void unlink_sub(ps_sub *s)
{
    ps_hub *h = s->hub;
    if (s->prev)
        s->prev->next = s->next;
    else
        h->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    h->nsubs--;
}

/* Keeps the count of backed-up subscribers, and the event publishers wait
 * on, in step with s->backed. */
static void set_backed(ps_sub *s, bool backed)
{
    ps_hub *h = s->hub;
    if (s->backed == backed)
        return;
    s->backed = backed;
    if (backed) {
        /* the stall clock starts here: a stream that idled until a burst
         * came has not stalled */
        s->progress_at = corio_now();
        if (h->nbacked++ == 0)
            corio_event_clear(h->room);
    } else if (--h->nbacked == 0) {
        corio_event_set(h->room);
    }
}

/* A subscriber with a full queue, or stalled: out of the fan-out at once
 * (no longer holding publishers back), and its task cancelled so a stream
 * stuck writing to a peer that stopped reading ends too. */
static void drop(ps_sub *s, bool stalled)
{
    set_backed(s, false);
    unlink_sub(s);
    s->dropped = true;
    s->hub->dropped++;
    s->hub->dropped_stalled += stalled;
    corio_task_cancel(s->task);
}

/* Drops the backed-up subscribers that took nothing for stall_ms; returns
 * when the next of those left would stall if it goes on taking nothing. */
static int64_t drop_stalled(ps_hub *h, int64_t now)
{
    int64_t next = -1;
    for (ps_sub *s = h->subs, *after; s; s = after) {
        after = s->next; /* drop unlinks s */
        if (!s->backed)
            continue;
        int64_t due = s->progress_at + h->lim.stall_ms;
        if (due <= now)
            drop(s, true);
        else if (next < 0 || due < next)
            next = due;
    }
    return next;
}

/* Waits until no subscriber is backed up, dropping those that stall. A
 * publisher woken with others re-checks, as one of them may have backed a
 * subscriber up again: queues stay within high water + 1 however many
 * publish at once. */
static int wait_for_room(ps_hub *h)
{
    int64_t start = -1;
    int rc = 0;
    while (rc == 0 && h->nbacked) {
        int64_t now = corio_now();
        if (start < 0) {
            start = now;
            h->waits++;
        }
        int64_t next = drop_stalled(h, now);
        if (!h->nbacked)
            break;
        rc = corio_event_wait(h->room, next);
        /* our own deadline passing is the cue to look for stalls again; a
         * scope's deadline also says -ETIMEDOUT, and the checkpoint tells */
        if (rc == -ETIMEDOUT)
            rc = corio_checkpoint();
    }
    if (start >= 0)
        h->wait_ms += (uint64_t)(corio_now() - start);
    return rc;
}

/* Encodes data as one event: a "data: " line for each of its lines (split
 * at \r\n, \r or \n, as EventSource reads them). Two passes: size, then
 * text. */
static size_t encode_event(char *out, uint64_t id, const char *data, size_t len)
{
    size_t n = (size_t)snprintf(out, out ? 32 : 0, "id: %llu\n", (unsigned long long)id);
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
    if (h->lim.stall_ms) {
        int rc = wait_for_room(h);
        if (rc < 0)
            return rc;
    }
    size_t elen = encode_event(NULL, h->next_id, data, len);
    ps_msg *m = malloc(sizeof *m + elen + 1);
    if (!m)
        return -ENOMEM;
    m->refs = 1; /* the publisher's, given back below */
    m->id = h->next_id++;
    m->len = encode_event(m->event, m->id, data, len);
    if (h->lim.history) {
        ps_msg **slot = &h->ring[(m->id - 1) % h->lim.history];
        if (*slot)
            ps_msg_release(*slot);
        *slot = m;
        m->refs++;
    }
    size_t n = 0;
    for (ps_sub *s = h->subs, *next; s; s = next) {
        next = s->next; /* drop unlinks s */
        m->refs++;
        if (corio_queue_try_put(s->queue, m) == 0) {
            n++;
            if (corio_queue_size(s->queue) > high_water(h))
                set_backed(s, true);
        } else {
            m->refs--;
            drop(s, false);
        }
    }
    *delivered = n;
    *id = m->id;
    ps_msg_release(m);
    return 0;
}

int ps_hub_subscribe(ps_hub *h, uint64_t last_id, ps_sub **out)
{
    if (h->nsubs >= h->lim.max_subscribers)
        return -EAGAIN;
    ps_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int rc = corio_queue_new(&s->queue, h->lim.queue_limit, 0);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->hub = h;
    s->task = corio_current();
    s->live_from = h->next_id;
    s->replay_next = last_id + 1 < s->live_from ? last_id + 1 : s->live_from;
    s->next = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->nsubs++;
    *out = s;
    return 0;
}

int ps_sub_next(ps_sub *s, int64_t deadline, ps_msg **out)
{
    if (s->dropped)
        return -ECANCELED;
    ps_hub *h = s->hub;
    /* asking for more means what was taken before went out */
    if (s->backed)
        s->progress_at = corio_now();
    if (s->replay_next < s->live_from) {
        /* what fell out of the ring while we waited is lost: go on from what is kept */
        uint64_t oldest = oldest_kept(h);
        if (s->replay_next < oldest)
            s->replay_next = oldest;
        if (s->replay_next < s->live_from && h->lim.history) {
            ps_msg *m = h->ring[(s->replay_next++ - 1) % h->lim.history];
            m->refs++;
            *out = m;
            return 0;
        }
    }
    void *item;
    int rc = deadline == 0 ? corio_queue_try_get(s->queue, &item)
                           : corio_queue_get(s->queue, &item, deadline);
    if (rc < 0)
        return rc;
    if (s->backed && corio_queue_size(s->queue) <= low_water(h))
        set_backed(s, false);
    *out = item;
    return 0;
}

int ps_sub_try_next(ps_sub *s, ps_msg **out)
{
    return ps_sub_next(s, 0, out);
}

bool ps_sub_dropped(const ps_sub *s)
{
    return s->dropped;
}

void ps_sub_leave(ps_sub *s)
{
    if (!s->dropped) {
        set_backed(s, false);
        unlink_sub(s);
    }
    void *item;
    while (corio_queue_try_get(s->queue, &item) == 0)
        ps_msg_release(item);
    corio_queue_free(s->queue);
    free(s);
}

void ps_hub_stats(const ps_hub *h, ps_stats *out)
{
    uint64_t published = h->next_id - 1;
    *out = (ps_stats){
        .subscribers = h->nsubs,
        .published = published,
        .dropped_subscribers = h->dropped,
        .dropped_stalled = h->dropped_stalled,
        .history = (size_t)(published < h->lim.history ? published : h->lim.history),
        .publisher_waits = h->waits,
        .publisher_wait_ms = h->wait_ms,
    };
}
