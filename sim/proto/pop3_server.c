/* pop3_server.c - the server side of a POP3 session (RFC 1939, CAPA from
 * RFC 2449).
 *
 * The server greets, authenticates the client (USER/PASS or APOP), locks the
 * maildrop and takes a snapshot of it; in TRANSACTION it answers listings
 * and retrievals and only *marks* messages for deletion; QUIT from
 * TRANSACTION enters UPDATE, where the marked messages are handed to the
 * glue for removal and the lock is released.  The commands that do this are
 * in pop3_server_commands.c; this file has the engine's life cycle, its
 * replies from the profile, the release of the maildrop and its input.
 */
#include "pop3-private.h"

#include "mailsim/core.h"

/* ---- Replies ------------------------------------------------------------- */

/* A reply from the profile; the variables are name, value pairs ending
 * with NULL.  {host} is always available. */
void ms_pop3_server_reply(MsPop3Server *s, MsPop3TextId id, ...)
{
    /* No reply has more than four variables besides {host}. */
    const char *vars[16];
    gsize n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *v = va_arg(ap, const char *); v != NULL; v = va_arg(ap, const char *)) {
        g_assert(n < G_N_ELEMENTS(vars) - 3);
        vars[n++] = v;
    }
    va_end(ap);
    g_assert(n % 2 == 0);
    vars[n++] = "host";
    vars[n++] = s->hostname;
    vars[n] = NULL;
    ms_pop3_profile_expand(s->profile, id, vars, s->scratch);
    ms_pop3_server_scratch_emit(s, ms_pop3_text_note(id));
    /* The client's mistakes, not the answers about mailboxes and messages
     * (a wrong password or message number is not a broken protocol). */
    if (id == MS_POP3_T_UNKNOWN || id == MS_POP3_T_WRONG_STATE || id == MS_POP3_T_BAD_ARG
        || id == MS_POP3_T_TOO_LONG || id == MS_POP3_T_NO_USER)
        s->errors++;
}

/* ---- Maildrop -------------------------------------------------------------- */

static void clear_snapshot(MsPop3Server *s)
{
    g_clear_pointer(&s->messages, g_ptr_array_unref);
    g_clear_pointer(&s->deleted, g_free);
    g_clear_pointer(&s->maildrop, g_free);
}

/* Gives the lock back; no message is removed here. */
void ms_pop3_server_release_maildrop(MsPop3Server *s, gboolean aborted)
{
    if (s->maildrop == NULL)
        return;
    s->unlock(s->maildrop, s->user_data);
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_UNLOCKED);
    ev->maildrop = g_strdup(s->maildrop);
    ev->aborted = aborted;
    ms_pop3_server_push_event(s, ev);
    clear_snapshot(s);
}

/* ---- Input --------------------------------------------------------------- */

static void process(MsPop3Server *s)
{
    while (s->state == MS_POP3_STATE_AUTHORIZATION || s->state == MS_POP3_STATE_TRANSACTION) {
        const char *line = NULL;
        gsize len = 0;
        MsEol eol = MS_EOL_CRLF;
        MsLineResult r = ms_line_reader_peek(s->reader, &line, &len, &eol);
        if (r == MS_LINE_NONE)
            return;
        if (r == MS_LINE_TOO_LONG) {
            /* RFC 2449 section 4: at most 255 octets with the CRLF. */
            g_clear_pointer(&s->user_next, g_free);
            ms_pop3_server_reply(s, MS_POP3_T_TOO_LONG, NULL);
        } else {
            ms_pop3_server_command_line(s, line, len);
        }
        if (s->errors >= MS_PROTO_MAX_ERRORS && s->state != MS_POP3_STATE_CLOSED) {
            /* RFC 1939 has no reply for this; like Dovecot, the server
             * says -ERR and closes.  Not through UPDATE: the session did
             * not end with QUIT, so nothing marked is removed (section 6). */
            ms_pop3_server_reply(s, MS_POP3_T_TOO_MANY_ERRORS, NULL);
            ms_pop3_server_release_maildrop(s, TRUE);
            ms_pop3_server_set_state(s, MS_POP3_STATE_CLOSED);
            ms_pop3_server_push_event(s, ms_pop3_event_new(MS_POP3_EVENT_CLOSE));
        }
    }
}

/* ---- Public ----------------------------------------------------------------- */

MsPop3Server *ms_pop3_server_new(const MsPop3ServerConfig *config, GError **error)
{
    g_return_val_if_fail(config != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    const MsPop3Profile *profile = ms_pop3_profile_find(config->profile);
    if (profile == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO,
                    "unknown POP3 reply profile \"%s\" (known: default, textbook)",
                    config->profile);
        return NULL;
    }
    if (config->authenticate == NULL || config->lock == NULL || config->unlock == NULL
        || config->load == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO,
                    "a POP3 server needs authenticate, lock, unlock and load callbacks");
        return NULL;
    }
    MsPop3Server *s = g_new0(MsPop3Server, 1);
    s->state = MS_POP3_STATE_INIT;
    s->profile = profile;
    s->hostname = g_strdup(config->hostname != NULL ? config->hostname : "localhost");
    s->known_user = config->known_user;
    s->authenticate = config->authenticate;
    s->apop_secret = config->apop_secret;
    s->lock = config->lock;
    s->unlock = config->unlock;
    s->load = config->load;
    s->user_data = config->user_data;
    if (s->apop_secret != NULL) {
        /* RFC 1939 section 7: "<process-ID.clock@hostname>". */
        s->timestamp = g_strdup_printf("<%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT "@%s>",
                                       config->apop_pid, config->apop_clock, s->hostname);
    }
    s->reader = ms_line_reader_new(MS_POP3_COMMAND_MAX);
    s->output = ms_proto_output_new();
    s->scratch = g_string_sized_new(128);
    g_queue_init(&s->events);
    return s;
}

void ms_pop3_server_free(MsPop3Server *server)
{
    if (server == NULL)
        return;
    if (server->maildrop != NULL)
        server->unlock(server->maildrop, server->user_data);
    clear_snapshot(server);
    g_queue_clear_full(&server->events, (GDestroyNotify) ms_pop3_event_free);
    ms_proto_output_free(server->output);
    g_string_free(server->scratch, TRUE);
    ms_line_reader_free(server->reader);
    g_free(server->user_next);
    g_free(server->user_prev);
    g_free(server->timestamp);
    g_free(server->hostname);
    g_free(server);
}

void ms_pop3_server_start(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    if (server->state != MS_POP3_STATE_INIT)
        return;
    /* RFC 1939 section 4: the greeting puts the session in AUTHORIZATION. */
    ms_pop3_server_set_state(server, MS_POP3_STATE_AUTHORIZATION);
    ms_pop3_server_reply(server, MS_POP3_T_GREETING, "timestamp",
                         server->timestamp != NULL ? server->timestamp : "", NULL);
    process(server);
}

void ms_pop3_server_feed(MsPop3Server *server, const char *bytes, gsize len)
{
    g_return_if_fail(server != NULL);
    if (server->state == MS_POP3_STATE_CLOSED || server->state == MS_POP3_STATE_UPDATE)
        return;
    ms_line_reader_feed(server->reader, bytes, len);
    process(server);
}

GPtrArray *ms_pop3_server_take_output(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_take(server->output);
}

GPtrArray *ms_pop3_server_output(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_lines(server->output);
}

void ms_pop3_server_output_sent(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    ms_proto_output_clear(server->output);
}

MsPop3Event *ms_pop3_server_next_event(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return g_queue_pop_head(&server->events);
}

void ms_pop3_server_abort(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    /* RFC 1939 section 6: a session that ends other than by QUIT from
     * TRANSACTION does not enter UPDATE; nothing is removed. */
    ms_pop3_server_release_maildrop(server, TRUE);
    ms_pop3_server_set_state(server, MS_POP3_STATE_CLOSED);
}

MsPop3State ms_pop3_server_state(const MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, MS_POP3_STATE_CLOSED);
    return server->state;
}

const char *ms_pop3_server_timestamp(const MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return server->timestamp;
}
