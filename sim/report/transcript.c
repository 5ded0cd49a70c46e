/* transcript.c - the transcript: every protocol line of every connection in
 * time order, with the simulated time, the connection, the two hosts, C: or
 * S: for the client and server side, and the protocol phase it belongs to.
 *
 * It is built from the trace log alone.  Lines are printed when they were
 * sent; the diagram shows when they arrived.
 */
#include "mailsim/report.h"

#include <string.h>

#include "report/report-private.h"

void ms_report_options_init(MsReportOptions *options)
{
    memset(options, 0, sizeof *options);
    options->scenario_name = "";
    options->scenario_file = "";
    options->seed = 1;
    options->notes = TRUE;
    options->lang = "en";
}

char *ms_report_escape_text(const char *text)
{
    GString *out = g_string_new(NULL);
    const char *p = text;
    while (*p != '\0') {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            g_string_append_printf(out, "\\x%02X", (guchar) *p);
            p++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            if (c == '\t')
                g_string_append(out, "\\t");
            else if (c == '\r')
                g_string_append(out, "<CR>");
            else if (c == '\n')
                g_string_append(out, "<LF>");
            else
                g_string_append_printf(out, "\\x%02X", (guint) c);
        } else {
            g_string_append_unichar(out, c);
        }
        p = g_utf8_next_char(p);
    }
    return g_string_free(out, FALSE);
}

/* Per connection: what the transcript remembers to print headings. */
typedef struct {
    const char *protocol;
    const char *client;
    const char *server;
    guint16 client_port;
    guint16 server_port;
    const char *phase; /* last phase heading printed */
} ConnInfo;

static ConnInfo *conn_info(GPtrArray *conns, guint id)
{
    while (conns->len <= id)
        g_ptr_array_add(conns, g_new0(ConnInfo, 1));
    return g_ptr_array_index(conns, id);
}

static void append_time(GString *out, MsTime t)
{
    g_autofree char *ms = ms_time_format_ms(t);
    g_string_append_printf(out, "%12s  ", ms);
}

/* The width of the "[n] a → b" column, so C:/S: line up for the whole file. */
static guint route_width(const MsTrace *trace)
{
    guint width = 0;
    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i);
        if (r->kind != MS_TRACE_LINE)
            continue;
        g_autofree char *s = g_strdup_printf("[%u] %s > %s", r->conn, r->src, r->dst);
        width = MAX(width, (guint) g_utf8_strlen(s, -1));
    }
    return width;
}

static void append_route(GString *out, const MsTraceRecord *r, guint width)
{
    g_autofree char *s = g_strdup_printf("[%u] %s \u2192 %s", r->conn, r->src, r->dst);
    g_string_append(out, s);
    for (guint n = (guint) g_utf8_strlen(s, -1); n < width + 2; n++)
        g_string_append_c(out, ' ');
}

static void append_line(GString *out, const MsTraceRecord *r, guint width,
                        const MsReportOptions *options)
{
    append_time(out, r->time);
    append_route(out, r, width);
    g_string_append(out, r->dir == MS_DIR_CLIENT ? "C: " : "S: ");
    g_autofree char *text = ms_report_escape_text(r->text != NULL ? r->text : "");
    g_string_append(out, text);
    /* RFC 5321 2.3.8: only CRLF ends a line; make any other ending visible. */
    if (r->eol != NULL && strcmp(r->eol, "\r\n") != 0) {
        g_autofree char *eol = ms_report_escape_text(r->eol);
        g_string_append_printf(out, "%s", *r->eol != '\0' ? eol : "<no line end>");
    }
    if (options->notes && r->note != NULL) {
        const char *note = ms_report_note_text(r->note, options->lang);
        if (note != NULL)
            g_string_append_printf(out, "\n%*s%s", 14 + (int) width + 2 + 3, "", note);
    }
    g_string_append_c(out, '\n');
}

static void append_heading(GString *out, guint conn, const char *phase,
                           const MsReportOptions *options)
{
    const char *name = ms_report_phase_text(phase, options->lang);
    g_string_append_printf(out, "%14s-- [%u] %s --\n", "", conn, name != NULL ? name : phase);
}

static void append_event(GString *out, const MsTraceRecord *r, GPtrArray *conns,
                         const MsReportOptions *options)
{
    ConnInfo *ci = r->conn != 0 ? conn_info(conns, r->conn) : NULL;
    switch (r->kind) {
    case MS_TRACE_CONN_OPEN:
        ci->protocol = r->protocol;
        ci->client = r->src;
        ci->server = r->dst;
        ci->client_port = r->src_port;
        ci->server_port = r->dst_port;
        ci->phase = NULL;
        append_time(out, r->time);
        g_string_append_printf(out, "[%u] %s:%u opens a TCP connection to %s:%u (%s)\n",
                               r->conn, r->src, r->src_port, r->dst, r->dst_port,
                               r->protocol != NULL ? r->protocol : "?");
        break;
    case MS_TRACE_CONN_ESTABLISHED:
        append_time(out, r->time);
        if (r->dir == MS_DIR_CLIENT)
            g_string_append_printf(out, "[%u] %s: SYN-ACK received, connection established\n",
                                   r->conn, r->src);
        else
            g_string_append_printf(out, "[%u] %s: ACK received, three-way handshake complete\n",
                                   r->conn, r->src);
        break;
    case MS_TRACE_CONN_REFUSED:
        append_time(out, r->time);
        g_string_append_printf(out, "[%u] connection to %s:%u failed: %s\n", r->conn,
                               ci->server != NULL ? ci->server : "?", ci->server_port,
                               r->detail != NULL ? r->detail : "refused");
        break;
    case MS_TRACE_CONN_CLOSE:
        append_time(out, r->time);
        g_string_append_printf(out, "[%u] TCP connection closed\n", r->conn);
        break;
    case MS_TRACE_CONN_ABORT:
        append_time(out, r->time);
        g_string_append_printf(out, "[%u] TCP connection aborted: %s\n", r->conn,
                               r->detail != NULL ? r->detail : "too many retransmissions");
        break;
    case MS_TRACE_SEGMENT_SENT:
    case MS_TRACE_SEGMENT_LOST:
        if (!options->tcp)
            break;
        append_time(out, r->time);
        ms_report_append_segment(out, r);
        g_string_append_c(out, '\n');
        break;
    case MS_TRACE_ACTION:
    case MS_TRACE_QUEUE:
    case MS_TRACE_MAILBOX:
    case MS_TRACE_MESSAGE:
    case MS_TRACE_LINK:
    case MS_TRACE_ERROR:
        if (r->detail == NULL)
            break;
        append_time(out, r->time);
        g_string_append_printf(out, "%s%s%s\n", r->src != NULL ? r->src : "",
                               r->src != NULL ? ": " : "", r->detail);
        break;
    default:
        break;
    }
}

char *ms_report_transcript(const MsTrace *trace, const MsReportOptions *options)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func(g_free);
    guint width = route_width(trace);

    g_string_append_printf(out, "Transcript: %s\n", options->scenario_name);
    g_string_append_printf(out, "Scenario file: %s, seed %" G_GUINT64_FORMAT "\n",
                           options->scenario_file, options->seed);
    g_string_append(out, "Time: simulated milliseconds since the start (microsecond precision).\n"
                         "[n] is the TCP connection; C: is the client, the side that opened it; "
                         "S: is the server.\n\n");

    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i);
        if (r->kind != MS_TRACE_LINE) {
            append_event(out, r, conns, options);
            continue;
        }
        ConnInfo *ci = conn_info(conns, r->conn);
        if (r->phase != NULL && (ci->phase == NULL || strcmp(ci->phase, r->phase) != 0)) {
            append_heading(out, r->conn, r->phase, options);
            ci->phase = r->phase;
        }
        append_line(out, r, width, options);
    }
    return g_string_free(out, FALSE);
}
