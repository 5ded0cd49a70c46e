/* server_session.c - the server side of a connection, once for every
 * protocol and every transport: a protocol engine is started when the
 * connection is up, fed what the client sends, and what it says goes back
 * as recorded lines; the session ends when the engine says so or when the
 * client goes.  Simulated TCP is one transport (below); sim/live puts the
 * same sessions on real sockets.
 */
#include "agents/agents-private.h"

static void session_free(gpointer p)
{
    MsServerSession *s = p;
    if (s->proto->finalize != NULL)
        s->proto->finalize(s);
    g_free(s);
}

MsServerSession *ms_server_session_new(MsMailServer *server, const MsServerProtocol *proto,
                                       const char *peer, const MsServerTransport *transport,
                                       gpointer transport_data)
{
    g_assert(proto->size >= sizeof(MsServerSession));
    /* The peer's name after the protocol's struct, in the same block: a
     * block fewer for every connection a server accepts. */
    gsize peer_size = strlen(peer) + 1;
    MsServerSession *s = g_malloc0(proto->size + peer_size);
    s->base.free = session_free;
    s->proto = proto;
    s->server = server;
    s->transport = transport;
    s->transport_data = transport_data;
    s->peer = memcpy((char *) s + proto->size, peer, peer_size);
    proto->init(s);
    g_ptr_array_add(server->sessions, s);
    return s;
}

gboolean ms_server_session_is(gpointer session, const MsServerProtocol *proto)
{
    MsSessionBase *base = session;
    return base->free == session_free && ((MsServerSession *) session)->proto == proto;
}

static void close_session(MsServerSession *s)
{
    s->closing = TRUE;
    s->transport->close(s);
    if (s->proto->after_close != NULL)
        s->proto->after_close(s);
}

/* The engine's work first (a message is stored before the reply that takes
 * responsibility for it leaves, RFC 5321 4.1.1.4), then its lines, then the
 * close it asked for. */
void ms_server_session_pump(MsServerSession *s)
{
    gboolean close = FALSE;
    GPtrArray *lines = s->proto->step(s, &close);
    s->transport->send(s, lines);
    if (s->proto->sent != NULL)
        s->proto->sent(s);
    else if (lines != NULL)
        g_ptr_array_unref(lines);
    if (close && !s->closing)
        close_session(s);
}

void ms_server_session_cut(MsServerSession *s, const char *why)
{
    if (s->closing)
        return;
    if (s->proto->farewell != NULL) {
        g_autoptr(GPtrArray) lines = s->proto->farewell(s, why);
        s->transport->send(s, lines);
    }
    close_session(s);
}

void ms_server_session_cut_idle(MsServerSession *s, const char *why, gboolean begun)
{
    if (s->closing)
        return;
    if (s->proto->idle_farewell == NULL) {
        ms_server_session_cut(s, why);
        return;
    }
    g_autoptr(GPtrArray) lines = s->proto->idle_farewell(s, why, begun);
    if (lines != NULL)
        s->transport->send(s, lines);
    close_session(s);
}

void ms_server_session_established(MsServerSession *s)
{
    if (s->proto->start == NULL)
        return;
    s->proto->start(s);
    ms_server_session_pump(s);
}

void ms_server_session_data(MsServerSession *s, const char *bytes, gsize len)
{
    s->proto->feed(s, bytes, len);
    ms_server_session_pump(s);
}

void ms_server_session_peer_closed(MsServerSession *s)
{
    if (s->proto->peer_closed != NULL && s->proto->peer_closed(s))
        ms_server_session_pump(s);
    if (!s->closing)
        close_session(s);
}

void ms_server_session_closed(MsServerSession *s, gboolean aborted)
{
    if (s->proto->gone != NULL)
        s->proto->gone(s, aborted);
    g_ptr_array_remove(s->server->sessions, s);
}

/* ---- simulated TCP ------------------------------------------------------ */

static void tcp_send(MsServerSession *s, GPtrArray *lines)
{
    ms_session_send_lines(s->server->world, s->transport_data, MS_DIR_SERVER, lines);
}

static void tcp_close(MsServerSession *s)
{
    ms_tcp_close(s->transport_data, MS_DIR_SERVER);
}

static const MsServerTransport tcp_transport = {
    .send = tcp_send,
    .close = tcp_close,
};

static void on_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    ms_server_session_established(data);
}

static void on_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    ms_server_session_data(data, bytes, len);
}

static void on_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    ms_server_session_peer_closed(data);
}

static void on_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    ms_server_session_closed(data, aborted);
}

static const MsTcpCallbacks tcp_callbacks = {
    .established = on_established,
    .data = on_data,
    .peer_closed = on_peer_closed,
    .closed = on_closed,
};

typedef struct {
    MsMailServer *server;
    const MsServerProtocol *proto;
} Listener;

static void on_accept(MsTcpConn *conn, gpointer data)
{
    Listener *l = data;
    const char *peer = ms_host_name(ms_tcp_conn_host(conn, MS_DIR_CLIENT));
    MsServerSession *s = ms_server_session_new(l->server, l->proto, peer, &tcp_transport, conn);
    ms_tcp_conn_set_callbacks(conn, MS_DIR_SERVER, &tcp_callbacks, s);
}

gboolean ms_server_session_listen(MsMailServer *server, guint16 port,
                                  const MsServerProtocol *proto, GError **error)
{
    Listener *l = g_new0(Listener, 1);
    l->server = server;
    l->proto = proto;
    g_ptr_array_add(server->world->owned, l);
    return ms_tcp_listen(server->world->net, server->host, port, proto->protocol, on_accept, l,
                         error);
}
