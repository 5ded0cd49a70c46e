/* server_imap.c - the IMAP side of a mail server (RFC 3501, port 143): one
 * engine per connection, all working on the users' stores, where the mail,
 * the folders and the flags live.  A change made through one session (or a
 * delivery) is told to the user's other sessions, so an idling device hears
 * of new mail at once (RFC 2177).
 */
#include <string.h>

#include "agents/agents-private.h"

typedef struct {
    MsSessionBase base;
    MsMailServer *server;
    MsTcpConn *conn;
    MsImapServer *engine;
    gboolean closing;
    MsEventId notify_event;
} ImapSession;

/* IMAP sessions are found among all of a server's sessions by their free
 * function. */
static void imap_session_free(gpointer p);

static gboolean is_imap_session(gpointer p)
{
    return ((MsSessionBase *) p)->free == imap_session_free;
}

static void imap_session_free(gpointer p)
{
    ImapSession *s = p;
    if (s->notify_event != MS_EVENT_ID_NONE)
        ms_sim_cancel(s->server->world->sim, s->notify_event);
    ms_imap_server_free(s->engine);
    g_free(s);
}

static MsImapStore *imap_login(const char *user, const char *password, gpointer data)
{
    MsMailServer *server = data;
    MsServerUser *u = ms_mail_server_find_user(server, user);
    if (u == NULL || u->password == NULL || strcmp(u->password, password) != 0)
        return NULL;
    return u->store;
}

static gint64 imap_clock(gpointer data)
{
    MsMailServer *server = data;
    return ms_world_unix_time(server->world);
}

static void pump(ImapSession *s)
{
    g_autoptr(GPtrArray) lines = ms_imap_server_take_output(s->engine);
    gboolean close = FALSE;
    MsImapEvent *ev;
    while ((ev = ms_imap_server_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_IMAP_EVENT_CLOSE)
            close = TRUE;
        ms_imap_event_free(ev);
    }
    ms_session_send_lines(s->server->world, s->conn, MS_DIR_SERVER, lines);
    if (close && !s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_SERVER);
    }
}

static void notify_now(gpointer data)
{
    ImapSession *s = data;
    s->notify_event = MS_EVENT_ID_NONE;
    if (s->closing)
        return;
    ms_imap_server_notify(s->engine);
    pump(s);
}

static const char *change_words(MsImapChangeKind kind)
{
    switch (kind) {
    case MS_IMAP_CHANGE_EXPUNGE:
        return "expunged";
    case MS_IMAP_CHANGE_CREATE:
        return "created";
    case MS_IMAP_CHANGE_DELETE:
        return "deleted";
    case MS_IMAP_CHANGE_RENAME:
        return "renamed";
    default:
        return NULL;
    }
}

void ms_server_imap_store_changed(MsMailServer *server, MsServerUser *user,
                                  const MsImapChange *change)
{
    /* Folder changes are worth a line in the transcript; deliveries and
     * POP3 deletions have their own, and flags show in the dialogue. */
    const char *words = change_words(change->kind);
    if (words != NULL && change->kind == MS_IMAP_CHANGE_EXPUNGE && server->pop3_update) {
        /* POP3's update state has its own note ("mailbox.delete"). */
    } else if (words != NULL && change->kind == MS_IMAP_CHANGE_EXPUNGE) {
        ms_world_note(server->world, MS_TRACE_MAILBOX, "mailbox.expunge", server->name,
                      user->address, change->count,
                      "message UID %u expunged from %s's folder %s (%u left)", change->uid,
                      user->local, change->folder, change->count);
    } else if (words != NULL && change->kind == MS_IMAP_CHANGE_RENAME) {
        ms_world_note(server->world, MS_TRACE_MAILBOX, "mailbox.folder", server->name,
                      user->address, 0, "%s's folder %s renamed to %s (kept on the server)",
                      user->local, change->folder, change->folder2);
    } else if (words != NULL) {
        ms_world_note(server->world, MS_TRACE_MAILBOX, "mailbox.folder", server->name,
                      user->address, 0, "%s's folder %s %s on the server", user->local,
                      change->folder, words);
    }
    /* Tell the user's IMAP sessions, each as an event of its own: a store
     * watcher must not run engines (the change may come from inside one). */
    for (guint i = 0; i < server->sessions->len; i++) {
        gpointer p = g_ptr_array_index(server->sessions, i);
        if (!is_imap_session(p))
            continue;
        ImapSession *s = p;
        if (ms_imap_server_store(s->engine) != user->store || s->notify_event != MS_EVENT_ID_NONE)
            continue;
        s->notify_event = ms_sim_schedule(server->world->sim, 0, notify_now, s);
    }
}

static void on_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    ImapSession *s = data;
    ms_imap_server_start(s->engine);
    pump(s);
}

static void on_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    ImapSession *s = data;
    ms_imap_server_feed(s->engine, bytes, len);
    pump(s);
}

static void on_peer_closed(MsTcpConn *conn, gpointer data)
{
    ImapSession *s = data;
    if (ms_imap_server_state(s->engine) != MS_IMAP_STATE_CLOSED) {
        ms_imap_server_abort(s->engine);
        g_autoptr(GPtrArray) lines = ms_imap_server_take_output(s->engine);
        MsImapEvent *ev;
        while ((ev = ms_imap_server_next_event(s->engine)) != NULL)
            ms_imap_event_free(ev);
    }
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(conn, MS_DIR_SERVER);
    }
}

static void on_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    ImapSession *s = data;
    g_ptr_array_remove(s->server->sessions, s);
}

static const MsTcpCallbacks imap_callbacks = {
    .established = on_established,
    .data = on_data,
    .peer_closed = on_peer_closed,
    .closed = on_closed,
};

static void on_accept(MsTcpConn *conn, gpointer data)
{
    MsMailServer *server = data;
    MsImapServerConfig cfg = {
        .hostname = server->name,
        .login = imap_login,
        .clock = imap_clock,
        .user_data = server,
    };
    g_autoptr(GError) error = NULL;
    MsImapServer *engine = ms_imap_server_new(&cfg, &error);
    g_assert(engine != NULL); /* the configuration above is always complete */
    ImapSession *s = g_new0(ImapSession, 1);
    s->base.free = imap_session_free;
    s->server = server;
    s->conn = conn;
    s->engine = engine;
    g_ptr_array_add(server->sessions, s);
    ms_tcp_conn_set_callbacks(conn, MS_DIR_SERVER, &imap_callbacks, s);
}

gboolean ms_server_imap_listen(MsMailServer *server, GError **error)
{
    return ms_tcp_listen(server->world->net, server->host, MS_PORT_IMAP, "IMAP", on_accept,
                         server, error);
}
