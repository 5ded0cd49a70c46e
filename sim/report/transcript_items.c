/* transcript_items.c - what a transcript shows, in order, before it is laid
 * out as text or Markdown: phase headings, protocol lines with their
 * annotations, connection events, TCP segments (with --tcp), the events of
 * queues and mailboxes, and the lines of long message bodies left out
 * (without --full-bodies).
 *
 * Built from the trace log alone.  Lines are placed when they were sent.
 */
#include <string.h>

#include "mailsim/codec.h"
#include "report/report-private.h"

/* A run of more than ELIDE_MIN body lines keeps its first ELIDE_HEAD and
 * last ELIDE_TAIL lines; the headers of a message are always shown. */
#define ELIDE_MIN 10
#define ELIDE_HEAD 3
#define ELIDE_TAIL 2

/* Where a line stands in a message text (SMTP DATA, POP3 RETR, IMAP
 * literal): RFC 5322 header, body, or a MIME part's boundary and headers. */
typedef enum {
    TEXT_OUT,
    TEXT_HEADER,
    TEXT_BODY,
    TEXT_PART_HEADER,
} TextState;

typedef enum {
    BODY_NONE,      /* not a body line */
    BODY_CONTENT,   /* may be left out */
    BODY_STRUCTURE, /* boundary, part header, separator: always shown */
} BodyClass;

typedef struct {
    MsReportConn *conn;
    const char *phase;     /* last phase heading printed */
    const char *last_note; /* note key of its last line */
    TextState text;
    gboolean teardown;     /* the teardown heading is printed */
    gboolean client_acked; /* the client's handshake ACK has been seen */
    gboolean data_noted;   /* a data segment has been annotated */
    gboolean ack_noted;    /* a plain ACK has been annotated */
    /* SMTP: the RCPT TO lines of the transaction (MsItem*, with their
     * addresses), and the To: and Cc: lines of its message text, to tell
     * a Bcc recipient from the others once the header is over. */
    GPtrArray *rcpt_items;
    GPtrArray *rcpt_addrs; /* char* */
    GString *shown_to;
    gboolean in_to_field;  /* the header line being read is To: or Cc: */
} ConnState;

static void conn_state_free(gpointer p)
{
    ConnState *s = p;
    if (s == NULL)
        return;
    g_clear_pointer(&s->rcpt_items, g_ptr_array_unref);
    g_clear_pointer(&s->rcpt_addrs, g_ptr_array_unref);
    if (s->shown_to != NULL)
        g_string_free(s->shown_to, TRUE);
    g_free(s);
}

typedef struct {
    const MsReportOptions *options;
    const char *lang;
    MsReportItems *out; /* its blocks and strings hold the items */
    GPtrArray *items;   /* MsItem* */
    GArray *body;       /* BodyClass per item */
    GPtrArray *conns;   /* MsReportConn*, by id */
    GPtrArray *states;  /* ConnState*, by id */
    /* Where early_heading's last look ahead stopped (0: none yet): the
     * events of one instant share it, so the trace is walked once. */
    guint64 ahead;
    /* Note key -> its text in lang, or NULL, by the key's address (the
     * trace's pool keeps one copy of each key): finding a key's text
     * searches the engines' tables, and nearly every line has a note. */
    GHashTable *note_texts;
} Builder;

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
static const char *keep_text(MsReportItems *ri, char *text)
{
    if (text == NULL)
        return NULL;
    const char *kept = g_string_chunk_insert_const(ri->strings, text);
    g_free(text);
    return kept;
}

/* text: one that outlives the items (the trace's own, say). */
static MsItem *add_item_borrowed(Builder *b, MsItemKind kind, const MsTraceRecord *r,
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
    BodyClass none = BODY_NONE;
    g_array_append_val(b->body, none);
    return item;
}

static MsItem *add_item(Builder *b, MsItemKind kind, const MsTraceRecord *r,
                        const MsReportConn *conn, MsTime time, char *text)
{
    return add_item_borrowed(b, kind, r, conn, time, keep_text(b->out, text));
}

/* text: a sentence that outlives the items (the notes' catalogue) or one
 * kept in their pool. */
static void push_note(MsItem *item, const char *text)
{
    if (item->n_notes == 0) {
        item->note = text;
    } else {
        item->more_notes = g_renew(const char *, item->more_notes, item->n_notes);
        item->more_notes[item->n_notes - 1] = text;
    }
    item->n_notes++;
}

static void add_note(Builder *b, MsItem *item, const char *key)
{
    if (!b->options->notes)
        return;
    gpointer text = NULL;
    if (!g_hash_table_lookup_extended(b->note_texts, key, NULL, &text)) {
        text = (gpointer) ms_report_note_text(key, b->lang);
        g_hash_table_insert(b->note_texts, (gpointer) key, text);
    }
    if (text != NULL)
        push_note(item, text);
}

/* RFC 2047: a Subject written in encoded words ("=?UTF-8?B?...?=") gets
 * a note with the text they stand for, as the reader's agent shows it. */
static void add_decoded_note(Builder *b, MsItem *item, const char *line)
{
    if (!b->options->notes || line == NULL || strstr(line, "=?") == NULL)
        return;
    const char *value = strchr(line, ':');
    if (value == NULL)
        return;
    value++;
    while (*value == ' ' || *value == '\t')
        value++;
    g_autofree char *decoded = ms_rfc2047_decode(value);
    if (decoded == NULL || strcmp(decoded, value) == 0)
        return;
    push_note(item, keep_text(b->out, ms_report_format(
                              b->lang, N_("the encoded words on this line read: {1}"),
                              decoded, NULL)));
}

static ConnState *state_of(Builder *b, guint id)
{
    if (id == 0 || id >= b->states->len)
        return NULL;
    return g_ptr_array_index(b->states, id);
}

static ConnState *open_conn(Builder *b, const MsTraceRecord *r)
{
    while (b->states->len <= r->conn) {
        g_ptr_array_add(b->states, NULL);
        g_ptr_array_add(b->conns, NULL);
    }
    ConnState *s = g_ptr_array_index(b->states, r->conn);
    if (s == NULL) {
        s = g_new0(ConnState, 1);
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

static void heading(Builder *b, ConnState *s, const char *phase, MsTime time)
{
    const char *name = ms_report_phase_text(phase, b->lang);
    add_item(b, MS_ITEM_PHASE, NULL, s->conn, time, g_strdup(name != NULL ? name : phase));
    s->phase = phase;
}

static MsArrow arrow_of(MsDir dir)
{
    return dir == MS_DIR_SERVER ? MS_ARROW_TO_CLIENT : MS_ARROW_TO_SERVER;
}

/* ---- Connection records ------------------------------------------------- */

static void conn_record(Builder *b, const MsTraceRecord *r)
{
    const char *lang = b->lang;
    if (r->kind == MS_TRACE_CONN_OPEN) {
        ConnState *s = open_conn(b, r);
        heading(b, s, "tcp.handshake", r->time);
        MsItem *item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                                ms_report_format(lang, N_("SYN: {1} opens a TCP connection ({2})"),
                                                 r->src, s->conn->protocol, NULL));
        item->arrow = MS_ARROW_TO_SERVER;
        return;
    }
    ConnState *s = state_of(b, r->conn);
    if (s == NULL)
        return;
    MsItem *item = NULL;
    switch (r->kind) {
    case MS_TRACE_CONN_ESTABLISHED:
        if (r->dir == MS_DIR_CLIENT) {
            item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                            ms_report_format(lang, N_("{1} gets SYN+ACK: connection"
                                                      " established"),
                                             r->src, NULL));
            item->arrow = MS_ARROW_TO_CLIENT;
        } else {
            item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
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
            item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                            ms_report_format(lang, N_("connection refused: {1}'s TCP answered"
                                                      " the SYN with RST (nothing listens on"
                                                      " port {2})"),
                                             s->conn->server, port, NULL));
            item->arrow = MS_ARROW_TO_CLIENT;
            break;
        }
        g_autofree char *why = ms_report_phrase(r->detail != NULL ? r->detail : "", lang);
        item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                        ms_report_format(lang, N_("connection failed: {1}"), why, NULL));
        item->arrow = MS_ARROW_TO_SERVER;
        break;
    }
    case MS_TRACE_CONN_CLOSE:
        if (!s->teardown) {
            heading(b, s, "tcp.teardown", r->time);
            s->teardown = TRUE;
        }
        item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                        g_strdup(TR(lang, N_("connection closed: FIN and ACK both ways"))));
        item->arrow = MS_ARROW_BOTH;
        break;
    case MS_TRACE_CONN_ABORT: {
        g_autofree char *why = ms_report_phrase(r->detail != NULL ? r->detail : "", lang);
        item = add_item(b, MS_ITEM_CONN, r, s->conn, r->time,
                        ms_report_format(lang, N_("connection aborted: {1}"), why, NULL));
        item->arrow = MS_ARROW_BOTH;
        break;
    }
    default:
        break;
    }
}

/* ---- TCP segments (--tcp) ----------------------------------------------- */

static void segment_record(Builder *b, const MsTraceRecord *r)
{
    ConnState *s = state_of(b, r->conn);
    if (s == NULL)
        return;
    gboolean lost = r->kind == MS_TRACE_SEGMENT_LOST;
    if ((r->flags & MS_TCP_FIN) != 0 && !s->teardown && !lost) {
        heading(b, s, "tcp.teardown", r->time);
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
    MsItem *item = add_item(b, MS_ITEM_SEGMENT, r, s->conn, r->time, g_string_free(text, FALSE));
    item->arrow = arrow_of(r->dir);

    /* Annotate what teaches: the handshake, FIN, RST, a loss, a
     * retransmission, and the first data segment and plain ACK only. */
    if (lost) {
        add_note(b, item, "tcp.lost");
        return;
    }
    if (r->retransmit > 0) {
        add_note(b, item, "tcp.retransmit");
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
        add_note(b, item, key);
}

/* ---- Protocol lines ------------------------------------------------------ */

gboolean ms_report_is_text_note(const char *note)
{
    return note != NULL &&
           (g_str_has_suffix(note, ".data.line") || g_str_has_suffix(note, ".data.stuffed") ||
            strcmp(note, "imap.data.literal") == 0 || strcmp(note, "imap.cmd.literal") == 0);
}

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

gboolean ms_report_line_is_binary(const MsTraceRecord *r)
{
    return r->kind == MS_TRACE_LINE && r->len > 0;
}

char *ms_report_binary_text(const MsTraceRecord *r, const char *lang)
{
    return ms_report_phrase(r->text != NULL ? r->text : "", lang);
}

gboolean ms_report_has_field(const char *text, const char *name)
{
    gsize n = strlen(name);
    return g_ascii_strncasecmp(text, name, n) == 0 && text[n] == ':';
}

/* Classifies a line of a message text and picks the report's own notes
 * for it (at most two): RFC 5322 2.1 (header, empty line, body), RFC 5321
 * 4.4 (trace fields), RFC 2045 (MIME), RFC 2046 5.1 (boundaries). */
static BodyClass classify_text(ConnState *s, const char *text, const char **notes)
{
    notes[0] = notes[1] = NULL;
    guint n = 0;
    if (s->text == TEXT_OUT) {
        s->text = TEXT_HEADER;
        /* A text typed without header lines starts straight with its body:
         * the note must not promise From: or Subject: lines. */
        const char *colon = strchr(text, ':');
        gboolean field_like = colon != NULL && colon > text && strcspn(text, " \t") > (gsize) (colon - text - 1);
        notes[n++] = field_like || *text == '\0' ? "msg.header" : "msg.header.none";
    }
    /* The header lines a lecturer points at (RFC 5322 3.6, RFC 2045). */
    static const struct {
        const char *name;
        const char *note;
    } fields[] = {
        { "Received", "msg.received" }, { "Return-Path", "msg.return-path" },
        { "Content-Transfer-Encoding", "msg.cte" }, { "MIME-Version", "msg.mime" },
        { "Date", "msg.date" }, { "From", "msg.from" }, { "To", "msg.to" }, { "Cc", "msg.cc" },
        { "Subject", "msg.subject" }, { "Message-ID", "msg.message-id" },
        { "In-Reply-To", "msg.in-reply-to" }, { "References", "msg.references" },
        { "Content-Type", "msg.content-type" },
    };
    const char *field = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(fields) && field == NULL; i++) {
        if (ms_report_has_field(text, fields[i].name))
            field = fields[i].note;
    }
    if (field != NULL && strcmp(field, "msg.content-type") == 0 && strstr(text, "multipart/") != NULL)
        field = "msg.content-type.multipart";
    else if (field != NULL && strcmp(field, "msg.content-type") == 0
             && g_ascii_strncasecmp(text + strlen("Content-Type:") + strspn(text + strlen("Content-Type:"), " \t"),
                                    "message/rfc822", strlen("message/rfc822")) == 0)
        field = "msg.content-type.message";

    switch (s->text) {
    case TEXT_HEADER:
        if (*text == '\0') {
            s->text = TEXT_BODY;
            notes[n] = "msg.separator";
        } else {
            notes[n] = field;
        }
        return BODY_STRUCTURE;
    case TEXT_BODY:
        if (g_str_has_prefix(text, "--") && text[2] != '\0' && text[2] != ' ') {
            gsize len = strlen(text);
            gboolean last = len > 4 && text[len - 1] == '-' && text[len - 2] == '-';
            s->text = last ? TEXT_BODY : TEXT_PART_HEADER;
            notes[n] = last ? "msg.boundary.end" : "msg.boundary";
            return BODY_STRUCTURE;
        }
        return BODY_CONTENT;
    case TEXT_PART_HEADER:
    case TEXT_OUT:
    default:
        if (*text == '\0')
            s->text = TEXT_BODY;
        else if (field != NULL && (strcmp(field, "msg.cte") == 0 ||
                                   g_str_has_prefix(field, "msg.content-type")))
            notes[n] = field;
        return BODY_STRUCTURE;
    }
}

/* A line of printable ASCII ending in CRLF is shown as it is: the item
 * can use the trace's copy of it. */
static gboolean shown_as_is(const MsTraceRecord *r)
{
    if (ms_report_line_is_binary(r) || (r->eol != NULL && strcmp(r->eol, "\r\n") != 0))
        return FALSE;
    for (const char *p = r->text != NULL ? r->text : ""; *p != '\0'; p++) {
        if ((guchar) *p < 0x20 || (guchar) *p >= 0x7f)
            return FALSE;
    }
    return TRUE;
}

static char *line_text(const Builder *b, const MsTraceRecord *r)
{
    /* Octets sent as they are: what they are, not what they hold. */
    if (ms_report_line_is_binary(r))
        return ms_report_binary_text(r, b->lang);
    g_autofree char *text = ms_report_escape_text(r->text != NULL ? r->text : "");
    GString *out = g_string_new(text);
    /* RFC 5321 2.3.8, RFC 1939 3: only CRLF ends a line; make any other
     * ending visible. */
    if (r->eol != NULL && strcmp(r->eol, "\r\n") != 0) {
        if (*r->eol == '\0') {
            g_string_append(out, "<no line end>");
        } else {
            g_autofree char *eol = ms_report_escape_text(r->eol);
            g_string_append(out, eol);
        }
    }
    return g_string_free(out, FALSE);
}

/* A browser's GET of one part of a message (GET /message/N/part/K). */
static gboolean is_part_request(const MsTraceRecord *r)
{
    const char *t = r->text;
    if (r->dir != MS_DIR_CLIENT || t == NULL || g_strcmp0(r->note, "http.request.get") != 0 ||
        !g_str_has_prefix(t, "GET /message/"))
        return FALSE;
    const char *sp = strchr(t + 4, ' ');
    const char *part = strstr(t + 4, "/part/");
    return part != NULL && (sp == NULL || part < sp);
}

/* The address of "RCPT TO:<bob@x>" (or the textbook's "RCPT TO: <bob@x>"),
 * lower-cased (transfer full), or NULL. */
static char *rcpt_address(const char *text)
{
    const char *lt = strchr(text, '<');
    const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
    if (gt == NULL || gt == lt + 1)
        return NULL;
    return g_ascii_strdown(lt + 1, gt - lt - 1);
}

/* SMTP: remembers the transaction's RCPT TO lines, so that once the
 * message's header is over a recipient named in no To: or Cc: line gets
 * the note that it is a Bcc one, known to the envelope only (RFC 5322
 * 3.6.3, RFC 5321 3.3). */
static void bcc_rcpt(ConnState *s, MsItem *item, const MsTraceRecord *r)
{
    if (g_strcmp0(r->note, "smtp.cmd.mail") == 0 || g_strcmp0(r->note, "smtp.cmd.mail.null") == 0 ||
        g_strcmp0(r->note, "smtp.cmd.mail.textbook") == 0) {
        if (s->rcpt_items != NULL) {
            g_ptr_array_set_size(s->rcpt_items, 0);
            g_ptr_array_set_size(s->rcpt_addrs, 0);
        }
        return;
    }
    if (r->dir != MS_DIR_CLIENT || r->note == NULL || !g_str_has_prefix(r->note, "smtp.cmd.rcpt"))
        return;
    char *addr = rcpt_address(r->text != NULL ? r->text : "");
    if (addr == NULL)
        return;
    if (s->rcpt_items == NULL) {
        s->rcpt_items = g_ptr_array_new();
        s->rcpt_addrs = g_ptr_array_new_with_free_func(g_free);
    }
    g_ptr_array_add(s->rcpt_items, item);
    g_ptr_array_add(s->rcpt_addrs, addr);
}

static void bcc_watch(Builder *b, ConnState *s, TextState before, const char *text)
{
    if (before == TEXT_OUT && s->shown_to != NULL)
        g_string_truncate(s->shown_to, 0);
    if (before == TEXT_OUT || before == TEXT_HEADER) {
        if (*text != '\0' && (text[0] == ' ' || text[0] == '\t')) {
            /* RFC 5322 2.2.3: a folded line goes on the field above. */
        } else {
            s->in_to_field = ms_report_has_field(text, "To") || ms_report_has_field(text, "Cc");
        }
        if (s->in_to_field) {
            if (s->shown_to == NULL)
                s->shown_to = g_string_new(NULL);
            g_autofree char *low = g_ascii_strdown(text, -1);
            g_string_append_printf(s->shown_to, "%s\n", low);
        }
    }
    /* The header is over: an empty line, or a text typed without one. */
    if (s->text == TEXT_HEADER || s->rcpt_items == NULL)
        return;
    for (guint i = 0; i < s->rcpt_items->len; i++) {
        const char *addr = g_ptr_array_index(s->rcpt_addrs, i);
        if (s->shown_to == NULL || strstr(s->shown_to->str, addr) == NULL)
            add_note(b, g_ptr_array_index(s->rcpt_items, i), "msg.bcc");
    }
    g_ptr_array_set_size(s->rcpt_items, 0);
    g_ptr_array_set_size(s->rcpt_addrs, 0);
    s->in_to_field = FALSE;
}

static void line_record(Builder *b, const MsTraceRecord *r)
{
    ConnState *s = state_of(b, r->conn);
    if (s == NULL) {
        /* A line on a connection the trace never opened (a trace cut
         * short): name the connection after the line itself. */
        MsTraceRecord open = *r;
        if (r->dir == MS_DIR_SERVER) {
            open.src = r->dst;
            open.dst = r->src;
            open.src_port = r->dst_port;
            open.dst_port = r->src_port;
        }
        s = open_conn(b, &open);
    }
    if (r->phase != NULL && (s->phase == NULL || strcmp(s->phase, r->phase) != 0))
        heading(b, s, r->phase, r->time);

    MsItem *item = shown_as_is(r) ? add_item_borrowed(b, MS_ITEM_LINE, r, s->conn, r->time,
                                                      r->text != NULL ? r->text : "")
                                  : add_item(b, MS_ITEM_LINE, r, s->conn, r->time,
                                             line_text(b, r));
    item->arrow = arrow_of(r->dir);

    const char *own[2] = { NULL, NULL };
    BodyClass body = BODY_NONE;
    gboolean text_opened = FALSE;
    if (ms_report_is_text_note(r->note)) {
        text_opened = s->text != TEXT_OUT;
        TextState before = s->text;
        body = classify_text(s, r->text != NULL ? r->text : "", own);
        if (g_str_has_prefix(r->note, "smtp."))
            bcc_watch(b, s, before, r->text != NULL ? r->text : "");
    } else {
        s->text = TEXT_OUT;
        /* The content of an HTTP response (a web page) is no message
         * text, but a long one is cut short all the same. */
        if (g_strcmp0(r->note, "http.body.line") == 0)
            body = BODY_CONTENT;
    }
    g_array_index(b->body, BodyClass, b->body->len - 1) = body;

    /* The same annotation on consecutive lines of a connection (the lines
     * of a message, repeated RCPTs) is said once; the first line of a
     * message text gets the report's note on headers instead. */
    gboolean header_note = own[0] != NULL && strcmp(own[0], "msg.header") == 0;
    /* The engine's "a line of the message text (header or body)" could
     * only be said on a text's first line, and there the report's own
     * note on the header says more ("typed without header lines, so all
     * of it is body" must not sit under "header or body"); on a later
     * line, after a dot-stuffed one say, it would only repeat itself. */
    gboolean opens_text = own[0] != NULL && g_str_has_prefix(own[0], "msg.header");
    gboolean generic = r->note != NULL && g_str_has_suffix(r->note, ".data.line") &&
                       (opens_text || text_opened);
    if (r->note != NULL && !header_note && !generic &&
        (s->last_note == NULL || strcmp(s->last_note, r->note) != 0))
        add_note(b, item, r->note);
    s->last_note = r->note;
    bcc_rcpt(s, item, r);
    if (is_part_request(r))
        add_note(b, item, "webmail.object");
    for (guint k = 0; k < G_N_ELEMENTS(own); k++) {
        if (own[k] != NULL)
            add_note(b, item, own[k]);
        if (own[k] != NULL && strcmp(own[k], "msg.subject") == 0)
            add_decoded_note(b, item, r->text);
    }
    if (r->eol != NULL && strcmp(r->eol, "\r\n") != 0 && !ms_report_line_is_binary(r)) {
        if (strcmp(r->eol, "\n") == 0)
            add_note(b, item, "eol.lf");
        else if (strcmp(r->eol, "\r") == 0)
            add_note(b, item, "eol.cr");
        else if (*r->eol == '\0')
            add_note(b, item, "eol.none");
    }
}

/* ---- Events --------------------------------------------------------------- */

/* An event at the same instant as the next line sent by the same host
 * belongs to that line's step (the POP3 update's deletions come with the
 * reply to QUIT): print the line's phase heading before the event. */
static void early_heading(Builder *b, const MsTrace *trace, guint64 i)
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
    ConnState *s = state_of(b, next->conn);
    if (s == NULL || next->phase == NULL || r->src == NULL || next->src == NULL ||
        strcmp(r->src, next->src) != 0)
        return;
    if (s->phase == NULL || strcmp(s->phase, next->phase) != 0)
        heading(b, s, next->phase, r->time);
}

static void event_record(Builder *b, const MsTrace *trace, guint64 i)
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
    add_item(b, MS_ITEM_EVENT, r, NULL, r->time, text);
}

/* ---- Leaving out the middle of long bodies -------------------------------- */

static GPtrArray *elide(Builder *b)
{
    GPtrArray *in = b->items;
    GPtrArray *out = g_ptr_array_sized_new(in->len);
    guint i = 0;
    while (i < in->len) {
        MsItem *item = g_ptr_array_index(in, i);
        guint end = i;
        while (end < in->len && g_array_index(b->body, BodyClass, end) == BODY_CONTENT &&
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
        gap->text = keep_text(b->out, ms_report_format(b->lang,
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
    Builder b = { 0 };
    b.options = options;
    b.lang = options->lang;
    b.out = ri;
    b.items = g_ptr_array_new();
    b.body = g_array_new(FALSE, FALSE, sizeof(BodyClass));
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
            line_record(&b, r);
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
