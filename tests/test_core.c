/* test_core.c - the discrete-event core: event queue order and cancellation,
 * the simulator's clock and random source, the trace bus, time formatting. */
#include "testutil.h"

#include "core/core-private.h"
#include "mailsim/core.h"
#include "mailsim/trace.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- core/event_queue ------------------------------------------------- */

static void noop(gpointer data)
{
    (void) data;
}

/* Pops everything, returning the data pointers as integers, in pop order. */
static GArray *drain(MsEventQueue *q, GArray *times_out)
{
    GArray *order = g_array_new(FALSE, FALSE, sizeof(guint));
    MsTime t = 0;
    MsEventFn fn = NULL;
    gpointer data = NULL;
    while (ms_event_queue_pop(q, &t, &fn, &data)) {
        guint v = GPOINTER_TO_UINT(data);
        g_array_append_val(order, v);
        if (times_out != NULL)
            g_array_append_val(times_out, t);
    }
    return order;
}

static void test_empty_queue(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsTime t = 7;
    CU_ASSERT_FALSE(ms_event_queue_pop(q, &t, NULL, NULL));
    CU_ASSERT_EQUAL(t, 7); /* untouched when nothing was popped */
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 0);
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, MS_EVENT_ID_NONE));
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, G_GUINT64_CONSTANT(0x0000000500000003)));
}

static void test_order_by_time(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    /* Pushed out of order; data is the expected rank. */
    static const MsTime times[] = { 50, 10, 40, 0, 30, 20, 60 };
    static const guint rank[] = { 5, 1, 4, 0, 3, 2, 6 };
    for (gsize i = 0; i < G_N_ELEMENTS(times); i++)
        ms_event_queue_push(q, times[i], noop, GUINT_TO_POINTER(rank[i]));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), G_N_ELEMENTS(times));
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 0);
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL(order->len, G_N_ELEMENTS(times));
    for (guint i = 0; i < order->len; i++) {
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), i);
        CU_ASSERT_EQUAL(g_array_index(ts, MsTime, i), (MsTime) i * 10);
    }
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 0);
}

/* Events due at the same instant run in the order they were scheduled, even
 * when thousands of them pass through the heap together. */
static void test_ties_in_scheduling_order(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint n = 5000;
    /* Two instants interleaved: evens at 7, odds at 3. */
    for (guint i = 0; i < n; i++)
        ms_event_queue_push(q, (i % 2) ? 3 : 7, noop, GUINT_TO_POINTER(i));
    g_autoptr(GArray) order = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(order->len, n);
    /* First all odds ascending (time 3), then all evens ascending (time 7). */
    for (guint i = 0; i < n / 2; i++) {
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), 2 * i + 1);
        CU_ASSERT_EQUAL(g_array_index(order, guint, n / 2 + i), 2 * i);
    }
}

static void test_ids_distinct(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(MsEventId));
    /* Interleave pops so that slots get reused; ids must still differ. */
    for (guint i = 0; i < 2000; i++) {
        MsEventId id = ms_event_queue_push(q, i, noop, NULL);
        g_array_append_val(ids, id);
        if (i % 3 == 0)
            ms_event_queue_pop(q, NULL, NULL, NULL);
    }
    for (guint i = 0; i < ids->len; i++) {
        MsEventId *id = &g_array_index(ids, MsEventId, i);
        CU_ASSERT_NOT_EQUAL(*id, MS_EVENT_ID_NONE);
        CU_ASSERT_FALSE(g_hash_table_contains(seen, id));
        g_hash_table_add(seen, id);
    }
}

static void test_cancel_pending(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(1));
    MsEventId mid = ms_event_queue_push(q, 20, noop, GUINT_TO_POINTER(2));
    ms_event_queue_push(q, 30, noop, GUINT_TO_POINTER(3));
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, mid));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 2);
    g_autoptr(GArray) order = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(order->len, 2);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 0), 1);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 1), 3);
}

static void test_cancel_twice(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId id = ms_event_queue_push(q, 5, noop, NULL);
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, id));
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, id));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 0);
    CU_ASSERT_FALSE(ms_event_queue_pop(q, NULL, NULL, NULL));
    /* Still harmless once the dead entry has been discarded. */
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, id));
}

/* An id whose event already ran must not cancel the event that now occupies
 * the same storage. */
static void test_cancel_after_run(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId old = ms_event_queue_push(q, 1, noop, GUINT_TO_POINTER(1));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, NULL, NULL, NULL));
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, old));
    MsEventId fresh = ms_event_queue_push(q, 2, noop, GUINT_TO_POINTER(2));
    CU_ASSERT_NOT_EQUAL(fresh, old);
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, old));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 1);
    gpointer data = NULL;
    CU_ASSERT_TRUE(ms_event_queue_pop(q, NULL, NULL, &data));
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 2);
}

static void test_cancel_head(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId head = ms_event_queue_push(q, 100, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, 200, noop, GUINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 100);
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, head));
    /* A cancelled head is never reported, by peek or by pop. */
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 200);
    MsTime t = 0;
    gpointer data = NULL;
    CU_ASSERT_TRUE(ms_event_queue_pop(q, &t, NULL, &data));
    CU_ASSERT_EQUAL(t, 200);
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 2);
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), MS_TIME_NEVER);
}

/* What peek found stays true only until the queue changes: an earlier push,
 * a cancel or a move of the event it found all change what pop returns. */
static void test_peek_then_change(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId first = ms_event_queue_push(q, 100, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, 200, noop, GUINT_TO_POINTER(2));
    gpointer data = NULL;
    MsTime t = 0;

    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 100);
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(3));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, &t, NULL, &data));
    CU_ASSERT_EQUAL(t, 50);
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 3);

    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 100);
    first = ms_event_queue_reschedule(q, first, 300, noop, GUINT_TO_POINTER(1));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, &t, NULL, &data));
    CU_ASSERT_EQUAL(t, 200);
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 2);

    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 300);
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, first));
    CU_ASSERT_FALSE(ms_event_queue_pop(q, NULL, NULL, NULL));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 0);

    /* The event found waits in the far heap; the earlier one pushed after
     * the peek goes to the near heap. */
    ms_event_queue_push(q, 5 * MS_SEC, noop, GUINT_TO_POINTER(4));
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 5 * MS_SEC);
    ms_event_queue_push(q, 400, noop, GUINT_TO_POINTER(5));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, &t, NULL, &data));
    CU_ASSERT_EQUAL(t, 400);
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 5);
}

/* Cancelling most of a big queue triggers a rebuild; the survivors must keep
 * their (time, seq) order, ties included. */
static void test_cancel_most(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint n = 3000;
    g_autofree MsEventId *ids = g_new(MsEventId, n);
    for (guint i = 0; i < n; i++)
        ids[i] = ms_event_queue_push(q, (MsTime) (n - i) / 4, noop, GUINT_TO_POINTER(i));
    guint kept = 0;
    for (guint i = 0; i < n; i++) {
        if (i % 5 == 0) {
            kept++;
            continue;
        }
        CU_ASSERT_TRUE(ms_event_queue_cancel(q, ids[i]));
    }
    CU_ASSERT_EQUAL(ms_event_queue_size(q), kept);
    /* Ids of survivors still work after the rebuild. */
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, ids[0]));
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, ids[1]));
    kept--;
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL_FATAL(order->len, kept);
    for (guint i = 0; i < order->len; i++) {
        guint v = g_array_index(order, guint, i);
        CU_ASSERT(v % 5 == 0 && v != 0);
        if (i > 0) {
            MsTime prev_t = g_array_index(ts, MsTime, i - 1);
            MsTime t = g_array_index(ts, MsTime, i);
            guint prev = g_array_index(order, guint, i - 1);
            CU_ASSERT(prev_t < t || (prev_t == t && prev < v));
        }
    }
}

/* Sequence numbers wrap after 2^32 pushes and are renumbered; same-time
 * events pushed across the wrap must still come out in push order. */
static void test_seq_wrap(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint64 limit = G_GUINT64_CONSTANT(1) << 32;
    ms_event_queue_set_next_seq_for_tests(q, limit - 5);
    for (guint i = 0; i < 20; i++)
        ms_event_queue_push(q, (i % 2) ? 40 : 10, noop, GUINT_TO_POINTER(i));
    CU_ASSERT(ms_event_queue_next_seq_for_tests(q) < limit - 5);
    g_autoptr(GArray) order = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(order->len, 20);
    for (guint i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), 2 * i);
        CU_ASSERT_EQUAL(g_array_index(order, guint, 10 + i), 2 * i + 1);
    }
}

/* An event moved later runs at the later time, after what is due before it,
 * and keeps its id while its entry stays in the heap. */
static void test_reschedule_later(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId id = ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, 30, noop, GUINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(ms_event_queue_reschedule(q, id, 50, noop, GUINT_TO_POINTER(1)), id);
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 2);
    /* Its entry still sits at 10, but nothing is due before 30. */
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), 30);
    /* Moved again while its entry has gone back into the heap at 50. */
    CU_ASSERT_EQUAL(ms_event_queue_reschedule(q, id, 70, noop, GUINT_TO_POINTER(1)), id);
    ms_event_queue_push(q, 60, noop, GUINT_TO_POINTER(3));
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL_FATAL(order->len, 3);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 0), 2);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 1), 3);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 2), 1);
    CU_ASSERT_EQUAL(g_array_index(ts, MsTime, 2), 70);
    /* Ran: the id is inert. */
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, id));
}

/* A moved event ties as a fresh push would: after every event already due
 * at its new time, before every one pushed there after the move. */
static void test_reschedule_ties(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(1));
    MsEventId id = ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(3));
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(2));
    id = ms_event_queue_reschedule(q, id, 50, noop, GUINT_TO_POINTER(3));
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(4));
    /* Moved to where it already is: it still goes behind the others. */
    MsEventId same = ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(6));
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(5));
    ms_event_queue_reschedule(q, same, 50, noop, GUINT_TO_POINTER(6));
    g_autoptr(GArray) order = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(order->len, 6);
    for (guint i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), i + 1);
}

/* A cancelled event never runs, however it was moved before; one cancelled
 * and then moved runs once, at the new time. */
static void test_reschedule_cancelled(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId stopped = ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(1));
    stopped = ms_event_queue_reschedule(q, stopped, 40, noop, GUINT_TO_POINTER(1));
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, stopped));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 0);
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), MS_TIME_NEVER);

    MsEventId revived = ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(2));
    ms_event_queue_push(q, 20, noop, GUINT_TO_POINTER(3));
    CU_ASSERT_TRUE(ms_event_queue_cancel(q, revived));
    revived = ms_event_queue_reschedule(q, revived, 30, noop, GUINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 2);
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL_FATAL(order->len, 2);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 0), 3);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 1), 2);
    CU_ASSERT_EQUAL(g_array_index(ts, MsTime, 1), 30);
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, revived));
}

/* Moving an event earlier than its entry, or one that already ran, takes a
 * new entry (and id); the old entry never runs. */
static void test_reschedule_earlier_or_gone(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    MsEventId id = ms_event_queue_push(q, 100, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, 50, noop, GUINT_TO_POINTER(2));
    MsEventId moved = ms_event_queue_reschedule(q, id, 20, noop, GUINT_TO_POINTER(1));
    CU_ASSERT_NOT_EQUAL(moved, id);
    CU_ASSERT_FALSE(ms_event_queue_cancel(q, id));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 2);
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL_FATAL(order->len, 2);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 0), 1);
    CU_ASSERT_EQUAL(g_array_index(ts, MsTime, 0), 20);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 1), 2);

    /* moved ran: rescheduling it is a new event. */
    MsEventId again = ms_event_queue_reschedule(q, moved, 200, noop, GUINT_TO_POINTER(3));
    CU_ASSERT_NOT_EQUAL(again, moved);
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 1);
    MsTime t = 0;
    gpointer data = NULL;
    CU_ASSERT_TRUE(ms_event_queue_pop(q, &t, NULL, &data));
    CU_ASSERT_EQUAL(t, 200);
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 3);
    CU_ASSERT_FALSE(ms_event_queue_pop(q, NULL, NULL, NULL));
}

/* Renumbering at the wrap keeps the order of moved events too. */
static void test_reschedule_across_wrap(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint64 limit = G_GUINT64_CONSTANT(1) << 32;
    ms_event_queue_set_next_seq_for_tests(q, limit - 6);
    /* 1 and 3 move from 10 to 40 as the numbers run out, behind 0 and 2. */
    MsEventId ids[6];
    for (guint i = 0; i < 6; i++)
        ids[i] = ms_event_queue_push(q, (i == 0 || i == 2) ? 40 : 10, noop, GUINT_TO_POINTER(i));
    ms_event_queue_reschedule(q, ids[1], 40, noop, GUINT_TO_POINTER(1));
    ms_event_queue_reschedule(q, ids[3], 40, noop, GUINT_TO_POINTER(3));
    ms_event_queue_reschedule(q, ids[4], 40, noop, GUINT_TO_POINTER(4));
    CU_ASSERT(ms_event_queue_next_seq_for_tests(q) < limit - 6);
    ms_event_queue_push(q, 40, noop, GUINT_TO_POINTER(6));
    g_autoptr(GArray) order = drain(q, NULL);
    static const guint expected[] = { 5, 0, 2, 1, 3, 4, 6 };
    CU_ASSERT_EQUAL_FATAL(order->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), expected[i]);
}

/* A move back, no earlier than its entry but earlier than where the event
 * had been moved, when the numbers run out: renumbering puts the entry at
 * the event's key, so the move must then give it an entry of its own, and
 * the event runs at its new time, before one due between the two. */
static void test_reschedule_back_at_wrap(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint64 limit = G_GUINT64_CONSTANT(1) << 32;
    ms_event_queue_set_next_seq_for_tests(q, limit - 3);
    MsEventId a = ms_event_queue_push(q, 10, noop, GUINT_TO_POINTER(0));
    ms_event_queue_push(q, 25, noop, GUINT_TO_POINTER(1));
    a = ms_event_queue_reschedule(q, a, 30, noop, GUINT_TO_POINTER(0));
    CU_ASSERT_EQUAL(ms_event_queue_next_seq_for_tests(q), limit);
    a = ms_event_queue_reschedule(q, a, 20, noop, GUINT_TO_POINTER(0));
    CU_ASSERT_NOT_EQUAL(a, MS_EVENT_ID_NONE);
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 2);
    g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, times);
    CU_ASSERT_EQUAL_FATAL(order->len, 2);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 0), 0);
    CU_ASSERT_EQUAL(g_array_index(times, MsTime, 0), 20);
    CU_ASSERT_EQUAL(g_array_index(order, guint, 1), 1);
    CU_ASSERT_EQUAL(g_array_index(times, MsTime, 1), 25);
}

/* The reference model: an unsorted array scanned for the (time, seq) minimum. */
typedef struct {
    MsTime time;
    guint64 seq;
    MsEventId id;
    guint token;
} RefEvent;

static guint ref_min(GArray *ref)
{
    guint best = 0;
    for (guint i = 1; i < ref->len; i++) {
        RefEvent *a = &g_array_index(ref, RefEvent, i);
        RefEvent *b = &g_array_index(ref, RefEvent, best);
        if (a->time < b->time || (a->time == b->time && a->seq < b->seq))
            best = i;
    }
    return best;
}

static void remove_id(GArray *ids, MsEventId id)
{
    for (guint i = 0; i < ids->len;) {
        if (g_array_index(ids, MsEventId, i) == id)
            g_array_remove_index_fast(ids, i);
        else
            i++;
    }
}

/* Pushes, pops and cancels, and with `reschedule` moves too, against a
 * model of the queue: times are now + k * unit, k < 50, so that ties are
 * common; a unit of 10 ms spreads them over both of the queue's heaps (near
 * and far).  Moving an event is cancelling it and pushing it again, whatever
 * the id (pending, cancelled, or run) and whichever way the time moves. */
static void random_against_reference(guint32 seed, MsTime unit, gboolean reschedule)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    g_autoptr(GArray) ref = g_array_new(FALSE, FALSE, sizeof(RefEvent));
    g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(MsEventId));
    GRand *rand = g_rand_new_with_seed(seed);
    guint64 seq = 0;
    guint token = 0;
    MsTime now = 0;
    guint mismatches = 0;
    const guint push_below = reschedule ? 30 : 50;
    const guint pop_below = reschedule ? 60 : 85;
    const guint cancel_below = reschedule ? 70 : 95;

    for (guint step = 0; step < 40000; step++) {
        guint op = g_rand_int_range(rand, 0, 100);
        if (op < push_below || ref->len == 0) {
            MsTime t = now + g_rand_int_range(rand, 0, 50) * unit;
            RefEvent e = { t, seq++, 0, token++ };
            e.id = ms_event_queue_push(q, t, noop, GUINT_TO_POINTER(e.token));
            g_array_append_val(ref, e);
        } else if (op < pop_below) {
            guint i = ref_min(ref);
            RefEvent e = g_array_index(ref, RefEvent, i);
            g_array_remove_index_fast(ref, i);
            MsTime t = -1;
            gpointer data = NULL;
            if (!ms_event_queue_pop(q, &t, NULL, &data) || t != e.time
                || GPOINTER_TO_UINT(data) != e.token)
                mismatches++;
            now = t;
            g_array_append_val(gone, e.id);
        } else if (op < cancel_below) {
            guint i = g_rand_int_range(rand, 0, (gint32) ref->len);
            RefEvent e = g_array_index(ref, RefEvent, i);
            g_array_remove_index_fast(ref, i);
            if (!ms_event_queue_cancel(q, e.id))
                mismatches++;
            g_array_append_val(gone, e.id);
        } else if (reschedule) {
            /* Mostly a pending event, mostly later (a timer restarted);
             * sometimes one cancelled or run, sometimes earlier. */
            gboolean pending = op < 90 || gone->len == 0;
            guint i = g_rand_int_range(rand, 0, (gint32) (pending ? ref->len : gone->len));
            MsEventId old = pending ? g_array_index(ref, RefEvent, i).id
                                    : g_array_index(gone, MsEventId, i);
            MsTime t = now + g_rand_int_range(rand, op % 4 == 0 ? 0 : 40, 120) * unit;
            RefEvent e = { t, seq++, 0, token++ };
            if (pending)
                g_array_remove_index_fast(ref, i);
            e.id = ms_event_queue_reschedule(q, old, t, noop, GUINT_TO_POINTER(e.token));
            if (e.id == MS_EVENT_ID_NONE)
                mismatches++;
            remove_id(gone, e.id);
            if (old != e.id)
                g_array_append_val(gone, old);
            g_array_append_val(ref, e);
        }
        if (op >= 95 && gone->len > 0) {
            /* Ids that ran or were cancelled must stay inert. */
            guint i = g_rand_int_range(rand, 0, (gint32) gone->len);
            if (ms_event_queue_cancel(q, g_array_index(gone, MsEventId, i)))
                mismatches++;
        }
        if (ms_event_queue_size(q) != ref->len)
            mismatches++;
        MsTime expect = ref->len ? g_array_index(ref, RefEvent, ref_min(ref)).time : MS_TIME_NEVER;
        if (ms_event_queue_peek_time(q) != expect)
            mismatches++;
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    g_rand_free(rand);
}

static void test_random_against_reference(void)
{
    random_against_reference(12345, 1, FALSE);
}

static void test_random_both_heaps(void)
{
    random_against_reference(4242, 10 * MS_MSEC, FALSE);
}

static void test_random_reschedule_against_reference(void)
{
    random_against_reference(6298, 1, TRUE);
}

static void test_random_reschedule_both_heaps(void)
{
    random_against_reference(5681, 10 * MS_MSEC, TRUE);
}

/* Steps of a millisecond: pushes land in the near heap (under 5 ms ahead)
 * and the middle one, moves in all three, and each empties and fills
 * again as the run goes on. */
static void test_random_three_heaps(void)
{
    random_against_reference(7331, MS_MSEC, FALSE);
}

static void test_random_reschedule_three_heaps(void)
{
    random_against_reference(9127, MS_MSEC, TRUE);
}

/* A heap deep enough for the walk that loads ahead (8,192 entries and
 * more) and then shrinking through the plain one: 20,000 events over 97
 * instants, so that most share theirs with many others, come out by time
 * and, at one time, in push order. */
static void test_deep_heap_order(void)
{
    enum { N = 20000, INSTANTS = 97 };
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    for (guint i = 0; i < N; i++) {
        MsTime t = (MsTime) ((i * 7919u) % INSTANTS) * MS_USEC;
        ms_event_queue_push(q, t, noop, GUINT_TO_POINTER(i));
    }
    g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, times);
    CU_ASSERT_EQUAL_FATAL(order->len, N);
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        guint v = g_array_index(order, guint, i);
        MsTime t = g_array_index(times, MsTime, i);
        if (t != (MsTime) ((v * 7919u) % INSTANTS) * MS_USEC)
            wrong++;
        if (i == 0)
            continue;
        MsTime prev_t = g_array_index(times, MsTime, i - 1);
        guint prev_v = g_array_index(order, guint, i - 1);
        if (t < prev_t || (t == prev_t && v < prev_v))
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* Events due at one instant come out in push order even when one waited in
 * the far heap (pushed long before) and the others in the near one, and
 * when the sequence numbers are renumbered across the two. */
static void test_ties_across_heaps(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const guint64 limit = G_GUINT64_CONSTANT(1) << 32;
    ms_event_queue_set_next_seq_for_tests(q, limit - 4);
    ms_event_queue_push(q, 5 * MS_SEC, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, 4950 * MS_MSEC, noop, GUINT_TO_POINTER(0));
    gpointer data = NULL;
    CU_ASSERT_TRUE(ms_event_queue_pop(q, NULL, NULL, &data));
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 0);
    /* Now 50 ms before the first: these are near. */
    ms_event_queue_push(q, 5 * MS_SEC, noop, GUINT_TO_POINTER(2));
    ms_event_queue_push(q, 5 * MS_SEC, noop, GUINT_TO_POINTER(3));
    ms_event_queue_push(q, 5 * MS_SEC, noop, GUINT_TO_POINTER(4)); /* renumbers */
    CU_ASSERT(ms_event_queue_next_seq_for_tests(q) < 16);
    ms_event_queue_push(q, 10 * MS_SEC, noop, GUINT_TO_POINTER(5));
    g_autoptr(GArray) ts = g_array_new(FALSE, FALSE, sizeof(MsTime));
    g_autoptr(GArray) order = drain(q, ts);
    CU_ASSERT_EQUAL_FATAL(order->len, 5);
    for (guint i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), i + 1);
    CU_ASSERT_EQUAL(g_array_index(ts, MsTime, 3), 5 * MS_SEC);
}

/* Events due at one instant come out in push order when each waits in a
 * heap of its own: pushed 2 s before it (far), 50 ms before (middle) and
 * 1 ms before (near).  Then, with every heap emptied, a heap that fills
 * again takes part again, and an empty queue says so. */
static void test_ties_across_three_heaps(void)
{
    g_autoptr(MsEventQueue) q = ms_event_queue_new();
    const MsTime t = 2 * MS_SEC;
    gpointer data = NULL;
    ms_event_queue_push(q, t, noop, GUINT_TO_POINTER(1));
    ms_event_queue_push(q, t - 50 * MS_MSEC, noop, GUINT_TO_POINTER(0));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, NULL, NULL, &data));
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 0);
    ms_event_queue_push(q, t, noop, GUINT_TO_POINTER(2));
    ms_event_queue_push(q, t - MS_MSEC, noop, GUINT_TO_POINTER(0));
    CU_ASSERT_TRUE(ms_event_queue_pop(q, NULL, NULL, &data));
    CU_ASSERT_EQUAL(GPOINTER_TO_UINT(data), 0);
    ms_event_queue_push(q, t, noop, GUINT_TO_POINTER(3));
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), t);
    g_autoptr(GArray) order = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(order->len, 3);
    for (guint i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(g_array_index(order, guint, i), i + 1);
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), MS_TIME_NEVER);

    /* Now t: far, middle and near again, pushed latest first. */
    ms_event_queue_push(q, t + 3 * MS_SEC, noop, GUINT_TO_POINTER(6));
    ms_event_queue_push(q, t + 50 * MS_MSEC, noop, GUINT_TO_POINTER(5));
    ms_event_queue_push(q, t + MS_MSEC, noop, GUINT_TO_POINTER(4));
    CU_ASSERT_EQUAL(ms_event_queue_size(q), 3);
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), t + MS_MSEC);
    g_autoptr(GArray) again = drain(q, NULL);
    CU_ASSERT_EQUAL_FATAL(again->len, 3);
    for (guint i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(g_array_index(again, guint, i), i + 4);
    CU_ASSERT_EQUAL(ms_event_queue_peek_time(q), MS_TIME_NEVER);
    CU_ASSERT_FALSE(ms_event_queue_pop(q, NULL, NULL, NULL));
}

/* ---- core/sim ----------------------------------------------------------- */

typedef struct {
    MsSim *sim;
    GArray *log; /* of MsTime: ms_sim_now() at each call */
    GArray *who; /* of guint: which event ran */
    guint remaining;
    MsTime period;
} Probe;

typedef struct {
    Probe *probe;
    guint tag;
} Tagged;

static void record_now(gpointer data)
{
    Tagged *t = data;
    MsTime now = ms_sim_now(t->probe->sim);
    g_array_append_val(t->probe->log, now);
    g_array_append_val(t->probe->who, t->tag);
}

static void probe_init(Probe *p, MsSim *sim)
{
    memset(p, 0, sizeof(*p));
    p->sim = sim;
    p->log = g_array_new(FALSE, FALSE, sizeof(MsTime));
    p->who = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void probe_clear(Probe *p)
{
    g_array_unref(p->log);
    g_array_unref(p->who);
}

static void test_clock_advances(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    Tagged a = { &p, 1 }, b = { &p, 2 };
    CU_ASSERT_EQUAL(ms_sim_now(sim), 0);
    ms_sim_schedule(sim, 20 * MS_MSEC, record_now, &b);
    ms_sim_schedule(sim, 10 * MS_MSEC, record_now, &a);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 2);
    CU_ASSERT_EQUAL_FATAL(p.log->len, 2);
    CU_ASSERT_EQUAL(g_array_index(p.log, MsTime, 0), 10 * MS_MSEC);
    CU_ASSERT_EQUAL(g_array_index(p.log, MsTime, 1), 20 * MS_MSEC);
    CU_ASSERT_EQUAL(g_array_index(p.who, guint, 0), 1);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 20 * MS_MSEC);
    CU_ASSERT_EQUAL(ms_sim_events_run(sim), 2);
    /* Delays are relative to the new now. */
    ms_sim_schedule(sim, 5, record_now, &a);
    CU_ASSERT_TRUE(ms_sim_step(sim));
    CU_ASSERT_EQUAL(ms_sim_now(sim), 20 * MS_MSEC + 5);
    CU_ASSERT_FALSE(ms_sim_step(sim));
    CU_ASSERT_EQUAL(ms_sim_events_run(sim), 3);
    probe_clear(&p);
}

static void test_run_until_bounds(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    Tagged t10 = { &p, 10 }, t20 = { &p, 20 }, t30 = { &p, 30 };
    ms_sim_schedule_at(sim, 30, record_now, &t30);
    ms_sim_schedule_at(sim, 10, record_now, &t10);
    ms_sim_schedule_at(sim, 20, record_now, &t20);
    /* An event exactly at the bound runs. */
    CU_ASSERT_EQUAL(ms_sim_run(sim, 20), 2);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 20);
    /* Nothing due by 25: the clock stays at the last event. */
    CU_ASSERT_EQUAL(ms_sim_run(sim, 25), 0);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 20);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 1);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 30);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 0);
    CU_ASSERT_EQUAL(ms_sim_events_run(sim), 3);
    probe_clear(&p);
}

static void tick(gpointer data)
{
    Probe *p = data;
    MsTime now = ms_sim_now(p->sim);
    g_array_append_val(p->log, now);
    if (--p->remaining > 0)
        ms_sim_schedule(p->sim, p->period, tick, p);
}

static void test_events_schedule_events(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    p.remaining = 10;
    p.period = 7;
    ms_sim_schedule(sim, 0, tick, &p);
    /* run(until) also runs events scheduled during the run, within the bound:
     * ticks at 0, 7, ..., 35 are <= 40. */
    CU_ASSERT_EQUAL(ms_sim_run(sim, 40), 6);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 35);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 4);
    CU_ASSERT_EQUAL_FATAL(p.log->len, 10);
    for (guint i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(g_array_index(p.log, MsTime, i), (MsTime) i * 7);
    probe_clear(&p);
}

typedef struct {
    Probe *probe;
    Tagged *later;
} Chain;

static void schedule_zero(gpointer data)
{
    Chain *c = data;
    record_now(&(Tagged){ c->probe, 1 });
    ms_sim_schedule(c->probe->sim, 0, record_now, c->later);
}

/* A zero-delay event scheduled while running at time T runs at T, after the
 * events that were already due at T (they were scheduled earlier). */
static void test_zero_delay_after_same_time(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    Tagged two = { &p, 2 }, three = { &p, 3 };
    Chain c = { &p, &three };
    ms_sim_schedule_at(sim, 50, schedule_zero, &c);
    ms_sim_schedule_at(sim, 50, record_now, &two);
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL_FATAL(p.who->len, 3);
    for (guint i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(g_array_index(p.who, guint, i), i + 1);
        CU_ASSERT_EQUAL(g_array_index(p.log, MsTime, i), 50);
    }
    probe_clear(&p);
}

/* The net pushes into the simulator's queue itself (ms_sim_queue()): its
 * events run among those scheduled through the simulator by (time, order
 * of scheduling), ties included, with the clock at each one's time, and
 * cancel as theirs do. */
static void test_sim_queue_direct(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    MsEventQueue *queue = ms_sim_queue(sim);
    Probe p;
    probe_init(&p, sim);
    Tagged t[6] = { { &p, 1 }, { &p, 2 }, { &p, 3 }, { &p, 4 }, { &p, 5 }, { &p, 6 } };
    ms_sim_schedule_at(sim, 20, record_now, &t[2]);
    ms_event_queue_push(queue, 10, record_now, &t[0]);
    ms_sim_schedule_at(sim, 10, record_now, &t[1]);
    MsEventId gone = ms_event_queue_push(queue, 15, record_now, &t[5]);
    ms_event_queue_push(queue, 20, record_now, &t[3]);
    ms_sim_schedule_at(sim, 200 * MS_MSEC, record_now, &t[4]);
    CU_ASSERT_TRUE(ms_sim_cancel(sim, gone));
    CU_ASSERT_EQUAL(ms_sim_next_time(sim), 10);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 5);
    CU_ASSERT_EQUAL_FATAL(p.who->len, 5);
    const MsTime when[5] = { 10, 10, 20, 20, 200 * MS_MSEC };
    for (guint i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(g_array_index(p.who, guint, i), i + 1);
        CU_ASSERT_EQUAL(g_array_index(p.log, MsTime, i), when[i]);
    }
    CU_ASSERT_EQUAL(ms_sim_now(sim), 200 * MS_MSEC);
    probe_clear(&p);
}

static void test_sim_cancel(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    Tagged a = { &p, 1 }, b = { &p, 2 };
    MsEventId ia = ms_sim_schedule(sim, 10, record_now, &a);
    ms_sim_schedule(sim, 20, record_now, &b);
    CU_ASSERT_TRUE(ms_sim_cancel(sim, ia));
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 1);
    CU_ASSERT_EQUAL_FATAL(p.who->len, 1);
    CU_ASSERT_EQUAL(g_array_index(p.who, guint, 0), 2);
    /* The clock skipped the cancelled event's time. */
    CU_ASSERT_EQUAL(ms_sim_now(sim), 20);
    CU_ASSERT_FALSE(ms_sim_cancel(sim, ia));
    probe_clear(&p);
}

/* The simulator's reschedule: a later time moves the event there, and NEVER
 * cancels it. */
static void test_sim_reschedule(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    Probe p;
    probe_init(&p, sim);
    Tagged a = { &p, 1 }, b = { &p, 2 };
    MsEventId ia = ms_sim_schedule(sim, 10, record_now, &a);
    MsEventId ib = ms_sim_schedule(sim, 20, record_now, &b);
    ia = ms_sim_reschedule_at(sim, ia, 30, record_now, &a);
    CU_ASSERT_EQUAL(ms_sim_reschedule_at(sim, ib, MS_TIME_NEVER, record_now, &b),
                    MS_EVENT_ID_NONE);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 1);
    CU_ASSERT_EQUAL_FATAL(p.who->len, 1);
    CU_ASSERT_EQUAL(g_array_index(p.who, guint, 0), 1);
    CU_ASSERT_EQUAL(ms_sim_now(sim), 30);
    CU_ASSERT_FALSE(ms_sim_cancel(sim, ia));
    probe_clear(&p);
}

static void draw(MsSim *sim, guint32 *out, guint n)
{
    for (guint i = 0; i < n; i++)
        out[i] = g_rand_int(ms_sim_rand(sim));
}

static void test_rng_determinism(void)
{
    guint32 a[64], b[64], c[64], d[64];
    g_autoptr(MsSim) s1 = ms_sim_new(42);
    g_autoptr(MsSim) s2 = ms_sim_new(42);
    g_autoptr(MsSim) s3 = ms_sim_new(43);
    /* Differs from 42 only in the high 32 bits of the seed. */
    g_autoptr(MsSim) s4 = ms_sim_new((G_GUINT64_CONSTANT(1) << 32) | 42);
    draw(s1, a, 64);
    draw(s2, b, 64);
    draw(s3, c, 64);
    draw(s4, d, 64);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof(a)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, d, sizeof(a)), 0);
    CU_ASSERT_EQUAL(ms_sim_seed(s4), (G_GUINT64_CONSTANT(1) << 32) | 42);
    CU_ASSERT_EQUAL(ms_sim_seed(s1), 42);
}

/* Scheduling into the past is a programming error and must abort. */
static gboolean aborts_in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* GLib reports the failed assertion on both streams. */
        if (freopen("/dev/null", "w", stderr) == NULL || freopen("/dev/null", "w", stdout) == NULL)
            _exit(3);
        fn();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return FALSE;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void schedule_negative(void)
{
    MsSim *sim = ms_sim_new(1);
    ms_sim_schedule(sim, -1, noop, NULL);
    ms_sim_free(sim);
}

static void schedule_in_past(void)
{
    MsSim *sim = ms_sim_new(1);
    ms_sim_schedule_at(sim, 100, noop, NULL);
    ms_sim_step(sim);
    ms_sim_schedule_at(sim, 99, noop, NULL);
    ms_sim_free(sim);
}

static void schedule_fine(void)
{
    MsSim *sim = ms_sim_new(1);
    ms_sim_schedule(sim, 0, noop, NULL);
    ms_sim_free(sim);
}

static void test_past_is_fatal(void)
{
    CU_ASSERT_TRUE(aborts_in_child(schedule_negative));
    CU_ASSERT_TRUE(aborts_in_child(schedule_in_past));
    CU_ASSERT_FALSE(aborts_in_child(schedule_fine));
}

static void test_sim_owns_trace(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(9);
    MsTrace *trace = ms_sim_trace(sim);
    CU_ASSERT_PTR_NOT_NULL_FATAL(trace);
    MsTraceRecord r = { .kind = MS_TRACE_ACTION, .time = 0, .arrival = -1, .detail = "start" };
    CU_ASSERT_EQUAL(ms_trace_emit(trace, &r), 0);
    CU_ASSERT_EQUAL(ms_trace_length(ms_sim_trace(sim)), 1);
}

/* ---- core/trace --------------------------------------------------------- */

static void test_emit_copies_strings(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    char host[16];
    char text[32];
    g_strlcpy(host, "crepes.fr", sizeof(host));
    g_strlcpy(text, "HELO crepes.fr", sizeof(text));
    MsTraceRecord r = { .kind = MS_TRACE_LINE, .time = 5, .arrival = -1, .conn = 1,
                        .protocol = "SMTP", .dir = MS_DIR_CLIENT, .src = host,
                        .dst = "hamburger.edu", .src_port = 1025, .dst_port = 25,
                        .text = text, .eol = "\r\n", .id = 99 };
    CU_ASSERT_EQUAL(ms_trace_emit(trace, &r), 0);
    /* The caller's buffers change; the log must not. */
    g_strlcpy(host, "XXXXXXXX", sizeof(host));
    g_strlcpy(text, "garbage", sizeof(text));
    MsTraceRecord buf;
    const MsTraceRecord *got = ms_trace_get(trace, 0, &buf);
    CU_ASSERT_PTR_EQUAL(got, &buf);
    CU_ASSERT_EQUAL(got->id, 0); /* the trace assigns ids */
    CU_ASSERT_EQUAL(got->kind, MS_TRACE_LINE);
    MS_ASSERT_STR(got->src, "crepes.fr");
    MS_ASSERT_STR(got->text, "HELO crepes.fr");
    MS_ASSERT_STR(got->eol, "\r\n");
    CU_ASSERT_EQUAL(got->src_port, 1025);
    CU_ASSERT_EQUAL(got->dst_port, 25);
    CU_ASSERT_EQUAL(got->dir, MS_DIR_CLIENT);
    CU_ASSERT_PTR_NULL(got->phase);
    CU_ASSERT_PTR_NULL(got->detail);
    CU_ASSERT_EQUAL(ms_trace_length(trace), 1);
}

static void test_intern_shares(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autofree char *a = g_strdup("hamburger.edu");
    g_autofree char *b = g_strdup("hamburger.edu");
    const char *ia = ms_trace_intern(trace, a);
    const char *ib = ms_trace_intern(trace, b);
    CU_ASSERT_PTR_EQUAL(ia, ib);
    CU_ASSERT_PTR_NOT_EQUAL(ia, a);
    MS_ASSERT_STR(ia, "hamburger.edu");
    CU_ASSERT_PTR_NOT_EQUAL(ms_trace_intern(trace, "crepes.fr"), ia);
    CU_ASSERT_PTR_NULL(ms_trace_intern(trace, NULL));
    /* Records' strings come from the same pool. */
    MsTraceRecord r1 = { .kind = MS_TRACE_QUEUE, .arrival = -1, .src = a, .subject = "outq" };
    MsTraceRecord r2 = { .kind = MS_TRACE_QUEUE, .arrival = -1, .src = b, .subject = "outq" };
    guint64 id1 = ms_trace_emit(trace, &r1);
    guint64 id2 = ms_trace_emit(trace, &r2);
    CU_ASSERT_EQUAL(id2, id1 + 1);
    MsTraceRecord g1, g2;
    CU_ASSERT_PTR_EQUAL(ms_trace_get(trace, id1, &g1)->src, ia);
    CU_ASSERT_PTR_EQUAL(ms_trace_get(trace, id2, &g2)->src, ia);
    CU_ASSERT_PTR_EQUAL(g1.subject, g2.subject);
}

/* The pool keeps its copies one after the other in blocks of 64 KiB
 * (trace.c), a longer string in a block of its own: strings of every
 * length, across the ends of blocks, keep their text and their place, and
 * are found again. */
static void test_intern_blocks(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    const gsize lengths[] = { 0, 1, 65535, 1, 65536, 70000, 3, 40000, 40000, 25535, 1 };
    g_autoptr(GPtrArray) given = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) copies = g_ptr_array_new();
    for (guint round = 0; round < 40; round++) {
        for (gsize i = 0; i < G_N_ELEMENTS(lengths); i++) {
            char *text = g_malloc(lengths[i] + 1);
            memset(text, 'a' + (int) ((round + i) % 26), lengths[i]);
            text[lengths[i]] = '\0';
            /* The long ones distinct in each round. */
            if (lengths[i] >= 16) {
                char tag[16];
                int n = g_snprintf(tag, sizeof tag, "%u.%zu:", round, i);
                memcpy(text, tag, (gsize) n);
            }
            g_ptr_array_add(given, text);
            g_ptr_array_add(copies, (gpointer) ms_trace_intern(trace, text));
        }
    }
    for (guint i = 0; i < given->len; i++) {
        const char *text = g_ptr_array_index(given, i);
        const char *copy = g_ptr_array_index(copies, i);
        CU_ASSERT_PTR_NOT_EQUAL(copy, text);
        CU_ASSERT_STRING_EQUAL(copy, text);
        g_autofree char *again = g_strdup(text);
        CU_ASSERT_PTR_EQUAL(ms_trace_intern(trace, again), copy);
    }
    /* And a record's long text reads back whole. */
    const char *longest = g_ptr_array_index(given, 5);
    MsTraceRecord r = { .kind = MS_TRACE_LINE, .arrival = -1, .text = longest, .eol = "\r\n" };
    MsTraceRecord buf;
    CU_ASSERT_PTR_EQUAL(ms_trace_get(trace, ms_trace_emit(trace, &r), &buf)->text,
                        g_ptr_array_index(copies, 5));
}

/* The pool's index (trace_pool.c) is buckets of six strings that grow by
 * doubling, the copies hashed again block by block: tens of thousands of
 * strings, of every length from 0 to past a block and differing anywhere
 * (first byte, middle, last), are each found again after every growth as
 * the copy first made, and no two share one. */
static void test_intern_grows(void)
{
    enum { N = 40000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GPtrArray) given = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) copies = g_ptr_array_new();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < N; i++) {
        gsize len = i % 997 == 0 ? 70000 + i % 5 : i % 61;
        char *text = g_malloc(len + 1);
        memset(text, 'x', len);
        text[len] = '\0';
        /* The number at the start, the middle or the end, so that strings
         * of one length differ only there. */
        char tag[16];
        int n = g_snprintf(tag, sizeof tag, "%u", i);
        if (len >= (gsize) n) {
            gsize at = i % 3 == 0 ? 0 : i % 3 == 1 ? (len - (gsize) n) / 2 : len - (gsize) n;
            memcpy(text + at, tag, (gsize) n);
        } else {
            /* Too short for the number: the same few strings again. */
            memset(text, 'a' + (int) (i % 3), len);
        }
        g_ptr_array_add(given, text);
        const char *copy = ms_trace_intern(trace, text);
        g_ptr_array_add(copies, (gpointer) copy);
        MS_ASSERT_STR(copy, text);
        /* An earlier string asked for again while the index grows. */
        guint j = (i * 7919u) % (i + 1);
        g_autofree char *again = g_strdup(g_ptr_array_index(given, j));
        CU_ASSERT_PTR_EQUAL(ms_trace_intern(trace, again), g_ptr_array_index(copies, j));
    }
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        const char *text = g_ptr_array_index(given, i);
        g_autofree char *again = g_strdup(text);
        const char *copy = ms_trace_intern(trace, again);
        if (copy != g_ptr_array_index(copies, i) || strcmp(copy, text) != 0)
            wrong++;
        g_hash_table_add(seen, (gpointer) copy);
    }
    CU_ASSERT_EQUAL(wrong, 0);
    /* Distinct strings, distinct copies: only the short ones repeat. */
    g_autoptr(GHashTable) texts = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < N; i++)
        g_hash_table_add(texts, g_ptr_array_index(given, i));
    CU_ASSERT_EQUAL(g_hash_table_size(seen), g_hash_table_size(texts));
}

/* Contexts are found again by their fields however far their index has
 * grown since they were made, each as the handle it was first given, and
 * no two share one. */
static void test_context_index_grows(void)
{
    enum { N = 20000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord r = { .kind = MS_TRACE_LINE, .arrival = -1, .protocol = "SMTP",
                        .src = "a.edu", .dst = "b.edu", .dst_port = 25 };
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        r.conn = i / 4 + 1;
        r.src_port = (guint16) (1024 + i % 4);
        if (ms_trace_context(trace, &r) != i)
            wrong++;
        /* One made earlier, asked for again. */
        guint j = (i * 7919u) % (i + 1);
        r.conn = j / 4 + 1;
        r.src_port = (guint16) (1024 + j % 4);
        if (ms_trace_context(trace, &r) != j)
            wrong++;
    }
    for (guint i = 0; i < N; i++) {
        r.conn = i / 4 + 1;
        r.src_port = (guint16) (1024 + i % 4);
        if (ms_trace_context(trace, &r) != i)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

typedef struct {
    MsTrace *trace;
    GString *log;
    guint self_handle; /* for the subscriber that leaves */
} Watch;

static void watch_a(const MsTraceRecord *r, gpointer user_data)
{
    Watch *w = user_data;
    g_string_append_printf(w->log, "A%" G_GUINT64_FORMAT " ", r->id);
}

static void watch_b(const MsTraceRecord *r, gpointer user_data)
{
    Watch *w = user_data;
    g_string_append_printf(w->log, "B%" G_GUINT64_FORMAT " ", r->id);
}

static void watch_leaves(const MsTraceRecord *r, gpointer user_data)
{
    Watch *w = user_data;
    g_string_append_printf(w->log, "L%" G_GUINT64_FORMAT " ", r->id);
    ms_trace_unsubscribe(w->trace, w->self_handle);
}

/* On a "scenario" record, emits an "error" record from inside the callback. */
static void watch_echoes(const MsTraceRecord *r, gpointer user_data)
{
    Watch *w = user_data;
    g_string_append_printf(w->log, "E%" G_GUINT64_FORMAT " ", r->id);
    if (r->kind == MS_TRACE_SCENARIO) {
        MsTraceRecord echo = { .kind = MS_TRACE_ERROR, .arrival = -1, .detail = "echo" };
        ms_trace_emit(w->trace, &echo);
    }
}

static void emit_action(MsTrace *trace)
{
    MsTraceRecord r = { .kind = MS_TRACE_ACTION, .arrival = -1 };
    ms_trace_emit(trace, &r);
}

static void test_subscribe_order(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GString) log = g_string_new(NULL);
    Watch w = { trace, log, 0 };
    emit_action(trace); /* before anyone listens: seen by nobody */
    guint hb = ms_trace_subscribe(trace, watch_b, &w);
    guint ha = ms_trace_subscribe(trace, watch_a, &w);
    CU_ASSERT_NOT_EQUAL(ha, hb);
    CU_ASSERT_NOT_EQUAL(ha, 0);
    emit_action(trace);
    emit_action(trace);
    /* Registration order, not name order. */
    MS_ASSERT_STR(log->str, "B1 A1 B2 A2 ");
    ms_trace_unsubscribe(trace, hb);
    emit_action(trace);
    MS_ASSERT_STR(log->str, "B1 A1 B2 A2 A3 ");
    ms_trace_unsubscribe(trace, hb); /* twice: ignored */
    ms_trace_unsubscribe(trace, ha);
    emit_action(trace);
    MS_ASSERT_STR(log->str, "B1 A1 B2 A2 A3 ");
    CU_ASSERT_EQUAL(ms_trace_length(trace), 5);
}

static void test_unsubscribe_during_dispatch(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GString) log = g_string_new(NULL);
    Watch w = { trace, log, 0 };
    ms_trace_subscribe(trace, watch_a, &w);
    w.self_handle = ms_trace_subscribe(trace, watch_leaves, &w);
    ms_trace_subscribe(trace, watch_b, &w);
    emit_action(trace);
    emit_action(trace);
    /* L saw the first record only; B, after it in the list, saw both. */
    MS_ASSERT_STR(log->str, "A0 L0 B0 A1 B1 ");
}

/* A record emitted by a subscriber is delivered after the current one has
 * reached every subscriber, so everybody sees ids in increasing order. */
static void test_emit_from_subscriber(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GString) log = g_string_new(NULL);
    Watch w = { trace, log, 0 };
    ms_trace_subscribe(trace, watch_echoes, &w);
    ms_trace_subscribe(trace, watch_b, &w);
    MsTraceRecord r = { .kind = MS_TRACE_SCENARIO, .arrival = -1 };
    CU_ASSERT_EQUAL(ms_trace_emit(trace, &r), 0);
    MS_ASSERT_STR(log->str, "E0 B0 E1 B1 ");
    CU_ASSERT_EQUAL(ms_trace_length(trace), 2);
    MsTraceRecord buf;
    CU_ASSERT_EQUAL(ms_trace_get(trace, 1, &buf)->kind, MS_TRACE_ERROR);
}

static void test_set_arrival(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord r = { .kind = MS_TRACE_SEGMENT_SENT, .time = 100, .arrival = -1,
                        .flags = MS_TCP_SYN, .seq = 1000 };
    guint64 first = ms_trace_emit(trace, &r);
    guint64 second = ms_trace_emit(trace, &r);
    ms_trace_set_arrival(trace, first, 2100);
    MsTraceRecord buf;
    CU_ASSERT_EQUAL(ms_trace_get(trace, first, &buf)->arrival, 2100);
    CU_ASSERT_EQUAL(buf.time, 100);
    CU_ASSERT_EQUAL(buf.flags, MS_TCP_SYN);
    CU_ASSERT_EQUAL(buf.seq, 1000);
    CU_ASSERT_EQUAL(ms_trace_get(trace, second, &buf)->arrival, -1);
    /* A pinned copy follows, and an arrival far from the send time (more
     * than a slot's offset holds) is kept whole. */
    const MsTraceRecord *pin = ms_trace_pin(trace, second);
    ms_trace_set_arrival(trace, second, 100 + 10 * MS_SEC);
    CU_ASSERT_EQUAL(pin->arrival, 100 + 10 * MS_SEC);
    CU_ASSERT_EQUAL(ms_trace_get(trace, second, &buf)->arrival, 100 + 10 * MS_SEC);
    CU_ASSERT_EQUAL(buf.seq, 1000);
    CU_ASSERT_EQUAL(buf.flags, MS_TCP_SYN);
}

/* The trace stores records in forms of its own (trace.c): whatever is
 * emitted, of any kind and with any fields, reads back the same, the
 * strings as the pool's copies. */
static void assert_same_record(const MsTraceRecord *a, const MsTraceRecord *b)
{
    CU_ASSERT_EQUAL(a->time, b->time);
    CU_ASSERT_EQUAL(a->arrival, b->arrival);
    CU_ASSERT_EQUAL(a->count, b->count);
    CU_ASSERT_STRING_EQUAL(a->protocol ? a->protocol : "(null)", b->protocol ? b->protocol : "(null)");
    CU_ASSERT_STRING_EQUAL(a->src ? a->src : "(null)", b->src ? b->src : "(null)");
    CU_ASSERT_STRING_EQUAL(a->dst ? a->dst : "(null)", b->dst ? b->dst : "(null)");
    CU_ASSERT_STRING_EQUAL(a->text ? a->text : "(null)", b->text ? b->text : "(null)");
    CU_ASSERT_STRING_EQUAL(a->eol ? a->eol : "(null)", b->eol ? b->eol : "(null)");
    CU_ASSERT_STRING_EQUAL(a->phase ? a->phase : "(null)", b->phase ? b->phase : "(null)");
    CU_ASSERT_STRING_EQUAL(a->note ? a->note : "(null)", b->note ? b->note : "(null)");
    CU_ASSERT_STRING_EQUAL(a->subject ? a->subject : "(null)", b->subject ? b->subject : "(null)");
    CU_ASSERT_STRING_EQUAL(a->detail ? a->detail : "(null)", b->detail ? b->detail : "(null)");
    CU_ASSERT_EQUAL(a->conn, b->conn);
    CU_ASSERT_EQUAL(a->seq, b->seq);
    CU_ASSERT_EQUAL(a->ack, b->ack);
    CU_ASSERT_EQUAL(a->len, b->len);
    CU_ASSERT_EQUAL(a->src_port, b->src_port);
    CU_ASSERT_EQUAL(a->dst_port, b->dst_port);
    CU_ASSERT_EQUAL(a->retransmit, b->retransmit);
    CU_ASSERT_EQUAL(a->flags, b->flags);
    CU_ASSERT_EQUAL(a->kind, b->kind);
    CU_ASSERT_EQUAL(a->dir, b->dir);
}

static void test_stored_forms(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    const MsTraceRecord given[] = {
        /* a line, and lines no line form holds: an odd ending, a count */
        { .kind = MS_TRACE_LINE, .time = 7, .arrival = 9, .conn = 3, .protocol = "SMTP",
          .src = "a", .dst = "b", .src_port = 1025, .dst_port = 25, .text = "DATA",
          .eol = "\n", .phase = "smtp.data", .note = "smtp.data", .dir = MS_DIR_CLIENT },
        { .kind = MS_TRACE_LINE, .time = 7, .arrival = -1, .text = "x", .eol = "\r\r\n" },
        { .kind = MS_TRACE_LINE, .time = -5, .arrival = 3 * MS_SEC, .text = "y", .count = 2,
          .len = 40 },
        /* segments, sent, lost and retransmitted many times */
        { .kind = MS_TRACE_SEGMENT_SENT, .time = G_MAXINT64 / 2, .arrival = G_MAXINT64 / 2 + 1,
          .conn = 3, .protocol = "TCP", .seq = G_MAXUINT32, .ack = 5, .len = 1460,
          .flags = MS_TCP_ACK | MS_TCP_PSH, .retransmit = 3, .dir = MS_DIR_SERVER },
        { .kind = MS_TRACE_SEGMENT_LOST, .time = 1, .arrival = -1, .detail = "no route to host",
          .retransmit = G_MAXUINT16 },
        /* events: small and large counts, a text, flags */
        { .kind = MS_TRACE_QUEUE, .time = 2, .arrival = -1, .src = "a", .note = "queue.add",
          .subject = "<1@a>", .detail = "queued", .count = -3, .text = "t" },
        { .kind = MS_TRACE_SCENARIO, .arrival = -1, .count = G_MAXINT64, .subject = "s" },
        { .kind = MS_TRACE_ERROR, .arrival = 4, .phase = "p", .flags = 7, .uid = 9 },
        /* store changes: the folder shares the line ending's place */
        { .kind = MS_TRACE_STORE, .time = 3, .arrival = -1, .src = "imap", .subject = "u@a",
          .note = "store.append", .folder = "INBOX", .text = "<1@a>", .uid = 4, .count = 12,
          .flags = 3 },
        { .kind = MS_TRACE_STORE, .time = 3, .arrival = -1, .folder = "Sent", .count = 5000 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(given); i++)
        CU_ASSERT_EQUAL(ms_trace_emit(trace, &given[i]), i);
    for (gsize i = 0; i < G_N_ELEMENTS(given); i++) {
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, i, &buf);
        CU_ASSERT_EQUAL(got->id, i);
        assert_same_record(got, &given[i]);
        const MsTraceRecord *pin = ms_trace_pin(trace, i);
        CU_ASSERT_PTR_EQUAL(ms_trace_pin(trace, i), pin);
        assert_same_record(pin, &given[i]);
    }
}

/* A record emitted in a context reads back as if it had carried the
 * context's connection, protocol, hosts and ports itself, in a short slot,
 * a long one or whole beside the slots. */
static void test_emit_in_context(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    const MsTraceRecord head = { .kind = MS_TRACE_LINE, .conn = 4, .protocol = "SMTP",
                                 .src = "a", .dst = "b", .src_port = 49152, .dst_port = 25 };
    MsTraceContext ctx = ms_trace_context(trace, &head);
    CU_ASSERT_EQUAL(ms_trace_context(trace, &head), ctx);
    MsTraceRecord given[] = {
        { .kind = MS_TRACE_LINE, .time = 7, .arrival = 9, .text = "DATA", .eol = "\r\n",
          .phase = "smtp.data", .note = "smtp.data", .dir = MS_DIR_CLIENT },
        { .kind = MS_TRACE_LINE, .time = 8, .arrival = -1, .text = "x", .eol = "\n",
          .len = 5000 },
        { .kind = MS_TRACE_LINE, .time = 9, .arrival = 3 * MS_SEC, .text = "y", .count = 2 },
        { .kind = MS_TRACE_SEGMENT_SENT, .time = 10, .arrival = 11, .seq = 1, .ack = 2,
          .len = 10, .flags = MS_TCP_ACK, .retransmit = 1 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(given); i++) {
        /* What the record says of its context is not read. */
        MsTraceRecord r = given[i];
        r.protocol = "ignored";
        r.conn = 99;
        CU_ASSERT_EQUAL(ms_trace_emit_in(trace, ctx, &r), i);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(given); i++) {
        MsTraceRecord want = given[i];
        want.id = i;
        want.conn = head.conn;
        want.protocol = head.protocol;
        want.src = head.src;
        want.dst = head.dst;
        want.src_port = head.src_port;
        want.dst_port = head.dst_port;
        MsTraceRecord buf;
        assert_same_record(ms_trace_get(trace, i, &buf), &want);
    }
}

/* A segment logged through ms_trace_emit_segment() reads back exactly as the
 * same segment through ms_trace_emit_in(): in a tiny slot at each field's
 * limit, and past it (a lost segment, a retransmission, flags, numbers or
 * a length too wide, a context too far behind its chunk's, a time before
 * its chunk's base or too far after it) through the general path; with
 * arrivals set later, near and far, before and after records are pinned. */
static void test_emit_segment(void)
{
    enum { N_CTXS = 5000, N = 40000 };
    static const guint32 numbers[] = { 0, 1, 0xffff, 0x10000, G_MAXUINT32 };
    static const guint32 lens[] = { 0, 536, 2047, 2048, 65535 };
    static const guint flags[] = { MS_TCP_ACK, MS_TCP_SYN | MS_TCP_ACK, 31, 32, 255 };
    static const MsTraceKind kinds[] = { MS_TRACE_SEGMENT_SENT, MS_TRACE_SEGMENT_RECEIVED,
                                         MS_TRACE_SEGMENT_SENT, MS_TRACE_SEGMENT_LOST };
    g_autoptr(MsTrace) plain = ms_trace_new();
    g_autoptr(MsTrace) fast = ms_trace_new();
    MsTraceContext ctxs[N_CTXS];
    for (guint i = 0; i < N_CTXS; i++) {
        char host[32];
        g_snprintf(host, sizeof host, "pc%u.campus.edu", i);
        MsTraceRecord head = { .conn = i + 1, .protocol = "TCP", .src = host,
                               .dst = "mx.campus.edu", .src_port = (guint16) (49152 + i % 1000),
                               .dst_port = 25 };
        ctxs[i] = ms_trace_context(fast, &head);
        CU_ASSERT_EQUAL(ms_trace_context(plain, &head), ctxs[i]);
    }
    for (guint i = 0; i < N; i++) {
        /* Early contexts are soon far behind; the last times go back, and
         * some leap past what a chunk's offsets hold. */
        guint c = i < N / 3 ? i % 64 : i < 2 * N / 3 ? N_CTXS - 1 - i % 7 : i % N_CTXS;
        MsTraceRecord r = { .kind = kinds[i % G_N_ELEMENTS(kinds)], .arrival = -1,
                            .dir = i % 2 ? MS_DIR_SERVER : MS_DIR_CLIENT,
                            .flags = (guint8) flags[i / 3 % G_N_ELEMENTS(flags)],
                            .seq = numbers[i / 5 % G_N_ELEMENTS(numbers)],
                            .ack = numbers[i / 7 % G_N_ELEMENTS(numbers)],
                            .len = lens[i / 11 % G_N_ELEMENTS(lens)],
                            .retransmit = (guint16) (i % 13 == 0 ? i % 3000 : 0) };
        r.time = i < 2 * N / 3 ? (MsTime) i * 1000 : (MsTime) (N - i);
        if (i % 997 == 0)
            r.time += (MsTime) G_MAXUINT32 * (i % 3);
        CU_ASSERT_EQUAL(ms_trace_emit_in(plain, ctxs[c], &r), i);
        CU_ASSERT_EQUAL(ms_trace_emit_segment(fast, ctxs[c], r.kind, r.time, r.dir, r.flags,
                                              r.seq, r.ack, r.len, r.retransmit), i);
        if (i % 4 == 1 || i == N / 2) {
            /* Near its time, or far enough that the record moves beside;
             * from halfway on, some records are pinned first. */
            MsTime arrival = r.time + (i % 8 == 1 ? 5 : (MsTime) G_MAXUINT32 + 5);
            if (i >= N / 2 && i % 3 == 0) {
                ms_trace_pin(plain, i);
                ms_trace_pin(fast, i);
            }
            ms_trace_set_arrival(plain, i, arrival);
            ms_trace_set_arrival(fast, i, arrival);
        }
    }
    CU_ASSERT_EQUAL(ms_trace_length(fast), N);
    for (guint i = 0; i < N; i++) {
        MsTraceRecord a, b;
        const MsTraceRecord *want = ms_trace_get(plain, i, &a);
        const MsTraceRecord *got = ms_trace_get(fast, i, &b);
        assert_same_record(got, want);
        CU_ASSERT_EQUAL(got->id, i);
        assert_same_record(ms_trace_pin(fast, i), want);
    }
}

/* A line logged through ms_trace_emit_line() reads back exactly as the same
 * line through ms_trace_emit(): in a tiny slot, and where none holds it (a
 * context too far behind its chunk's, a time before its chunk's base, more
 * pairs than a tiny slot names), through the general path; with every
 * ending it takes and an arrival set later. */
static void test_emit_line(void)
{
    enum { N_CTXS = 5000, N_NOTES = 9000 };
    g_autoptr(MsTrace) plain = ms_trace_new();
    g_autoptr(MsTrace) fast = ms_trace_new();
    g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N_CTXS; i++)
        g_ptr_array_add(hosts, g_strdup_printf("pc%u.campus.edu", i));
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N_NOTES; i++)
        g_ptr_array_add(notes, g_strdup_printf("note.%u", i));
    MsTraceContext ctxs[N_CTXS];
    for (guint i = 0; i < N_CTXS; i++) {
        MsTraceRecord head = { .kind = MS_TRACE_LINE, .conn = i + 1, .protocol = "SMTP",
                               .src = g_ptr_array_index(hosts, i), .dst = "mx.campus.edu",
                               .src_port = (guint16) (49152 + i % 1000), .dst_port = 25 };
        ctxs[i] = ms_trace_context(fast, &head);
        CU_ASSERT_EQUAL(ms_trace_context(plain, &head), ctxs[i]);
    }
    static const char *const endings[] = { "\r\n", "\n", "\r", "", NULL };
    g_autoptr(GArray) given = g_array_new(FALSE, TRUE, sizeof(MsTraceRecord));
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < 3 * N_NOTES; i++) {
        /* Early contexts are soon far behind; the last times go back. */
        guint c = i < N_NOTES ? i % 64 : i < 2 * N_NOTES ? N_CTXS - 1 - i % 7 : i % N_CTXS;
        char *text = i % 11 == 0 ? NULL : g_strdup_printf("line %u", i % 500);
        g_ptr_array_add(texts, text);
        MsTraceRecord r = { .kind = MS_TRACE_LINE, .arrival = -1, .text = text,
                            .eol = endings[i % G_N_ELEMENTS(endings)],
                            .phase = i % 3 == 0 ? NULL : "smtp.transfer",
                            .note = i % 5 == 0 ? NULL : g_ptr_array_index(notes, i % N_NOTES),
                            .dir = i % 2 ? MS_DIR_SERVER : MS_DIR_CLIENT };
        r.time = i < 2 * N_NOTES ? (MsTime) i * 1000 : (MsTime) (3 * N_NOTES - i);
        MsTraceContext ctx = ctxs[c];
        CU_ASSERT_EQUAL(ms_trace_emit_in(plain, ctx, &r), i);
        guint eol = ms_trace_eol_code(r.eol);
        CU_ASSERT(eol < MS_TRACE_EOL_OTHER);
        MsTraceAnn ann = ms_trace_annotation(fast, r.phase, r.note);
        CU_ASSERT_EQUAL(ms_trace_annotation(fast, r.phase, r.note), ann);
        CU_ASSERT_EQUAL(ms_trace_emit_line(fast, ctx, r.time, r.dir, text,
                                           text != NULL ? strlen(text) : 0, ann, eol), i);
        if (i % 4 == 0) {
            /* Near its time, or far enough that the record moves beside. */
            MsTime arrival = r.time + (i % 8 == 0 ? 5 : (MsTime) G_MAXUINT32 + 5);
            ms_trace_set_arrival(plain, i, arrival);
            ms_trace_set_arrival(fast, i, arrival);
        }
        g_array_append_val(given, r);
    }
    CU_ASSERT_EQUAL(ms_trace_eol_code("\r\n\r\n"), MS_TRACE_EOL_OTHER);
    CU_ASSERT_EQUAL(ms_trace_length(fast), ms_trace_length(plain));
    for (guint i = 0; i < given->len; i++) {
        MsTraceRecord a, b;
        const MsTraceRecord *want = ms_trace_get(plain, i, &a);
        const MsTraceRecord *got = ms_trace_get(fast, i, &b);
        assert_same_record(got, want);
        CU_ASSERT_EQUAL(got->id, i);
        CU_ASSERT_STRING_EQUAL(got->text ? got->text : "(null)",
                               g_array_index(given, MsTraceRecord, i).text
                                   ? g_array_index(given, MsTraceRecord, i).text : "(null)");
    }
}

/* Contexts share their protocol and hosts (trace.c: a route) with every
 * other connection between the same hosts: records of thousands of
 * hosts, each in a few connections, read back with their own. */
static const char *route_dst(guint i)
{
    /* Records 4,000 apart have the same protocol and source. */
    if (i % 5 == 0)
        return NULL;
    return i < 4000 ? "mx.campus.edu" : "relay.campus.edu";
}

static void test_context_routes(void)
{
    enum { N = 6000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    static const char *const protocols[] = { "SMTP", "TCP", "POP3", NULL };
    g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N / 3; i++)
        g_ptr_array_add(hosts, g_strdup_printf("pc%u.campus.edu", i));
    for (guint i = 0; i < N; i++) {
        MsTraceRecord r = { .kind = MS_TRACE_CONN_OPEN, .time = i, .arrival = -1,
                            .conn = i / 2 + 1, .protocol = protocols[i % 4],
                            .src = g_ptr_array_index(hosts, i % (N / 3)),
                            .dst = route_dst(i),
                            .src_port = (guint16) (49152 + i % 7), .dst_port = 25 };
        ms_trace_emit(trace, &r);
    }
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, i, &buf);
        if (got->conn != i / 2 + 1 || g_strcmp0(got->protocol, protocols[i % 4]) != 0 ||
            g_strcmp0(got->src, g_ptr_array_index(hosts, i % (N / 3))) != 0 ||
            g_strcmp0(got->dst, route_dst(i)) != 0 ||
            got->src_port != 49152 + i % 7 || got->dst_port != 25 || got->time != i)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* Callers keep record pointers while the log grows by tens of thousands:
 * past the chunks allocated one by one and across the slabs of a long run
 * (trace.c), no record moves and none shares its place with another. */
static void test_pointer_stability(void)
{
    enum { N = 60000, EVERY = 6000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord r = { .kind = MS_TRACE_LINE, .arrival = -1, .text = "220 ready" };
    ms_trace_emit(trace, &r);
    const MsTraceRecord *first = ms_trace_pin(trace, 0);
    const MsTraceRecord *kept[N / EVERY];
    for (guint i = 0; i < N; i++) {
        char buf[32];
        g_snprintf(buf, sizeof(buf), "line %u", i);
        MsTraceRecord more = { .kind = MS_TRACE_LINE, .arrival = -1, .text = buf, .count = i };
        guint64 id = ms_trace_emit(trace, &more);
        if (i % EVERY == 0)
            kept[i / EVERY] = ms_trace_pin(trace, id);
    }
    CU_ASSERT_EQUAL(ms_trace_length(trace), N + 1);
    CU_ASSERT_PTR_EQUAL(ms_trace_pin(trace, 0), first);
    MS_ASSERT_STR(first->text, "220 ready");
    for (guint k = 0; k < N / EVERY; k++) {
        char buf[32];
        g_snprintf(buf, sizeof(buf), "line %u", k * EVERY);
        CU_ASSERT_EQUAL(kept[k]->id, (guint64) k * EVERY + 1);
        CU_ASSERT_EQUAL(kept[k]->count, (gint64) k * EVERY);
        MS_ASSERT_STR(kept[k]->text, buf);
        CU_ASSERT_PTR_EQUAL(ms_trace_pin(trace, kept[k]->id), kept[k]);
    }
    /* Every record still holds what it was given. */
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, (guint64) i + 1, &buf);
        if (got->id != (guint64) i + 1 || got->count != (gint64) i)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
    /* Whatever is not in the heap is counted as mapped: 7.7 MB of records
     * cannot all fit in the chunks allocated one by one. */
    CU_ASSERT(ms_trace_mapped_bytes(trace) > 0);
}

/* Records of a run take tiny, short or long slots, mixed in any order
 * within a chunk (trace.c): a record is found by its position and the wider
 * slots before it.  Over several slabs, each reads back what it was given,
 * and an arrival set later sticks, in any size. */
static MsTraceRecord mixed_record(guint i, char *text, gsize size)
{
    g_snprintf(text, size, "%u OK", i % 5000);
    MsTraceRecord r = { .time = 1000 + (MsTime) i * 37, .arrival = -1, .conn = i % 97 + 1,
                        .protocol = "SMTP", .src = "a", .dst = "b", .src_port = 1025,
                        .dst_port = 25, .dir = MS_DIR_SERVER };
    switch (i % 7) {
    case 0: /* a line: short */
    case 1:
        r.kind = MS_TRACE_LINE;
        r.text = text;
        r.eol = "\r\n";
        r.phase = i % 2 ? "smtp.transfer" : "smtp.handshake";
        r.note = i % 3 ? "smtp.reply.250" : NULL;
        break;
    case 2: /* a bare ACK with large numbers: short */
        r.kind = MS_TRACE_SEGMENT_SENT;
        r.protocol = "TCP";
        r.seq = i * 3u;
        r.ack = G_MAXUINT32 - i;
        r.flags = MS_TCP_ACK;
        break;
    case 3: /* a data segment, sent or received: tiny */
        r.kind = i % 2 ? MS_TRACE_SEGMENT_SENT : MS_TRACE_SEGMENT_RECEIVED;
        r.protocol = "TCP";
        r.seq = i & 0xffffu;
        r.ack = (i * 7u) & 0xffffu;
        r.len = i % 2048;
        r.flags = (guint8) (i % 32);
        r.dir = MS_DIR_CLIENT;
        break;
    case 4: /* a retransmission, a long line, a time before its chunk's: long */
        r.kind = MS_TRACE_SEGMENT_SENT;
        r.retransmit = 1;
        r.len = 3000;
        break;
    case 5:
        r.kind = MS_TRACE_LINE;
        r.text = text;
        r.len = 5000;
        r.time = i % 2 ? 0 : G_MAXINT64 / 4;
        break;
    default: /* an event: long; a connection's: tiny */
        r.kind = MS_TRACE_MAILBOX;
        r.subject = "u@b";
        r.count = i;
        if (i % 2) {
            r.kind = MS_TRACE_CONN_ESTABLISHED;
            r.subject = NULL;
            r.count = i % 2048;
        }
        break;
    }
    return r;
}

static void test_mixed_slots(void)
{
    enum { N = 300000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    char text[32];
    for (guint i = 0; i < N; i++) {
        MsTraceRecord r = mixed_record(i, text, sizeof text);
        ms_trace_emit(trace, &r);
        if (i % 11 == 0 && r.kind != MS_TRACE_MAILBOX)
            ms_trace_set_arrival(trace, i, r.time + (i % 2 ? 250 : 5 * MS_SEC));
    }
    CU_ASSERT(ms_trace_mapped_bytes(trace) >= 2 * ((gsize) 2 << 20));
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        MsTraceRecord want = mixed_record(i, text, sizeof text);
        if (i % 11 == 0 && want.kind != MS_TRACE_MAILBOX)
            want.arrival = want.time + (i % 2 ? 250 : 5 * MS_SEC);
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, i, &buf);
        if (got->id != i || got->time != want.time || got->arrival != want.arrival ||
            got->kind != want.kind || got->seq != want.seq || got->ack != want.ack ||
            got->len != want.len || got->retransmit != want.retransmit ||
            got->conn != want.conn || got->count != want.count ||
            g_strcmp0(got->text, want.text) != 0 || g_strcmp0(got->phase, want.phase) != 0 ||
            g_strcmp0(got->note, want.note) != 0 || g_strcmp0(got->eol, want.eol) != 0 ||
            g_strcmp0(got->protocol, want.protocol) != 0 || got->flags != want.flags ||
            got->dir != want.dir || g_strcmp0(got->subject, want.subject) != 0 ||
            got->src_port != want.src_port || g_strcmp0(got->src, want.src) != 0)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* Emits r, keeps a copy of what it should read back as (its context's
 * fields when emitted in ctx) in want, and returns its id. */
static guint64 emit_kept(MsTrace *trace, GArray *want, const MsTraceRecord *head,
                         const MsTraceContext *ctx, MsTraceRecord r)
{
    guint64 id = ctx != NULL ? ms_trace_emit_in(trace, *ctx, &r) : ms_trace_emit(trace, &r);
    if (head != NULL) {
        r.conn = head->conn;
        r.protocol = head->protocol;
        r.src = head->src;
        r.dst = head->dst;
        r.src_port = head->src_port;
        r.dst_port = head->dst_port;
    }
    r.id = id;
    g_array_append_val(want, r);
    return id;
}

static void assert_all_kept(MsTrace *trace, GArray *want)
{
    CU_ASSERT_EQUAL(ms_trace_length(trace), want->len);
    for (guint i = 0; i < want->len; i++) {
        const MsTraceRecord *w = &g_array_index(want, MsTraceRecord, i);
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, w->id, &buf);
        CU_ASSERT_EQUAL(got->id, w->id);
        assert_same_record(got, w);
        assert_same_record(ms_trace_pin(trace, w->id), w);
    }
}

/* The commonest lines, segments and events take tiny slots of 16 bytes
 * (trace.c), each field packed into a width of its own.  At each field's
 * limit a record still takes one; one past it, the record takes a short or
 * long slot; either way it reads back as given, before and after its
 * arrival is set. */
static void test_tiny_slot_limits(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(MsTraceRecord));
    const MsTraceRecord tcp = { .conn = 7, .protocol = "TCP", .src = "a", .dst = "b",
                                .src_port = 65535, .dst_port = 25 };
    MsTraceContext ctx = ms_trace_context(trace, &tcp);
    /* The chunk's first record gives its base time. */
    const MsTime base = 1000;
    const MsTraceRecord seg = { .kind = MS_TRACE_SEGMENT_SENT, .time = base,
                                .arrival = base + 0x7fffffff, .dir = MS_DIR_SERVER,
                                .flags = 31, .seq = 0xffff, .ack = 0xffff, .len = 2047 };
    emit_kept(trace, want, &tcp, &ctx, seg);
    MsTraceRecord r = seg;
    r.kind = MS_TRACE_SEGMENT_RECEIVED;
    r.time = base + G_MAXUINT32; /* the furthest from the base a slot holds */
    r.arrival = -1;
    r.dir = MS_DIR_CLIENT;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.seq = 0x10000;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.ack = 0x10000;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.len = 2048;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.flags = 32;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.kind = MS_TRACE_SEGMENT_LOST;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.retransmit = 1;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.time = base + G_MAXUINT32 + 1;
    emit_kept(trace, want, &tcp, &ctx, r);
    r = seg;
    r.time = base - 1;
    emit_kept(trace, want, NULL, NULL, r); /* no context given: found */
    r = seg;
    r.seq = r.ack = r.len = 0;
    r.flags = 0;
    r.dir = MS_DIR_NONE;
    emit_kept(trace, want, NULL, NULL, r);

    /* Lines: every ending, no note, no text, a length of its own. */
    const MsTraceRecord smtp = { .conn = 7, .protocol = "SMTP", .src = "b", .dst = "a",
                                 .src_port = 25, .dst_port = 65535 };
    MsTraceContext lctx = ms_trace_context(trace, &smtp);
    const MsTraceRecord line = { .kind = MS_TRACE_LINE, .time = base + 5, .arrival = base + 6,
                                 .text = "250 OK", .eol = "\r\n", .phase = "smtp.transfer",
                                 .note = "smtp.reply.250", .dir = MS_DIR_SERVER };
    const char *const endings[] = { "\r\n", "\n", "\r", "", NULL };
    for (gsize i = 0; i < G_N_ELEMENTS(endings); i++) {
        r = line;
        r.eol = endings[i];
        emit_kept(trace, want, &smtp, &lctx, r);
    }
    r = line;
    r.note = NULL;
    r.text = NULL;
    emit_kept(trace, want, &smtp, &lctx, r);
    r = line;
    r.len = 1;
    emit_kept(trace, want, &smtp, &lctx, r);
    r = line;
    r.flags = 1;
    emit_kept(trace, want, &smtp, &lctx, r);

    /* Events: a connection's (a count, perhaps a note) and the rest. */
    const MsTraceRecord event = { .kind = MS_TRACE_CONN_ESTABLISHED, .time = base + 7,
                                  .arrival = -1, .dir = MS_DIR_CLIENT, .count = 2047 };
    emit_kept(trace, want, &smtp, &lctx, event);
    r = event;
    r.kind = MS_TRACE_CONN_CLOSE;
    r.count = 0;
    r.note = "conn.close";
    r.dir = MS_DIR_NONE;
    emit_kept(trace, want, &smtp, &lctx, r);
    const gint64 counts[] = { 2048, -1, G_MAXINT32 };
    for (gsize i = 0; i < G_N_ELEMENTS(counts); i++) {
        r = event;
        r.count = counts[i];
        emit_kept(trace, want, &smtp, &lctx, r);
    }
    r = event;
    r.kind = MS_TRACE_QUEUE;
    r.subject = "<1@a>";
    r.detail = "queued";
    r.note = "queue.add";
    emit_kept(trace, want, NULL, NULL, r);
    r.text = "t";
    emit_kept(trace, want, NULL, NULL, r);
    r.count = 2047;
    r.kind = MS_TRACE_MAILBOX;
    emit_kept(trace, want, NULL, NULL, r);
    r.note = NULL;
    emit_kept(trace, want, NULL, NULL, r);
    r = event;
    r.flags = 1;
    emit_kept(trace, want, &smtp, &lctx, r);
    r = event;
    r.kind = MS_TRACE_SCENARIO;
    r.time = base + G_MAXUINT32 + 1;
    emit_kept(trace, want, &smtp, &lctx, r);
    assert_all_kept(trace, want);

    /* Arrivals set later: near (kept in the slot) and far (the record
     * moves beside the slots, then takes another arrival there), on any
     * kind of record. */
    for (guint i = 0; i < want->len; i++) {
        MsTraceRecord *w = &g_array_index(want, MsTraceRecord, i);
        w->arrival = w->time + (i % 2 ? 3 : 10 * MS_SEC);
        ms_trace_set_arrival(trace, w->id, w->arrival);
    }
    assert_all_kept(trace, want);
    for (guint i = 0; i < want->len; i++) {
        MsTraceRecord *w = &g_array_index(want, MsTraceRecord, i);
        if (w->arrival == -1)
            continue;
        w->arrival = i % 3 ? -1 : w->time;
        ms_trace_set_arrival(trace, w->id, w->arrival);
    }
    assert_all_kept(trace, want);
}

/* A tiny line's phase and note are one of the first 2^13 pairs of a run,
 * a short event's note one of the first 2^11; a tiny record's context is
 * at most 3,840 behind the newest when its chunk opened, or at most 255
 * ahead (trace.c: CTX_BEHIND and CTX_AHEAD).  Past those, records take
 * wider slots and still read back. */
static void test_tiny_slot_tables(void)
{
    enum { N_PAIRS = (1 << 13) + 2, N_CTXS = 5000, CHUNK = 256 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(MsTraceRecord));
    MsTraceRecord head = { .conn = 1, .protocol = "IMAP", .src = "a", .dst = "b",
                           .src_port = 143, .dst_port = 50000 };
    MsTraceContext first = ms_trace_context(trace, &head);
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N_PAIRS; i++) {
        char *note = g_strdup_printf("imap.note.%u", i);
        g_ptr_array_add(notes, note);
        MsTraceRecord r = { .kind = MS_TRACE_LINE, .time = i, .arrival = -1, .text = "* OK",
                            .eol = "\r\n", .phase = "imap.auth", .note = note };
        emit_kept(trace, want, &head, &first, r);
    }
    /* An event's note is a pair too (its phase NULL): past the first
     * 2^11 pairs, an event with a text takes a long slot. */
    MsTraceRecord ev = { .kind = MS_TRACE_MAILBOX, .time = N_PAIRS, .arrival = -1,
                         .src = "b", .note = "mailbox.deliver", .subject = "u@b",
                         .detail = "placed", .text = "<1@a>", .count = 3 };
    emit_kept(trace, want, NULL, NULL, ev);
    /* Contexts made while nothing is emitted, then a chunk opens. */
    MsTraceContext ctxs[N_CTXS];
    MsTraceRecord heads[N_CTXS];
    for (guint i = 0; i < N_CTXS; i++) {
        heads[i] = head;
        heads[i].conn = i + 2;
        ctxs[i] = ms_trace_context(trace, &heads[i]);
    }
    MsTraceRecord r = { .kind = MS_TRACE_SEGMENT_SENT, .time = 1, .arrival = -1, .seq = 9 };
    while (ms_trace_length(trace) % CHUNK != 0)
        emit_kept(trace, want, &head, &first, r);
    /* The oldest context a tiny slot of this chunk can name, and those
     * around it. */
    MsTraceContext oldest = ctxs[N_CTXS - 1] + 1 - 3840;
    for (guint k = 0; k < N_CTXS; k++)
        if (ctxs[k] + 2 >= oldest && ctxs[k] <= oldest + 2)
            emit_kept(trace, want, &heads[k], &ctxs[k], r);
    emit_kept(trace, want, &head, &first, r);
    /* Contexts made while the chunk fills: the 256th still fits. */
    for (guint i = 0; i < 258; i++) {
        MsTraceRecord h = head;
        h.conn = N_CTXS + 2 + i;
        MsTraceContext c = ms_trace_context(trace, &h);
        if (i >= 253)
            emit_kept(trace, want, &h, &c, r);
    }
    assert_all_kept(trace, want);
}

/* The trace remembers the addresses of the strings a record carries (its
 * phase and note as a pair); an address that later holds other text must
 * read back as that text, whichever way the record was emitted. */
static void test_reused_addresses(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    const MsTraceRecord head = { .conn = 1, .protocol = "SMTP", .src = "a", .dst = "b",
                                 .src_port = 1025, .dst_port = 25 };
    MsTraceContext ctx = ms_trace_context(trace, &head);
    static const char *const phases[] = { "smtp.handshake", "smtp.mail", "smtp.x", "smtp.handshake" };
    static const char *const notes[] = { "smtp.reply.250", "smtp.reply.354", "n", "smtp.reply.250" };
    char phase[32], note[32], text[32];
    for (guint i = 0; i < 2 * G_N_ELEMENTS(phases); i++) {
        gsize k = i % G_N_ELEMENTS(phases);
        g_strlcpy(phase, phases[k], sizeof phase);
        g_strlcpy(note, notes[k], sizeof note);
        g_snprintf(text, sizeof text, "line %u", i % 3);
        MsTraceRecord r = head;
        r.kind = MS_TRACE_LINE;
        r.time = i;
        r.arrival = -1;
        r.dir = MS_DIR_CLIENT;
        r.text = text;
        r.eol = "\r\n";
        r.phase = phase;
        r.note = i % 3 == 2 ? NULL : note;
        guint64 id = i % 2 ? ms_trace_emit_in(trace, ctx, &r) : ms_trace_emit(trace, &r);
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, id, &buf);
        MS_ASSERT_STR(got->phase, phases[k]);
        if (i % 3 == 2) {
            CU_ASSERT_PTR_NULL(got->note);
        } else {
            MS_ASSERT_STR(got->note, notes[k]);
        }
        g_autofree char *want_text = g_strdup_printf("line %u", i % 3);
        MS_ASSERT_STR(got->text, want_text);
        /* An event's note, from the same buffer. */
        MsTraceRecord e = head;
        e.kind = MS_TRACE_CONN_CLOSE;
        e.time = i;
        e.arrival = -1;
        e.note = note;
        id = ms_trace_emit(trace, &e);
        MS_ASSERT_STR(ms_trace_get(trace, id, &buf)->note, notes[k]);
    }
}

/* Arrivals set long after their records were emitted, once the trace no
 * longer remembers where their slots are, over slots of every size. */
static void test_late_arrivals(void)
{
    enum { N = 20000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(MsTraceRecord));
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N; i++) {
        char *text = g_malloc(32);
        g_ptr_array_add(texts, text);
        MsTraceRecord r = mixed_record(i, text, 32);
        emit_kept(trace, want, NULL, NULL, r);
    }
    for (guint i = N; i-- > 0;) {
        MsTraceRecord *w = &g_array_index(want, MsTraceRecord, i);
        if (w->kind == MS_TRACE_MAILBOX || i % 3 == 0)
            continue;
        w->arrival = w->time + (i % 2 ? 250 : 5 * MS_SEC);
        ms_trace_set_arrival(trace, w->id, w->arrival);
    }
    assert_all_kept(trace, want);
}

/* Tiny slots are what most of a long run takes: 240,000 of them (after
 * the first chunks, allocated one by one) take 3.84 MB, where slots of 24
 * bytes would have needed 5.76: 62, 126 and 254 chunks of 4 KiB in the
 * slabs of 256 KiB, 512 KiB and 1 MiB (a chunk needs room for 256 long
 * slots), and the pages of the fourth, of 2 MiB, that the rest reach. */
static void test_tiny_slots_pack(void)
{
    enum { N = 16384 + 240000 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord head = { .conn = 1, .protocol = "TCP", .src = "a", .dst = "b" };
    MsTraceContext ctx = ms_trace_context(trace, &head);
    for (guint i = 0; i < N; i++) {
        MsTraceRecord r = { .kind = MS_TRACE_SEGMENT_SENT, .time = i, .arrival = i + 5,
                            .seq = i & 0xffff, .ack = 1, .flags = MS_TCP_ACK };
        ms_trace_emit_in(trace, ctx, &r);
    }
    gsize page = (gsize) sysconf(_SC_PAGESIZE);
    gsize fourth = (240000 - (62 + 126 + 254) * 256) * 16;
    gsize held = 0;
    for (guint k = 0; k < 4; k++) {
        gsize used = k < 3 ? (gsize) (guint[]) { 62, 126, 254 }[k] * 4096 : fourth;
        held += (used + page - 1) / page * page;
    }
    CU_ASSERT_EQUAL(ms_trace_mapped_bytes(trace), held);
    CU_ASSERT(ms_trace_mapped_bytes(trace) < (gsize) 240000 * 24);
    guint wrong = 0;
    for (guint i = 0; i < N; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, i, &buf);
        if (got->time != i || got->arrival != i + 5 || got->seq != (i & 0xffff) ||
            got->ack != 1 || got->flags != MS_TCP_ACK || got->conn != 1 ||
            g_strcmp0(got->protocol, "TCP") != 0)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* The slabs grow from 256 KiB to 2 MiB.  The first four, of ordinary
 * pages, hold the pages their records reach (with tiny slots, 62, 126, 254
 * and 510 chunks of 4 KiB, a chunk needing room for 256 long slots); each
 * after them is 2 MiB backed by a huge page, held whole from its first
 * record.  Every record reads back as it was given, across all of them. */
static guint64 emit_tiny(MsTrace *trace, MsTraceContext ctx, guint64 i)
{
    MsTraceRecord r = { .kind = MS_TRACE_SEGMENT_RECEIVED, .time = (MsTime) i,
                        .arrival = (MsTime) i + 7, .seq = (guint32) (i & 0xffff),
                        .ack = (guint32) (i * 3 & 0xffff), .flags = MS_TCP_ACK,
                        .len = (guint32) (i % 2048), .dir = MS_DIR_SERVER };
    return ms_trace_emit_in(trace, ctx, &r);
}

static void test_slabs_grow(void)
{
    static const guint chunks[] = { 62, 126, 254, 510, 510, 510 };
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord head = { .conn = 3, .protocol = "TCP", .src = "a", .dst = "b" };
    MsTraceContext ctx = ms_trace_context(trace, &head);
    gsize page = (gsize) sysconf(_SC_PAGESIZE);
    guint64 n = 0;
    while (n < 16384)
        emit_tiny(trace, ctx, n++);
    CU_ASSERT_EQUAL(ms_trace_mapped_bytes(trace), 0);
    gsize held = 0;
    for (guint k = 0; k < G_N_ELEMENTS(chunks); k++) {
        gsize huge = k >= 4 ? (gsize) 2 << 20 : 0;
        /* The slab's first record. */
        emit_tiny(trace, ctx, n++);
        CU_ASSERT_EQUAL(ms_trace_mapped_bytes(trace), held + (huge ? huge : page));
        /* The rest of its chunks. */
        for (guint j = 1; j < 256u * chunks[k]; j++)
            emit_tiny(trace, ctx, n++);
        gsize used = (gsize) chunks[k] * 4096;
        held += huge ? huge : (used + page - 1) / page * page;
        CU_ASSERT_EQUAL(ms_trace_mapped_bytes(trace), held);
    }
    guint wrong = 0;
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *got = ms_trace_get(trace, i, &buf);
        if (got->id != i || got->time != (MsTime) i || got->arrival != (MsTime) i + 7 ||
            got->kind != MS_TRACE_SEGMENT_RECEIVED || got->seq != (i & 0xffff) ||
            got->ack != (i * 3 & 0xffff) || got->len != i % 2048 ||
            got->flags != MS_TCP_ACK || got->dir != MS_DIR_SERVER || got->conn != 3 ||
            g_strcmp0(got->protocol, "TCP") != 0)
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
}

/* A lecture's trace stays in the heap: no slab is mapped for it. */
static void test_short_trace_maps_nothing(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    for (guint i = 0; i < 1000; i++) {
        MsTraceRecord r = { .kind = MS_TRACE_LINE, .arrival = -1, .text = "250 OK" };
        ms_trace_emit(trace, &r);
    }
    CU_ASSERT_EQUAL(ms_trace_mapped_bytes(trace), 0);
}

static void test_kind_names(void)
{
    MS_ASSERT_STR(ms_trace_kind_name(MS_TRACE_SCENARIO), "scenario");
    MS_ASSERT_STR(ms_trace_kind_name(MS_TRACE_SEGMENT_SENT), "segment-sent");
    MS_ASSERT_STR(ms_trace_kind_name(MS_TRACE_CONN_ESTABLISHED), "conn-established");
    MS_ASSERT_STR(ms_trace_kind_name(MS_TRACE_ERROR), "error");
    MS_ASSERT_STR(ms_trace_kind_name(MS_TRACE_N_KINDS), "unknown");
    /* Every kind has its own non-empty name (trace.json relies on it). */
    for (int i = 0; i < MS_TRACE_N_KINDS; i++) {
        const char *name = ms_trace_kind_name((MsTraceKind) i);
        CU_ASSERT(name != NULL && name[0] != '\0');
        for (int j = 0; j < i; j++)
            CU_ASSERT(strcmp(name, ms_trace_kind_name((MsTraceKind) j)) != 0);
    }
}

/* ---- core/heap ---------------------------------------------------------- */

/* Whether the kernel gives transparent huge pages only where asked. */
static gboolean thp_on_request(void)
{
    g_autofree char *mode = NULL;
    return g_file_get_contents("/sys/kernel/mm/transparent_hugepage/enabled", &mode, NULL, NULL) &&
           strstr(mode, "[madvise]") != NULL;
}

/* The VmFlags line of the mapping that holds addr (/proc/self/smaps), or
 * NULL. */
static char *vm_flags_of(const void *addr)
{
    g_autofree char *smaps = NULL;
    if (!g_file_get_contents("/proc/self/smaps", &smaps, NULL, NULL))
        return NULL;
    gboolean inside = FALSE;
    g_auto(GStrv) lines = g_strsplit(smaps, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        unsigned long lo, hi;
        char dash;
        if (sscanf(*l, "%lx%c%lx", &lo, &dash, &hi) == 3 && dash == '-')
            inside = (unsigned long) addr >= lo && (unsigned long) addr < hi;
        else if (inside && g_str_has_prefix(*l, "VmFlags:"))
            return g_strdup(*l);
    }
    return NULL;
}

/* Between begin and end, the heap's growth is advised for huge pages
 * where that can help (glibc on Linux, the kernel's "madvise" mode, no
 * ASan), and nothing is done elsewhere. */
static void test_heap_huge_pages(void)
{
#if defined(__linux__) && defined(__GLIBC__)
    gboolean useful = !MS_UNDER_ASAN && thp_on_request();
#else
    gboolean useful = FALSE;
#endif
    CU_ASSERT_FALSE(ms_heap_huge_active());
    ms_heap_huge_begin();
    CU_ASSERT_EQUAL(ms_heap_huge_active(), useful);
    /* Small blocks, from the heap rather than from mmap: 4 MiB more than
     * its free room, so that it grows. */
    gsize room = 0;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    room = mallinfo2().fordblks;
#endif
    g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func(g_free);
    for (gsize got = 0; got < room + (4u << 20); got += 2048)
        g_ptr_array_add(blocks, g_malloc(2048));
    ms_heap_huge_poll();
    g_autofree char *flags = vm_flags_of(g_ptr_array_index(blocks, blocks->len - 1));
    if (useful) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(flags);
        CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
    }
    ms_heap_huge_end();
    CU_ASSERT_FALSE(ms_heap_huge_active());
    /* A second begin after an end works the same. */
    ms_heap_huge_begin();
    CU_ASSERT_EQUAL(ms_heap_huge_active(), useful);
    ms_heap_huge_end();
    CU_ASSERT_FALSE(ms_heap_huge_active());
}

/* ---- core/time ---------------------------------------------------------- */

/* Macros rather than functions, so that a failure names the line. */
#define CHECK_FORMAT(format, t, expected)         \
    do {                                           \
        g_autofree char *s_ = format(t);           \
        MS_ASSERT_STR(s_, expected);               \
    } while (0)
/* Both forms of the milliseconds, the allocated one and the buffer's. */
#define check_ms(t, expected)                                                \
    do {                                                                     \
        CHECK_FORMAT(ms_time_format_ms, t, expected);                        \
        char buf_[MS_TIME_FORMAT_MS_SIZE];                                   \
        CU_ASSERT_EQUAL(ms_time_format_ms_buf(t, buf_), strlen(expected));   \
        MS_ASSERT_STR(buf_, expected);                                       \
    } while (0)
#define check_human(t, expected) CHECK_FORMAT(ms_time_format_human, t, expected)

/* Whole milliseconds, a dot, then three digits of microseconds; the
 * nanoseconds below a microsecond are dropped, not rounded. */
static void test_format_ms(void)
{
    check_ms(0, "0.000");
    check_ms(42000800, "42.000"); /* 42 ms 0 µs 800 ns */
    check_ms(42001000, "42.001"); /* 42 ms 1 µs */
    check_ms(999, "0.000");
    check_ms(1000, "0.001");
    check_ms(MS_SEC, "1000.000");
    check_ms(1234567890, "1234.567");
    check_ms(3 * MS_MINUTE + 5 * MS_USEC, "180000.005");
    check_ms(-1500 * MS_USEC, "-1.500");
    check_ms(-999, "-0.000");
    check_ms(G_MAXINT64, "9223372036854.775");
    check_ms(G_MININT64, "-9223372036854.775");
}

/* Largest unit the value reaches once rounded to a tenth; one decimal at
 * most, dropped when it is zero. */
static void test_format_human(void)
{
    check_human(800 * MS_USEC, "800 µs");
    check_human(40 * MS_MSEC, "40 ms");
    check_human(1500 * MS_MSEC, "1.5 s");
    check_human(30 * MS_MINUTE, "30 min");
    check_human(2 * MS_HOUR, "2 h");
    check_human(5 * MS_DAY, "5 d");
    check_human(90 * MS_SEC, "1.5 min");  /* 90 / 60 */
    check_human(1250 * MS_MSEC, "1.3 s"); /* half a tenth rounds up */
    check_human(1240 * MS_MSEC, "1.2 s");
    check_human(999960 * MS_USEC, "1 s"); /* 0.99996 s rounds to 1.0 */
    check_human(940, "940 ns");          /* 0.94 µs rounds to 0.9 */
    check_human(950, "1 µs");            /* 0.95 µs rounds to 1.0 */
    check_human(999, "1 µs");
    check_human(0, "0 s");
    check_human(-40 * MS_MSEC, "-40 ms");
    check_human(MS_TIME_NEVER, "never");
}

int main(void)
{
    static const MsTestCase queue_cases[] = {
        MS_TEST(test_empty_queue),
        MS_TEST(test_order_by_time),
        MS_TEST(test_ties_in_scheduling_order),
        MS_TEST(test_ids_distinct),
        MS_TEST(test_cancel_pending),
        MS_TEST(test_cancel_twice),
        MS_TEST(test_cancel_after_run),
        MS_TEST(test_cancel_head),
        MS_TEST(test_peek_then_change),
        MS_TEST(test_cancel_most),
        MS_TEST(test_seq_wrap),
        MS_TEST(test_random_against_reference),
        MS_TEST(test_reschedule_later),
        MS_TEST(test_reschedule_ties),
        MS_TEST(test_reschedule_cancelled),
        MS_TEST(test_reschedule_earlier_or_gone),
        MS_TEST(test_reschedule_across_wrap),
        MS_TEST(test_reschedule_back_at_wrap),
        MS_TEST(test_random_reschedule_against_reference),
        MS_TEST(test_random_both_heaps),
        MS_TEST(test_random_reschedule_both_heaps),
        MS_TEST(test_ties_across_heaps),
        MS_TEST(test_random_three_heaps),
        MS_TEST(test_random_reschedule_three_heaps),
        MS_TEST(test_ties_across_three_heaps),
        MS_TEST(test_deep_heap_order),
        MS_TEST_END,
    };
    static const MsTestCase sim_cases[] = {
        MS_TEST(test_clock_advances),
        MS_TEST(test_run_until_bounds),
        MS_TEST(test_events_schedule_events),
        MS_TEST(test_zero_delay_after_same_time),
        MS_TEST(test_sim_cancel),
        MS_TEST(test_sim_queue_direct),
        MS_TEST(test_sim_reschedule),
        MS_TEST(test_rng_determinism),
        MS_TEST(test_past_is_fatal),
        MS_TEST(test_sim_owns_trace),
        MS_TEST_END,
    };
    static const MsTestCase trace_cases[] = {
        MS_TEST(test_emit_copies_strings),
        MS_TEST(test_intern_shares),
        MS_TEST(test_intern_blocks),
        MS_TEST(test_intern_grows),
        MS_TEST(test_context_index_grows),
        MS_TEST(test_subscribe_order),
        MS_TEST(test_unsubscribe_during_dispatch),
        MS_TEST(test_emit_from_subscriber),
        MS_TEST(test_set_arrival),
        MS_TEST(test_stored_forms),
        MS_TEST(test_emit_in_context),
        MS_TEST(test_emit_line),
        MS_TEST(test_emit_segment),
        MS_TEST(test_context_routes),
        MS_TEST(test_pointer_stability),
        MS_TEST(test_mixed_slots),
        MS_TEST(test_tiny_slot_limits),
        MS_TEST(test_tiny_slot_tables),
        MS_TEST(test_tiny_slots_pack),
        MS_TEST(test_slabs_grow),
        MS_TEST(test_reused_addresses),
        MS_TEST(test_late_arrivals),
        MS_TEST(test_short_trace_maps_nothing),
        MS_TEST(test_kind_names),
        MS_TEST_END,
    };
    static const MsTestCase heap_cases[] = {
        MS_TEST(test_heap_huge_pages),
        MS_TEST_END,
    };
    static const MsTestCase time_cases[] = {
        MS_TEST(test_format_ms),
        MS_TEST(test_format_human),
        MS_TEST_END,
    };
    ms_test_add_suite("core/event_queue", queue_cases);
    ms_test_add_suite("core/sim", sim_cases);
    ms_test_add_suite("core/trace", trace_cases);
    ms_test_add_suite("core/heap", heap_cases);
    ms_test_add_suite("core/time", time_cases);
    return ms_test_run();
}
