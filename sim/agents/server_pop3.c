/* server_pop3.c - the POP3 side of a mail server (RFC 1939, port 110): one
 * engine per connection, the maildrop lock, and the update state's deletions
 * applied to the user's mailbox.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/pop3.h"

typedef struct {
    MsServerSession base;
    MsPop3Server *engine;
} Pop3Session;

static gboolean pop3_authenticate(const char *user, const char *password, gpointer data,
                                  char **maildrop_out)
{
    MsMailServer *server = data;
    MsServerUser *u = ms_mail_server_find_user(server, user);
    if (u == NULL || u->password == NULL || strcmp(u->password, password) != 0)
        return FALSE;
    *maildrop_out = g_strdup(u->local);
    return TRUE;
}

static char *pop3_secret(const char *user, gpointer data, char **maildrop_out)
{
    MsMailServer *server = data;
    MsServerUser *u = ms_mail_server_find_user(server, user);
    if (u == NULL || u->password == NULL)
        return NULL;
    *maildrop_out = g_strdup(u->local);
    return g_strdup(u->password);
}

static gboolean pop3_known_user(const char *user, gpointer data)
{
    return ms_mail_server_find_user(data, user) != NULL;
}

static gboolean pop3_lock(const char *maildrop, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, maildrop);
    if (u == NULL || u->locked)
        return FALSE;
    u->locked = TRUE;
    return TRUE;
}

static void pop3_unlock(const char *maildrop, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, maildrop);
    if (u != NULL)
        u->locked = FALSE;
}

static GPtrArray *pop3_load(const char *maildrop, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, maildrop);
    if (u == NULL)
        return NULL;
    GPtrArray *out = ms_pop3_messages_new();
    guint n = ms_imap_store_count(u->store, "INBOX");
    /* The UIDL is the IMAP UID with the folder's UIDVALIDITY, "%u.%u":
     * unique and stable, as RFC 1939 7 asks.  Written by hand, as every
     * message of every maildrop opened has one. */
    char uidl[2 * MS_PROTO_UINT_MAX_LEN + 1];
    gsize prefix = ms_proto_format_uint(uidl, ms_imap_store_uidvalidity(u->store, "INBOX"));
    uidl[prefix++] = '.';
    for (guint i = 0; i < n; i++) {
        MsImapMessageInfo m;
        if (!ms_imap_store_message(u->store, "INBOX", i, &m))
            continue;
        gsize len = prefix + ms_proto_format_uint(uidl + prefix, m.uid);
        uidl[len] = '\0';
        g_ptr_array_add(out, ms_pop3_message_new(uidl, m.data));
    }
    return out;
}

/* The UID after the dot of a UIDL pop3_load() made: decimal digits only,
 * 1 to 2^32 - 1 (what g_ascii_string_to_unsigned() took, without its
 * library calls). */
static gboolean uidl_uid(const char *uidl, guint32 *uid_out)
{
    const char *p = strchr(uidl, '.');
    if (p == NULL || *++p == '\0')
        return FALSE;
    guint64 v = 0;
    for (; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        v = v * 10 + (guint64) (*p - '0');
        if (v > G_MAXUINT32)
            return FALSE;
    }
    if (v == 0)
        return FALSE;
    *uid_out = (guint32) v;
    return TRUE;
}

static void apply_update(MsMailServer *server, const MsPop3Event *ev)
{
    MsServerUser *u = ms_mail_server_find_user(server, ev->maildrop);
    if (u == NULL || ev->uidls == NULL)
        return;
    for (guint i = 0; i < ev->uidls->len; i++) {
        const char *uidl = g_ptr_array_index(ev->uidls, i);
        guint32 uid = 0;
        if (!uidl_uid(uidl, &uid))
            continue;
        MsImapMessageInfo m;
        if (!ms_imap_store_find_uid(u->store, "INBOX", uid, &m))
            continue;
        g_autofree char *mid = ms_message_id_of(m.data);
        server->pop3_update = TRUE;
        gboolean removed = ms_imap_store_remove(u->store, "INBOX", uid);
        server->pop3_update = FALSE;
        if (removed) {
            guint left = ms_imap_store_count(u->store, "INBOX");
            ms_world_note_text(server->world, MS_TRACE_MAILBOX, "mailbox.delete",
                               server->name, u->address, mid, left,
                          "POP3 update state: message %s deleted from %s's mailbox (%u left)",
                          mid != NULL ? mid : uidl, u->local, left);
        }
    }
}

/* Events first: the update state removes the messages before the +OK to
 * QUIT goes out, as a real server does; the connection closes last. */
static GPtrArray *pop3_step(MsServerSession *base, gboolean *close_out)
{
    Pop3Session *s = (Pop3Session *) base;
    GPtrArray *lines = ms_pop3_server_output(s->engine);
    MsPop3Event *ev;
    while ((ev = ms_pop3_server_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_POP3_EVENT_UPDATE)
            apply_update(base->server, ev);
        else if (ev->kind == MS_POP3_EVENT_CLOSE)
            *close_out = TRUE;
        ms_pop3_event_free(ev);
    }
    return lines;
}

/* The engine's lines have been written: it keeps their memory for its
 * next ones. */
static void pop3_sent(MsServerSession *base)
{
    ms_pop3_server_output_sent(((Pop3Session *) base)->engine);
}

static void pop3_start(MsServerSession *base)
{
    ms_pop3_server_start(((Pop3Session *) base)->engine);
}

static void pop3_feed(MsServerSession *base, const char *bytes, gsize len)
{
    ms_pop3_server_feed(((Pop3Session *) base)->engine, bytes, len);
}

static gboolean pop3_peer_closed(MsServerSession *base)
{
    Pop3Session *s = (Pop3Session *) base;
    if (ms_pop3_server_state(s->engine) == MS_POP3_STATE_CLOSED)
        return FALSE;
    /* RFC 1939 6: a session that ends without QUIT deletes nothing. */
    ms_pop3_server_abort(s->engine);
    return TRUE;
}

static void pop3_gone(MsServerSession *base, gboolean aborted)
{
    Pop3Session *s = (Pop3Session *) base;
    if (aborted && ms_pop3_server_state(s->engine) != MS_POP3_STATE_CLOSED) {
        ms_pop3_server_abort(s->engine);
        ms_pop3_server_output_sent(s->engine); /* nothing can be sent now */
        MsPop3Event *ev;
        while ((ev = ms_pop3_server_next_event(s->engine)) != NULL)
            ms_pop3_event_free(ev);
    }
}

static void pop3_init(MsServerSession *base)
{
    Pop3Session *s = (Pop3Session *) base;
    MsMailServer *server = base->server;
    MsPop3ServerConfig cfg = {
        .hostname = server->name,
        .profile = ms_sc_profile_name(server->spec->profile),
        .known_user = pop3_known_user,
        .authenticate = pop3_authenticate,
        .apop_secret = pop3_secret,
        .lock = pop3_lock,
        .unlock = pop3_unlock,
        .load = pop3_load,
        .user_data = server,
        .apop_pid = ++server->pop3_sessions,
        .apop_clock = (guint64) ms_world_unix_time(server->world),
    };
    g_autoptr(GError) error = NULL;
    s->engine = ms_pop3_server_new(&cfg, &error);
    g_assert(s->engine != NULL); /* the configuration above is always complete */
}

static void pop3_finalize(MsServerSession *base)
{
    ms_pop3_server_free(((Pop3Session *) base)->engine);
}

static const char *pop3_client_note(MsServerSession *base, const char *line, gsize len,
                                    const char **phase_out)
{
    *phase_out = ms_pop3_state_phase(ms_pop3_server_state(((Pop3Session *) base)->engine));
    return ms_pop3_command_note(line, len);
}

static GPtrArray *pop3_farewell(MsServerSession *base, const char *why)
{
    Pop3Session *s = (Pop3Session *) base;
    GPtrArray *lines = ms_proto_lines_new();
    g_autofree char *text = g_strdup_printf("-ERR %s, closing connection", why);
    g_ptr_array_add(lines, ms_proto_line_new(
                               text, ms_pop3_state_phase(ms_pop3_server_state(s->engine)),
                               "live.cutoff"));
    return lines;
}

const MsServerProtocol ms_server_pop3_protocol = {
    .protocol = "POP3",
    .size = sizeof(Pop3Session),
    .init = pop3_init,
    .start = pop3_start,
    .feed = pop3_feed,
    .step = pop3_step,
    .sent = pop3_sent,
    .peer_closed = pop3_peer_closed,
    .gone = pop3_gone,
    .finalize = pop3_finalize,
    .client_note = pop3_client_note,
    .farewell = pop3_farewell,
};

gboolean ms_server_pop3_listen(MsMailServer *server, GError **error)
{
    return ms_server_session_listen(server, MS_PORT_POP3, &ms_server_pop3_protocol, error);
}
