/* http_client.c - the client side of HTTP/1.1 (RFC 9112): a browser's
 * connection to one server.
 *
 * The glue queues requests; the client writes them on the connection one at
 * a time and reads the response to each - status line, header fields, then
 * content framed as the header section says (RFC 9112 6.3: none, a
 * Content-Length, the chunked coding, or everything until the server
 * closes).  Its state names what it waits for.  A connection is persistent
 * (RFC 9112 9.3): the next request goes out as soon as the previous
 * response is complete, or at once when pipelining is on.  When the glue
 * has no more requests (finish), the last one carries "Connection: close".
 */
#include "http-private.h"
#include "mailsim/core.h"

#include <string.h>

typedef struct {
    char *method;
    char *target;
    GPtrArray *headers;   /* MsHttpHeader */
    GBytes *body;         /* NULL when none */
    gpointer tag;
    gboolean close;       /* sent with "Connection: close" */
} Req;

struct MsHttpClient {
    char *host;
    char *user_agent;
    gboolean pipelining;
    gsize max_body;

    MsHttpClientState state;
    gboolean finished;    /* finish() was called */
    gboolean closing;     /* a request carried close: no more are sent */
    GByteArray *in;
    GPtrArray *output;    /* MsProtoLine */
    GQueue events;        /* MsHttpEvent */
    GQueue queued;        /* Req, not yet sent */
    GQueue sent;          /* Req, sent and not yet answered, oldest first */

    /* The response being read, to the head of sent. */
    char *version;
    guint status;
    char *reason;
    gboolean server_close; /* the server will close after this response */
    GPtrArray *headers;
    guint64 remaining;
    GByteArray *body;
    MsHttpChunked chunked;
};

/* ---- State, events ---------------------------------------------------------------- */

static void set_state(MsHttpClient *c, MsHttpClientState state)
{
    if (c->state == state)
        return;
    MS_DEBUG("http client: %s -> %s", ms_http_client_state_name(c->state),
            ms_http_client_state_name(state));
    c->state = state;
}

static void push_event(MsHttpClient *c, MsHttpEvent *event)
{
    g_queue_push_tail(&c->events, event);
}

static void req_free(Req *r)
{
    g_free(r->method);
    g_free(r->target);
    if (r->headers != NULL)
        g_ptr_array_unref(r->headers);
    if (r->body != NULL)
        g_bytes_unref(r->body);
    g_free(r);
}

static void response_reset(MsHttpClient *c)
{
    g_clear_pointer(&c->version, g_free);
    g_clear_pointer(&c->reason, g_free);
    g_clear_pointer(&c->headers, g_ptr_array_unref);
    g_clear_pointer(&c->body, g_byte_array_unref);
    ms_http_chunked_clear(&c->chunked);
    c->status = 0;
    c->remaining = 0;
    c->server_close = FALSE;
}

/* RESPONSE with status 0: no answer came to r (freed here). */
static void no_response(MsHttpClient *c, Req *r, gboolean unsent, const char *why)
{
    MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_RESPONSE);
    ev->tag = r->tag;
    ev->method = g_strdup(r->method);
    ev->unsent = unsent;
    ev->text = g_strdup(why);
    ev->headers = ms_http_headers_new();
    ev->body = g_bytes_new(NULL, 0);
    push_event(c, ev);
    req_free(r);
}

/* The connection ends: whatever is left gets no response, then CLOSE. */
static void shut(MsHttpClient *c, const char *why_sent, const char *why_unsent)
{
    Req *r;
    while ((r = g_queue_pop_head(&c->sent)) != NULL)
        no_response(c, r, FALSE, why_sent);
    while ((r = g_queue_pop_head(&c->queued)) != NULL)
        no_response(c, r, TRUE, why_unsent);
    response_reset(c);
    g_byte_array_set_size(c->in, 0);
    set_state(c, MS_HTTP_CLIENT_CLOSED);
    push_event(c, ms_http_event_new(MS_HTTP_EVENT_CLOSE));
}

static void protocol_error(MsHttpClient *c, const char *why)
{
    MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_PROTOCOL_ERROR);
    ev->text = g_strdup(why);
    push_event(c, ev);
    shut(c, "the response could not be read", "the connection was given up");
}

/* ---- Sending ------------------------------------------------------------------------- */

/* RFC 9110 9.2.2: methods whose effect does not change when repeated. */
static gboolean is_idempotent(const char *method)
{
    static const char *const idempotent[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT",
                                              "DELETE" };
    for (gsize i = 0; i < G_N_ELEMENTS(idempotent); i++) {
        if (strcmp(idempotent[i], method) == 0)
            return TRUE;
    }
    return FALSE;
}

static void write_request(MsHttpClient *c, Req *r)
{
    const char *phase = MS_HTTP_PHASE_REQUEST;
    g_autofree char *line = g_strdup_printf("%s %s HTTP/1.1", r->method, r->target);
    g_ptr_array_add(c->output, ms_proto_line_new(line, phase,
                                                 ms_http_request_note(line, strlen(line))));
    /* RFC 9112 3.2: a client must send Host in every HTTP/1.1 request. */
    ms_http_emit_field(c->output, phase, "Host", c->host);
    if (c->user_agent != NULL)
        ms_http_emit_field(c->output, phase, "User-Agent", c->user_agent);
    for (guint i = 0; i < r->headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index(r->headers, i);
        ms_http_emit_field(c->output, phase, h->name, h->value);
    }
    gsize size = r->body != NULL ? g_bytes_get_size(r->body) : 0;
    /* RFC 9110 8.6: a user agent sends Content-Length when there is
     * content, and for a method that expects content even when it is
     * empty. */
    if (size > 0 || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
        char len_s[24];
        g_snprintf(len_s, sizeof len_s, "%" G_GSIZE_FORMAT, size);
        ms_http_emit_field(c->output, phase, "Content-Length", len_s);
    }
    /* RFC 9112 9.6: the last request says the connection closes after it. */
    if (r->close)
        ms_http_emit_field(c->output, phase, "Connection", "close");
    g_ptr_array_add(c->output, ms_proto_line_new("", phase, "http.header.end"));
    const char *type = ms_http_headers_get(r->headers, "Content-Type");
    gboolean form = type != NULL
                    && g_ascii_strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
    ms_http_emit_body(c->output, phase, r->body, form ? "http.body.form" : "http.body.line", type);
}

/* Sends what may be sent now: the next request when none is outstanding,
 * or, pipelining, every queued one until an unanswered POST. */
static void send_ready(MsHttpClient *c)
{
    while (!c->closing && c->state != MS_HTTP_CLIENT_CLOSED && !g_queue_is_empty(&c->queued)) {
        if (!g_queue_is_empty(&c->sent)) {
            /* RFC 9112 9.3.2: no pipelining after a non-idempotent
             * request until its response has come. */
            const Req *last = g_queue_peek_tail(&c->sent);
            if (!c->pipelining || !is_idempotent(last->method))
                return;
        }
        Req *r = g_queue_pop_head(&c->queued);
        r->close = c->finished && g_queue_is_empty(&c->queued);
        if (r->close)
            c->closing = TRUE;
        write_request(c, r);
        g_queue_push_tail(&c->sent, r);
        if (c->state == MS_HTTP_CLIENT_IDLE)
            set_state(c, MS_HTTP_CLIENT_STATUS);
    }
}

/* ---- Reading responses -------------------------------------------------------------- */

/* Nothing outstanding: close if that was the last, else send on. */
static void after_response(MsHttpClient *c, gboolean server_close, gboolean sent_close)
{
    if (server_close) {
        /* RFC 9112 9.6: the server closes after this response; what was
         * pipelined behind it is lost, what was queued was never sent. */
        shut(c, "the server closed the connection before answering",
             "the server closed the connection before the request was sent");
        return;
    }
    set_state(c, g_queue_is_empty(&c->sent) ? MS_HTTP_CLIENT_IDLE : MS_HTTP_CLIENT_STATUS);
    if (sent_close || (c->finished && g_queue_is_empty(&c->sent)
                       && g_queue_is_empty(&c->queued))) {
        if (g_queue_is_empty(&c->sent))
            shut(c, NULL, NULL);
        return;
    }
    send_ready(c);
}

static void complete_response(MsHttpClient *c)
{
    Req *r = g_queue_pop_head(&c->sent);
    MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_RESPONSE);
    ev->tag = r->tag;
    ev->method = g_strdup(r->method);
    ev->status = c->status;
    ev->reason = g_steal_pointer(&c->reason);
    ev->version = g_steal_pointer(&c->version);
    ev->headers = g_steal_pointer(&c->headers);
    if (c->body != NULL)
        ev->body = g_byte_array_free_to_bytes(g_steal_pointer(&c->body));
    else if (c->chunked.body != NULL)
        ev->body = g_byte_array_free_to_bytes(g_steal_pointer(&c->chunked.body));
    else
        ev->body = g_bytes_new(NULL, 0);
    gboolean server_close = c->server_close;
    ev->keep_alive = !server_close && !r->close;
    push_event(c, ev);
    gboolean sent_close = r->close;
    req_free(r);
    response_reset(c);
    after_response(c, server_close, sent_close);
}

/*   status-line = HTTP-version SP status-code SP [ reason-phrase ]
 *                                                         (RFC 9112 4) */
static int read_status_line(MsHttpClient *c)
{
    g_autofree char *line = NULL;
    gsize len = 0;
    int r = ms_http_take_line(c->in, MS_HTTP_LINE_MAX, &line, &len);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LONG) {
        protocol_error(c, "a status line longer than 8000 octets");
        return MS_HTTP_DONE;
    }
    guint major = 0, minor = 0;
    if (len < 12 || !ms_http_parse_version(line, 8, &major, &minor) || line[8] != ' '
        || !g_ascii_isdigit(line[9]) || !g_ascii_isdigit(line[10])
        || !g_ascii_isdigit(line[11]) || (len > 12 && line[12] != ' ') || major != 1
        || strlen(line) != len) {
        /* A missing SP after the code is tolerated: "HTTP/1.1 200". */
        protocol_error(c, "a malformed status line");
        return MS_HTTP_DONE;
    }
    c->version = g_strndup(line, 8);
    c->status = (guint) ((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
    c->reason = g_strdup(len > 13 ? line + 13 : "");
    /* RFC 9112 9.3: HTTP/1.0 closes unless it says keep-alive (checked
     * again once the fields are read). */
    c->headers = ms_http_headers_new();
    set_state(c, MS_HTTP_CLIENT_HEADERS);
    return MS_HTTP_DONE;
}

static void end_of_headers(MsHttpClient *c)
{
    const Req *r = g_queue_peek_head(&c->sent);
    gboolean v10 = strcmp(c->version, "HTTP/1.0") == 0;
    c->server_close = v10 ? !ms_http_connection_has(c->headers, "keep-alive")
                          : ms_http_connection_has(c->headers, "close");
    if (c->status < 200) {
        /* RFC 9110 15.2: an interim response; the final one follows. */
        response_reset(c);
        set_state(c, MS_HTTP_CLIENT_STATUS);
        return;
    }
    /* RFC 9112 6.3 rule 1: no content in answer to HEAD, nor in 204 and
     * 304 responses. */
    if (strcmp(r->method, "HEAD") == 0 || c->status == 204 || c->status == 304) {
        complete_response(c);
        return;
    }
    g_autoptr(GPtrArray) codings = ms_http_transfer_codings(c->headers);
    gboolean has_length = FALSE;
    guint64 length = 0;
    const char *why = NULL;
    gboolean length_ok = ms_http_content_length(c->headers, &has_length, &length, &why);
    if (codings->len > 0) {
        /* RFC 9112 6.3 rule 3/4: Transfer-Encoding overrides Content-Length
         * (and then the connection must close); chunked last frames the
         * content, any other coding last means "until close". */
        if (has_length || !length_ok)
            c->server_close = TRUE;
        if (strcmp(g_ptr_array_index(codings, codings->len - 1), "chunked") == 0) {
            ms_http_chunked_init(&c->chunked);
            set_state(c, MS_HTTP_CLIENT_CHUNKED);
        } else {
            c->body = g_byte_array_new();
            c->server_close = TRUE;
            set_state(c, MS_HTTP_CLIENT_UNTIL_CLOSE);
        }
        return;
    }
    if (!length_ok) {
        /* RFC 9112 6.3 rule 5: an invalid Content-Length is unrecoverable. */
        protocol_error(c, why);
        return;
    }
    if (has_length && length > c->max_body) {
        protocol_error(c, "a response larger than the client takes");
        return;
    }
    c->body = g_byte_array_new();
    if (!has_length) {
        /* RFC 9112 6.3 rule 8: the content runs until the server closes. */
        c->server_close = TRUE;
        set_state(c, MS_HTTP_CLIENT_UNTIL_CLOSE);
        return;
    }
    c->remaining = length;
    set_state(c, MS_HTTP_CLIENT_BODY);
    if (length == 0)
        complete_response(c);
}

static int read_field(MsHttpClient *c)
{
    g_autofree char *line = NULL;
    gsize len = 0;
    int r = ms_http_take_line(c->in, MS_HTTP_LINE_MAX, &line, &len);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LONG || c->headers->len >= MS_HTTP_FIELDS_MAX) {
        protocol_error(c, "header fields too many or too long");
        return MS_HTTP_DONE;
    }
    if (len == 0) {
        end_of_headers(c);
        return MS_HTTP_DONE;
    }
    const char *why = NULL;
    /* RFC 9112 5.2: a user agent replaces obs-fold with SP. */
    if (ms_http_parse_field_line(line, len, c->headers, TRUE, &why) != MS_HTTP_DONE)
        protocol_error(c, why);
    return MS_HTTP_DONE;
}

static int read_body(MsHttpClient *c)
{
    if (c->in->len == 0)
        return MS_HTTP_MORE;
    gsize take = c->in->len < c->remaining ? c->in->len : (gsize) c->remaining;
    g_byte_array_append(c->body, c->in->data, (guint) take);
    g_byte_array_remove_range(c->in, 0, (guint) take);
    c->remaining -= take;
    if (c->remaining > 0)
        return MS_HTTP_MORE;
    complete_response(c);
    return MS_HTTP_DONE;
}

static int read_chunked(MsHttpClient *c)
{
    const char *why = NULL;
    int r = ms_http_chunked_feed(&c->chunked, c->in, c->max_body, &why);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LARGE)
        protocol_error(c, "a response larger than the client takes");
    else if (r != MS_HTTP_DONE)
        protocol_error(c, why);
    else
        complete_response(c);
    return MS_HTTP_DONE;
}

static int read_until_close(MsHttpClient *c)
{
    if (c->body->len + c->in->len > c->max_body) {
        protocol_error(c, "a response larger than the client takes");
        return MS_HTTP_DONE;
    }
    g_byte_array_append(c->body, c->in->data, c->in->len);
    g_byte_array_set_size(c->in, 0);
    return MS_HTTP_MORE;
}

static void process(MsHttpClient *c)
{
    for (;;) {
        int r = MS_HTTP_MORE;
        switch (c->state) {
        case MS_HTTP_CLIENT_IDLE:
            if (c->in->len > 0) {
                /* Bytes with no request outstanding (RFC 9112 9.3 lets a
                 * client treat them as an error); they are dropped. */
                g_byte_array_set_size(c->in, 0);
                MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_PROTOCOL_ERROR);
                ev->text = g_strdup("data from the server with no request outstanding");
                push_event(c, ev);
            }
            return;
        case MS_HTTP_CLIENT_STATUS:
            r = read_status_line(c);
            break;
        case MS_HTTP_CLIENT_HEADERS:
            r = read_field(c);
            break;
        case MS_HTTP_CLIENT_BODY:
            r = read_body(c);
            break;
        case MS_HTTP_CLIENT_CHUNKED:
            r = read_chunked(c);
            break;
        case MS_HTTP_CLIENT_UNTIL_CLOSE:
            r = read_until_close(c);
            break;
        case MS_HTTP_CLIENT_CLOSED:
        default:
            return;
        }
        if (r == MS_HTTP_MORE)
            return;
    }
}

/* ---- Public -------------------------------------------------------------------------- */

void ms_http_client_config_init(MsHttpClientConfig *config, const char *host)
{
    g_return_if_fail(config != NULL);
    memset(config, 0, sizeof *config);
    config->host = host;
    config->max_body = MS_HTTP_DEFAULT_MAX_BODY;
}

MsHttpClient *ms_http_client_new(const MsHttpClientConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    MsHttpClient *c = g_new0(MsHttpClient, 1);
    c->host = g_strdup(config->host != NULL ? config->host : "");
    c->user_agent = g_strdup(config->user_agent);
    c->pipelining = config->pipelining;
    c->max_body = config->max_body != 0 ? config->max_body : MS_HTTP_DEFAULT_MAX_BODY;
    c->state = MS_HTTP_CLIENT_IDLE;
    c->in = g_byte_array_new();
    c->output = ms_proto_lines_new();
    g_queue_init(&c->events);
    g_queue_init(&c->queued);
    g_queue_init(&c->sent);
    return c;
}

void ms_http_client_free(MsHttpClient *client)
{
    if (client == NULL)
        return;
    response_reset(client);
    g_queue_clear_full(&client->queued, (GDestroyNotify) req_free);
    g_queue_clear_full(&client->sent, (GDestroyNotify) req_free);
    g_queue_clear_full(&client->events, (GDestroyNotify) ms_http_event_free);
    g_ptr_array_unref(client->output);
    g_byte_array_unref(client->in);
    g_free(client->host);
    g_free(client->user_agent);
    g_free(client);
}

/* A target the request line can carry: visible ASCII, no spaces
 * (RFC 9112 3.2). */
static gboolean target_is_valid(const char *target)
{
    if (target == NULL || target[0] == '\0')
        return FALSE;
    for (const char *p = target; *p != '\0'; p++) {
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
            return FALSE;
    }
    return TRUE;
}

void ms_http_client_request(MsHttpClient *client, const char *method, const char *target,
                            const GPtrArray *headers, GBytes *body, gpointer tag)
{
    g_return_if_fail(client != NULL);
    Req *r = g_new0(Req, 1);
    r->method = g_strdup(method != NULL ? method : "");
    r->target = g_strdup(target != NULL ? target : "");
    r->headers = ms_http_headers_new();
    r->body = body != NULL ? g_bytes_ref(body) : NULL;
    r->tag = tag;
    if (client->finished || client->state == MS_HTTP_CLIENT_CLOSED) {
        no_response(client, r, TRUE, "the connection is closing");
        return;
    }
    if (!ms_http_is_token(r->method, strlen(r->method)) || !target_is_valid(r->target)) {
        no_response(client, r, TRUE, "not a valid request line");
        return;
    }
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        /* Host and the framing fields are the engine's own; a name that
         * is not a token or a value with CR/LF would break the message. */
        if (g_ascii_strcasecmp(h->name, "Host") == 0 || ms_http_is_framing_field(h->name)
            || !ms_http_is_token(h->name, strlen(h->name)) || strpbrk(h->value, "\r\n") != NULL)
            continue;
        ms_http_headers_add(r->headers, h->name, h->value);
    }
    g_queue_push_tail(&client->queued, r);
    send_ready(client);
}

void ms_http_client_finish(MsHttpClient *client)
{
    g_return_if_fail(client != NULL);
    if (client->finished || client->state == MS_HTTP_CLIENT_CLOSED)
        return;
    client->finished = TRUE;
    if (g_queue_is_empty(&client->queued) && g_queue_is_empty(&client->sent))
        shut(client, NULL, NULL);
}

void ms_http_client_feed(MsHttpClient *client, const char *bytes, gsize len)
{
    g_return_if_fail(client != NULL);
    if (client->state == MS_HTTP_CLIENT_CLOSED || len == 0)
        return;
    g_byte_array_append(client->in, (const guint8 *) bytes, (guint) len);
    process(client);
}

void ms_http_client_connection_lost(MsHttpClient *client)
{
    g_return_if_fail(client != NULL);
    if (client->state == MS_HTTP_CLIENT_CLOSED)
        return;
    if (client->state == MS_HTTP_CLIENT_UNTIL_CLOSE) {
        /* RFC 9112 6.3 rule 8: the close is the end of this content. */
        client->server_close = TRUE;
        complete_response(client);
        if (client->state == MS_HTTP_CLIENT_CLOSED)
            return;
    }
    /* RFC 9112 8: a message cut short by the close is incomplete. */
    shut(client, "the connection closed before the response was complete",
         "the connection closed before the request was sent");
}

GPtrArray *ms_http_client_take_output(MsHttpClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    GPtrArray *out = client->output;
    client->output = ms_proto_lines_new();
    return out;
}

MsHttpEvent *ms_http_client_next_event(MsHttpClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return g_queue_pop_head(&client->events);
}

MsHttpClientState ms_http_client_state(const MsHttpClient *client)
{
    g_return_val_if_fail(client != NULL, MS_HTTP_CLIENT_CLOSED);
    return client->state;
}

guint ms_http_client_outstanding(const MsHttpClient *client)
{
    g_return_val_if_fail(client != NULL, 0);
    return client->queued.length + client->sent.length;
}
