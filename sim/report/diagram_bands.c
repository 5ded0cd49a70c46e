/* diagram_bands.c - the phase bands: behind each run of one connection's
 * arrows in one phase (the TCP handshake, SMTP's message transfer, POP3's
 * transaction phase) a band, named in a lane of the right margin.  The
 * bands of one connection follow one another and never overlap.
 */
#include <stdlib.h>
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

typedef struct {
    const char *phase; /* of the open run, NULL when none */
    MsDiagramBand band;
    gint last_band;    /* index in d->bands of its previous band, -1 */
    gboolean synack, established, fin;
    gboolean touched;  /* on the page being laid out */
} ConnRun;

GArray *ms_dg_band_runs_new(const MsDiagram *d)
{
    guint max_conn = 0;
    for (guint i = 0; i < d->arrows->len; i++)
        max_conn = MAX(max_conn, g_array_index(d->arrows, MsDiagramArrow, i).record->conn);
    GArray *conns = g_array_new(FALSE, TRUE, sizeof(ConnRun));
    g_array_set_size(conns, d->arrows->len > 0 ? max_conn + 1 : 0);
    for (guint k = 0; k < conns->len; k++)
        g_array_index(conns, ConnRun, k).last_band = -1;
    return conns;
}

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
void ms_dg_page_bands(MsDiagram *d, guint page, GArray *conns)
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
    MsDiagramPage *out = &g_array_index(d->pages, MsDiagramPage, page);
    out->first_band = start;
    out->n_bands = n;
}

/* Where the name of a band begins, in its lane of the right margin. */
double ms_dg_band_label_x(const MsDiagram *d, const MsDiagramBand *b)
{
    return ms_dg_band_bar_x(d, b) + 6.0;
}

/* The bar beside a band, in its lane right of the last lifeline. */
double ms_dg_band_bar_x(const MsDiagram *d, const MsDiagramBand *b)
{
    double x_last = g_array_index(d->lifelines, MsDiagramLifeline, d->lifelines->len - 1).x;
    return x_last + d->column * 0.4 + b->lane * MS_DG_T(d, MS_DG_LANE);
}
