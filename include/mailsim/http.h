/* http.h - the HTTP/1.1 protocol engines (RFC 9110 semantics, RFC 9112
 * message syntax) that carry web mail between a browser and its server.
 *
 * HTTP is a pull protocol: the browser opens the connection and asks
 * (a request: request line, header fields, an empty line, maybe content),
 * the server answers each request with one response (status line, header
 * fields, an empty line, maybe content).  A connection is persistent by
 * default in HTTP/1.1 and carries requests one after the other until a
 * side says "Connection: close" (RFC 9112 9.3, 9.6).
 *
 * Both engines are sans-I/O, like the SMTP and POP3 ones: the glue in
 * sim/agents feeds them the bytes that arrived, sends the lines they
 * produce (MsProtoLine, see proto.h) and acts on their events.  Contents
 * (HTML pages, form data) are text, so they too are produced as lines,
 * each keeping the line ending it had ("\r\n", "\n", or "" for a last line
 * without one): the concatenation of the lines is exactly the content, and
 * Content-Length counts exactly those bytes.  Content that is not text
 * (NUL octets, or octets that are not UTF-8: a picture) goes as one
 * binary MsProtoLine whose bytes are sent as they are (proto.h).
 */
#pragma once

#include <glib.h>
#include "mailsim/proto.h"

G_BEGIN_DECLS

/* ---- Phases and limits ---------------------------------------------------- */
#define MS_HTTP_PHASE_REQUEST "http.request"   /* every line a client sends */
#define MS_HTTP_PHASE_RESPONSE "http.response" /* every line a server sends */

#define MS_HTTP_PORT 80
/* RFC 9112 3: senders and recipients should support request lines of at
 * least 8000 octets; longer ones get 414 (target) or 431 (a field line). */
#define MS_HTTP_LINE_MAX 8000
/* How many header fields a message may carry before 431 (RFC 6585 5). */
#define MS_HTTP_FIELDS_MAX 100
/* Default content limit of the server (413 above it) and of the client. */
#define MS_HTTP_DEFAULT_MAX_BODY (1024 * 1024)

/* ---- Methods -----------------------------------------------------------------
 * X-macro: enum constant, method token (case-sensitive, RFC 9110 9.1), note
 * key of the request line.  The methods RFC 9110 9.3 defines plus PATCH
 * (RFC 5789): a server recognises these; one it recognises but does not
 * allow gets 405, one it does not recognise gets 501. */
#define MS_HTTP_METHODS(X)                                                    \
    X(MS_HTTP_METHOD_GET, "GET", "http.request.get")                          \
    X(MS_HTTP_METHOD_HEAD, "HEAD", "http.request.head")                       \
    X(MS_HTTP_METHOD_POST, "POST", "http.request.post")                       \
    X(MS_HTTP_METHOD_PUT, "PUT", "http.request.put")                          \
    X(MS_HTTP_METHOD_DELETE, "DELETE", "http.request.delete")                 \
    X(MS_HTTP_METHOD_CONNECT, "CONNECT", "http.request.connect")              \
    X(MS_HTTP_METHOD_OPTIONS, "OPTIONS", "http.request.options")              \
    X(MS_HTTP_METHOD_TRACE, "TRACE", "http.request.trace")                    \
    X(MS_HTTP_METHOD_PATCH, "PATCH", "http.request.patch")

#define MS_HTTP_METHOD_ENUM_(e, token, note) e,
typedef enum {
    MS_HTTP_METHODS(MS_HTTP_METHOD_ENUM_) MS_HTTP_N_METHODS,
    MS_HTTP_METHOD_UNKNOWN = MS_HTTP_N_METHODS
} MsHttpMethod;
#undef MS_HTTP_METHOD_ENUM_

const char *ms_http_method_name(MsHttpMethod method); /* "GET"; "?" for UNKNOWN */

/* The length of an IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994
 * 08:49:37 GMT", without its NUL. */
#define MS_HTTP_DATE_LEN 29
/* Writes unix_seconds as an IMF-fixdate into out (MS_HTTP_DATE_LEN + 1
 * bytes), in English whatever the locale. */
void ms_http_format_date(char *out, gint64 unix_seconds);
/* Case-sensitive lookup of a method token (RFC 9110 9.1); UNKNOWN if none. */
MsHttpMethod ms_http_method_from_name(const char *token);

/* ---- Status codes --------------------------------------------------------------
 * X-macro: code, reason phrase (RFC 9110 15), note key. */
#define MS_HTTP_STATUSES(X)                                                   \
    X(100, "Continue", "http.status.100")                                     \
    X(200, "OK", "http.status.200")                                           \
    X(201, "Created", "http.status.201")                                      \
    X(204, "No Content", "http.status.204")                                   \
    X(301, "Moved Permanently", "http.status.301")                            \
    X(302, "Found", "http.status.302")                                        \
    X(303, "See Other", "http.status.303")                                    \
    X(304, "Not Modified", "http.status.304")                                 \
    X(400, "Bad Request", "http.status.400")                                  \
    X(401, "Unauthorized", "http.status.401")                                 \
    X(403, "Forbidden", "http.status.403")                                    \
    X(404, "Not Found", "http.status.404")                                    \
    X(405, "Method Not Allowed", "http.status.405")                           \
    X(408, "Request Timeout", "http.status.408")                              \
    X(411, "Length Required", "http.status.411")                              \
    X(413, "Content Too Large", "http.status.413")                            \
    X(414, "URI Too Long", "http.status.414")                                 \
    X(415, "Unsupported Media Type", "http.status.415")                       \
    X(431, "Request Header Fields Too Large", "http.status.431")              \
    X(500, "Internal Server Error", "http.status.500")                        \
    X(501, "Not Implemented", "http.status.501")                              \
    X(503, "Service Unavailable", "http.status.503")                          \
    X(505, "HTTP Version Not Supported", "http.status.505")

/* The reason phrase RFC 9110 gives a code, or NULL for a code not listed. */
const char *ms_http_status_reason(guint status);
/* The note key of a status line: "http.status.404", or "http.status.other". */
const char *ms_http_status_note(guint status);

/* ---- Annotation keys ---------------------------------------------------------
 * Every note key the engines put on a line - request lines
 * ("http.request.get"), status lines ("http.status.302"), header fields
 * ("http.header.host", "http.header.set-cookie", "http.header.other"), the
 * empty line that ends the header section ("http.header.end") and content
 * lines ("http.body.line"; "http.body.form" for form data) - with a short
 * English description, in one static table (for the transcript's legend and
 * for translation). */
typedef MsProtoNote MsHttpNote;

const MsHttpNote *ms_http_notes(gsize *n_out);
/* The English text of a key, or NULL if the key is not HTTP's. */
const char *ms_http_note_text(const char *key);
/* For tracing lines that do not come from the engines (a student's
 * scripted dialogue on port 80): the note of a request line ("GET / HTTP/1.1"
 * gives "http.request.get"; an unknown method "http.request.other"), and of
 * a header field line by its name ("Host: x" gives "http.header.host"). */
const char *ms_http_request_note(const char *line, gsize len);
const char *ms_http_header_note(const char *line, gsize len);

/* ---- Header fields ------------------------------------------------------------ */
typedef struct {
    char *name;  /* as written, e.g. "Content-Type" */
    char *value; /* without the surrounding white space (RFC 9112 5.1) */
} MsHttpHeader;

MsHttpHeader *ms_http_header_new(const char *name, const char *value);
void ms_http_header_free(MsHttpHeader *header);
/* A GPtrArray that frees MsHttpHeader elements (transfer full). */
GPtrArray *ms_http_headers_new(void);
/* Appends a copy of name and value. */
void ms_http_headers_add(GPtrArray *headers, const char *name, const char *value);
/* The value of the first field with this name (case-insensitive, RFC 9110
 * 5.1), or NULL.  headers may be NULL.  Transfer none. */
const char *ms_http_headers_get(const GPtrArray *headers, const char *name);
/* A deep copy; NULL gives an empty array (transfer full). */
GPtrArray *ms_http_headers_copy(const GPtrArray *headers);

/* RFC 6265 5.4: the value of cookie `name` in the Cookie fields of a request
 * ("a=1; session=s1" gives "s1" for "session"), or NULL (transfer full). */
char *ms_http_cookie_get(const GPtrArray *headers, const char *name);
/* RFC 6265 5.2: the "name=value" pair that starts a Set-Cookie value, white
 * space trimmed ("session=s1; HttpOnly" gives "session=s1"), or NULL when
 * it has no '=' or an empty name (transfer full).  What a browser sends back
 * in its Cookie field. */
char *ms_http_set_cookie_pair(const char *set_cookie);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHttpHeader, ms_http_header_free)

/* ---- Events ------------------------------------------------------------------- */
#define MS_HTTP_EVENT_KINDS(X)                                                \
    X(MS_HTTP_EVENT_REQUEST, "request")                                       \
    X(MS_HTTP_EVENT_RESPONSE, "response")                                     \
    X(MS_HTTP_EVENT_PROTOCOL_ERROR, "protocol-error")                         \
    X(MS_HTTP_EVENT_CLOSE, "close")

#define MS_HTTP_EVENT_ENUM_(e, name) e,
typedef enum { MS_HTTP_EVENT_KINDS(MS_HTTP_EVENT_ENUM_) MS_HTTP_N_EVENT_KINDS } MsHttpEventKind;
#undef MS_HTTP_EVENT_ENUM_

const char *ms_http_event_kind_name(MsHttpEventKind kind);

/* One event.  Fields that do not apply to a kind are 0 / NULL.
 *
 * Server events:
 *   REQUEST         a complete, valid request: method, target (as sent),
 *                   path (the origin-form "/path?query" even when the
 *                   target was in absolute form), version ("HTTP/1.1"),
 *                   headers (MsHttpHeader*, in order), body (the content,
 *                   chunked coding removed; empty, never NULL), keep_alive
 *                   (FALSE when the connection closes after the answer).
 *                   The glue must answer every REQUEST with exactly one
 *                   ms_http_server_respond(), in the order they came.
 *   PROTOCOL_ERROR  the engine answered a request itself with an error
 *                   status (400, 405, 413, 414, 431, 501, 505): status,
 *                   text (why), note (the status line's note key).
 *   CLOSE           the last response has been produced: close the
 *                   connection (after "Connection: close", an HTTP/1.0
 *                   request without keep-alive, or a framing error).
 * Client events:
 *   RESPONSE        exactly once for every request queued, in order: tag,
 *                   method (of the request), status, reason, version,
 *                   headers, body (the content, chunked coding removed;
 *                   empty, never NULL).  status 0 when no response came:
 *                   text says why, and unsent is TRUE when the request was
 *                   never sent (the server closed the connection before;
 *                   it may be retried on a new connection).
 *   PROTOCOL_ERROR  a response the client could not parse: text.  The
 *                   client then stops (RESPONSE status 0 for what is left,
 *                   then CLOSE).
 *   CLOSE           nothing more will be sent on this connection: close it
 *                   (after the response to the request that carried or
 *                   received "Connection: close", or when finish() was
 *                   called and no request is outstanding).  Comes after the
 *                   RESPONSE of every request. */
typedef struct {
    MsHttpEventKind kind;
    /* REQUEST; method also in RESPONSE */
    char *method;
    char *target;
    char *path;
    /* RESPONSE */
    gpointer tag;
    guint status;
    char *reason;
    gboolean unsent;
    /* REQUEST and RESPONSE */
    char *version;
    GPtrArray *headers; /* MsHttpHeader* */
    GBytes *body;
    gboolean keep_alive;
    /* PROTOCOL_ERROR, RESPONSE with status 0 */
    char *text;
    const char *note;   /* static */
} MsHttpEvent;

void ms_http_event_free(MsHttpEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHttpEvent, ms_http_event_free)

/* ---- Server --------------------------------------------------------------------
 * States: X-macro of enum constant, printable name, phase key of the lines
 * sent in it.  IDLE (waiting for a request line), HEADERS (reading header
 * fields), BODY (reading Content-Length content), CHUNKED (reading chunked
 * content), CLOSED (no more requests are read: the connection is closing).
 * Several requests may be read ahead of their answers (pipelining, RFC 9112
 * 9.3.2); the state is that of the parser. */
#define MS_HTTP_SERVER_STATES(X)                                              \
    X(MS_HTTP_SERVER_IDLE, "idle", MS_HTTP_PHASE_RESPONSE)                    \
    X(MS_HTTP_SERVER_HEADERS, "headers", MS_HTTP_PHASE_RESPONSE)              \
    X(MS_HTTP_SERVER_BODY, "body", MS_HTTP_PHASE_RESPONSE)                    \
    X(MS_HTTP_SERVER_CHUNKED, "chunked", MS_HTTP_PHASE_RESPONSE)              \
    X(MS_HTTP_SERVER_CLOSED, "closed", MS_HTTP_PHASE_RESPONSE)

#define MS_HTTP_STATE_ENUM_(e, name, phase) e,
typedef enum {
    MS_HTTP_SERVER_STATES(MS_HTTP_STATE_ENUM_) MS_HTTP_SERVER_N_STATES
} MsHttpServerState;

/* Client: what it waits for.  IDLE (no request outstanding), STATUS (the
 * status line), HEADERS, BODY (Content-Length content), CHUNKED (chunked
 * content), UNTIL_CLOSE (content delimited by the end of the connection,
 * RFC 9112 6.3 rule 8), CLOSED. */
#define MS_HTTP_CLIENT_STATES(X)                                              \
    X(MS_HTTP_CLIENT_IDLE, "idle", MS_HTTP_PHASE_REQUEST)                     \
    X(MS_HTTP_CLIENT_STATUS, "status", MS_HTTP_PHASE_REQUEST)                 \
    X(MS_HTTP_CLIENT_HEADERS, "headers", MS_HTTP_PHASE_REQUEST)               \
    X(MS_HTTP_CLIENT_BODY, "body", MS_HTTP_PHASE_REQUEST)                     \
    X(MS_HTTP_CLIENT_CHUNKED, "chunked", MS_HTTP_PHASE_REQUEST)               \
    X(MS_HTTP_CLIENT_UNTIL_CLOSE, "until-close", MS_HTTP_PHASE_REQUEST)       \
    X(MS_HTTP_CLIENT_CLOSED, "closed", MS_HTTP_PHASE_REQUEST)

typedef enum {
    MS_HTTP_CLIENT_STATES(MS_HTTP_STATE_ENUM_) MS_HTTP_CLIENT_N_STATES
} MsHttpClientState;
#undef MS_HTTP_STATE_ENUM_

const char *ms_http_server_state_name(MsHttpServerState state);
const char *ms_http_client_state_name(MsHttpClientState state);

typedef struct {
    /* Methods this server allows, NULL-terminated; NULL: GET, HEAD, POST.
     * A recognised method not in the list gets 405 with an Allow field
     * (RFC 9110 15.5.6); an unrecognised one 501 (RFC 9110 15.6.2). */
    const char *const *methods;
    const char *software;  /* a Server field value (RFC 9110 10.2.4), or
                            * NULL for no Server field */
    gsize max_body;        /* 0: MS_HTTP_DEFAULT_MAX_BODY; more gets 413 */
    /* The time now, in seconds since 1970 (UTC), for the Date field that
     * RFC 9110 6.6.1 says an origin server with a clock MUST send; NULL:
     * no clock, no Date.  The engine asks it for each response. */
    gint64 (*clock)(gpointer clock_data);
    gpointer clock_data;
} MsHttpServerConfig;

/* Fills in the defaults: GET, HEAD, POST, no Server field, 1 MiB. */
void ms_http_server_config_init(MsHttpServerConfig *config);

typedef struct MsHttpServer MsHttpServer;

/* Copies what it needs from config (NULL: the defaults).  (transfer full) */
MsHttpServer *ms_http_server_new(const MsHttpServerConfig *config);
void ms_http_server_free(MsHttpServer *server);
/* Bytes from the client.  Every complete request becomes a REQUEST event
 * (or an error response the engine writes itself).  Bytes after the
 * server decided to close are ignored. */
void ms_http_server_feed(MsHttpServer *server, const char *bytes, gsize len);
/* Answers the oldest REQUEST not yet answered.  reason NULL: the RFC's
 * phrase for status.  headers (MsHttpHeader*, may be NULL) are sent in
 * order after the status line; the engine adds Content-Length (the exact
 * size of body, RFC 9110 8.6; never for 1xx, 204 and 304) and
 * "Connection: close" when the connection is to close, and drops any
 * Content-Length, Transfer-Encoding or Connection field given.  body may be
 * NULL (empty); it is sent as lines, except in answer to HEAD (RFC 9110
 * 9.3.2: the same fields, no content).  A reference is taken on body. */
void ms_http_server_respond(MsHttpServer *server, guint status, const char *reason,
                            const GPtrArray *headers, GBytes *body);
/* How many REQUEST events are still waiting for respond(). */
guint ms_http_server_pending(const MsHttpServer *server);
/* The connection is gone: unanswered requests are dropped, the engine is
 * closed (no event). */
void ms_http_server_connection_lost(MsHttpServer *server);
/* The lines to send, MsProtoLine* (transfer full; never NULL, maybe empty). */
GPtrArray *ms_http_server_take_output(MsHttpServer *server);
/* The next event, or NULL when none (transfer full). */
MsHttpEvent *ms_http_server_next_event(MsHttpServer *server);
MsHttpServerState ms_http_server_state(const MsHttpServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHttpServer, ms_http_server_free)

/* ---- Client ------------------------------------------------------------------- */
typedef struct {
    const char *host;       /* the Host field (RFC 9112 3.2), e.g.
                             * "webmail.crepes.fr" (required) */
    const char *user_agent; /* a User-Agent value (RFC 9110 10.1.5), or NULL
                             * for none */
    gboolean pipelining;    /* send queued requests without waiting for the
                             * responses, but never after an unanswered
                             * POST (RFC 9112 9.3.2); default FALSE */
    gsize max_body;         /* 0: MS_HTTP_DEFAULT_MAX_BODY; a larger
                             * response is a protocol error */
} MsHttpClientConfig;

/* Fills in the defaults: no User-Agent, no pipelining, 1 MiB. */
void ms_http_client_config_init(MsHttpClientConfig *config, const char *host);

typedef struct MsHttpClient MsHttpClient;

/* Copies config (strings included).  (transfer full) */
MsHttpClient *ms_http_client_new(const MsHttpClientConfig *config);
void ms_http_client_free(MsHttpClient *client);
/* Queues a request; requests are sent one at a time in the order queued
 * (unless pipelining).  The engine writes the request line, then Host, then
 * headers (MsHttpHeader*, may be NULL; any Host, Content-Length,
 * Transfer-Encoding or Connection given is dropped), then Content-Length
 * when there is content or the method is POST or PUT (RFC 9110 8.6), and
 * "Connection: close" on the last request after finish().  body may be NULL;
 * a reference is taken.  tag comes back in the RESPONSE.  Ignored after
 * finish() or once closed (a RESPONSE with status 0 and unsent comes back). */
void ms_http_client_request(MsHttpClient *client, const char *method, const char *target,
                            const GPtrArray *headers, GBytes *body, gpointer tag);
/* No more requests: the last queued one carries "Connection: close"; when
 * none is queued or outstanding, CLOSE comes now. */
void ms_http_client_finish(MsHttpClient *client);
/* Bytes from the server; every complete response becomes a RESPONSE. */
void ms_http_client_feed(MsHttpClient *client, const char *bytes, gsize len);
/* The server closed the connection (FIN) or it was reset: content read
 * until the close is complete (RFC 9112 6.3 rule 8); every other request
 * not answered gets RESPONSE with status 0; then CLOSE. */
void ms_http_client_connection_lost(MsHttpClient *client);
/* The lines to send, MsProtoLine* (transfer full; never NULL, maybe empty). */
GPtrArray *ms_http_client_take_output(MsHttpClient *client);
/* The next event, or NULL when none (transfer full). */
MsHttpEvent *ms_http_client_next_event(MsHttpClient *client);
MsHttpClientState ms_http_client_state(const MsHttpClient *client);
/* Requests queued or sent and not yet answered. */
guint ms_http_client_outstanding(const MsHttpClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHttpClient, ms_http_client_free)

G_END_DECLS
