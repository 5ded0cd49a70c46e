/* event_queue-private.h - the event queue's layout, for the simulator's loop.
 *
 * The simulator peeks at the next event and then runs it some 67 times a
 * message; through the public calls that was two calls into the queue for
 * each, with their argument checks and out-parameters.  sim.c takes the
 * usual path of both inline from here instead, and calls into
 * event_queue.c only for the heap's walk and the seldom cases.  Nothing
 * outside sim/core includes this.
 */
#pragma once

#include "mailsim/core.h"

G_BEGIN_DECLS

/* One heap entry: the time (biased, so that it orders as an unsigned
 * number) in the high 64 bits, the key (seq << 32 | slot) in the low ones.
 * Entries then compare in (time, key) order as 128-bit unsigned numbers: a
 * compare and a subtract with borrow, where two fields took a dozen
 * instructions, and the outcome is a carry rather than a branch, which in a
 * heap would be mispredicted half the time.  Sequence numbers are unique,
 * so the order is strict and the slot bits never decide anything.
 *
 * 16 bytes, so that with the root at index 1 and the array aligned to a
 * cache line, two siblings always share a line and the four grandchildren
 * of a node fill exactly one: a walk down the heap touches one line per
 * level and can ask for the lines it will need next. */
__extension__ typedef unsigned __int128 HeapEntry;

#define TIME_BIAS (G_GUINT64_CONSTANT(1) << 63)
#define KEY_SLOT(key) ((guint32) ((key) & G_MAXUINT32))
#define KEY_SEQ(key) ((guint32) ((key) >> 32))

static inline HeapEntry entry_make(MsTime time, guint64 key)
{
    return ((HeapEntry) ((guint64) time ^ TIME_BIAS) << 64) | key;
}

static inline MsTime entry_time(HeapEntry entry)
{
    return (MsTime) ((guint64) (entry >> 64) ^ TIME_BIAS);
}

static inline guint64 entry_key(HeapEntry entry)
{
    return (guint64) entry;
}

#define SEQ_LIMIT (G_GUINT64_CONSTANT(1) << 32)
#define CACHE_LINE 64u

/* What a scheduled event does, and when.  fn == NULL marks a slot whose event
 * was cancelled (entry still in the heap) or a free slot (on the free list).
 * (due, seq) is the key the event runs at; `at` is the time of its heap
 * entry, earlier than `due` while a reschedule is pending (see the comment
 * at the top of event_queue.c). */
typedef struct {
    MsEventFn fn;
    gpointer data;
    MsTime due;
    MsTime at;
    guint32 gen;
    union {
        guint32 seq;       /* while the slot is in use */
        guint32 next_free; /* while it is on the free list */
    };
} Slot;

#define NO_SLOT G_MAXUINT32
#define MIN_CAPACITY 64u
/* Rebuild only when it pays: more dead entries than live, and a fair few. */
#define COMPACT_MIN_DEAD 256u

/* What an empty heap keeps at its root: an entry later than any event's
 * (its time is MS_TIME_NEVER), so that the earliest root of all is found
 * without asking which heaps are empty. */
#define EMPTY_ROOT (~(HeapEntry) 0)

typedef struct {
    HeapEntry *a;       /* a[1..len], or a[1] == EMPTY_ROOT; a[0] is unused */
    gpointer mem;       /* the allocation a points into */
    guint len;
    guint cap;          /* entries available, including a[0] */
} Heap;

/* Due less than NEAR_SPAN after the last event run: the near heap (a
 * packet's next hop on a LAN link); less than MID_SPAN: the middle one;
 * later: the far one. */
#define NEAR_SPAN (5 * MS_MSEC)
#define MID_SPAN (100 * MS_MSEC)

enum { NEAR, MID, FAR, N_HEAPS };

struct MsEventQueue {
    Heap heaps[N_HEAPS];
    MsTime now;         /* the time of the last event popped */
    /* The heap whose root peek found to be the next event (live, at its
     * key), until the queue changes: the simulator peeks before every
     * step, and the pop that follows need not look again. */
    Heap *ready;

    Slot *slots;
    guint32 n_slots;
    guint32 slots_cap;
    guint32 free_head;

    guint64 next_seq;   /* always < SEQ_LIMIT */
    guint live;
};

static inline guint queue_entries(const MsEventQueue *queue)
{
    return queue->heaps[NEAR].len + queue->heaps[MID].len + queue->heaps[FAR].len;
}

/* Recycling a slot bumps its generation, which invalidates old ids.  The
 * generations are odd (they start at 1 and step by 2, wrapping from
 * G_MAXUINT32 to 1), so no id is ever MS_EVENT_ID_NONE without a test for
 * 0 at every pop; a slot's ids repeat only after 2^31 events. */
static inline void slot_release(MsEventQueue *queue, guint32 slot)
{
    Slot *s = &queue->slots[slot];
    s->fn = NULL;
    s->data = NULL;
    s->gen += 2;
    s->next_free = queue->free_head;
    queue->free_head = slot;
}

/* The heap whose root is the earliest entry of all; NULL if all are empty.
 * An empty heap's root is EMPTY_ROOT, so a heap with entries wins over it
 * and only an empty queue ends with an empty heap. */
static inline Heap *first_heap(MsEventQueue *queue)
{
    Heap *first = &queue->heaps[NEAR];
    if (queue->heaps[MID].a[1] < first->a[1])
        first = &queue->heaps[MID];
    if (queue->heaps[FAR].a[1] < first->a[1])
        first = &queue->heaps[FAR];
    return first->len > 0 ? first : NULL;
}

/* Whether the root's entry is early: its event was rescheduled later.  A
 * move always takes a new sequence number and the entry keeps the one it
 * was made with, so the two differ exactly when the event has moved; one
 * 32-bit compare instead of remaking the entry. */
static inline gboolean top_deferred(HeapEntry top, const Slot *s)
{
    return KEY_SEQ(entry_key(top)) != s->seq;
}

/* Discards cancelled entries at the roots and puts back early ones until
 * the earlier root is an event due at its key; returns its heap, or NULL
 * when nothing is pending. */
Heap *ms_event_queue_settle(MsEventQueue *queue);
/* The rest of a pop, once the root's event is taken: the root leaves h. */
void ms_event_queue_pop_finish(MsEventQueue *queue, Heap *h);

/* ms_event_queue_settle() when the earlier root is already a live event at
 * its key, as it nearly always is: no call, and nothing to save for one. */
static inline Heap *settle_top_fast(MsEventQueue *queue)
{
    Heap *h = first_heap(queue);
    if (G_LIKELY(h != NULL)) {
        HeapEntry top = h->a[1];
        const Slot *s = &queue->slots[KEY_SLOT(entry_key(top))];
        if (G_LIKELY(s->fn != NULL && !top_deferred(top, s)))
            return h;
    }
    return ms_event_queue_settle(queue);
}

/* The time of the next event, which the following pop then takes without
 * looking again (`ready`); MS_TIME_NEVER when nothing is pending. */
static inline MsTime queue_peek(MsEventQueue *queue)
{
    Heap *h = settle_top_fast(queue);
    queue->ready = h;
    return h != NULL ? entry_time(h->a[1]) : MS_TIME_NEVER;
}

/* Takes the next event off the queue: its time, and what to run in
 * *fn_out and *data_out.  FALSE when nothing is pending. */
static inline gboolean queue_pop(MsEventQueue *queue, MsTime *time_out, MsEventFn *fn_out,
                                 gpointer *data_out)
{
    Heap *h = queue->ready;
    if (G_UNLIKELY(h == NULL)) {
        h = ms_event_queue_settle(queue);
        if (h == NULL)
            return FALSE;
    }
    queue->ready = NULL;
    HeapEntry top = h->a[1];
    guint32 slot = KEY_SLOT(entry_key(top));
    Slot *s = &queue->slots[slot];
    queue->live--;
    queue->now = entry_time(top);
    *time_out = queue->now;
    *fn_out = s->fn;
    *data_out = s->data;
    slot_release(queue, slot);
    ms_event_queue_pop_finish(queue, h);
    return TRUE;
}

G_END_DECLS
