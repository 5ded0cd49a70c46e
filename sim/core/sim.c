/* sim.c - the simulated world's clock, event loop, random source and trace.
 *
 * The clock only moves when an event runs: it jumps to that event's time, so
 * nothing happens "between" events and a run is as fast as its events are
 * cheap.  All randomness of a world comes from one GRand seeded from the
 * scenario's 64-bit seed, so the same scenario and seed give the same run.
 */
#include "mailsim/core.h"
#include "mailsim/trace.h"
#include "core/event_queue-private.h"

struct MsSim {
    MsTime now;         /* first: ms_sim_now() reads it in place (core.h) */
    MsEventQueue *queue;
    guint64 seed;
    guint64 events_run;
    GRand *rand;
    MsTrace *trace;
};

G_STATIC_ASSERT(G_STRUCT_OFFSET(MsSim, now) == 0);

MsSim *ms_sim_new(guint64 seed)
{
    MsSim *sim = g_new0(MsSim, 1);
    sim->queue = ms_event_queue_new();
    sim->seed = seed;
    /* Both halves of the seed count: seeds that differ only in the high 32
     * bits must give different worlds. */
    const guint32 words[2] = { (guint32) (seed & G_MAXUINT32), (guint32) (seed >> 32) };
    sim->rand = g_rand_new_with_seed_array(words, G_N_ELEMENTS(words));
    sim->trace = ms_trace_new();
    return sim;
}

/* Pending events are dropped without being run. */
void ms_sim_free(MsSim *sim)
{
    if (sim == NULL)
        return;
    ms_event_queue_free(sim->queue);
    g_rand_free(sim->rand);
    ms_trace_free(sim->trace);
    g_free(sim);
}

MsEventId ms_sim_schedule(MsSim *sim, MsTime delay, MsEventFn fn, gpointer data)
{
    g_return_val_if_fail(sim != NULL, MS_EVENT_ID_NONE);
    /* A negative delay would be scheduling into the past: a bug in the
     * caller, not something a scenario can cause. */
    g_assert(delay >= 0);
    /* A scenario may reach the end of simulated time (its longest duration
     * added to a late action): what would fall after it never happens.
     * MS_TIME_NEVER itself is reserved for "nothing pending". */
    MsTime when = ms_time_add(sim->now, delay);
    if (when == MS_TIME_NEVER)
        return MS_EVENT_ID_NONE;
    return ms_event_queue_push(sim->queue, when, fn, data);
}

MsEventId ms_sim_schedule_at(MsSim *sim, MsTime when, MsEventFn fn, gpointer data)
{
    g_return_val_if_fail(sim != NULL, MS_EVENT_ID_NONE);
    g_assert(when >= sim->now);
    if (when == MS_TIME_NEVER)
        return MS_EVENT_ID_NONE;
    return ms_event_queue_push(sim->queue, when, fn, data);
}

MsEventId ms_sim_reschedule_at(MsSim *sim, MsEventId id, MsTime when, MsEventFn fn,
                               gpointer data)
{
    g_return_val_if_fail(sim != NULL, MS_EVENT_ID_NONE);
    g_assert(when >= sim->now);
    if (when == MS_TIME_NEVER) {
        ms_event_queue_cancel(sim->queue, id);
        return MS_EVENT_ID_NONE;
    }
    return ms_event_queue_reschedule(sim->queue, id, when, fn, data);
}

gboolean ms_sim_cancel(MsSim *sim, MsEventId id)
{
    g_return_val_if_fail(sim != NULL, FALSE);
    return ms_event_queue_cancel(sim->queue, id);
}

/* This and ms_sim_step() are the event loop's two calls for every event:
 * the queue's usual paths inline (event_queue-private.h). */
MsTime ms_sim_next_time(MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, MS_TIME_NEVER);
    return queue_peek(sim->queue);
}

gboolean ms_sim_step(MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, FALSE);
    MsTime time;
    MsEventFn fn;
    gpointer data;
    if (!queue_pop(sim->queue, &time, &fn, &data))
        return FALSE;
    /* The queue hands events out in (time, seq) order and nothing can be
     * scheduled before now, so the clock never runs backwards. */
    g_assert(time >= sim->now);
    sim->now = time;
    sim->events_run++;
    fn(data);
    return TRUE;
}

/* Runs every event due at or before `until`, including those that the events
 * themselves schedule within the bound.  The clock ends at the time of the
 * last event run; it is not moved on to `until` when the queue runs dry or
 * the next event lies beyond it, so a later schedule() is relative to the
 * last thing that happened. */
guint64 ms_sim_run(MsSim *sim, MsTime until)
{
    g_return_val_if_fail(sim != NULL, 0);
    guint64 ran = 0;
    for (;;) {
        MsTime next = queue_peek(sim->queue);
        /* Test NEVER first: with until == MS_TIME_NEVER, "next <= until"
         * alone would also hold for an empty queue. */
        if (next == MS_TIME_NEVER || next > until)
            break;
        ms_sim_step(sim);
        ran++;
    }
    return ran;
}

guint64 ms_sim_advance(MsSim *sim, MsTime until)
{
    g_return_val_if_fail(sim != NULL, 0);
    guint64 ran = ms_sim_run(sim, until);
    if (until > sim->now)
        sim->now = until;
    return ran;
}

GRand *ms_sim_rand(MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    return sim->rand;
}

guint64 ms_sim_seed(const MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->seed;
}

MsEventQueue *ms_sim_queue(MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    return sim->queue;
}

MsTrace *ms_sim_trace(MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    return sim->trace;
}

guint64 ms_sim_events_run(const MsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->events_run;
}
