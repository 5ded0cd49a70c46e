/* bench_events.c - the event queue under the classic "hold" model.
 *
 * The queue is filled with N events; then each operation pops the earliest
 * event and schedules one more at its time plus an exponentially distributed
 * delay (mean 1 µs), so the queue stays at N events while its contents churn
 * as in a running simulation.  MsEventQueue is measured through its public
 * API against a minimal array binary heap written here, with the same model
 * and the very same delays (a table drawn once from a fixed-seed GRand, so
 * the random number generator costs nothing during the measurement and both
 * see identical inputs).  Each figure is the best of three runs.
 */
#include "mailsim/core.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#define DELAY_BITS 20
#define N_DELAYS (1u << DELAY_BITS)
#define DELAY_MASK (N_DELAYS - 1)
#define MEAN_DELAY_NS 1000.0
#define REPEATS 3
#define TARGET_SECONDS 0.2
#define TARGET_RATIO 0.80

static MsTime delays[N_DELAYS];

/* Keeps the compiler from discarding the work being timed. */
static volatile guint64 sink;

static void fill_delays(void)
{
    GRand *rand = g_rand_new_with_seed(20240601);
    for (guint i = 0; i < N_DELAYS; i++) {
        /* Inverse transform: -mean * ln(U) with U in (0, 1]. */
        double u = 1.0 - g_rand_double(rand);
        delays[i] = (MsTime) llround(-MEAN_DELAY_NS * log(u));
    }
    g_rand_free(rand);
}

/* ---- The reference: a textbook array binary heap ------------------- */

typedef struct {
    gint64 time;
    guint64 seq;
    void *data;
} RefEntry;

typedef struct {
    RefEntry *a;
    gsize len;
    gsize cap;
    guint64 seq;
} RefHeap;

static inline int ref_less(const RefEntry *x, const RefEntry *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static void ref_push(RefHeap *h, gint64 time, void *data)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->a = g_renew(RefEntry, h->a, h->cap);
    }
    RefEntry e = { time, h->seq++, data };
    gsize i = h->len++;
    while (i > 0) {
        gsize p = (i - 1) / 2;
        if (!ref_less(&e, &h->a[p]))
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
}

static int ref_pop(RefHeap *h, gint64 *time_out, void **data_out)
{
    if (h->len == 0)
        return 0;
    *time_out = h->a[0].time;
    *data_out = h->a[0].data;
    RefEntry last = h->a[--h->len];
    gsize n = h->len;
    gsize i = 0;
    for (;;) {
        gsize c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ref_less(&h->a[c + 1], &h->a[c]))
            c++;
        if (!ref_less(&h->a[c], &last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n > 0)
        h->a[i] = last;
    return 1;
}

/* Returns the seconds taken by `ops` hold operations on a queue of n. */
static double hold_reference(guint n, guint64 ops)
{
    RefHeap h = { 0 };
    guint k = 0;
    for (guint i = 0; i < n; i++, k++)
        ref_push(&h, delays[k & DELAY_MASK], NULL);

    guint64 check = 0;
    gint64 start = g_get_monotonic_time();
    for (guint64 i = 0; i < ops; i++, k++) {
        gint64 t = 0;
        void *data = NULL;
        ref_pop(&h, &t, &data);
        check += (guint64) t + GPOINTER_TO_SIZE(data);
        ref_push(&h, t + delays[k & DELAY_MASK], data);
    }
    gint64 end = g_get_monotonic_time();
    sink += check;
    g_free(h.a);
    return (double) (end - start) / 1e6;
}

/* ---- Ours, through the public API ----------------------------------- */

static void nothing(gpointer data)
{
    (void) data;
}

static double hold_ours(guint n, guint64 ops)
{
    MsEventQueue *queue = ms_event_queue_new();
    guint k = 0;
    for (guint i = 0; i < n; i++, k++)
        ms_event_queue_push(queue, delays[k & DELAY_MASK], nothing, NULL);

    guint64 check = 0;
    gint64 start = g_get_monotonic_time();
    for (guint64 i = 0; i < ops; i++, k++) {
        MsTime t = 0;
        MsEventFn fn = nothing;
        gpointer data = NULL;
        ms_event_queue_pop(queue, &t, &fn, &data);
        check += (guint64) t + GPOINTER_TO_SIZE(data);
        ms_event_queue_push(queue, t + delays[k & DELAY_MASK], fn, data);
    }
    gint64 end = g_get_monotonic_time();
    sink += check;
    ms_event_queue_free(queue);
    return (double) (end - start) / 1e6;
}

typedef double (*HoldFn)(guint n, guint64 ops);

static double best_rate(HoldFn fn, guint n, guint64 ops)
{
    double best = 0.0;
    for (int r = 0; r < REPEATS; r++) {
        double secs = fn(n, ops);
        double rate = (double) ops / (secs > 0.0 ? secs : 1e-9);
        if (rate > best)
            best = rate;
    }
    return best;
}

int main(void)
{
    static const guint sizes[] = { 1000, 10000, 100000, 1000000 };
    fill_delays();

    printf("hold model: pop the earliest event, push one at its time + Exp(mean 1 us)\n");
    printf("best of %d runs, each ~%.1f s\n\n", REPEATS, TARGET_SECONDS);
    printf("%10s %12s %16s %16s %7s\n", "N", "ops/run", "ours ev/s", "reference ev/s", "ratio");

    gboolean all_ok = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
        guint n = sizes[i];
        /* Size the run so that one measurement lasts about TARGET_SECONDS. */
        guint64 probe = 200000;
        double probe_secs = hold_reference(n, probe);
        guint64 ops = (guint64) ((double) probe * TARGET_SECONDS / MAX(probe_secs, 1e-6));
        /* ... and at least turn the whole queue over once. */
        ops = CLAMP(ops, MAX(n, 100000), 200000000);

        double ref = best_rate(hold_reference, n, ops);
        double ours = best_rate(hold_ours, n, ops);
        double ratio = ours / ref;
        if (ratio < TARGET_RATIO)
            all_ok = FALSE;
        printf("%10u %12" G_GUINT64_FORMAT " %16.0f %16.0f %7.2f\n", n, ops, ours, ref, ratio);
    }
    printf("\ntarget: ratio >= %.2f at every size: %s\n", TARGET_RATIO, all_ok ? "met" : "NOT met");

    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        printf("peak RSS: %.1f MiB\n", (double) usage.ru_maxrss / 1024.0);
    return 0;
}
