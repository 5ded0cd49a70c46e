/* server_smtp.c - the SMTP sides of a mail server: the server side that
 * accepts mail on port 25 (from its own users' agents, and from other
 * servers for its own users), and the client side that empties the outgoing
 * queue by direct transfer to each recipient domain's server, retrying on
 * temporary failures and bouncing on permanent ones.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/message.h"
#include "mailsim/smtp.h"

/* ---- inbound ------------------------------------------------------------ */

/* A recipient this server took at RCPT TO without looking for its mailbox
 * (unknown-users bounce): its message waits here, accepted, until the 250
 * has gone; only then does delivery find there is no such user. */
typedef struct {
    char *reverse_path;
    GBytes *data;
    char *message_id;
    char *rcpt;
} Undeliverable;

static void undeliverable_free(gpointer p)
{
    Undeliverable *u = p;
    g_free(u->reverse_path);
    g_bytes_unref(u->data);
    g_free(u->message_id);
    g_free(u->rcpt);
    g_free(u);
}

typedef struct {
    MsServerSession base;
    MsSmtpServer *engine;
    gboolean queued;  /* this session put messages in the outgoing queue */
    GPtrArray *unknown; /* Undeliverable*, NULL when none */
} InboundSession;

/* Whether the client is the machine of one of this server's users: such a
 * client may send mail anywhere (submission); anyone else may only send to
 * this server's own users (no open relay). */
static gboolean peer_is_local_agent(MsMailServer *server, const char *peer)
{
    return peer != NULL && g_hash_table_contains(server->agent_hosts, peer);
}

static guint inbound_check_rcpt(const char *address, gpointer data, char **text_out)
{
    InboundSession *s = data;
    MsMailServer *server = s->base.server;
    const char *domain = ms_address_domain_in(address);
    if (ms_name_equal(domain, server->domain) || *domain == '\0') {
        if (ms_mail_server_find_recipient(server, address) != NULL)
            return 250;
        /* A server that checks mailboxes only at delivery takes the
         * message and, having taken responsibility for it, mails the
         * failure notice to its sender later (RFC 5321 6.1). */
        if (server->spec->bounce_unknown)
            return 250;
        *text_out = g_strdup_printf("5.1.1 <%s>: no such user here", address);
        return 550;
    }
    if (s->base.trusted || peer_is_local_agent(server, s->base.peer) || server->spec->open_relay)
        return 250;
    *text_out = g_strdup_printf("5.7.1 <%s>: relay access denied", address);
    return 550;
}

/* The length of a string literal, and the copy of one or of a measured
 * string, returning where the next part goes. */
#define LIT_LEN(lit) (sizeof(lit) - 1)
#define put_lit(w, lit) put((w), (lit), LIT_LEN(lit))

static inline char *put(char *w, const char *s, gsize n)
{
    memcpy(w, s, n);
    return w + n;
}

char *ms_mail_server_received(MsMailServer *server, const char *helo, const char *peer,
                              const char *with, gboolean with_id, char *buf, gsize buf_size,
                              char **heap_out)
{
    char date[MS_MESSAGE_DATE_SIZE];
    gsize date_len = ms_message_format_date_to(date, ms_world_unix_time(server->world));
    /* Concatenated, not printed: a field for every message a server takes.
     * Each part is measured once, the constant ones by the compiler. */
    char digit[MS_PROTO_UINT_MAX_LEN];
    gsize digit_len = with_id ? ms_proto_format_uint(digit, ++server->smtp_ids) : 0;
    /* A real client (mailsim serve) is known by its address: a literal. */
    g_autofree char *literal = ms_message_address_literal(peer);
    if (literal != NULL)
        peer = literal;
    else if (peer == NULL)
        peer = "unknown";
    if (helo == NULL)
        helo = peer;
    gsize helo_len = strlen(helo);
    gsize peer_len = strlen(peer);
    gsize name_len = strlen(server->name);
    gsize with_len = strlen(with);
    /* "from HELO (PEER)", a space or a fold, "by NAME with ESMTP id N;",
     * a fold, the date: written once into a buffer of its size. */
    gsize from_len = LIT_LEN("from ") + helo_len + LIT_LEN(" (") + peer_len + 1;
    gsize by_len = LIT_LEN("by ") + name_len + LIT_LEN(" with ") + with_len +
                   (with_id ? LIT_LEN(" id ") + digit_len : 0) + 1;
    gboolean long_line = LIT_LEN("Received: ") + from_len + 1 + by_len > MS_MESSAGE_LINE_SHOULD;
    /* In buf when it fits, as it nearly always does. */
    gsize size = from_len + 1 + by_len + 1 + date_len + 1;
    *heap_out = size > buf_size ? g_malloc(size) : NULL;
    char *received = *heap_out != NULL ? *heap_out : buf;
    char *w = received;
    w = put_lit(w, "from ");
    w = put(w, helo, helo_len);
    w = put_lit(w, " (");
    w = put(w, peer, peer_len);
    w = put_lit(w, ")");
    *w++ = long_line ? '\n' : ' ';
    w = put_lit(w, "by ");
    w = put(w, server->name, name_len);
    w = put_lit(w, " with ");
    w = put(w, with, with_len);
    if (with_id) {
        w = put_lit(w, " id ");
        w = put(w, digit, digit_len);
    }
    w = put_lit(w, ";\n");
    memcpy(w, date, date_len + 1);
    return received;
}

/* The message with the server's Received: field in front.  The one pass
 * over its header that this takes also finds its Message-ID (*message_id_out,
 * transfer full, NULL when none) and its line ending (*eol_out, NULL when it
 * was not a message), which delivery needs again. */
static GBytes *add_received(MsMailServer *server, const MsSmtpEvent *ev, GBytes *data,
                            char **message_id_out, const char **eol_out)
{
    /* RFC 5321 4.4: every SMTP server that accepts a message for relay or
     * delivery inserts a trace line at the top of the header; RFC 3848:
     * "with ESMTP" after EHLO, "with SMTP" after HELO. */
    char on_stack[256];
    g_autofree char *on_heap = NULL;
    const char *received = ms_mail_server_received(
        server, ev->helo_name != NULL ? ev->helo_name : "unknown", ev->peer_name,
        ev->esmtp ? "ESMTP" : "SMTP", TRUE, on_stack, sizeof on_stack, &on_heap);
    GBytes *out = ms_message_prepend_peek(data, "Received", received, TRUE, "Message-ID",
                                          message_id_out, eol_out);
    if (out != NULL)
        return out;
    /* Text with no header at all (typed by hand): all of it is body, below
     * the header lines the server adds. */
    g_autoptr(MsMessage) msg = ms_message_new();
    gsize len = 0;
    const char *bytes = g_bytes_get_data(data, &len);
    ms_message_set_body(msg, bytes, len);
    ms_message_prepend_folded(msg, "Received", received);
    GBytes *made = ms_message_to_bytes(msg);
    *message_id_out = ms_message_peek_field(made, "Message-ID");
    return made;
}

static void inbound_message(InboundSession *s, const MsSmtpEvent *ev)
{
    MsMailServer *server = s->base.server;
    g_autofree char *message_id = NULL;
    const char *eol = NULL;
    g_autoptr(GBytes) data = add_received(server, ev, ev->data, &message_id, &eol);
    /* RFC 6409 8.2: a submission server may add a missing Date.  Only for
     * a real client (live mode takes it as submission from the server's
     * own users, docs/serve.md): without it IMAP's ENVELOPE has no date
     * and web mail's list an empty column.  A simulated agent always
     * writes its Date, and a message typed to port 25 in a scenario is
     * shown as the MTA took it. */
    gboolean add_date = FALSE;
    if (s->base.trusted) {
        g_autofree char *date = ms_message_peek_field(data, "Date");
        add_date = date == NULL;
    }
    g_autoptr(MsMessage) msg = message_id == NULL || add_date ? ms_message_parse_bytes(data, NULL)
                                                              : NULL;
    if (msg != NULL) {
        eol = NULL; /* a new text: delivery reads its header again */
        if (message_id == NULL) {
            /* RFC 6409 8.3: a submission server may add a missing
             * Message-ID (a message typed by hand has none), so the
             * message can be followed. */
            message_id = ms_world_message_id(server->world, server->domain, NULL);
            ms_message_add(msg, "Message-ID", message_id);
        }
        if (add_date) {
            g_autofree char *date = ms_message_format_date(ms_world_unix_time(server->world));
            ms_message_add(msg, "Date", date);
        }
        g_bytes_unref(data);
        data = ms_message_to_bytes(msg);
    }
    /* The recipients that go on (most messages are delivered here), on
     * the stack unless there are many: the queue keeps its own copies. */
    guint n = ev->recipients->len;
    const char *few[16];
    const char **remote = n <= G_N_ELEMENTS(few) ? few : g_new(const char *, n);
    guint n_remote = 0;
    for (guint i = 0; i < n; i++) {
        const char *rcpt = g_ptr_array_index(ev->recipients, i);
        MsServerUser *u = ms_mail_server_find_recipient(server, rcpt);
        const char *domain = ms_address_domain_in(rcpt);
        if (u != NULL) {
            ms_mail_server_deliver(server, u, ev->reverse_path, data, message_id, eol);
        } else if (ms_name_equal(domain, server->domain) || *domain == '\0') {
            /* Accepted first, bounced later (RFC 5321 6.1): the bounce is
             * written once the 250 that took the message has left. */
            Undeliverable *un = g_new0(Undeliverable, 1);
            un->reverse_path = g_strdup(ev->reverse_path);
            un->data = g_bytes_ref(data);
            un->message_id = g_strdup(message_id);
            un->rcpt = g_strdup(rcpt);
            if (s->unknown == NULL)
                s->unknown = g_ptr_array_new_with_free_func(undeliverable_free);
            g_ptr_array_add(s->unknown, un);
        } else {
            remote[n_remote++] = rcpt;
        }
    }
    if (n_remote > 0) {
        ms_mail_server_enqueue(server, ev->reverse_path, remote, n_remote, data, message_id);
        s->queued = TRUE;
    }
    if (remote != few)
        g_free(remote);
}

/* The queue runs once the session that filled it is over, so all of a
 * session's messages can leave over one persistent connection. */
static void inbound_wake_queue(MsServerSession *base)
{
    InboundSession *s = (InboundSession *) base;
    if (s->queued) {
        s->queued = FALSE;
        ms_mail_server_wake_queue(base->server, ms_sim_now(base->server->world->sim));
    }
}

/* A client that goes away mid-transaction loses that transaction
 * (RFC 5321 3.8): nothing was accepted, nothing to undo. */
static void inbound_gone(MsServerSession *base, gboolean aborted)
{
    (void) aborted;
    inbound_wake_queue(base);
}

static GPtrArray *inbound_step(MsServerSession *base, gboolean *close_out)
{
    InboundSession *s = (InboundSession *) base;
    GPtrArray *lines = ms_smtp_server_output(s->engine);
    MsSmtpEvent ev;
    /* The message is stored (mailbox or queue) before the 250 that takes
     * responsibility for it leaves (RFC 5321 4.1.1.4); one for a user this
     * server does not have waits for inbound_sent(). */
    while (ms_smtp_server_pop_event(s->engine, &ev)) {
        if (ev.kind == MS_SMTP_EVENT_MESSAGE)
            inbound_message(s, &ev);
        else if (ev.kind == MS_SMTP_EVENT_CLOSE)
            *close_out = TRUE;
        ms_smtp_event_clear(&ev);
    }
    return lines;
}

/* After the replies: delivery of what was accepted for unknown users finds
 * no mailbox, and each becomes a bounce in the outgoing queue. */
static void inbound_sent(MsServerSession *base)
{
    InboundSession *s = (InboundSession *) base;
    ms_smtp_server_output_sent(s->engine);
    if (s->unknown == NULL)
        return;
    g_autoptr(GPtrArray) unknown = g_steal_pointer(&s->unknown);
    for (guint i = 0; i < unknown->len; i++) {
        const Undeliverable *u = g_ptr_array_index(unknown, i);
        ms_server_bounce_unknown_user(base->server, u->reverse_path, u->data, u->message_id,
                                      u->rcpt);
    }
    s->queued = TRUE;
}

static void inbound_start(MsServerSession *base)
{
    ms_smtp_server_start(((InboundSession *) base)->engine);
}

static void inbound_feed(MsServerSession *base, const char *bytes, gsize len)
{
    ms_smtp_server_feed(((InboundSession *) base)->engine, bytes, len);
}

static void inbound_init(MsServerSession *base)
{
    InboundSession *s = (InboundSession *) base;
    MsMailServer *server = base->server;
    MsSmtpServerConfig cfg;
    ms_smtp_server_config_init(&cfg, server->domain);
    cfg.profile = ms_sc_profile_name(server->spec->profile);
    cfg.max_size = server->spec->max_size;
    cfg.offer_size = TRUE;
    cfg.offer_8bitmime = server->spec->eightbitmime;
    cfg.offer_pipelining = server->spec->pipelining;
    cfg.check_rcpt = inbound_check_rcpt;
    cfg.user_data = s;
    s->engine = ms_smtp_server_new(&cfg, base->peer);
}

static void inbound_finalize(MsServerSession *base)
{
    InboundSession *s = (InboundSession *) base;
    g_clear_pointer(&s->unknown, g_ptr_array_unref);
    ms_smtp_server_free(s->engine);
}

static const char *inbound_client_note(MsServerSession *base, const char *line, gsize len,
                                       const char **phase_out)
{
    InboundSession *s = (InboundSession *) base;
    if (ms_smtp_server_state(s->engine) == MS_SMTP_SERVER_DATA) {
        *phase_out = MS_SMTP_PHASE_TRANSFER;
        return len == 1 && line[0] == '.' ? "smtp.data.end" : "smtp.data.line";
    }
    return ms_smtp_command_note(line, len, phase_out);
}

static gboolean inbound_client_text(MsServerSession *base, guint64 *octets_out)
{
    *octets_out = 0;
    return ms_smtp_server_state(((InboundSession *) base)->engine) == MS_SMTP_SERVER_DATA;
}

/* RFC 5321 3.8: a server that must end a session says 421 first. */
static GPtrArray *inbound_farewell(MsServerSession *base, const char *why)
{
    GPtrArray *lines = ms_proto_lines_new();
    g_autofree char *text = g_strdup_printf("421 4.4.2 %s %s, closing connection",
                                            base->server->domain, why);
    g_ptr_array_add(lines, ms_proto_line_new(text, MS_SMTP_PHASE_CLOSURE, "smtp.reply.421"));
    return lines;
}

const MsServerProtocol ms_server_smtp_protocol = {
    .protocol = "SMTP",
    .size = sizeof(InboundSession),
    .init = inbound_init,
    .start = inbound_start,
    .feed = inbound_feed,
    .step = inbound_step,
    .sent = inbound_sent,
    .after_close = inbound_wake_queue,
    .gone = inbound_gone,
    .finalize = inbound_finalize,
    .client_note = inbound_client_note,
    .farewell = inbound_farewell,
    .client_text = inbound_client_text,
};

gboolean ms_server_smtp_listen(MsMailServer *server, GError **error)
{
    if (!ms_server_session_listen(server, MS_PORT_SMTP, &ms_server_smtp_protocol, error))
        return FALSE;
    /* RFC 6409: message submission on its own port, when the scenario asks. */
    guint port = server->spec->submission_port;
    if (port != 0 && port != MS_PORT_SMTP)
        return ms_server_session_listen(server, (guint16) port, &ms_server_smtp_protocol,
                                        error);
    return TRUE;
}
