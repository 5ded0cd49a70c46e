/* user_agent.c - a user agent (mail reader) on a user's own machine: it
 * composes messages and submits them with SMTP to the user's mail server,
 * and retrieves mail with POP3 into a local store.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/message.h"
#include "mailsim/pop3.h"
#include "mailsim/smtp.h"


typedef struct {
    MsSessionBase base;
    MsUserAgent *agent;
    MsTcpConn *conn;
    MsSmtpClient *engine;
    char *message_id;      /* the first message's, for notes about the session */
    GPtrArray *message_ids; /* char*, by tag - 1; NULL for a single message
                             * (nearly every session), which is message_id */
    gboolean closing;
} SubmitSession;

typedef struct {
    MsSessionBase base;
    MsUserAgent *agent;
    MsTcpConn *conn;
    MsPop3Client *engine;
    gboolean closing;
} FetchSession;

/* A local copy's record, with copies of uidl and message_id (either may be
 * NULL); g_free() frees it. */
static LocalCopy *local_copy_new(const char *uidl, const char *message_id)
{
    gsize uidl_size = uidl != NULL ? strlen(uidl) + 1 : 0;
    gsize mid_size = message_id != NULL ? strlen(message_id) + 1 : 0;
    LocalCopy *c = g_malloc(sizeof *c + uidl_size + mid_size);
    c->uidl = uidl != NULL ? memcpy(c->text, uidl, uidl_size) : NULL;
    c->message_id = message_id != NULL ? memcpy(c->text + uidl_size, message_id, mid_size)
                                       : NULL;
    return c;
}

MsUserAgent *ms_user_agent_new(MsWorld *world, const MsScAgent *spec, GError **error)
{
    MsMailServer *server = ms_world_server_by_name(world, spec->server);
    if (server == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "agent %s: no server named %s",
                    spec->host, spec->server);
        return NULL;
    }
    MsUserAgent *agent = g_new0(MsUserAgent, 1);
    agent->world = world;
    agent->spec = spec;
    agent->host = ms_net_find_host(world->net, spec->host);
    agent->host_name = g_strdup(spec->host);
    agent->address = g_strdup(spec->user);
    agent->local = ms_address_local(spec->user);
    agent->server_name = g_strdup(ms_mail_server_name(server));
    agent->server_host = ms_mail_server_host(server);
    /* The notes' figure: the user agent speaks SMTP to port 25 of its
     * server (587, message submission, when the scenario says so). */
    const MsScServer *server_spec = ms_scenario_find_server(world->scenario, agent->server_name);
    agent->submit_port = server_spec != NULL && server_spec->submission_port != 0
                             ? (guint16) server_spec->submission_port
                             : MS_PORT_SMTP;
    agent->password = g_strdup(spec->password);
    agent->store = g_ptr_array_new_with_free_func(g_free);
    agent->received = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    agent->sessions = g_ptr_array_new_with_free_func(ms_session_free);
    agent->imap_known = g_array_new(FALSE, TRUE, sizeof(MsAgentKnownFolder));
    g_array_set_clear_func(agent->imap_known, ms_agent_known_folder_clear);
    g_autofree char *domain = ms_address_domain(spec->user);
    /* The user's mailbox lives on the server of the user's domain. */
    MsMailServer *home = ms_world_server_for_domain(world, domain);
    if (home != NULL)
        ms_mail_server_add_user(home, agent->local, spec->password, spec->host);
    return agent;
}

void ms_user_agent_free(MsUserAgent *agent)
{
    if (agent == NULL)
        return;
    g_ptr_array_unref(agent->sessions);
    g_ptr_array_unref(agent->store);
    g_ptr_array_unref(agent->received);
    g_array_unref(agent->imap_known);
    g_free(agent->web_cookie);
    g_free(agent->host_name);
    g_free(agent->address);
    g_free(agent->local);
    g_free(agent->server_name);
    g_free(agent->password);
    g_free(agent);
}

const char *ms_user_agent_host_name(const MsUserAgent *agent)
{
    return agent->host_name;
}

MsHost *ms_user_agent_server_host(MsUserAgent *agent)
{
    return agent->server_host;
}

/* ---- POP3 fetch --------------------------------------------------------- */

static void fetch_session_free(gpointer p)
{
    FetchSession *s = p;
    ms_pop3_client_free(s->engine);
    g_free(s);
}

static void fetch_close(FetchSession *s)
{
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_CLIENT);
    }
}

static void fetch_keep(FetchSession *s, const MsPop3Event *ev)
{
    MsUserAgent *agent = s->agent;
    /* Both fields in one pass over the header. */
    static const char *const names[] = { "Message-ID", "Subject" };
    char *values[G_N_ELEMENTS(names)];
    ms_message_peek_fields(ev->data, names, G_N_ELEMENTS(names), values);
    g_autofree char *message_id = values[0];
    g_autofree char *raw_subject = values[1];
    LocalCopy *c = local_copy_new(ev->uidl, message_id);
    g_ptr_array_add(agent->store, c);
    ms_user_agent_received(agent, ev->data);
    const char *mid = c->message_id;
    g_autofree char *subject = raw_subject != NULL ? ms_rfc2047_decode(raw_subject) : NULL;
    ms_world_note_text(agent->world, MS_TRACE_MESSAGE, "message.downloaded", agent->host_name,
                       mid, agent->address, agent->store->len,
                       "%s's agent downloaded message %u%s%s%s (%zu bytes)", agent->local,
                       ev->number, subject != NULL ? " \"" : "", subject != NULL ? subject : "",
                       subject != NULL ? "\"" : "", g_bytes_get_size(ev->data));
}

static void fetch_pump(FetchSession *s)
{
    GPtrArray *lines = ms_pop3_client_output(s->engine);
    gboolean close = FALSE;
    MsPop3Event *ev;
    while ((ev = ms_pop3_client_next_event(s->engine)) != NULL) {
        switch (ev->kind) {
        case MS_POP3_EVENT_MESSAGE:
            fetch_keep(s, ev);
            break;
        case MS_POP3_EVENT_AUTH_FAILED:
            ms_world_note(s->agent->world, MS_TRACE_ACTION, "pop3.login-refused", s->agent->host_name, NULL, 0,
                          "POP3 login as %s refused: %s", s->agent->local,
                          ev->text != NULL ? ev->text : "");
            break;
        case MS_POP3_EVENT_CLOSE:
            close = TRUE;
            break;
        default:
            break;
        }
        ms_pop3_event_free(ev);
    }
    ms_session_send_lines(s->agent->world, s->conn, MS_DIR_CLIENT, lines);
    ms_pop3_client_output_sent(s->engine);
    if (close)
        fetch_close(s);
}

static void fetch_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    FetchSession *s = data;
    ms_pop3_client_feed(s->engine, bytes, len);
    fetch_pump(s);
}

static void fetch_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    FetchSession *s = data;
    if (ms_pop3_client_state(s->engine) != MS_POP3_CLIENT_DONE)
        ms_pop3_client_abort(s->engine);
    fetch_close(s);
}

static void fetch_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    FetchSession *s = data;
    ms_world_note(s->agent->world, MS_TRACE_ACTION, "pop3.unreachable", s->agent->host_name, NULL, 0,
                  "cannot reach the POP3 server %s: %s", s->agent->server_name, why);
    ms_pop3_client_abort(s->engine);
    g_ptr_array_remove(s->agent->sessions, s);
}

static void fetch_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    FetchSession *s = data;
    g_ptr_array_remove(s->agent->sessions, s);
}

static const MsTcpCallbacks fetch_callbacks = {
    .data = fetch_data,
    .peer_closed = fetch_peer_closed,
    .refused = fetch_refused,
    .closed = fetch_closed,
};

static void start_fetch(MsUserAgent *agent, const MsScAction *action)
{
    const char *password = action->password != NULL ? action->password : agent->password;
    g_autoptr(GPtrArray) known = g_ptr_array_new();
    for (guint i = 0; i < agent->store->len; i++) {
        LocalCopy *c = g_ptr_array_index(agent->store, i);
        if (c->uidl != NULL)
            g_ptr_array_add(known, (gpointer) c->uidl);
    }
    g_ptr_array_add(known, NULL);
    MsPop3ClientConfig cfg = {
        .user = agent->local,
        .password = password != NULL ? password : "",
        .keep = action->keep || action->list_only,
        .list_only = action->list_only,
        .known_uidls = (const char *const *) known->pdata,
        .use_uidl = action->keep || action->list_only,
        .use_apop = action->apop,
        .use_stat = action->stat,
        .use_rset = action->rset,
        .lowercase = agent->spec->lowercase,
    };
    ms_world_note(agent->world, MS_TRACE_ACTION, "action.pop3-fetch", agent->host_name, NULL, 0,
                  "%s's agent checks the mailbox with POP3 (%s)", agent->local,
                  action->list_only ? "list only"
                  : action->rset    ? "download, mark, then undo the marks with RSET"
                  : action->keep    ? "download-and-keep"
                                    : "download-and-delete");
    FetchSession *s = g_new0(FetchSession, 1);
    s->base.free = fetch_session_free;
    s->agent = agent;
    s->engine = ms_pop3_client_new(&cfg);
    g_ptr_array_add(agent->sessions, s);
    s->conn = ms_tcp_connect(agent->world->net, agent->host, ms_user_agent_server_host(agent), MS_PORT_POP3,
                             "POP3", &fetch_callbacks, s);
}

void ms_user_agent_received(MsUserAgent *agent, GBytes *data)
{
    if (!agent->answers)
        return; /* nothing will choose from it: a campus's readers keep no text */
    /* The same message fetched again (IMAP "fetch new", then "read") is
     * one message to answer.  Linear in what the agent holds, which a
     * scenario keeps small (MS_SCENARIO_MAX_MESSAGES). */
    g_autofree char *mid = ms_message_peek_field(data, "Message-ID");
    for (guint i = 0; mid != NULL && i < agent->received->len; i++) {
        g_autofree char *other = ms_message_peek_field(g_ptr_array_index(agent->received, i),
                                                       "Message-ID");
        if (g_strcmp0(mid, other) == 0)
            return;
    }
    g_ptr_array_add(agent->received, g_bytes_ref(data));
}

/* ---- SMTP submission ---------------------------------------------------- */

static void submit_session_free(gpointer p)
{
    SubmitSession *s = p;
    ms_smtp_client_free(s->engine);
    g_free(s->message_id);
    if (s->message_ids != NULL)
        g_ptr_array_unref(s->message_ids);
    g_free(s);
}

static void submit_close(SubmitSession *s)
{
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_CLIENT);
    }
}

static void submit_pump(SubmitSession *s)
{
    GPtrArray *lines = ms_smtp_client_output(s->engine);
    gboolean close = FALSE;
    /* Events are popped into storage on the stack, as the relay does:
     * no block and no copy of the reply's text for each. */
    MsSmtpEvent event;
    const MsSmtpEvent *ev = &event;
    while (ms_smtp_client_pop_event(s->engine, &event)) {
        if (ev->kind == MS_SMTP_EVENT_MESSAGE_DONE) {
            guint i = GPOINTER_TO_UINT(ev->tag);
            const char *mid = s->message_ids != NULL && i >= 1 && i <= s->message_ids->len
                                  ? g_ptr_array_index(s->message_ids, i - 1)
                                  : s->message_id;
            /* Submitted is not delivered: the 250 only says the user's own
             * server took responsibility for the message (RFC 5321 4.1.1.4). */
            const char *result = ev->result == MS_SMTP_RESULT_DELIVERED
                                     ? "accepted by the server"
                                 : ev->result == MS_SMTP_RESULT_PARTIAL
                                     ? "accepted for some recipients"
                                     : ms_smtp_result_name(ev->result);
            /* A refusal names its reply code, as the S: line did: the
             * diagram's note says "rejected (554)", not just "failed". */
            gboolean refused = ev->result != MS_SMTP_RESULT_DELIVERED &&
                               ev->result != MS_SMTP_RESULT_PARTIAL && ev->code != 0;
            g_autofree char *code = refused ? g_strdup_printf("%u ", ev->code) : NULL;
            ms_world_note(s->agent->world, MS_TRACE_MESSAGE, "message.submitted",
                          s->agent->host_name, mid, 0, "submission of %s to %s: %s%s%s%s", mid,
                          s->agent->server_name, result, ev->text != NULL ? ": " : "",
                          code != NULL && ev->text != NULL ? code : "",
                          ev->text != NULL ? ev->text : "");
        } else if (ev->kind == MS_SMTP_EVENT_CLOSE) {
            close = TRUE;
        }
        ms_smtp_event_clear(&event);
    }
    ms_session_send_lines(s->agent->world, s->conn, MS_DIR_CLIENT, lines);
    ms_smtp_client_output_sent(s->engine);
    if (close)
        submit_close(s);
}

static void submit_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    SubmitSession *s = data;
    ms_smtp_client_feed(s->engine, bytes, len);
    submit_pump(s);
}

static void submit_lost(SubmitSession *s)
{
    if (ms_smtp_client_state(s->engine) != MS_SMTP_CLIENT_CLOSED) {
        ms_smtp_client_connection_lost(s->engine);
        submit_pump(s);
    }
}

static void submit_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    SubmitSession *s = data;
    submit_lost(s);
    submit_close(s);
}

static void submit_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    SubmitSession *s = data;
    ms_world_note(s->agent->world, MS_TRACE_ACTION, "submit.unreachable", s->agent->host_name, s->message_id, 0,
                  "cannot reach the mail server %s: %s", s->agent->server_name, why);
    s->closing = TRUE;
    submit_lost(s);
    g_ptr_array_remove(s->agent->sessions, s);
}

static void submit_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    SubmitSession *s = data;
    submit_lost(s);
    g_ptr_array_remove(s->agent->sessions, s);
}

static const MsTcpCallbacks submit_callbacks = {
    .data = submit_data,
    .peer_closed = submit_peer_closed,
    .refused = submit_refused,
    .closed = submit_closed,
};

/* The header's mailboxes: "Bob Smith <bob@hamburger.edu>" where the
 * scenario gave a display name (the composer quotes or encodes it), the
 * bare address otherwise, then a NULL, written at into; returns where the
 * next list goes.  The strings made go to *keep (made when first needed;
 * they outlive into). */
static const char **add_mailboxes(const char **into, GPtrArray **keep, const GPtrArray *addrs,
                                  const GPtrArray *names)
{
    for (guint i = 0; addrs != NULL && i < addrs->len; i++) {
        const char *addr = g_ptr_array_index(addrs, i);
        const char *name = names != NULL && i < names->len ? g_ptr_array_index(names, i) : "";
        if (name[0] == '\0') {
            *into++ = addr;
            continue;
        }
        if (*keep == NULL)
            *keep = g_ptr_array_new_with_free_func(g_free);
        char *m = g_strdup_printf("%s <%s>", name, addr);
        g_ptr_array_add(*keep, m);
        *into++ = m;
    }
    *into++ = NULL;
    return into;
}

/* Composes one message of a send action (transfer full), or NULL after
 * failing the world.  *message_id_out gets its Message-ID. */
static GBytes *compose(MsUserAgent *agent, const MsScAction *action,
                       const MsAgentAnswer *answer, guint index, guint count,
                       char **message_id_out, GStrv *recipients_out)
{
    MsWorld *world = agent->world;
    g_autofree char *message_id =
        ms_world_message_id(world, ms_address_domain_in(agent->address), NULL);
    /* To, Cc and Bcc, each ended by a NULL, in one array of their size:
     * on the stack for the few recipients a message has as a rule. */
    guint n_to = answer != NULL && answer->to != NULL ? g_strv_length((char **) answer->to)
                                                      : action->to->len;
    guint n_cc = action->cc != NULL ? action->cc->len : 0;
    guint n_bcc = action->bcc != NULL ? action->bcc->len : 0;
    gsize n_lists = n_to + n_cc + n_bcc + 3;
    const char *few[16];
    g_autofree const char **many = n_lists > G_N_ELEMENTS(few) ? g_new(const char *, n_lists)
                                                                : NULL;
    const char **lists = many != NULL ? many : few;
    g_autoptr(GPtrArray) mailboxes = NULL;
    const char **next = lists;
    if (answer != NULL && answer->to != NULL) {
        for (guint i = 0; answer->to[i] != NULL; i++)
            *next++ = answer->to[i];
        *next++ = NULL;
    } else {
        next = add_mailboxes(next, &mailboxes, action->to, action->to_names);
    }
    next = add_mailboxes(next, &mailboxes, action->cc, action->cc_names);
    next = add_mailboxes(next, &mailboxes, action->bcc, NULL);
    g_assert((gsize) (next - lists) == n_lists);
    const char *const *to = lists;
    const char *const *cc = to + n_to + 1;
    const char *const *bcc = cc + n_cc + 1;
    /* Attachments only when there are some. */
    g_autoptr(GArray) files = NULL;
    if (action->attachments->len > 0 || (answer != NULL && answer->forwarded != NULL))
        files = g_array_new(FALSE, TRUE, sizeof(MsAttachment));
    for (guint i = 0; i < action->attachments->len; i++) {
        const MsScAttachment *a = g_ptr_array_index(action->attachments, i);
        MsAttachment att = { .filename = a->filename, .content_type = a->content_type,
                             .data = a->data };
        g_array_append_val(files, att);
    }
    if (answer != NULL && answer->forwarded != NULL) {
        MsAttachment att = { .content_type = "message/rfc822", .data = answer->forwarded };
        g_array_prepend_val(files, att);
    }
    /* Several messages of one action are told apart by their subject;
     * the others' is the answer's or the action's as it is. */
    g_autofree char *numbered = answer == NULL && count > 1 && action->subject != NULL
                                    ? g_strdup_printf("%s (%u of %u)", action->subject,
                                                      index + 1, count)
                                    : NULL;
    const char *subject = answer != NULL     ? answer->subject
                          : numbered != NULL ? numbered
                                             : action->subject;
    const char *text = answer != NULL && answer->text != NULL ? answer->text
                       : action->body != NULL                 ? action->body
                                                              : "";
    MsMessageDraft draft = {
        .from = action->from != NULL ? action->from : agent->address,
        .to = to,
        .cc = n_cc > 0 ? cc : NULL,
        .bcc = n_bcc > 0 ? bcc : NULL,
        .subject = subject,
        .date = ms_world_unix_time(world),
        .message_id = message_id,
        .in_reply_to = answer != NULL ? answer->in_reply_to : NULL,
        .references = answer != NULL ? answer->references : NULL,
        .text = text,
        .html = action->html,
        .attachments = files != NULL ? (const MsAttachment *) (void *) files->data : NULL,
        .n_attachments = files != NULL ? files->len : 0,
        .charset = action->charset,
        .text_encoding = action->encoding,
        .raw_8bit = action->raw8bit,
    };
    g_autoptr(GError) error = NULL;
    GBytes *data = NULL;
    if (action->headers->len == 0) {
        /* Nothing to add: the bytes at once, as a rule without a message
         * of fields in between. */
        data = ms_message_compose_bytes(&draft, &error);
    } else {
        g_autoptr(MsMessage) msg = ms_message_compose(&draft, &error);
        for (guint i = 0; msg != NULL && i < action->headers->len; i++) {
            const char *h = g_ptr_array_index(action->headers, i);
            const char *colon = strchr(h, ':');
            if (colon == NULL)
                continue;
            g_autofree char *name = g_strndup(h, (gsize) (colon - h));
            g_autofree char *value = g_strdup(colon + 1);
            ms_message_add(msg, g_strstrip(name), g_strstrip(value));
        }
        data = msg != NULL ? ms_message_to_bytes(msg) : NULL;
    }
    if (data == NULL) {
        ms_world_fail(world, "%s: cannot compose the message: %s", agent->host_name,
                      error->message);
        return NULL;
    }
    *recipients_out = ms_message_draft_recipients(&draft);
    guint n = g_strv_length(*recipients_out);
    ms_world_note(world, MS_TRACE_MESSAGE, "message.composed", agent->host_name, message_id, 0,
                  "%s composes message %s to %u recipient%s (%zu bytes) and submits it to %s",
                  agent->address, message_id, n, n == 1 ? "" : "s", g_bytes_get_size(data),
                  agent->server_name);
    /* RFC 2045 6.8: what base64 costs - 4 characters per 3 bytes, plus a
     * CRLF every 76 characters.  The notes' "picture as 7-bit text". */
    for (guint i = 0; i < action->attachments->len; i++) {
        const MsScAttachment *a = g_ptr_array_index(action->attachments, i);
        g_autoptr(GBytes) canonical = ms_mime_attachment_canonical(a->content_type, a->data);
        gsize raw = g_bytes_get_size(canonical);
        gsize encoded = ms_base64_encoded_size(raw, TRUE);
        ms_world_note(world, MS_TRACE_MESSAGE, "message.attachment", agent->host_name,
                      message_id, (gint64) encoded,
                      "attachment %s (%s): %zu bytes become %zu bytes of base64 text (x%.2f)",
                      a->filename, a->content_type, raw, encoded,
                      raw > 0 ? (double) encoded / (double) raw : 0.0);
    }
    *message_id_out = g_steal_pointer(&message_id);
    return data;
}

void ms_user_agent_submit(MsUserAgent *agent, const MsScAction *action,
                          const MsAgentAnswer *answer)
{
    MsWorld *world = agent->world;
    MsSmtpClientConfig cfg;
    ms_smtp_client_config_init(&cfg, agent->host_name);
    cfg.use_ehlo = agent->spec->ehlo;
    cfg.pipelining = agent->spec->pipelining;
    /* A user agent that puts raw 8-bit text in a message also sends it
     * raw, 8BITMIME or not: what the 7-bit rule is there to stop. */
    cfg.force_8bit = action->raw8bit;

    SubmitSession *s = g_new0(SubmitSession, 1);
    s->base.free = submit_session_free;
    s->agent = agent;
    s->engine = ms_smtp_client_new(&cfg);
    guint count = MAX(action->count, 1);
    if (count > 1)
        s->message_ids = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < count; i++) {
        g_autofree char *message_id = NULL;
        g_auto(GStrv) recipients = NULL;
        g_autoptr(GBytes) data = compose(agent, action, answer, i, count, &message_id,
                                         &recipients);
        if (data == NULL) {
            submit_session_free(s);
            return;
        }
        ms_smtp_client_add_message(s->engine, agent->address, (const char *const *) recipients,
                                   g_strv_length(recipients), data, GUINT_TO_POINTER(i + 1));
        if (s->message_ids == NULL) {
            s->message_id = g_steal_pointer(&message_id);
            continue;
        }
        if (s->message_id == NULL)
            s->message_id = g_strdup(message_id);
        g_ptr_array_add(s->message_ids, g_steal_pointer(&message_id));
    }
    ms_smtp_client_finish(s->engine);
    g_ptr_array_add(agent->sessions, s);
    s->conn = ms_tcp_connect(world->net, agent->host, agent->server_host, agent->submit_port,
                             "SMTP", &submit_callbacks, s);
}

typedef struct {
    MsUserAgent *agent;
    const MsScAction *action;
} Repeat;

static void repeat_fetch(gpointer data);

/* Polling: the same fetch again every `every`, while it starts by `until`. */
static void schedule_repeat(MsUserAgent *agent, const MsScAction *action)
{
    MsTime next = ms_time_add(ms_sim_now(agent->world->sim), action->every);
    if (action->every <= 0 || next > action->until)
        return;
    Repeat *r = g_new0(Repeat, 1);
    r->agent = agent;
    r->action = action;
    g_ptr_array_add(agent->world->owned, r);
    ms_sim_schedule_at(agent->world->sim, next, repeat_fetch, r);
}

static void repeat_fetch(gpointer data)
{
    Repeat *r = data;
    start_fetch(r->agent, r->action);
    schedule_repeat(r->agent, r->action);
}

void ms_user_agent_act(MsUserAgent *agent, const MsScAction *action)
{
    switch (action->kind) {
    case MS_SC_SEND:
        ms_user_agent_submit(agent, action, NULL);
        break;
    case MS_SC_REPLY:
    case MS_SC_FORWARD:
        ms_agent_answer(agent, action);
        break;
    case MS_SC_POP3_FETCH:
        start_fetch(agent, action);
        schedule_repeat(agent, action);
        break;
    case MS_SC_TELNET:
        ms_telnet_start(agent->world, agent->host, action, agent->sessions);
        break;
    case MS_SC_IMAP_LOGIN:
    case MS_SC_IMAP_SELECT:
    case MS_SC_IMAP_EXAMINE:
    case MS_SC_IMAP_LIST:
    case MS_SC_IMAP_FETCH_NEW:
    case MS_SC_IMAP_READ:
    case MS_SC_IMAP_FLAG:
    case MS_SC_IMAP_UNFLAG:
    case MS_SC_IMAP_COPY:
    case MS_SC_IMAP_MOVE:
    case MS_SC_IMAP_EXPUNGE:
    case MS_SC_IMAP_CREATE:
    case MS_SC_IMAP_RENAME:
    case MS_SC_IMAP_DELETE:
    case MS_SC_IMAP_SEARCH:
    case MS_SC_IMAP_IDLE:
    case MS_SC_IMAP_LOGOUT:
    case MS_SC_IMAP_POLL:
        ms_agent_imap_act(agent, action);
        break;
    case MS_SC_WEB_LOGIN:
    case MS_SC_WEB_INBOX:
    case MS_SC_WEB_READ:
    case MS_SC_WEB_SEND:
    case MS_SC_WEB_LOGOUT:
        ms_agent_web_act(agent, action);
        break;
    default:
        ms_world_fail(agent->world, "%s: action '%s' is not supported yet", agent->host_name,
                      ms_sc_action_name(action->kind));
        break;
    }
}
