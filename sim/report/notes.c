/* notes.c - the words of the outputs: phase names and the annotation of
 * each protocol step, keyed by the engines' phase and note keys.
 *
 * The English annotation of a note key lives beside its engine, in the
 * engine's static table (ms_smtp_notes(), ms_pop3_notes(), ms_imap_notes());
 * this file only finds it and asks gettext for its translation.  A new
 * protocol plugs in with its header check and one line in `engines` below.  The report's own keys
 * (what a TCP segment does, a line ending that is not CRLF) and the phase
 * names are here.
 */
#include <string.h>

#include "mailsim/pop3.h"
#include "mailsim/smtp.h"
#include "report/report-private.h"

#include "mailsim/http.h"
#include "mailsim/imap.h"


/* The lecture notes' terms: 握手（问候）/ 消息传输 / 结束 for SMTP; 特许阶段 /
 * 事务处理阶段 / 更新阶段 for POP3 (po/zh_CN.po). */
static const MsReportWords phases[] = {
    { "tcp.handshake", N_("TCP handshake") },
    { "tcp.teardown", N_("TCP teardown") },
    { "smtp.handshake", N_("SMTP handshake (greeting)") },
    { "smtp.transfer", N_("SMTP message transfer") },
    { "smtp.closure", N_("SMTP closure") },
    { "pop3.authorization", N_("POP3 authorization phase") },
    { "pop3.transaction", N_("POP3 transaction phase") },
    { "pop3.update", N_("POP3 update phase") },
    /* RFC 3501 section 3: the states of an IMAP session. */
    { "imap.not-authenticated", N_("IMAP not authenticated state") },
    { "imap.authenticated", N_("IMAP authenticated state") },
    { "imap.selected", N_("IMAP selected state") },
    { "imap.logout", N_("IMAP logout state") },
    { "http.request", N_("HTTP request") },
    { "http.response", N_("HTTP response") },
};

/* What the transcript says about TCP segments (with --tcp) and about a line
 * that did not end in CRLF. */
static const MsReportWords own_notes[] = {
    { "tcp.syn", N_("SYN: the client asks to open a connection (step 1 of the three-way"
                    " handshake)") },
    { "tcp.synack", N_("SYN+ACK: the server agrees and acknowledges the SYN (step 2)") },
    { "tcp.ack.handshake", N_("ACK: the client acknowledges the SYN+ACK (step 3); the"
                              " connection is open") },
    { "tcp.data", N_("a segment carrying application bytes (40 bytes of headers plus the"
                     " data); the receiver acknowledges every one") },
    { "tcp.ack", N_("ACK: acknowledges every byte before this number") },
    { "tcp.fin", N_("FIN: this side has nothing more to send") },
    { "tcp.rst", N_("RST: the connection is refused or reset") },
    { "tcp.retransmit", N_("retransmission: no acknowledgement came before the timer expired") },
    /* Live mode (docs/serve.md): the server ends a client's session. */
    { "live.cutoff", N_("the server cuts this client off and says why (idle too long, a line"
                        " too long, too many sessions, shutting down)") },
    { "tcp.lost", N_("this segment was lost; the sender will retransmit it when its timer"
                     " expires") },
    /* Web mail's attachments (sim/proto/webmail_message.c): one object per
     * response, where SMTP carried one multipart message. */
    { "webmail.object", N_("one object per response: the page named this attachment, and the"
                        " browser fetches it with a GET of its own; SMTP carried it inside"
                        " the one multipart message, base64-encoded beside the text") },
    /* The lines of a message text: RFC 5322 2.1, RFC 5321 4.4, RFC 2045,
     * RFC 2046 5.1. */
    { "msg.header", N_("the message itself begins with its header: From:, To:, Subject: ..."
                       " lines (RFC 5322), which are not the SMTP commands MAIL FROM and"
                       " RCPT TO") },
    { "msg.header.none", N_("the message text begins: typed without header lines, so all of"
                            " it is body; the server adds its Received: line, and a reader"
                            " sees no From: or Subject:") },
    { "msg.date", N_("Date: when the author's agent wrote the message (RFC 5322 3.6.1)") },
    { "msg.from", N_("From: the author as the reader sees it; it need not match MAIL FROM,"
                     " the envelope sender that bounces go to (RFC 5322 3.6.2)") },
    { "msg.to", N_("To: the primary recipients as the reader sees them; the envelope's"
                   " RCPT TO decides delivery, and Bcc recipients appear in neither To: nor"
                   " Cc: (RFC 5322 3.6.3)") },
    { "msg.bcc", N_("this recipient is in no To: or Cc: line of the message: a Bcc"
                    " recipient, named only in the envelope (RCPT TO), never in the header"
                    " lines the readers see (RFC 5322 3.6.3)") },
    { "msg.cc", N_("Cc: copies to other recipients, shown to everyone (RFC 5322 3.6.3)") },
    { "msg.subject", N_("Subject: the topic; non-ASCII text is written as =?UTF-8?B?...?="
                        " encoded words (RFC 5322 3.6.5, RFC 2047)") },
    { "msg.message-id", N_("Message-ID: a unique name for this message, made by the author's"
                           " side (RFC 5322 3.6.4)") },
    { "msg.in-reply-to", N_("In-Reply-To: the Message-ID of the message this one answers,"
                            " copied from it by the replying agent, so that mail readers can"
                            " link the two (RFC 5322 3.6.4)") },
    { "msg.references", N_("References: the Message-IDs of the conversation so far, oldest"
                           " first: the original's References (or In-Reply-To), then its"
                           " Message-ID; a reader groups a thread by them (RFC 5322 3.6.4)") },
    { "msg.content-type", N_("Content-Type: the media type of the content and its charset"
                             " (RFC 2045 5)") },
    { "msg.content-type.message", N_("Content-Type: message/rfc822: this part is a whole"
                                     " message, header and body, as it was received: a"
                                     " forward; it is never base64 (RFC 2046 5.2.1)") },
    { "msg.content-type.multipart", N_("Content-Type: multipart: several parts follow, each"
                                       " after a line \"--\" + the boundary parameter"
                                       " (RFC 2046 5.1)") },
    { "msg.separator", N_("an empty line: the header ends and the body begins (RFC 5322"
                          " 2.1)") },
    { "msg.received", N_("Received: a trace field each server adds at the top: who passed"
                         " the message on, and when (RFC 5321 4.4)") },
    { "msg.return-path", N_("Return-Path: the envelope sender (MAIL FROM), added at final"
                            " delivery (RFC 5321 4.4)") },
    { "msg.cte", N_("Content-Transfer-Encoding: how the content is written as 7-bit ASCII"
                    " lines, e.g. base64 (RFC 2045 6)") },
    { "msg.mime", N_("MIME-Version: the message follows MIME, so it can carry more than"
                     " ASCII text (RFC 2045)") },
    { "msg.boundary", N_("a MIME boundary: the next part of the multipart body begins"
                         " (RFC 2046 5.1)") },
    { "msg.boundary.end", N_("the closing MIME boundary: the multipart body ends here"
                             " (RFC 2046 5.1)") },
    /* RFC 5321 2.3.8 / RFC 1939 3: lines end with CRLF. */
    { "eol.lf", N_("this line ended with a bare LF (shown <LF>), not CRLF as the protocol"
                   " requires") },
    { "eol.cr", N_("this line ended with a bare CR (shown <CR>), not CRLF as the protocol"
                   " requires") },
    { "eol.none", N_("this line was never ended: the connection closed first") },
};

/* One engine's note table (every engine's notes are MsProtoNote). */
typedef struct {
    const char *prefix;
    const MsProtoNote *(*notes)(gsize *n_out);
    const char *(*lookup)(const char *key);
} Engine;

static const Engine engines[] = {
    { "smtp.", ms_smtp_notes, ms_smtp_note_text },
    { "pop3.", ms_pop3_notes, ms_pop3_note_text },
    { "imap.", ms_imap_notes, ms_imap_note_text },
    { "http.", ms_http_notes, ms_http_note_text },
};

const char *ms_report_words_find(const MsReportWords *table, gsize n, const char *key)
{
    if (key == NULL)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(table[i].key, key) == 0)
            return table[i].en;
    }
    return NULL;
}

const char *ms_report_phase_text(const char *key, const char *lang)
{
    const char *en = ms_report_words_find(phases, G_N_ELEMENTS(phases), key);
    return en != NULL ? ms_report_tr(lang, en) : NULL;
}

const char *ms_report_note_english(const char *key)
{
    if (key == NULL)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(engines); i++) {
        if (g_str_has_prefix(key, engines[i].prefix))
            return engines[i].lookup(key);
    }
    return ms_report_words_find(own_notes, G_N_ELEMENTS(own_notes), key);
}

const char *ms_report_note_text(const char *key, const char *lang)
{
    const char *en = ms_report_note_english(key);
    return en != NULL ? ms_report_tr(lang, en) : NULL;
}

void ms_report_foreach_msgid(MsReportMsgidFn fn, gpointer user_data)
{
    for (gsize e = 0; e < G_N_ELEMENTS(engines); e++) {
        gsize n = 0;
        const MsProtoNote *notes = engines[e].notes(&n);
        for (gsize i = 0; i < n; i++)
            fn(notes[i].key, notes[i].text, user_data);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(own_notes); i++)
        fn(own_notes[i].key, own_notes[i].en, user_data);
    for (gsize i = 0; i < G_N_ELEMENTS(phases); i++)
        fn(phases[i].key, phases[i].en, user_data);
    ms_report_foreach_event_msgid(fn, user_data);
    ms_report_foreach_label(fn, user_data);
}

void ms_report_append_flags(GString *out, guint flags)
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

void ms_report_append_segment(GString *out, const MsTraceRecord *r)
{
    g_string_append(out, "TCP ");
    ms_report_append_flags(out, r->flags);
    g_string_append_printf(out, " seq=%u ack=%u len=%u", r->seq, r->ack, r->len);
}
