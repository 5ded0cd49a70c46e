/* transcript_lines.c - the protocol lines of a transcript and what is
 * said under them: each line made printable, an odd line end shown; the
 * engine's annotation, said once for a run of lines that share it; and the
 * report's own notes on a message text - its header fields, the empty
 * line, MIME boundaries, encoded words, Bcc recipients - which also tell
 * the body lines that may be left out from those always shown.
 * transcript_items.c puts the lines in order among the other items.
 */
#include <string.h>

#include "mailsim/codec.h"
#include "report/transcript-private.h"

gboolean ms_report_is_text_note(const char *note)
{
    return note != NULL &&
           (g_str_has_suffix(note, ".data.line") || g_str_has_suffix(note, ".data.stuffed") ||
            strcmp(note, "imap.data.literal") == 0 || strcmp(note, "imap.cmd.literal") == 0);
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
static MsTbBody classify_text(MsTbConn *s, const char *text, const char **notes)
{
    notes[0] = notes[1] = NULL;
    guint n = 0;
    if (s->text == MS_TB_TEXT_OUT) {
        s->text = MS_TB_TEXT_HEADER;
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
    case MS_TB_TEXT_HEADER:
        if (*text == '\0') {
            s->text = MS_TB_TEXT_BODY;
            notes[n] = "msg.separator";
        } else {
            notes[n] = field;
        }
        return MS_TB_BODY_STRUCTURE;
    case MS_TB_TEXT_BODY:
        if (g_str_has_prefix(text, "--") && text[2] != '\0' && text[2] != ' ') {
            gsize len = strlen(text);
            gboolean last = len > 4 && text[len - 1] == '-' && text[len - 2] == '-';
            s->text = last ? MS_TB_TEXT_BODY : MS_TB_TEXT_PART_HEADER;
            notes[n] = last ? "msg.boundary.end" : "msg.boundary";
            return MS_TB_BODY_STRUCTURE;
        }
        return MS_TB_BODY_CONTENT;
    case MS_TB_TEXT_PART_HEADER:
    case MS_TB_TEXT_OUT:
    default:
        if (*text == '\0')
            s->text = MS_TB_TEXT_BODY;
        else if (field != NULL && (strcmp(field, "msg.cte") == 0 ||
                                   g_str_has_prefix(field, "msg.content-type")))
            notes[n] = field;
        return MS_TB_BODY_STRUCTURE;
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

static char *line_text(const MsTbBuilder *b, const MsTraceRecord *r)
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
static void bcc_rcpt(MsTbConn *s, MsItem *item, const MsTraceRecord *r)
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

static void bcc_watch(MsTbBuilder *b, MsTbConn *s, MsTbText before, const char *text)
{
    if (before == MS_TB_TEXT_OUT && s->shown_to != NULL)
        g_string_truncate(s->shown_to, 0);
    if (before == MS_TB_TEXT_OUT || before == MS_TB_TEXT_HEADER) {
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
    if (s->text == MS_TB_TEXT_HEADER || s->rcpt_items == NULL)
        return;
    for (guint i = 0; i < s->rcpt_items->len; i++) {
        const char *addr = g_ptr_array_index(s->rcpt_addrs, i);
        if (s->shown_to == NULL || strstr(s->shown_to->str, addr) == NULL)
            ms_tb_add_note(b, g_ptr_array_index(s->rcpt_items, i), "msg.bcc");
    }
    g_ptr_array_set_size(s->rcpt_items, 0);
    g_ptr_array_set_size(s->rcpt_addrs, 0);
    s->in_to_field = FALSE;
}

/* RFC 2047: a Subject written in encoded words ("=?UTF-8?B?...?=") gets
 * a note with the text they stand for, as the reader's agent shows it. */
static void add_decoded_note(MsTbBuilder *b, MsItem *item, const char *line)
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
    ms_tb_push_note(item,
                    ms_tb_keep_text(b->out, ms_report_format(
                                    b->lang, N_("the encoded words on this line read: {1}"),
                                    decoded, NULL)));
}

void ms_tb_line_record(MsTbBuilder *b, const MsTraceRecord *r)
{
    MsTbConn *s = ms_tb_state_of(b, r->conn);
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
        s = ms_tb_open_conn(b, &open);
    }
    if (r->phase != NULL && (s->phase == NULL || strcmp(s->phase, r->phase) != 0))
        ms_tb_heading(b, s, r->phase, r->time);

    MsItem *item = shown_as_is(r) ? ms_tb_add_borrowed(b, MS_ITEM_LINE, r, s->conn, r->time,
                                                       r->text != NULL ? r->text : "")
                                  : ms_tb_add(b, MS_ITEM_LINE, r, s->conn, r->time,
                                              line_text(b, r));
    item->arrow = ms_tb_arrow_of(r->dir);

    const char *own[2] = { NULL, NULL };
    MsTbBody body = MS_TB_BODY_NONE;
    gboolean text_opened = FALSE;
    if (ms_report_is_text_note(r->note)) {
        text_opened = s->text != MS_TB_TEXT_OUT;
        MsTbText before = s->text;
        body = classify_text(s, r->text != NULL ? r->text : "", own);
        if (g_str_has_prefix(r->note, "smtp."))
            bcc_watch(b, s, before, r->text != NULL ? r->text : "");
    } else {
        s->text = MS_TB_TEXT_OUT;
        /* The content of an HTTP response (a web page) is no message
         * text, but a long one is cut short all the same. */
        if (g_strcmp0(r->note, "http.body.line") == 0)
            body = MS_TB_BODY_CONTENT;
    }
    g_array_index(b->body, MsTbBody, b->body->len - 1) = body;

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
        ms_tb_add_note(b, item, r->note);
    s->last_note = r->note;
    bcc_rcpt(s, item, r);
    if (is_part_request(r))
        ms_tb_add_note(b, item, "webmail.object");
    for (guint k = 0; k < G_N_ELEMENTS(own); k++) {
        if (own[k] != NULL)
            ms_tb_add_note(b, item, own[k]);
        if (own[k] != NULL && strcmp(own[k], "msg.subject") == 0)
            add_decoded_note(b, item, r->text);
    }
    if (r->eol != NULL && strcmp(r->eol, "\r\n") != 0 && !ms_report_line_is_binary(r)) {
        if (strcmp(r->eol, "\n") == 0)
            ms_tb_add_note(b, item, "eol.lf");
        else if (strcmp(r->eol, "\r") == 0)
            ms_tb_add_note(b, item, "eol.cr");
        else if (*r->eol == '\0')
            ms_tb_add_note(b, item, "eol.none");
    }
}
