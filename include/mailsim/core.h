/* core.h - simulated time, the pending-event set and the world's random source.
 *
 * Simulated time is a gint64 count of nanoseconds since the scenario started.
 * Events are ordered by (time, sequence number): two events scheduled for the
 * same instant run in the order they were scheduled, so a run is a pure
 * function of the scenario and the seed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gint64 MsTime;

#define MS_NSEC ((MsTime) 1)
#define MS_USEC ((MsTime) 1000)
#define MS_MSEC ((MsTime) 1000000)
#define MS_SEC ((MsTime) 1000000000)
#define MS_MINUTE (60 * MS_SEC)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)
#define MS_TIME_NEVER G_MAXINT64

/* One error domain for the whole program; codes say which layer failed. */
#define MS_ERROR (ms_error_quark())
GQuark ms_error_quark(void);

typedef enum {
    MS_ERROR_SCENARIO = 1, /* the scenario file is wrong (message has file:line:col) */
    MS_ERROR_IO,           /* a file could not be read or written */
    MS_ERROR_SIMULATION,   /* the simulation could not go on */
    MS_ERROR_USAGE,        /* bad command line */
    MS_ERROR_PARSE,        /* malformed protocol or message data */
} MsErrorCode;

/* g_debug() formats its message even when nobody will see it, and the
 * engines log every change of state: MS_DEBUG formats only when debug
 * messages are shown (G_MESSAGES_DEBUG, read once). */
gboolean ms_debug_enabled(void);
#define MS_DEBUG(...)                           \
    G_STMT_START {                              \
        if (G_UNLIKELY(ms_debug_enabled()))     \
            g_debug(__VA_ARGS__);               \
    } G_STMT_END

/* 1 in a build with AddressSanitizer, else 0.  What is recycled for speed
 * (the net's free lists, an engine's output blocks) goes back to malloc
 * there, so that a use after free is caught instead of hidden by the
 * reuse; and the grader's children get no address-space limit, ASan's
 * shadow memory taking terabytes of it. */
#if defined(__SANITIZE_ADDRESS__)
#define MS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MS_UNDER_ASAN 1
#endif
#endif
#ifndef MS_UNDER_ASAN
#define MS_UNDER_ASAN 0
#endif

/* ---- A large run's heap (sim/core/heap.c) --------------------------------
 * From ms_heap_huge_begin() to ms_heap_huge_end(), what the heap grows by is
 * backed by transparent huge pages where the kernel gives them on request
 * only; ms_heap_huge_poll(), called every thousand steps or so by the
 * loop that allocates, asks for what it grew by since.  Only speed changes,
 * never an output.  Setting malloc's growth step turns glibc's dynamic mmap
 * threshold off for the rest of the process (mallopt(3)).  Nothing happens
 * beyond glibc on Linux or under ASan.  A begin is not nested in another. */
void ms_heap_huge_begin(void);
void ms_heap_huge_poll(void);
void ms_heap_huge_end(void);
/* Whether a begin is in effect (for tests). */
gboolean ms_heap_huge_active(void);

/* ---- The pending-event set --------------------------------------------
 * A binary heap keyed on (time, seq).  Cancellation is lazy: a cancelled
 * event stays in the heap, marked dead, and is skipped when it surfaces.  So
 * is moving an event later: its entry stays and goes back into the heap at
 * the event's new key if it surfaces before then.
 */
typedef struct MsEventQueue MsEventQueue;
typedef void (*MsEventFn)(gpointer data);

/* An event handle: stays valid (and harmless to cancel) after the event ran. */
typedef guint64 MsEventId;
#define MS_EVENT_ID_NONE ((MsEventId) 0)

MsEventQueue *ms_event_queue_new(void);
void ms_event_queue_free(MsEventQueue *queue);
MsEventId ms_event_queue_push(MsEventQueue *queue, MsTime time, MsEventFn fn, gpointer data);
/* Returns TRUE if the event was pending and is now cancelled. */
gboolean ms_event_queue_cancel(MsEventQueue *queue, MsEventId id);
/* Schedules fn(data) at `time` in place of event `id`, exactly as cancelling
 * id and pushing anew would (it runs after the events already due then), and
 * returns the id to keep.  Cheap when `id` is still pending or was cancelled
 * lately, and `time` is no earlier than it was: a timer that is stopped and
 * started again and again. */
MsEventId ms_event_queue_reschedule(MsEventQueue *queue, MsEventId id, MsTime time,
                                    MsEventFn fn, gpointer data);
/* Pops the earliest live event; FALSE when none is left. */
gboolean ms_event_queue_pop(MsEventQueue *queue, MsTime *time_out, MsEventFn *fn_out, gpointer *data_out);
/* Earliest live event time, or MS_TIME_NEVER. */
MsTime ms_event_queue_peek_time(MsEventQueue *queue);
guint ms_event_queue_size(const MsEventQueue *queue); /* live events */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsEventQueue, ms_event_queue_free)

/* ---- The simulator: clock + event queue + RNG + trace bus -------------- */
typedef struct MsSim MsSim;
typedef struct MsTrace MsTrace;

/* transfer full */
MsSim *ms_sim_new(guint64 seed);
void ms_sim_free(MsSim *sim);
/* The clock.  Read at nearly every step of every engine, so read in place
 * rather than through a call: the clock is the simulator's first member
 * (sim.c), and a pointer to a struct, converted, points to its first
 * member (C11 6.7.2.1). */
static inline MsTime ms_sim_now(const MsSim *sim)
{
    return *(const MsTime *) (const void *) sim;
}
/* Schedules fn(data) after `delay` (>= 0) from now. */
MsEventId ms_sim_schedule(MsSim *sim, MsTime delay, MsEventFn fn, gpointer data);
/* Schedules at an absolute time, which must not be in the past. */
MsEventId ms_sim_schedule_at(MsSim *sim, MsTime when, MsEventFn fn, gpointer data);
gboolean ms_sim_cancel(MsSim *sim, MsEventId id);
/* ms_event_queue_reschedule() in the simulator's queue; `when` must not be in
 * the past.  MS_EVENT_ID_NONE (id cancelled) when `when` is MS_TIME_NEVER. */
MsEventId ms_sim_reschedule_at(MsSim *sim, MsEventId id, MsTime when, MsEventFn fn,
                               gpointer data);
/* Time of the next pending event, or MS_TIME_NEVER. */
MsTime ms_sim_next_time(MsSim *sim);
/* Runs one event; FALSE when nothing is pending. */
gboolean ms_sim_step(MsSim *sim);
/* Runs events whose time is <= until (including ones they schedule); returns
 * how many ran.  The clock stops at the last event run: it is not advanced to
 * `until` when nothing more is due by then. */
guint64 ms_sim_run(MsSim *sim, MsTime until);
/* The same, then sets the clock to `until` (if it is later): for a world
 * that follows a real clock (live mode), where things happen between
 * events. */
guint64 ms_sim_advance(MsSim *sim, MsTime until);
/* The world's only source of randomness (transfer none). */
GRand *ms_sim_rand(MsSim *sim);
guint64 ms_sim_seed(const MsSim *sim);
/* The trace bus of this world (transfer none). */
MsTrace *ms_sim_trace(MsSim *sim);
/* The simulator's event queue (transfer none), for the net, which pushes
 * an event for every hop of every packet: straight into the queue, the
 * caller making sure the time is not in the past and not MS_TIME_NEVER,
 * instead of through ms_sim_schedule_at() and friends. */
MsEventQueue *ms_sim_queue(MsSim *sim);
guint64 ms_sim_events_run(const MsSim *sim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsSim, ms_sim_free)

/* Formats a time as milliseconds with three decimals, i.e. microsecond
 * precision, truncated and without a unit: 42001000 ns -> "42.001",
 * 42000800 ns -> "42.000".  Returns a newly allocated string. */
char *ms_time_format_ms(MsTime t);
/* The same into buf, NUL-terminated, for writers that format a time for
 * every line they write; returns its length. */
#define MS_TIME_FORMAT_MS_SIZE 24
gsize ms_time_format_ms_buf(MsTime t, char buf[MS_TIME_FORMAT_MS_SIZE]);
/* Short human form: "800 µs", "40 ms", "1.5 s", "30 min", "2 h", "5 d";
 * at most one decimal, rounded; "0 s" for 0, "never" for MS_TIME_NEVER
 * (newly allocated). */
char *ms_time_format_human(MsTime t);

/* Time arithmetic that cannot overflow (sim/core/time.c).  A scenario may
 * write times up to the longest duration (about 292 years), so adding two of
 * them, or one to the clock, can pass G_MAXINT64: the sum saturates at
 * MS_TIME_NEVER, "later than anything the simulation reaches". */
MsTime ms_time_add(MsTime t, MsTime d);
/* t * n for n >= 0, saturating at MS_TIME_NEVER likewise. */
MsTime ms_time_mul(MsTime t, guint64 n);

/* ---- Names (sim/core/names.c) -------------------------------------------
 * Host names and domains compare without regard to ASCII case (RFC 4343);
 * every look-up of a name a scenario gives uses these, and nothing else. */
gboolean ms_name_equal(const char *a, const char *b);
/* For GHashTable: a hash and an equality that follow ms_name_equal. */
guint ms_name_hash(gconstpointer name);
gboolean ms_name_hash_equal(gconstpointer a, gconstpointer b);
/* The lower-cased form, as a key for tables of names (transfer full). */
char *ms_name_key(const char *name);

G_END_DECLS
