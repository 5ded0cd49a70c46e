/* http_common.c - what both HTTP engines share: the names of methods,
 * statuses, states and events, the table of annotation keys a transcript
 * explains, header field lists and cookies, and the byte-level readers of
 * RFC 9112 message syntax (lines, field lines, Content-Length, chunked).
 */
#include "http-private.h"

#include <string.h>

/* ---- Names ------------------------------------------------------------------ */

#define METHOD_NAME_(e, token, note) [e] = token,
static const char *const method_names[] = { MS_HTTP_METHODS(METHOD_NAME_) };
#undef METHOD_NAME_

#define SERVER_STATE_NAME_(e, name, phase) [e] = name,
static const char *const server_state_names[] = { MS_HTTP_SERVER_STATES(SERVER_STATE_NAME_) };
#undef SERVER_STATE_NAME_

#define CLIENT_STATE_NAME_(e, name, phase) [e] = name,
static const char *const client_state_names[] = { MS_HTTP_CLIENT_STATES(CLIENT_STATE_NAME_) };
#undef CLIENT_STATE_NAME_

#define EVENT_NAME_(e, name) [e] = name,
static const char *const event_names[] = { MS_HTTP_EVENT_KINDS(EVENT_NAME_) };
#undef EVENT_NAME_

typedef struct {
    guint code;
    const char *reason;
    const char *note;
} Status;

#define STATUS_ROW_(code, reason, note) { code, reason, note },
static const Status statuses[] = { MS_HTTP_STATUSES(STATUS_ROW_) };
#undef STATUS_ROW_

const char *ms_http_method_name(MsHttpMethod method)
{
    if (method >= MS_HTTP_N_METHODS)
        return "?";
    return method_names[method];
}

MsHttpMethod ms_http_method_from_name(const char *token)
{
    if (token == NULL)
        return MS_HTTP_METHOD_UNKNOWN;
    /* RFC 9110 9.1: the method token is case-sensitive. */
    for (guint i = 0; i < MS_HTTP_N_METHODS; i++) {
        if (strcmp(method_names[i], token) == 0)
            return (MsHttpMethod) i;
    }
    return MS_HTTP_METHOD_UNKNOWN;
}

const char *ms_http_status_reason(guint status)
{
    for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++) {
        if (statuses[i].code == status)
            return statuses[i].reason;
    }
    return NULL;
}

const char *ms_http_status_note(guint status)
{
    for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++) {
        if (statuses[i].code == status)
            return statuses[i].note;
    }
    return "http.status.other";
}

const char *ms_http_server_state_name(MsHttpServerState state)
{
    g_return_val_if_fail(state < MS_HTTP_SERVER_N_STATES, "?");
    return server_state_names[state];
}

const char *ms_http_client_state_name(MsHttpClientState state)
{
    g_return_val_if_fail(state < MS_HTTP_CLIENT_N_STATES, "?");
    return client_state_names[state];
}

const char *ms_http_event_kind_name(MsHttpEventKind kind)
{
    g_return_val_if_fail(kind < MS_HTTP_N_EVENT_KINDS, "?");
    return event_names[kind];
}

/* ---- Notes -------------------------------------------------------------------- */

/* Every key either engine puts on a line, in the order a page fetch meets
 * them.  The texts are what a lecturer would say pointing at the line;
 * they are translated elsewhere. */
static const MsHttpNote notes[] = {
    { "http.request.get", "GET: the browser pulls one object (a page, a picture) from the"
                          " server" },
    { "http.request.head", "HEAD: like GET, but only the header fields come back" },
    { "http.request.post", "POST: the browser sends data (a filled-in form) to the server" },
    { "http.request.put", "PUT: replace the resource at this target with the content" },
    { "http.request.delete", "DELETE: remove the resource at this target" },
    { "http.request.connect", "CONNECT: open a tunnel through a proxy" },
    { "http.request.options", "OPTIONS: which methods the server supports" },
    { "http.request.trace", "TRACE: echo the request back, for debugging" },
    { "http.request.patch", "PATCH: change part of the resource (RFC 5789)" },
    { "http.request.other", "a request line with a method HTTP does not define" },
    { "http.header.host", "Host: which site the request is for; required in HTTP/1.1" },
    { "http.header.user-agent", "User-Agent: the browser that sends the request" },
    { "http.header.accept", "Accept: which media types the browser would like back" },
    { "http.header.cookie", "Cookie: the session cookie the server set, sent back with"
                            " every request: this is how a stateless protocol keeps a login" },
    { "http.header.content-type", "Content-Type: the media type of the content (HTML page,"
                                  " form data, a picture)" },
    { "http.header.content-disposition", "Content-Disposition: show the content in the page"
                                         " (inline) or save it (attachment), and its file"
                                         " name (RFC 6266)" },
    { "http.header.content-length", "Content-Length: the exact size of the content in"
                                    " bytes, line endings included" },
    { "http.header.transfer-encoding", "Transfer-Encoding: the content is sent in chunks,"
                                       " each with its size" },
    { "http.header.connection", "Connection: close - the connection ends after this"
                                " response (HTTP/1.1 connections are persistent by default)" },
    { "http.header.connection.keep-alive", "Connection: keep-alive - an HTTP/1.0 connection"
                                           " stays open for the next request (HTTP/1.0"
                                           " closes after each response unless both sides"
                                           " say keep-alive; HTTP/1.1 needs no word for it)" },
    { "http.header.server", "Server: the software that answers" },
    { "http.header.date", "Date: when the response was made" },
    { "http.header.location", "Location: where the browser should go next" },
    { "http.header.set-cookie", "Set-Cookie: the server gives the browser a session"
                                " cookie to send back" },
    { "http.header.set-cookie.remove", "Set-Cookie with Max-Age=0: the browser forgets the"
                                       " session cookie (RFC 6265 5.2.2): logged out" },
    { "http.header.allow", "Allow: the methods this target supports" },
    { "http.header.www-authenticate", "WWW-Authenticate: how to authenticate (here: the"
                                      " login form)" },
    { "http.header.other", "a header field" },
    { "http.header.end", "an empty line: the header section ends; the content (if any)"
                         " follows" },
    { "http.body.line", "a line of the content (an HTML page, or a text part of a message)" },
    { "http.body.binary", "the content as it is, not text (here a picture's bytes, decoded"
                          " from the message's base64: HTTP needs no transfer encoding);"
                          " Content-Length counts them" },
    { "http.body.form", "form data: name=value pairs joined by &, percent-encoded" },
    { "http.status.100", "100 Continue: send the rest of the request" },
    { "http.status.200", "200 OK: the request succeeded; what was asked for follows" },
    { "http.status.201", "201 Created: a new resource was made" },
    { "http.status.204", "204 No Content: done, nothing to show" },
    { "http.status.301", "301 Moved Permanently: the page has a new address (Location)" },
    { "http.status.302", "302 Found: go to the page in Location (a redirect)" },
    { "http.status.303", "303 See Other: the POST was handled; GET the page in Location" },
    { "http.status.304", "304 Not Modified: the browser's cached copy is still good" },
    { "http.status.400", "400 Bad Request: the request is malformed" },
    { "http.status.401", "401 Unauthorized: wrong or missing credentials" },
    { "http.status.403", "403 Forbidden: the server refuses the request" },
    { "http.status.404", "404 Not Found: there is nothing at this target" },
    { "http.status.405", "405 Method Not Allowed: this target does not accept this method"
                         " (see Allow)" },
    { "http.status.408", "408 Request Timeout: the request did not arrive whole in time;"
                         " the connection closes" },
    { "http.status.411", "411 Length Required: the request needs a Content-Length" },
    { "http.status.413", "413 Content Too Large: the content is bigger than the server"
                         " takes" },
    { "http.status.414", "414 URI Too Long: the request target is longer than the server"
                         " reads" },
    { "http.status.415", "415 Unsupported Media Type: the server cannot read this content"
                         " type" },
    { "http.status.431", "431 Request Header Fields Too Large: too many or too long header"
                         " fields" },
    { "http.status.500", "500 Internal Server Error: the server failed to answer" },
    { "http.status.501", "501 Not Implemented: the server does not know this method" },
    { "http.status.503", "503 Service Unavailable: the server cannot answer now" },
    { "http.status.505", "505 HTTP Version Not Supported" },
    { "http.status.other", "a status line: a three-digit code and a reason phrase" },
};

const MsHttpNote *ms_http_notes(gsize *n_out)
{
    if (n_out != NULL)
        *n_out = G_N_ELEMENTS(notes);
    return notes;
}

const char *ms_http_note_text(const char *key)
{
    return ms_proto_note_find(notes, G_N_ELEMENTS(notes), key);
}

const char *ms_http_request_note(const char *line, gsize len)
{
#define METHOD_NOTE_(e, token, note) [e] = note,
    static const char *const method_notes[] = { MS_HTTP_METHODS(METHOD_NOTE_) };
#undef METHOD_NOTE_
    const char *sp = memchr(line, ' ', len);
    gsize n = sp != NULL ? (gsize) (sp - line) : len;
    for (guint i = 0; i < MS_HTTP_N_METHODS; i++) {
        if (strlen(method_names[i]) == n && memcmp(method_names[i], line, n) == 0)
            return method_notes[i];
    }
    return "http.request.other";
}

/* Whether a Set-Cookie line carries Max-Age=0 or a negative Max-Age. */
static gboolean max_age_zero(const char *line, gsize len)
{
    g_autofree char *s = g_ascii_strdown(line, (gssize) len);
    const char *p = strstr(s, "max-age=");
    if (p == NULL)
        return FALSE;
    p += strlen("max-age=");
    if (*p == '-')
        return TRUE;
    while (*p == '0')
        p++;
    return !g_ascii_isdigit(*p) && p[-1] == '0';
}

/* Whether a Connection line names the keep-alive option (RFC 9110
 * 7.6.1: options are case-insensitive) and not close. */
static gboolean has_keep_alive(const char *line, gsize len)
{
    g_autofree char *s = g_ascii_strdown(line, (gssize) len);
    return strstr(s, "keep-alive") != NULL && strstr(s, "close") == NULL;
}

const char *ms_http_header_note(const char *line, gsize len)
{
    static const char *const known[] = {
        "host", "user-agent", "accept", "cookie", "content-type", "content-length",
        "transfer-encoding", "connection", "server", "date", "location", "set-cookie",
        "allow", "www-authenticate", "content-disposition",
    };
    static const char *const keys[] = {
        "http.header.host", "http.header.user-agent", "http.header.accept",
        "http.header.cookie", "http.header.content-type", "http.header.content-length",
        "http.header.transfer-encoding", "http.header.connection", "http.header.server",
        "http.header.date", "http.header.location", "http.header.set-cookie",
        "http.header.allow", "http.header.www-authenticate",
        "http.header.content-disposition",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(known) == G_N_ELEMENTS(keys));
    const char *colon = memchr(line, ':', len);
    gsize n = colon != NULL ? (gsize) (colon - line) : len;
    for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
        /* RFC 9110 5.1: field names are case-insensitive. */
        if (strlen(known[i]) != n || g_ascii_strncasecmp(known[i], line, n) != 0)
            continue;
        /* RFC 6265 5.2.2: Max-Age=0 (or less) removes the cookie. */
        if (strcmp(keys[i], "http.header.set-cookie") == 0 && max_age_zero(line, len))
            return "http.header.set-cookie.remove";
        /* RFC 9112 Appendix C.2.2: HTTP/1.0's keep-alive, not close. */
        if (strcmp(keys[i], "http.header.connection") == 0 && has_keep_alive(line, len))
            return "http.header.connection.keep-alive";
        return keys[i];
    }
    return "http.header.other";
}

/* ---- Header fields and cookies ------------------------------------------------ */

MsHttpHeader *ms_http_header_new(const char *name, const char *value)
{
    MsHttpHeader *h = g_new0(MsHttpHeader, 1);
    h->name = g_strdup(name != NULL ? name : "");
    h->value = g_strdup(value != NULL ? value : "");
    return h;
}

void ms_http_header_free(MsHttpHeader *header)
{
    if (header == NULL)
        return;
    g_free(header->name);
    g_free(header->value);
    g_free(header);
}

GPtrArray *ms_http_headers_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) ms_http_header_free);
}

void ms_http_headers_add(GPtrArray *headers, const char *name, const char *value)
{
    g_return_if_fail(headers != NULL);
    g_ptr_array_add(headers, ms_http_header_new(name, value));
}

const char *ms_http_headers_get(const GPtrArray *headers, const char *name)
{
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        if (g_ascii_strcasecmp(h->name, name) == 0)
            return h->value;
    }
    return NULL;
}

GPtrArray *ms_http_headers_copy(const GPtrArray *headers)
{
    GPtrArray *copy = ms_http_headers_new();
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        ms_http_headers_add(copy, h->name, h->value);
    }
    return copy;
}

char *ms_http_cookie_get(const GPtrArray *headers, const char *name)
{
    g_return_val_if_fail(name != NULL, NULL);
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        if (g_ascii_strcasecmp(h->name, "Cookie") != 0)
            continue;
        /* RFC 6265 4.2.1: cookie-string = cookie-pair *( ";" SP cookie-pair );
         * cookie names are case-sensitive. */
        g_auto(GStrv) pairs = g_strsplit(h->value, ";", -1);
        for (guint j = 0; pairs[j] != NULL; j++) {
            char *pair = g_strstrip(pairs[j]);
            char *eq = strchr(pair, '=');
            if (eq == NULL)
                continue;
            *eq = '\0';
            if (strcmp(g_strstrip(pair), name) == 0)
                return g_strdup(g_strstrip(eq + 1));
        }
    }
    return NULL;
}

char *ms_http_set_cookie_pair(const char *set_cookie)
{
    if (set_cookie == NULL)
        return NULL;
    /* RFC 6265 5.2: the name-value-pair is everything before the first ';';
     * without '=' or with an empty name the whole Set-Cookie is ignored. */
    const char *semi = strchr(set_cookie, ';');
    g_autofree char *pair = semi != NULL ? g_strndup(set_cookie, (gsize) (semi - set_cookie))
                                         : g_strdup(set_cookie);
    char *eq = strchr(pair, '=');
    if (eq == NULL)
        return NULL;
    *eq = '\0';
    g_autofree char *name = g_strdup(g_strstrip(pair));
    g_autofree char *value = g_strdup(g_strstrip(eq + 1));
    if (name[0] == '\0')
        return NULL;
    return g_strconcat(name, "=", value, NULL);
}

/* ---- Events --------------------------------------------------------------------- */

MsHttpEvent *ms_http_event_new(MsHttpEventKind kind)
{
    MsHttpEvent *event = g_new0(MsHttpEvent, 1);
    event->kind = kind;
    return event;
}

void ms_http_event_free(MsHttpEvent *event)
{
    if (event == NULL)
        return;
    g_free(event->method);
    g_free(event->target);
    g_free(event->path);
    g_free(event->reason);
    g_free(event->version);
    if (event->headers != NULL)
        g_ptr_array_unref(event->headers);
    if (event->body != NULL)
        g_bytes_unref(event->body);
    g_free(event->text);
    g_free(event);
}

/* ---- Reading messages ------------------------------------------------------------ */

int ms_http_take_line(GByteArray *in, gsize max, char **line_out, gsize *len_out)
{
    const guint8 *nl = memchr(in->data, '\n', in->len);
    if (nl == NULL)
        return in->len > max + 1 ? MS_HTTP_TOO_LONG : MS_HTTP_MORE;
    gsize end = (gsize) (nl - in->data);
    gsize consumed = end + 1;
    /* RFC 9112 2.2: CRLF ends a line; a recipient may take a bare LF and
     * ignore a CR before it. */
    if (end > 0 && in->data[end - 1] == '\r')
        end--;
    if (end > max)
        return MS_HTTP_TOO_LONG;
    /* Copied whole, NULs included, so validators see them (RFC 9110 5.5). */
    char *line = g_malloc(end + 1);
    memcpy(line, in->data, end);
    line[end] = '\0';
    *line_out = line;
    *len_out = end;
    g_byte_array_remove_range(in, 0, (guint) consumed);
    return MS_HTTP_DONE;
}

gboolean ms_http_is_tchar(guchar c)
{
    /* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
     *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
    return g_ascii_isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

gboolean ms_http_is_token(const char *text, gsize len)
{
    if (len == 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!ms_http_is_tchar((guchar) text[i]))
            return FALSE;
    }
    return TRUE;
}

/* RFC 9110 5.5: field-value = *field-content, made of VCHAR, obs-text, SP
 * and HTAB; CR, LF and NUL are invalid, and so is any other control. */
static gboolean value_is_valid(const char *v, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar) v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return FALSE;
    }
    return TRUE;
}

static gboolean is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int ms_http_parse_field_line(const char *line, gsize len, GPtrArray *headers, gboolean unfold,
                             const char **why_out)
{
    if (len > 0 && is_ows(line[0])) {
        /* RFC 9112 5.2: obs-fold.  A server must reject it (or replace it);
         * a user agent must replace it with SP. */
        if (!unfold || headers->len == 0) {
            *why_out = "a header line starting with white space (obsolete line folding)";
            return MS_HTTP_BAD;
        }
        gsize s = 0, e = len;
        while (s < e && is_ows(line[s]))
            s++;
        while (e > s && is_ows(line[e - 1]))
            e--;
        if (!value_is_valid(line + s, e - s)) {
            *why_out = "a control character in a header field value";
            return MS_HTTP_BAD;
        }
        MsHttpHeader *prev = g_ptr_array_index(headers, headers->len - 1);
        g_autofree char *more = g_strndup(line + s, e - s);
        char *joined = prev->value[0] != '\0' ? g_strconcat(prev->value, " ", more, NULL)
                                               : g_strdup(more);
        g_free(prev->value);
        prev->value = joined;
        return MS_HTTP_DONE;
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL) {
        *why_out = "a header line without a colon";
        return MS_HTTP_BAD;
    }
    gsize name_len = (gsize) (colon - line);
    /* RFC 9112 5.1: no white space is allowed between the field name and
     * the colon; a server must reject such a message with 400. */
    if (!ms_http_is_token(line, name_len)) {
        *why_out = name_len > 0 && is_ows(line[name_len - 1])
                       ? "white space between a field name and its colon"
                       : "a field name that is not a token";
        return MS_HTTP_BAD;
    }
    gsize s = name_len + 1, e = len;
    while (s < e && is_ows(line[s]))
        s++;
    while (e > s && is_ows(line[e - 1]))
        e--;
    if (!value_is_valid(line + s, e - s)) {
        *why_out = "a control character in a header field value";
        return MS_HTTP_BAD;
    }
    g_autofree char *name = g_strndup(line, name_len);
    g_autofree char *value = g_strndup(line + s, e - s);
    ms_http_headers_add(headers, name, value);
    return MS_HTTP_DONE;
}

gboolean ms_http_content_length(const GPtrArray *headers, gboolean *present_out,
                                guint64 *length_out, const char **why_out)
{
    gboolean present = FALSE;
    guint64 length = 0;
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        if (g_ascii_strcasecmp(h->name, "Content-Length") != 0)
            continue;
        /* RFC 9110 8.6: Content-Length = 1*DIGIT; a list of identical
         * values ("42, 42") may be taken as that one value, anything else
         * is invalid. */
        g_auto(GStrv) parts = g_strsplit(h->value, ",", -1);
        for (guint j = 0; parts[j] != NULL; j++) {
            const char *p = g_strstrip(parts[j]);
            if (*p == '\0') {
                *why_out = "an empty Content-Length";
                return FALSE;
            }
            guint64 v = 0;
            for (; *p != '\0'; p++) {
                if (!g_ascii_isdigit(*p)) {
                    *why_out = "a Content-Length that is not a number";
                    return FALSE;
                }
                if (v > (G_MAXUINT64 - 9) / 10) {
                    *why_out = "a Content-Length too large to read";
                    return FALSE;
                }
                v = v * 10 + (guint64) (*p - '0');
            }
            if (present && v != length) {
                *why_out = "Content-Length fields that disagree";
                return FALSE;
            }
            present = TRUE;
            length = v;
        }
    }
    *present_out = present;
    *length_out = length;
    return TRUE;
}

gboolean ms_http_connection_has(const GPtrArray *headers, const char *token)
{
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        if (g_ascii_strcasecmp(h->name, "Connection") != 0)
            continue;
        /* RFC 9110 7.6.1: Connection = #connection-option, case-insensitive. */
        g_auto(GStrv) parts = g_strsplit(h->value, ",", -1);
        for (guint j = 0; parts[j] != NULL; j++) {
            if (g_ascii_strcasecmp(g_strstrip(parts[j]), token) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

GPtrArray *ms_http_transfer_codings(const GPtrArray *headers)
{
    GPtrArray *codings = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; headers != NULL && i < headers->len; i++) {
        const MsHttpHeader *h = g_ptr_array_index((GPtrArray *) headers, i);
        if (g_ascii_strcasecmp(h->name, "Transfer-Encoding") != 0)
            continue;
        g_auto(GStrv) parts = g_strsplit(h->value, ",", -1);
        for (guint j = 0; parts[j] != NULL; j++) {
            /* A coding may carry parameters after ';': only its name counts. */
            char *semi = strchr(parts[j], ';');
            if (semi != NULL)
                *semi = '\0';
            const char *name = g_strstrip(parts[j]);
            if (*name != '\0')
                g_ptr_array_add(codings, g_ascii_strdown(name, -1));
        }
    }
    return codings;
}

/* ---- Chunked transfer coding ----------------------------------------------------
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *   trailer-section = *( field-line CRLF )                  (RFC 9112 7.1) */
enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER };

void ms_http_chunked_init(MsHttpChunked *ch)
{
    ch->state = CH_SIZE;
    ch->remaining = 0;
    ch->body = g_byte_array_new();
}

void ms_http_chunked_clear(MsHttpChunked *ch)
{
    if (ch->body != NULL)
        g_byte_array_unref(ch->body);
    ch->body = NULL;
}

static int chunk_size_line(MsHttpChunked *ch, const char *line, gsize len,
                           const char **why_out)
{
    guint64 size = 0;
    gsize i = 0;
    for (; i < len && g_ascii_isxdigit(line[i]); i++) {
        if (size > G_MAXUINT64 / 16) {
            *why_out = "a chunk size too large to read";
            return MS_HTTP_BAD;
        }
        size = size * 16 + (guint64) g_ascii_xdigit_value(line[i]);
    }
    /* chunk-ext = *( BWS ";" BWS chunk-ext-name [ ... ] ): ignored, RFC
     * 9112 7.1.1 lets a recipient ignore extensions it does not know. */
    if (i == 0 || (i < len && line[i] != ';' && !is_ows(line[i]))) {
        *why_out = "a chunk size that is not a hexadecimal number";
        return MS_HTTP_BAD;
    }
    ch->remaining = size;
    ch->state = size == 0 ? CH_TRAILER : CH_DATA;
    return MS_HTTP_DONE;
}

int ms_http_chunked_feed(MsHttpChunked *ch, GByteArray *in, gsize max_body,
                         const char **why_out)
{
    for (;;) {
        if (ch->state == CH_DATA) {
            if (in->len == 0)
                return MS_HTTP_MORE;
            gsize take = in->len < ch->remaining ? in->len : (gsize) ch->remaining;
            if (ch->body->len + take > max_body)
                return MS_HTTP_TOO_LARGE;
            g_byte_array_append(ch->body, in->data, (guint) take);
            g_byte_array_remove_range(in, 0, (guint) take);
            ch->remaining -= take;
            if (ch->remaining == 0)
                ch->state = CH_DATA_END;
            continue;
        }
        g_autofree char *line = NULL;
        gsize len = 0;
        int r = ms_http_take_line(in, MS_HTTP_LINE_MAX, &line, &len);
        if (r == MS_HTTP_MORE)
            return MS_HTTP_MORE;
        if (r == MS_HTTP_TOO_LONG) {
            *why_out = "a chunk line longer than the limit";
            return MS_HTTP_BAD;
        }
        switch (ch->state) {
        case CH_SIZE:
            r = chunk_size_line(ch, line, len, why_out);
            if (r != MS_HTTP_DONE)
                return r;
            break;
        case CH_DATA_END:
            /* The CRLF after chunk-data. */
            if (len != 0) {
                *why_out = "chunk data longer than its size";
                return MS_HTTP_BAD;
            }
            ch->state = CH_SIZE;
            break;
        case CH_TRAILER:
        default:
            /* RFC 9112 7.1.2: trailer fields may be discarded. */
            if (len == 0)
                return MS_HTTP_DONE;
            break;
        }
    }
}

/* ---- Writing messages -------------------------------------------------------------- */

void ms_http_format_date(char *out, gint64 unix_seconds)
{
    /* RFC 9110 5.6.7: day-name, month and "GMT" are case-sensitive
     * English, never the locale's. */
    static const char days[7][4] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);
    if (t == NULL)
        t = g_date_time_new_from_unix_utc(0);
    g_snprintf(out, MS_HTTP_DATE_LEN + 1, "%s, %02d %s %04d %02d:%02d:%02d GMT",
               days[g_date_time_get_day_of_week(t) - 1], g_date_time_get_day_of_month(t),
               months[g_date_time_get_month(t) - 1], g_date_time_get_year(t),
               g_date_time_get_hour(t), g_date_time_get_minute(t), g_date_time_get_second(t));
}

void ms_http_emit_field(GPtrArray *out, const char *phase, const char *name, const char *value)
{
    g_autofree char *text = g_strconcat(name, ": ", value, NULL);
    g_ptr_array_add(out, ms_proto_line_new(text, phase, ms_http_header_note(text, strlen(text))));
}

/* Content that is not text: NUL octets, or octets that are not UTF-8
 * (the bytes of a picture). */
static gboolean is_binary(const char *p, gsize size)
{
    return memchr(p, '\0', size) != NULL || !g_utf8_validate(p, (gssize) size, NULL);
}

void ms_http_emit_body(GPtrArray *out, const char *phase, GBytes *body, const char *note,
                       const char *type)
{
    if (body == NULL)
        return;
    gsize size = 0;
    const char *p = g_bytes_get_data(body, &size);
    if (size > 0 && is_binary(p, size)) {
        /* HTTP has no transfer encoding for 8-bit data: the octets go as
         * they are, Content-Length counting them (RFC 9110 8.6).  One
         * stand-in line tells the transcript what they are. */
        gsize type_len = type != NULL ? strcspn(type, "; \t") : 0;
        g_autofree char *stand_in = NULL;
        if (type_len > 0)
            stand_in = g_strdup_printf("[%" G_GSIZE_FORMAT " octets of %.*s]", size,
                                       (int) type_len, type);
        else
            stand_in = g_strdup_printf("[%" G_GSIZE_FORMAT " octets of binary content]", size);
        g_ptr_array_add(out, ms_proto_line_new_bytes(body, stand_in, phase, "http.body.binary"));
        return;
    }
    gsize pos = 0;
    while (pos < size) {
        const char *nl = memchr(p + pos, '\n', size - pos);
        if (nl == NULL) {
            g_ptr_array_add(out, ms_proto_line_new_len(p + pos, size - pos, "", phase, note));
            return;
        }
        gsize end = (gsize) (nl - p);
        gsize next = end + 1;
        const char *eol = "\n";
        if (end > pos && p[end - 1] == '\r') {
            end--;
            eol = "\r\n";
        }
        g_ptr_array_add(out, ms_proto_line_new_len(p + pos, end - pos, eol, phase, note));
        pos = next;
    }
}

gboolean ms_http_is_framing_field(const char *name)
{
    return g_ascii_strcasecmp(name, "Content-Length") == 0
           || g_ascii_strcasecmp(name, "Transfer-Encoding") == 0
           || g_ascii_strcasecmp(name, "Connection") == 0;
}

gboolean ms_http_parse_version(const char *text, gsize len, guint *major_out, guint *minor_out)
{
    /* HTTP-version = HTTP-name "/" DIGIT "." DIGIT; HTTP-name is
     * case-sensitive "HTTP" (RFC 9112 2.3). */
    if (len != 8 || memcmp(text, "HTTP/", 5) != 0 || !g_ascii_isdigit(text[5])
        || text[6] != '.' || !g_ascii_isdigit(text[7]))
        return FALSE;
    *major_out = (guint) (text[5] - '0');
    *minor_out = (guint) (text[7] - '0');
    return TRUE;
}
