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

typedef struct {
    MsSessionBase base;
    MsMailServer *server;
    MsTcpConn *conn;
    MsSmtpServer *engine;
    char *peer;       /* client host name */
    gboolean queued;  /* this session put messages in the outgoing queue */
    gboolean closing;
} InboundSession;

static void inbound_free(gpointer p)
{
    InboundSession *s = p;
    ms_smtp_server_free(s->engine);
    g_free(s->peer);
    g_free(s);
}

/* Whether the client is the machine of one of this server's users: such a
 * client may send mail anywhere (submission); anyone else may only send to
 * this server's own users (no open relay). */
static gboolean peer_is_local_agent(MsMailServer *server, const char *peer)
{
    for (guint i = 0; i < server->users->len; i++) {
        MsServerUser *u = g_ptr_array_index(server->users, i);
        if (u->agent_host != NULL && strcmp(u->agent_host, peer) == 0)
            return TRUE;
    }
    return FALSE;
}

static guint inbound_check_rcpt(const char *address, gpointer data, char **text_out)
{
    InboundSession *s = data;
    MsMailServer *server = s->server;
    g_autofree char *domain = ms_address_domain(address);
    if (g_ascii_strcasecmp(domain, server->domain) == 0 || *domain == '\0') {
        if (ms_mail_server_find_user(server, address) != NULL)
            return 250;
        *text_out = g_strdup_printf("5.1.1 <%s>: no such user here", address);
        return 550;
    }
    if (peer_is_local_agent(server, s->peer) || server->spec->open_relay)
        return 250;
    *text_out = g_strdup_printf("5.7.1 <%s>: relay access denied", address);
    return 550;
}

static GBytes *add_received(MsMailServer *server, const MsSmtpEvent *ev, GBytes *data)
{
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(data, NULL);
    if (msg == NULL) {
        /* Text with no header at all (typed by hand): all of it is body,
         * below the header lines the server adds. */
        msg = ms_message_new();
        gsize len = 0;
        const char *bytes = g_bytes_get_data(data, &len);
        ms_message_set_body(msg, bytes, len);
    }
    g_autofree char *date = ms_message_format_date(ms_world_unix_time(server->world));
    /* RFC 5321 4.4: every SMTP server that accepts a message for relay or
     * delivery inserts a trace line at the top of the header. */
    g_autofree char *received = g_strdup_printf(
        "from %s (%s) by %s with SMTP id %" G_GUINT64_FORMAT "; %s",
        ev->helo_name != NULL ? ev->helo_name : "unknown", ev->peer_name != NULL ? ev->peer_name
                                                                                 : "unknown",
        server->name, ++server->smtp_ids, date);
    ms_message_prepend(msg, "Received", received);
    return ms_message_to_bytes(msg);
}

static void inbound_message(InboundSession *s, const MsSmtpEvent *ev)
{
    MsMailServer *server = s->server;
    g_autoptr(GBytes) data = add_received(server, ev, ev->data);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(data, NULL);
    const char *mid = msg != NULL ? ms_message_get(msg, "Message-ID") : NULL;
    g_autofree char *message_id = g_strdup(mid);
    if (msg != NULL && message_id == NULL) {
        /* RFC 6409 8.3: a submission server may add a missing Message-ID
         * (a message typed by hand has none), so the message can be followed. */
        message_id = ms_world_message_id(server->world, server->domain, NULL);
        ms_message_add(msg, "Message-ID", message_id);
        g_bytes_unref(data);
        data = ms_message_to_bytes(msg);
    }
    g_autoptr(GPtrArray) remote = g_ptr_array_new();
    for (guint i = 0; i < ev->recipients->len; i++) {
        const char *rcpt = g_ptr_array_index(ev->recipients, i);
        MsServerUser *u = ms_mail_server_find_user(server, rcpt);
        if (u != NULL)
            ms_mail_server_deliver(server, u, ev->reverse_path, data, message_id);
        else
            g_ptr_array_add(remote, (gpointer) rcpt);
    }
    if (remote->len > 0) {
        ms_mail_server_enqueue(server, ev->reverse_path, remote, data, message_id);
        s->queued = TRUE;
    }
}

/* The queue runs once the session that filled it is over, so all of a
 * session's messages can leave over one persistent connection. */
static void inbound_wake_queue(InboundSession *s)
{
    if (s->queued) {
        s->queued = FALSE;
        ms_mail_server_wake_queue(s->server, ms_sim_now(s->server->world->sim));
    }
}

static void inbound_pump(InboundSession *s)
{
    g_autoptr(GPtrArray) lines = ms_smtp_server_take_output(s->engine);
    gboolean close = FALSE;
    MsSmtpEvent *ev;
    /* The message is stored (mailbox or queue) before the 250 that takes
     * responsibility for it leaves (RFC 5321 4.1.1.4). */
    while ((ev = ms_smtp_server_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_SMTP_EVENT_MESSAGE)
            inbound_message(s, ev);
        else if (ev->kind == MS_SMTP_EVENT_CLOSE)
            close = TRUE;
        ms_smtp_event_free(ev);
    }
    ms_session_send_lines(s->server->world, s->conn, MS_DIR_SERVER, lines);
    if (close && !s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_SERVER);
        inbound_wake_queue(s);
    }
}

static void inbound_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    InboundSession *s = data;
    ms_smtp_server_start(s->engine);
    inbound_pump(s);
}

static void inbound_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    InboundSession *s = data;
    ms_smtp_server_feed(s->engine, bytes, len);
    inbound_pump(s);
}

static void inbound_peer_closed(MsTcpConn *conn, gpointer data)
{
    InboundSession *s = data;
    /* A client that goes away mid-transaction loses that transaction
     * (RFC 5321 3.8): nothing was accepted, nothing to undo. */
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(conn, MS_DIR_SERVER);
    }
    inbound_wake_queue(s);
}

static void inbound_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    InboundSession *s = data;
    inbound_wake_queue(s);
    g_ptr_array_remove(s->server->sessions, s);
}

static const MsTcpCallbacks inbound_callbacks = {
    .established = inbound_established,
    .data = inbound_data,
    .peer_closed = inbound_peer_closed,
    .closed = inbound_closed,
};

static void inbound_accept(MsTcpConn *conn, gpointer data)
{
    MsMailServer *server = data;
    InboundSession *s = g_new0(InboundSession, 1);
    s->base.free = inbound_free;
    s->server = server;
    s->conn = conn;
    s->peer = g_strdup(ms_host_name(ms_tcp_conn_host(conn, MS_DIR_CLIENT)));
    MsSmtpServerConfig cfg;
    ms_smtp_server_config_init(&cfg, server->domain);
    cfg.profile = ms_sc_profile_name(server->spec->profile);
    cfg.max_size = server->spec->max_size;
    cfg.offer_size = TRUE;
    cfg.offer_8bitmime = server->spec->eightbitmime;
    cfg.offer_pipelining = server->spec->pipelining;
    cfg.check_rcpt = inbound_check_rcpt;
    cfg.user_data = s;
    s->engine = ms_smtp_server_new(&cfg, s->peer);
    g_ptr_array_add(server->sessions, s);
    ms_tcp_conn_set_callbacks(conn, MS_DIR_SERVER, &inbound_callbacks, s);
}

gboolean ms_server_smtp_listen(MsMailServer *server, GError **error)
{
    if (!ms_tcp_listen(server->world->net, server->host, MS_PORT_SMTP, "SMTP", inbound_accept,
                       server, error))
        return FALSE;
    /* RFC 6409: message submission on its own port, when the scenario asks. */
    guint port = server->spec->submission_port;
    if (port != 0 && port != MS_PORT_SMTP)
        return ms_tcp_listen(server->world->net, server->host, (guint16) port, "SMTP",
                             inbound_accept, server, error);
    return TRUE;
}
