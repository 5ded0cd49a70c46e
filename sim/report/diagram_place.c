/* diagram_place.c - where an arrow's label and end may go on a page without
 * covering a text already drawn: a sweep down the page that keeps, per
 * column between lifelines, the lines, labels and notes that may still be
 * in the way, and drops what lies wholly above every arrow still to place.
 * diagram_layout.c asks it, an instant at a time, how low an arrow must
 * leave and where the arrow and its label settle.
 */
#include <math.h>
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* Something a label must not be drawn over: an arrow (a segment from x1,y1
 * to x2,y2), or a box (x1..x2, y1..y2): another label or a note. */
typedef struct {
    gboolean segment;
    double x1, y1, x2, y2;
    guint owner; /* page-local arrow, G_MAXUINT for a note */
    guint stamp;
} Obstacle;

typedef struct {
    double lo, hi;
} Span;

static void ids_push(MsDgIdList *l, guint id)
{
    if (l->len == l->size) {
        l->size = MAX(16u, 2 * l->size);
        l->ids = g_renew(guint, l->ids, l->size);
    }
    l->ids[l->len++] = id;
}

void ms_dg_placer_init(MsDgPlacer *p, MsDiagram *d, guint page)
{
    const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, page);
    memset(p, 0, sizeof *p);
    p->d = d;
    p->first = pg->first_arrow;
    p->n = pg->n_arrows;
    guint nl = d->lifelines->len;
    p->n_buckets = nl + 1;
    p->x0 = nl > 0 ? g_array_index(d->lifelines, MsDiagramLifeline, 0).x : 0;
    p->column = d->column > 0 ? d->column : 1;
    p->obs = g_array_new(FALSE, FALSE, sizeof(Obstacle));
    for (guint k = 0; k < MS_DG_N_LISTS; k++) {
        p->list[k] = g_new0(MsDgIdList, p->n_buckets);
        p->stamps[k] = g_new0(guint, p->n_buckets);
    }
    p->done = g_new0(guint8, p->n + 1);
    p->astamp = g_new0(guint, p->n + 1);
    p->lw = g_new0(double, p->n + 1);
    p->lh = g_new0(double, p->n + 1);
    for (guint i = 0; i < p->n; i++) {
        ms_dg_label_size(d, &g_array_index(d->arrows, MsDiagramArrow, p->first + i), &p->lw[i], &p->lh[i]);
        p->tall = MAX(p->tall, p->lh[i]);
    }
    p->iv = g_array_new(FALSE, FALSE, sizeof(Span));
    p->low = -1e9;
    p->touched = g_array_new(FALSE, FALSE, sizeof(guint));
}

void ms_dg_placer_snapshot(MsDgPlacer *p)
{
    p->keep = TRUE;
    p->snap++;
    p->snap_obs = p->obs->len;
    g_array_set_size(p->touched, 0);
}

void ms_dg_placer_rollback(MsDgPlacer *p)
{
    for (guint k = 0; k + 1 < p->touched->len; k += 2) {
        guint b = g_array_index(p->touched, guint, k), len = g_array_index(p->touched, guint, k + 1);
        p->list[b / p->n_buckets][b % p->n_buckets].len = len;
    }
    g_array_set_size(p->obs, p->snap_obs);
}

void ms_dg_placer_release(MsDgPlacer *p)
{
    p->keep = FALSE;
}

static guint bucket_of(const MsDgPlacer *p, double x)
{
    double k = floor((x - p->x0) / p->column) + 1.0;
    return (guint) CLAMP(k, 0.0, (double) (p->n_buckets - 1));
}

/* Adds item to the lists of kind k in the buckets of [lo, hi]. */
static void add_to(MsDgPlacer *p, guint k, double lo, double hi, guint item)
{
    for (guint b = bucket_of(p, lo), b1 = bucket_of(p, hi); b <= b1; b++) {
        MsDgIdList *list = &p->list[k][b];
        if (p->keep && p->stamps[k][b] != p->snap) {
            p->stamps[k][b] = p->snap;
            guint pair[2] = { k * p->n_buckets + b, list->len };
            g_array_append_vals(p->touched, pair, 2);
        }
        ids_push(list, item);
    }
}

void ms_dg_placer_clear(MsDgPlacer *p)
{
    for (guint b = 0; b < p->n_buckets; b++) {
        for (guint k = 0; k < MS_DG_N_LISTS; k++)
            g_free(p->list[k][b].ids);
    }
    for (guint k = 0; k < MS_DG_N_LISTS; k++) {
        g_free(p->list[k]);
        g_free(p->stamps[k]);
    }
    g_array_unref(p->obs);
    g_array_unref(p->iv);
    g_free(p->done);
    g_free(p->astamp);
    g_free(p->lw);
    g_free(p->lh);
    g_array_unref(p->touched);
}

static MsDiagramArrow *arrow_at(const MsDgPlacer *p, guint local)
{
    return &g_array_index(p->d->arrows, MsDiagramArrow, p->first + local);
}

/* At the start of an instant at y: what lies above every arrow in flight
 * and above y can no longer be in anyone's way. */
void ms_dg_placer_advance(MsDgPlacer *p, double y)
{
    p->now = y;
    while (p->oldest < p->n && p->done[p->oldest])
        p->oldest++;
    double low = y;
    if (p->oldest < p->n && arrow_at(p, p->oldest)->y1 >= 0)
        low = MIN(low, arrow_at(p, p->oldest)->y1);
    /* An arrow in flight far longer than any path's delay (held up, or
     * crossing a break) does not keep everything above it in view. */
    low = MAX(low, y - 4 * MS_DG_T(p->d, ms_dg_delay_pt(p->d) + MS_DG_BREAK_H));
    /* A label resting on its arrow reaches up to its height above the
     * arrow's start. */
    p->low = MAX(p->low, low - 1.0 - p->tall);
}

static void add_obstacle(MsDgPlacer *p, const Obstacle *o)
{
    guint id = p->obs->len;
    g_array_append_val(p->obs, *o);
    double lo = MIN(o->x1, o->x2), hi = MAX(o->x1, o->x2);
    add_to(p, MS_DG_LINES, lo, o->segment ? hi - 1e-6 : hi, id);
    if (!o->segment)
        add_to(p, MS_DG_TEXTS, lo, hi, id);
}

/* Calls back each obstacle in the buckets of [lo, hi] once, dropping those
 * wholly above p->low. */
#define FOR_OBSTACLES(p, k, lo, hi, o)                                                       \
    for (guint b_ = bucket_of((p), (lo)), b1_ = bucket_of((p), (hi)), s_ = ++(p)->stamp;     \
         b_ <= b1_; b_++)                                                                    \
        for (guint k_ = 0, w_ = 0, n_ = (p)->list[(k)][b_].len; k_ <= n_; k_++)              \
            if (k_ == n_) {                                                                  \
                (p)->list[(k)][b_].len = w_;                                                 \
            } else if (((o) = &g_array_index((p)->obs, Obstacle, (p)->list[(k)][b_].ids[k_])), \
                       !(p)->keep && MAX((o)->y1, (o)->y2) < (p)->low) {                     \
            } else if (((p)->list[(k)][b_].ids[w_++] = (p)->list[(k)][b_].ids[k_]),          \
                       (o)->stamp == s_ || MAX((o)->y1, (o)->y2) < (p)->low) {               \
            } else if (((o)->stamp = s_), TRUE)

/* Calls back once each arrow in the lists of kind k (MS_DG_FLYING or MS_DG_HEADED) in
 * the buckets of [lo, hi] that is still in flight and is not `self`,
 * dropping from the lists those placed unless the instant may be taken
 * back (a placed arrow kept for that is skipped all the same). */
#define FOR_IN_FLIGHT(p, k, lo, hi, self, i)                                                 \
    for (guint b_ = bucket_of((p), (lo)), b1_ = bucket_of((p), (hi)), s_ = ++(p)->stamp,     \
               w_ = 0;                                                                       \
         b_ <= b1_; (p)->list[(k)][b_].len = w_, b_++, w_ = 0)                               \
        for (MsDgIdList *f_ = &(p)->list[(k)][b_]; f_ != NULL; f_ = NULL)                        \
            for (guint k_ = 0, n_ = f_->len; k_ < n_; k_++)                                  \
                if (((i) = f_->ids[k_]), (p)->done[(i)] && !(p)->keep) {                     \
                } else if ((f_->ids[w_++] = (i)),                                            \
                           (p)->done[(i)] || (i) == (self) || (p)->astamp[(i)] == s_) {      \
                } else if (((p)->astamp[(i)] = s_), TRUE)

/* The y of a segment at x. */
static double y_at(double x1, double y1, double x2, double y2, double x)
{
    return x2 == x1 ? MAX(y1, y2) : y1 + (y2 - y1) * (x - x1) / (x2 - x1);
}

static void push_span(GArray *iv, double lo, double hi)
{
    Span s = { lo, hi };
    g_array_append_val(iv, s);
}

static gint compare_lo(gconstpointer pa, gconstpointer pb)
{
    const Span *a = pa, *b = pb;
    return a->lo < b->lo ? -1 : (a->lo > b->lo);
}

static gint compare_hi_down(gconstpointer pa, gconstpointer pb)
{
    const Span *a = pa, *b = pb;
    return a->hi > b->hi ? -1 : (a->hi < b->hi);
}

/* The first y at or below `from` inside none of the (open) spans. */
static double first_free(GArray *iv, double from)
{
    g_array_sort(iv, compare_lo);
    double y = from;
    for (guint k = 0; k < iv->len; k++) {
        const Span *s = &g_array_index(iv, Span, k);
        if (s->lo >= y)
            break;
        if (s->hi > y)
            y = s->hi;
    }
    return y;
}

/* Whether y is inside none of the (open) spans: first_free(iv, y) == y,
 * without sorting them. */
static gboolean outside_all(const GArray *iv, double y)
{
    for (guint k = 0; k < iv->len; k++) {
        const Span *s = &g_array_index(iv, Span, k);
        if (s->lo < y && y < s->hi)
            return FALSE;
    }
    return TRUE;
}

/* The last y at or above `from` inside none of the spans, or NAN when
 * there is none down to `floor`. */
static double last_free(GArray *iv, double from, double floor_y)
{
    g_array_sort(iv, compare_hi_down);
    double y = from;
    for (guint k = 0; k < iv->len; k++) {
        const Span *s = &g_array_index(iv, Span, k);
        if (s->hi <= y)
            break;
        if (s->lo < y)
            y = s->lo;
    }
    return y >= floor_y ? y : NAN;
}

/* The label centres at which the label of `self`, between x lo and hi and
 * hh high each side of its centre, would meet something already placed. */
static void label_spans(MsDgPlacer *p, guint self, double lo, double hi, double hh)
{
    g_array_set_size(p->iv, 0);
    Obstacle *o;
    FOR_OBSTACLES(p, MS_DG_LINES, lo, hi, o)
    {
        if (o->owner == self)
            continue;
        double xa = MAX(lo, MIN(o->x1, o->x2)), xb = MIN(hi, MAX(o->x1, o->x2));
        if (xa >= xb)
            continue;
        double top = o->y1, bottom = o->y2;
        if (o->segment) {
            double ya = y_at(o->x1, o->y1, o->x2, o->y2, xa);
            double yb = y_at(o->x1, o->y1, o->x2, o->y2, xb);
            top = MIN(ya, yb);
            bottom = MAX(ya, yb);
        }
        push_span(p->iv, top - hh, bottom + hh);
    }
}

/* The lowest centre the label of `self` may have to stay above the arrows
 * still in flight across it: wherever they arrive, they pass below. */
static double flying_bound(MsDgPlacer *p, guint self, double lo, double hi, double hh)
{
    double ub = G_MAXDOUBLE;
    guint i;
    FOR_IN_FLIGHT(p, MS_DG_FLYING, lo, hi, self, i)
    {
        const MsDiagramArrow *a = arrow_at(p, i);
        double y2 = MAX(p->now, a->y1 + ms_dg_drop(p->d, a));
        double xa = MAX(lo, MIN(a->x1, a->x2)), xb = MIN(hi, MAX(a->x1, a->x2));
        if (xa >= xb)
            continue;
        double top = MIN(y_at(a->x1, a->y1, a->x2, y2, xa), y_at(a->x1, a->y1, a->x2, y2, xb));
        ub = MIN(ub, top - hh);
    }
    return ub;
}

/* The arrivals at which the arrow `self` would run through a label or a
 * note already placed.  A text right at its sender cannot be passed by
 * moving the arrival, nor one it would take the arrow far out of its way
 * to pass: those are left to the texts' own placement. */
static void segment_spans(MsDgPlacer *p, guint self)
{
    const MsDiagramArrow *a = arrow_at(p, self);
    double lo = MIN(a->x1, a->x2), hi = MAX(a->x1, a->x2), span = hi - lo;
    double reach = a->y1 + 3.0 * ms_dg_drop(p->d, a) + MS_DG_T(p->d, MS_DG_ROW) * 4;
    g_array_set_size(p->iv, 0);
    if (span <= 0)
        return;
    Obstacle *o;
    FOR_OBSTACLES(p, MS_DG_TEXTS, lo, hi - 1e-6, o)
    {
        if (o->segment || o->owner == self || o->y2 <= a->y1)
            continue;
        double xa = MAX(lo, o->x1), xb = MIN(hi, o->x2);
        if (xa >= xb)
            continue;
        double fa = fabs(xa - a->x1) / span, fb = fabs(xb - a->x1) / span;
        double fmin = MIN(fa, fb), fmax = MAX(fa, fb);
        if (fmin < 0.02)
            continue;
        double from = a->y1 + (o->y1 - a->y1) / fmax, to = a->y1 + (o->y2 - a->y1) / fmin;
        if (to > reach)
            continue;
        push_span(p->iv, from, to);
    }
}

/* The line of an arrow leaving at y and dropping by dy meets the box?  If
 * so, the y at which it would leave just below it (or G_MAXDOUBLE when the
 * box is at its very start). */
static double leave_below(const MsDiagramArrow *a, double y, double dy, double left, double top,
                          double right, double bottom)
{
    double lo = MIN(a->x1, a->x2), hi = MAX(a->x1, a->x2), span = hi - lo;
    double xa = MAX(lo, left), xb = MIN(hi, right);
    if (span <= 0 || xa >= xb || bottom <= y)
        return y;
    double fa = fabs(xa - a->x1) / span, fb = fabs(xb - a->x1) / span;
    double fmin = MIN(fa, fb), fmax = MAX(fa, fb);
    if (y + dy * fmax <= top)
        return y; /* passes above */
    return bottom - dy * fmin;
}

/* How low the arrow `self` must leave, at y or lower, to pass below the
 * labels and notes already drawn across its way and the labels the arrows
 * in flight there will have (at their middle): an arrow leaves after the
 * texts it would cross rather than through them. */
double ms_dg_send_floor(MsDgPlacer *p, guint self, double y)
{
    const MsDiagramArrow *a = arrow_at(p, self);
    double dy = ms_dg_drop(p->d, a);
    double lo = MIN(a->x1, a->x2), hi = MAX(a->x1, a->x2);
    if (hi <= lo)
        return y;
    for (guint round = 0; round < 4; round++) {
        double start = y;
        Obstacle *o;
        FOR_OBSTACLES(p, MS_DG_TEXTS, lo, hi - 1e-6, o)
        {
            if (!o->segment)
                y = MAX(y, leave_below(a, y, dy, o->x1, o->y1, o->x2, o->y2));
        }
        guint i;
        FOR_IN_FLIGHT(p, MS_DG_HEADED, lo, hi - 1e-6, self, i)
        {
            const MsDiagramArrow *b2 = arrow_at(p, i);
            double mid = (b2->y1 + MAX(p->now, b2->y1 + ms_dg_drop(p->d, b2))) / 2;
            double cx = (b2->x1 + b2->x2) / 2;
            y = MAX(y, leave_below(a, y, dy, cx - p->lw[i] / 2, mid - p->lh[i] / 2,
                                   cx + p->lw[i] / 2, mid + p->lh[i] / 2));
        }
        if (y <= start)
            break;
    }
    return y;
}

/* How many places each side of the middle a label may take along its
 * arrow, and how far from the arrow's ends its box stays (the arrowhead
 * and the sender's end remain in sight). */
#define SLIDE_STEPS 6
#define SLIDE_END 12.0
/* How many rows lower an arrival may go for its label to find a place on
 * the arrow, before the label leaves the arrow. */
#define LOWER_ROWS 4

/* A place for the label of `self` on its arrow, which ends at y2 or up to
 * LOWER_ROWS rows lower: centred on the arrow, else resting on it or
 * hanging from it (the arrow still runs into a corner of the label's
 * patch), at the middle or slid along the arrow towards either end, clear
 * of the texts and arrows already drawn and above the arrows still in
 * flight across it.  Preferred: the arrival least lowered, then centred
 * rather than beside, then nearest the middle.  Returns how many rows
 * lower the arrival goes, or -1 when there is no such place. */
static gint slide_label(MsDgPlacer *p, guint self, double y2, double *x_out, double *y_out)
{
    const MsDiagramArrow *a = arrow_at(p, self);
    double hw = p->lw[self] / 2, hh = p->lh[self] / 2;
    double cx = (a->x1 + a->x2) / 2, row = MS_DG_T(p->d, MS_DG_ROW);
    double room = fabs(a->x2 - a->x1) / 2 - hw - MS_DG_T(p->d, SLIDE_END);
    guint steps = room > 0 ? SLIDE_STEPS : 0;
    double touch = MS_DG_PAD + 2.0;
    guint best = G_MAXUINT; /* (rows lower, side, place) as one number */
    for (guint k = 0; k <= 2 * steps; k++) {
        /* 0, then +1, -1, +2, -2, ... steps of room / steps from the middle. */
        double off = k == 0 ? 0 : (k % 2 == 1 ? 1.0 : -1.0) * room * (double) ((k + 1) / 2) / steps;
        double x = cx + off;
        /* What is in the way of a label at this x does not depend on y;
         * the arrows in flight are looked at only for a place that is
         * otherwise free. */
        label_spans(p, self, x - hw, x + hw, hh);
        double ub = NAN;
        for (guint lower = 0; lower <= LOWER_ROWS; lower++) {
            double end = y2 + lower * row;
            for (guint side = 0; side < 3; side++) {
                guint key = (lower * 3 + side) * (2 * SLIDE_STEPS + 1) + k;
                if (key >= best)
                    break;
                double y = (a->y1 + end) / 2;
                if (a->x1 != a->x2) {
                    double ya = y_at(a->x1, a->y1, a->x2, end, x - hw + touch);
                    double yb = y_at(a->x1, a->y1, a->x2, end, x + hw - touch);
                    y = side == 0   ? (ya + yb) / 2
                        : side == 1 ? MIN(ya, yb) - hh + touch
                                    : MAX(ya, yb) + hh - touch;
                }
                /* Beside its own arrow: between the times it leaves and
                 * arrives.  A wide label hanging from a short arrow
                 * touches it only at the arrowhead, and reads as the
                 * label of whatever comes next. */
                if (y < a->y1 - 0.5 || y > end + 0.5)
                    continue;
                if (!outside_all(p->iv, y))
                    continue;
                if (isnan(ub))
                    ub = flying_bound(p, self, x - hw, x + hw, hh);
                if (y <= ub) {
                    best = key;
                    *x_out = x;
                    *y_out = y;
                }
            }
        }
        if (best < 2 * SLIDE_STEPS + 1)
            break; /* centred, not lowered: nothing further is better */
    }
    return best == G_MAXUINT ? -1 : (gint) (best / (3 * (2 * SLIDE_STEPS + 1)));
}

/* Where the arrival of `self`, at `at` or lower, and the centre of its
 * label go: the label at the middle of the arrow, else the nearest place
 * along the arrow clear of the texts and arrows already drawn and above the
 * arrows still in flight across it; failing that, below the middle,
 * sliding down (the arrival goes just below it: never further, so pushes
 * do not compound); and the arrow itself clear of the labels and notes
 * already drawn. */
void ms_dg_settle(MsDgPlacer *p, guint self, double at, double *y2_out, double *lx_out,
                   double *ly_out)
{
    const MsDiagram *d = p->d;
    const MsDiagramArrow *a = arrow_at(p, self);
    double hw = p->lw[self] / 2, hh = p->lh[self] / 2;
    double cx = (a->x1 + a->x2) / 2;
    double row_h = MS_DG_T(d, MS_DG_ROW) * MAX(1u, a->rows) / 2;
    double y2 = MAX(at, a->y1), ly = (a->y1 + y2) / 2, lx = cx;
    for (guint round = 0; round < 8; round++) {
        double need = y2;
        gint lower = slide_label(p, self, y2, &lx, &ly);
        gboolean placed = lower >= 0;
        if (lower > 0)
            need = y2 + lower * MS_DG_T(d, MS_DG_ROW);
        if (!placed) {
            double mid = (a->y1 + y2) / 2;
            lx = cx;
            label_spans(p, self, cx - hw, cx + hw, hh);
            ly = first_free(p->iv, mid);
            double ub = flying_bound(p, self, cx - hw, cx + hw, hh);
            if (ly > ub) {
                double up = last_free(p->iv, MIN(mid, ub), MAX(a->y1, mid - hh));
                if (!isnan(up))
                    ly = up;
            }
            if (ly > mid)
                need = MAX(need, MIN(2.0 * ly - a->y1, ly + row_h));
        }
        segment_spans(p, self);
        need = first_free(p->iv, need);
        if (need <= y2)
            break;
        y2 = need;
    }
    *y2_out = y2;
    *lx_out = lx;
    *ly_out = ly;
}

/* The arrow `self` drawn: its line and label are in the way of what comes. */
void ms_dg_commit_arrow(MsDgPlacer *p, guint self)
{
    MsDiagramArrow *a = arrow_at(p, self);
    Obstacle seg = { TRUE, a->x1, a->y1, a->x2, a->y2, self, 0 };
    add_obstacle(p, &seg);
    double cx = a->label_x;
    Obstacle box = { FALSE,          cx - p->lw[self] / 2, a->label_y - p->lh[self] / 2,
                     cx + p->lw[self] / 2, a->label_y + p->lh[self] / 2, self, 0 };
    add_obstacle(p, &box);
    p->done[self] = 1;
}

void ms_dg_commit_send(MsDgPlacer *p, guint self)
{
    const MsDiagramArrow *a = arrow_at(p, self);
    if (a->lost && a->arrival < 0) {
        p->done[self] = 1; /* never arrives: placed at the end of the page */
        return;
    }
    double lo = MIN(a->x1, a->x2), hi = MAX(a->x1, a->x2), cx = (lo + hi) / 2;
    add_to(p, MS_DG_FLYING, lo, hi - 1e-6, self);
    add_to(p, MS_DG_HEADED, cx - p->lw[self] / 2, cx + p->lw[self] / 2, self);
}

void ms_dg_commit_note(MsDgPlacer *p, const MsDiagramNote *note)
{
    const MsDiagram *d = p->d;
    double x = g_array_index(d->lifelines, MsDiagramLifeline, note->lifeline).x;
    double w = ms_dg_note_w(d, note) / 2 + MS_DG_PAD;
    Obstacle box = { FALSE, x - w, note->y - MS_DG_PAD, x + w, note->y + ms_dg_note_h(d, note) + MS_DG_PAD,
                     G_MAXUINT, 0 };
    add_obstacle(p, &box);
}

/* The top of a note put at y or lower, clear of the labels and notes
 * already drawn across its box: a label that reaches down to the instant
 * of a note (the message text's, beside "into bob's mailbox") keeps the
 * note below it rather than under it. */
double ms_dg_note_top(MsDgPlacer *p, const MsDiagramNote *note, double y)
{
    const MsDiagram *d = p->d;
    double x = g_array_index(d->lifelines, MsDiagramLifeline, note->lifeline).x;
    double hw = ms_dg_note_w(d, note) / 2 + MS_DG_PAD, h = ms_dg_note_h(d, note);
    g_array_set_size(p->iv, 0);
    Obstacle *o;
    FOR_OBSTACLES(p, MS_DG_TEXTS, x - hw, x + hw, o)
    {
        if (o->segment || o->x2 <= x - hw || o->x1 >= x + hw)
            continue;
        push_span(p->iv, o->y1 - h - MS_DG_PAD, o->y2 + MS_DG_PAD);
    }
    return first_free(p->iv, y);
}
