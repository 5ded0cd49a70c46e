/* agent_web.c - a browser as the user agent (web mail): the scenario's
 * `web ...` steps become HTTP requests to the user's mail server on port
 * 80, over one persistent connection while it stays open.  The browser
 * keeps the session cookie and follows redirects, as browsers do.  A
 * message page that lists attachments makes it fetch each one with a GET
 * of its own: the picture an <img> shows (as every browser does), and
 * the attachments offered for download (as if the reader clicked each).
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/http.h"
#include "mailsim/webmail.h"

typedef struct {
    MsSessionBase base;
    MsUserAgent *agent;
    MsTcpConn *conn;
    MsHttpClient *engine;
    gboolean established; /* requests wait for the handshake */
    gboolean closing;
    /* A browser sends nothing that needs the session cookie before the
     * login's answer has set it: steps taken meanwhile wait here. */
    GPtrArray *waiting;   /* const MsScAction* (transfer none) */
    guint64 requests;     /* requests queued on this connection */
    guint64 responses;    /* final responses received */
    guint64 login_reply;  /* the number of the login's response; 0: none due */
} AgentWeb;

static void act_now(AgentWeb *s, const MsScAction *action);

static void agent_web_free(gpointer p)
{
    AgentWeb *s = p;
    if (s->agent->web == s)
        s->agent->web = NULL;
    ms_http_client_free(s->engine);
    g_ptr_array_unref(s->waiting);
    g_free(s);
}

static void web_close(AgentWeb *s)
{
    if (s->agent->web == s)
        s->agent->web = NULL;
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_CLIENT);
    }
}

/* The tag of a request for message page N (its page may list
 * attachments): odd, with N above the low bit; other requests have none. */
#define TAG_MESSAGE_PAGE(n) GUINT_TO_POINTER(((guint) (n) << 1) | 1u)
#define TAG_IS_MESSAGE_PAGE(tag) ((GPOINTER_TO_UINT(tag) & 1u) != 0)
#define TAG_PAGE_NUMBER(tag) (GPOINTER_TO_UINT(tag) >> 1)

static void queue_request_tagged(AgentWeb *s, MsWebmailRequest *req, gpointer tag)
{
    s->requests++;
    ms_http_client_request(s->engine, req->method, req->target, req->headers, req->body, tag);
    ms_webmail_request_free(req);
}

static void queue_request(AgentWeb *s, MsWebmailRequest *req)
{
    queue_request_tagged(s, req, NULL);
}

/* The value of the attribute that starts at p (just after `name="`), up to
 * its closing quote, with the one character reference the pages put in
 * a URL (&amp;) undone; NULL when it does not end (transfer full). */
static char *attribute_value(const char *p, const char *end)
{
    const char *q = memchr(p, '"', (gsize) (end - p));
    if (q == NULL)
        return NULL;
    g_autoptr(GString) v = g_string_new_len(p, q - p);
    g_string_replace(v, "&amp;", "&", 0);
    return g_string_free(g_steal_pointer(&v), FALSE);
}

/* What a message page makes a browser fetch: every <img src="..."> and
 * every <a href="..." download>, in page order (transfer full). */
static GPtrArray *page_objects(GBytes *body)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gsize len = 0;
    const char *data = body != NULL ? g_bytes_get_data(body, &len) : NULL;
    if (data == NULL)
        return out;
    const char *end = data + len;
    static const char img[] = "<img src=\"", link[] = "<a href=\"";
    for (const char *p = data; p < end; p++) {
        gsize left = (gsize) (end - p);
        gboolean is_img = left > sizeof img - 1 && memcmp(p, img, sizeof img - 1) == 0;
        gboolean is_link = left > sizeof link - 1 && memcmp(p, link, sizeof link - 1) == 0;
        if (!is_img && !is_link)
            continue;
        const char *v = p + (is_img ? sizeof img : sizeof link) - 1;
        g_autofree char *target = attribute_value(v, end);
        if (target == NULL)
            break;
        const char *after = v + strlen(target);
        after = memchr(after, '"', (gsize) (end - after));
        gboolean download = after != NULL && (gsize) (end - after) > 9 &&
                            memcmp(after, "\" download", 10) == 0;
        if (target[0] == '/' && (is_img || download))
            g_ptr_array_add(out, g_steal_pointer(&target));
    }
    return out;
}

/* A message page arrived: the user reads the message in the browser, a
 * pull like a POP3 RETR or an IMAP FETCH, but no copy is kept.  The page
 * does not name its Message-ID; the simulation knows which message the
 * server's inbox holds at that number, so the summary can follow it. */
static void note_read(AgentWeb *s, guint number)
{
    MsUserAgent *agent = s->agent;
    MsMailServer *server = ms_world_server_by_name(agent->world, agent->server_name);
    MsServerUser *u = server != NULL ? ms_mail_server_find_user(server, agent->address) : NULL;
    MsImapMessageInfo m;
    if (u == NULL || number == 0 || !ms_imap_store_message(u->store, "INBOX", number - 1, &m))
        return;
    g_autofree char *mid = ms_message_id_of(m.data);
    ms_world_note(agent->world, MS_TRACE_MESSAGE, "message.read", agent->host_name, mid, 0,
                  "%s reads message %u in the browser on %s (web mail over HTTP); it stays on "
                  "the server", agent->local, number, agent->host_name);
}

static void on_response(AgentWeb *s, const MsHttpEvent *ev)
{
    MsUserAgent *agent = s->agent;
    const char *set_cookie = ms_http_headers_get(ev->headers, "Set-Cookie");
    if (set_cookie != NULL) {
        g_free(agent->web_cookie);
        agent->web_cookie = ms_http_set_cookie_pair(set_cookie);
    }
    /* RFC 9110 15.4: follow 302/303 with a GET, as a browser does. */
    const char *location = ms_http_headers_get(ev->headers, "Location");
    if ((ev->status == 302 || ev->status == 303) && location != NULL && !s->closing)
        queue_request(s, ms_webmail_request_get(location, agent->web_cookie));
    /* The page's attachments, each in a response of its own, on the same
     * persistent connection (RFC 9112 9.3). */
    if (TAG_IS_MESSAGE_PAGE(ev->tag) && ev->status == 200) {
        note_read(s, TAG_PAGE_NUMBER(ev->tag));
        g_autoptr(GPtrArray) objects = s->closing ? NULL : page_objects(ev->body);
        for (guint i = 0; objects != NULL && i < objects->len; i++)
            queue_request(s, ms_webmail_request_get(g_ptr_array_index(objects, i),
                                                    agent->web_cookie));
    }
    /* The login is answered (its cookie set, or refused): the steps that
     * waited go now, with the cookie, up to another login. */
    s->responses++;
    if (s->login_reply != 0 && s->responses >= s->login_reply) {
        s->login_reply = 0;
        while (s->waiting->len > 0 && s->login_reply == 0 && !s->closing) {
            const MsScAction *next = g_ptr_array_steal_index(s->waiting, 0);
            act_now(s, next);
        }
    }
}

static void pump(AgentWeb *s)
{
    gboolean close = FALSE;
    MsHttpEvent *ev;
    while ((ev = ms_http_client_next_event(s->engine)) != NULL) {
        if (ev->kind == MS_HTTP_EVENT_RESPONSE && ev->status != 0)
            on_response(s, ev);
        else if (ev->kind == MS_HTTP_EVENT_CLOSE)
            close = TRUE;
        ms_http_event_free(ev);
    }
    g_autoptr(GPtrArray) lines = ms_http_client_take_output(s->engine);
    ms_session_send_lines(s->agent->world, s->conn, MS_DIR_CLIENT, lines);
    if (close)
        web_close(s);
}

static void on_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    AgentWeb *s = data;
    s->established = TRUE;
    pump(s);
}

static void on_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    AgentWeb *s = data;
    ms_http_client_feed(s->engine, bytes, len);
    pump(s);
}

static void on_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    AgentWeb *s = data;
    ms_http_client_connection_lost(s->engine);
    MsHttpEvent *ev;
    while ((ev = ms_http_client_next_event(s->engine)) != NULL)
        ms_http_event_free(ev);
    web_close(s);
}

static void on_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    AgentWeb *s = data;
    ms_world_note(s->agent->world, MS_TRACE_ACTION, "web.unreachable", s->agent->host_name,
                  NULL, 0, "cannot reach the web-mail server %s: %s", s->agent->server_name, why);
    if (s->agent->web == s)
        s->agent->web = NULL;
    g_ptr_array_remove(s->agent->sessions, s);
}

static void on_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    AgentWeb *s = data;
    g_ptr_array_remove(s->agent->sessions, s);
}

static const MsTcpCallbacks callbacks = {
    .established = on_established,
    .data = on_data,
    .peer_closed = on_peer_closed,
    .refused = on_refused,
    .closed = on_closed,
};

/* The browser's connection to the server, opened when there is none. */
static AgentWeb *connection(MsUserAgent *agent)
{
    if (agent->web != NULL)
        return agent->web;
    MsHttpClientConfig cfg;
    ms_http_client_config_init(&cfg, agent->server_name);
    AgentWeb *s = g_new0(AgentWeb, 1);
    s->base.free = agent_web_free;
    s->agent = agent;
    s->engine = ms_http_client_new(&cfg);
    s->waiting = g_ptr_array_new();
    g_ptr_array_add(agent->sessions, s);
    agent->web = s;
    s->conn = ms_tcp_connect(agent->world->net, agent->host, ms_user_agent_server_host(agent),
                             MS_PORT_HTTP, "HTTP", &callbacks, s);
    return s;
}

static void act_now(AgentWeb *s, const MsScAction *action)
{
    MsUserAgent *agent = s->agent;
    const char *cookie = agent->web_cookie;
    MsWebmailRequest *req = NULL;
    gpointer tag = NULL;
    switch (action->kind) {
    case MS_SC_WEB_LOGIN: {
        const char *password = action->password != NULL ? action->password : agent->password;
        req = ms_webmail_request_login(agent->local, password != NULL ? password : "", cookie);
        break;
    }
    case MS_SC_WEB_INBOX:
        req = ms_webmail_request_get("/inbox", cookie);
        break;
    case MS_SC_WEB_READ: {
        g_autofree char *target = g_strdup_printf("/message/%u", action->number);
        req = ms_webmail_request_get(target, cookie);
        tag = TAG_MESSAGE_PAGE(action->number);
        break;
    }
    case MS_SC_WEB_SEND: {
        g_autoptr(GPtrArray) to = g_ptr_array_new();
        for (guint i = 0; i < action->to->len; i++)
            g_ptr_array_add(to, g_ptr_array_index(action->to, i));
        g_ptr_array_add(to, NULL);
        req = ms_webmail_request_send((const char *const *) to->pdata, action->subject,
                                      action->body, cookie);
        break;
    }
    case MS_SC_WEB_LOGOUT:
        req = ms_webmail_request_get("/logout", cookie);
        break;
    default:
        return;
    }
    queue_request_tagged(s, req, tag);
    if (action->kind == MS_SC_WEB_LOGIN)
        s->login_reply = s->requests;
    if (action->kind == MS_SC_WEB_LOGOUT) {
        /* The last request of the visit: the browser lets the connection go. */
        ms_http_client_finish(s->engine);
        g_clear_pointer(&agent->web_cookie, g_free);
    }
}

void ms_agent_web_act(MsUserAgent *agent, const MsScAction *action)
{
    AgentWeb *s = connection(agent);
    if (s->login_reply != 0) {
        g_ptr_array_add(s->waiting, (gpointer) action);
        return;
    }
    act_now(s, action);
    if (s->established)
        pump(s);
}
