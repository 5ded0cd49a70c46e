/* bench_diagram.c - how long a long sequence diagram takes to draw.
 *
 * A synthetic trace of 2,000 protocol lines (100 SMTP sessions of 20 lines
 * each, between four hosts, over a 2 ms and a 40 ms link, a quarter of the
 * replies multi-line) is turned into the diagram model and rendered to SVG
 * on one page, the case where a layout engine would hurt most.  The target
 * is under 2 s for model, Graphviz graph, `nop2` layout and SVG together;
 * each figure is the best of three runs.
 */
#include "mailsim/diagram.h"

#include <glib/gstdio.h>
#include <stdio.h>

#define N_ARROWS 2000
#define LINES_PER_SESSION 20
#define REPEATS 3
#define TARGET_SECONDS 2.0

static MsTrace *synthetic_trace(void)
{
    static const char *const commands[] = { "EHLO alice-pc", "MAIL FROM:<alice@crepes.fr>",
                                            "RCPT TO:<bob@hamburger.edu>", "DATA",
                                            "Subject: benchmark", "QUIT" };
    MsTrace *trace = ms_trace_new();
    MsTime now = 0;
    guint line = 0;
    for (guint session = 0; line < N_ARROWS; session++) {
        /* Submissions over the LAN, relays over the long-distance link. */
        gboolean relay = session % 2 == 1;
        const char *client = relay ? "crepes.fr" : "alice-pc";
        const char *server = relay ? "hamburger.edu" : "crepes.fr";
        MsTime delay = relay ? 40 * MS_MSEC : 2 * MS_MSEC;
        MsTraceRecord open = { 0 };
        open.kind = MS_TRACE_CONN_OPEN;
        open.time = now;
        open.arrival = -1;
        open.conn = session + 1;
        open.protocol = "SMTP";
        open.src = client;
        open.dst = server;
        open.src_port = (guint16) (40000 + session);
        open.dst_port = 25;
        ms_trace_emit(trace, &open);
        for (guint k = 0; k < LINES_PER_SESSION && line < N_ARROWS; k++) {
            gboolean from_client = k % 2 == 1;
            /* Every fourth reply is three lines in one segment. */
            guint burst = (!from_client && k % 4 == 2) ? 3 : 1;
            for (guint b = 0; b < burst && line < N_ARROWS; b++, line++) {
                char text[64];
                if (from_client)
                    g_snprintf(text, sizeof text, "%s", commands[(k / 2) % G_N_ELEMENTS(commands)]);
                else
                    g_snprintf(text, sizeof text, "250%c%s line %u", b + 1 < burst ? '-' : ' ',
                               server, line);
                MsTraceRecord r = { 0 };
                r.kind = MS_TRACE_LINE;
                r.time = now;
                r.arrival = now + delay;
                r.conn = session + 1;
                r.protocol = "SMTP";
                r.dir = from_client ? MS_DIR_CLIENT : MS_DIR_SERVER;
                r.src = from_client ? client : server;
                r.dst = from_client ? server : client;
                r.src_port = from_client ? open.src_port : 25;
                r.dst_port = from_client ? 25 : open.src_port;
                r.text = text;
                r.eol = "\r\n";
                r.phase = k < 4 ? "smtp.handshake" : k < 16 ? "smtp.transfer" : "smtp.closure";
                ms_trace_emit(trace, &r);
            }
            now += delay;
        }
        now += 5 * MS_MSEC;
    }
    return trace;
}

int main(void)
{
    g_autoptr(MsTrace) trace = synthetic_trace();
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("mailsim-bench-XXXXXX", &error);
    if (dir == NULL) {
        fprintf(stderr, "bench_diagram: %s\n", error->message);
        return 1;
    }
    g_autofree char *path = g_build_filename(dir, "sequence.svg", NULL);
    MsDiagramOptions options;
    ms_diagram_options_init(&options);

    double best_model = 1e9, best_total = 1e9;
    guint arrows = 0;
    for (int run = 0; run < REPEATS; run++) {
        gint64 start = g_get_monotonic_time();
        g_autoptr(MsDiagram) d = ms_diagram_new(trace, NULL, &options);
        gint64 built = g_get_monotonic_time();
        if (!ms_diagram_render(d, 0, MS_DIAGRAM_SVG, path, &error)) {
            fprintf(stderr, "bench_diagram: %s\n", error->message);
            return 1;
        }
        gint64 end = g_get_monotonic_time();
        arrows = ms_diagram_n_arrows(d);
        best_model = MIN(best_model, (double) (built - start) / 1e6);
        best_total = MIN(best_total, (double) (end - start) / 1e6);
    }
    GStatBuf st;
    gint64 size = g_stat(path, &st) == 0 ? (gint64) st.st_size : -1;
    printf("sequence diagram: %u arrows on one page, rendered to SVG (%.1f MiB)\n", arrows,
           (double) size / (1024.0 * 1024.0));
    printf("best of %d runs: model %.3f s, model + graph + nop2 + SVG %.3f s\n", REPEATS,
           best_model, best_total);
    printf("target: under %.1f s: %s\n", TARGET_SECONDS, best_total < TARGET_SECONDS ? "met" : "NOT met");
    g_unlink(path);
    g_rmdir(dir);
    ms_diagram_shutdown();
    return 0;
}
