/* diagram_text.c - the sequence diagram as text: a plain-text picture for
 * terminals (one column per lifeline, one row per arrow) and sources for
 * other diagram tools (mscgen, PlantUML, Mermaid) so a lecturer can restyle
 * the figure in the tool of their slides.
 *
 * All four read the same model as the Graphviz picture, in time order, and
 * ignore its pages: text scrolls.  They draw the pages the pictures draw,
 * though (--max-pages), and say so in their header when some were left out.  The plain-text picture of a run with more
 * than TXT_MAX_LIFELINES hosts is cut into sections of consecutive rows, each
 * with the columns of the hosts it uses only: one row across every host of a
 * campus would be tens of kilobytes wide.
 */
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* ---- What was not drawn --------------------------------------------------- */

static char *seconds(MsTime t)
{
    MsTime ms = t / MS_MSEC;
    return g_strdup_printf("%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT " s", ms / 1000, ms % 1000);
}

/* One sentence for a text format's header, or NULL when everything was
 * drawn (transfer full). */
static char *undrawn_text(const MsDiagram *d)
{
    const MsDiagramUndrawn *u = &d->undrawn;
    if (u->pages == 0)
        return NULL;
    g_autofree char *from = seconds(u->from), *to = seconds(u->to);
    return MS_DG_PRINTF(d,
                        "Only the first %u pages are drawn (%u arrows); pages %u-%u (%u "
                        "arrows, %s - %s) are not: --max-pages 0 draws them all.",
                        "只画出前 %u 页（%u 个箭头）；第 %u-%u 页（%u 个箭头，%s - %s）未画出："
                        "--max-pages 0 全部画出。",
                        d->pages->len, d->arrows->len, d->pages->len + 1,
                        ms_dg_total_pages(d), u->n_arrows, from, to);
}

/* ---- The rows, in the order they happened --------------------------------- */

/* ROW_RST: the RST that refused an attempt's SYN, as an arrow back, in
 * the sources for other tools (the plain text says it on the SYN's row). */
enum { ROW_BREAK, ROW_PHASE, ROW_ARROW, ROW_NOTE, ROW_RST };

typedef struct {
    MsTime time;
    guint64 order;
    guint kind;
    guint item;
} Row;

static gint compare_rows(gconstpointer pa, gconstpointer pb)
{
    const Row *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

/* Arrows by send time, notes by their time, a phase heading just before the
 * first line of its phase, a break before whatever follows it; with_rst,
 * a refused SYN's RST when it got back, before the note that says the
 * connection could not be made. */
static GArray *rows_of(const MsDiagram *d, gboolean with_rst)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(Row));
    g_autoptr(GPtrArray) phase = g_ptr_array_new();
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *r = a->record;
        guint64 order = 4 * r->id + 2;
        if ((a->kind == MS_DIAGRAM_ARROW_LINE || a->compact) && r->phase != NULL) {
            while (phase->len <= r->conn)
                g_ptr_array_add(phase, NULL);
            const char *last = g_ptr_array_index(phase, r->conn);
            if (last == NULL || strcmp(last, r->phase) != 0) {
                Row p = { a->send, order - 1, ROW_PHASE, i };
                g_array_append_val(rows, p);
                g_ptr_array_index(phase, r->conn) = (gpointer) r->phase;
            }
        }
        Row row = { a->send, order + (a->kind == MS_DIAGRAM_ARROW_ELIDED), ROW_ARROW, i };
        g_array_append_val(rows, row);
        if (with_rst && a->rst_back >= 0 && a->rst_back < d->cut) {
            const MsTraceRecord *end = g_ptr_array_index(d->refused, r->conn);
            Row rst = { a->rst_back, 4 * end->id + 1, ROW_RST, i };
            g_array_append_val(rows, rst);
        }
    }
    for (guint i = 0; i < d->notes->len; i++) {
        const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, i);
        Row row = { n->time, 4 * g_array_index(d->note_order, guint64, i) + 2, ROW_NOTE, i };
        g_array_append_val(rows, row);
    }
    for (guint i = 0; i < d->breaks->len; i++) {
        const MsDiagramBreak *b = &g_array_index(d->breaks, MsDiagramBreak, i);
        Row row = { b->to, 0, ROW_BREAK, i };
        g_array_append_val(rows, row);
    }
    g_array_sort(rows, compare_rows);
    return rows;
}

static const char *phase_name(const MsDiagram *d, const MsDiagramArrow *a, char **owned)
{
    const char *name = ms_report_phase_text(a->record->phase, d->lang);
    *owned = g_strdup_printf("[%u] %s", a->record->conn, name != NULL ? name : a->record->phase);
    return *owned;
}

/* The label of the RST drawn back to a refused SYN's sender. */
static const char *rst_words(const MsDiagram *d)
{
    return ms_dg_word(d, "RST \u2014 connection refused", "RST \u2014 连接被拒绝");
}

static const MsDiagramLifeline *life(const MsDiagram *d, guint i)
{
    return &g_array_index(d->lifelines, MsDiagramLifeline, i);
}

/* ---- Plain text ------------------------------------------------------------- */

#define TXT_TIME 12 /* the time column */
#define TXT_COL 26  /* one lifeline's column */
#define TXT_MAX_LIFELINES 8 /* columns of a section, when there are more */

typedef struct {
    gunichar *cells; /* 0: the right half of a wide character */
    guint n;
} Canvas;

static void canvas_reset(Canvas *c, gunichar fill)
{
    for (guint i = 0; i < c->n; i++)
        c->cells[i] = fill;
}

/* Writes text from column col, at most to column limit (exclusive);
 * returns the column after it. */
static guint canvas_put(Canvas *c, guint col, const char *text, guint limit)
{
    limit = MIN(limit, c->n);
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        guint w = g_unichar_iswide(ch) ? 2 : 1;
        if (col + w > limit)
            break;
        c->cells[col] = ch;
        if (w == 2)
            c->cells[col + 1] = 0;
        col += w;
    }
    return col;
}

static guint display_width(const char *text)
{
    guint w = 0;
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
        w += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
    return w;
}

static void canvas_flush(const Canvas *c, GString *out)
{
    guint end = c->n;
    while (end > 0 && c->cells[end - 1] == ' ')
        end--;
    for (guint i = 0; i < end; i++) {
        if (c->cells[i] != 0)
            g_string_append_unichar(out, c->cells[i]);
    }
    g_string_append_c(out, '\n');
}

static guint txt_center(guint lifeline)
{
    return TXT_TIME + 2 + TXT_COL / 2 + lifeline * TXT_COL;
}

/* The lifelines a section shows: shown[k] is the k-th column's lifeline,
 * col[lifeline] its column or G_MAXUINT. */
typedef struct {
    guint *shown;
    guint n;
    guint *col;
} Columns;

static void txt_lifelines(const Columns *cols, Canvas *c)
{
    for (guint k = 0; k < cols->n; k++)
        c->cells[txt_center(k)] = '|';
}

static void txt_centered(Canvas *c, guint center, const char *text)
{
    g_autofree char *s = ms_dg_shorten(text, TXT_COL - 2);
    guint w = display_width(s);
    canvas_put(c, center - MIN(center, w / 2), s, c->n);
}

/* Draws the arrow on the canvas with the first row of its text; returns
 * the rows that did not fit there, each to go under it between the same
 * two lifelines (transfer full; NULL: none). */
static GStrv txt_arrow(const MsDiagram *d, const Columns *cols, Canvas *c,
                       const MsDiagramArrow *a)
{
    static const gunichar shaft[MS_DIAGRAM_N_FLOWS] = { '-', '-', '=', '.' };
    guint from = txt_center(cols->col[a->from]), to = txt_center(cols->col[a->to]);
    gboolean right = to > from;
    guint lo = MIN(from, to) + 1, hi = MAX(from, to);
    gunichar ch = a->kind == MS_DIAGRAM_ARROW_ELIDED && !a->compact ? ':' : shaft[a->flow];
    for (guint i = lo; i < hi; i++)
        c->cells[i] = ch;
    /* A SYN that reached a closed port was not lost: the server's TCP
     * refused it with a RST, and the arrow ends in a bar that says so. */
    gboolean rst = a->rst_back >= 0;
    /* A lost one ends in a cross instead of a head (and says so on the
     * right). */
    c->cells[right ? hi - 1 : lo] = rst ? '#' : a->lost ? 'x' : right ? '>' : '<';
    /* The whole text, on as many rows as it takes. */
    guint room = hi - lo > 6 ? hi - lo - 6 : 0;
    GStrv rows = NULL;
    if (room > 0) {
        g_autofree char *wrapped = ms_dg_wrap(a->text, room, G_MAXUINT, NULL);
        rows = g_strsplit(wrapped, "\n", -1);
        g_autofree char *framed = g_strdup_printf(" %s ", rows[0]);
        canvas_put(c, lo + 2, framed, hi - 1);
    }

    g_autofree char *sent = ms_time_format_ms(a->send);
    canvas_put(c, TXT_TIME - MIN((guint) TXT_TIME, (guint) strlen(sent)), sent, TXT_TIME);
    guint tail = txt_center(cols->n - 1) + 3;
    g_autofree char *arrival = a->lost ? g_strdup(ms_dg_word(d, "lost", "丢失"))
                                       : ms_time_format_ms(a->arrival);
    g_autofree char *arrives = a->lost ? g_strdup(arrival) : g_strdup_printf("\u2192 %s", arrival);
    if (rst) {
        g_autofree char *back = ms_time_format_ms(a->rst_back);
        g_free(arrives);
        arrives = MS_DG_PRINTF(d, "RST back at %s", "%s 收到 RST", back);
    }
    canvas_put(c, tail, arrives, c->n);
    return rows;
}

/* The rows of an arrow's text after its first, under it. */
static void txt_more_rows(const Columns *cols, Canvas *c, const MsDiagramArrow *a,
                          char **rows, GString *out)
{
    guint from = txt_center(cols->col[a->from]), to = txt_center(cols->col[a->to]);
    guint lo = MIN(from, to) + 1, hi = MAX(from, to);
    for (guint k = 1; rows != NULL && rows[0] != NULL && rows[k] != NULL; k++) {
        canvas_reset(c, ' ');
        txt_lifelines(cols, c);
        g_autofree char *framed = g_strdup_printf(" %s ", rows[k]);
        canvas_put(c, lo + 2, framed, hi - 1);
        canvas_flush(c, out);
    }
}

/* The lifelines a row draws on (at most two); returns how many. */
static guint row_lifelines(const MsDiagram *d, const Row *row, guint out[2])
{
    if (row->kind == ROW_BREAK)
        return 0;
    if (row->kind == ROW_NOTE) {
        out[0] = g_array_index(d->notes, MsDiagramNote, row->item).lifeline;
        return 1;
    }
    const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
    out[0] = a->from;
    out[1] = a->to;
    return 2;
}

/* The rows from `start` that fit in one section of at most `max` lifelines
 * (at least one row); fills cols with their lifelines in lifeline order. */
static guint txt_section(const MsDiagram *d, const GArray *rows, guint start, guint max,
                         Columns *cols)
{
    for (guint k = 0; k < cols->n; k++)
        cols->col[cols->shown[k]] = G_MAXUINT;
    cols->n = 0;
    guint end = start;
    for (; end < rows->len; end++) {
        guint used[2];
        guint n = row_lifelines(d, &g_array_index(rows, Row, end), used), extra = 0;
        for (guint i = 0; i < n; i++)
            extra += cols->col[used[i]] == G_MAXUINT && (i == 0 || used[1] != used[0]);
        if (cols->n + extra > max && end > start)
            break;
        for (guint i = 0; i < n; i++) {
            if (cols->col[used[i]] == G_MAXUINT) {
                cols->col[used[i]] = 0;
                cols->shown[cols->n++] = used[i];
            }
        }
    }
    /* Columns in lifeline order, as the whole picture has them. */
    for (guint k = 1; k < cols->n; k++) {
        guint v = cols->shown[k], j = k;
        for (; j > 0 && cols->shown[j - 1] > v; j--)
            cols->shown[j] = cols->shown[j - 1];
        cols->shown[j] = v;
    }
    for (guint k = 0; k < cols->n; k++)
        cols->col[cols->shown[k]] = k;
    return end;
}

static void txt_heading(const MsDiagram *d, const Columns *cols, Canvas *c, GString *out)
{
    canvas_reset(c, ' ');
    canvas_put(c, TXT_TIME - 4, "ms", c->n);
    for (guint k = 0; k < cols->n; k++)
        txt_centered(c, txt_center(k), life(d, cols->shown[k])->host);
    canvas_flush(c, out);
    canvas_reset(c, ' ');
    for (guint k = 0; k < cols->n; k++)
        txt_centered(c, txt_center(k), ms_diagram_role_name(life(d, cols->shown[k])->role, d->lang));
    canvas_flush(c, out);
}

static void txt_row(const MsDiagram *d, const Columns *cols, Canvas *c, const Row *row,
                    GString *out)
{
    canvas_reset(c, row->kind == ROW_BREAK ? '~' : ' ');
    if (row->kind == ROW_BREAK) {
        const MsDiagramBreak *b = &g_array_index(d->breaks, MsDiagramBreak, row->item);
        g_autofree char *label = g_strdup_printf(" %s ", b->label);
        canvas_put(c, TXT_TIME + 4, label, c->n);
        canvas_flush(c, out);
        return;
    }
    txt_lifelines(cols, c);
    if (row->kind == ROW_ARROW) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
        g_auto(GStrv) more = txt_arrow(d, cols, c, a);
        canvas_flush(c, out);
        txt_more_rows(cols, c, a, more, out);
        return;
    } else if (row->kind == ROW_NOTE) {
        /* Its whole text, in rows that stay on the canvas. */
        const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, row->item);
        guint at = txt_center(cols->col[n->lifeline]);
        guint room = c->n > at + 4 ? MIN(c->n - at - 2, 2 * TXT_COL) : 2;
        g_autofree char *wrapped = ms_dg_wrap(n->text, room, G_MAXUINT, NULL);
        g_auto(GStrv) rows = g_strsplit(wrapped, "\n", -1);
        for (guint k = 0; rows[k] != NULL; k++) {
            if (k > 0) {
                canvas_flush(c, out);
                canvas_reset(c, ' ');
                txt_lifelines(cols, c);
            }
            g_autofree char *label = g_strdup_printf("%s%s%s", k == 0 ? "[" : " ", rows[k],
                                                     rows[k + 1] == NULL ? "]" : "");
            canvas_put(c, at, label, c->n);
        }
    } else {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
        g_autofree char *owned = NULL;
        g_autofree char *label = g_strdup_printf("-- %s --", phase_name(d, a, &owned));
        canvas_put(c, txt_center(MIN(cols->col[a->from], cols->col[a->to])) + 2, label, c->n);
    }
    canvas_flush(c, out);
}

static char *export_txt(const MsDiagram *d)
{
    GString *out = g_string_new(NULL);
    guint nl = d->lifelines->len;
    guint width = nl <= TXT_MAX_LIFELINES ? nl : TXT_MAX_LIFELINES;
    Canvas c = { NULL, TXT_TIME + 2 + MAX(width, 1) * TXT_COL + 16 };
    c.cells = g_new(gunichar, c.n);
    Columns cols = { g_new(guint, MAX(nl, 1)), 0, g_new(guint, MAX(nl, 1)) };
    for (guint i = 0; i < nl; i++)
        cols.col[i] = G_MAXUINT;

    g_string_append_printf(out, "%s\n", d->title);
    g_autofree char *undrawn = undrawn_text(d);
    if (undrawn != NULL)
        g_string_append_printf(out, "%s\n", undrawn);
    g_string_append(out, ms_dg_word(d,
        "Rows in time order, each at its send time; the arrival time is on the right.\n"
        "---> push (SMTP)   ===> pull (POP3, IMAP, HTTP)   ...> TCP segment   x lost"
        "   # refused (RST)\n\n",
        "按时间顺序，每行是发送时刻；右侧是到达时刻。\n"
        "---> 推送 (SMTP)   ===> 拉取 (POP3、IMAP、HTTP)   ...> TCP 报文段   x 丢失"
        "   # 被拒绝 (RST)\n\n"));
    g_autoptr(GArray) rows = rows_of(d, FALSE);
    if (nl <= TXT_MAX_LIFELINES) {
        /* One section with every lifeline, used or not. */
        for (guint i = 0; i < nl; i++) {
            cols.shown[i] = i;
            cols.col[i] = i;
        }
        cols.n = nl;
        txt_heading(d, &cols, &c, out);
        for (guint k = 0; k < rows->len; k++)
            txt_row(d, &cols, &c, &g_array_index(rows, Row, k), out);
    } else {
        for (guint start = 0; start < rows->len;) {
            guint end = txt_section(d, rows, start, TXT_MAX_LIFELINES, &cols);
            if (start > 0)
                g_string_append_c(out, '\n');
            txt_heading(d, &cols, &c, out);
            for (guint k = start; k < end; k++)
                txt_row(d, &cols, &c, &g_array_index(rows, Row, k), out);
            start = end;
        }
    }
    if (nl == 0)
        g_string_append(out, ms_dg_word(d, "(nothing to draw)\n", "（没有可画的内容）\n"));
    g_free(cols.shown);
    g_free(cols.col);
    g_free(c.cells);
    return g_string_free(out, FALSE);
}

/* ---- mscgen ----------------------------------------------------------------- */

/* The arrows' colours: the diagram's table (diagram_colours.c); their
 * labels take its text colours, readable on white. */
static const char *msc_colour(MsDiagramFlow flow)
{
    return ms_dg_flow_colours[flow].line;
}

/* mscgen strings: \" is a quote and \n a new line; any other backslash is
 * printed as it is. */
static void append_msc_string(GString *out, const char *text)
{
    g_string_append_c(out, '"');
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"')
            g_string_append(out, "\\\"");
        else if (*p == '\\' && (p[1] == 'n' || p[1] == '"' || p[1] == '\\' || p[1] == '\0'))
            g_string_append(out, "\u29f5"); /* looks like a backslash, means nothing */
        else if (*p == '\n')
            g_string_append(out, "\\n"); /* a compact arrow's rows: mscgen's line break */
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static char *export_msc(const MsDiagram *d)
{
    GString *out = g_string_new("# ");
    g_string_append(out, d->title);
    g_string_append(out, "\n# mailsim sequence diagram for mscgen (mscgen -T png -i FILE);"
                         " arcskip draws each arrow's transit time.\n");
    g_autofree char *undrawn = undrawn_text(d);
    if (undrawn != NULL)
        g_string_append_printf(out, "# %s\n", undrawn);
    g_string_append(out, "msc {\n  hscale = \"2\";\n");
    guint nl = d->lifelines->len;
    for (guint i = 0; i < nl; i++) {
        g_autofree char *label = g_strdup_printf("%s\n%s", life(d, i)->host,
                                                 ms_diagram_role_name(life(d, i)->role, d->lang));
        g_string_append_printf(out, "%sh%u [label=", i == 0 ? "  " : ", ", i);
        append_msc_string(out, label);
        g_string_append(out, "]");
    }
    if (nl == 0)
        g_string_append(out, "  none [label=\"(nothing to draw)\"]");
    g_string_append(out, ";\n");

    g_autoptr(GArray) rows = rows_of(d, TRUE);
    for (guint k = 0; k < rows->len; k++) {
        const Row *row = &g_array_index(rows, Row, k);
        if (row->kind == ROW_BREAK) {
            g_string_append(out, "  ... [label=");
            append_msc_string(out, g_array_index(d->breaks, MsDiagramBreak, row->item).label);
            g_string_append(out, "];\n");
        } else if (row->kind == ROW_PHASE) {
            g_autofree char *owned = NULL;
            g_string_append(out, "  --- [label=");
            append_msc_string(out, phase_name(d, &g_array_index(d->arrows, MsDiagramArrow,
                                                                row->item), &owned));
            g_string_append(out, "];\n");
        } else if (row->kind == ROW_NOTE) {
            const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, row->item);
            g_string_append_printf(out, "  h%u note h%u [label=", n->lifeline, n->lifeline);
            append_msc_string(out, n->text);
            g_string_append(out, "];\n");
        } else if (row->kind == ROW_RST) {
            /* ("-x" would say the SYN was lost: it arrived, and this TCP
             * segment answered it) */
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            g_string_append_printf(out, "  h%u -> h%u [label=", a->to, a->from);
            append_msc_string(out, rst_words(d));
            g_string_append_printf(out, ", linecolour=\"%s\", textcolour=\"%s\"];\n",
                                   msc_colour(MS_DIAGRAM_FLOW_TCP),
                                   ms_dg_flow_colours[MS_DIAGRAM_FLOW_TCP].text);
        } else {
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            /* The arrow ends on the first later row that happens at or after
             * its arrival, so it slopes over the rows it was in flight. */
            guint skip = 0;
            if (!a->lost) {
                guint j = k + 1;
                while (j < rows->len && g_array_index(rows, Row, j).time < a->arrival)
                    j++;
                skip = j < rows->len ? MIN(j - k, 12u) : 0;
            }
            g_string_append_printf(out, "  h%u %s h%u [label=", a->from, a->lost ? "-x" : "->",
                                   a->to);
            /* (a refused SYN's label says when the RST came back: here the
             * RST is drawn) */
            append_msc_string(out, a->rst_back >= 0 ? a->text : a->label);
            g_string_append_printf(out, ", linecolour=\"%s\", textcolour=\"%s\"",
                                   msc_colour(a->flow), ms_dg_flow_colours[a->flow].text);
            if (skip > 0)
                g_string_append_printf(out, ", arcskip=\"%u\"", skip);
            g_string_append(out, "];\n");
        }
    }
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}

/* ---- PlantUML --------------------------------------------------------------- */

/* Creole markup (--, **, //, __, ~~, "", [[) and HTML-like tags would
 * restyle a protocol line.  "~" makes the next character plain: it goes
 * before every character of such a run and before the < that could open a
 * tag.  A backslash would start an escape such as \n, so it is doubled. */
static void append_puml_text(GString *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        gboolean run = strchr("-*/_~\"[]", *p) != NULL &&
                       (p[1] == *p || (p > text && p[-1] == *p));
        if (run || *p == '<')
            g_string_append_c(out, '~');
        if (*p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
}

static char *export_plantuml(const MsDiagram *d)
{
    GString *out = g_string_new("@startuml\n");
    g_string_append(out, "' mailsim sequence diagram (plantuml FILE)\n");
    g_autofree char *undrawn = undrawn_text(d);
    if (undrawn != NULL)
        g_string_append_printf(out, "' %s\n", undrawn);
    g_string_append(out, "title ");
    append_puml_text(out, d->title);
    g_string_append(out, "\nskinparam shadowing false\nskinparam sequenceMessageAlign center\n");
    g_string_append(out, "skinparam defaultFontName \"" MS_DG_FONT "\"\n");
    for (guint i = 0; i < d->lifelines->len; i++) {
        g_string_append(out, "participant \"");
        append_puml_text(out, life(d, i)->host);
        g_string_append(out, "\\n<size:10>");
        append_puml_text(out, ms_diagram_role_name(life(d, i)->role, d->lang));
        g_string_append_printf(out, "</size>\" as h%u\n", i);
    }
    g_autoptr(GArray) rows = rows_of(d, TRUE);
    for (guint k = 0; k < rows->len; k++) {
        const Row *row = &g_array_index(rows, Row, k);
        if (row->kind == ROW_BREAK) {
            g_string_append(out, "...");
            append_puml_text(out, g_array_index(d->breaks, MsDiagramBreak, row->item).label);
            g_string_append(out, "...\n");
        } else if (row->kind == ROW_PHASE) {
            g_autofree char *owned = NULL;
            g_string_append(out, "== ");
            append_puml_text(out, phase_name(d, &g_array_index(d->arrows, MsDiagramArrow,
                                                               row->item), &owned));
            g_string_append(out, " ==\n");
        } else if (row->kind == ROW_NOTE) {
            const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, row->item);
            g_string_append_printf(out, "hnote over h%u #FFF7D6 : ", n->lifeline);
            append_puml_text(out, n->text);
            g_string_append_c(out, '\n');
        } else if (row->kind == ROW_RST) {
            /* (">x" would say the SYN was lost: it arrived, and this TCP
             * segment answered it) */
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            g_string_append_printf(out, "h%u -[%s]>> h%u : ", a->to,
                                   msc_colour(MS_DIAGRAM_FLOW_TCP), a->from);
            append_puml_text(out, rst_words(d));
            g_string_append_c(out, '\n');
        } else {
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            /* "-[#colour]>", dotted with "->", lost with ">x", a TCP
             * segment with the thin head ">>". */
            gboolean dotted = a->retransmit > 0 || (a->kind == MS_DIAGRAM_ARROW_ELIDED && !a->compact);
            const char *head = a->lost ? ">x" : a->flow == MS_DIAGRAM_FLOW_TCP ? ">>" : ">";
            g_string_append_printf(out, "h%u -[%s]%s%s h%u : ", a->from, msc_colour(a->flow),
                                   dotted ? "-" : "", head, a->to);
            append_puml_text(out, a->text);
            g_string_append_c(out, '\n');
        }
    }
    g_string_append(out, "legend right\n");
    g_string_append_printf(out, "  <color:%s>\u2014\u2014></color> %s\n",
                           msc_colour(MS_DIAGRAM_FLOW_PUSH), ms_dg_word(d, "push: SMTP", "推送：SMTP"));
    g_string_append_printf(out, "  <color:%s>\u2014\u2014></color> %s\n",
                           msc_colour(MS_DIAGRAM_FLOW_PULL),
                           ms_dg_word(d, "pull: POP3, IMAP, HTTP", "拉取：POP3、IMAP、HTTP"));
    g_string_append(out, "endlegend\n@enduml\n");
    return g_string_free(out, FALSE);
}

/* ---- Mermaid ---------------------------------------------------------------- */

/* Mermaid reads ; and # as syntax and < > as HTML: entity codes instead. */
static void append_mermaid_text(GString *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case ';':
            g_string_append(out, "#59;");
            break;
        case '#':
            g_string_append(out, "#35;");
            break;
        case '<':
            g_string_append(out, "#lt;");
            break;
        case '>':
            g_string_append(out, "#gt;");
            break;
        case '%':
            g_string_append(out, "#37;");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

static char *export_mermaid(const MsDiagram *d)
{
    /* Mermaid cannot colour one message: push is a solid arrow, pull a
     * dotted one, a TCP segment an open arrow. */
    static const char *const arrow[MS_DIAGRAM_N_FLOWS] = { "->>", "->>", "-->>", "-)" };
    GString *out = g_string_new("sequenceDiagram\n");
    g_string_append(out, "    %% ");
    append_mermaid_text(out, d->title);
    g_string_append(out, ms_dg_word(d,
        "\n    %% mailsim sequence diagram: solid arrows push (SMTP), dotted arrows pull"
        " (POP3, IMAP, HTTP)\n",
        "\n    %% mailsim 时序图：实线箭头为推送 (SMTP)，虚线箭头为拉取 (POP3、IMAP、HTTP)\n"));
    g_autofree char *undrawn = undrawn_text(d);
    if (undrawn != NULL)
        g_string_append_printf(out, "    %%%% %s\n", undrawn);
    for (guint i = 0; i < d->lifelines->len; i++) {
        g_string_append_printf(out, "    participant h%u as ", i);
        append_mermaid_text(out, life(d, i)->host);
        g_string_append(out, "<br/>");
        append_mermaid_text(out, ms_diagram_role_name(life(d, i)->role, d->lang));
        g_string_append_c(out, '\n');
    }
    guint nl = d->lifelines->len;
    g_autoptr(GArray) rows = rows_of(d, TRUE);
    for (guint k = 0; k < rows->len; k++) {
        const Row *row = &g_array_index(rows, Row, k);
        if (row->kind == ROW_BREAK && nl > 0) {
            g_string_append_printf(out, "    Note over h0,h%u: \u2248 ", nl - 1);
            append_mermaid_text(out, g_array_index(d->breaks, MsDiagramBreak, row->item).label);
            g_string_append(out, " \u2248\n");
        } else if (row->kind == ROW_PHASE) {
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            g_autofree char *owned = NULL;
            g_string_append_printf(out, "    Note over h%u,h%u: ", MIN(a->from, a->to),
                                   MAX(a->from, a->to));
            append_mermaid_text(out, phase_name(d, a, &owned));
            g_string_append_c(out, '\n');
        } else if (row->kind == ROW_NOTE) {
            const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, row->item);
            g_string_append_printf(out, "    Note over h%u: ", n->lifeline);
            append_mermaid_text(out, n->text);
            g_string_append_c(out, '\n');
        } else if (row->kind == ROW_RST) {
            /* ("-x" would say the SYN was lost: it arrived, and this TCP
             * segment answered it) */
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            g_string_append_printf(out, "    h%u%sh%u: ", a->to, arrow[MS_DIAGRAM_FLOW_TCP], a->from);
            append_mermaid_text(out, rst_words(d));
            g_string_append_c(out, '\n');
        } else if (row->kind == ROW_ARROW) {
            const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, row->item);
            const char *shape = a->lost ? (a->flow == MS_DIAGRAM_FLOW_PULL ? "--x" : "-x")
                                        : arrow[a->flow];
            g_string_append_printf(out, "    h%u%sh%u: ", a->from, shape, a->to);
            append_mermaid_text(out, a->text);
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}

char *ms_diagram_export(const MsDiagram *d, MsDiagramFormat format)
{
    switch (format) {
    case MS_DIAGRAM_TXT:
        return export_txt(d);
    case MS_DIAGRAM_MSC:
        return export_msc(d);
    case MS_DIAGRAM_PLANTUML:
        return export_plantuml(d);
    case MS_DIAGRAM_MERMAID:
        return export_mermaid(d);
    default:
        return NULL;
    }
}
