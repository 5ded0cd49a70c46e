/* diagram_pages.c - how the arrows are shared out among pages: a page ends
 * at --page-arrows (never inside a group of lines that travelled together)
 * or at a --page-time window; each note goes on the page of its time; a
 * slide too tall for the screen is cut again until it fits; and what
 * max_pages leaves out is counted, not laid out.  ms_dg_layout() drives
 * the layout of every page: the y of everything (diagram_layout.c), then
 * the phase bands (diagram_bands.c).
 */
#include <stdlib.h>
#include <string.h>

#include "report/diagram-private.h"

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
    d->scale = ms_dg_pick_scale(d);
    d->gap = ms_dg_pick_gap(d);
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
    g_autoptr(GArray) conns = ms_dg_band_runs_new(d);
    for (guint p = 0; p < d->pages->len; p++) {
        ms_dg_layout_page(d, p);
        ms_dg_page_bands(d, p, conns);
    }
    double width = MS_DG_AXIS_X + 300.0;
    if (d->lifelines->len > 0) {
        /* Half a column right of the last lifeline (its box, a note on
         * it), and the phase names as far as the longest reaches in its
         * lane (diagram_gv.c draws them there), not a whole lane each:
         * on a slide every point saved is larger type. */
        const MsDiagramLifeline *last =
            &g_array_index(d->lifelines, MsDiagramLifeline, d->lifelines->len - 1);
        double right = last->x + d->column / 2;
        for (guint i = 0; i < d->bands->len; i++) {
            const MsDiagramBand *b = &g_array_index(d->bands, MsDiagramBand, i);
            right = MAX(right, ms_dg_band_label_x(d, b) +
                                   ms_dg_text_width(b->label, MS_DG_T(d, MS_DG_SMALL_PT), FALSE));
        }
        width = right + MS_DG_T(d, MS_DG_MARGIN);
    }
    for (guint p = 0; p < d->pages->len; p++)
        g_array_index(d->pages, MsDiagramPage, p).width = width;
    return width;
}
