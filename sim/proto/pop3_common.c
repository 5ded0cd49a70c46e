/* pop3_common.c - what both POP3 engines share: the names of states and
 * events, the table of annotation keys a transcript explains, the APOP
 * digest (RFC 1939 section 7) and the small data types of pop3.h.
 */
#include "pop3-private.h"

#include <string.h>

#define STATE_NAME_(e, name, phase) [e] = name,
static const char *const state_names[] = { MS_POP3_STATES(STATE_NAME_) };
#undef STATE_NAME_

#define STATE_PHASE_(e, name, phase) [e] = phase,
static const char *const state_phases[] = { MS_POP3_STATES(STATE_PHASE_) };
#undef STATE_PHASE_

#define EVENT_NAME_(e, name) [e] = name,
static const char *const event_names[] = { MS_POP3_EVENT_KINDS(EVENT_NAME_) };
#undef EVENT_NAME_

#define CLIENT_STATE_NAME_(e, name) [e] = name,
static const char *const client_state_names[] = { MS_POP3_CLIENT_STATES(CLIENT_STATE_NAME_) };
#undef CLIENT_STATE_NAME_

const char *ms_pop3_state_name(MsPop3State state)
{
    g_return_val_if_fail(state < MS_POP3_N_STATES, "?");
    return state_names[state];
}

const char *ms_pop3_state_phase(MsPop3State state)
{
    g_return_val_if_fail(state < MS_POP3_N_STATES, "pop3.authorization");
    return state_phases[state];
}

const char *ms_pop3_event_kind_name(MsPop3EventKind kind)
{
    g_return_val_if_fail(kind < MS_POP3_N_EVENT_KINDS, "?");
    return event_names[kind];
}

const char *ms_pop3_client_state_name(MsPop3ClientState state)
{
    g_return_val_if_fail(state < MS_POP3_N_CLIENT_STATES, "?");
    return client_state_names[state];
}

/* Every key either engine puts on a line.  The texts are what a lecturer
 * would say pointing at the line; they are translated elsewhere. */
static const MsPop3Note notes[] = {
    { "pop3.greeting", "the server is ready; the session is in the AUTHORIZATION state" },
    { "pop3.cmd.user", "USER: the client names the maildrop it wants" },
    { "pop3.cmd.pass", "PASS: the password, sent in clear text" },
    { "pop3.cmd.apop", "APOP: name and MD5 digest of the greeting's timestamp and a shared secret" },
    { "pop3.cmd.stat", "STAT: how many messages, how many octets; a message marked for"
                       " deletion no longer counts (RFC 1939 5)" },
    { "pop3.cmd.list", "LIST: the size of each message" },
    { "pop3.cmd.retr", "RETR: send one whole message" },
    { "pop3.cmd.dele", "DELE: mark a message for deletion (removed only at QUIT)" },
    { "pop3.cmd.noop", "NOOP: do nothing, keep the session alive" },
    { "pop3.cmd.rset", "RSET: unmark every message marked for deletion, so QUIT will"
                       " remove nothing (RFC 1939 5)" },
    { "pop3.cmd.top", "TOP: the headers and the first lines of a message" },
    { "pop3.cmd.uidl", "UIDL: the unique id of each message, stable across sessions" },
    { "pop3.cmd.capa", "CAPA: which optional commands the server supports (RFC 2449)" },
    { "pop3.cmd.quit", "QUIT: end the session; from TRANSACTION it enters UPDATE" },
    { "pop3.cmd.quit.auth", "QUIT: end the session before logging in; there is no UPDATE"
                            " state, nothing changes (RFC 1939 4)" },
    { "pop3.cmd.unknown", "a command POP3 does not define" },
    { "pop3.reply.user", "+OK: the name is accepted, the password must follow" },
    { "pop3.reply.login", "+OK: maildrop locked and opened; now in the TRANSACTION state" },
    { "pop3.reply.stat", "+OK: message count and total size in octets" },
    { "pop3.reply.list", "+OK: scan listing (message number and size in octets)" },
    { "pop3.reply.retr", "+OK: the message follows, ended by a line with a single dot" },
    { "pop3.reply.top", "+OK: headers and first body lines follow, ended by a single dot" },
    { "pop3.reply.dele", "+OK: message marked as deleted; it is removed at QUIT" },
    { "pop3.reply.ok", "+OK: nothing to report" },
    { "pop3.reply.rset", "+OK: the deletion marks are removed; QUIT will delete nothing" },
    { "pop3.reply.rset.none", "+OK: no message was marked for deletion, so RSET changed"
                              " nothing" },
    { "pop3.reply.uidl", "+OK: unique-id listing (message number and unique id)" },
    { "pop3.reply.capa", "+OK: capability list follows (RFC 2449)" },
    { "pop3.reply.quit", "+OK: goodbye; QUIT before logging in changes nothing" },
    { "pop3.reply.quit.update", "+OK: UPDATE state: marked messages removed, lock released" },
    { "pop3.reply.quit.update.none", "+OK: UPDATE state: no message is marked for deletion,"
                                     " so none is removed; lock released" },
    { "pop3.reply.err.auth", "-ERR: authentication refused; the client may try again" },
    { "pop3.reply.err.sequence", "-ERR: PASS must come right after an accepted USER" },
    { "pop3.reply.err.unknown", "-ERR: the server does not know this command" },
    { "pop3.reply.err.locked", "-ERR: another session holds the maildrop's lock" },
    { "pop3.reply.err.maildrop", "-ERR: the maildrop could not be opened" },
    { "pop3.reply.err.nomsg", "-ERR: there is no message with this number" },
    { "pop3.reply.err.deleted", "-ERR: this message is already marked as deleted" },
    { "pop3.reply.err.syntax", "-ERR: missing, extra or malformed argument" },
    { "pop3.reply.err.state", "-ERR: this command is not allowed in the current state" },
    { "pop3.reply.err.toolong", "-ERR: command line longer than 255 octets (RFC 2449)" },
    { "pop3.reply.err.too-many-errors", "-ERR: the client sent too many bad commands in this"
                                        " session; the server closes the connection" },
    { "pop3.data.scan", "one line of the listing" },
    { "pop3.data.uidl", "message number and its unique id" },
    { "pop3.data.capa", "one capability" },
    { "pop3.data.line", "a line of the message" },
    { "pop3.data.stuffed", "a message line that begins with a dot, sent with one more dot" },
    { "pop3.data.end", "a single dot: end of the multi-line response" },
};

const MsPop3Note *ms_pop3_notes(gsize *n_out)
{
    if (n_out != NULL)
        *n_out = G_N_ELEMENTS(notes);
    return notes;
}

const char *ms_pop3_note_text(const char *key)
{
    return ms_proto_note_find(notes, G_N_ELEMENTS(notes), key);
}

const char *ms_pop3_command_note(const char *line, gsize len)
{
    static const struct {
        const char *verb;
        const char *note;
    } verbs[] = {
        { "USER", "pop3.cmd.user" }, { "PASS", "pop3.cmd.pass" }, { "APOP", "pop3.cmd.apop" },
        { "STAT", "pop3.cmd.stat" }, { "LIST", "pop3.cmd.list" }, { "RETR", "pop3.cmd.retr" },
        { "DELE", "pop3.cmd.dele" }, { "NOOP", "pop3.cmd.noop" }, { "RSET", "pop3.cmd.rset" },
        { "TOP", "pop3.cmd.top" },   { "UIDL", "pop3.cmd.uidl" }, { "CAPA", "pop3.cmd.capa" },
        { "QUIT", "pop3.cmd.quit" },
    };
    gsize verb_len = 0;
    while (verb_len < len && line[verb_len] != ' ')
        verb_len++;
    for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
        /* RFC 1939 section 3: keywords are case-insensitive. */
        if (ms_pop3_verb_is(verbs[i].verb, line, verb_len))
            return verbs[i].note;
    }
    return "pop3.cmd.unknown";
}

char *ms_pop3_apop_digest(const char *timestamp, const char *secret)
{
    g_return_val_if_fail(timestamp != NULL && secret != NULL, NULL);
    g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
    g_checksum_update(md5, (const guchar *) timestamp, (gssize) strlen(timestamp));
    g_checksum_update(md5, (const guchar *) secret, (gssize) strlen(secret));
    /* GChecksum prints lower-case hex, as section 7 requires. */
    return g_strdup(g_checksum_get_string(md5));
}

gboolean ms_pop3_uidl_is_valid(const char *uidl)
{
    if (uidl == NULL)
        return FALSE;
    gsize n = strlen(uidl);
    if (n < 1 || n > 70)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if ((guchar) uidl[i] < 0x21 || (guchar) uidl[i] > 0x7e)
            return FALSE;
    }
    return TRUE;
}

MsPop3Message *ms_pop3_message_new(const char *uidl, GBytes *data)
{
    g_return_val_if_fail(data != NULL, NULL);
    MsPop3Message *msg = g_new0(MsPop3Message, 1);
    msg->uidl = g_strdup(uidl);
    msg->data = g_bytes_ref(data);
    return msg;
}

void ms_pop3_message_free(MsPop3Message *msg)
{
    if (msg == NULL)
        return;
    g_free(msg->uidl);
    g_bytes_unref(msg->data);
    g_free(msg);
}

GPtrArray *ms_pop3_messages_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) ms_pop3_message_free);
}

MsPop3Event *ms_pop3_event_new(MsPop3EventKind kind)
{
    MsPop3Event *event = g_new0(MsPop3Event, 1);
    event->kind = kind;
    return event;
}

void ms_pop3_event_free(MsPop3Event *event)
{
    if (event == NULL)
        return;
    g_free(event->user);
    g_free(event->maildrop);
    g_free(event->text);
    if (event->numbers != NULL)
        g_array_unref(event->numbers);
    if (event->uidls != NULL)
        g_ptr_array_unref(event->uidls);
    g_free(event->uidl);
    if (event->data != NULL)
        g_bytes_unref(event->data);
    g_free(event);
}
