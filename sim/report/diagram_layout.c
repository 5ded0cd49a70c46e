/* diagram_layout.c - where things go on one page: the time axis, the y of
 * every arrow end and note, idle gaps drawn short.  Which arrows share a
 * page is diagram_pages.c's; the phase bands behind them, diagram_bands.c's.
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
#include <string.h>

#include "report/diagram-private.h"

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
double ms_dg_pick_scale(const MsDiagram *d)
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

MsTime ms_dg_pick_gap(const MsDiagram *d)
{
    if (d->options.gap != 0)
        return d->options.gap;
    /* Auto: anything that would take more than twice the longest slope. */
    double ns = 2.0 * ms_dg_delay_pt(d) / d->scale * (double) MS_MSEC;
    return ns >= (double) (G_MAXINT64 / 2) ? G_MAXINT64 / 2 : (MsTime) ns;
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
 * its own delay; at most what a compressed gap would be; and at least its
 * label's rows and half a row more, so that a label at an arrow's middle
 * keeps clear of the arrows leaving just before and after it (a command
 * and its reply 2 ms apart no longer run through each other's labels). */
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
    double text = MS_DG_T(d, MS_DG_ROW) * (MAX(1u, rows) + 0.5);
    return MAX(px, text);
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

/* Whether the arrows `item1` and `item2`, at their ends of kind `kind1`
 * and `kind2` (EV_SEND: the sender's, else the receiver's) on one
 * lifeline, go off to opposite sides of it.  A failed connection attempt
 * does not count: its short cross or bar at the far end says less about
 * where its line runs than the placer's rows assume. */
static gboolean opposite_sides(const MsDiagram *d, guint kind1, guint item1, guint kind2,
                               guint item2)
{
    const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, item1);
    const MsDiagramArrow *b = &g_array_index(d->arrows, MsDiagramArrow, item2);
    if (a->kind == MS_DIAGRAM_ARROW_ATTEMPT || b->kind == MS_DIAGRAM_ARROW_ATTEMPT)
        return FALSE;
    gboolean right_a = kind1 == EV_SEND ? a->x2 > a->x1 : a->x1 > a->x2;
    gboolean right_b = kind2 == EV_SEND ? b->x2 > b->x1 : b->x1 > b->x2;
    return right_a != right_b;
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
    if (next == EV_NOTE && prev == EV_SEND) {
        /* A note just after a send (the server's "bounced" after its
         * 250) sits below the arrow leaving here, not on its first
         * stretch: as far down as the arrow drops across half the note.
         * That is its least drop: an arrow its arrival pushes lower still
         * (two sessions meeting at the server) slopes more, and may cross
         * the note after all (tests/test_diagram.c counts them). */
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, ls->item);
        double span = fabs(a->x2 - a->x1);
        double half = ms_dg_note_w(d, &g_array_index(d->notes, MsDiagramNote, next_item)) / 2;
        return 6.0 + (span > 0 ? ms_dg_drop(d, a) * MIN(1.0, half / span) : 0);
    }
    if (next == EV_NOTE)
        return 6.0;
    /* Two arrows on opposite sides of the lifeline (the server answering
     * two clients, one either side, at the same moment) are in different
     * columns: neither line nor label can meet the other's, so they may
     * share the row rather than be drawn one after the other.  Not in the
     * full view, whose stacks of body lines need the rows to stay apart. */
    if (d->view == MS_DIAGRAM_VIEW_COMPACT && (prev == EV_SEND || prev == EV_ARRIVE) &&
        (next == EV_SEND || next == EV_ARRIVE) && opposite_sides(d, prev, ls->item, next, next_item))
        return 0;
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

MsTime ms_dg_same_row(const MsDiagram *d)
{
    if (d->view != MS_DIAGRAM_VIEW_COMPACT || d->scale <= 0)
        return 0;
    double ns = MS_DG_MIN_STEP / d->scale * (double) MS_MSEC;
    return (MsTime) MIN(ns, (double) MS_DG_SAME_ROW_MAX);
}

/* An instant placed again at most this often (see ms_dg_layout_page). */
#define MAX_INSTANT_TRIES 3

void ms_dg_layout_page(MsDiagram *d, guint page)
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
    MsTime prev_t = 0, same_row = ms_dg_same_row(d);
    guint key = 0;

    for (guint a = 0; a < ev->len; key++) {
        MsTime t = g_array_index(ev, Event, a).time;
        guint b = a;
        while (b < ev->len) {
            const Event *e = &g_array_index(ev, Event, b);
            if (e->time != t) {
                /* Closer than the axis can show: the same row, unless
                 * it is the arrival of an arrow sent on this row. */
                if (e->time - t > same_row)
                    break;
                if ((e->kind == EV_ARRIVE || e->kind == EV_LOSS) &&
                    g_array_index(d->arrows, MsDiagramArrow, e->item).send >= t)
                    break;
            }
            b++;
        }
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
        /* An instant at which an arrow leaves gets its time printed, so
         * that the arrow is read off its own row: when the last printed
         * time is too close above and cannot give its label up (an arrow
         * left at it too, or it opens the page or follows a break), the
         * instant goes lower, as far as a label needs.  The arrow's ends
         * stay on their instants' rows; the axis makes the room.  (The
         * full view's stacked body lines leave below later instants
         * anyway, docs/diagrams.md.) */
        gboolean sends_here = FALSE;
        for (guint i = a; i < b; i++)
            sends_here |= g_array_index(ev, Event, i).kind == EV_SEND;
        if (d->view == MS_DIAGRAM_VIEW_COMPACT && sends_here && !after_break && key > 0 &&
            (last_sends || last_after_break || last_tick == G_MAXUINT))
            y = MAX(y, last_label + MS_DG_T(d, 12.0) + 0.01);
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
            ar->y2 = ar->y1 + ms_dg_drop(d, ar);
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
