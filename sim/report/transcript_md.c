/* transcript_md.c - the transcript as a Markdown document, for pasting into
 * lecture notes and slides: a timeline of what the agents and servers did,
 * then one table per TCP connection with its lines, phases and annotations.
 *
 * The items are the text transcript's (transcript_items.c), so both show
 * the same lines, notes and elisions.
 */
#include "mailsim/report.h"

#include <string.h>

#include "report/report-private.h"

/* Escapes text for a table cell: Markdown's punctuation, and < > & so that
 * "<CR>" or a Message-ID is not taken for HTML. */
static void append_escaped(GString *out, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '#':
            g_string_append_c(out, '\\');
            g_string_append_c(out, *p);
            break;
        default:
            g_string_append_c(out, *p);
            break;
        }
    }
}

/* A protocol line as inline code.  The fence is longer than any run of
 * backticks inside; a pipe is escaped even there (GFM tables). */
static void append_code(GString *out, const char *s, const char *lang)
{
    if (*s == '\0') {
        g_string_append_c(out, '*');
        g_string_append(out, TR(lang, N_("(empty line)")));
        g_string_append_c(out, '*');
        return;
    }
    guint run = 0, longest = 0;
    for (const char *p = s; *p != '\0'; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = MAX(longest, run);
    }
    GString *fence = g_string_new(NULL);
    for (guint i = 0; i <= longest; i++)
        g_string_append_c(fence, '`');
    gboolean pad = s[0] == '`' || s[strlen(s) - 1] == '`' || s[0] == ' ';
    g_string_append(out, fence->str);
    if (pad)
        g_string_append_c(out, ' ');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '|')
            g_string_append(out, "\\|");
        else
            g_string_append_c(out, *p);
    }
    if (pad)
        g_string_append_c(out, ' ');
    g_string_append(out, fence->str);
    g_string_free(fence, TRUE);
}

static void append_notes(GString *out, const MsItem *item)
{
    for (guint i = 0; i < item->n_notes; i++) {
        if (i > 0)
            g_string_append(out, "<br>");
        append_escaped(out, ms_item_note(item, i));
    }
}

static const char *arrow_text(MsArrow arrow)
{
    switch (arrow) {
    case MS_ARROW_TO_CLIENT:
        return "\u2190";
    case MS_ARROW_BOTH:
        return "\u2194";
    case MS_ARROW_TO_SERVER:
    case MS_ARROW_NONE:
    default:
        return "\u2192";
    }
}

static void append_row(GString *out, const MsItem *item, const MsReportOptions *options)
{
    g_autofree char *time = ms_time_format_ms(item->time);
    switch (item->kind) {
    case MS_ITEM_PHASE:
        g_string_append(out, "| | | **");
        append_escaped(out, item->text);
        g_string_append(out, "** |");
        break;
    case MS_ITEM_LINE:
        g_string_append_printf(out, "| %s | %s | ", time,
                               item->dir == MS_DIR_SERVER ? "S:" : "C:");
        append_code(out, item->text, options->lang);
        g_string_append(out, " |");
        break;
    case MS_ITEM_SEGMENT:
        g_string_append_printf(out, "| %s | %s | ", time, arrow_text(item->arrow));
        append_code(out, item->text, options->lang);
        g_string_append(out, " |");
        break;
    case MS_ITEM_ELIDED:
        g_string_append_printf(out, "| | %s | *", arrow_text(item->arrow));
        append_escaped(out, item->text);
        g_string_append(out, "* |");
        break;
    case MS_ITEM_CONN:
    case MS_ITEM_EVENT:
    default:
        g_string_append_printf(out, "| %s | %s | *", time, arrow_text(item->arrow));
        append_escaped(out, item->text);
        g_string_append(out, "* |");
        break;
    }
    if (options->notes) {
        g_string_append_c(out, ' ');
        append_notes(out, item);
        g_string_append(out, " |");
    }
    g_string_append_c(out, '\n');
}

static void append_timeline(GString *out, FILE *file, GPtrArray *items, const char *lang)
{
    g_string_append_printf(out, "## %s\n\n", TR(lang, N_("Timeline")));
    g_string_append_printf(out, "| %s | %s | %s |\n|---:|---|---|\n", TR(lang, N_("Time (ms)")),
                           TR(lang, N_("Where")), TR(lang, N_("What happens")));
    for (guint i = 0; i < items->len; i++) {
        const MsItem *item = g_ptr_array_index(items, i);
        gboolean open = item->kind == MS_ITEM_CONN && item->record_kind == MS_TRACE_CONN_OPEN;
        gboolean done = item->kind == MS_ITEM_CONN &&
                        item->record_kind != MS_TRACE_CONN_ESTABLISHED && !open;
        if (item->kind != MS_ITEM_EVENT && !open && !done)
            continue;
        g_autofree char *time = ms_time_format_ms(item->time);
        g_string_append_printf(out, "| %s | ", time);
        if (item->kind == MS_ITEM_EVENT)
            append_escaped(out, ms_item_who(item) != NULL ? ms_item_who(item) : "");
        else
            g_string_append_printf(out, "[%u] %s", item->conn->id, item->conn->protocol);
        g_string_append(out, " | ");
        append_escaped(out, item->text);
        g_string_append(out, " |\n");
        ms_report_flush(out, file);
    }
    g_string_append_c(out, '\n');
}

/* rows: the connection's items (const MsItem *), in print order. */
static void append_connection(GString *out, FILE *file, GPtrArray *rows,
                              const MsReportConn *conn, const MsReportOptions *options)
{
    const char *lang = options->lang;
    g_autofree char *label = ms_report_conn_label(conn, MS_ARROW_TO_SERVER);
    g_string_append_printf(out, "## %s ", conn->protocol);
    append_escaped(out, label);
    g_string_append(out, "\n\n");
    g_string_append_printf(out, "| %s | | %s |", TR(lang, N_("Time (ms)")), TR(lang, N_("Line")));
    if (options->notes)
        g_string_append_printf(out, " %s |", TR(lang, N_("What it does")));
    g_string_append(out, options->notes ? "\n|---:|:-:|---|---|\n" : "\n|---:|:-:|---|\n");
    for (guint i = 0; i < rows->len; i++) {
        append_row(out, g_ptr_array_index(rows, i), options);
        ms_report_flush(out, file);
    }
    g_string_append_c(out, '\n');
}

/* The items of each connection, by connection id (entry 0 unused), in one
 * pass over the items: the tables then cost their own length, not a scan
 * of the whole transcript each (transfer full). */
static void rows_free(gpointer rows)
{
    if (rows != NULL)
        g_ptr_array_unref(rows);
}

static GPtrArray *rows_by_conn(GPtrArray *items, guint n_conns)
{
    GPtrArray *by_conn = g_ptr_array_new_full(n_conns, rows_free);
    for (guint id = 0; id < n_conns; id++)
        g_ptr_array_add(by_conn, NULL);
    for (guint i = 0; i < items->len; i++) {
        const MsItem *item = g_ptr_array_index(items, i);
        if (item->conn == NULL || item->kind == MS_ITEM_EVENT || item->conn->id >= n_conns)
            continue;
        GPtrArray *rows = g_ptr_array_index(by_conn, item->conn->id);
        if (rows == NULL) {
            rows = g_ptr_array_new();
            g_ptr_array_index(by_conn, item->conn->id) = rows;
        }
        g_ptr_array_add(rows, (gpointer) item);
    }
    return by_conn;
}

void ms_report_transcript_md_write(GString *out, FILE *file, GPtrArray *items, GPtrArray *conns,
                                   const MsReportOptions *options)
{
    const char *lang = options->lang;
    g_autofree char *title = ms_report_format(lang, N_("Transcript: {1}"),
                                              options->scenario_name, NULL);
    g_autofree char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, options->seed);
    g_autofree char *file_line = ms_report_format(lang, N_("Scenario file: {1}, seed {2}"),
                                                  options->scenario_file, seed, NULL);
    g_string_append(out, "# ");
    append_escaped(out, title);
    g_string_append(out, "\n\n");
    append_escaped(out, file_line);
    g_string_append(out, "\n\n");
    g_string_append(out, TR(lang, N_("Times are simulated milliseconds since the start, to the"
                                     " microsecond. C: is the client, the side that opened the"
                                     " connection; S: is the server; → and ← show which way a"
                                     " TCP event went.")));
    g_string_append(out, "\n\n");
    append_timeline(out, file, items, lang);
    g_autoptr(GPtrArray) by_conn = rows_by_conn(items, conns->len);
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    for (guint id = 1; id < conns->len; id++) {
        const MsReportConn *conn = g_ptr_array_index(conns, id);
        GPtrArray *rows = g_ptr_array_index(by_conn, id);
        if (conn != NULL)
            append_connection(out, file, rows != NULL ? rows : none, conn, options);
    }
}

static char *transcript_md(const MsTrace *trace, const MsReportOptions *options)
{
    g_autoptr(MsReportItems) ri = ms_report_items(trace, options);
    GString *out = g_string_new(NULL);
    ms_report_transcript_md_write(out, NULL, ri->items, ri->conns, options);
    return g_string_free(out, FALSE);
}

char *ms_report_transcript_md(const MsTrace *trace, const MsReportOptions *options)
{
    ms_report_lang_enter(options->lang);
    char *text = transcript_md(trace, options);
    ms_report_lang_leave(options->lang);
    return text;
}
