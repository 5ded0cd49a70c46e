/* diagram.c - the sequence diagram's model: which hosts get a lifeline and
 * in what order, which trace records become arrows and notes, and the
 * words on them.  Where things go on the page is diagram_layout.c's job.
 *
 * The trace does not say which host is a user agent and which a server, so
 * roles are read off the connections: a host that accepts connections on a
 * mail port (25, 587, 465, 110, 995, 143, 993) is a mail server, one that
 * accepts them on a web port (80, 443, 8080) a web-mail server; a host that
 * only opens connections is a user agent (to mail ports) or a browser (to
 * web ports).  Lifelines are ordered as the mail flows: first the hosts
 * that send mail (they open SMTP to a server, compose a message or POST a
 * form), then the servers in the order they first take part in SMTP (so
 * the sender's server comes before the receiver's), then the hosts that
 * fetch mail; within a group, by their server's place, then by first
 * appearance in the trace.
 */
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* ---- Hosts and their roles -------------------------------------------------- */

typedef struct {
    const char *name;
    guint64 first_seen;
    guint64 first_smtp;  /* 2 * record id, +1 on the accepting side */
    gboolean accepts_mail, accepts_web, opens_mail, opens_web, sends;
    const char *home;    /* first server it connected to */
    guint bucket;        /* 0 sends, 1 server, 2 fetches, 3 other */
    guint home_rank;
} HostInfo;

typedef struct {
    GPtrArray *hosts;    /* HostInfo, first seen first */
    GHashTable *by_name; /* lookups only; never iterated */
} Hosts;

static HostInfo *host_get(Hosts *hs, const char *name, guint64 id)
{
    HostInfo *h = g_hash_table_lookup(hs->by_name, name);
    if (h == NULL) {
        h = g_new0(HostInfo, 1);
        h->name = name;
        h->first_seen = id;
        h->first_smtp = G_MAXUINT64;
        h->home_rank = G_MAXUINT;
        g_ptr_array_add(hs->hosts, h);
        g_hash_table_insert(hs->by_name, (gpointer) name, h);
    }
    return h;
}

static gboolean port_in(guint16 port, const guint16 *ports, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (ports[i] == port)
            return TRUE;
    }
    return FALSE;
}

static void host_conn(Hosts *hs, const char *client, const char *server, guint16 port,
                      const char *protocol, guint64 id)
{
    static const guint16 smtp_ports[] = { 25, 587, 465 };
    static const guint16 mail_ports[] = { 110, 995, 143, 993 };
    static const guint16 web_ports[] = { 80, 443, 8080 };
    MsDiagramFlow flow = ms_diagram_flow_of_protocol(protocol);
    gboolean smtp = flow == MS_DIAGRAM_FLOW_PUSH || port_in(port, smtp_ports, 3);
    gboolean web = (protocol != NULL && g_ascii_strncasecmp(protocol, "HTTP", 4) == 0) ||
                   port_in(port, web_ports, 3);
    gboolean mail = smtp || (!web && (flow == MS_DIAGRAM_FLOW_PULL || port_in(port, mail_ports, 4)));
    HostInfo *c = host_get(hs, client, id);
    HostInfo *s = host_get(hs, server, id);
    c->opens_mail |= mail;
    c->opens_web |= web;
    s->accepts_mail |= mail;
    s->accepts_web |= web;
    if (c->home == NULL && (mail || web))
        c->home = s->name;
    if (smtp) {
        c->first_smtp = MIN(c->first_smtp, 2 * id);
        s->first_smtp = MIN(s->first_smtp, 2 * id + 1);
        c->sends = TRUE;
    }
}

static void hosts_read(Hosts *hs, const MsTrace *trace)
{
    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i);
        if (r->src != NULL)
            host_get(hs, r->src, i);
        if (r->dst != NULL)
            host_get(hs, r->dst, i);
        if (r->src == NULL || r->dst == NULL) {
            if (r->kind == MS_TRACE_MESSAGE && r->src != NULL && r->note != NULL &&
                strcmp(r->note, "message.composed") == 0)
                host_get(hs, r->src, i)->sends = TRUE;
            continue;
        }
        if (r->kind == MS_TRACE_CONN_OPEN || (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_CLIENT)) {
            host_conn(hs, r->src, r->dst, r->dst_port, r->protocol, i);
        } else if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER) {
            host_conn(hs, r->dst, r->src, r->src_port, r->protocol, i);
        }
        /* A browser that POSTs a form (other than its login) is sending
         * mail through its server. */
        if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_CLIENT && r->text != NULL &&
            g_str_has_prefix(r->text, "POST ") && !g_str_has_prefix(r->text, "POST /login"))
            host_get(hs, r->src, i)->sends = TRUE;
    }
}

static gboolean host_is_server(const HostInfo *h)
{
    return h->accepts_mail || h->accepts_web;
}

static MsDiagramRole host_role(const HostInfo *h)
{
    if (h->accepts_web)
        return MS_DIAGRAM_ROLE_WEBMAIL_SERVER;
    if (h->accepts_mail)
        return MS_DIAGRAM_ROLE_MAIL_SERVER;
    if (h->opens_web)
        return MS_DIAGRAM_ROLE_BROWSER;
    if (h->opens_mail)
        return MS_DIAGRAM_ROLE_USER_AGENT;
    return MS_DIAGRAM_ROLE_HOST;
}

static gint compare_servers(gconstpointer a, gconstpointer b)
{
    const HostInfo *x = *(HostInfo *const *) a, *y = *(HostInfo *const *) b;
    if (x->first_smtp != y->first_smtp)
        return x->first_smtp < y->first_smtp ? -1 : 1;
    return x->first_seen < y->first_seen ? -1 : (x->first_seen > y->first_seen);
}

static gint compare_hosts(gconstpointer a, gconstpointer b)
{
    const HostInfo *x = *(HostInfo *const *) a, *y = *(HostInfo *const *) b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->bucket == 1)
        return compare_servers(a, b);
    if (x->home_rank != y->home_rank)
        return x->home_rank < y->home_rank ? -1 : 1;
    return x->first_seen < y->first_seen ? -1 : (x->first_seen > y->first_seen);
}

/* Sorts hs->hosts into lifeline order (see the top of the file). */
static void hosts_order(Hosts *hs)
{
    g_autoptr(GPtrArray) servers = g_ptr_array_new();
    for (guint i = 0; i < hs->hosts->len; i++) {
        HostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (host_is_server(h))
            g_ptr_array_add(servers, h);
    }
    g_ptr_array_sort(servers, compare_servers);
    for (guint i = 0; i < servers->len; i++)
        ((HostInfo *) g_ptr_array_index(servers, i))->home_rank = i;
    for (guint i = 0; i < hs->hosts->len; i++) {
        HostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (host_is_server(h)) {
            h->bucket = 1;
            continue;
        }
        HostInfo *home = h->home != NULL ? g_hash_table_lookup(hs->by_name, h->home) : NULL;
        h->home_rank = home != NULL ? home->home_rank : G_MAXUINT;
        if (h->sends)
            h->bucket = 0;
        else if (h->opens_mail || h->opens_web)
            h->bucket = 2;
        else
            h->bucket = 3;
    }
    g_ptr_array_sort(hs->hosts, compare_hosts);
}

/* ---- Choosing arrows and notes ---------------------------------------------- */

typedef struct {
    MsDiagram *d;
    const MsTrace *trace;
    char **protocols;        /* NULL: all */
    char **hosts;            /* NULL: all */
    guint n_hosts;
    GPtrArray *conn_protocol;/* index: conn id -> protocol of its CONN_OPEN */
    GHashTable *used;        /* host name -> TRUE: gets a lifeline */
} Pick;

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

static void add_arrow(Pick *pk, const MsTraceRecord *r, MsDiagramArrowKind kind, const char *protocol)
{
    MsDiagramArrow a = { 0 };
    a.kind = kind;
    a.record = r;
    a.flow = kind == MS_DIAGRAM_ARROW_SEGMENT ? MS_DIAGRAM_FLOW_TCP
                                              : ms_diagram_flow_of_protocol(protocol);
    a.send = r->time;
    a.arrival = r->arrival;
    a.lost = r->arrival < 0;
    a.retransmit = r->retransmit;
    a.y1 = a.y2 = -1;
    g_array_append_val(pk->d->arrows, a);
    g_hash_table_insert(pk->used, (gpointer) r->src, GINT_TO_POINTER(1));
    g_hash_table_insert(pk->used, (gpointer) r->dst, GINT_TO_POINTER(1));
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

static void pick_arrows(Pick *pk)
{
    guint64 n = ms_trace_length(pk->trace);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(pk->trace, i);
        switch (r->kind) {
        case MS_TRACE_CONN_OPEN:
            while (pk->conn_protocol->len <= r->conn)
                g_ptr_array_add(pk->conn_protocol, NULL);
            g_ptr_array_index(pk->conn_protocol, r->conn) = (gpointer) r->protocol;
            break;
        case MS_TRACE_LINE:
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
            if (pk->d->options.events && keep(pk, r, conn_protocol(pk, r))) {
                g_hash_table_insert(pk->used, (gpointer) r->src, GINT_TO_POINTER(1));
                g_hash_table_insert(pk->used, (gpointer) r->dst, GINT_TO_POINTER(1));
            }
            break;
        default:
            break;
        }
    }
}

/* Lines sent at one instant on one connection that arrive together travel
 * in one segment: they share a group and are drawn as parallel arrows. */
static void group_and_elide(MsDiagram *d)
{
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(MsDiagramArrow), d->arrows->len);
    guint group = 0;
    for (guint i = 0; i < d->arrows->len;) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        guint j = i + 1;
        while (a->kind == MS_DIAGRAM_ARROW_LINE && j < d->arrows->len) {
            const MsDiagramArrow *b = &g_array_index(d->arrows, MsDiagramArrow, j);
            if (b->kind != MS_DIAGRAM_ARROW_LINE || b->record->conn != a->record->conn ||
                b->record->dir != a->record->dir || b->send != a->send || b->arrival != a->arrival)
                break;
            j++;
        }
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

static void make_lifelines(MsDiagram *d, Pick *pk, Hosts *hs, GHashTable *index)
{
    for (guint i = 0; i < hs->hosts->len; i++) {
        const HostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (!g_hash_table_contains(pk->used, h->name))
            continue;
        MsDiagramLifeline l = { h->name, host_role(h), 0 };
        l.x = MS_DG_AXIS_X + 118.0 + MS_DG_COLUMN * d->lifelines->len;
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

/* ---- Notes ------------------------------------------------------------------ */

typedef struct {
    const char *key;
    const char *en;
    const char *zh;
} NoteWords;

/* Short words for what the notes' keys mean; "{n}" is the record's count. */
static const NoteWords note_words[] = {
    { "message.composed", "composes a message", "撰写邮件" },
    { "message.submitted", "submitted", "已提交" },
    { "message.downloaded", "message downloaded", "邮件已下载" },
    { "message.bounce", "sends a bounce", "发出退信" },
    { "message.dropped", "message dropped", "邮件被丢弃" },
    { "queue.add", "queued ({n} in queue)", "放入发送队列（{n} 封）" },
    { "queue.retry", "will retry later", "稍后重试" },
    { "queue.remove", "leaves the queue ({n} left)", "移出发送队列（剩 {n} 封）" },
    { "mailbox.deliver", "into the mailbox ({n})", "放入邮箱（{n} 封）" },
    { "mailbox.delete", "deleted from the mailbox ({n} left)", "从邮箱删除（剩 {n} 封）" },
};

/* Keys the arrows already show. */
static const char *const quiet_notes[] = { "queue.attempt" };

static char *note_text(const MsDiagram *d, const MsTraceRecord *r)
{
    if (r->kind == MS_TRACE_CONN_REFUSED)
        return MS_DG_PRINTF(d, "cannot connect to %s:%u", "无法连接 %s:%u", r->dst, r->dst_port);
    if (r->kind == MS_TRACE_CONN_ABORT)
        return g_strdup(ms_dg_word(d, "connection aborted", "连接中止"));
    for (gsize i = 0; r->note != NULL && i < G_N_ELEMENTS(note_words); i++) {
        if (strcmp(r->note, note_words[i].key) != 0)
            continue;
        const char *words = ms_dg_word(d, note_words[i].en, note_words[i].zh);
        const char *at = strstr(words, "{n}");
        if (at == NULL)
            return g_strdup(words);
        g_autoptr(GString) s = g_string_new(NULL);
        g_string_append_len(s, words, at - words);
        g_string_append_printf(s, "%" G_GINT64_FORMAT, r->count);
        g_string_append(s, at + 3);
        return g_string_free(g_steal_pointer(&s), FALSE);
    }
    char *sentence = ms_report_event_text(r, d->lang);
    if (sentence != NULL)
        return sentence;
    return g_strdup(r->detail != NULL ? r->detail : (r->note != NULL ? r->note : ""));
}

static gboolean is_note_kind(MsTraceKind kind)
{
    return kind == MS_TRACE_QUEUE || kind == MS_TRACE_MAILBOX || kind == MS_TRACE_MESSAGE ||
           kind == MS_TRACE_ACTION || kind == MS_TRACE_LINK || kind == MS_TRACE_ERROR ||
           kind == MS_TRACE_CONN_REFUSED || kind == MS_TRACE_CONN_ABORT;
}

static void pick_notes(MsDiagram *d, const MsTrace *trace, GHashTable *index)
{
    if (!d->options.events)
        return;
    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i);
        gboolean quiet = FALSE;
        for (gsize q = 0; r->note != NULL && q < G_N_ELEMENTS(quiet_notes); q++)
            quiet |= strcmp(r->note, quiet_notes[q]) == 0;
        /* The end state is the summary's; it has no moment in the dialogue. */
        quiet |= r->note != NULL && g_str_has_prefix(r->note, "state.");
        if (!is_note_kind(r->kind) || quiet || r->src == NULL || r->time < d->options.from ||
            r->time >= d->options.until)
            continue;
        gpointer where = NULL;
        if (!g_hash_table_lookup_extended(index, r->src, NULL, &where))
            continue;
        g_autofree char *text = note_text(d, r);
        g_autofree char *label = ms_dg_shorten(text, 34);
        g_autofree char *time = ms_time_format_ms(r->time);
        g_autofree char *sentence = ms_report_event_text(r, d->lang);
        g_autofree char *tip = g_strdup_printf("%s ms  %s: %s", time, r->src,
                                               sentence != NULL ? sentence : text);
        MsDiagramNote note = { 0, GPOINTER_TO_UINT(where), r->time, -1, ms_dg_intern(d, label),
                               ms_dg_intern(d, tip) };
        g_array_append_val(d->notes, note);
        g_array_append_val(d->note_order, r->id);
    }
}

/* ---- Labels ----------------------------------------------------------------- */

static void append_flags(GString *out, guint flags)
{
    static const struct {
        guint bit;
        const char *name;
    } names[] = {
        { MS_TCP_SYN, "SYN" }, { MS_TCP_FIN, "FIN" }, { MS_TCP_RST, "RST" },
        { MS_TCP_PSH, "PSH" }, { MS_TCP_ACK, "ACK" },
    };
    gsize start = out->len;
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if ((flags & names[i].bit) != 0) {
            if (out->len > start)
                g_string_append_c(out, '+');
            g_string_append(out, names[i].name);
        }
    }
    if (out->len == start)
        g_string_append_c(out, '-');
}

static char *arrow_text(const MsDiagram *d, const MsDiagramArrow *a)
{
    const MsTraceRecord *r = a->record;
    GString *s = g_string_new(NULL);
    if (a->kind == MS_DIAGRAM_ARROW_ELIDED) {
        g_autofree char *more = MS_DG_PRINTF(d, "\u22ee %u more lines", "\u22ee 另外 %u 行",
                                             a->elided);
        g_string_append(s, more);
    } else if (a->kind == MS_DIAGRAM_ARROW_SEGMENT) {
        append_flags(s, r->flags);
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

static void label_arrows(MsDiagram *d)
{
    for (guint i = 0; i < d->arrows->len; i++) {
        MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *r = a->record;
        g_autofree char *text = arrow_text(d, a);
        double span = a->x2 > a->x1 ? a->x2 - a->x1 : a->x1 - a->x2;
        double pt = a->kind == MS_DIAGRAM_ARROW_LINE ? MS_DG_LINE_PT : MS_DG_SMALL_PT;
        guint max_chars = (guint) MAX(4.0, (span - 28.0) / (pt * 0.602));
        g_autofree char *label = ms_dg_shorten(text, max_chars);
        a->text = ms_dg_intern(d, text);
        a->label = ms_dg_intern(d, label);

        g_autoptr(GString) tip = g_string_new(NULL);
        if (a->kind == MS_DIAGRAM_ARROW_LINE)
            g_string_append(tip, r->dir == MS_DIR_CLIENT ? "C: " : "S: ");
        g_string_append_printf(tip, "%s\n[%u] %s \u2192 %s, %s\n", text, r->conn, r->src, r->dst,
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
        d->has_lost |= a->lost;
        d->has_retransmit |= a->retransmit > 0;
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
    d->title = g_strdup(report != NULL && report->scenario_name != NULL &&
                                report->scenario_name[0] != '\0'
                            ? report->scenario_name
                            : "mailsim");
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

    Hosts hs = { g_ptr_array_new_with_free_func(g_free), g_hash_table_new(g_str_hash, g_str_equal) };
    hosts_read(&hs, trace);
    hosts_order(&hs);

    Pick pk = { 0 };
    pk.d = d;
    pk.trace = trace;
    pk.protocols = split_list(d->protocols);
    pk.hosts = split_list(d->hosts);
    pk.n_hosts = pk.hosts != NULL ? g_strv_length(pk.hosts) : 0;
    pk.conn_protocol = g_ptr_array_new();
    pk.used = g_hash_table_new(g_str_hash, g_str_equal);
    pick_arrows(&pk);
    group_and_elide(d);

    GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);
    make_lifelines(d, &pk, &hs, index);
    pick_notes(d, trace, index);
    label_arrows(d);
    ms_dg_layout(d);

    g_hash_table_unref(index);
    g_strfreev(pk.protocols);
    g_strfreev(pk.hosts);
    g_ptr_array_unref(pk.conn_protocol);
    g_hash_table_unref(pk.used);
    g_ptr_array_unref(hs.hosts);
    g_hash_table_unref(hs.by_name);
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
    if (d->pages->len > 1 && ms_diagram_format_is_graphviz(format))
        return g_strdup_printf("%s-%u%s", d->basename, page + 1, ms_diagram_format_suffix(format));
    return g_strdup_printf("%s%s", d->basename, ms_diagram_format_suffix(format));
}
