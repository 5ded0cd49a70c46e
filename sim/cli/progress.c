/* progress.c - what a long `mailsim run` is doing, on stderr when it is a
 * terminal: the simulated time reached and the messages delivered while
 * simulating, then the file being written.  One line, rewritten in place
 * and cleared at the end; nothing at all when stderr is not a terminal or
 * for a run short enough not to need it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Say nothing before the run has taken this long, then refresh at most
 * this often (microseconds). */
#define FIRST_US 500000
#define EVERY_US 200000
/* Look at the clock once every this many trace records. */
#define CLOCK_EVERY 4096u

struct MsCliProgress {
    MsTrace *trace;
    guint handle;
    gint64 started;
    gint64 shown;     /* when the line was last written; 0: never */
    guint64 records;
    guint64 delivered;
    MsTime now;
};

static gboolean due(MsCliProgress *p, gint64 t)
{
    return t - p->started >= FIRST_US && (p->shown == 0 || t - p->shown >= EVERY_US);
}

static void on_record(const MsTraceRecord *r, gpointer data)
{
    MsCliProgress *p = data;
    p->now = r->time;
    if (r->kind == MS_TRACE_MAILBOX && g_strcmp0(r->note, "mailbox.deliver") == 0)
        p->delivered++;
    if (++p->records % CLOCK_EVERY != 0)
        return;
    gint64 t = g_get_monotonic_time();
    if (!due(p, t))
        return;
    g_autofree char *sim = ms_time_format_human(p->now);
    fprintf(stderr, "\rmailsim: simulated %s, %" G_GUINT64_FORMAT " message%s delivered\033[K",
            sim, p->delivered, p->delivered == 1 ? "" : "s");
    fflush(stderr);
    p->shown = t;
}

MsCliProgress *ms_cli_progress_new(MsTrace *trace)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    MsCliProgress *p = g_new0(MsCliProgress, 1);
    p->trace = trace;
    p->started = g_get_monotonic_time();
    p->handle = ms_trace_subscribe(trace, on_record, p);
    return p;
}

static void clear_line(MsCliProgress *p)
{
    if (p->shown != 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->shown = 0;
    }
}

void ms_cli_progress_stage(const char *what, gpointer data)
{
    MsCliProgress *p = data;
    if (p == NULL)
        return;
    if (p->handle != 0) {
        /* The simulation is over: no more records to count. */
        ms_trace_unsubscribe(p->trace, p->handle);
        p->handle = 0;
    }
    if (what == NULL) {
        /* Everything is written: clear the line before the run's own words. */
        clear_line(p);
        return;
    }
    gint64 t = g_get_monotonic_time();
    if (t - p->started < FIRST_US)
        return;
    fprintf(stderr, "\rmailsim: writing %s\033[K", what);
    fflush(stderr);
    p->shown = t;
}

void ms_cli_progress_free(MsCliProgress *p)
{
    if (p == NULL)
        return;
    if (p->handle != 0)
        ms_trace_unsubscribe(p->trace, p->handle);
    clear_line(p);
    g_free(p);
}
