/* transcript_items.c - what a transcript shows, in order, before it is laid
 * out as text or Markdown: phase headings, connection events, TCP segments
 * (with --tcp), the protocol lines (transcript_lines.c says what they show
 * and what is noted under them), the events of queues and mailboxes, and
 * the lines of long message bodies left out (without --full-bodies).
 *
 * Built from the trace log alone.  Lines are placed when they were sent.
 */
#include <string.h>

#include "report/transcript-private.h"

/* A run of more than ELIDE_MIN body lines keeps its first ELIDE_HEAD and
 * last ELIDE_TAIL lines; the headers of a message are always shown. */
#define ELIDE_MIN 10
#define ELIDE_HEAD 3
#define ELIDE_TAIL 2

static void conn_state_free(gpointer p)
{
    MsTbConn *s = p;
    if (s == NULL)
        return;
    g_clear_pointer(&s->rcpt_items, g_ptr_array_unref);
    g_clear_pointer(&s->rcpt_addrs, g_ptr_array_unref);
    if (s->shown_to != NULL)
        g_string_free(s->shown_to, TRUE);
    g_free(s);
}

/* Items are taken from blocks of this many, never moved. */
#define ITEM_BLOCK 4096u

static MsItem *new_item(MsReportItems *ri)
{
    if (ri->blocks->len == 0 || ri->used == ITEM_BLOCK) {
        g_ptr_array_add(ri->blocks, g_new(MsItem, ITEM_BLOCK));
        ri->used = 0;
    }
    MsItem *block = g_ptr_array_index(ri->blocks, ri->blocks->len - 1);
    MsItem *item = &block[ri->used++];
    memset(item, 0, sizeof *item);
    return item;
}

/* Keeps a text in the items' pool (one copy of each: transcripts repeat
 * "250 OK" and the notes' sentences thousands of times) and frees it. */
const char *ms_tb_keep_text(MsReportItems *ri, char *text)
{
    if (text == NULL)
        return NULL;
    const char *kept = g_string_chunk_insert_const(ri->strings, text);
    g_free(text);
    return kept;
}

/* text: one that outlives the items (the trace's own, say). */
MsItem *ms_tb_add_borrowed(MsTbBuilder *b, MsItemKind kind, const MsTraceRecord *r,
                           const MsReportConn *conn, MsTime time, const char *text)
{
    MsItem *item = new_item(b->out);
    item->kind = kind;
    if (r != NULL) {
        item->src = r->src;
        item->dir = (guint8) r->dir;
        item->record_kind = (guint8) r->kind;
    }
    item->conn = conn;
    item->time = time;
    item->text = text;
    g_ptr_array_add(b->items, item);
    MsTbBody none = MS_TB_BODY_NONE;
    g_array_append_val(b->body, none);
    return item;
}

MsItem *ms_tb_add(MsTbBuilder *b, MsItemKind kind, const MsTraceRecord *r,
                  const MsReportConn *conn, MsTime time, char *text)
{
    return ms_tb_add_borrowed(b, kind, r, conn, time, ms_tb_keep_text(b->out, text));
}

/* text: a sentence that outlives the items (the notes' catalogue) or one
 * kept in their pool. */
void ms_tb_push_note(MsItem *item, const char *text)
{
    if (item->n_notes == 0) {
        item->note = text;
    } else {
        item->more_notes = g_renew(const char *, item->more_notes, item->n_notes);
        item->more_notes[item->n_notes - 1] = text;
    }
    item->n_notes++;
}

void ms_tb_add_note(MsTbBuilder *b, MsItem *item, const char *key)
{
    if (!b->options->notes)
        return;
    gpointer text = NULL;
    if (!g_hash_table_lookup_extended(b->note_texts, key, NULL, &text)) {
        text = (gpointer) ms_report_note_text(key, b->lang);
        g_hash_table_insert(b->note_texts, (gpointer) key, text);
    }
    if (text != NULL)
        ms_tb_push_note(item, text);
}

MsTbConn *ms_tb_state_of(MsTbBuilder *b, guint id)
{
    if (id == 0 || id >= b->states->len)
        return NULL;
    return g_ptr_array_index(b->states, id);
}

MsTbConn *ms_tb_open_conn(MsTbBuilder *b, const MsTraceRecord *r)
{
    while (b->states->len <= r->conn) {
        g_ptr_array_add(b->states, NULL);
        g_ptr_array_add(b->conns, NULL);
    }
    MsTbConn *s = g_ptr_array_index(b->states, r->conn);
    if (s == NULL) {
        s = g_new0(MsTbConn, 1);
        s->conn = g_new0(MsReportConn, 1);
        g_ptr_array_index(b->states, r->conn) = s;
        g_ptr_array_index(b->conns, r->conn) = s->conn;
    }
    s->conn->id = r->conn;
    s->conn->protocol = r->protocol != NULL ? r->protocol : "TCP";
    s->conn->client = r->src;
    s->conn->server = r->dst;
    s->conn->client_port = r->src_port;
    s->conn->server_port = r->dst_port;
    return s;
}

void ms_tb_heading(MsTbBuilder *b, MsTbConn *s, const char *phase, MsTime time)
{
    const char *name = ms_report_phase_text(phase, b->lang);
    ms_tb_add(b, MS_ITEM_PHASE, NULL, s->conn, time, g_strdup(name != NULL ? name : phase));
    s->phase = phase;
}

MsArrow ms_tb_arrow_of(MsDir dir)
{
    return dir == MS_DIR_SERVER ? MS_ARROW_TO_CLIENT : MS_ARROW_TO_SERVER;
}

/* ---- Connection records ------------------------------------------------- */

MsReportRefusal ms_report_refusal(const MsTraceRecord *r)
{
    const char *why = r->detail != NULL ? r->detail : "";
    /* "connection timed out", or "... after 30 s" with a connect-timeout */
    if (g_str_has_prefix(why, "connection timed out"))
        return MS_REPORT_REFUSED_TIMEOUT;
    if (strcmp(why, "no route to host") == 0)
        return MS_REPORT_REFUSED_NO_ROUTE;
    return MS_REPORT_REFUSED_RST;
}

static void conn_record(MsTbBuilder *b, const MsTraceRecord *r)
{
    const char *lang = b->lang;
    if (r->kind == MS_TRACE_CONN_OPEN) {
        MsTbConn *s = ms_tb_open_conn(b, r);
        ms_tb_heading(b, s, "tcp.handshake", r->time);
        MsItem *item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                                 ms_report_format(lang, N_("SYN: {1} opens a TCP"
                                                              " connection ({2})"),
                                                     r->src, s->conn->protocol, NULL));
        item->arrow = MS_ARROW_TO_SERVER;
        return;
    }
    MsTbConn *s = ms_tb_state_of(b, r->conn);
    if (s == NULL)
        return;
    MsItem *item = NULL;
    switch (r->kind) {
    case MS_TRACE_CONN_ESTABLISHED:
        if (r->dir == MS_DIR_CLIENT) {
            item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                             ms_report_format(lang, N_("{1} gets SYN+ACK: connection"
                                                          " established"),
                                                 r->src, NULL));
            item->arrow = MS_ARROW_TO_CLIENT;
        } else {
            item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                             ms_report_format(lang, N_("{1} gets the ACK: handshake"
                                                          " complete"),
                                                 r->src, NULL));
            item->arrow = MS_ARROW_TO_SERVER;
        }
        break;
    case MS_TRACE_CONN_REFUSED: {
        if (ms_report_refusal(r) == MS_REPORT_REFUSED_RST) {
            /* RFC 9293 3.10.7.1: a SYN to a port nobody listens on is
             * answered with a RST, which comes back to the client. */
            g_autofree char *port = g_strdup_printf("%u", s->conn->server_port);
            item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                             ms_report_format(lang, N_("connection refused: {1}'s TCP answered"
                                                          " the SYN with RST (nothing listens on"
                                                          " port {2})"),
                                                 s->conn->server, port, NULL));
            item->arrow = MS_ARROW_TO_CLIENT;
            break;
        }
        g_autofree char *why = ms_report_phrase(r->detail != NULL ? r->detail : "", lang);
        item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                         ms_report_format(lang, N_("connection failed: {1}"), why, NULL));
        item->arrow = MS_ARROW_TO_SERVER;
        break;
    }
    case MS_TRACE_CONN_CLOSE:
        if (!s->teardown) {
            ms_tb_heading(b, s, "tcp.teardown", r->time);
            s->teardown = TRUE;
        }
        item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                         g_strdup(TR(lang, N_("connection closed: FIN and ACK both ways"))));
        item->arrow = MS_ARROW_BOTH;
        break;
    case MS_TRACE_CONN_ABORT: {
        g_autofree char *why = ms_report_phrase(r->detail != NULL ? r->detail : "", lang);
        item = ms_tb_add(b, MS_ITEM_CONN, r, s->conn, r->time,
                         ms_report_format(lang, N_("connection aborted: {1}"), why, NULL));
        item->arrow = MS_ARROW_BOTH;
        break;
    }
    default:
        break;
    }
}

/* ---- TCP segments (--tcp) ----------------------------------------------- */

static void segment_record(MsTbBuilder *b, const MsTraceRecord *r)
{
    MsTbConn *s = ms_tb_state_of(b, r->conn);
    if (s == NULL)
        return;
    gboolean lost = r->kind == MS_TRACE_SEGMENT_LOST;
    if ((r->flags & MS_TCP_FIN) != 0 && !s->teardown && !lost) {
        ms_tb_heading(b, s, "tcp.teardown", r->time);
        s->teardown = TRUE;
    }
    GString *text = g_string_new(NULL);
    ms_report_append_segment(text, r);
    if (r->retransmit > 0) {
        g_autofree char *n = g_strdup_printf("%u", r->retransmit);
        g_autofree char *s2 = ms_report_format(b->lang, N_(" (retransmission {1})"), n, NULL);
        g_string_append(text, s2);
    }
    if (lost) {
        g_autofree char *why = ms_report_phrase(r->detail != NULL ? r->detail : "", b->lang);
        g_autofree char *s2 = ms_report_format(b->lang, N_(" LOST: {1}"), why, NULL);
        g_string_append(text, s2);
    }
    MsItem *item = ms_tb_add(b, MS_ITEM_SEGMENT, r, s->conn, r->time,
                             g_string_free(text, FALSE));
    item->arrow = ms_tb_arrow_of(r->dir);

    /* Annotate what teaches: the handshake, FIN, RST, a loss, a
     * retransmission, and the first data segment and plain ACK only. */
    if (lost) {
        ms_tb_add_note(b, item, "tcp.lost");
        return;
    }
    if (r->retransmit > 0) {
        ms_tb_add_note(b, item, "tcp.retransmit");
        return;
    }
    const char *key = NULL;
    if ((r->flags & MS_TCP_RST) != 0) {
        key = "tcp.rst";
    } else if ((r->flags & MS_TCP_SYN) != 0) {
        key = (r->flags & MS_TCP_ACK) != 0 ? "tcp.synack" : "tcp.syn";
    } else if ((r->flags & MS_TCP_FIN) != 0) {
        key = "tcp.fin";
    } else if (r->dir == MS_DIR_CLIENT && !s->client_acked) {
        /* The client's first segment after SYN+ACK completes the
         * handshake (it may already carry data). */
        key = r->len > 0 ? "tcp.data" : "tcp.ack.handshake";
        s->data_noted = s->data_noted || r->len > 0;
    } else if (r->len > 0) {
        key = s->data_noted ? NULL : "tcp.data";
        s->data_noted = TRUE;
    } else {
        key = s->ack_noted ? NULL : "tcp.ack";
        s->ack_noted = TRUE;
    }
    if (r->dir == MS_DIR_CLIENT && (r->flags & MS_TCP_SYN) == 0)
        s->client_acked = TRUE;
    if (key != NULL)
        ms_tb_add_note(b, item, key);
}
/* ---- Events --------------------------------------------------------------- */

/* An event at the same instant as the next line sent by the same host
 * belongs to that line's step (the POP3 update's deletions come with the
 * reply to QUIT): print the line's phase heading before the event. */
static void early_heading(MsTbBuilder *b, const MsTrace *trace, guint64 i)
{
    MsTraceRecord r_buf, next_buf;
    const MsTraceRecord *r = ms_trace_get(trace, i, &r_buf);
    guint64 n = ms_trace_length(trace);
    /* The first record after i that is a line or at another instant.  A
     * look ahead from an earlier record that stopped beyond i crossed only
     * records of this instant that are not lines: it stopped where this one
     * would. */
    guint64 j = b->ahead > i ? b->ahead : i + 1;
    while (j < n) {
        const MsTraceRecord *next = ms_trace_get(trace, j, &next_buf);
        if (next->time != r->time || next->kind == MS_TRACE_LINE)
            break;
        j++;
    }
    b->ahead = j;
    if (j >= n)
        return;
    const MsTraceRecord *next = ms_trace_get(trace, j, &next_buf);
    if (next->time != r->time)
        return;
    MsTbConn *s = ms_tb_state_of(b, next->conn);
    if (s == NULL || next->phase == NULL || r->src == NULL || next->src == NULL ||
        strcmp(r->src, next->src) != 0)
        return;
    if (s->phase == NULL || strcmp(s->phase, next->phase) != 0)
        ms_tb_heading(b, s, next->phase, r->time);
}

static void event_record(MsTbBuilder *b, const MsTrace *trace, guint64 i)
{
    MsTraceRecord buf;
    const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
    /* Final-state records are for the summary. */
    if (r->note != NULL && g_str_has_prefix(r->note, "state."))
        return;
    char *text = ms_report_event_text(r, b->lang);
    if (text == NULL)
        return;
    early_heading(b, trace, i);
    ms_tb_add(b, MS_ITEM_EVENT, r, NULL, r->time, text);
}

/* ---- Leaving out the middle of long bodies -------------------------------- */

static GPtrArray *elide(MsTbBuilder *b)
{
    GPtrArray *in = b->items;
    GPtrArray *out = g_ptr_array_sized_new(in->len);
    guint i = 0;
    while (i < in->len) {
        MsItem *item = g_ptr_array_index(in, i);
        guint end = i;
        while (end < in->len && g_array_index(b->body, MsTbBody, end) == MS_TB_BODY_CONTENT &&
               ((MsItem *) g_ptr_array_index(in, end))->conn == item->conn)
            end++;
        guint run = end - i;
        if (run <= ELIDE_MIN || b->options->full_bodies) {
            for (guint k = i; k < MAX(end, i + 1); k++)
                g_ptr_array_add(out, in->pdata[k]);
            i = MAX(end, i + 1);
            continue;
        }
        for (guint k = i; k < i + ELIDE_HEAD; k++)
            g_ptr_array_add(out, in->pdata[k]);
        /* The lines left out stay in their block, unlisted, until the
         * items are freed. */
        for (guint k = i + ELIDE_HEAD; k < end - ELIDE_TAIL; k++) {
            MsItem *gone = in->pdata[k];
            g_clear_pointer(&gone->more_notes, g_free);
            gone->n_notes = 0;
        }
        MsItem *first = g_ptr_array_index(in, i + ELIDE_HEAD);
        guint left_out = run - ELIDE_HEAD - ELIDE_TAIL;
        g_autofree char *count = g_strdup_printf("%u", left_out);
        MsItem *gap = new_item(b->out);
        gap->kind = MS_ITEM_ELIDED;
        gap->conn = first->conn;
        gap->time = first->time;
        gap->arrow = first->arrow;
        gap->text = ms_tb_keep_text(b->out,
                                    ms_report_format(b->lang,
                                                        N_("… {1} lines of the body left out"
                                                           " (--full-bodies shows them) …"),
                                                        count, NULL));
        g_ptr_array_add(out, gap);
        for (guint k = end - ELIDE_TAIL; k < end; k++)
            g_ptr_array_add(out, in->pdata[k]);
        i = end;
    }
    return out;
}

MsReportItems *ms_report_items(const MsTrace *trace, const MsReportOptions *options)
{
    MsReportItems *ri = g_new0(MsReportItems, 1);
    ri->strings = g_string_chunk_new(64u * 1024u);
    ri->blocks = g_ptr_array_new();
    MsTbBuilder b = { 0 };
    b.options = options;
    b.lang = options->lang;
    b.out = ri;
    b.items = g_ptr_array_new();
    b.body = g_array_new(FALSE, FALSE, sizeof(MsTbBody));
    b.conns = g_ptr_array_new_with_free_func(g_free);
    b.states = g_ptr_array_new_with_free_func(conn_state_free);
    b.note_texts = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_ptr_array_add(b.conns, NULL);
    g_ptr_array_add(b.states, NULL);

    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        switch (r->kind) {
        case MS_TRACE_CONN_OPEN:
        case MS_TRACE_CONN_ESTABLISHED:
        case MS_TRACE_CONN_REFUSED:
        case MS_TRACE_CONN_CLOSE:
        case MS_TRACE_CONN_ABORT:
            conn_record(&b, r);
            break;
        case MS_TRACE_SEGMENT_SENT:
        case MS_TRACE_SEGMENT_LOST:
            if (options->tcp)
                segment_record(&b, r);
            break;
        case MS_TRACE_LINE:
            ms_tb_line_record(&b, r);
            break;
        case MS_TRACE_ACTION:
        case MS_TRACE_QUEUE:
        case MS_TRACE_MAILBOX:
        case MS_TRACE_MESSAGE:
        case MS_TRACE_LINK:
        case MS_TRACE_ERROR:
            event_record(&b, trace, i);
            break;
        default:
            break;
        }
    }
    ri->items = elide(&b);
    g_ptr_array_unref(b.items);
    g_array_unref(b.body);
    g_ptr_array_unref(b.states);
    g_hash_table_unref(b.note_texts);
    ri->conns = b.conns;
    return ri;
}

void ms_report_items_free(MsReportItems *ri)
{
    if (ri == NULL)
        return;
    for (guint i = 0; i < ri->items->len; i++)
        g_free(((MsItem *) g_ptr_array_index(ri->items, i))->more_notes);
    g_ptr_array_unref(ri->items);
    g_ptr_array_unref(ri->conns);
    g_ptr_array_set_free_func(ri->blocks, g_free);
    g_ptr_array_unref(ri->blocks);
    g_string_chunk_free(ri->strings);
    g_free(ri);
}

void ms_report_append_conn_label(GString *out, const MsReportConn *conn, MsArrow arrow)
{
    const char *sign = arrow == MS_ARROW_TO_CLIENT ? " \u2190 "
                       : arrow == MS_ARROW_BOTH    ? " \u2194 "
                                                   : " \u2192 ";
    /* By pieces, not printf: the text transcript writes one on nearly
     * every line. */
    g_string_append_c(out, '[');
    ms_report_append_int(out, conn->id);
    ms_report_puts(out, "] ");
    ms_report_puts(out, conn->client);
    g_string_append_c(out, ':');
    ms_report_append_int(out, conn->client_port);
    ms_report_puts(out, sign);
    ms_report_puts(out, conn->server);
    g_string_append_c(out, ':');
    ms_report_append_int(out, conn->server_port);
}

char *ms_report_conn_label(const MsReportConn *conn, MsArrow arrow)
{
    GString *out = g_string_new(NULL);
    ms_report_append_conn_label(out, conn, arrow);
    return g_string_free(out, FALSE);
}
