/* event_queue.c - the pending-event set of the discrete-event simulator.
 *
 * Array binary heaps of 16-byte entries {time, key}, ordered by (time,
 * key).  The key's high 32 bits are a sequence number given at push time and
 * its low 32 bits the slot that says what to run, so events due at the same
 * instant come out in the order they were scheduled and a run never depends
 * on how the heap happens to break ties.  What to run (fn, data) lives in a
 * slab of slots beside the heap, recycled through a free list, so a push or a
 * pop allocates nothing once the arrays have grown.
 *
 * An MsEventId is (generation << 32 | slot).  A slot's generation changes
 * every time the slot is recycled, so an id of an event that already ran (or
 * was cancelled and has since surfaced) no longer matches and cancelling it is
 * a harmless FALSE.  Cancellation is lazy: the slot forgets its function and
 * the heap entry is dropped when it reaches the top.  If dead entries come to
 * outnumber live ones the heap is rebuilt, so a program that re-arms a timer
 * on every packet cannot make the heap grow without bound.
 *
 * Rescheduling is lazy too, for a timer that is stopped and restarted again
 * and again (TCP's retransmission timer, on every ACK).  Moving an event to a
 * time no earlier than where its heap entry sits, even one cancelled whose
 * entry is still in the heap, leaves the entry where it is: the slot records
 * the (time, seq) the event now has, with a sequence number taken just as a
 * push would take it, and when the entry reaches the top early it goes back
 * into the heap at that key instead of running.  So events come out exactly
 * as they would after a cancel and a push, ties included, for the price of a
 * few stores.
 *
 * There are three heaps: one for what is due within 5 ms of the last event
 * run (a packet's next hop on a LAN link), one for the rest of the next
 * 100 ms (packets on slower paths, a server's reply), one for what is due
 * later (retransmission timers, a user's next action, a queue's next
 * retry).  A campus run keeps well over a thousand events in the last and
 * a few dozen in the others, and nearly every event it runs comes from the
 * first two, heaps several levels shallower; two thirds of them from the
 * first, which holds fewer still than one heap for the whole 100 ms.  The
 * next event is the earliest of the three roots, so the order is exactly
 * that of one heap; which heap an entry sits in only decides what it
 * costs.  An empty heap's root is an entry later than any event's, so the
 * earliest root is found with two compares and no test for emptiness.
 *
 * The layout is in event_queue-private.h, so that the simulator's loop
 * (sim.c) can take the usual path of a peek and a pop inline.
 */
#include "mailsim/core.h"
#include "core/core-private.h"
#include "core/event_queue-private.h"

#include <stdlib.h>
#include <string.h>

/* Grows a heap's array to hold `cap` entries, aligned to a cache line. */
static void heap_reserve(Heap *h, guint cap)
{
    gpointer mem = g_malloc((gsize) cap * sizeof(HeapEntry) + CACHE_LINE);
    HeapEntry *a = (HeapEntry *) (((guintptr) mem + CACHE_LINE - 1) & ~(guintptr) (CACHE_LINE - 1));
    if (h->a != NULL)
        memcpy(a, h->a, (gsize) (h->len + 1) * sizeof(HeapEntry));
    if (h->len == 0)
        a[1] = EMPTY_ROOT;
    g_free(h->mem);
    h->mem = mem;
    h->a = a;
    h->cap = cap;
}

MsEventQueue *ms_event_queue_new(void)
{
    MsEventQueue *queue = g_new0(MsEventQueue, 1);
    for (int k = 0; k < N_HEAPS; k++)
        heap_reserve(&queue->heaps[k], MIN_CAPACITY);
    queue->slots_cap = MIN_CAPACITY;
    queue->slots = g_new(Slot, queue->slots_cap);
    queue->free_head = NO_SLOT;
    return queue;
}

/* Pending events are dropped without being run; their data is not the
 * queue's to free. */
void ms_event_queue_free(MsEventQueue *queue)
{
    if (queue == NULL)
        return;
    for (int k = 0; k < N_HEAPS; k++)
        g_free(queue->heaps[k].mem);
    g_free(queue->slots);
    g_free(queue);
}

static guint32 slot_alloc(MsEventQueue *queue)
{
    guint32 slot = queue->free_head;
    if (G_LIKELY(slot != NO_SLOT)) {
        queue->free_head = queue->slots[slot].next_free;
        return slot;
    }
    if (queue->n_slots == queue->slots_cap) {
        /* Slot numbers are 32-bit and NO_SLOT is reserved. */
        g_assert(queue->slots_cap <= G_MAXUINT32 / 2);
        queue->slots_cap *= 2;
        queue->slots = g_renew(Slot, queue->slots, queue->slots_cap);
    }
    slot = queue->n_slots++;
    queue->slots[slot].gen = 1;
    return slot;
}

/* The entry at byte offset `off` from the array's start: the walks keep
 * byte offsets rather than indices, so that no level needs a shift to turn
 * an index into an address. */
#define AT(heap, off) (*(HeapEntry *) (void *) ((char *) (heap) + (off)))

/* Moves `entry` up from byte offset `off` to where it belongs.  A parent's
 * offset is half its child's, rounded down to a whole entry. */
static inline void sift_up_at(HeapEntry *heap, gsize off, HeapEntry entry)
{
    while (off > sizeof(HeapEntry)) {
        gsize parent = (off / 2) & ~(gsize) (sizeof(HeapEntry) - 1);
        if (!(entry < AT(heap, parent)))
            break;
        AT(heap, off) = AT(heap, parent);
        off = parent;
    }
    AT(heap, off) = entry;
}

static inline void sift_up(HeapEntry *heap, gsize pos, HeapEntry entry)
{
    sift_up_at(heap, pos * sizeof(HeapEntry), entry);
}

/* Restores the heap below `pos` for an entry that belongs at or under it. */
static void sift_down(HeapEntry *heap, guint len, guint pos, HeapEntry entry)
{
    for (;;) {
        guint child = 2 * pos;
        if (child > len)
            break;
        if (child < len && heap[child + 1] < heap[child])
            child++;
        if (!(heap[child] < entry))
            break;
        heap[pos] = heap[child];
        pos = child;
    }
    heap[pos] = entry;
}

/* Removes the root.  The last entry, which replaces it, is usually among the
 * largest, so instead of comparing it at every level on the way down we walk
 * the hole to a leaf along the smaller children and then sift the entry up
 * from there (Floyd's bottom-up deletion).  The branch-free walk loads
 * nothing ahead by speculation, so in a heap bigger than the cache it asks
 * for what it may need three levels further down: the sixteen descendants
 * of the two children, four cache lines.  A heap that fits in the cache
 * (a campus run keeps about a thousand entries) takes the walk without the
 * prefetches, which there cost instructions and save no waiting. */
#define PREFETCH_MIN_LEN 8192u

/* Puts `entry` in the root's place and restores the heap (Floyd's walk, as
 * described above).  With 16-byte entries a child's byte offset is twice
 * its parent's, and the smaller sibling is chosen by adding 0 or 16 (a
 * carry, not a branch).  Inline in the pop that nearly every event ends
 * with; heap_replace_top() below is the same walk as a call. */
G_ALWAYS_INLINE static inline void heap_walk(HeapEntry *heap, gsize len, HeapEntry entry)
{
    const gsize last = len * sizeof(HeapEntry);
    gsize pos = sizeof(HeapEntry);
    gsize child = 2 * sizeof(HeapEntry);
    if (G_UNLIKELY(len >= PREFETCH_MIN_LEN)) {
        while (child < last) {
            if (child * 8 + 15 * sizeof(HeapEntry) <= last) {
                __builtin_prefetch(&AT(heap, 8 * child));
                __builtin_prefetch(&AT(heap, 8 * child + 4 * sizeof(HeapEntry)));
                __builtin_prefetch(&AT(heap, 8 * child + 8 * sizeof(HeapEntry)));
                __builtin_prefetch(&AT(heap, 8 * child + 12 * sizeof(HeapEntry)));
            }
            child += (gsize) (AT(heap, child + sizeof(HeapEntry)) < AT(heap, child))
                     * sizeof(HeapEntry);
            AT(heap, pos) = AT(heap, child);
            pos = child;
            child = 2 * pos;
        }
    } else {
        while (child < last) {
            child += (gsize) (AT(heap, child + sizeof(HeapEntry)) < AT(heap, child))
                     * sizeof(HeapEntry);
            AT(heap, pos) = AT(heap, child);
            pos = child;
            child = 2 * pos;
        }
    }
    if (child == last) {
        AT(heap, pos) = AT(heap, child);
        pos = child;
    }
    sift_up_at(heap, pos, entry);
}

/* The walk, as a call: for the seldom paths (settling the roots). */
static void heap_replace_top(HeapEntry *heap, gsize len, HeapEntry entry)
{
    heap_walk(heap, len, entry);
}

static void heap_remove_top(Heap *h)
{
    guint len = --h->len;
    if (len > 0)
        heap_replace_top(h->a, len, h->a[len + 1]);
    else
        h->a[1] = EMPTY_ROOT;
}

/* The root's event was rescheduled later: its entry goes back into its heap
 * at the key the event now has. */
static void defer_top(MsEventQueue *queue, Heap *h, guint32 slot)
{
    Slot *s = &queue->slots[slot];
    HeapEntry entry = entry_make(s->due, ((guint64) s->seq << 32) | slot);
    s->at = s->due;
    heap_replace_top(h->a, h->len, entry);
}

static int entry_compare(const void *a, const void *b)
{
    HeapEntry x;
    HeapEntry y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Sequence numbers have 32 bits in the key.  When they run out (after some
 * four billion pushes) they are handed out again from 0 in the current
 * (time, seq) order of the entries: each heap is sorted (a sorted array is
 * a valid heap) and the three are numbered together, as if merged. */
static void renumber(MsEventQueue *queue)
{
    /* An entry whose event was rescheduled moves to its key first: the new
     * numbers must keep the order the events will run in. */
    for (int k = 0; k < N_HEAPS; k++) {
        Heap *h = &queue->heaps[k];
        for (guint i = 1; i <= h->len; i++) {
            guint32 slot = KEY_SLOT(entry_key(h->a[i]));
            Slot *s = &queue->slots[slot];
            if (s->fn != NULL) {
                h->a[i] = entry_make(s->due, ((guint64) s->seq << 32) | slot);
                s->at = s->due;
            }
        }
        qsort(&h->a[1], h->len, sizeof(HeapEntry), entry_compare);
    }
    guint next[N_HEAPS];
    for (int k = 0; k < N_HEAPS; k++)
        next[k] = 1;
    guint32 seq = 0;
    for (;;) {
        int first = -1;
        for (int k = 0; k < N_HEAPS; k++) {
            const Heap *h = &queue->heaps[k];
            if (next[k] <= h->len
                && (first < 0 || h->a[next[k]] < queue->heaps[first].a[next[first]]))
                first = k;
        }
        if (first < 0)
            break;
        HeapEntry *e = &queue->heaps[first].a[next[first]++];
        guint32 slot = KEY_SLOT(entry_key(*e));
        *e = entry_make(entry_time(*e), ((guint64) seq << 32) | slot);
        queue->slots[slot].seq = seq++;
    }
    queue->next_seq = seq;
}

/* The heap for an event due at `time`, by how far it lies ahead of now;
 * times before now (tests push those) go near. */
static inline Heap *heap_for(MsEventQueue *queue, MsTime time)
{
    guint64 ahead = time > queue->now ? (guint64) time - (guint64) queue->now : 0;
    return &queue->heaps[(ahead >= NEAR_SPAN) + (ahead >= MID_SPAN)];
}

/* The event goes into `slot`, taken off the free list, and into h. */
static inline MsEventId push_in(MsEventQueue *queue, Heap *h, guint32 slot, MsTime time,
                                MsEventFn fn, gpointer data)
{
    Slot *s = &queue->slots[slot];
    s->fn = fn;
    s->data = data;
    s->due = time;
    s->at = time;
    s->seq = (guint32) queue->next_seq;

    HeapEntry entry = entry_make(time, (queue->next_seq++ << 32) | slot);
    sift_up(h->a, ++h->len, entry);
    queue->live++;
    return ((MsEventId) s->gen << 32) | slot;
}

/* A push that must first renumber the sequence numbers, grow a heap or
 * make a slot.  Whole, and apart: the usual push then calls nothing with
 * anything of its own still needed after, and saves no registers. */
G_GNUC_NO_INLINE static MsEventId push_slow(MsEventQueue *queue, MsTime time, MsEventFn fn,
                                            gpointer data)
{
    if (queue->next_seq >= SEQ_LIMIT)
        renumber(queue);
    Heap *h = heap_for(queue, time);
    if (h->len + 1 == h->cap) {
        g_assert(h->cap <= G_MAXUINT / 2);
        heap_reserve(h, h->cap * 2);
    }
    return push_in(queue, h, slot_alloc(queue), time, fn, data);
}

MsEventId ms_event_queue_push(MsEventQueue *queue, MsTime time, MsEventFn fn, gpointer data)
{
    g_return_val_if_fail(queue != NULL, MS_EVENT_ID_NONE);
    g_return_val_if_fail(fn != NULL, MS_EVENT_ID_NONE);
    /* MS_TIME_NEVER is what peek says when nothing is pending. */
    g_return_val_if_fail(time < MS_TIME_NEVER, MS_EVENT_ID_NONE);

    queue->ready = NULL;
    Heap *h = heap_for(queue, time);
    guint32 slot = queue->free_head;
    if (G_UNLIKELY(queue->next_seq >= SEQ_LIMIT || h->len + 1 == h->cap || slot == NO_SLOT))
        return push_slow(queue, time, fn, data);
    queue->free_head = queue->slots[slot].next_free;
    return push_in(queue, h, slot, time, fn, data);
}

/* Drops every dead entry and rebuilds the heaps bottom-up in O(n).  The
 * (time, seq) keys are untouched, so the order of live events is too.
 * Seldom needed, and kept out of ms_event_queue_cancel(), which inlined
 * saved six registers for it at every cancel. */
G_GNUC_NO_INLINE static void compact(MsEventQueue *queue)
{
    for (int k = 0; k < N_HEAPS; k++) {
        Heap *h = &queue->heaps[k];
        guint kept = 0;
        for (guint i = 1; i <= h->len; i++) {
            guint32 slot = KEY_SLOT(entry_key(h->a[i]));
            if (queue->slots[slot].fn != NULL)
                h->a[++kept] = h->a[i];
            else
                slot_release(queue, slot);
        }
        h->len = kept;
        for (guint i = kept / 2; i >= 1; i--)
            sift_down(h->a, kept, i, h->a[i]);
        if (kept == 0)
            h->a[1] = EMPTY_ROOT;
    }
}

gboolean ms_event_queue_cancel(MsEventQueue *queue, MsEventId id)
{
    g_return_val_if_fail(queue != NULL, FALSE);
    guint32 slot = (guint32) (id & G_MAXUINT32);
    guint32 gen = (guint32) (id >> 32);
    if (slot >= queue->n_slots)
        return FALSE;
    Slot *s = &queue->slots[slot];
    /* A stale generation means the event ran (or surfaced cancelled) and the
     * slot may now hold someone else's event; fn == NULL means it is already
     * cancelled. */
    if (s->gen != gen || s->fn == NULL)
        return FALSE;
    queue->ready = NULL;
    s->fn = NULL;
    s->data = NULL;
    queue->live--;

    guint dead = queue_entries(queue) - queue->live;
    if (dead >= COMPACT_MIN_DEAD && dead > queue->live)
        compact(queue);
    return TRUE;
}

/* What ms_event_queue_reschedule() seldom does: an event that needs an
 * entry of its own is cancelled and pushed anew; otherwise the sequence
 * numbers are renumbered first and the move made as usual. */
G_GNUC_NO_INLINE static MsEventId reschedule_slow(MsEventQueue *queue, MsEventId id,
                                                  MsTime time, MsEventFn fn, gpointer data)
{
    guint32 slot = (guint32) (id & G_MAXUINT32);
    guint32 gen = (guint32) (id >> 32);
    if (slot >= queue->n_slots || queue->slots[slot].gen != gen
        || time < queue->slots[slot].at) {
        ms_event_queue_cancel(queue, id);
        return ms_event_queue_push(queue, time, fn, data);
    }
    renumber(queue);
    return ms_event_queue_reschedule(queue, id, time, fn, data);
}

MsEventId ms_event_queue_reschedule(MsEventQueue *queue, MsEventId id, MsTime time,
                                    MsEventFn fn, gpointer data)
{
    g_return_val_if_fail(queue != NULL, MS_EVENT_ID_NONE);
    g_return_val_if_fail(fn != NULL, MS_EVENT_ID_NONE);
    g_return_val_if_fail(time < MS_TIME_NEVER, MS_EVENT_ID_NONE);
    guint32 slot = (guint32) (id & G_MAXUINT32);
    guint32 gen = (guint32) (id >> 32);
    /* A stale id (the event ran, or its cancelled entry has left the heap)
     * or a time before the entry's: the event needs an entry of its own.
     * And renumbering rewrites the slots' keys, so it goes first.  Both
     * apart, so that the usual move saves no registers for them. */
    if (G_UNLIKELY(slot >= queue->n_slots || queue->slots[slot].gen != gen
                   || time < queue->slots[slot].at || queue->next_seq >= SEQ_LIMIT))
        return reschedule_slow(queue, id, time, fn, data);
    queue->ready = NULL;
    Slot *s = &queue->slots[slot];
    if (s->fn == NULL)
        queue->live++;
    s->fn = fn;
    s->data = data;
    s->due = time;
    s->seq = (guint32) queue->next_seq++;
    return id;
}

/* Discards cancelled entries at the roots and puts back early ones (their
 * events were rescheduled) until the earlier root is an event due at its
 * key; returns its heap, or NULL when nothing is pending. */
G_GNUC_NO_INLINE Heap *ms_event_queue_settle(MsEventQueue *queue)
{
    Heap *h;
    while ((h = first_heap(queue)) != NULL) {
        guint32 slot = KEY_SLOT(entry_key(h->a[1]));
        Slot *s = &queue->slots[slot];
        if (G_LIKELY(s->fn != NULL)) {
            if (G_LIKELY(!top_deferred(h->a[1], s)))
                return h;
            defer_top(queue, h, slot);
            continue;
        }
        heap_remove_top(h);
        slot_release(queue, slot);
    }
    return NULL;
}

/* The rest of a pop: the root leaves its heap.  The next pop will want
 * the new root's slot: it starts loading while the caller runs this event.
 * Apart, so that the pop inline in the simulator's step (or in
 * ms_event_queue_pop()) keeps nothing of its own in registers across the
 * walk. */
G_GNUC_NO_INLINE void ms_event_queue_pop_finish(MsEventQueue *queue, Heap *h)
{
    guint len = --h->len;
    if (len > 0) {
        heap_walk(h->a, len, h->a[len + 1]);
        __builtin_prefetch(&queue->slots[KEY_SLOT(entry_key(h->a[1]))]);
    } else {
        h->a[1] = EMPTY_ROOT;
    }
}

gboolean ms_event_queue_pop(MsEventQueue *queue, MsTime *time_out, MsEventFn *fn_out, gpointer *data_out)
{
    g_return_val_if_fail(queue != NULL, FALSE);
    MsTime time;
    MsEventFn fn;
    gpointer data;
    if (!queue_pop(queue, &time, &fn, &data))
        return FALSE;
    if (time_out != NULL)
        *time_out = time;
    if (fn_out != NULL)
        *fn_out = fn;
    if (data_out != NULL)
        *data_out = data;
    return TRUE;
}

MsTime ms_event_queue_peek_time(MsEventQueue *queue)
{
    g_return_val_if_fail(queue != NULL, MS_TIME_NEVER);
    /* Cancelled events at the top are discarded now rather than reported. */
    return queue_peek(queue);
}

guint ms_event_queue_size(const MsEventQueue *queue)
{
    g_return_val_if_fail(queue != NULL, 0);
    return queue->live;
}

/* ---- For the tests (core-private.h) ---- */

void ms_event_queue_set_next_seq_for_tests(MsEventQueue *queue, guint64 seq)
{
    g_return_if_fail(queue != NULL);
    g_return_if_fail(seq >= queue->next_seq && seq <= SEQ_LIMIT);
    queue->next_seq = seq;
}

guint64 ms_event_queue_next_seq_for_tests(const MsEventQueue *queue)
{
    g_return_val_if_fail(queue != NULL, 0);
    return queue->next_seq;
}
