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
    /* The runs between the characters to escape are copied whole. */
    const char *run = s;
    const char *p = s;
    const char *end = s + strlen(s);
    for (; p < end; p++) {
        /* Sixteen octets at a time past those that need nothing. */
        while (end - p >= 16) {
            MsOctets16 x = ms_octets16_load(p);
            guint at = ms_octets16_first(
                (MsOctets16) ((x == '<') | (x == '>') | (x == '&') | (x == '\\') | (x == '`') |
                              (x == '*') | (x == '_') | (x == '[') | (x == ']') | (x == '|') |
                              (x == '#')));
            p += at;
            if (at < 16)
                break;
        }
        if (p == end)
            break;
        const char *entity = NULL;
        switch (*p) {
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '&':
            entity = "&amp;";
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '#':
            break;
        default:
            continue;
        }
        ms_report_put(out, run, (gsize) (p - run));
        if (entity != NULL) {
            ms_report_puts(out, entity);
        } else {
            g_string_append_c(out, '\\');
            g_string_append_c(out, *p);
        }
        run = p + 1;
    }
    ms_report_put(out, run, (gsize) (end - run));
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
    for (const char *p = strchr(s, '`'); p != NULL && *p != '\0'; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = MAX(longest, run);
    }
    gsize len = strlen(s);
    gboolean pad = s[0] == '`' || s[len - 1] == '`' || s[0] == ' ';
    for (guint i = 0; i <= longest; i++)
        g_string_append_c(out, '`');
    if (pad)
        g_string_append_c(out, ' ');
    const char *p = s;
    for (const char *bar = strchr(p, '|'); bar != NULL; bar = strchr(p, '|')) {
        ms_report_put(out, p, (gsize) (bar - p));
        ms_report_puts(out, "\\|");
        p = bar + 1;
    }
    ms_report_put(out, p, (gsize) (s + len - p));
    if (pad)
        g_string_append_c(out, ' ');
    for (guint i = 0; i <= longest; i++)
        g_string_append_c(out, '`');
}

static void append_notes(GString *out, const MsItem *item)
{
    for (guint i = 0; i < item->n_notes; i++) {
        if (i > 0)
            ms_report_puts(out, "<br>");
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

/* "| 16.601 | " */
static void append_time_cell(GString *out, MsTime t)
{
    char time[MS_TIME_FORMAT_MS_SIZE];
    gsize len = ms_time_format_ms_buf(t, time);
    ms_report_puts(out, "| ");
    ms_report_put(out, time, len);
    ms_report_puts(out, " | ");
}

static void append_row(GString *out, const MsItem *item, const MsReportOptions *options)
{
    switch (item->kind) {
    case MS_ITEM_PHASE:
        ms_report_puts(out, "| | | **");
        append_escaped(out, item->text);
        ms_report_puts(out, "** |");
        break;
    case MS_ITEM_LINE:
        append_time_cell(out, item->time);
        ms_report_puts(out, item->dir == MS_DIR_SERVER ? "S: | " : "C: | ");
        append_code(out, item->text, options->lang);
        ms_report_puts(out, " |");
        break;
    case MS_ITEM_SEGMENT:
        append_time_cell(out, item->time);
        ms_report_puts(out, arrow_text(item->arrow));
        ms_report_puts(out, " | ");
        append_code(out, item->text, options->lang);
        ms_report_puts(out, " |");
        break;
    case MS_ITEM_ELIDED:
        ms_report_puts(out, "| | ");
        ms_report_puts(out, arrow_text(item->arrow));
        ms_report_puts(out, " | *");
        append_escaped(out, item->text);
        ms_report_puts(out, "* |");
        break;
    case MS_ITEM_CONN:
    case MS_ITEM_EVENT:
    default:
        append_time_cell(out, item->time);
        ms_report_puts(out, arrow_text(item->arrow));
        ms_report_puts(out, " | *");
        append_escaped(out, item->text);
        ms_report_puts(out, "* |");
        break;
    }
    if (options->notes) {
        g_string_append_c(out, ' ');
        append_notes(out, item);
        ms_report_puts(out, " |");
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
        append_time_cell(out, item->time);
        if (item->kind == MS_ITEM_EVENT) {
            append_escaped(out, ms_item_who(item) != NULL ? ms_item_who(item) : "");
        } else {
            g_string_append_c(out, '[');
            ms_report_append_int(out, item->conn->id);
            ms_report_puts(out, "] ");
            ms_report_puts(out, item->conn->protocol);
        }
        ms_report_puts(out, " | ");
        append_escaped(out, item->text);
        ms_report_puts(out, " |\n");
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
                                              ms_report_scenario_title(options, lang), NULL);
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
