/* server_imap.c - the IMAP side of a mail server (RFC 3501, port 143): one
 * engine per connection, all working on the users' stores, where the mail,
 * the folders and the flags live.  A change made through one session (or a
 * delivery) is told to the user's other sessions, so an idling device hears
 * of new mail at once (RFC 2177).
 */
#include <string.h>

#include "agents/agents-private.h"

typedef struct ImapSession ImapSession;
struct ImapSession {
    MsServerSession base;
    MsImapServer *engine;
    MsEventId notify_event;
    guint64 number;      /* the server's how manyth IMAP session */
    MsServerUser *user;  /* logged in as; NULL before */
    ImapSession *next;   /* the user's next session, in number order */
};

/* Links a session into its user's list, keeping the list in the order the
 * sessions were opened: the order in which their notices are scheduled,
 * which decides the order of events that fall on the same instant. */
static void user_link(ImapSession *s, MsServerUser *u)
{
    ImapSession **at = (ImapSession **) &u->imap_sessions;
    while (*at != NULL && (*at)->number < s->number)
        at = &(*at)->next;
    s->next = *at;
    *at = s;
    s->user = u;
}

static void user_unlink(ImapSession *s)
{
    if (s->user == NULL)
        return;
    ImapSession **at = (ImapSession **) &s->user->imap_sessions;
    while (*at != s)
        at = &(*at)->next;
    *at = s->next;
    s->user = NULL;
}

static MsImapStore *imap_login(const char *user, const char *password, gpointer data)
{
    ImapSession *s = data;
    MsServerUser *u = ms_mail_server_find_user(s->base.server, user);
    if (u == NULL || u->password == NULL || strcmp(u->password, password) != 0)
        return NULL;
    user_unlink(s);
    user_link(s, u);
    return u->store;
}

static gint64 imap_clock(gpointer data)
{
    ImapSession *s = data;
    return ms_world_unix_time(s->base.server->world);
}

static GPtrArray *imap_step(MsServerSession *base, gboolean *close_out)
{
    ImapSession *s = (ImapSession *) base;
    GPtrArray *lines = ms_imap_server_output(s->engine);
    MsImapEvent *ev;
    while ((ev = ms_imap_server_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_IMAP_EVENT_CLOSE)
            *close_out = TRUE;
        ms_imap_event_free(ev);
    }
    return lines;
}

/* The engine's lines have been written: it keeps their memory for its
 * next ones. */
static void imap_sent(MsServerSession *base)
{
    ms_imap_server_output_sent(((ImapSession *) base)->engine);
}

static void notify_now(gpointer data)
{
    ImapSession *s = data;
    s->notify_event = MS_EVENT_ID_NONE;
    if (s->base.closing)
        return;
    ms_imap_server_notify(s->engine);
    ms_server_session_pump(&s->base);
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

/* The note key of a store record, or NULL for a change it does not show
 * (subscriptions). */
static const char *store_key(MsImapChangeKind kind)
{
    switch (kind) {
    case MS_IMAP_CHANGE_APPEND:
        return "store.append";
    case MS_IMAP_CHANGE_FLAGS:
        return "store.flags";
    case MS_IMAP_CHANGE_EXPUNGE:
        return "store.expunge";
    case MS_IMAP_CHANGE_CREATE:
        return "store.create";
    case MS_IMAP_CHANGE_DELETE:
        return "store.delete";
    case MS_IMAP_CHANGE_RENAME:
        return "store.rename";
    default:
        return NULL;
    }
}

/* Every change to what a user's store holds, as data: which message (by
 * folder and UID) came, went or got which flags, and which folders.  The
 * notes below are sentences for people; these records let a tool (the
 * interactive report's state panel) replay each folder with its flags
 * without reading protocol text.  A message is named by its Message-ID
 * once, when it is appended; later records name it by folder and UID. */
static void store_record(MsMailServer *server, MsServerUser *user, const MsImapChange *change)
{
    const char *key = store_key(change->kind);
    if (key == NULL)
        return;
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_STORE;
    r.time = ms_sim_now(server->world->sim);
    r.arrival = -1;
    r.src = server->name;
    r.subject = user->address;
    r.note = key;
    r.folder = change->folder;
    r.count = change->count;
    g_autofree char *mid = NULL;
    if (change->kind == MS_IMAP_CHANGE_APPEND || change->kind == MS_IMAP_CHANGE_FLAGS) {
        r.uid = change->uid;
        r.flags = (guint8) (change->flags & MS_IMAP_FLAGS_ALL);
    } else if (change->kind == MS_IMAP_CHANGE_EXPUNGE) {
        r.uid = change->uid;
    } else if (change->kind == MS_IMAP_CHANGE_RENAME) {
        r.text = change->folder2;
    }
    if (change->kind == MS_IMAP_CHANGE_APPEND) {
        /* A delivery knows its Message-ID; a COPY or APPEND reads it. */
        MsImapMessageInfo info;
        if (server->appending_id != NULL)
            r.text = server->appending_id;
        else if (ms_imap_store_find_uid(user->store, change->folder, change->uid, &info))
            r.text = mid = ms_message_id_of(info.data);
    }
    /* Every delivery, deletion and flag change has one of these records,
     * whose context (the server's name, nothing else) is found once. */
    MsTrace *trace = ms_sim_trace(server->world->sim);
    if (!server->have_store_ctx) {
        server->store_ctx = ms_trace_context(trace, &r);
        server->have_store_ctx = TRUE;
    }
    ms_trace_emit_in(trace, server->store_ctx, &r);
}

void ms_server_imap_store_changed(MsMailServer *server, MsServerUser *user,
                                  const MsImapChange *change)
{
    store_record(server, user, change);
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
    for (ImapSession *s = user->imap_sessions; s != NULL; s = s->next) {
        if (ms_imap_server_store(s->engine) != user->store || s->notify_event != MS_EVENT_ID_NONE)
            continue;
        s->notify_event = ms_sim_schedule(server->world->sim, 0, notify_now, s);
    }
}

static void imap_start(MsServerSession *base)
{
    ms_imap_server_start(((ImapSession *) base)->engine);
}

static void imap_feed(MsServerSession *base, const char *bytes, gsize len)
{
    ms_imap_server_feed(((ImapSession *) base)->engine, bytes, len);
}

static gboolean imap_peer_closed(MsServerSession *base)
{
    ImapSession *s = (ImapSession *) base;
    if (ms_imap_server_state(s->engine) != MS_IMAP_STATE_CLOSED) {
        ms_imap_server_abort(s->engine);
        ms_imap_server_output_sent(s->engine); /* nothing can be sent now */
        MsImapEvent *ev;
        while ((ev = ms_imap_server_next_event(s->engine)) != NULL)
            ms_imap_event_free(ev);
    }
    return FALSE;
}

static void imap_init(MsServerSession *base)
{
    ImapSession *s = (ImapSession *) base;
    MsImapServerConfig cfg = {
        .hostname = base->server->name,
        .login = imap_login,
        .clock = imap_clock,
        .user_data = s,
    };
    s->number = ++base->server->imap_sessions;
    g_autoptr(GError) error = NULL;
    s->engine = ms_imap_server_new(&cfg, &error);
    g_assert(s->engine != NULL); /* the configuration above is always complete */
}

static void imap_finalize(MsServerSession *base)
{
    ImapSession *s = (ImapSession *) base;
    if (s->notify_event != MS_EVENT_ID_NONE)
        ms_sim_cancel(base->server->world->sim, s->notify_event);
    user_unlink(s);
    ms_imap_server_free(s->engine);
}

static const char *imap_client_note(MsServerSession *base, const char *line, gsize len,
                                    const char **phase_out)
{
    *phase_out = ms_imap_state_phase(ms_imap_server_state(((ImapSession *) base)->engine));
    return ms_imap_command_note(line, len);
}

static gboolean imap_client_text(MsServerSession *base, guint64 *octets_out)
{
    *octets_out = ms_imap_server_literal_left(((ImapSession *) base)->engine);
    return *octets_out > 0;
}

/* RFC 3501 7.1.5: BYE, when the server is about to close the connection. */
static GPtrArray *imap_farewell(MsServerSession *base, const char *why)
{
    ImapSession *s = (ImapSession *) base;
    GPtrArray *lines = ms_proto_lines_new();
    g_autofree char *text = g_strdup_printf("* BYE %s, closing connection", why);
    g_ptr_array_add(lines, ms_proto_line_new(
                               text, ms_imap_state_phase(ms_imap_server_state(s->engine)),
                               "imap.resp.bye"));
    return lines;
}

const MsServerProtocol ms_server_imap_protocol = {
    .protocol = "IMAP",
    .size = sizeof(ImapSession),
    .init = imap_init,
    .start = imap_start,
    .feed = imap_feed,
    .step = imap_step,
    .sent = imap_sent,
    .peer_closed = imap_peer_closed,
    .finalize = imap_finalize,
    .client_note = imap_client_note,
    .farewell = imap_farewell,
    .client_text = imap_client_text,
};

gboolean ms_server_imap_listen(MsMailServer *server, GError **error)
{
    return ms_server_session_listen(server, MS_PORT_IMAP, &ms_server_imap_protocol, error);
}
