/* server_web.c - web mail on a mail server (`webmail on`): HTTP on port 80,
 * where the browser is the user agent.  Each request goes to the web-mail
 * application (sim/proto/webmail.c), which reads the user's INBOX from the
 * same store POP3 and IMAP use; a message sent from the browser goes into
 * the server's outgoing queue and leaves with SMTP like any other.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/http.h"
#include "mailsim/message.h"
#include "mailsim/webmail.h"

typedef struct {
    MsServerSession base;
    MsHttpServer *engine;
} WebSession;

static gboolean web_auth(const char *user, const char *password, gpointer data,
                         char **address_out)
{
    MsServerUser *u = ms_mail_server_find_user(data, user);
    if (u == NULL || u->password == NULL || strcmp(u->password, password) != 0)
        return FALSE;
    *address_out = g_strdup(u->address);
    return TRUE;
}

static GPtrArray *web_list(const char *address, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    if (u == NULL)
        return NULL;
    GPtrArray *out = ms_webmail_summaries_new();
    guint n = ms_imap_store_count(u->store, "INBOX");
    for (guint i = 0; i < n; i++) {
        MsImapMessageInfo m;
        if (ms_imap_store_message(u->store, "INBOX", i, &m))
            g_ptr_array_add(out, ms_webmail_summary_from_bytes(m.data));
    }
    return out;
}

static GBytes *web_get(const char *address, guint number, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    MsImapMessageInfo m;
    if (u == NULL || number == 0 || !ms_imap_store_message(u->store, "INBOX", number - 1, &m))
        return NULL;
    return g_bytes_ref(m.data);
}

/* ---- folders (live mode) ---- */

static char **web_folders(const char *address, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    return u != NULL ? ms_imap_store_folders(u->store) : NULL;
}

static GPtrArray *web_list_in(const char *address, const char *folder, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    if (u == NULL || !ms_imap_store_has_folder(u->store, folder))
        return NULL;
    GPtrArray *out = ms_webmail_summaries_new();
    guint n = ms_imap_store_count(u->store, folder);
    for (guint i = 0; i < n; i++) {
        MsImapMessageInfo m;
        if (!ms_imap_store_message(u->store, folder, i, &m))
            continue;
        MsWebmailSummary *s = ms_webmail_summary_from_bytes(m.data);
        s->flagged = (m.flags & MS_IMAP_FLAG_FLAGGED) != 0;
        g_ptr_array_add(out, s);
    }
    return out;
}

static GBytes *web_get_in(const char *address, const char *folder, guint number, gpointer data)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    MsImapMessageInfo m;
    if (u == NULL || number == 0 || !ms_imap_store_message(u->store, folder, number - 1, &m))
        return NULL;
    return g_bytes_ref(m.data);
}

/* The same changes an IMAP client makes (RFC 3501 6.3.3, 6.4.6, 6.4.7,
 * RFC 6851), on the same store: the user's IMAP sessions hear of them. */
static gboolean web_change(const char *address, const MsWebmailChange *c, gpointer data,
                           char **error_out)
{
    MsServerUser *u = ms_mail_server_find_user(data, address);
    if (u == NULL) {
        *error_out = g_strdup("The mailbox could not be read.");
        return FALSE;
    }
    if (c->op == MS_WEBMAIL_OP_CREATE) {
        MsImapStoreResult r = ms_imap_store_create(u->store, c->folder);
        if (r != MS_IMAP_STORE_OK) {
            *error_out = g_strdup(ms_imap_store_result_text(r));
            return FALSE;
        }
        return TRUE;
    }
    MsImapMessageInfo m;
    if (!ms_imap_store_message(u->store, c->folder, c->number - 1, &m)) {
        *error_out = g_strdup("There is no such message.");
        return FALSE;
    }
    guint32 uid = m.uid;
    switch (c->op) {
    case MS_WEBMAIL_OP_DELETE:
        return ms_imap_store_remove(u->store, c->folder, uid);
    case MS_WEBMAIL_OP_FLAG:
        return ms_imap_store_set_flags(u->store, c->folder, uid, m.flags | MS_IMAP_FLAG_FLAGGED);
    case MS_WEBMAIL_OP_UNFLAG:
        return ms_imap_store_set_flags(u->store, c->folder, uid,
                                       m.flags & ~(guint) MS_IMAP_FLAG_FLAGGED);
    case MS_WEBMAIL_OP_COPY:
    case MS_WEBMAIL_OP_MOVE:
        if (strcmp(c->target, c->folder) == 0 ||
            ms_imap_store_copy(u->store, c->folder, uid, c->target) == 0) {
            *error_out = g_strdup("The message cannot go to that folder.");
            return FALSE;
        }
        if (c->op == MS_WEBMAIL_OP_MOVE)
            ms_imap_store_remove(u->store, c->folder, uid);
        return TRUE;
    default:
        return FALSE;
    }
}

void ms_server_web_enable_folders(MsMailServer *server)
{
    static const MsWebmailFolders folders = {
        .folders = web_folders,
        .list = web_list_in,
        .get = web_get_in,
        .change = web_change,
    };
    if (server->webmail != NULL)
        ms_webmail_enable_folders(server->webmail, &folders);
}

/* The server composes the message for the browser, as a web-mail service
 * does, then treats it like a submission: local recipients get it at once,
 * the others wait in the queue for SMTP. */
static gboolean web_send(const MsWebmailOutgoing *out, gpointer data, char **error_out)
{
    MsMailServer *server = data;
    MsWorld *world = server->world;
    g_autofree char *message_id = ms_world_message_id(world, server->domain, NULL);
    MsMessageDraft draft = {
        .from = out->from,
        .to = out->to,
        .subject = out->subject != NULL && *out->subject != '\0' ? out->subject : NULL,
        .date = ms_world_unix_time(world),
        .message_id = message_id,
        .text = out->body != NULL ? out->body : "",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) composed = ms_message_compose_bytes(&draft, &error);
    if (composed == NULL) {
        *error_out = g_strdup(error->message);
        return FALSE;
    }
    guint n = g_strv_length((char **) out->to);
    ms_world_note(world, MS_TRACE_MESSAGE, "message.composed", server->name, message_id, 0,
                  "%s composes message %s to %u recipient%s (%zu bytes) and submits it to %s",
                  out->from, message_id, n, n == 1 ? "" : "s", g_bytes_get_size(composed),
                  server->name);
    /* RFC 5321 4.4 asks every SMTP server that takes a message to put its
     * trace line on top; a web-mail service that takes one by HTTP writes
     * one too ("with HTTP"), so that the header shows every hop, the
     * browser's first. */
    char on_stack[256];
    g_autofree char *on_heap = NULL;
    const char *received = ms_mail_server_received(server, NULL, out->client, "HTTP", FALSE,
                                                   on_stack, sizeof on_stack, &on_heap);
    g_autoptr(GBytes) data_bytes =
        ms_message_prepend_to_bytes(composed, "Received", received, TRUE);
    g_autoptr(GPtrArray) remote = g_ptr_array_new();
    for (guint i = 0; i < n; i++) {
        MsServerUser *u = ms_mail_server_find_recipient(server, out->to[i]);
        if (u != NULL)
            ms_mail_server_deliver(server, u, out->from, data_bytes, message_id, NULL);
        else
            g_ptr_array_add(remote, (gpointer) out->to[i]);
    }
    if (remote->len > 0) {
        ms_mail_server_enqueue(server, out->from, (const char *const *) remote->pdata, remote->len,
                               data_bytes, message_id);
        ms_mail_server_wake_queue(server, ms_sim_now(world->sim));
    }
    return TRUE;
}

static GPtrArray *web_step(MsServerSession *base, gboolean *close_out)
{
    WebSession *s = (WebSession *) base;
    MsHttpEvent *ev;
    while ((ev = ms_http_server_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_HTTP_EVENT_REQUEST) {
            g_autoptr(MsWebmailResponse) r = ms_webmail_handle(
                base->server->webmail, base->peer, ev->method, ev->path, ev->headers, ev->body);
            ms_http_server_respond(s->engine, r->status, NULL, r->headers, r->body);
        } else if (ev->kind == MS_HTTP_EVENT_CLOSE) {
            *close_out = TRUE;
        }
        ms_http_event_free(ev);
    }
    GPtrArray *lines = ms_http_server_take_output(s->engine);
    /* Responding may have produced the close. */
    while ((ev = ms_http_server_next_event(s->engine)) != NULL) {
        *close_out = *close_out || ev->kind == MS_HTTP_EVENT_CLOSE;
        ms_http_event_free(ev);
    }
    return lines;
}

static void web_feed(MsServerSession *base, const char *bytes, gsize len)
{
    ms_http_server_feed(((WebSession *) base)->engine, bytes, len);
}

static gboolean web_peer_closed(MsServerSession *base)
{
    ms_http_server_connection_lost(((WebSession *) base)->engine);
    return FALSE;
}

static gint64 web_clock(gpointer data)
{
    MsMailServer *server = data;
    return ms_world_unix_time(server->world);
}

static void web_init(MsServerSession *base)
{
    /* Every method the engine knows reaches web mail, which answers 405
     * with the Allow of the page asked for (RFC 9110 15.5.6), not one
     * list for the whole server. */
    static const char *const methods[] = { "GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL };
    MsHttpServerConfig cfg;
    ms_http_server_config_init(&cfg);
    cfg.methods = methods;
    /* RFC 9110 6.6.1: the server has a clock, the simulated one. */
    cfg.clock = web_clock;
    cfg.clock_data = base->server;
    ((WebSession *) base)->engine = ms_http_server_new(&cfg);
}

static void web_finalize(MsServerSession *base)
{
    ms_http_server_free(((WebSession *) base)->engine);
}

static const char *web_client_note(MsServerSession *base, const char *line, gsize len,
                                   const char **phase_out)
{
    *phase_out = MS_HTTP_PHASE_REQUEST;
    switch (ms_http_server_state(((WebSession *) base)->engine)) {
    case MS_HTTP_SERVER_IDLE:
        return ms_http_request_note(line, len);
    case MS_HTTP_SERVER_HEADERS:
        return len == 0 ? "http.header.end" : ms_http_header_note(line, len);
    default:
        return "http.body.line";
    }
}

/* A short plain-text error page whose content says why, and the close
 * (RFC 9112 9.6); dated by the server's clock, as the engine's responses
 * are (RFC 9110 6.6.1). */
static GPtrArray *error_page(MsServerSession *base, const char *status_line, const char *note,
                             const char *why)
{
    GPtrArray *lines = ms_proto_lines_new();
    g_autofree char *body = g_strdup_printf("%s, closing connection", why);
    g_autofree char *length = g_strdup_printf("Content-Length: %zu", strlen(body));
    char date[MS_HTTP_DATE_LEN + 1];
    ms_http_format_date(date, web_clock(base->server));
    g_autofree char *date_line = g_strconcat("Date: ", date, NULL);
    g_ptr_array_add(lines, ms_proto_line_new(status_line, MS_HTTP_PHASE_RESPONSE, note));
    g_ptr_array_add(lines, ms_proto_line_new(date_line, MS_HTTP_PHASE_RESPONSE,
                                             "http.header.date"));
    g_ptr_array_add(lines, ms_proto_line_new("Content-Type: text/plain; charset=utf-8",
                                             MS_HTTP_PHASE_RESPONSE, "http.header.content-type"));
    g_ptr_array_add(lines, ms_proto_line_new(length, MS_HTTP_PHASE_RESPONSE,
                                             "http.header.content-length"));
    g_ptr_array_add(lines, ms_proto_line_new("Connection: close", MS_HTTP_PHASE_RESPONSE,
                                             "http.header.connection"));
    g_ptr_array_add(lines, ms_proto_line_new("", MS_HTTP_PHASE_RESPONSE, "http.header.end"));
    g_ptr_array_add(lines, ms_proto_line_new_len(body, strlen(body), "", MS_HTTP_PHASE_RESPONSE,
                                                 "http.body.line"));
    return lines;
}

/* RFC 9110 15.6.4: 503, and the connection closes (RFC 9112 9.6). */
static GPtrArray *web_farewell(MsServerSession *base, const char *why)
{
    return error_page(base, "HTTP/1.1 503 Service Unavailable", ms_http_status_note(503), why);
}

/* RFC 9112 9.6: a connection idle between requests is closed without a
 * word (a 503 would tell the browser to retry a request it never sent);
 * RFC 9110 15.5.9: 408 when a request was begun and not finished. */
static GPtrArray *web_idle_farewell(MsServerSession *base, const char *why, gboolean begun)
{
    WebSession *s = (WebSession *) base;
    if (!begun && ms_http_server_state(s->engine) == MS_HTTP_SERVER_IDLE)
        return NULL;
    return error_page(base, "HTTP/1.1 408 Request Timeout", ms_http_status_note(408), why);
}

static gboolean web_in_request(MsServerSession *base)
{
    MsHttpServerState st = ms_http_server_state(((WebSession *) base)->engine);
    return st == MS_HTTP_SERVER_HEADERS || st == MS_HTTP_SERVER_BODY ||
           st == MS_HTTP_SERVER_CHUNKED;
}

/* The browser speaks first: no start. */
const MsServerProtocol ms_server_web_protocol = {
    .protocol = "HTTP",
    .size = sizeof(WebSession),
    .init = web_init,
    .feed = web_feed,
    .step = web_step,
    .peer_closed = web_peer_closed,
    .finalize = web_finalize,
    .client_note = web_client_note,
    .farewell = web_farewell,
    .idle_farewell = web_idle_farewell,
    .in_request = web_in_request,
};

gboolean ms_server_web_listen(MsMailServer *server, GError **error)
{
    if (!server->spec->webmail)
        return TRUE;
    MsWebmailConfig cfg = {
        .hostname = server->name,
        .authenticate = web_auth,
        .list = web_list,
        .get = web_get,
        .send = web_send,
        .user_data = server,
    };
    server->webmail = ms_webmail_new(&cfg, error);
    if (server->webmail == NULL)
        return FALSE;
    return ms_server_session_listen(server, MS_PORT_HTTP, &ms_server_web_protocol, error);
}
