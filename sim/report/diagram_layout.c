/* diagram_layout.c - where things go on the page: the time axis, the y of
 * every arrow end and note, idle gaps drawn short, pages and phase bands.
 *
 * Every instant at which something is placed gets an anchor y on the time
 * axis.  Between two instants the axis advances in proportion to the time
 * (the scale, points per millisecond), so an arrow from its send time to
 * its arrival time slopes by its real delay.  Text bends that: on one
 * lifeline successive ends stay at least a row apart (lines sent together
 * become parallel arrows a row apart), and every arrow drops at least a row
 * (a long delay still looks longer than a short one).  The room text takes
 * pushes what follows down; it never flattens an arrow.  A gap too long for
 * the page (a retry half an hour later) is drawn as a short break that says
 * how long it was.  At one instant, on one lifeline, arrivals come before
 * sends (a reply leaves from where the request arrived) and sends and notes
 * keep the trace's order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

enum { EV_ARRIVE, EV_SEND, EV_NOTE, EV_LOSS };

typedef struct {
    MsTime time;
    guint cls;      /* 0 arrivals, 1 sends and notes, 2 loss points */
    guint64 order;  /* within a class: trace order */
    guint kind;
    guint item;     /* arrow or note index */
    guint lifeline; /* G_MAXUINT for a loss point */
} Event;

static gint compare_events(gconstpointer pa, gconstpointer pb)
{
    const Event *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

double ms_dg_delay_pt(const MsDiagram *d)
{
    return d->options.slide ? MS_DG_SLIDE_DELAY_PT : MS_DG_DELAY_PT;
}

/* Automatic scale: the slowest path gets ms_dg_delay_pt().  A connection's
 * path delay is the shortest delay of anything it carried (a line held up
 * by a retransmission says nothing about the path); lost segments count up
 * to where they were lost, so a connection that never got through still
 * has its distance.  Taking the slowest path means no arrow on it is drawn
 * across a compressed gap. */
static double pick_scale(const MsDiagram *d)
{
    if (d->options.scale > 0)
        return d->options.scale;
    g_autoptr(GArray) path = g_array_new(FALSE, TRUE, sizeof(MsTime)); /* by conn; 0: none */
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        guint conn = a->record->conn;
        if (a->arrival <= a->send)
            continue;
        if (path->len <= conn)
            g_array_set_size(path, conn + 1);
        MsTime *p = &g_array_index(path, MsTime, conn);
        if (*p == 0 || a->arrival - a->send < *p)
            *p = a->arrival - a->send;
    }
    MsTime slowest = 0;
    for (guint c = 0; c < path->len; c++)
        slowest = MAX(slowest, g_array_index(path, MsTime, c));
    if (slowest == 0)
        return 10.0;
    return CLAMP(ms_dg_delay_pt(d) / ((double) slowest / (double) MS_MSEC), 1e-9, 200.0);
}

static MsTime pick_gap(const MsDiagram *d)
{
    if (d->options.gap != 0)
        return d->options.gap;
    /* Auto: anything that would take more than twice the longest slope. */
    double ns = 2.0 * ms_dg_delay_pt(d) / d->scale * (double) MS_MSEC;
    return ns >= (double) (G_MAXINT64 / 2) ? G_MAXINT64 / 2 : (MsTime) ns;
}

/* ---- Pages -------------------------------------------------------------- */

static void place_notes(MsDiagram *d);

/* The rule that cuts pages, arrow by arrow: a new --page-time window, or a
 * full page at the end of a group (lines that travelled together are never
 * split).  Shared by the layout and by the count of pages not drawn. */
typedef struct {
    guint count;     /* arrows on the current page */
    guint start;     /* its first arrow */
    MsTime first;    /* send time of the first arrow */
    gint64 window;
} Pager;

/* How many arrows the page that begins at arrow `start` takes: the page
 * size; but on slides, when a full page would leave fewer than a quarter
 * page for the last one, half of what is left (two even slides, rather
 * than a full one and a scrap). */
static guint page_target(const MsDiagram *d, guint start)
{
    guint n = d->options.page_arrows, left = d->arrows->len - start;
    if (d->options.slide && left > n && left - n < n / 4)
        return (left + 1) / 2;
    return n;
}

static gboolean pager_cuts(Pager *pg, const MsDiagram *d, guint i)
{
    const MsDiagramOptions *o = &d->options;
    const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
    gboolean cut = FALSE;
    if (i == 0) {
        pg->first = a->send;
    } else {
        if (o->page_time > 0 && (a->send - pg->first) / o->page_time != pg->window) {
            pg->window = (a->send - pg->first) / o->page_time;
            cut = TRUE;
        }
        if (o->page_arrows > 0 && pg->count >= page_target(d, pg->start) &&
            a->group != g_array_index(d->arrows, MsDiagramArrow, i - 1).group)
            cut = TRUE;
    }
    return cut;
}

static void pager_count(Pager *pg, gboolean cut, guint i)
{
    pg->count = cut ? 1 : pg->count + 1;
    if (cut)
        pg->start = i;
}

void ms_dg_cut_pages(MsDiagram *d)
{
    d->cut = MS_TIME_NEVER;
    if (d->options.max_pages == 0)
        return;
    Pager pg = { 0 };
    guint page = 0, keep = d->arrows->len;
    for (guint i = 0; i < d->arrows->len; i++) {
        gboolean cut = pager_cuts(&pg, d, i);
        pager_count(&pg, cut, i);
        if (!cut)
            continue;
        page++;
        if (page == d->options.max_pages)
            keep = i;
    }
    if (keep == d->arrows->len)
        return;
    MsDiagramUndrawn *u = &d->undrawn;
    u->pages = page + 1 - d->options.max_pages;
    u->first_arrow = keep;
    u->n_arrows = d->arrows->len - keep;
    u->from = g_array_index(d->arrows, MsDiagramArrow, keep).send;
    u->to = g_array_index(d->arrows, MsDiagramArrow, d->arrows->len - 1).send;
    d->cut = u->from;
    g_array_set_size(d->arrows, keep);
    if (d->arrow_part->len > keep)
        g_array_set_size(d->arrow_part, keep);
}

guint ms_dg_total_pages(const MsDiagram *d)
{
    return d->pages->len + d->undrawn.pages;
}

/* cuts: NULL, or for each arrow where a page must begin (a slide that
 * would not fit) 1 + the first arrow of the page it was cut from, 0
 * elsewhere.  A cut made for a page that no longer begins there (an
 * earlier cut moved) is stale and left out: the fit looks at that page
 * again. */
static void assign_pages(MsDiagram *d, const guint *cuts)
{
    guint page = 0;
    Pager pager = { 0 };
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        gboolean cut = pager_cuts(&pager, d, i);
        if (i > 0 && cuts != NULL && cuts[i] == pager.start + 1)
            cut = TRUE;
        if (cut)
            page++;
        pager_count(&pager, cut, i);
        a->page = page;
    }
    for (guint p = 0; p <= page; p++) {
        MsDiagramPage pg = { 0 };
        g_array_append_val(d->pages, pg);
    }
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, a->page);
        if (pg->n_arrows == 0) {
            pg->first_arrow = i;
            pg->from = a->send;
        }
        pg->n_arrows++;
        pg->to = a->send;
    }
    place_notes(d);
}

typedef struct {
    MsTime time;
    guint64 order;
    guint index;
} NoteKey;

static gint compare_note_keys(gconstpointer pa, gconstpointer pb)
{
    const NoteKey *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

/* A note goes on the last page that had begun by its time; but one in the
 * idle time after that page's last arrow arrived, nearer to the next
 * page's first arrow than to that last arrival, on the next (the agent
 * that checks its mailbox opens the slide of the retrieval, not the foot
 * of the relay's; an attempt's failure stays with its attempt).  Notes
 * are put in time order first, so each page's notes are one range. */
static void place_notes(MsDiagram *d)
{
    guint n = d->notes->len;
    g_autofree MsTime *quiet_from = g_new(MsTime, d->pages->len + 1);
    for (guint p = 0; p < d->pages->len; p++)
        quiet_from[p] = G_MININT64;
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        quiet_from[a->page] = MAX(quiet_from[a->page], MAX(a->send, a->arrival));
    }
    g_autofree NoteKey *keys = g_new(NoteKey, n + 1);
    for (guint i = 0; i < n; i++) {
        keys[i].time = g_array_index(d->notes, MsDiagramNote, i).time;
        keys[i].order = g_array_index(d->note_order, guint64, i);
        keys[i].index = i;
    }
    qsort(keys, n, sizeof *keys, compare_note_keys);
    GArray *notes = g_array_sized_new(FALSE, FALSE, sizeof(MsDiagramNote), n);
    GArray *order = g_array_sized_new(FALSE, FALSE, sizeof(guint64), n);
    guint page = 0;
    for (guint i = 0; i < n; i++) {
        MsDiagramNote note = g_array_index(d->notes, MsDiagramNote, keys[i].index);
        while (page + 1 < d->pages->len &&
               g_array_index(d->pages, MsDiagramPage, page + 1).from <= note.time)
            page++;
        note.page = page;
        if (page + 1 < d->pages->len && note.time > quiet_from[page] &&
            note.time - quiet_from[page] >
                g_array_index(d->pages, MsDiagramPage, page + 1).from - note.time)
            note.page = page + 1;
        MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, note.page);
        if (pg->n_notes == 0)
            pg->first_note = notes->len;
        pg->n_notes++;
        g_array_append_val(notes, note);
        g_array_append_val(order, keys[i].order);
    }
    g_array_unref(d->notes);
    g_array_unref(d->note_order);
    d->notes = notes;
    d->note_order = order;
}

/* ---- The y of everything on one page ------------------------------------ */

typedef struct {
    gboolean has_last;
    double last_y;
    guint last_kind;
    guint last_rows;
    guint last_item;
    guint stamp;    /* key + 1 when it was last touched at the current key */
    double off;
    double shift;   /* how much lower an arrival here was put than planned */
    guint kind;
    guint rows;
    guint item;
} LifeState;

static guint event_rows(const MsDiagram *d, guint kind, guint item)
{
    if (kind == EV_NOTE || kind == EV_LOSS)
        return 1;
    return MAX(1u, g_array_index(d->arrows, MsDiagramArrow, item).rows);
}

/* How far an arrow drops at least: its delay at the scale, so an arrow that
 * leaves below others (the reply after a multi-line burst) still slopes by
 * its own delay; at least a row; at most what a compressed gap would be. */
double ms_dg_drop(const MsDiagram *d, const MsDiagramArrow *a)
{
    double px = d->scale * (double) (a->arrival - a->send) / (double) MS_MSEC;
    if (d->gap >= 0)
        px = MIN(px, d->scale * (double) d->gap / (double) MS_MSEC);
    /* Room for its text: rows of the label stay between its two ends.
     * Lines sent together drop alike, as much as the one with the most
     * rows needs: they stay parallel, so that none runs through the
     * label of the next (the spacing keeps them apart by their rows). */
    guint i = (guint) (a - &g_array_index(d->arrows, MsDiagramArrow, 0));
    guint rows = i < d->group_rows->len ? g_array_index(d->group_rows, guint, i) : a->rows;
    double text = rows > 1 ? MS_DG_T(d, MS_DG_ROW) * (rows + 0.5) : 0;
    return MAX(px, MAX(text, MS_DG_T(d, MS_DG_MIN_SLOPE)));
}

/* ---- Texts kept clear ---------------------------------------------------- */

double ms_dg_note_h(const MsDiagram *d, const MsDiagramNote *note)
{
    return MS_DG_T(d, MS_DG_NOTE_H) + (MAX(1u, note->rows) - 1) * MS_DG_T(d, MS_DG_SMALL_PT) * 1.2;
}

double ms_dg_note_w(const MsDiagram *d, const MsDiagramNote *note)
{
    double widest = 0;
    for (const char *row = note->label; row != NULL;) {
        const char *end = strchr(row, '\n');
        g_autofree char *one = g_strndup(row, end != NULL ? (gsize) (end - row) : strlen(row));
        widest = MAX(widest, ms_dg_text_width(one, MS_DG_T(d, MS_DG_SMALL_PT), FALSE));
        row = end != NULL ? end + 1 : NULL;
    }
    /* The node's margin of 0.06 inch each side (diagram_gv.c). */
    return widest + 2 * 0.06 * 72;
}

/* The size of an arrow's label as diagram_gv.c draws it: a plain-text node
 * in the arrow's face, a row per line at Graphviz's 1.2 em, with its margin
 * of 0.02 x 0.005 inch on each side; and MS_DG_PAD all round. */
void ms_dg_label_size(const MsDiagram *d, const MsDiagramArrow *a, double *w, double *h)
{
    gboolean line = a->kind != MS_DIAGRAM_ARROW_SEGMENT;
    gboolean mono = a->kind == MS_DIAGRAM_ARROW_LINE || a->compact;
    double size = MS_DG_T(d, mono || line ? MS_DG_LINE_PT : MS_DG_SMALL_PT);
    double widest = 0, width = 0;
    guint rows = 1;
    for (const char *p = a->label != NULL ? a->label : ""; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\n') {
            rows++;
            width = 0;
            continue;
        }
        width += g_unichar_iswide(c) ? size : size * (mono ? 0.602 : 0.62);
        widest = MAX(widest, width);
    }
    *w = widest + 2 * 1.44 + 2 * MS_DG_PAD;
    *h = rows * size * 1.2 + 2 * 0.36 + 2 * MS_DG_PAD;
}

/* The line of an arrow as y = y0 + k * x between x lo and hi, its end on
 * the shared lifeline (its sender when `sending`, else its receiver) at
 * y = 0; with its label box at its middle. */
typedef struct {
    double lo, hi, y0, k;
    double left, right, top, bottom; /* label */
} Shape;

static Shape shape_of(const MsDiagram *d, const MsDiagramArrow *a, gboolean sending, double extra)
{
    Shape sh;
    double w, h, dy = ms_dg_drop(d, a) + extra;
    ms_dg_label_size(d, a, &w, &h);
    double xs = sending ? a->x1 : a->x2, xo = sending ? a->x2 : a->x1;
    double yo = sending ? dy : -dy;
    sh.lo = MIN(xs, xo);
    sh.hi = MAX(xs, xo);
    sh.k = xo != xs ? yo / (xo - xs) : 0;
    sh.y0 = -sh.k * xs;
    double cx = (xs + xo) / 2, mid = yo / 2;
    sh.left = cx - w / 2;
    sh.right = cx + w / 2;
    sh.top = mid - h / 2;
    sh.bottom = mid + h / 2;
    return sh;
}

/* How far the line of b must be moved down to pass below the label of a
 * wherever both are (-G_MAXDOUBLE when they never meet). */
static double below_label(const Shape *a, const Shape *b)
{
    double xa = MAX(a->left, b->lo), xb = MIN(a->right, b->hi);
    if (xa >= xb)
        return -G_MAXDOUBLE;
    return a->bottom - MIN(b->y0 + b->k * xa, b->y0 + b->k * xb);
}

/* ...and how far, for the line of a to pass above the label of b. */
static double above_label(const Shape *a, const Shape *b)
{
    double xa = MAX(b->left, a->lo), xb = MIN(b->right, a->hi);
    if (xa >= xb)
        return -G_MAXDOUBLE;
    return MAX(a->y0 + a->k * xa, a->y0 + a->k * xb) - b->top;
}

/* Two arrows leaving (or arriving at) one lifeline one after the other, b
 * a distance s below a: s must let b pass below a's label, a pass above
 * b's, and b's label sit below a's.  Lines of one segment between the same
 * two hosts are parallel; as they arrive one after the other they drop a
 * little more than their delay says: a row more is allowed for. */
static double pair_gap(const MsDiagram *d, const MsDiagramArrow *a, const MsDiagramArrow *b,
                       gboolean sending)
{
    double extra = a->from == b->from && a->to == b->to ? MS_DG_T(d, MS_DG_ROW) : 0;
    Shape sa = shape_of(d, a, sending, extra), sb = shape_of(d, b, sending, extra);
    double s = MAX(below_label(&sa, &sb), above_label(&sa, &sb));
    if (sa.left < sb.right && sb.left < sa.right)
        s = MAX(s, sa.bottom - sb.top);
    return s;
}

/* How far below the previous end on a lifeline the next one goes; an
 * arrow with several rows of text keeps its neighbours further off, and
 * two arrows leaving or arriving one after the other keep clear of each
 * other's labels. */
static double spacing(const MsDiagram *d, const LifeState *ls, guint next, guint next_rows,
                      guint next_item)
{
    guint prev = ls->kind, prev_rows = ls->rows;
    if (prev == EV_ARRIVE && next == EV_SEND)
        return 0; /* the reply leaves where the request arrived */
    if (prev == EV_NOTE)
        return ms_dg_note_h(d, &g_array_index(d->notes, MsDiagramNote, ls->item)) + 6.0;
    if (next == EV_NOTE)
        return 6.0;
    double s = MS_DG_T(d, MS_DG_ROW) * (double) MAX(1u, (prev_rows + next_rows + 1) / 2);
    if (prev == next && (next == EV_SEND || next == EV_ARRIVE))
        s = MAX(s, pair_gap(d, &g_array_index(d->arrows, MsDiagramArrow, ls->item),
                            &g_array_index(d->arrows, MsDiagramArrow, next_item),
                            next == EV_SEND));
    return s;
}

static GArray *page_events(MsDiagram *d, guint page)
{
    GArray *ev = g_array_new(FALSE, FALSE, sizeof(Event));
    const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        Event s = { a->send, 1, 2 * a->record->id, EV_SEND, i, a->from };
        g_array_append_val(ev, s);
        if (!a->lost) {
            Event r = { a->arrival, 0, i, EV_ARRIVE, i, a->to };
            g_array_append_val(ev, r);
        } else if (a->arrival >= 0) {
            Event l = { a->arrival, 2, i, EV_LOSS, i, G_MAXUINT };
            g_array_append_val(ev, l);
        }
    }
    for (guint i = pg->first_note; i < pg->first_note + pg->n_notes; i++) {
        const MsDiagramNote *n = &g_array_index(d->notes, MsDiagramNote, i);
        Event e = { n->time, 1, 2 * g_array_index(d->note_order, guint64, i), EV_NOTE, i,
                    n->lifeline };
        g_array_append_val(ev, e);
    }
    g_array_sort(ev, compare_events);
    return ev;
}

static void add_break(MsDiagram *d, guint page, MsTime from, MsTime to, double y1, double y2)
{
    g_autofree char *span = ms_time_format_human(to - from);
    g_autofree char *label = MS_DG_PRINTF(d, "%s later", "%s 后", span);
    MsDiagramBreak b = { page, from, to, y1, y2, ms_dg_intern(d, label) };
    g_array_append_val(d->breaks, b);
}

/* An instant placed again at most this often (see layout_page). */
#define MAX_INSTANT_TRIES 3

static void layout_page(MsDiagram *d, guint page)
{
    guint first_tick = d->ticks->len, first_break = d->breaks->len;
    g_autoptr(GArray) ev = page_events(d, page);
    guint nl = d->lifelines->len;
    g_autofree LifeState *life = g_new0(LifeState, nl + 1);
    MsDgPlacer pl;
    ms_dg_placer_init(&pl, d, page);
    g_autofree double *off = g_new0(double, ev->len + 1);
    double floor_y = MS_DG_T(d, MS_DG_FIRST_Y), y = floor_y, last_label = -1e9, last_mark = -1e9;
    /* The last labelled tick, and whether an arrow leaves at it. */
    guint last_tick = G_MAXUINT;
    gboolean last_sends = FALSE, last_after_break = FALSE;
    MsTime prev_t = 0;
    guint key = 0;

    for (guint a = 0; a < ev->len; key++) {
        MsTime t = g_array_index(ev, Event, a).time;
        guint b = a;
        while (b < ev->len && g_array_index(ev, Event, b).time == t)
            b++;
        gboolean after_break = FALSE;
        if (key > 0) {
            MsTime dt = t - prev_t;
            if (d->gap >= 0 && dt > d->gap) {
                double y_break = floor_y + 6.0;
                y = MAX(y + MS_DG_MIN_STEP, floor_y + MS_DG_T(d, MS_DG_BREAK_H));
                add_break(d, page, prev_t, t, y_break, y - 6.0);
                after_break = TRUE;
            } else {
                y += MAX(MS_DG_MIN_STEP, d->scale * (double) dt / (double) MS_MSEC);
                y = MAX(y, last_mark + MS_DG_T(d, 6.0));
            }
        }
        ms_dg_placer_advance(&pl, y);
        /* Offsets within this instant, and how far down the anchor must go
         * for every lifeline's spacing and every arrival's slope and text. */
        double need = y;
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            if (e->kind == EV_LOSS)
                continue;
            LifeState *ls = &life[e->lifeline];
            guint rows = event_rows(d, e->kind, e->item);
            if (ls->stamp != key + 1) {
                ls->stamp = key + 1;
                ls->off = 0;
                ls->shift = 0;
                if (ls->has_last) {
                    LifeState prev = { .kind = ls->last_kind, .rows = ls->last_rows,
                                       .item = ls->last_item };
                    need = MAX(need, ls->last_y + spacing(d, &prev, e->kind, rows, e->item));
                }
            } else {
                ls->off += spacing(d, ls, e->kind, rows, e->item);
            }
            ls->kind = e->kind;
            ls->rows = rows;
            ls->item = e->item;
            off[i] = ls->off;
            if (e->kind == EV_SEND)
                need = MAX(need, ms_dg_send_floor(&pl, e->item - pl.first, need + off[i]) - off[i]);
            if (e->kind == EV_ARRIVE) {
                const MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                if (ar->y1 >= 0) {
                    need = MAX(need, ar->y1 + ms_dg_drop(d, ar) - off[i]);
                    double y2, lx, ly;
                    ms_dg_settle(&pl, e->item - pl.first, MAX(need + off[i], ar->y1 + ms_dg_drop(d, ar)), &y2,
                           &lx, &ly);
                    need = MAX(need, y2 - off[i]);
                }
            }
        }
        /* Placed for real, an arrival may still have to go lower than the
         * anchor (its label clear of what else arrives at this instant):
         * then the whole instant is placed again that much lower, so that
         * everything of one instant stays on its tick. */
        g_autofree double *at_of = g_new0(double, b - a + 1);
        for (guint attempt = 0;; attempt++) {
            double raise = y = need;
            pl.now = y;
            ms_dg_placer_snapshot(&pl);
            for (guint i = a; i < b; i++) {
                const Event *e = &g_array_index(ev, Event, i);
                if (e->kind != EV_LOSS)
                    life[e->lifeline].shift = 0;
                if (e->kind == EV_ARRIVE || e->kind == EV_LOSS)
                    pl.done[e->item - pl.first] = 0;
            }
            /* What leaves at this instant is in flight already for the
             * labels of what arrives at it. */
            for (guint i = a; i < b; i++) {
                const Event *e = &g_array_index(ev, Event, i);
                if (e->kind == EV_SEND) {
                    g_array_index(d->arrows, MsDiagramArrow, e->item).y1 = y + off[i];
                    ms_dg_commit_send(&pl, e->item - pl.first);
                }
            }
            for (guint i = a; i < b; i++) {
                const Event *e = &g_array_index(ev, Event, i);
                MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                if (e->kind == EV_LOSS) {
                    double y2 = MAX(y, ar->y1 + MS_DG_T(d, MS_DG_MIN_SLOPE) / 2);
                    ms_dg_settle(&pl, e->item - pl.first, y2, &ar->y2, &ar->label_x, &ar->label_y);
                    ms_dg_commit_arrow(&pl, e->item - pl.first);
                    at_of[i - a] = ar->y2;
                    continue;
                }
                /* Lower by as much as an arrival before it here was pushed. */
                double at = y + off[i] + life[e->lifeline].shift;
                if (e->kind == EV_SEND) {
                    ar->y1 = at;
                } else if (e->kind == EV_ARRIVE) {
                    /* One after the other, so that two arrivals of one
                     * instant keep their labels apart too. */
                    if (ar->y1 >= 0) {
                        double y2, lx, ly;
                        ms_dg_settle(&pl, e->item - pl.first, at, &y2, &lx, &ly);
                        if (y2 > at + 0.5)
                            raise = MAX(raise, y2 - off[i]);
                        life[e->lifeline].shift += y2 - at;
                        at = y2;
                        ar->y2 = y2;
                        ar->label_x = lx;
                        ar->label_y = ly;
                        ms_dg_commit_arrow(&pl, e->item - pl.first);
                    } else {
                        ar->y2 = at;
                    }
                } else {
                    MsDiagramNote *note = &g_array_index(d->notes, MsDiagramNote, e->item);
                    double top = ms_dg_note_top(&pl, note, at);
                    life[e->lifeline].shift += top - at;
                    at = top;
                    note->y = at;
                    ms_dg_commit_note(&pl, note);
                }
                at_of[i - a] = at;
            }
            if (raise <= need + 0.5 || attempt == MAX_INSTANT_TRIES)
                break;
            ms_dg_placer_rollback(&pl);
            need = raise;
        }
        ms_dg_placer_release(&pl);
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            double at = at_of[i - a];
            if (e->kind == EV_LOSS) {
                floor_y = MAX(floor_y, at);
                continue;
            }
            life[e->lifeline].has_last = TRUE;
            life[e->lifeline].last_y = at;
            life[e->lifeline].last_kind = e->kind;
            life[e->lifeline].last_rows = event_rows(d, e->kind, e->item);
            life[e->lifeline].last_item = e->item;
            floor_y = MAX(floor_y, at + (e->kind == EV_NOTE
                                             ? ms_dg_note_h(d, &g_array_index(d->notes, MsDiagramNote,
                                                                              e->item))
                                             : 0));
        }
        /* A zero-delay arrow sent at this very instant: level, not rising. */
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            if (e->kind != EV_ARRIVE)
                continue;
            MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
            if (!pl.done[e->item - pl.first]) {
                ar->y2 = MAX(ar->y2, ar->y1);
                ar->label_x = (ar->x1 + ar->x2) / 2;
                ar->label_y = MAX((ar->y1 + ar->y2) / 2, ar->y1);
                ms_dg_commit_arrow(&pl, e->item - pl.first);
            } else if (ar->y2 < ar->y1) {
                ar->y2 = ar->y1;
                ar->label_y = MAX(ar->label_y, ar->y1);
            }
        }
        /* An instant at which arrows leave only below a note on their
         * lifeline ("QUIT" under "leaves the queue"): its tick, and the
         * time axis from there on, go with the first of those arrows, so
         * that the time it shows is on the arrow.  When something arrives
         * or leaves at the instant's own y (the message text whose delivery
         * the note tells, before "250 queued" leaves), that keeps the tick,
         * and each arrow below a note gets one more with the same time. */
        double first_send = G_MAXDOUBLE;
        gboolean send_on_anchor = FALSE, arrival_on_anchor = FALSE;
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            const MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
            if (e->kind == EV_SEND) {
                first_send = MIN(first_send, ar->y1);
                send_on_anchor |= ar->y1 <= y + 0.5;
            }
            arrival_on_anchor |= e->kind == EV_ARRIVE && ar->y2 <= y + 0.5;
        }
        if (!send_on_anchor && !arrival_on_anchor && first_send < G_MAXDOUBLE)
            y = first_send;
        gboolean sends = FALSE;
        for (guint i = a; i < b; i++)
            sends |= g_array_index(ev, Event, i).kind == EV_SEND;
        gboolean labelled = after_break || y - last_label >= MS_DG_T(d, 12.0);
        /* Too close to the last label: an instant at which an arrow leaves
         * takes the label from one at which only a note was put. */
        if (!labelled && sends && !last_sends && !last_after_break && last_tick != G_MAXUINT &&
            y - g_array_index(d->ticks, MsDiagramTick, last_tick).y < MS_DG_T(d, 12.0)) {
            g_array_index(d->ticks, MsDiagramTick, last_tick).label = NULL;
            labelled = TRUE;
        }
        g_autofree char *text = labelled ? ms_time_format_ms(t) : NULL;
        MsDiagramTick tick = { page, t, y, labelled ? ms_dg_intern(d, text) : NULL, FALSE };
        if (labelled) {
            last_tick = d->ticks->len;
            last_sends = sends;
            last_after_break = after_break;
        }
        g_array_append_val(d->ticks, tick);
        if (labelled)
            last_label = y;
        /* Arrows of the instant that leave below a note, top first (of
         * lines sent together, the first): a tick each, so that the arrow
         * starts at one.  The time is printed once an instant: where a
         * tick above already says it, the tick is a mark that the axis
         * joins to that one ("395.474" once beside the message text's
         * arrival, its notes and the "250 queued" that leaves below
         * them); else it is labelled unless too close to the last
         * label. */
        gboolean printed = labelled;
        for (double from = y + 0.5;;) {
            double next = G_MAXDOUBLE;
            for (guint i = a; i < b; i++) {
                const Event *e = &g_array_index(ev, Event, i);
                const MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                if (e->kind != EV_SEND || ar->y1 <= from)
                    continue;
                gboolean below_note = FALSE, group_above = FALSE;
                for (guint k = a; k < b; k++) {
                    const Event *n = &g_array_index(ev, Event, k);
                    const MsDiagramArrow *o = &g_array_index(d->arrows, MsDiagramArrow, n->item);
                    below_note |= k < i && n->kind == EV_NOTE && n->lifeline == e->lifeline;
                    group_above |= n->kind == EV_SEND && o->group == ar->group &&
                                   o->y1 < ar->y1 - 0.5;
                }
                if (below_note && !group_above)
                    next = MIN(next, ar->y1);
            }
            if (next == G_MAXDOUBLE)
                break;
            from = next + 0.5;
            MsDiagramTick again = { page, t, next, NULL, printed };
            if (!printed && next - last_label >= MS_DG_T(d, 12.0)) {
                g_autofree char *at = ms_time_format_ms(t);
                again.label = ms_dg_intern(d, at);
                last_tick = d->ticks->len;
                last_sends = TRUE;
                last_after_break = FALSE;
                last_label = next;
                printed = TRUE;
            }
            g_array_append_val(d->ticks, again);
            /* In the compact view what happens next is drawn below
             * every tick of this instant, so that time does not run
             * back up the axis between two sessions at once (the axis
             * still advances from the instant's first tick).  The full
             * view's stacks of body lines are too tall for that: the
             * other session's arrows would stretch across them. */
            if (d->view == MS_DIAGRAM_VIEW_COMPACT)
                last_mark = next;
        }
        prev_t = t;
        a = b;
    }

    /* Lost with no time known (still in flight at the end of the run). */
    const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, i);
        if (ar->lost && ar->arrival < 0)
            ar->y2 = ar->y1 + MS_DG_T(d, MS_DG_MIN_SLOPE);
        if (ar->label_y < 0) { /* lost, or not placed by its arrival */
            ar->label_x = (ar->x1 + ar->x2) / 2;
            ar->label_y = (ar->y1 + ar->y2) / 2;
        }
        floor_y = MAX(floor_y, MAX(ar->y1, ar->y2));
        /* A label of several rows put below its arrow's middle may reach
         * lower than the arrow: the page holds it. */
        double lw, lh;
        ms_dg_label_size(d, ar, &lw, &lh);
        floor_y = MAX(floor_y, ar->label_y + lh / 2 - MS_DG_PAD);
    }
    ms_dg_placer_clear(&pl);
    MsDiagramPage *out = &g_array_index(d->pages, MsDiagramPage, page);
    out->first_tick = first_tick;
    out->n_ticks = d->ticks->len - first_tick;
    out->first_break = first_break;
    out->n_breaks = d->breaks->len - first_break;
    out->lifeline_top = MS_DG_T(d, MS_DG_HEAD_Y + MS_DG_HEAD_H);
    out->height = floor_y + MS_DG_T(d, MS_DG_BOTTOM) + (d->pages->len > 1 ? MS_DG_T(d, 14.0) : 0.0);
}

/* ---- Phase bands -------------------------------------------------------- */

typedef struct {
    const char *phase; /* of the open run, NULL when none */
    MsDiagramBand band;
    gint last_band;    /* index in d->bands of its previous band, -1 */
    gboolean synack, established, fin;
    gboolean touched;  /* on the page being laid out */
} ConnRun;

static const char *segment_phase(ConnRun *c, const MsTraceRecord *r)
{
    if ((r->flags & MS_TCP_SYN) != 0) {
        c->synack |= (r->flags & MS_TCP_ACK) != 0;
        return "tcp.handshake";
    }
    /* RFC 9293 3.5: the client's ACK of the SYN+ACK completes the handshake. */
    if (c->synack && !c->established && r->dir == MS_DIR_CLIENT && r->flags == MS_TCP_ACK &&
        r->len == 0) {
        c->established = TRUE;
        return "tcp.handshake";
    }
    if ((r->flags & MS_TCP_FIN) != 0 || c->fin) {
        c->fin = TRUE;
        return "tcp.teardown";
    }
    return NULL;
}

static void close_run(MsDiagram *d, ConnRun *c)
{
    if (c->phase == NULL)
        return;
    const char *name = ms_report_phase_text(c->phase, d->lang);
    g_autofree char *label = g_strdup_printf("[%u] %s", c->band.conn, name != NULL ? name : c->phase);
    c->band.label = ms_dg_intern(d, label);
    g_array_append_val(d->bands, c->band);
    c->last_band = (gint) d->bands->len - 1;
    c->phase = NULL;
}

static gint compare_bands(gconstpointer pa, gconstpointer pb)
{
    const MsDiagramBand *a = pa, *b = pb;
    if (a->y1 != b->y1)
        return a->y1 < b->y1 ? -1 : 1;
    return a->conn < b->conn ? -1 : (a->conn > b->conn);
}

static gint compare_uint(gconstpointer pa, gconstpointer pb)
{
    guint a = *(const guint *) pa, b = *(const guint *) pb;
    return a < b ? -1 : (a > b);
}

/* conns: a ConnRun per connection id, all fresh (last_band -1) on entry
 * and again on return; only the page's own connections are touched, so
 * paging costs nothing per connection of the whole run. */
static void page_bands(MsDiagram *d, guint page, GArray *conns)
{
    const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
    g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(guint));
    guint start = d->bands->len;
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *r = a->record;
        ConnRun *c = &g_array_index(conns, ConnRun, r->conn);
        if (!c->touched) {
            c->touched = TRUE;
            g_array_append_val(touched, r->conn);
        }
        const char *phase = a->kind == MS_DIAGRAM_ARROW_SEGMENT ? segment_phase(c, r) : r->phase;
        double lo = MIN(a->y1, a->y2), hi = MAX(a->y1, a->y2);
        if (phase == NULL) {
            if (c->phase != NULL)
                c->band.y2 = MAX(c->band.y2, hi);
            continue;
        }
        if (c->phase != NULL && strcmp(c->phase, phase) == 0) {
            c->band.y1 = MIN(c->band.y1, lo);
            c->band.y2 = MAX(c->band.y2, hi);
            continue;
        }
        close_run(d, c);
        /* Bands of one connection follow one another; never overlap. */
        if (c->last_band >= 0) {
            MsDiagramBand *prev = &g_array_index(d->bands, MsDiagramBand, c->last_band);
            prev->y2 = MAX(prev->y1, MIN(prev->y2, lo));
        }
        c->phase = phase;
        memset(&c->band, 0, sizeof c->band);
        c->band.page = page;
        c->band.conn = r->conn;
        c->band.left = MIN(a->from, a->to);
        c->band.right = MAX(a->from, a->to);
        c->band.flow = a->kind == MS_DIAGRAM_ARROW_SEGMENT ? MS_DIAGRAM_FLOW_TCP : a->flow;
        c->band.y1 = lo;
        c->band.y2 = hi;
    }
    g_array_sort(touched, compare_uint);
    for (guint k = 0; k < touched->len; k++) {
        ConnRun *c = &g_array_index(conns, ConnRun, g_array_index(touched, guint, k));
        close_run(d, c);
        memset(c, 0, sizeof *c);
        c->last_band = -1;
    }

    /* Labels in the right margin: the first free lane from the left. */
    guint n = d->bands->len - start;
    if (n > 1)
        qsort(&g_array_index(d->bands, MsDiagramBand, start), n, sizeof(MsDiagramBand),
              compare_bands);
    g_autoptr(GArray) lane_end = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint k = start; k < d->bands->len; k++) {
        MsDiagramBand *bd = &g_array_index(d->bands, MsDiagramBand, k);
        double mid = (bd->y1 + bd->y2) / 2;
        double top = MIN(bd->y1, mid - 8.0), bottom = MAX(bd->y2, mid + 8.0);
        guint lane = 0;
        while (lane < lane_end->len && g_array_index(lane_end, double, lane) > top + 0.5)
            lane++;
        if (lane == lane_end->len)
            g_array_append_val(lane_end, bottom);
        g_array_index(lane_end, double, lane) = bottom;
        bd->lane = lane;
    }
    d->n_lanes = MAX(d->n_lanes, lane_end->len);
    MsDiagramPage *out = &g_array_index(d->pages, MsDiagramPage, page);
    out->first_band = start;
    out->n_bands = n;
}

/* The lowest point of an arrow, its text included. */
static double arrow_bottom(const MsDiagram *d, const MsDiagramArrow *a)
{
    return MAX(a->y1, a->y2) + MS_DG_T(d, MS_DG_ROW) * (a->rows - 1) / 2.0;
}

/* Where a slide page may be cut, best first: where a connection begins
 * (a new session, a new slide), where a connection's phase changes, where
 * a group of lines sent together begins.  Never inside a group. */
static guint cut_rank(const MsDiagram *d, const guint *conn_start, guint i)
{
    const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
    const MsDiagramArrow *b = &g_array_index(d->arrows, MsDiagramArrow, i - 1);
    if (a->group == b->group)
        return 0;
    if (conn_start[i])
        return 3;
    const char *pa = a->record->phase, *pb = b->record->phase;
    if (a->record->conn != b->record->conn ||
        (pa != NULL && (pb == NULL || strcmp(pa, pb) != 0)))
        return 2;
    return 1;
}

/* The best place to cut between arrows lo and hi (lo > 0), the latest of
 * the best; hi when none is better than any other. */
static guint best_cut(const MsDiagram *d, const guint *conn_start, guint lo, guint hi)
{
    guint at = hi, rank = 0;
    for (guint i = hi; i >= lo && i > 0; i--) {
        guint r = cut_rank(d, conn_start, i);
        if (r > rank) {
            rank = r;
            at = i;
        }
    }
    return at;
}

/* A slide page taller than the slide (at the width its lifelines need)
 * would be shrunk until its type is small: it gets a new page before its
 * first arrow that reaches too low, or, when one begins in the page's
 * second half, where a connection (else a phase) begins before that.
 * Returns whether any page was cut. */
static gboolean cut_tall_pages(MsDiagram *d, guint *cuts, const guint *conn_start, double width)
{
    double limit = MAX(MS_DG_SLIDE_H, width * MS_DG_SLIDE_H / MS_DG_SLIDE_W) -
                   MS_DG_T(d, MS_DG_BOTTOM) - MS_DG_T(d, 14.0);
    gboolean cut = FALSE;
    for (guint p = 0; p < d->pages->len; p++) {
        const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, p);
        if (pg->height <= limit + MS_DG_T(d, MS_DG_BOTTOM) + MS_DG_T(d, 14.0) || pg->n_arrows < 2)
            continue;
        guint first = pg->first_arrow;
        guint at = first + pg->n_arrows - 1; /* too tall by its notes */
        for (guint i = first + 1; i < first + pg->n_arrows; i++) {
            if (arrow_bottom(d, &g_array_index(d->arrows, MsDiagramArrow, i)) > limit) {
                at = i;
                break;
            }
        }
        guint better = best_cut(d, conn_start, first + MAX(1u, (at - first + 1) / 2), at);
        if (cut_rank(d, conn_start, better) > 0)
            at = better;
        cuts[at] = first + 1;
        cut = TRUE;
    }
    return cut;
}

static void clear_layout(MsDiagram *d)
{
    g_array_set_size(d->pages, 0);
    g_array_set_size(d->ticks, 0);
    g_array_set_size(d->bands, 0);
    g_array_set_size(d->breaks, 0);
    d->n_lanes = 0;
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        a->y1 = a->y2 = a->label_x = a->label_y = -1;
    }
}

static double layout_pages(MsDiagram *d, const guint *cuts);

/* A slide too tall for the screen is cut in two while it is laid out, so
 * the cut before the layout (ms_dg_cut_pages) may leave more pages than
 * max_pages: the last ones join the pages not drawn.  Everything is stored
 * page by page, so keeping the first pages is keeping a prefix of each
 * list. */
static void trim_pages(MsDiagram *d, guint keep)
{
    guint arrows = 0, notes = 0, bands = 0, breaks = 0, ticks = 0;
    for (guint p = 0; p < keep; p++) {
        const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, p);
        arrows += pg->n_arrows;
        notes += pg->n_notes;
        bands += pg->n_bands;
        breaks += pg->n_breaks;
        ticks += pg->n_ticks;
    }
    MsDiagramUndrawn *u = &d->undrawn;
    const MsDiagramPage *first = &g_array_index(d->pages, MsDiagramPage, keep);
    if (u->pages == 0)
        u->to = g_array_index(d->pages, MsDiagramPage, d->pages->len - 1).to;
    u->pages += d->pages->len - keep;
    u->n_arrows += d->arrows->len - arrows;
    u->first_arrow = arrows;
    u->from = first->from;
    d->cut = first->from;
    g_array_set_size(d->arrows, arrows);
    if (d->arrow_part->len > arrows)
        g_array_set_size(d->arrow_part, arrows);
    g_array_set_size(d->notes, notes);
    g_array_set_size(d->note_order, notes);
    g_array_set_size(d->bands, bands);
    g_array_set_size(d->breaks, breaks);
    g_array_set_size(d->ticks, ticks);
    g_array_set_size(d->pages, keep);
}

/* Lays out the pages, cutting those too tall for a slide until all fit.
 * Each pass is linear; a slide page is cut at most once a pass, the first
 * page cut stays cut, and a page of a dozen arrows seldom needs more than
 * two cuts. */
#define MAX_FIT_PASSES 16
static void fit_slides(MsDiagram *d, guint *cuts, const guint *conn_start)
{
    for (guint pass = 0;; pass++) {
        double width = layout_pages(d, cuts);
        if (pass == MAX_FIT_PASSES || !cut_tall_pages(d, cuts, conn_start, width))
            return;
        clear_layout(d);
    }
}

/* A deck that ends on a scrap (a last slide of one or two arrows, left
 * over from a page too tall) ends instead on two halves: the page before
 * it is cut at its best place near its middle and the rest joins the
 * scrap.  Kept only when it costs no slide. */
static void even_last_slide(MsDiagram *d, guint *cuts, const guint *conn_start)
{
    guint n = d->pages->len;
    if (n < 2)
        return;
    const MsDiagramPage *last = &g_array_index(d->pages, MsDiagramPage, n - 1);
    const MsDiagramPage *prev = &g_array_index(d->pages, MsDiagramPage, n - 2);
    if (last->n_arrows > 2 || cuts[last->first_arrow] == 0 || prev->n_arrows < 2)
        return;
    guint first = prev->first_arrow, end = last->first_arrow;
    guint mid = first + (end - first + 1) / 2;
    guint at = best_cut(d, conn_start, first + 1, mid);
    /* No place before the middle: the best after it. */
    if (cut_rank(d, conn_start, at) == 0)
        at = best_cut(d, conn_start, mid, end - 1);
    if (at <= first || at >= end || cut_rank(d, conn_start, at) == 0)
        return;
    guint len = d->arrows->len + 1;
    g_autofree guint *saved = g_memdup2(cuts, len * sizeof *cuts);
    cuts[end] = 0;
    cuts[at] = first + 1;
    clear_layout(d);
    fit_slides(d, cuts, conn_start);
    if (d->pages->len <= n)
        return;
    memcpy(cuts, saved, len * sizeof *cuts);
    clear_layout(d);
    fit_slides(d, cuts, conn_start);
}

/* d->group_rows: for each arrow, the most rows of the arrows of its group
 * (consecutive in the list). */
static void find_group_rows(MsDiagram *d)
{
    guint n = d->arrows->len;
    g_array_set_size(d->group_rows, n);
    for (guint i = 0; i < n;) {
        guint group = g_array_index(d->arrows, MsDiagramArrow, i).group, most = 1, j = i;
        for (; j < n && g_array_index(d->arrows, MsDiagramArrow, j).group == group; j++)
            most = MAX(most, g_array_index(d->arrows, MsDiagramArrow, j).rows);
        for (; i < j; i++)
            g_array_index(d->group_rows, guint, i) = most;
    }
}

void ms_dg_layout(MsDiagram *d)
{
    find_group_rows(d);
    d->scale = pick_scale(d);
    d->gap = pick_gap(d);
    if (!d->options.slide) {
        layout_pages(d, NULL);
        return;
    }
    guint n = d->arrows->len;
    g_autofree guint *cuts = g_new0(guint, n + 1);
    /* conn_start[i]: whether arrow i is its connection's first. */
    g_autofree guint *conn_start = g_new0(guint, n + 1);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < n; i++) {
        guint conn = g_array_index(d->arrows, MsDiagramArrow, i).record->conn;
        conn_start[i] = conn != 0 && g_hash_table_add(seen, GUINT_TO_POINTER(conn));
    }
    fit_slides(d, cuts, conn_start);
    even_last_slide(d, cuts, conn_start);
    if (d->options.max_pages > 0 && d->pages->len > d->options.max_pages)
        trim_pages(d, d->options.max_pages);
}

/* Lays out every page; returns the pages' width. */
static double layout_pages(MsDiagram *d, const guint *cuts)
{
    assign_pages(d, cuts);
    guint max_conn = 0;
    for (guint i = 0; i < d->arrows->len; i++)
        max_conn = MAX(max_conn, g_array_index(d->arrows, MsDiagramArrow, i).record->conn);
    g_autoptr(GArray) conns = g_array_new(FALSE, TRUE, sizeof(ConnRun));
    g_array_set_size(conns, d->arrows->len > 0 ? max_conn + 1 : 0);
    for (guint k = 0; k < conns->len; k++)
        g_array_index(conns, ConnRun, k).last_band = -1;
    for (guint p = 0; p < d->pages->len; p++) {
        layout_page(d, p);
        page_bands(d, p, conns);
    }
    double width = MS_DG_AXIS_X + 300.0;
    if (d->lifelines->len > 0) {
        const MsDiagramLifeline *last =
            &g_array_index(d->lifelines, MsDiagramLifeline, d->lifelines->len - 1);
        width = last->x + d->column / 2 + d->n_lanes * MS_DG_T(d, MS_DG_LANE) + MS_DG_MARGIN;
    }
    for (guint p = 0; p < d->pages->len; p++)
        g_array_index(d->pages, MsDiagramPage, p).width = width;
    return width;
}
