/* bench_scale.c - how mailsim grows with the size of a run.
 *
 * For each size N (10^3 and 10^4 by default; MAILSIM_BENCH_SIZES="1000 10000
 * 100000" adds 10^5) a campus scenario is generated with bench/gen-scenario
 * (eight servers in a mesh, N/10 users, N messages, every user fetching once
 * by POP3 or IMAP) and run in a fresh process, so that sizes share no heap:
 *   - every stage is timed on its own: parse, build the world, simulate
 *     (full SMTP submission, relay, POP3/IMAP retrieval, TCP, trace on),
 *     then each output of `mailsim run`: transcript.txt, transcript.md,
 *     summary.txt, trace.json (as ms_report_write streams them), the SVG
 *     diagram and report.html;
 *   - the heap the simulation added (with the slabs the trace maps for its
 *     records), per delivered message, beyond the scenario's own text;
 *   - the process's peak resident memory.
 * The diagram and report.html are timed in process only for sizes up to
 * MAILSIM_BENCH_DRAW_MAX messages (1000 by default); `mailsim run` end to
 * end, with its default outputs (the diagram's first pages and report.html
 * included), is timed in a process of its own for sizes up to
 * MAILSIM_BENCH_E2E_MAX (10000 by default, so that the 10^4 target is
 * checked; some 5-10 s and 830 MB of files, removed after).  Growth factors
 * compare each size with the one before.
 * Then the lecture-scale targets: smtp-basic end to end with svg,png,pdf,
 * and the default run.  Nothing here asserts a time: the targets are
 * printed beside the figures.
 */
/* wait4() and mallinfo2() are BSD and GNU extensions. */
#define _DEFAULT_SOURCE
#include "mailsim/diagram.h"
#include "mailsim/html.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGET_RATE 50000.0        /* delivered messages per second, simulating */
#define TARGET_BYTES 4096.0        /* heap per message beyond its text */
#define TARGET_GROWTH 12.0         /* per tenfold step */

/* The stages timed in the child, in the order they run. */
enum {
    ST_PARSE, ST_WORLD, ST_SIM, ST_TXT, ST_MD, ST_SUMMARY, ST_JSON, ST_DIAGRAM, ST_HTML,
    ST_TOTAL, N_STAGES
};
static const char *const stage_names[N_STAGES] = { "parse", "world", "simulate", "txt",
                                                   "md", "summary", "json", "diagram",
                                                   "html", "total" };
/* The files of ms_report_write, in the order it writes them. */
static const char *const stage_files[] = { "transcript.txt", "transcript.md", "summary.txt",
                                           "trace.json" };

typedef struct {
    guint messages;
    guint64 delivered;
    guint64 records;
    double stage[N_STAGES];
    double bytes_per_message;
    double peak_mib;
    double e2e_seconds; /* mailsim run with diagrams; < 0: not measured */
    double e2e_mib;
} Result;

/* Times the files of ms_report_write as it reports starting each. */
typedef struct {
    double *stage;
    double last;
    int current; /* index into stage, -1 before the first file */
} FileClock;

static double now_s(void);

static void on_file(const char *file, gpointer data)
{
    FileClock *c = data;
    double t = now_s();
    if (c->current >= 0)
        c->stage[c->current] = t - c->last;
    c->current = -1;
    for (int i = 0; file != NULL && i < (int) G_N_ELEMENTS(stage_files); i++) {
        if (strcmp(file, stage_files[i]) == 0)
            c->current = ST_TXT + i;
    }
    c->last = t;
}

static double now_s(void)
{
    return (double) g_get_monotonic_time() / 1e6;
}

static gsize heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static guint64 count_deliveries(const MsTrace *trace)
{
    guint64 n = 0, len = ms_trace_length(trace);
    for (guint64 i = 0; i < len; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind == MS_TRACE_MAILBOX && g_strcmp0(r->note, "mailbox.deliver") == 0)
            n++;
    }
    return n;
}

/* The bytes of the messages' own text, as composed: the sentence of each
 * message.composed record says "(N bytes)". */
static double message_text_bytes(const MsTrace *trace)
{
    double total = 0;
    guint64 len = ms_trace_length(trace);
    for (guint64 i = 0; i < len; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind != MS_TRACE_MESSAGE || g_strcmp0(r->note, "message.composed") != 0 ||
            r->detail == NULL)
            continue;
        const char *open = strrchr(r->detail, '(');
        if (open != NULL)
            total += g_ascii_strtod(open + 1, NULL);
    }
    return total;
}

/* Stage times are -1 when the stage was not run. */
static void print_seconds(double t)
{
    if (t < 0)
        printf(" %8s", "-");
    else
        printf(" %8.3f", t);
}

/* Runs every stage for one scenario and prints one line for the parent;
 * draw: the diagram and report.html too. */
static int run_one(const char *path, guint messages, gboolean draw)
{
    double t[N_STAGES];
    for (int i = 0; i < N_STAGES; i++)
        t[i] = -1;
    g_autoptr(GError) error = NULL;

    double t0 = now_s();
    g_autoptr(MsScenario) sc =
        ms_scenario_parse_file_bounded(path, MS_SCENARIO_MAX_MESSAGES_CEILING, &error);
    if (sc == NULL) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 1;
    }
    double t1 = now_s();
    g_autoptr(MsWorld) world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 1;
    }
    double t2 = now_s();
    /* The trace keeps a long run's records in slabs outside the heap. */
    gsize heap_built = heap_in_use() + ms_trace_mapped_bytes(ms_world_trace(world));
    if (!ms_world_run(world, MS_TIME_NEVER, &error)) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 1;
    }
    double t3 = now_s();
    gsize heap_run = heap_in_use() + ms_trace_mapped_bytes(ms_world_trace(world));
    t[ST_PARSE] = t1 - t0;
    t[ST_WORLD] = t2 - t1;
    t[ST_SIM] = t3 - t2;

    MsTrace *trace = ms_world_trace(world);
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_file = path;
    options.seed = sc->seed;
    options.lang = "en";
    FileClock clock = { t, 0, -1 };
    options.progress = on_file;
    options.progress_data = &clock;

    g_autofree char *dir = g_dir_make_tmp("mailsim-scale-out-XXXXXX", &error);
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    if (dir == NULL || !ms_report_write(trace, &options, dir, written, &error)) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 1;
    }
    options.progress = NULL;
    if (draw) {
        MsDiagramOptions dopt;
        ms_diagram_options_init(&dopt);
        /* As `mailsim run` pages it, and draws its first pages only. */
        dopt.page_arrows = MS_DIAGRAM_PAGE_ARROWS_DEFAULT;
        dopt.max_pages = MS_DIAGRAM_MAX_PAGES_DEFAULT;
        double d0 = now_s();
        if (!ms_diagram_write(trace, &options, &dopt, dir, written, NULL, &error)) {
            fprintf(stderr, "bench_scale: %s\n", error->message);
            return 1;
        }
        double d1 = now_s();
        gsize len = 0;
        g_autofree char *html = ms_report_html(trace, &options, &dopt, &len, &error);
        if (html == NULL) {
            fprintf(stderr, "bench_scale: %s\n", error->message);
            return 1;
        }
        t[ST_DIAGRAM] = d1 - d0;
        t[ST_HTML] = now_s() - d1;
    }
    for (guint i = 0; i < written->len; i++)
        g_remove(g_ptr_array_index(written, i));
    g_rmdir(dir);
    t[ST_TOTAL] = now_s() - t0;

    guint64 delivered = count_deliveries(trace);
    /* What the simulation added to the heap, less the messages' own text. */
    double added = (double) heap_run - (double) heap_built;
    double text = message_text_bytes(trace);
    double per_msg = delivered > 0 ? (added - text) / (double) delivered : 0;
    printf("RESULT %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, messages, delivered,
           ms_trace_length(trace));
    for (int i = 0; i < N_STAGES; i++)
        printf(" %.4f", t[i]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf(" %.1f %.1f\n", per_msg, (double) ru.ru_maxrss / 1024.0);
    return 0;
}

static gboolean spawn_wait(char **argv, gboolean capture, char **out, double *seconds,
                           double *max_mib)
{
    int fds[2] = { -1, -1 };
    if (capture && pipe(fds) != 0)
        return FALSE;
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return FALSE;
    if (pid == 0) {
        if (capture) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    GString *buf = g_string_new(NULL);
    if (capture) {
        close(fds[1]);
        char chunk[4096];
        ssize_t n;
        while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
            g_string_append_len(buf, chunk, n);
        close(fds[0]);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        g_string_free(buf, TRUE);
        return FALSE;
    }
    *seconds = now_s() - start;
    *max_mib = (double) ru.ru_maxrss / 1024.0;
    if (out != NULL)
        *out = g_string_free(buf, FALSE);
    else
        g_string_free(buf, TRUE);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static gboolean measure(const char *self, guint n, guint draw_max, guint e2e_max,
                        const char *dir, Result *res)
{
    memset(res, 0, sizeof *res);
    res->messages = n;
    g_autofree char *path = g_strdup_printf("%s/campus-%u.mss", dir, n);
    g_autofree char *gen = g_strdup_printf("bench/gen-scenario %u > %s", n, path);
    if (system(gen) != 0) {
        fprintf(stderr, "bench_scale: cannot run %s\n", gen);
        return FALSE;
    }
    gboolean draw = n <= draw_max;
    g_autofree char *nstr = g_strdup_printf("%u", n);
    char *child[] = { (char *) self, (char *) (draw ? "--one-drawn" : "--one"), nstr, path,
                      NULL };
    g_autofree char *out = NULL;
    double secs, mib;
    if (!spawn_wait(child, TRUE, &out, &secs, &mib)) {
        fprintf(stderr, "bench_scale: the stages of %u messages failed\n", n);
        return FALSE;
    }
    const char *line = strstr(out, "RESULT ");
    if (line == NULL ||
        sscanf(line, "RESULT %*u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
               " %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
               &res->delivered, &res->records, &res->stage[0], &res->stage[1], &res->stage[2],
               &res->stage[3], &res->stage[4], &res->stage[5], &res->stage[6], &res->stage[7],
               &res->stage[8], &res->stage[9], &res->bytes_per_message, &res->peak_mib) != 14) {
        fprintf(stderr, "bench_scale: unexpected output: %s\n", out);
        return FALSE;
    }
    res->e2e_seconds = -1;
    g_autofree char *outdir = g_strdup_printf("%s/out-%u", dir, n);
    if (n <= e2e_max) {
        char *run[] = { (char *) "./mailsim", (char *) "run", (char *) "-q",
                        (char *) "--max-messages", nstr, (char *) "-o", outdir, path, NULL };
        if (!spawn_wait(run, FALSE, NULL, &res->e2e_seconds, &res->e2e_mib)) {
            fprintf(stderr, "bench_scale: mailsim run %s failed\n", path);
            return FALSE;
        }
    }
    g_autofree char *rm = g_strdup_printf("rm -rf %s %s", outdir, path);
    if (system(rm) != 0)
        fprintf(stderr, "bench_scale: could not remove %s\n", outdir);
    return TRUE;
}

/* The best of a few runs of `mailsim run ARGS scenarios/smtp-basic.mss`. */
static double lecture_run(const char *dir, const char *format)
{
    double best = -1;
    g_autofree char *outdir = g_strdup_printf("%s/lecture", dir);
    for (int i = 0; i < 5; i++) {
        char *run[] = { (char *) "./mailsim", (char *) "run", (char *) "-q", (char *) "-o",
                        outdir, (char *) "scenarios/smtp-basic.mss", (char *) format, NULL };
        if (format == NULL)
            run[6] = NULL;
        double secs, mib;
        if (!spawn_wait(run, FALSE, NULL, &secs, &mib))
            return -1;
        if (best < 0 || secs < best)
            best = secs;
    }
    g_autofree char *rm = g_strdup_printf("rm -rf %s", outdir);
    if (system(rm) != 0)
        fprintf(stderr, "bench_scale: could not remove %s\n", outdir);
    return best;
}

static const char *verdict(double value, double target)
{
    if (value < 0)
        return "not measured";
    return value <= target ? "met" : "NOT met";
}

int main(int argc, char **argv)
{
    if (argc == 4 && (strcmp(argv[1], "--one") == 0 || strcmp(argv[1], "--one-drawn") == 0))
        return run_one(argv[3], (guint) strtoul(argv[2], NULL, 10),
                       strcmp(argv[1], "--one-drawn") == 0);

    const char *sizes_env = g_getenv("MAILSIM_BENCH_SIZES");
    g_auto(GStrv) sizes = g_strsplit_set(sizes_env != NULL ? sizes_env : "1000 10000", " ,", -1);
    const char *draw_env = g_getenv("MAILSIM_BENCH_DRAW_MAX");
    guint draw_max = draw_env != NULL ? (guint) strtoul(draw_env, NULL, 10) : 1000;
    const char *e2e_env = g_getenv("MAILSIM_BENCH_E2E_MAX");
    guint e2e_max = e2e_env != NULL ? (guint) strtoul(e2e_env, NULL, 10) : 10000;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("mailsim-scale-XXXXXX", &error);
    if (dir == NULL) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 1;
    }
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    GArray *results = g_array_new(FALSE, TRUE, sizeof(Result));
    printf("campus scenarios from bench/gen-scenario: 8 servers in a mesh, messages/10 users,\n"
           "each user fetching once (POP3 or IMAP).  Seconds per stage in one process; diagram\n"
           "(SVG, default options) and html (report.html) only up to %u messages\n"
           "(MAILSIM_BENCH_DRAW_MAX), '-' beyond; B/msg: heap the simulation adds per message\n"
           "beyond its text; peak MiB: that process; e2e: `mailsim run` with its default\n"
           "outputs (diagram and report.html included), seconds and peak MiB, up to %u\n"
           "messages (MAILSIM_BENCH_E2E_MAX).\n\n",
           draw_max, e2e_max);
    printf("%8s %9s %9s", "messages", "records", "delivered");
    for (int i = 0; i < N_STAGES; i++)
        printf(" %8s", stage_names[i]);
    printf(" %9s %8s %8s %8s %8s\n", "msg/s sim", "B/msg", "peak MiB", "e2e s", "e2e MiB");
    int status = 0;
    for (int i = 0; sizes[i] != NULL; i++) {
        if (*sizes[i] == '\0')
            continue;
        Result r;
        if (!measure(self, (guint) strtoul(sizes[i], NULL, 10), draw_max, e2e_max, dir, &r)) {
            status = 1;
            break;
        }
        printf("%8u %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT, r.messages, r.records,
               r.delivered);
        for (int k = 0; k < N_STAGES; k++)
            print_seconds(r.stage[k]);
        printf(" %9.0f %8.0f %8.0f", (double) r.delivered / MAX(r.stage[ST_SIM], 1e-6),
               r.bytes_per_message, r.peak_mib);
        if (r.e2e_seconds >= 0)
            printf(" %8.2f %8.0f\n", r.e2e_seconds, r.e2e_mib);
        else
            printf(" %8s %8s\n", "-", "-");
        fflush(stdout);
        g_array_append_val(results, r);
    }
    if (results->len >= 2) {
        printf("\ngrowth per step (time at this size / time at the size before; target <= %.0fx"
               " per tenfold step):\n", TARGET_GROWTH);
        printf("%8s", "messages");
        for (int i = 0; i < N_STAGES; i++)
            printf(" %8s", stage_names[i]);
        printf(" %8s\n", "e2e");
        for (guint i = 1; i < results->len; i++) {
            Result *a = &g_array_index(results, Result, i - 1);
            Result *b = &g_array_index(results, Result, i);
            printf("%8u", b->messages);
            for (int k = 0; k < N_STAGES; k++) {
                /* total is comparable only when both drew or neither did. */
                gboolean unlike = k == ST_TOTAL &&
                                  (a->stage[ST_DIAGRAM] < 0) != (b->stage[ST_DIAGRAM] < 0);
                if (a->stage[k] < 0 || b->stage[k] < 0 || unlike)
                    printf(" %8s", "-");
                else
                    printf(" %7.1fx", b->stage[k] / MAX(a->stage[k], 1e-3));
            }
            if (a->e2e_seconds > 0 && b->e2e_seconds >= 0)
                printf(" %7.1fx\n", b->e2e_seconds / a->e2e_seconds);
            else
                printf(" %8s\n", "-");
        }
    }
    printf("\ntargets: simulate >= %.0f delivered msg/s; <= %.0f B/msg beyond the text;\n"
           "10^4 messages end to end < 10 s and < 500 MB; 10^5 < 120 s and < 4 GB;\n"
           "each tenfold step <= ~%.0fx\n",
           TARGET_RATE, TARGET_BYTES, TARGET_GROWTH);
    for (guint i = 0; i < results->len; i++) {
        Result *r = &g_array_index(results, Result, i);
        double rate = (double) r->delivered / MAX(r->stage[ST_SIM], 1e-6);
        printf("  %7u messages: simulate %.0f msg/s (%s), %.0f B/msg (%s)", r->messages, rate,
               rate >= TARGET_RATE ? "met" : "NOT met", r->bytes_per_message,
               verdict(r->bytes_per_message, TARGET_BYTES));
        if (r->messages == 10000 || r->messages == 100000) {
            double s_max = r->messages == 10000 ? 10 : 120;
            double mib_max = r->messages == 10000 ? 500 : 4096;
            printf("; end to end %s (time), %s (memory)", verdict(r->e2e_seconds, s_max),
                   r->e2e_seconds < 0 ? "not measured" : verdict(r->e2e_mib, mib_max));
        }
        printf("\n");
    }

    double svg_png_pdf = lecture_run(dir, "--format=svg,png,pdf");
    double plain = lecture_run(dir, NULL);
    printf("\nlecture scale, scenarios/smtp-basic.mss end to end (best of 5):\n"
           "  --format=svg,png,pdf %.3f s (target < 0.3 s: %s)\n"
           "  default outputs      %.3f s (target < 0.1 s: %s)\n",
           svg_png_pdf, verdict(svg_png_pdf, 0.3), plain, verdict(plain, 0.1));
    g_array_unref(results);
    g_rmdir(dir);
    return status || svg_png_pdf < 0 || plain < 0;
}
