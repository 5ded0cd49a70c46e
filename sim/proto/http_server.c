/* http_server.c - the server side of HTTP/1.1 (RFC 9112 message syntax,
 * RFC 9110 semantics): reads requests, hands each to the glue, writes the
 * glue's answers as responses.
 *
 * The server never speaks first.  It reads a request line, header fields
 * and the content the header section announces, checks what RFC 9112 makes
 * a server check (a Host field in HTTP/1.1, one way of framing the
 * content, a method it knows), and then either answers the request itself
 * with an error status or passes it on as a REQUEST event.  Requests may
 * arrive pipelined, several in one segment; they are read ahead and
 * answered strictly in order (RFC 9112 9.3.2), each response waiting in its
 * slot until those before it are written.  The connection stays open after
 * each response unless the request said "Connection: close", came as
 * HTTP/1.0 without keep-alive, or could not be framed (RFC 9112 9.3, 9.6);
 * an HTTP/1.0 connection kept open is told so with "Connection:
 * keep-alive", for a 1.0 client closes otherwise (RFC 9112 Appendix C.2.2).
 */
#include "http-private.h"
#include "mailsim/core.h"

#include <string.h>

/* Requests read ahead of their answers, at most: past this the server
 * stops reading until the glue has answered some. */
#define PIPELINE_MAX 16

/* One response in the order the requests came. */
typedef struct {
    gboolean answered;
    gboolean head;      /* an answer to HEAD: fields only, RFC 9110 9.3.2 */
    gboolean close;     /* the connection closes after it */
    gboolean keep_alive; /* an HTTP/1.0 request's connection stays open */
    GPtrArray *lines;   /* MsProtoLine, once answered */
} Slot;

/* The request being read. */
typedef struct {
    char *method_text;
    MsHttpMethod method;
    char *target;
    char *path;
    guint minor;          /* HTTP/1.minor */
    GPtrArray *headers;   /* MsHttpHeader */
    guint64 remaining;    /* Content-Length octets still to come */
    GByteArray *body;
    MsHttpChunked chunked;
    gboolean close;
    /* Answered by the engine once the content is read: the framing was
     * understood, so the connection can go on (RFC 9110 15.5, 15.6). */
    guint error_status;
    const char *error_why;
} Request;

struct MsHttpServer {
    MsHttpServerState state;
    guint allowed;        /* bit (1 << MsHttpMethod) per allowed method */
    char *allow;          /* the Allow field value, "GET, HEAD, POST" */
    char *software;
    gsize max_body;
    gint64 (*clock)(gpointer clock_data);
    gpointer clock_data;
    gboolean lost;

    GByteArray *in;
    GPtrArray *output;    /* MsProtoLine */
    GQueue events;        /* MsHttpEvent */
    GQueue slots;         /* Slot, oldest first */
    guint unanswered;     /* REQUEST events not yet answered */
    guint empty_lines;    /* empty lines since the last request line */
    Request cur;
};

/* RFC 9112 2.2 asks a server to ignore at least one empty line before a
 * request line; a few are ignored, and more are a client holding the
 * connection with nothing (each one a line, none a request). */
#define EMPTY_LINES_MAX 4u

/* ---- State, events, slots ---------------------------------------------------- */

static void set_state(MsHttpServer *s, MsHttpServerState state)
{
    if (s->state == state)
        return;
    MS_DEBUG("http server: %s -> %s", ms_http_server_state_name(s->state),
            ms_http_server_state_name(state));
    s->state = state;
}

static void push_event(MsHttpServer *s, MsHttpEvent *event)
{
    g_queue_push_tail(&s->events, event);
}

static void slot_free(Slot *slot)
{
    if (slot->lines != NULL)
        g_ptr_array_unref(slot->lines);
    g_free(slot);
}

static void request_reset(Request *r)
{
    g_clear_pointer(&r->method_text, g_free);
    g_clear_pointer(&r->target, g_free);
    g_clear_pointer(&r->path, g_free);
    g_clear_pointer(&r->headers, g_ptr_array_unref);
    g_clear_pointer(&r->body, g_byte_array_unref);
    ms_http_chunked_clear(&r->chunked);
    memset(r, 0, sizeof *r);
}

/* Writes every answered response at the head of the queue, in order. */
static void flush(MsHttpServer *s)
{
    while (!g_queue_is_empty(&s->slots)) {
        Slot *slot = g_queue_peek_head(&s->slots);
        if (!slot->answered)
            return;
        g_queue_pop_head(&s->slots);
        for (guint i = 0; i < slot->lines->len; i++)
            g_ptr_array_add(s->output, g_steal_pointer(&slot->lines->pdata[i]));
        g_ptr_array_set_free_func(slot->lines, NULL);
        gboolean close = slot->close;
        slot_free(slot);
        if (close) {
            /* RFC 9112 9.6: after the response that carried close, the
             * server closes; nothing after it is answered. */
            g_queue_clear_full(&s->slots, (GDestroyNotify) slot_free);
            s->unanswered = 0;
            set_state(s, MS_HTTP_SERVER_CLOSED);
            push_event(s, ms_http_event_new(MS_HTTP_EVENT_CLOSE));
            return;
        }
    }
}

/* Stops reading: the connection closes once the queued responses are out. */
static void stop_reading(MsHttpServer *s)
{
    set_state(s, MS_HTTP_SERVER_CLOSED);
    g_byte_array_set_size(s->in, 0);
}

/* ---- Writing a response ---------------------------------------------------------- */

/* A value the glue gave, with CR and LF made spaces so that it can never
 * start a field of its own (RFC 9110 5.5). */
static char *clean_value(const char *value)
{
    char *v = g_strdup(value != NULL ? value : "");
    for (char *p = v; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    }
    return v;
}

static void format_response(MsHttpServer *s, Slot *slot, guint status, const char *reason,
                            const GPtrArray *headers, GBytes *body)
{
    const char *phase = MS_HTTP_PHASE_RESPONSE;
    GPtrArray *out = ms_proto_lines_new();
    if (reason == NULL)
        reason = ms_http_status_reason(status);
    g_autofree char *why = clean_value(reason);
    /* RFC 9112 4: status-line = HTTP-version SP status-code SP
     * [ reason-phrase ]; the second SP stays even when the phrase is
     * empty. */
    g_autofree char *status_line = g_strdup_printf("HTTP/1.1 %03u %s", status, why);
    g_ptr_array_add(out, ms_proto_line_new(status_line, phase, ms_http_status_note(status)));
    if (s->software != NULL)
        ms_http_emit_field(out, phase, "Server", s->software);
    /* RFC 9110 6.6.1: an origin server with a clock MUST send Date in its
     * 2xx, 3xx and 4xx responses (and may in 5xx): in every one here. */
    if (s->clock != NULL) {
        char date[MS_HTTP_DATE_LEN + 1];
        ms_http_format_date(date, s->clock(s->clock_data));
        ms_http_emit_field(out, phase, "Date", date);
    }
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        /* The engine alone decides the framing and the connection's fate. */
        if (ms_http_is_framing_field(h->name) || !ms_http_is_token(h->name, strlen(h->name)))
            continue;
        if (s->clock != NULL && g_ascii_strcasecmp(h->name, "Date") == 0)
            continue; /* RFC 9110 5.3: one Date field, the engine's */
        g_autofree char *value = clean_value(h->value);
        ms_http_emit_field(out, phase, h->name, value);
    }
    /* RFC 9110 8.6: no Content-Length in 1xx and 204 responses; RFC 9112
     * 6.3 rule 1: 304 has no content either.  In answer to HEAD it gives
     * the size a GET would have had (RFC 9110 9.3.2). */
    gboolean has_content = !(status < 200 || status == 204 || status == 304);
    if (has_content) {
        char len_s[24];
        g_snprintf(len_s, sizeof len_s, "%" G_GSIZE_FORMAT,
                   body != NULL ? g_bytes_get_size(body) : 0);
        ms_http_emit_field(out, phase, "Content-Length", len_s);
    }
    if (slot->close)
        ms_http_emit_field(out, phase, "Connection", "close");
    else if (slot->keep_alive)
        ms_http_emit_field(out, phase, "Connection", "keep-alive");
    g_ptr_array_add(out, ms_proto_line_new("", phase, "http.header.end"));
    if (has_content && !slot->head)
        ms_http_emit_body(out, phase, body, "http.body.line",
                          ms_http_headers_get(headers, "Content-Type"));
    slot->lines = out;
    slot->answered = TRUE;
}

/* The engine answers a request itself with an error page. */
static void answer_error(MsHttpServer *s, guint status, const char *why, gboolean close,
                         gboolean keep_alive, gboolean head)
{
    Slot *slot = g_new0(Slot, 1);
    slot->close = close;
    slot->keep_alive = keep_alive;
    slot->head = head;
    g_autoptr(GPtrArray) headers = ms_http_headers_new();
    ms_http_headers_add(headers, "Content-Type", "text/plain; charset=utf-8");
    /* RFC 9110 15.5.6: a 405 must list the methods the target allows. */
    if (status == 405)
        ms_http_headers_add(headers, "Allow", s->allow);
    g_autofree char *text = g_strdup_printf("%u %s: %s\r\n", status,
                                            ms_http_status_reason(status), why);
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
    format_response(s, slot, status, NULL, headers, body);
    g_queue_push_tail(&s->slots, slot);

    MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_PROTOCOL_ERROR);
    ev->status = status;
    ev->text = g_strdup(why);
    ev->note = ms_http_status_note(status);
    push_event(s, ev);
    flush(s);
}

/* An error after which the request cannot be framed: answer and close. */
static void fail(MsHttpServer *s, guint status, const char *why)
{
    gboolean head = s->cur.method == MS_HTTP_METHOD_HEAD && s->cur.method_text != NULL;
    request_reset(&s->cur);
    stop_reading(s);
    answer_error(s, status, why, TRUE, FALSE, head);
}

/* ---- Reading a request --------------------------------------------------------------- */

/* RFC 3986 3.2.2 and 3.2.3: the characters of host [ ":" port ]. */
static gboolean host_is_valid(const char *host)
{
    for (const char *p = host; *p != '\0'; p++) {
        guchar c = (guchar) *p;
        if (!g_ascii_isalnum(c) && strchr("-._~%!$&'()*+,;=:[]", c) == NULL)
            return FALSE;
    }
    return TRUE;
}

/*   request-target = origin-form / absolute-form / authority-form /
 *                    asterisk-form                          (RFC 9112 3.2)
 * Sets cur.path to the origin-form part.  FALSE when the target does not
 * fit the method. */
static gboolean parse_target(Request *r, const char *t, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if ((guchar) t[i] <= 0x20 || (guchar) t[i] >= 0x7f)
            return FALSE;
    }
    if (r->method == MS_HTTP_METHOD_CONNECT) {
        /* 3.2.3: authority-form, only for CONNECT. */
        if (memchr(t, '/', len) != NULL || memchr(t, ':', len) == NULL)
            return FALSE;
        r->path = g_strndup(t, len);
        return TRUE;
    }
    if (len == 1 && t[0] == '*') {
        /* 3.2.4: asterisk-form, only for OPTIONS. */
        if (r->method != MS_HTTP_METHOD_OPTIONS)
            return FALSE;
        r->path = g_strdup("*");
        return TRUE;
    }
    if (t[0] == '/') {
        /* 3.2.1: origin-form = absolute-path [ "?" query ]. */
        r->path = g_strndup(t, len);
        return TRUE;
    }
    /* 3.2.2: absolute-form, "http://host/path"; a server must accept it. */
    gsize i = 0;
    while (i < len && (g_ascii_isalnum(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.'))
        i++;
    if (i == 0 || !g_ascii_isalpha(t[0]) || len - i < 3 || memcmp(t + i, "://", 3) != 0)
        return FALSE;
    gsize a = i + 3;
    gsize e = a;
    while (e < len && t[e] != '/' && t[e] != '?' && t[e] != '#')
        e++;
    if (e == a)
        return FALSE;
    if (e == len)
        r->path = g_strdup("/");
    else if (t[e] == '/')
        r->path = g_strndup(t + e, len - e);
    else
        r->path = g_strdup_printf("/%.*s", (int) (len - e), t + e);
    return TRUE;
}

/*   request-line = method SP request-target SP HTTP-version  (RFC 9112 3) */
static int read_request_line(MsHttpServer *s)
{
    g_autofree char *line = NULL;
    gsize len = 0;
    int r = ms_http_take_line(s->in, MS_HTTP_LINE_MAX, &line, &len);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LONG) {
        /* RFC 9112 3: a target longer than the server reads gets 414. */
        fail(s, 414, "a request line longer than 8000 octets");
        return MS_HTTP_DONE;
    }
    /* RFC 9112 2.2: a server should ignore empty lines before a request
     * line (some clients send an extra CRLF after a POST). */
    if (len == 0) {
        if (++s->empty_lines > EMPTY_LINES_MAX)
            fail(s, 400, "empty lines and no request line");
        return MS_HTTP_DONE;
    }
    s->empty_lines = 0;

    Request *cur = &s->cur;
    const char *sp1 = memchr(line, ' ', len);
    const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', len - (gsize) (sp1 + 1 - line)) : NULL;
    const char *end = line + len;
    if (sp1 == NULL || sp2 == NULL || memchr(sp2 + 1, ' ', (gsize) (end - sp2 - 1)) != NULL) {
        /* RFC 9112 3: an invalid request-line gets 400. */
        fail(s, 400, "a request line that is not method SP target SP version");
        return MS_HTTP_DONE;
    }
    gsize method_len = (gsize) (sp1 - line);
    if (!ms_http_is_token(line, method_len)) {
        fail(s, 400, "a method that is not a token");
        return MS_HTTP_DONE;
    }
    guint major = 0, minor = 0;
    if (!ms_http_parse_version(sp2 + 1, (gsize) (end - sp2 - 1), &major, &minor)) {
        fail(s, 400, "a malformed HTTP version");
        return MS_HTTP_DONE;
    }
    if (major != 1) {
        /* RFC 9110 15.6.6: a major version the server does not speak. */
        fail(s, 505, "only HTTP/1.x is spoken here");
        return MS_HTTP_DONE;
    }
    cur->method_text = g_strndup(line, method_len);
    cur->method = ms_http_method_from_name(cur->method_text);
    /* RFC 9110 2.5: a higher minor version is taken as the highest this
     * server supports, 1.1. */
    cur->minor = minor > 1 ? 1 : minor;
    gsize target_len = (gsize) (sp2 - sp1 - 1);
    if (target_len == 0 || !parse_target(cur, sp1 + 1, target_len)) {
        fail(s, 400, "a malformed request target");
        return MS_HTTP_DONE;
    }
    cur->target = g_strndup(sp1 + 1, target_len);
    cur->headers = ms_http_headers_new();
    set_state(s, MS_HTTP_SERVER_HEADERS);
    return MS_HTTP_DONE;
}

static void complete_request(MsHttpServer *s)
{
    Request *cur = &s->cur;
    gboolean close = cur->close;
    /* RFC 9112 9.3 and Appendix C.2.2: a 1.0 client keeps the connection
     * only when the response says keep-alive; one that asked for it gets
     * it, with the answer saying so (closing would be allowed too, but the
     * client asked, and a page's objects then come over one connection,
     * as with 1.1). */
    gboolean keep_alive = !close && cur->minor == 0;
    if (cur->error_status != 0) {
        gboolean head = cur->method == MS_HTTP_METHOD_HEAD;
        guint status = cur->error_status;
        const char *why = cur->error_why;
        request_reset(cur);
        set_state(s, close ? MS_HTTP_SERVER_CLOSED : MS_HTTP_SERVER_IDLE);
        if (close)
            stop_reading(s);
        answer_error(s, status, why, close, keep_alive, head);
        return;
    }
    Slot *slot = g_new0(Slot, 1);
    slot->head = cur->method == MS_HTTP_METHOD_HEAD;
    slot->close = close;
    slot->keep_alive = keep_alive;
    g_queue_push_tail(&s->slots, slot);
    s->unanswered++;

    MsHttpEvent *ev = ms_http_event_new(MS_HTTP_EVENT_REQUEST);
    ev->method = g_steal_pointer(&cur->method_text);
    ev->target = g_steal_pointer(&cur->target);
    ev->path = g_steal_pointer(&cur->path);
    ev->version = g_strdup_printf("HTTP/1.%u", cur->minor);
    ev->headers = g_steal_pointer(&cur->headers);
    if (cur->body != NULL)
        ev->body = g_byte_array_free_to_bytes(g_steal_pointer(&cur->body));
    else if (cur->chunked.body != NULL)
        ev->body = g_byte_array_free_to_bytes(g_steal_pointer(&cur->chunked.body));
    else
        ev->body = g_bytes_new(NULL, 0);
    ev->keep_alive = !close;
    push_event(s, ev);
    request_reset(cur);
    if (close)
        stop_reading(s);
    else
        set_state(s, MS_HTTP_SERVER_IDLE);
}

/* Records an error to answer once the content is read (the first wins). */
static void defer_error(Request *cur, guint status, const char *why)
{
    if (cur->error_status != 0)
        return;
    cur->error_status = status;
    cur->error_why = why;
}

static void check_host(Request *cur)
{
    guint hosts = 0;
    const char *value = NULL;
    for (guint i = 0; i < cur->headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index(cur->headers, i);
        if (g_ascii_strcasecmp(h->name, "Host") == 0) {
            hosts++;
            value = h->value;
        }
    }
    /* RFC 9112 3.2: a server must answer 400 to an HTTP/1.1 request without
     * a Host field, with more than one, or with an invalid one. */
    if (hosts == 0 && cur->minor >= 1)
        defer_error(cur, 400, "no Host header field (required in HTTP/1.1)");
    else if (hosts > 1)
        defer_error(cur, 400, "more than one Host header field");
    else if (value != NULL && !host_is_valid(value))
        defer_error(cur, 400, "an invalid Host header field");
}

/* Whether the request's Expect field is "100-continue" (RFC 9110 10.1.1;
 * the value is case-insensitive). */
static gboolean expects_continue(const GPtrArray *headers)
{
    const char *v = ms_http_headers_get(headers, "Expect");
    if (v == NULL)
        return FALSE;
    g_autofree char *t = g_strstrip(g_strdup(v));
    return g_ascii_strcasecmp(t, "100-continue") == 0;
}

/* RFC 9110 15.2.1: the interim 100 (Continue), status line and the empty
 * line, ahead of any final response: the client sends the content now. */
static void send_continue(MsHttpServer *s)
{
    const char *phase = MS_HTTP_PHASE_RESPONSE;
    g_ptr_array_add(s->output, ms_proto_line_new("HTTP/1.1 100 Continue", phase,
                                                 ms_http_status_note(100)));
    g_ptr_array_add(s->output, ms_proto_line_new("", phase, "http.header.end"));
}

/* The header section is complete: decide how the content is framed
 * (RFC 9112 6.3) and whether the request can be served. */
static void end_of_headers(MsHttpServer *s)
{
    Request *cur = &s->cur;
    /* RFC 9112 9.3: HTTP/1.1 is persistent unless "close"; HTTP/1.0 only
     * with "keep-alive". */
    cur->close = cur->minor >= 1 ? ms_http_connection_has(cur->headers, "close")
                                 : !ms_http_connection_has(cur->headers, "keep-alive");
    check_host(cur);

    g_autoptr(GPtrArray) codings = ms_http_transfer_codings(cur->headers);
    gboolean has_length = FALSE;
    guint64 length = 0;
    const char *why = NULL;
    gboolean length_ok = ms_http_content_length(cur->headers, &has_length, &length, &why);
    if (codings->len > 0) {
        if (cur->minor == 0) {
            /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing. */
            fail(s, 400, "Transfer-Encoding in an HTTP/1.0 request");
            return;
        }
        if (has_length || !length_ok) {
            /* RFC 9112 6.3 rule 3: both fields may be an attempt at request
             * smuggling; a server may reject it and must then close. */
            fail(s, 400, "both Transfer-Encoding and Content-Length");
            return;
        }
        for (guint i = 0; i < codings->len; i++) {
            const char *c = g_ptr_array_index(codings, i);
            if (strcmp(c, "chunked") == 0 && i + 1 < codings->len) {
                /* RFC 9112 6.1: chunked is applied once, and last. */
                fail(s, 400, "chunked is not the last transfer coding");
                return;
            }
            if (strcmp(c, "chunked") != 0 && i + 1 < codings->len) {
                /* RFC 9112 6.1: a coding the server does not know: 501. */
                fail(s, 501, "a transfer coding this server does not implement");
                return;
            }
        }
        if (strcmp(g_ptr_array_index(codings, codings->len - 1), "chunked") != 0) {
            /* RFC 9112 6.3 rule 4: without chunked last the length of a
             * request cannot be known: 400 and close. */
            fail(s, 400, "a request whose last transfer coding is not chunked");
            return;
        }
        ms_http_chunked_init(&cur->chunked);
        set_state(s, MS_HTTP_SERVER_CHUNKED);
    } else if (!length_ok) {
        /* RFC 9112 6.3 rule 5: an invalid Content-Length is unrecoverable. */
        fail(s, 400, why);
        return;
    } else if (has_length && length > s->max_body) {
        /* RFC 9110 15.5.14: content larger than the server will take; the
         * content is not read, so the connection must close. */
        fail(s, 413, "the content is larger than this server takes");
        return;
    } else {
        /* RFC 9112 6.3 rule 6/7: Content-Length, or no content at all. */
        cur->remaining = length;
        cur->body = g_byte_array_new();
        set_state(s, MS_HTTP_SERVER_BODY);
    }

    if (cur->method == MS_HTTP_METHOD_UNKNOWN) {
        /* RFC 9110 9.1, 15.6.2: an unrecognised method gets 501. */
        defer_error(cur, 501, "a method this server does not recognise");
    } else if ((s->allowed & (1u << cur->method)) == 0) {
        /* RFC 9110 15.5.6: a known method this server does not allow. */
        defer_error(cur, 405, "a method this server does not allow");
    }
    /* RFC 9110 10.1.1: a client that sent "Expect: 100-continue" waits for
     * 100 before it sends the content, or for the final status instead;
     * a 100-continue in an HTTP/1.0 request is ignored.  A request already
     * refused gets its final status now, and the connection closes, its
     * content unread.  The 100 goes only when no earlier response is still
     * owed: on a pipelined connection it would read as theirs (the client
     * then sends the content after its own wait). */
    gboolean content_to_come = s->state == MS_HTTP_SERVER_CHUNKED ||
                               (s->state == MS_HTTP_SERVER_BODY && cur->remaining > 0);
    if (content_to_come && cur->minor >= 1 && expects_continue(cur->headers)) {
        if (cur->error_status != 0) {
            guint status = cur->error_status;
            const char *refused = cur->error_why;
            fail(s, status, refused);
            return;
        }
        if (g_queue_is_empty(&s->slots))
            send_continue(s);
    }
    if (s->state == MS_HTTP_SERVER_BODY && cur->remaining == 0)
        complete_request(s);
}

static int read_field(MsHttpServer *s)
{
    g_autofree char *line = NULL;
    gsize len = 0;
    int r = ms_http_take_line(s->in, MS_HTTP_LINE_MAX, &line, &len);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LONG) {
        /* RFC 6585 5: a header field too large to read. */
        fail(s, 431, "a header field line longer than 8000 octets");
        return MS_HTTP_DONE;
    }
    if (len == 0) {
        end_of_headers(s);
        return MS_HTTP_DONE;
    }
    if (s->cur.headers->len >= MS_HTTP_FIELDS_MAX) {
        fail(s, 431, "more than 100 header fields");
        return MS_HTTP_DONE;
    }
    const char *why = NULL;
    if (ms_http_parse_field_line(line, len, s->cur.headers, FALSE, &why) != MS_HTTP_DONE) {
        /* RFC 9112 5.1, 5.2: a malformed field line (white space before
         * the colon, obs-fold) gets 400. */
        fail(s, 400, why);
    }
    return MS_HTTP_DONE;
}

static int read_body(MsHttpServer *s)
{
    Request *cur = &s->cur;
    if (s->in->len == 0)
        return MS_HTTP_MORE;
    gsize take = s->in->len < cur->remaining ? s->in->len : (gsize) cur->remaining;
    g_byte_array_append(cur->body, s->in->data, (guint) take);
    g_byte_array_remove_range(s->in, 0, (guint) take);
    cur->remaining -= take;
    if (cur->remaining > 0)
        return MS_HTTP_MORE;
    complete_request(s);
    return MS_HTTP_DONE;
}

static int read_chunked(MsHttpServer *s)
{
    const char *why = NULL;
    int r = ms_http_chunked_feed(&s->cur.chunked, s->in, s->max_body, &why);
    if (r == MS_HTTP_MORE)
        return MS_HTTP_MORE;
    if (r == MS_HTTP_TOO_LARGE)
        fail(s, 413, "the content is larger than this server takes");
    else if (r != MS_HTTP_DONE)
        fail(s, 400, why);
    else
        complete_request(s);
    return MS_HTTP_DONE;
}

static void process(MsHttpServer *s)
{
    for (;;) {
        int r = MS_HTTP_MORE;
        switch (s->state) {
        case MS_HTTP_SERVER_IDLE:
            if (s->unanswered >= PIPELINE_MAX)
                return;
            r = read_request_line(s);
            break;
        case MS_HTTP_SERVER_HEADERS:
            r = read_field(s);
            break;
        case MS_HTTP_SERVER_BODY:
            r = read_body(s);
            break;
        case MS_HTTP_SERVER_CHUNKED:
            r = read_chunked(s);
            break;
        case MS_HTTP_SERVER_CLOSED:
        default:
            return;
        }
        if (r == MS_HTTP_MORE)
            return;
    }
}

/* ---- Public ---------------------------------------------------------------------------- */

void ms_http_server_config_init(MsHttpServerConfig *config)
{
    g_return_if_fail(config != NULL);
    memset(config, 0, sizeof *config);
    config->max_body = MS_HTTP_DEFAULT_MAX_BODY;
}

MsHttpServer *ms_http_server_new(const MsHttpServerConfig *config)
{
    static const char *const default_methods[] = { "GET", "HEAD", "POST", NULL };
    MsHttpServerConfig defaults;
    if (config == NULL) {
        ms_http_server_config_init(&defaults);
        config = &defaults;
    }
    MsHttpServer *s = g_new0(MsHttpServer, 1);
    const char *const *methods = config->methods != NULL ? config->methods : default_methods;
    GString *allow = g_string_new(NULL);
    for (guint i = 0; methods[i] != NULL; i++) {
        MsHttpMethod m = ms_http_method_from_name(methods[i]);
        if (m == MS_HTTP_METHOD_UNKNOWN || (s->allowed & (1u << m)) != 0)
            continue;
        s->allowed |= 1u << m;
        g_string_append_printf(allow, "%s%s", allow->len > 0 ? ", " : "", methods[i]);
    }
    s->allow = g_string_free(allow, FALSE);
    s->software = g_strdup(config->software);
    s->max_body = config->max_body != 0 ? config->max_body : MS_HTTP_DEFAULT_MAX_BODY;
    s->clock = config->clock;
    s->clock_data = config->clock_data;
    s->state = MS_HTTP_SERVER_IDLE;
    s->in = g_byte_array_new();
    s->output = ms_proto_lines_new();
    g_queue_init(&s->events);
    g_queue_init(&s->slots);
    return s;
}

void ms_http_server_free(MsHttpServer *server)
{
    if (server == NULL)
        return;
    request_reset(&server->cur);
    g_queue_clear_full(&server->slots, (GDestroyNotify) slot_free);
    g_queue_clear_full(&server->events, (GDestroyNotify) ms_http_event_free);
    g_ptr_array_unref(server->output);
    g_byte_array_unref(server->in);
    g_free(server->allow);
    g_free(server->software);
    g_free(server);
}

void ms_http_server_feed(MsHttpServer *server, const char *bytes, gsize len)
{
    g_return_if_fail(server != NULL);
    if (server->state == MS_HTTP_SERVER_CLOSED || len == 0)
        return;
    g_byte_array_append(server->in, (const guint8 *) bytes, (guint) len);
    process(server);
}

void ms_http_server_respond(MsHttpServer *server, guint status, const char *reason,
                            const GPtrArray *headers, GBytes *body)
{
    g_return_if_fail(server != NULL);
    g_return_if_fail(status >= 200 && status <= 999);
    if (server->lost)
        return;
    Slot *slot = NULL;
    for (GList *l = server->slots.head; l != NULL && slot == NULL; l = l->next) {
        Slot *candidate = l->data;
        if (!candidate->answered)
            slot = candidate;
    }
    g_return_if_fail(slot != NULL);
    format_response(server, slot, status, reason, headers, body);
    server->unanswered--;
    flush(server);
    /* Answers free room in the pipeline: read on. */
    process(server);
}

guint ms_http_server_pending(const MsHttpServer *server)
{
    g_return_val_if_fail(server != NULL, 0);
    return server->unanswered;
}

void ms_http_server_connection_lost(MsHttpServer *server)
{
    g_return_if_fail(server != NULL);
    server->lost = TRUE;
    request_reset(&server->cur);
    g_queue_clear_full(&server->slots, (GDestroyNotify) slot_free);
    server->unanswered = 0;
    g_byte_array_set_size(server->in, 0);
    set_state(server, MS_HTTP_SERVER_CLOSED);
}

GPtrArray *ms_http_server_take_output(MsHttpServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    GPtrArray *out = server->output;
    server->output = ms_proto_lines_new();
    return out;
}

MsHttpEvent *ms_http_server_next_event(MsHttpServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return g_queue_pop_head(&server->events);
}

MsHttpServerState ms_http_server_state(const MsHttpServer *server)
{
    g_return_val_if_fail(server != NULL, MS_HTTP_SERVER_CLOSED);
    return server->state;
}
