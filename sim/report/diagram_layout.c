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

/* Automatic scale: the slowest path gets MS_DG_DELAY_PT.  A connection's
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
    return CLAMP(MS_DG_DELAY_PT / ((double) slowest / (double) MS_MSEC), 1e-9, 200.0);
}

static MsTime pick_gap(const MsDiagram *d)
{
    if (d->options.gap != 0)
        return d->options.gap;
    /* Auto: anything that would take more than twice the longest slope. */
    double ns = 2.0 * MS_DG_DELAY_PT / d->scale * (double) MS_MSEC;
    return ns >= (double) (G_MAXINT64 / 2) ? G_MAXINT64 / 2 : (MsTime) ns;
}

/* ---- Pages -------------------------------------------------------------- */

static void place_notes(MsDiagram *d);

/* cuts: NULL, or a byte per arrow, set where a page must begin (a slide
 * that would not fit). */
static void assign_pages(MsDiagram *d, const guint8 *cuts)
{
    const MsDiagramOptions *o = &d->options;
    guint page = 0, count = 0;
    MsTime first = 0;
    gint64 window = 0;
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        if (i == 0) {
            first = a->send;
        } else {
            gboolean cut = FALSE;
            if (o->page_time > 0 && (a->send - first) / o->page_time != window) {
                window = (a->send - first) / o->page_time;
                cut = TRUE;
            }
            /* Never split lines that travelled together. */
            if (o->page_arrows > 0 && count >= o->page_arrows &&
                a->group != g_array_index(d->arrows, MsDiagramArrow, i - 1).group)
                cut = TRUE;
            if (cuts != NULL && cuts[i] != 0)
                cut = TRUE;
            if (cut) {
                page++;
                count = 0;
            }
        }
        a->page = page;
        count++;
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

/* A note goes on the last page that had begun by its time.  Notes are put
 * in time order first, so each page's notes are one range. */
static void place_notes(MsDiagram *d)
{
    guint n = d->notes->len;
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
        MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
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
    guint stamp;    /* key + 1 when it was last touched at the current key */
    double off;
    guint kind;
    guint rows;
} LifeState;

/* How far below the previous end on a lifeline the next one goes; an
 * arrow with several rows of text keeps its neighbours further off. */
static double spacing(const MsDiagram *d, guint prev, guint prev_rows, guint next, guint next_rows)
{
    if (prev == EV_ARRIVE && next == EV_SEND)
        return 0; /* the reply leaves where the request arrived */
    if (prev == EV_NOTE)
        return MS_DG_T(d, MS_DG_NOTE_H) + 6.0;
    if (next == EV_NOTE)
        return 6.0;
    return MS_DG_T(d, MS_DG_ROW) * (double) MAX(1u, (prev_rows + next_rows + 1) / 2);
}

static guint event_rows(const MsDiagram *d, guint kind, guint item)
{
    if (kind == EV_NOTE || kind == EV_LOSS)
        return 1;
    return MAX(1u, g_array_index(d->arrows, MsDiagramArrow, item).rows);
}

/* How far an arrow drops at least: its delay at the scale, so an arrow that
 * leaves below others (the reply after a multi-line burst) still slopes by
 * its own delay; at least a row; at most what a compressed gap would be. */
static double drop(const MsDiagram *d, const MsDiagramArrow *a)
{
    double px = d->scale * (double) (a->arrival - a->send) / (double) MS_MSEC;
    if (d->gap >= 0)
        px = MIN(px, d->scale * (double) d->gap / (double) MS_MSEC);
    /* Room for its text: rows of the label stay between its two ends. */
    double text = a->rows > 1 ? MS_DG_T(d, MS_DG_ROW) * (a->rows + 0.5) : 0;
    return MAX(px, MAX(text, MS_DG_T(d, MS_DG_MIN_SLOPE)));
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

/* The lowest label so far between two neighbouring lifelines, and whose
 * connection it is: an arrow of another connection (a session running at
 * the same time) puts its label below it, so that simultaneous sessions
 * never write over each other. */
typedef struct {
    double bottom;
    guint conn;
} GapState;

static double label_height(const MsDiagram *d, const MsDiagramArrow *a)
{
    return MS_DG_T(d, MS_DG_ROW) * MAX(1u, a->rows);
}

/* The highest centre a's label may have to clear the labels (and notes)
 * of other connections in the columns it crosses; -1e9 when nothing is in
 * the way. */
static double clear_of_others(const MsDiagram *d, const GapState *gaps, const MsDiagramArrow *a)
{
    double top = -1e9;
    for (guint g = MIN(a->from, a->to); g < MAX(a->from, a->to); g++) {
        if (gaps[g].conn != a->record->conn)
            top = MAX(top, gaps[g].bottom);
    }
    if (top < 0)
        return -1e9;
    return top + label_height(d, a) / 2 + 2.0;
}

/* How low a's arrival must be for its label to stay between its ends and
 * clear of others: either the middle of the arrow is already low enough,
 * or the label slides down the arrow to `clear` and the arrival goes just
 * below it.  Never further: a label pushed by its middle alone would take
 * the arrival twice as far, and those pushes compound over a long run. */
static double arrival_for_label(const MsDiagram *d, const MsDiagramArrow *a, double clear)
{
    if (clear < 0)
        return -1e9;
    return MIN(2.0 * clear - a->y1, clear + label_height(d, a) / 2);
}

/* Puts a's label at its middle, or at `clear` when that is lower. */
static void place_label(MsDiagramArrow *a, double clear)
{
    a->label_y = MAX((a->y1 + a->y2) / 2, clear);
}

static void mark_label(const MsDiagram *d, GapState *gaps, const MsDiagramArrow *a)
{
    double bottom = a->label_y + label_height(d, a) / 2;
    for (guint g = MIN(a->from, a->to); g < MAX(a->from, a->to); g++) {
        if (bottom >= gaps[g].bottom) {
            gaps[g].bottom = bottom;
            gaps[g].conn = a->record->conn;
        }
    }
}

static void layout_page(MsDiagram *d, guint page)
{
    guint first_tick = d->ticks->len, first_break = d->breaks->len;
    g_autoptr(GArray) ev = page_events(d, page);
    guint nl = d->lifelines->len;
    g_autofree LifeState *life = g_new0(LifeState, nl + 1);
    g_autofree GapState *gaps = g_new0(GapState, nl + 1);
    for (guint g = 0; g <= nl; g++)
        gaps[g].bottom = -1e9;
    g_autofree double *off = g_new0(double, ev->len + 1);
    double floor_y = MS_DG_T(d, MS_DG_FIRST_Y), y = floor_y, last_label = -1e9;
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
            }
        }
        /* Offsets within this instant, and how far down the anchor must go
         * for every lifeline's spacing and every arrival's slope. */
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
                if (ls->has_last)
                    need = MAX(need, ls->last_y + spacing(d, ls->last_kind, ls->last_rows,
                                                          e->kind, rows));
            } else {
                ls->off += spacing(d, ls->kind, ls->rows, e->kind, rows);
            }
            ls->kind = e->kind;
            ls->rows = rows;
            off[i] = ls->off;
            if (e->kind == EV_ARRIVE) {
                const MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                if (ar->y1 >= 0) {
                    need = MAX(need, ar->y1 + drop(d, ar) - off[i]);
                    need = MAX(need, arrival_for_label(d, ar, clear_of_others(d, gaps, ar)) -
                                         off[i]);
                }
            }
        }
        y = need;
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            double at = y + off[i];
            if (e->kind == EV_LOSS) {
                MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                ar->y2 = MAX(y, ar->y1 + MS_DG_T(d, MS_DG_MIN_SLOPE) / 2);
                floor_y = MAX(floor_y, ar->y2);
                continue;
            }
            if (e->kind == EV_SEND) {
                g_array_index(d->arrows, MsDiagramArrow, e->item).y1 = at;
            } else if (e->kind == EV_ARRIVE) {
                /* One after the other, so that two arrivals of one instant
                 * keep their labels apart too. */
                MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
                if (ar->y1 >= 0) {
                    double clear = clear_of_others(d, gaps, ar);
                    at = MAX(at, arrival_for_label(d, ar, clear));
                    ar->y2 = MAX(at, ar->y1);
                    place_label(ar, clear);
                    mark_label(d, gaps, ar);
                } else {
                    ar->y2 = at;
                }
            } else {
                g_array_index(d->notes, MsDiagramNote, e->item).y = at;
                /* A note reaches into the columns on both sides of its
                 * lifeline: labels of every connection keep clear of it. */
                for (guint g = e->lifeline > 0 ? e->lifeline - 1 : 0; g <= e->lifeline; g++) {
                    gaps[g].bottom = MAX(gaps[g].bottom, at + MS_DG_T(d, MS_DG_NOTE_H));
                    gaps[g].conn = G_MAXUINT;
                }
            }
            life[e->lifeline].has_last = TRUE;
            life[e->lifeline].last_y = at;
            life[e->lifeline].last_kind = e->kind;
            life[e->lifeline].last_rows = event_rows(d, e->kind, e->item);
            floor_y = MAX(floor_y, at + (e->kind == EV_NOTE ? MS_DG_T(d, MS_DG_NOTE_H) : 0));
        }
        /* A zero-delay arrow sent at this very instant: level, not rising. */
        for (guint i = a; i < b; i++) {
            const Event *e = &g_array_index(ev, Event, i);
            if (e->kind != EV_ARRIVE)
                continue;
            MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, e->item);
            if (ar->y2 < ar->y1) {
                ar->y2 = ar->y1;
                ar->label_y = MAX(ar->label_y, ar->y1);
                mark_label(d, gaps, ar);
            }
        }
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
        MsDiagramTick tick = { page, t, y, labelled ? ms_dg_intern(d, text) : NULL };
        if (labelled) {
            last_tick = d->ticks->len;
            last_sends = sends;
            last_after_break = after_break;
        }
        g_array_append_val(d->ticks, tick);
        if (labelled)
            last_label = y;
        prev_t = t;
        a = b;
    }

    /* Lost with no time known (still in flight at the end of the run). */
    const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        MsDiagramArrow *ar = &g_array_index(d->arrows, MsDiagramArrow, i);
        if (ar->lost && ar->arrival < 0)
            ar->y2 = ar->y1 + MS_DG_T(d, MS_DG_MIN_SLOPE);
        if (ar->label_y < 0) /* lost, or not placed by its arrival */
            ar->label_y = (ar->y1 + ar->y2) / 2;
        floor_y = MAX(floor_y, MAX(ar->y1, ar->y2));
    }
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

/* A slide page taller than the slide (at the width its lifelines need)
 * would be shrunk until its type is small: it gets a new page at its first
 * arrow that reaches too low.  Returns whether any page was cut. */
static gboolean cut_tall_pages(MsDiagram *d, guint8 *cuts, double width)
{
    double limit = MAX(MS_DG_SLIDE_H, width * MS_DG_SLIDE_H / MS_DG_SLIDE_W) -
                   MS_DG_T(d, MS_DG_BOTTOM) - MS_DG_T(d, 14.0);
    gboolean cut = FALSE;
    for (guint p = 0; p < d->pages->len; p++) {
        const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, p);
        if (pg->height <= limit + MS_DG_T(d, MS_DG_BOTTOM) + MS_DG_T(d, 14.0) || pg->n_arrows < 2)
            continue;
        guint at = pg->first_arrow + pg->n_arrows - 1; /* too tall by its notes */
        for (guint i = pg->first_arrow + 1; i < pg->first_arrow + pg->n_arrows; i++) {
            if (arrow_bottom(d, &g_array_index(d->arrows, MsDiagramArrow, i)) > limit) {
                at = i;
                break;
            }
        }
        cuts[at] = 1;
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
        a->y1 = a->y2 = a->label_y = -1;
    }
}

static double layout_pages(MsDiagram *d, const guint8 *cuts);

/* Each pass is linear; a slide page is cut at most once a pass, and a page
 * of a dozen arrows seldom needs more than two cuts. */
#define MAX_FIT_PASSES 12

void ms_dg_layout(MsDiagram *d)
{
    d->scale = pick_scale(d);
    d->gap = pick_gap(d);
    if (!d->options.slide) {
        layout_pages(d, NULL);
        return;
    }
    g_autofree guint8 *cuts = g_new0(guint8, d->arrows->len + 1);
    for (guint pass = 0;; pass++) {
        double width = layout_pages(d, cuts);
        if (pass == MAX_FIT_PASSES || !cut_tall_pages(d, cuts, width))
            break;
        clear_layout(d);
    }
}

/* Lays out every page; returns the pages' width. */
static double layout_pages(MsDiagram *d, const guint8 *cuts)
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
