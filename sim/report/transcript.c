/* transcript.c - the transcript as text: every protocol line of every
 * connection in time order, one per line, with the simulated time, the
 * connection (client host:port, an arrow for the way the line went, server
 * host:port), C: or S:, the line as sent, and below it what the step does;
 * phase headings where a protocol changes phase; the events of queues and
 * mailboxes between them.
 *
 *     16.601  [1] alice-pc:49152 → crepes.fr:25   C: .
 *             ↳ a line with only ".": the end of the message text (CRLF.CRLF)
 *
 * The items come from transcript_items.c; this file only lays them out.
 */
#include "mailsim/report.h"

#include <string.h>

#include "report/report-private.h"

/* Annotations and event sentences wrap at this many columns. */
#define WRAP_WIDTH 100

void ms_report_options_init(MsReportOptions *options)
{
    memset(options, 0, sizeof *options);
    options->scenario_name = "";
    options->scenario_file = "";
    options->seed = 1;
    options->notes = TRUE;
    options->lang = "en";
    options->html_lines = MS_REPORT_HTML_LINES_DEFAULT;
}

gboolean ms_report_is_invisible(gunichar c)
{
    return c == 0x00ad || c == 0x061c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2064) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0xfeff || (c >= 0xe0000 && c <= 0xe007f);
}

void ms_report_append_escaped(GString *out, const char *text, guint flags)
{
    const char *p = text != NULL ? text : "";
    while (*p != '\0') {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            g_string_append_printf(out, "\\x%02X", (guchar) *p);
            p++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            if (c == '\t')
                g_string_append(out, flags & MS_ESCAPE_KEEP_TAB ? "\t" : "\\t");
            else if (c == '\n' && (flags & MS_ESCAPE_KEEP_LF))
                g_string_append_c(out, '\n');
            else if (c == '\r')
                g_string_append(out, "<CR>");
            else if (c == '\n')
                g_string_append(out, "<LF>");
            else
                g_string_append_printf(out, "\\x%02X", (guint) c);
        } else if ((flags & MS_ESCAPE_C1) && ((c >= 0x80 && c < 0xa0) || c == 0xfffe ||
                                             c == 0xffff)) {
            g_string_append_printf(out, "\\u%04X", (guint) c);
        } else if ((flags & MS_ESCAPE_INVISIBLE) && ms_report_is_invisible(c)) {
            /* A right-to-left override would show "fail" as "liaf" and
             * a zero-width space splits a word unseen: each is named. */
            g_string_append_printf(out, "<U+%04X>", (guint) c);
        } else {
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
        p = g_utf8_next_char(p);
    }
}

char *ms_report_escape_text(const char *text)
{
    GString *out = g_string_new(NULL);
    ms_report_append_escaped(out, text, MS_ESCAPE_C1 | MS_ESCAPE_INVISIBLE);
    return g_string_free(out, FALSE);
}

/* ---- Columns and wrapping --------------------------------------------------- */

static guint char_width(gunichar c)
{
    /* ASCII (controls included) is neither zero-width nor wide: most of a
     * transcript, and it is written once per line. */
    if (c < 0x80)
        return 1;
    if (g_unichar_iszerowidth(c))
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

guint ms_report_text_width(const char *s)
{
    guint w = 0;
    for (const char *p = s; *p != '\0';) {
        if ((guchar) *p < 0x80) {
            w++;
            p++;
            continue;
        }
        w += char_width(g_utf8_get_char(p));
        p = g_utf8_next_char(p);
    }
    return w;
}

static gboolean is_wide(gunichar c)
{
    return c >= 0x80 && g_unichar_iswide(c);
}

void ms_report_append_padded(GString *out, const char *s, guint width)
{
    ms_report_puts(out, s);
    for (guint w = ms_report_text_width(s); w < width; w++)
        g_string_append_c(out, ' ');
}

static void append_spaces(GString *out, guint n)
{
    for (guint i = 0; i < n; i++)
        g_string_append_c(out, ' ');
}

/* Chinese punctuation that must not begin a line, and that must not end
 * one. */
static gboolean no_break_before(gunichar c)
{
    return c != 0 && g_utf8_strchr("，。、；：）」』！？》”", -1, c) != NULL;
}

static gboolean no_break_after(gunichar c)
{
    return c != 0 && g_utf8_strchr("（「『《“", -1, c) != NULL;
}

void ms_report_append_wrapped(GString *out, const char *s, guint first_col, guint indent,
                              guint width)
{
    guint col = first_col;
    gboolean first = TRUE;
    const char *p = s;
    while (*p != '\0') {
        gboolean space = FALSE;
        while (*p == ' ') {
            space = TRUE;
            p++;
        }
        if (*p == '\0')
            break;
        /* A token runs up to a space, or up to where a line may break
         * between two characters when one of them is wide (Chinese has no
         * spaces), except before closing and after opening punctuation. */
        const char *start = p;
        guint w = 0;
        gunichar last = 0;
        gboolean last_wide = FALSE;
        while (*p != '\0' && *p != ' ') {
            /* ASCII after a narrow character: no break, one column (most
             * of a transcript). */
            if ((guchar) *p < 0x80 && !last_wide) {
                last = (guchar) *p++;
                w++;
                continue;
            }
            gunichar d = g_utf8_get_char(p);
            gboolean wide = is_wide(d);
            /* The punctuation tables are asked only beside a wide one. */
            gboolean breakable = p != start && (wide || last_wide) && !no_break_after(last) &&
                                 !no_break_before(d);
            if (breakable)
                break;
            w += char_width(d);
            last = d;
            last_wide = wide;
            p = g_utf8_next_char(p);
        }
        guint gap = space && !first ? 1 : 0;
        if (!first && col + gap + w > width) {
            g_string_append_c(out, '\n');
            append_spaces(out, indent);
            col = indent;
            gap = 0;
        }
        if (gap > 0)
            g_string_append_c(out, ' ');
        ms_report_put(out, start, (gsize) (p - start));
        col += gap + w;
        first = FALSE;
    }
}

/* ---- Layout ------------------------------------------------------------------ */

typedef struct {
    guint time_width;  /* "5037.585" */
    guint label_width; /* "[2] crepes.fr:49152 → hamburger.edu:25" */
    /* Each note's text wrapped under an item (transfer full), by its
     * address: a long transcript prints the same few hundred notes
     * hundreds of thousands of times, and they always wrap alike. */
    GHashTable *wrapped_notes;
} Columns;

static Columns measure(GPtrArray *items)
{
    Columns c = { 8, 0, g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free) };
    /* A connection's label is measured once, not on each of its lines. */
    g_autoptr(GArray) measured = g_array_new(FALSE, TRUE, sizeof(gboolean));
    g_autoptr(GString) label = g_string_new(NULL);
    for (guint i = 0; i < items->len; i++) {
        const MsItem *item = g_ptr_array_index(items, i);
        char t[MS_TIME_FORMAT_MS_SIZE];
        c.time_width = MAX(c.time_width, (guint) ms_time_format_ms_buf(item->time, t));
        if (item->conn == NULL)
            continue;
        if (item->conn->id >= measured->len)
            g_array_set_size(measured, item->conn->id + 1);
        if (g_array_index(measured, gboolean, item->conn->id))
            continue;
        g_array_index(measured, gboolean, item->conn->id) = TRUE;
        g_string_truncate(label, 0);
        ms_report_append_conn_label(label, item->conn, MS_ARROW_TO_SERVER);
        c.label_width = MAX(c.label_width, ms_report_text_width(label->str));
    }
    return c;
}

static void append_time(GString *out, const Columns *c, MsTime t)
{
    char ms[MS_TIME_FORMAT_MS_SIZE];
    guint len = (guint) ms_time_format_ms_buf(t, ms);
    append_spaces(out, c->time_width - MIN(c->time_width, len));
    ms_report_put(out, ms, len);
    ms_report_puts(out, "  ");
}

/* The connection column, padded to its width. */
static void append_label(GString *out, const Columns *c, const MsItem *item)
{
    gsize start = out->len;
    ms_report_append_conn_label(out, item->conn, item->arrow);
    for (guint w = ms_report_text_width(out->str + start); w < c->label_width + 2; w++)
        g_string_append_c(out, ' ');
}

static void append_notes(GString *out, const Columns *c, const MsItem *item)
{
    guint indent = c->time_width + 2;
    for (guint i = 0; i < item->n_notes; i++) {
        const char *note = ms_item_note(item, i);
        const char *wrapped = g_hash_table_lookup(c->wrapped_notes, note);
        if (wrapped == NULL) {
            GString *w = g_string_new(NULL);
            ms_report_append_wrapped(w, note, indent + 2, indent + 2, WRAP_WIDTH);
            char *text = g_string_free(w, FALSE);
            g_hash_table_insert(c->wrapped_notes, (gpointer) note, text);
            wrapped = text;
        }
        append_spaces(out, indent);
        ms_report_puts(out, "\u21b3 ");
        ms_report_puts(out, wrapped);
        g_string_append_c(out, '\n');
    }
}

static void append_item(GString *out, const Columns *c, const MsItem *item)
{
    guint text_col = c->time_width + 2 + c->label_width + 2;
    switch (item->kind) {
    case MS_ITEM_PHASE:
        append_spaces(out, c->time_width + 2);
        ms_report_puts(out, "-- [");
        ms_report_append_int(out, item->conn->id);
        ms_report_puts(out, "] ");
        ms_report_puts(out, item->text);
        ms_report_puts(out, " --\n");
        return;
    case MS_ITEM_EVENT: {
        append_time(out, c, item->time);
        const char *who = ms_item_who(item);
        g_autofree char *line = who != NULL ? g_strdup_printf("%s: %s", who, item->text)
                                            : g_strdup(item->text);
        ms_report_append_wrapped(out, line, c->time_width + 2, c->time_width + 4, WRAP_WIDTH);
        g_string_append_c(out, '\n');
        break;
    }
    case MS_ITEM_ELIDED: {
        append_spaces(out, c->time_width + 2);
        append_label(out, c, item);
        ms_report_puts(out, "   ");
        ms_report_puts(out, item->text);
        g_string_append_c(out, '\n');
        break;
    }
    case MS_ITEM_LINE:
    case MS_ITEM_CONN:
    case MS_ITEM_SEGMENT:
    default: {
        append_time(out, c, item->time);
        append_label(out, c, item);
        if (item->kind == MS_ITEM_LINE) {
            ms_report_puts(out, item->dir == MS_DIR_SERVER ? "S: " : "C: ");
            ms_report_puts(out, item->text);
        } else if (item->kind == MS_ITEM_CONN) {
            ms_report_append_wrapped(out, item->text, text_col, text_col, WRAP_WIDTH);
        } else {
            ms_report_puts(out, item->text);
        }
        g_string_append_c(out, '\n');
        break;
    }
    }
    append_notes(out, c, item);
}

static void append_header(GString *out, const MsReportOptions *options)
{
    const char *lang = options->lang;
    g_autofree char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, options->seed);
    g_autofree char *title = ms_report_format(lang, N_("Transcript: {1}"),
                                              ms_report_scenario_title(options, lang), NULL);
    g_autofree char *file = ms_report_format(lang, N_("Scenario file: {1}, seed {2}"),
                                             options->scenario_file, seed, NULL);
    g_string_append_printf(out, "%s\n%s\n\n", title, file);
    /* One paragraph per variant, so that a language joins its sentences in
     * its own way. */
    const char *legend =
        options->notes
            ? N_("Times are simulated milliseconds since the start, to the microsecond. [n]"
                 " is a TCP connection, written client host:port first; the arrow shows which"
                 " way each line went (→ to the server, ← to the client). C: is the client,"
                 " the side that opened the connection; S: is the server. ↳ says what the"
                 " step does. A line ending other than CRLF is shown as <CR> or <LF>.")
            : N_("Times are simulated milliseconds since the start, to the microsecond. [n]"
                 " is a TCP connection, written client host:port first; the arrow shows which"
                 " way each line went (→ to the server, ← to the client). C: is the client,"
                 " the side that opened the connection; S: is the server. A line ending other"
                 " than CRLF is shown as <CR> or <LF>.");
    ms_report_append_wrapped(out, TR(lang, legend), 0, 0, WRAP_WIDTH);
    g_string_append(out, "\n");
}

void ms_report_flush(GString *out, FILE *file)
{
    if (file != NULL && out->len >= 64u * 1024u) {
        /* A short write leaves ferror() set, which the caller checks when
         * it closes the file. */
        size_t done = fwrite(out->str, 1, out->len, file);
        (void) done;
        g_string_truncate(out, 0);
    }
}

void ms_report_transcript_write(GString *out, FILE *file, GPtrArray *items,
                                const MsReportOptions *options)
{
    Columns c = measure(items);
    append_header(out, options);
    for (guint i = 0; i < items->len; i++) {
        const MsItem *item = g_ptr_array_index(items, i);
        /* A blank line before each connection's opening separates the
         * exchanges. */
        const MsItem *next = i + 1 < items->len ? g_ptr_array_index(items, i + 1) : NULL;
        if (i == 0 || (item->kind == MS_ITEM_PHASE && next != NULL &&
                       next->kind == MS_ITEM_CONN && next->record_kind == MS_TRACE_CONN_OPEN))
            g_string_append_c(out, '\n');
        append_item(out, &c, item);
        ms_report_flush(out, file);
    }
    g_hash_table_unref(c.wrapped_notes);
}

static char *transcript_text(const MsTrace *trace, const MsReportOptions *options)
{
    /* The items point into the connections: both live until the end. */
    g_autoptr(MsReportItems) ri = ms_report_items(trace, options);
    GString *out = g_string_new(NULL);
    ms_report_transcript_write(out, NULL, ri->items, options);
    return g_string_free(out, FALSE);
}

char *ms_report_transcript(const MsTrace *trace, const MsReportOptions *options)
{
    ms_report_lang_enter(options->lang);
    char *text = transcript_text(trace, options);
    ms_report_lang_leave(options->lang);
    return text;
}
