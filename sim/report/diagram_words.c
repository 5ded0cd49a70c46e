/* diagram_words.c - the words on the sequence diagram: a note's sentence
 * for each event drawn (a queued message, a delivery, a refused
 * connection), wrapped to its box, and an arrow's label: the protocol line
 * as sent, a TCP segment's flags and numbers, or in the compact view the
 * lines of a message text run together.  diagram.c picks what is drawn;
 * this says what it reads.
 */
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* ---- Notes ------------------------------------------------------------------ */

/* Keys the arrows already show. */
static const char *const quiet_notes[] = { "queue.attempt" };

static char *note_text(const MsDiagram *d, const MsTraceRecord *r)
{
    if (r->kind == MS_TRACE_CONN_REFUSED)
        return MS_DG_PRINTF(d, "cannot connect to %s:%u", "无法连接 %s:%u", r->dst, r->dst_port);
    if (r->kind == MS_TRACE_CONN_ABORT)
        return g_strdup(ms_dg_word(d, "connection aborted", "连接中止"));
    /* A scenario step says what it does in its own words; every other
     * event gets its short label (labels.c), the sentence in the tooltip. */
    if (r->kind == MS_TRACE_ACTION && r->note != NULL && g_str_has_prefix(r->note, "action.")) {
        char *sentence = ms_report_event_text(r, d->lang);
        if (sentence != NULL)
            return sentence;
    }
    return ms_report_record_label(r, d->lang);
}

/* At most this many rows of a note (the longest, a scenario step's own
 * sentence, takes three in a slide's column), and characters a row. */
#define NOTE_ROWS 6u
#define NOTE_CHARS 40u

/* The width of the widest row of a label. */
static double widest_row(const char *label, double size)
{
    g_auto(GStrv) rows = g_strsplit(label, "\n", -1);
    double w = 0;
    for (guint k = 0; rows[k] != NULL; k++)
        w = MAX(w, ms_dg_text_width(rows[k], size, FALSE));
    return w;
}

/* Whether every break of label is one of text's spaces (no word cut). */
static gboolean breaks_at_spaces(const char *label, const char *text)
{
    g_autofree char *joined = g_strdelimit(g_strdup(label), "\n", ' ');
    return strcmp(joined, text) == 0;
}

/* A note on rows that fit its column, clear of its neighbours' (at most
 * NOTE_CHARS characters, measured in its face), and as even as the same
 * number of rows allows: "leaves the queue (0 left)" stays whole, and a
 * longer one breaks near its middle rather than leave its last word
 * alone on a row. */
static char *wrap_note(const MsDiagram *d, const char *text, guint *rows_out)
{
    double size = MS_DG_T(d, MS_DG_SMALL_PT), room = d->column - 14.0;
    guint chars = NOTE_CHARS;
    char *label = ms_dg_wrap(text, chars, NOTE_ROWS, rows_out);
    while (chars > 12 && widest_row(label, size) > room) {
        g_free(label);
        label = ms_dg_wrap(text, --chars, NOTE_ROWS, rows_out);
    }
    if (*rows_out < 2 || !breaks_at_spaces(label, text))
        return label;
    while (chars > 12) {
        guint rows = 0;
        char *narrower = ms_dg_wrap(text, chars - 1, NOTE_ROWS, &rows);
        if (rows != *rows_out || !breaks_at_spaces(narrower, text)) {
            g_free(narrower);
            break;
        }
        g_free(label);
        label = narrower;
        chars--;
    }
    return label;
}

void ms_dg_pick_notes(MsDiagram *d, const MsTrace *trace, const GArray *note_records,
                      GHashTable *index)
{
    if (!d->options.events)
        return;
    for (guint k = 0; k < note_records->len; k++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, g_array_index(note_records, guint64, k), &buf);
        gboolean quiet = FALSE;
        for (gsize q = 0; r->note != NULL && q < G_N_ELEMENTS(quiet_notes); q++)
            quiet |= strcmp(r->note, quiet_notes[q]) == 0;
        /* The end state is the summary's; it has no moment in the dialogue. */
        quiet |= r->note != NULL && g_str_has_prefix(r->note, "state.");
        if (!ms_dg_is_note_kind(r->kind) || quiet || r->src == NULL || r->time < d->options.from ||
            r->time >= d->options.until || r->time >= d->cut)
            continue;
        gpointer where = NULL;
        if (!g_hash_table_lookup_extended(index, r->src, NULL, &where))
            continue;
        g_autofree char *text = note_text(d, r);
        guint rows = 1;
        g_autofree char *label = wrap_note(d, text, &rows);
        g_autofree char *time = ms_time_format_ms(r->time);
        g_autofree char *sentence = ms_report_event_text(r, d->lang);
        g_autofree char *tip = g_strdup_printf("%s ms  %s: %s", time, r->src,
                                               sentence != NULL ? sentence : text);
        MsDiagramNote note = { 0, GPOINTER_TO_UINT(where), r->time, -1,
                               ms_dg_intern(d, text), ms_dg_intern(d, label), rows,
                               ms_dg_intern(d, tip) };
        g_array_append_val(d->notes, note);
        g_array_append_val(d->note_order, r->id);
    }
}

/* ---- Labels ----------------------------------------------------------------- */

static char *arrow_text(const MsDiagram *d, const MsDiagramArrow *a)
{
    const MsTraceRecord *r = a->record;
    GString *s = g_string_new(NULL);
    if (a->kind == MS_DIAGRAM_ARROW_ATTEMPT) {
        gboolean rst = a->rst_back >= 0;
        g_autofree char *n = g_strdup_printf("%" G_GINT64_FORMAT, r->count);
        g_autofree char *words =
            r->count > 0 ? ms_report_format(d->lang, rst ? N_("SYN (attempt {1}) \u2014 refused")
                                                         : N_("SYN (attempt {1}) \u2014 no answer"),
                                            n, NULL)
                         : g_strdup(ms_report_tr(d->lang, rst ? N_("SYN \u2014 refused")
                                                              : N_("SYN \u2014 no answer")));
        g_string_append(s, words);
        return g_string_free(s, FALSE);
    }
    if (a->kind == MS_DIAGRAM_ARROW_ELIDED) {
        g_autofree char *more = MS_DG_PRINTF(d, "\u22ee %u more lines", "\u22ee 另外 %u 行",
                                             a->elided);
        g_string_append(s, more);
    } else if (a->kind == MS_DIAGRAM_ARROW_SEGMENT) {
        ms_report_append_flags(s, r->flags);
        if ((r->flags & MS_TCP_SYN) != 0 || r->len == 0)
            g_string_append_printf(s, " seq=%u", r->seq);
        if ((r->flags & MS_TCP_ACK) != 0 && r->len == 0)
            g_string_append_printf(s, " ack=%u", r->ack);
        if (r->len > 0)
            g_string_append_printf(s, " len=%u", r->len);
        if (r->retransmit > 0) {
            g_autofree char *rtx = MS_DG_PRINTF(d, " (retransmission %u)", "（第 %u 次重传）",
                                                r->retransmit);
            g_string_append(s, rtx);
        }
    } else if (ms_report_line_is_binary(r)) {
        g_autofree char *what = ms_report_binary_text(r, d->lang);
        g_string_append(s, what);
        return g_string_free(s, FALSE);
    } else if (r->text == NULL || r->text[0] == '\0') {
        g_string_append(s, ms_dg_word(d, "(empty line)", "（空行）"));
    } else {
        g_autofree char *text = ms_report_escape_text(r->text);
        g_string_append(s, text);
    }
    /* RFC 5321 2.3.8: only CRLF ends a line; show any other ending. */
    if (a->kind == MS_DIAGRAM_ARROW_LINE && r->eol != NULL && strcmp(r->eol, "\r\n") != 0) {
        g_autofree char *eol = ms_report_escape_text(r->eol);
        g_string_append(s, r->eol[0] != '\0' ? eol : "<no line end>");
    }
    return g_string_free(s, FALSE);
}

/* A line as the diagram prints it (escaped, its odd ending shown). */
static char *line_text(const MsDiagram *d, const MsTraceRecord *r)
{
    MsDiagramArrow one = { 0 };
    one.kind = MS_DIAGRAM_ARROW_LINE;
    one.record = r;
    return arrow_text(d, &one);
}

/* A compact part in words: a line as it is, "250-crepes.fr (+5 lines)",
 * "message text: 12 lines, 421 bytes". */
static char *part_text(const MsDiagram *d, const MsDgPart *p)
{
    if (p->kind == MS_DG_PART_TEXT) {
        g_autofree char *n = g_strdup_printf("%u", p->text_lines);
        g_autofree char *b = g_strdup_printf("%" G_GUINT64_FORMAT, p->bytes);
        return ms_report_format(d->lang, N_("message text: {1} lines, {2} bytes"), n, b, NULL);
    }
    g_autofree char *first = line_text(d, p->first);
    if (p->lines <= 1)
        return g_steal_pointer(&first);
    if (p->lines == 2)
        return ms_report_format(d->lang, N_("{1} (+1 line)"), first, NULL);
    g_autofree char *more = g_strdup_printf("%u", p->lines - 1);
    return ms_report_format(d->lang, N_("{1} (+{2} lines)"), first, more, NULL);
}

/* At most this many rows for one line's text, and for all the text of
 * one arrow: past them the last row ends in "…".  The longest of the
 * shipped scenarios, smtp-8bit's 554 reply in a slide's narrowest column
 * (17 characters), takes seven; imap-folders' FETCH with its message text
 * and OK, nine in all. */
#define LABEL_ROWS 8u
#define ARROW_ROWS 12u

/* The rows of a compact arrow: all parts in full (joined by "\n"), and
 * each part wrapped to max_chars, at most LABEL_ROWS rows a part and
 * ARROW_ROWS in all; parts that find no room left are counted in a last
 * row "(+N more)". */
static void compact_rows(const MsDiagram *d, guint first_part, guint max_chars, GString *full,
                         GString *label, guint *rows_out)
{
    g_autoptr(GPtrArray) wrapped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(guint));
    guint total = 0;
    for (guint k = first_part; k != G_MAXUINT; k = g_array_index(d->parts, MsDgPart, k).next) {
        g_autofree char *text = part_text(d, &g_array_index(d->parts, MsDgPart, k));
        guint n = 0;
        g_ptr_array_add(wrapped, d->options.slide ? ms_dg_wrap_words(text, max_chars, LABEL_ROWS, &n)
                                                  : ms_dg_wrap(text, max_chars, LABEL_ROWS, &n));
        g_array_append_val(rows, n);
        total += n;
        if (full->len > 0)
            g_string_append_c(full, '\n');
        g_string_append(full, text);
    }
    /* Too many rows: as many whole parts as leave a row for the count. */
    guint shown = 0, used = 0;
    while (shown < wrapped->len &&
           used + g_array_index(rows, guint, shown) <= (total <= ARROW_ROWS ? ARROW_ROWS
                                                                             : ARROW_ROWS - 1)) {
        if (label->len > 0)
            g_string_append_c(label, '\n');
        g_string_append(label, g_ptr_array_index(wrapped, shown));
        used += g_array_index(rows, guint, shown);
        shown++;
    }
    if (shown < wrapped->len) {
        g_autofree char *left = g_strdup_printf("%u", wrapped->len - shown);
        g_autofree char *more = ms_report_format(d->lang, N_("(+{1} more)"), left, NULL);
        if (label->len > 0)
            g_string_append_c(label, '\n');
        g_string_append(label, more);
        used++;
    }
    *rows_out = MAX(used, 1u);
}

void ms_dg_label_arrows(MsDiagram *d)
{
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *r = a->record;
        double span = a->x2 > a->x1 ? a->x2 - a->x1 : a->x1 - a->x2;
        double pt = MS_DG_T(d, a->kind == MS_DIAGRAM_ARROW_LINE || a->compact ? MS_DG_LINE_PT
                                                                              : MS_DG_SMALL_PT);
        guint max_chars = (guint) MAX(4.0, (span - 28.0) / (pt * 0.602));
        guint part = i < d->arrow_part->len ? g_array_index(d->arrow_part, guint, i) : G_MAXUINT;
        g_autofree char *text = NULL, *label = NULL, *shown = NULL;
        if (part != G_MAXUINT) {
            g_autoptr(GString) full = g_string_new(NULL), cut = g_string_new(NULL);
            compact_rows(d, part, max_chars, full, cut, &a->rows);
            shown = g_strdup(full->str);
            /* The text formats print an arrow on one row. */
            g_auto(GStrv) rows = g_strsplit(shown, "\n", -1);
            text = g_strjoinv(" | ", rows);
            label = g_strdup(cut->str);
        } else {
            text = arrow_text(d, a);
            shown = g_strdup(text);
            /* A refused SYN says on the picture when the RST came back:
             * the bar at its end is all that is drawn of the RST. */
            g_autofree char *rows = NULL;
            if (a->rst_back >= 0) {
                g_autofree char *back = ms_time_format_ms(a->rst_back);
                g_autofree char *words = MS_DG_PRINTF(d, "RST back at %s ms", "%s ms 时收到 RST",
                                                      back);
                rows = g_strdup_printf("%s\n%s", text, words);
            }
            label = (d->options.slide ? ms_dg_wrap_words : ms_dg_wrap)(rows != NULL ? rows : text,
                                                                       max_chars, LABEL_ROWS,
                                                                       &a->rows);
        }
        a->text = ms_dg_intern(d, text);
        a->label = ms_dg_intern(d, label);

        g_autoptr(GString) tip = g_string_new(NULL);
        if (a->kind == MS_DIAGRAM_ARROW_LINE || a->compact)
            g_string_append(tip, r->dir == MS_DIR_CLIENT ? "C: " : "S: ");
        g_string_append_printf(tip, "%s\n[%u] %s \u2192 %s, %s\n", shown, r->conn, r->src, r->dst,
                               a->kind == MS_DIAGRAM_ARROW_SEGMENT ? "TCP"
                               : r->protocol != NULL                 ? r->protocol
                                                                     : "?");
        g_autofree char *sent = ms_time_format_ms(a->send);
        g_autofree char *when = MS_DG_PRINTF(d, "sent %s ms", "发送 %s ms", sent);
        g_string_append(tip, when);
        if (!a->lost) {
            g_autofree char *arr = ms_time_format_ms(a->arrival);
            g_autofree char *delay = ms_time_format_ms(a->arrival - a->send);
            g_autofree char *more = MS_DG_PRINTF(d, ", arrived %s ms (after %s ms)",
                                                 "，到达 %s ms（用时 %s ms）", arr, delay);
            g_string_append(tip, more);
            if (a->rst_back >= 0) {
                g_autofree char *back = ms_time_format_ms(a->rst_back);
                g_autofree char *refused = MS_DG_PRINTF(d, ", refused: RST back at %s ms",
                                                        "，被拒绝：%s ms 时收到 RST", back);
                g_string_append(tip, refused);
            }
        } else if (a->arrival >= 0) {
            g_autofree char *at = ms_time_format_ms(a->arrival);
            g_autofree char *lost = MS_DG_PRINTF(d, ", lost at %s ms", "，%s ms 时丢失", at);
            g_string_append(tip, lost);
        } else {
            g_string_append(tip, ms_dg_word(d, ", never arrived", "，未到达"));
        }
        const char *note = a->kind == MS_DIAGRAM_ARROW_LINE
                               ? ms_report_note_text(r->note, d->lang)
                               : NULL;
        if (note != NULL)
            g_string_append_printf(tip, "\n%s", note);
        a->tooltip = ms_dg_intern(d, tip->str);
        d->has_flow[a->flow] = TRUE;
        d->has_http_push |= a->flow == MS_DIAGRAM_FLOW_PUSH && r->protocol != NULL &&
                            g_ascii_strncasecmp(r->protocol, "HTTP", 4) == 0;
        d->has_imap_push |= a->flow == MS_DIAGRAM_FLOW_PUSH && r->protocol != NULL &&
                            g_ascii_strcasecmp(r->protocol, "IMAP") == 0;
        d->has_lost |= a->lost;
        d->has_refused |= a->rst_back >= 0;
        d->has_retransmit |= a->retransmit > 0;
    }
}
