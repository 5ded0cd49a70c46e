/* diagram.c - the sequence diagram's model: which trace records become
 * arrows and notes, which hosts get a lifeline, in what order and where,
 * and the words on them (diagram_words.c).  The hosts' roles and the
 * mail's order are diagram_hosts.c's, the compact view's arrows
 * diagram_compact.c's.  Pages and where things go on them are
 * diagram_pages.c's and diagram_layout.c's job.
 */
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* ---- Choosing arrows and notes ---------------------------------------------- */

typedef struct {
    MsDiagram *d;
    const MsTrace *trace;
    GArray *http_flow;       /* conn id -> MsDiagramFlow of its current exchange */
    GArray *imap_idling;     /* conn id -> gboolean: the server accepted IDLE */
    char **protocols;        /* NULL: all */
    char **hosts;            /* NULL: all */
    guint n_hosts;
    GPtrArray *conn_protocol;/* index: conn id -> protocol of its CONN_OPEN */
    GPtrArray *conn_ends;    /* refusals and aborts kept, for their hosts */
    GHashTable *used;        /* host name -> TRUE: gets a lifeline */
    GArray *syn_arrival;     /* conn id -> MsTime its last SYN arrived, or -1 */
    GArray *note_records;    /* ids of the records of a kind that may get a note */
    GArray *spans;           /* conn id -> ConnSpan of its arrows kept */
    /* Once the view is known to be compact: the arrows picked so far are
     * compacted batch by batch, so that a long run never holds an arrow
     * for each of its lines at once. */
    MsDgCompactor *compactor;
    guint next_flush;        /* look again when this many arrows are picked */
} Pick;

/* The time a connection's arrows take, from the first send to the last
 * arrival, and its two hosts; start > end while it has none. */
typedef struct {
    MsTime start, end;
    const char *src, *dst;
    guint lines;
} ConnSpan;

/* Picked arrows waiting before they are compacted, at most. */
#define PICK_BATCH 65536u

static guint full_view_arrows(const MsDiagram *d, guint enough);

/* Before record i: when the compact view is certain, the arrows picked so
 * far go to the compactor.  The automatic view is compact when the full
 * view would have more than MS_DIAGRAM_COMPACT_OVER arrows; the picked
 * arrows are a prefix of the run's, whose last group may lose up to
 * MS_DG_ELIDE_OVER arrows to elision once it is whole, so a prefix with
 * more than both together decides it. */
static void pick_flush(Pick *pk)
{
    MsDiagram *d = pk->d;
    if (d->arrows->len < pk->next_flush || d->view == MS_DIAGRAM_VIEW_FULL || d->options.tcp)
        return; /* with --tcp, a loss still marks the segments picked */
    pk->next_flush = d->arrows->len + PICK_BATCH;
    if (pk->compactor == NULL) {
        guint over = MS_DIAGRAM_COMPACT_OVER + MS_DG_ELIDE_OVER;
        gboolean compact = d->view == MS_DIAGRAM_VIEW_COMPACT ||
                           (d->view == MS_DIAGRAM_VIEW_AUTO &&
                            (d->options.slide || full_view_arrows(d, over + 1) > over));
        if (compact)
            pk->compactor = ms_dg_compact_begin();
    }
    if (pk->compactor != NULL) {
        ms_dg_compact_some(d, pk->compactor);
        pk->next_flush = PICK_BATCH;
    }
}

static char **split_list(const char *list)
{
    if (list == NULL)
        return NULL;
    GPtrArray *out = g_ptr_array_new();
    g_auto(GStrv) parts = g_strsplit(list, ",", -1);
    for (char **p = parts; *p != NULL; p++) {
        char *s = g_strstrip(*p);
        if (*s != '\0')
            g_ptr_array_add(out, g_strdup(s));
    }
    if (out->len == 0) {
        g_ptr_array_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_add(out, NULL);
    return (char **) g_ptr_array_free(out, FALSE);
}

static gboolean listed(char **list, const char *name)
{
    for (char **p = list; name != NULL && *p != NULL; p++) {
        if (g_ascii_strcasecmp(*p, name) == 0)
            return TRUE;
    }
    return FALSE;
}

static const char *conn_protocol(const Pick *pk, const MsTraceRecord *r)
{
    if (r->conn < pk->conn_protocol->len && g_ptr_array_index(pk->conn_protocol, r->conn) != NULL)
        return g_ptr_array_index(pk->conn_protocol, r->conn);
    return r->protocol;
}

/* One host listed: everything it takes part in.  Several: only what passes
 * between them, so "crepes.fr,hamburger.edu" shows the relay alone. */
static gboolean keep_hosts(const Pick *pk, const char *src, const char *dst)
{
    if (pk->hosts == NULL)
        return TRUE;
    if (pk->n_hosts == 1)
        return listed(pk->hosts, src) || listed(pk->hosts, dst);
    return listed(pk->hosts, src) && listed(pk->hosts, dst);
}

static gboolean keep(const Pick *pk, const MsTraceRecord *r, const char *protocol)
{
    const MsDiagramOptions *o = &pk->d->options;
    if (r->src == NULL || r->dst == NULL || r->time < o->from || r->time >= o->until)
        return FALSE;
    if (pk->protocols != NULL && !listed(pk->protocols, protocol) &&
        !(r->kind != MS_TRACE_LINE && listed(pk->protocols, "TCP")))
        return FALSE;
    return keep_hosts(pk, r->src, r->dst);
}

/* As the summary counts them: an HTTP exchange that uploads a message
 * (POST /send) pushes it toward the server; every other exchange (a login,
 * an inbox page, GET of a message) belongs to a pull. */
static MsDiagramFlow http_flow(Pick *pk, const MsTraceRecord *r)
{
    if (pk->http_flow->len <= r->conn)
        g_array_set_size(pk->http_flow, r->conn + 1);
    MsDiagramFlow *f = &g_array_index(pk->http_flow, MsDiagramFlow, r->conn);
    const char *text = r->text != NULL ? r->text : "";
    if (r->dir == MS_DIR_CLIENT && g_str_has_prefix(r->note != NULL ? r->note : "", "http.request."))
        *f = g_str_has_prefix(text, "POST /send ") ? MS_DIAGRAM_FLOW_PUSH : MS_DIAGRAM_FLOW_PULL;
    return *f != MS_DIAGRAM_FLOW_OTHER ? *f : MS_DIAGRAM_FLOW_PULL;
}

/* RFC 2177: between the server's "+ idling" and the client's DONE, the
 * server sends what changes in the mailbox of its own accord.  Followed on
 * every line, drawn or not, so a diagram that starts mid-IDLE knows. */
static void imap_idle_track(Pick *pk, const MsTraceRecord *r)
{
    const char *note = r->note != NULL ? r->note : "";
    gboolean start = r->dir == MS_DIR_SERVER && strcmp(note, "imap.cont.idle") == 0;
    gboolean done = r->dir == MS_DIR_CLIENT && strcmp(note, "imap.cmd.done") == 0;
    if (!start && !done)
        return;
    if (pk->imap_idling->len <= r->conn)
        g_array_set_size(pk->imap_idling, r->conn + 1);
    g_array_index(pk->imap_idling, gboolean, r->conn) = start;
}

/* An untagged response the server sends while the client idles is pushed
 * to the reader, not pulled by it: "* 1 EXISTS" is the point of IDLE. */
static gboolean imap_pushed(const Pick *pk, const MsTraceRecord *r)
{
    return r->dir == MS_DIR_SERVER && r->conn < pk->imap_idling->len &&
           g_array_index(pk->imap_idling, gboolean, r->conn) && r->text != NULL &&
           g_str_has_prefix(r->text, "* ");
}

static void add_arrow(Pick *pk, const MsTraceRecord *r, MsDiagramArrowKind kind, const char *protocol)
{
    MsDiagramArrow a = { 0 };
    a.kind = kind;
    a.record = ms_trace_pin(pk->trace, r->id);
    a.flow = kind == MS_DIAGRAM_ARROW_SEGMENT ? MS_DIAGRAM_FLOW_TCP
                                              : ms_diagram_flow_of_protocol(protocol);
    if (kind == MS_DIAGRAM_ARROW_LINE && protocol != NULL &&
        g_ascii_strncasecmp(protocol, "HTTP", 4) == 0)
        a.flow = http_flow(pk, r);
    else if (kind == MS_DIAGRAM_ARROW_LINE && protocol != NULL &&
             g_ascii_strcasecmp(protocol, "IMAP") == 0 && imap_pushed(pk, r))
        a.flow = MS_DIAGRAM_FLOW_PUSH;
    a.rows = 1;
    a.send = r->time;
    a.arrival = r->arrival;
    a.lost = r->arrival < 0;
    a.rst_back = -1;
    a.retransmit = r->retransmit;
    a.y1 = a.y2 = a.label_x = a.label_y = -1;
    g_array_append_val(pk->d->arrows, a);
    if (r->conn == 0)
        return;
    while (pk->spans->len <= r->conn) {
        ConnSpan none = { G_MAXINT64, G_MININT64, NULL, NULL, 0 };
        g_array_append_val(pk->spans, none);
    }
    ConnSpan *sp = &g_array_index(pk->spans, ConnSpan, r->conn);
    if (sp->src == NULL) {
        sp->src = r->src;
        sp->dst = r->dst;
    }
    sp->start = MIN(sp->start, a.send);
    sp->end = MAX(sp->end, MAX(a.send, a.arrival));
    sp->lines++;
}

/* A SEGMENT_LOST record ends the latest matching segment still in flight. */
static void mark_lost(Pick *pk, const MsTraceRecord *r)
{
    for (guint i = pk->d->arrows->len; i-- > 0;) {
        MsDiagramArrow *a = &g_array_index(pk->d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *s = a->record;
        if (a->kind != MS_DIAGRAM_ARROW_SEGMENT || !a->lost || a->arrival >= 0)
            continue;
        if (s->conn == r->conn && s->dir == r->dir && s->seq == r->seq && s->flags == r->flags &&
            s->len == r->len && s->retransmit == r->retransmit) {
            a->arrival = r->time;
            return;
        }
    }
}

/* The connections that were never made: their conn-refused by conn id; and
 * when the client's SYNs arrived, for those a RST refused. */
static void refusal_record(Pick *pk, const MsTraceRecord *r, guint64 i)
{
    if (r->kind == MS_TRACE_SEGMENT_SENT && r->dir == MS_DIR_CLIENT &&
        (r->flags & (MS_TCP_SYN | MS_TCP_ACK)) == MS_TCP_SYN && r->arrival >= 0) {
        while (pk->syn_arrival->len <= r->conn) {
            MsTime none = -1;
            g_array_append_val(pk->syn_arrival, none);
        }
        g_array_index(pk->syn_arrival, MsTime, r->conn) = r->arrival;
    }
    if (r->kind != MS_TRACE_CONN_REFUSED || r->conn == 0)
        return;
    if (pk->d->refused->len <= r->conn)
        g_ptr_array_set_size(pk->d->refused, (gint) r->conn + 1);
    g_ptr_array_index(pk->d->refused, r->conn) = (gpointer) ms_trace_pin(pk->trace, i);
}

gboolean ms_dg_is_note_kind(MsTraceKind kind)
{
    return kind == MS_TRACE_QUEUE || kind == MS_TRACE_MAILBOX || kind == MS_TRACE_MESSAGE ||
           kind == MS_TRACE_ACTION || kind == MS_TRACE_LINK || kind == MS_TRACE_ERROR ||
           kind == MS_TRACE_CONN_REFUSED || kind == MS_TRACE_CONN_ABORT;
}

/* The records the diagram reads: the trace's first options.records. */
static guint64 records_read(const MsDiagramOptions *o, const MsTrace *trace)
{
    guint64 n = ms_trace_length(trace);
    return o->records > 0 && o->records < n ? o->records : n;
}

/* A first pass over the records, before any arrow is picked: the hosts and
 * their roles, the refusals (an attempt is drawn from its conn-open, which
 * comes first), and where the notes' records are.  Decoding every record
 * is most of the cost of a pass, so one pass serves all three. */
static void survey(MsDgHosts *hs, Pick *pk)
{
    guint64 n = records_read(&pk->d->options, pk->trace);
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(pk->trace, i, &buf);
        ms_dg_host_record(hs, r, i);
        refusal_record(pk, r, i);
        if (ms_dg_is_note_kind(r->kind))
            g_array_append_val(pk->note_records, i);
    }
}

static const MsTraceRecord *refused_of(const MsDiagram *d, guint conn)
{
    return conn < d->refused->len ? g_ptr_array_index(d->refused, conn) : NULL;
}

/* A SYN nobody answered is lost.  One the server's TCP answered with a
 * RST was not: it reached the server, which refused it, so it arrives
 * there (when the trace says, else halfway to the RST's return) and ends
 * in a bar. */
static void attempt_ends(Pick *pk, MsDiagramArrow *a)
{
    const MsTraceRecord *end = refused_of(pk->d, a->record->conn);
    a->arrival = -1;
    a->lost = TRUE;
    if (ms_report_refusal(end) != MS_REPORT_REFUSED_RST)
        return;
    guint conn = a->record->conn;
    MsTime syn = conn < pk->syn_arrival->len ? g_array_index(pk->syn_arrival, MsTime, conn) : -1;
    a->lost = FALSE;
    a->rst_back = end->time;
    a->arrival = syn >= a->send && syn <= end->time ? syn : a->send + (end->time - a->send) / 2;
    ConnSpan *sp = &g_array_index(pk->spans, ConnSpan, conn);
    sp->end = MAX(sp->end, a->arrival);
}

static void pick_arrows(Pick *pk)
{
    guint64 n = records_read(&pk->d->options, pk->trace);
    for (guint64 i = 0; i < n; i++) {
        if (pk->d->arrows->len >= pk->next_flush)
            pick_flush(pk);
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(pk->trace, i, &buf);
        switch (r->kind) {
        case MS_TRACE_CONN_OPEN:
            while (pk->conn_protocol->len <= r->conn)
                g_ptr_array_add(pk->conn_protocol, NULL);
            g_ptr_array_index(pk->conn_protocol, r->conn) = (gpointer) r->protocol;
            /* A failed attempt is drawn as the SYN that got nowhere (with
             * --tcp the segments themselves show it). */
            if (!pk->d->options.tcp && pk->d->options.events &&
                refused_of(pk->d, r->conn) != NULL && keep(pk, r, r->protocol)) {
                add_arrow(pk, r, MS_DIAGRAM_ARROW_ATTEMPT, r->protocol);
                attempt_ends(pk, &g_array_index(pk->d->arrows, MsDiagramArrow,
                                                pk->d->arrows->len - 1));
            }
            break;
        case MS_TRACE_LINE:
            imap_idle_track(pk, r);
            if (keep(pk, r, r->protocol))
                add_arrow(pk, r, MS_DIAGRAM_ARROW_LINE, r->protocol);
            break;
        case MS_TRACE_SEGMENT_SENT:
            if (pk->d->options.tcp && keep(pk, r, conn_protocol(pk, r)))
                add_arrow(pk, r, MS_DIAGRAM_ARROW_SEGMENT, "TCP");
            break;
        case MS_TRACE_SEGMENT_LOST:
            if (pk->d->options.tcp)
                mark_lost(pk, r);
            break;
        case MS_TRACE_CONN_REFUSED:
        case MS_TRACE_CONN_ABORT:
            /* A connection that never carried a line still explains the run. */
            if (pk->d->options.events && keep(pk, r, conn_protocol(pk, r)))
                g_ptr_array_add(pk->conn_ends, (gpointer) ms_trace_pin(pk->trace, i));
            break;
        default:
            break;
        }
    }
}

/* Lines sent at one instant on one connection that arrive together travel
 * in one segment: they share a group and are drawn as parallel arrows.
 * Returns the end of the group that begins at arrow i. */
static guint group_end(const MsDiagram *d, guint i)
{
    const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
    guint j = i + 1;
    while (a->kind == MS_DIAGRAM_ARROW_LINE && j < d->arrows->len) {
        const MsDiagramArrow *b = &g_array_index(d->arrows, MsDiagramArrow, j);
        if (b->kind != MS_DIAGRAM_ARROW_LINE || b->record->conn != a->record->conn ||
            b->record->dir != a->record->dir || b->send != a->send || b->arrival != a->arrival)
            break;
        j++;
    }
    return j;
}

/* How many arrows the full view would draw (group_and_elide()), counted
 * up to `enough` only: deciding the automatic view must not cost a copy
 * of a long run's arrows. */
static guint full_view_arrows(const MsDiagram *d, guint enough)
{
    guint n = 0;
    for (guint i = 0; i < d->arrows->len && n < enough;) {
        guint j = group_end(d, i), len = j - i;
        n += !d->full_bodies && len > MS_DG_ELIDE_OVER ? MS_DG_ELIDE_HEAD + 1 + MS_DG_ELIDE_TAIL
                                                       : len;
        i = j;
    }
    return n;
}

static void group_and_elide(MsDiagram *d)
{
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(MsDiagramArrow), d->arrows->len);
    guint group = 0;
    for (guint i = 0; i < d->arrows->len;) {
        guint j = group_end(d, i);
        guint len = j - i;
        for (guint k = i; k < j; k++) {
            guint pos = k - i;
            /* Long bodies: the head and the tail tell the story; the
             * transcript has every line. */
            if (!d->full_bodies && len > MS_DG_ELIDE_OVER && pos >= MS_DG_ELIDE_HEAD &&
                pos < len - MS_DG_ELIDE_TAIL) {
                if (pos == MS_DG_ELIDE_HEAD) {
                    MsDiagramArrow e = g_array_index(d->arrows, MsDiagramArrow, k);
                    e.kind = MS_DIAGRAM_ARROW_ELIDED;
                    e.elided = len - MS_DG_ELIDE_HEAD - MS_DG_ELIDE_TAIL;
                    e.group = group;
                    g_array_append_val(out, e);
                }
                continue;
            }
            MsDiagramArrow c = g_array_index(d->arrows, MsDiagramArrow, k);
            c.group = group;
            g_array_append_val(out, c);
        }
        group++;
        i = j;
    }
    g_array_unref(d->arrows);
    d->arrows = out;
}

/* The hosts that get a lifeline: those of the arrows drawn, and of the
 * connections that failed before the pages left out (d->cut). */
static void mark_used(MsDiagram *d, Pick *pk)
{
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsTraceRecord *r = g_array_index(d->arrows, MsDiagramArrow, i).record;
        g_hash_table_insert(pk->used, (gpointer) r->src, GINT_TO_POINTER(1));
        g_hash_table_insert(pk->used, (gpointer) r->dst, GINT_TO_POINTER(1));
    }
    for (guint i = 0; i < pk->conn_ends->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(pk->conn_ends, i);
        if (r->time >= d->cut)
            break;
        g_hash_table_insert(pk->used, (gpointer) r->src, GINT_TO_POINTER(1));
        g_hash_table_insert(pk->used, (gpointer) r->dst, GINT_TO_POINTER(1));
    }
}

/* Puts the hosts drawn in the order diagram_order.c finds, so that
 * sessions that run at the same time do not share columns; the hosts not
 * drawn keep their places. */
static void order_sides(const MsDiagram *d, Pick *pk, MsDgHosts *hs)
{
    g_autoptr(GPtrArray) drawn = g_ptr_array_new();
    for (guint i = 0; i < hs->hosts->len; i++) {
        MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (g_hash_table_contains(pk->used, h->name)) {
            h->column = drawn->len;
            g_ptr_array_add(drawn, h);
        }
    }
    if (drawn->len < 3 || drawn->len > MS_DG_ORDER_MAX_HOSTS)
        return;
    g_autoptr(GArray) sessions = g_array_new(FALSE, FALSE, sizeof(MsDgSession));
    for (guint c = 0; c < pk->spans->len; c++) {
        const ConnSpan *sp = &g_array_index(pk->spans, ConnSpan, c);
        if (sp->src == NULL || sp->start >= d->cut)
            continue;
        const MsDgHostInfo *a = g_hash_table_lookup(hs->by_name, sp->src);
        const MsDgHostInfo *b = g_hash_table_lookup(hs->by_name, sp->dst);
        if (a == NULL || b == NULL || !g_hash_table_contains(pk->used, a->name) ||
            !g_hash_table_contains(pk->used, b->name))
            continue;
        MsDgSession s = { sp->start, sp->end, a->column, b->column, sp->lines };
        g_array_append_val(sessions, s);
    }
    guint order[MS_DG_ORDER_MAX_HOSTS];
    if (!ms_dg_order_sides(drawn->len, (const MsDgSession *) (void *) sessions->data,
                           sessions->len, order))
        return;
    for (guint i = 0, k = 0; i < hs->hosts->len; i++) {
        MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (g_hash_table_contains(pk->used, h->name))
            g_ptr_array_index(hs->hosts, i) = g_ptr_array_index(drawn, order[k++]);
    }
}

static void make_lifelines(MsDiagram *d, Pick *pk, MsDgHosts *hs, GHashTable *index)
{
    /* A slide has the width of a slide: many lifelines get narrower
     * columns (a row too long wraps) rather than smaller type. */
    if (d->options.slide) {
        guint n = 0;
        for (guint i = 0; i < hs->hosts->len; i++) {
            const MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
            n += g_hash_table_contains(pk->used, h->name);
        }
        /* Room for two lanes of phase names (sessions side by side). */
        double room = MS_DG_SLIDE_W / MS_DG_SLIDE_MIN_ZOOM - MS_DG_T(d, MS_DG_AXIS_X + 118.0) -
                      2 * MS_DG_T(d, MS_DG_LANE) - MS_DG_MARGIN;
        if (n > 1)
            d->column = CLAMP(room / (n - 0.5), MS_DG_COLUMN * 0.7, d->column);
    }
    for (guint i = 0; i < hs->hosts->len; i++) {
        const MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (!g_hash_table_contains(pk->used, h->name))
            continue;
        MsDiagramLifeline l = { h->name, ms_dg_host_role(h), 0 };
        l.x = MS_DG_T(d, MS_DG_AXIS_X + 118.0) + d->column * d->lifelines->len;
        g_hash_table_insert(index, (gpointer) h->name, GUINT_TO_POINTER(d->lifelines->len));
        g_array_append_val(d->lifelines, l);
    }
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        a->from = GPOINTER_TO_UINT(g_hash_table_lookup(index, a->record->src));
        a->to = GPOINTER_TO_UINT(g_hash_table_lookup(index, a->record->dst));
        a->x1 = g_array_index(d->lifelines, MsDiagramLifeline, a->from).x;
        double xd = g_array_index(d->lifelines, MsDiagramLifeline, a->to).x;
        /* A lost arrow stops short, where its cross is drawn. */
        a->x2 = a->lost ? a->x1 + (xd - a->x1) * MS_DG_LOST_REACH : xd;
    }
}

/* ---- The model -------------------------------------------------------------- */

MsDiagram *ms_diagram_new(const MsTrace *trace, const MsReportOptions *report,
                          const MsDiagramOptions *options)
{
    MsDiagram *d = g_new0(MsDiagram, 1);
    d->options = *options;
    d->lang = g_strdup(options->lang != NULL ? options->lang
                       : report != NULL && report->lang != NULL ? report->lang
                                                                  : "en");
    const char *name = ms_report_scenario_title(report, d->lang);
    d->title = g_strdup(name != NULL && name[0] != '\0' ? name : "mailsim");
    d->protocols = g_strdup(options->protocols);
    d->hosts = g_strdup(options->hosts);
    d->basename = g_strdup(options->basename != NULL && options->basename[0] != '\0'
                               ? options->basename
                               : "sequence");
    d->options.lang = d->lang;
    d->options.protocols = d->protocols;
    d->options.hosts = d->hosts;
    d->options.basename = d->basename;
    d->full_bodies = report != NULL && report->full_bodies;
    d->strings = g_string_chunk_new(4096);
    d->lifelines = g_array_new(FALSE, FALSE, sizeof(MsDiagramLifeline));
    d->arrows = g_array_new(FALSE, FALSE, sizeof(MsDiagramArrow));
    d->notes = g_array_new(FALSE, FALSE, sizeof(MsDiagramNote));
    d->bands = g_array_new(FALSE, FALSE, sizeof(MsDiagramBand));
    d->breaks = g_array_new(FALSE, FALSE, sizeof(MsDiagramBreak));
    d->ticks = g_array_new(FALSE, FALSE, sizeof(MsDiagramTick));
    d->pages = g_array_new(FALSE, FALSE, sizeof(MsDiagramPage));
    d->note_order = g_array_new(FALSE, FALSE, sizeof(guint64));
    d->parts = g_array_new(FALSE, FALSE, sizeof(MsDgPart));
    d->arrow_part = g_array_new(FALSE, FALSE, sizeof(guint));
    d->group_rows = g_array_new(FALSE, FALSE, sizeof(guint));
    d->refused = g_ptr_array_new();
    d->cut = MS_TIME_NEVER;
    d->type = options->slide ? MS_DG_SLIDE_TYPE : 1.0;
    d->column = MS_DG_COLUMN * (options->slide ? MS_DG_SLIDE_COLUMN : 1.0);
    if (options->slide && d->options.page_arrows == 0)
        d->options.page_arrows = MS_DIAGRAM_SLIDE_ARROWS;

    MsDgHosts hs;
    ms_dg_hosts_init(&hs);
    Pick pk = { 0 };
    pk.d = d;
    pk.trace = trace;
    pk.protocols = split_list(d->protocols);
    pk.hosts = split_list(d->hosts);
    pk.n_hosts = pk.hosts != NULL ? g_strv_length(pk.hosts) : 0;
    pk.conn_protocol = g_ptr_array_new();
    pk.conn_ends = g_ptr_array_new();
    pk.used = g_hash_table_new(g_str_hash, g_str_equal);
    pk.http_flow = g_array_new(FALSE, TRUE, sizeof(MsDiagramFlow));
    pk.imap_idling = g_array_new(FALSE, TRUE, sizeof(gboolean));
    pk.spans = g_array_new(FALSE, FALSE, sizeof(ConnSpan));
    pk.syn_arrival = g_array_new(FALSE, FALSE, sizeof(MsTime));
    pk.note_records = g_array_new(FALSE, FALSE, sizeof(guint64));
    survey(&hs, &pk);
    ms_dg_hosts_order(&hs);
    d->view = options->view;
    pk.next_flush = PICK_BATCH;
    pick_arrows(&pk);
    /* Compact unless asked for the full view; automatically only when the
     * full view would be long (a slide is always compact by default). */
    if (pk.compactor != NULL)
        d->view = MS_DIAGRAM_VIEW_COMPACT;
    if (d->view == MS_DIAGRAM_VIEW_AUTO)
        d->view = !options->slide && full_view_arrows(d, MS_DIAGRAM_COMPACT_OVER + 1) <=
                                         MS_DIAGRAM_COMPACT_OVER
                      ? MS_DIAGRAM_VIEW_FULL
                      : MS_DIAGRAM_VIEW_COMPACT;
    if (d->view == MS_DIAGRAM_VIEW_FULL)
        group_and_elide(d);
    else if (pk.compactor != NULL)
        ms_dg_compact_end(d, pk.compactor);
    else
        ms_dg_compact_arrows(d);

    /* What is not drawn costs a count, not a layout. */
    ms_dg_cut_pages(d);
    mark_used(d, &pk);
    order_sides(d, &pk, &hs);
    GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);
    make_lifelines(d, &pk, &hs, index);
    ms_dg_pick_notes(d, pk.trace, pk.note_records, index);
    ms_dg_label_arrows(d);
    ms_dg_layout(d);

    g_hash_table_unref(index);
    g_strfreev(pk.protocols);
    g_strfreev(pk.hosts);
    g_ptr_array_unref(pk.conn_protocol);
    g_ptr_array_unref(pk.conn_ends);
    g_array_unref(pk.http_flow);
    g_array_unref(pk.imap_idling);
    g_array_unref(pk.spans);
    g_array_unref(pk.syn_arrival);
    g_array_unref(pk.note_records);
    g_hash_table_unref(pk.used);
    ms_dg_hosts_clear(&hs);
    return d;
}

void ms_diagram_free(MsDiagram *d)
{
    if (d == NULL)
        return;
    g_free(d->lang);
    g_free(d->title);
    g_free(d->protocols);
    g_free(d->hosts);
    g_free(d->basename);
    g_string_chunk_free(d->strings);
    g_array_unref(d->lifelines);
    g_array_unref(d->arrows);
    g_array_unref(d->notes);
    g_array_unref(d->bands);
    g_array_unref(d->breaks);
    g_array_unref(d->ticks);
    g_array_unref(d->pages);
    g_array_unref(d->note_order);
    g_array_unref(d->parts);
    g_array_unref(d->arrow_part);
    g_array_unref(d->group_rows);
    g_ptr_array_unref(d->refused);
    g_free(d);
}

const char *ms_diagram_title(const MsDiagram *d)
{
    return d->title;
}

const char *ms_diagram_lang(const MsDiagram *d)
{
    return d->lang;
}

const MsDiagramOptions *ms_diagram_options(const MsDiagram *d)
{
    return &d->options;
}

MsDiagramView ms_diagram_view(const MsDiagram *d)
{
    return d->view;
}

const MsDiagramUndrawn *ms_diagram_undrawn(const MsDiagram *d)
{
    return &d->undrawn;
}

gboolean ms_diagram_has_flow(const MsDiagram *d, MsDiagramFlow flow)
{
    return (guint) flow < MS_DIAGRAM_N_FLOWS && d->has_flow[flow];
}

#define ACCESSORS(plural, singular, Type)                                          \
    guint ms_diagram_n_##plural(const MsDiagram *d)                                \
    {                                                                              \
        return d->plural->len;                                                     \
    }                                                                              \
    const Type *ms_diagram_##singular(const MsDiagram *d, guint i)                 \
    {                                                                              \
        g_return_val_if_fail(i < d->plural->len, NULL);                            \
        return &g_array_index(d->plural, Type, i);                                 \
    }

ACCESSORS(pages, page, MsDiagramPage)
ACCESSORS(lifelines, lifeline, MsDiagramLifeline)
ACCESSORS(arrows, arrow, MsDiagramArrow)
ACCESSORS(notes, note, MsDiagramNote)
ACCESSORS(bands, band, MsDiagramBand)
ACCESSORS(breaks, break, MsDiagramBreak)
ACCESSORS(ticks, tick, MsDiagramTick)
#undef ACCESSORS

double ms_diagram_tick_joined_y(const MsDiagram *d, guint i)
{
    g_return_val_if_fail(i < d->ticks->len, -1);
    const MsDiagramTick *t = &g_array_index(d->ticks, MsDiagramTick, i);
    if (!t->again)
        return -1;
    double top = -1;
    for (guint k = i; k-- > 0;) {
        const MsDiagramTick *up = &g_array_index(d->ticks, MsDiagramTick, k);
        if (up->page != t->page || up->time != t->time)
            return -1;
        if (up->label != NULL) {
            top = up->y;
            break;
        }
    }
    /* Later instants are placed from the instant's first tick on: those
     * drawn above this mark follow it in the list. */
    for (guint k = i + 1; top >= 0 && k < d->ticks->len; k++) {
        const MsDiagramTick *next = &g_array_index(d->ticks, MsDiagramTick, k);
        if (next->page != t->page || next->y >= t->y)
            break;
        if (next->label != NULL && next->time != t->time && next->y > top)
            return -1;
    }
    return top;
}

double ms_diagram_time_y(const MsDiagram *d, guint page, MsTime time)
{
    /* Ticks are sorted by (page, time): binary search. */
    guint lo = 0, hi = d->ticks->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const MsDiagramTick *t = &g_array_index(d->ticks, MsDiagramTick, mid);
        if (t->page < page || (t->page == page && t->time < time))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->ticks->len) {
        const MsDiagramTick *t = &g_array_index(d->ticks, MsDiagramTick, lo);
        if (t->page == page && t->time == time)
            return t->y;
    }
    return -1;
}

char *ms_diagram_file_name(const MsDiagram *d, guint page, MsDiagramFormat format)
{
    if (ms_dg_total_pages(d) > 1 && ms_diagram_format_is_graphviz(format))
        return g_strdup_printf("%s-%u%s", d->basename, page + 1, ms_diagram_format_suffix(format));
    return g_strdup_printf("%s%s", d->basename, ms_diagram_format_suffix(format));
}

/* Simulated seconds to the millisecond, truncated as the axis is. */
static void append_seconds(GString *out, MsTime t)
{
    MsTime ms = t / MS_MSEC;
    g_string_append_printf(out, "%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT " s", ms / 1000,
                           ms % 1000);
}

char *ms_diagram_page_index(const MsDiagram *d)
{
    const MsDiagramUndrawn *u = &d->undrawn;
    guint total = ms_dg_total_pages(d);
    if (total < 2)
        return NULL;
    /* Pages are files only in the Graphviz formats: name the first asked for.
     * With none, the index is only worth printing when pages were left
     * out of the text formats. */
    MsDiagramFormat format = MS_DIAGRAM_N_FORMATS;
    for (guint f = 0; f < MS_DIAGRAM_N_FORMATS && format == MS_DIAGRAM_N_FORMATS; f++)
        if ((d->options.formats & MS_DIAGRAM_FORMAT_BIT(f)) != 0 && ms_diagram_format_is_graphviz(f))
            format = (MsDiagramFormat) f;
    if (format == MS_DIAGRAM_N_FORMATS && u->pages == 0)
        return NULL;
    GString *out = g_string_new(NULL);
    if (d->options.page_time > 0 && d->options.page_arrows > 0) {
        g_autofree char *span = ms_time_format_human(d->options.page_time);
        g_string_append_printf(out, "the diagram has %u pages of at most %u arrows and %s:\n",
                               total, d->options.page_arrows, span);
    } else if (d->options.page_time > 0) {
        g_autofree char *span = ms_time_format_human(d->options.page_time);
        g_string_append_printf(out, "the diagram has %u pages of at most %s:\n", total, span);
    } else {
        g_string_append_printf(out, "the diagram has %u pages of at most %u arrows "
                               "(--page-arrows N to change, 0 for one page):\n",
                               total, d->options.page_arrows);
    }
    /* Columns as wide as the widest entry, so that the index reads as a table. */
    g_autofree char *last = format != MS_DIAGRAM_N_FORMATS
                                ? ms_diagram_file_name(d, d->pages->len - 1, format)
                                : g_strdup_printf("page %u", d->pages->len);
    int name_w = (int) strlen(last);
    int num_w = snprintf(NULL, 0, "%u", d->arrows->len + u->n_arrows);
    for (guint p = 0; p < d->pages->len; p++) {
        const MsDiagramPage *pg = &g_array_index(d->pages, MsDiagramPage, p);
        g_autofree char *name = format != MS_DIAGRAM_N_FORMATS
                                    ? ms_diagram_file_name(d, p, format)
                                    : g_strdup_printf("page %u", p + 1);
        g_string_append_printf(out, "  %-*s  arrows %*u-%-*u  ", name_w, name, num_w,
                               pg->first_arrow + (pg->n_arrows > 0 ? 1 : 0), num_w,
                               pg->first_arrow + pg->n_arrows);
        append_seconds(out, pg->from);
        g_string_append(out, " - ");
        append_seconds(out, pg->to);
        g_string_append_c(out, '\n');
    }
    if (u->pages > 0) {
        if (u->pages == 1)
            g_string_append_printf(out, "  page %u (arrows %u-%u, ", d->pages->len + 1,
                                   u->first_arrow + 1, u->first_arrow + u->n_arrows);
        else
            g_string_append_printf(out, "  pages %u-%u (arrows %u-%u, ", d->pages->len + 1,
                                   total, u->first_arrow + 1, u->first_arrow + u->n_arrows);
        append_seconds(out, u->from);
        g_string_append(out, " - ");
        append_seconds(out, u->to);
        g_string_append(out, ") not drawn: --max-pages 0 draws them all, --from/--until a "
                             "window\n");
    }
    return g_string_free(out, FALSE);
}
