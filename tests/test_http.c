/* test_http.c - the HTTP/1.1 engines (RFC 9110, RFC 9112) and the web-mail
 * application behind them.
 *
 * http/common checks the tables and small helpers; http/server drives the
 * server with request bytes and checks its events and the exact response
 * bytes; http/client feeds the client scripted responses and checks the
 * requests it writes; http/wired connects the two engines directly.  The
 * webmail suites call the application with requests and a fake mailbox;
 * webmail/browser runs a whole visit through both engines and the
 * application.
 */
#include "testutil.h"
#include "mailsim/core.h"
#include "mailsim/http.h"
#include "mailsim/message.h"
#include "mailsim/webmail.h"

#include <string.h>

/* ---- Helpers ------------------------------------------------------------------- */

/* The bytes of the lines, as a string (transfer full). */
static char *lines_text(const GPtrArray *lines)
{
    g_autoptr(GBytes) b = ms_proto_lines_to_bytes(lines);
    gsize n = 0;
    const char *data = g_bytes_get_data(b, &n);
    return g_strndup(data != NULL ? data : "", n);
}

static char *server_output(MsHttpServer *s)
{
    g_autoptr(GPtrArray) out = ms_http_server_take_output(s);
    return lines_text(out);
}

static char *client_output(MsHttpClient *c)
{
    g_autoptr(GPtrArray) out = ms_http_client_take_output(c);
    return lines_text(out);
}

static void server_feed(MsHttpServer *s, const char *text)
{
    ms_http_server_feed(s, text, strlen(text));
}

static void client_feed(MsHttpClient *c, const char *text)
{
    ms_http_client_feed(c, text, strlen(text));
}

static gboolean bytes_equal(GBytes *b, const char *text)
{
    gsize n = 0;
    const char *data = g_bytes_get_data(b, &n);
    return n == strlen(text) && (n == 0 || memcmp(data, text, n) == 0);
}

static GBytes *bytes(const char *text)
{
    return g_bytes_new(text, strlen(text));
}

/* Feeds one request to a fresh default server and returns the first event
 * (transfer full); *out_text gets the output so far. */
static MsHttpEvent *one_request(const char *request, char **out_text)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, request);
    MsHttpEvent *ev = ms_http_server_next_event(s);
    *out_text = server_output(s);
    return ev;
}

/* ---- http/common ---------------------------------------------------------------- */

static void test_notes_complete(void)
{
    gsize n = 0;
    const MsHttpNote *notes = ms_http_notes(&n);
    CU_ASSERT_TRUE(n > 20);
    for (gsize i = 0; i < n; i++) {
        CU_ASSERT_TRUE(g_str_has_prefix(notes[i].key, "http."));
        CU_ASSERT_TRUE(notes[i].text != NULL && notes[i].text[0] != '\0');
        for (gsize j = i + 1; j < n; j++)
            CU_ASSERT_STRING_NOT_EQUAL(notes[i].key, notes[j].key);
    }
    /* Every note key the engines can put on a line has its text. */
#define CHECK_STATUS_(code, reason, note) CU_ASSERT_PTR_NOT_NULL(ms_http_note_text(note));
    MS_HTTP_STATUSES(CHECK_STATUS_)
#undef CHECK_STATUS_
#define CHECK_METHOD_(e, token, note) CU_ASSERT_PTR_NOT_NULL(ms_http_note_text(note));
    MS_HTTP_METHODS(CHECK_METHOD_)
#undef CHECK_METHOD_
    const char *more[] = { "http.request.other", "http.status.other", "http.header.other",
                           "http.header.end", "http.body.line", "http.body.form",
                           "http.header.host", "http.header.set-cookie", "http.header.cookie",
                           "http.header.location", "http.header.content-length" };
    for (gsize i = 0; i < G_N_ELEMENTS(more); i++)
        CU_ASSERT_PTR_NOT_NULL(ms_http_note_text(more[i]));
    CU_ASSERT_PTR_NULL(ms_http_note_text("pop3.cmd.user"));
    CU_ASSERT_PTR_NULL(ms_http_note_text(NULL));
}

static void test_names(void)
{
    MS_ASSERT_STR(ms_http_method_name(MS_HTTP_METHOD_POST), "POST");
    MS_ASSERT_STR(ms_http_method_name(MS_HTTP_METHOD_UNKNOWN), "?");
    /* RFC 9110 9.1: method names are case-sensitive. */
    CU_ASSERT_EQUAL(ms_http_method_from_name("GET"), MS_HTTP_METHOD_GET);
    CU_ASSERT_EQUAL(ms_http_method_from_name("get"), MS_HTTP_METHOD_UNKNOWN);
    MS_ASSERT_STR(ms_http_status_reason(404), "Not Found");
    MS_ASSERT_STR(ms_http_status_reason(303), "See Other");
    CU_ASSERT_PTR_NULL(ms_http_status_reason(299));
    MS_ASSERT_STR(ms_http_status_note(302), "http.status.302");
    MS_ASSERT_STR(ms_http_status_note(299), "http.status.other");
    MS_ASSERT_STR(ms_http_server_state_name(MS_HTTP_SERVER_CHUNKED), "chunked");
    MS_ASSERT_STR(ms_http_client_state_name(MS_HTTP_CLIENT_UNTIL_CLOSE), "until-close");
    MS_ASSERT_STR(ms_http_event_kind_name(MS_HTTP_EVENT_PROTOCOL_ERROR), "protocol-error");
}

static void test_line_notes(void)
{
    const char *l = "POST /send HTTP/1.1";
    MS_ASSERT_STR(ms_http_request_note(l, strlen(l)), "http.request.post");
    l = "BREW /pot HTTP/1.1";
    MS_ASSERT_STR(ms_http_request_note(l, strlen(l)), "http.request.other");
    /* Field names are case-insensitive (RFC 9110 5.1). */
    l = "content-LENGTH: 5";
    MS_ASSERT_STR(ms_http_header_note(l, strlen(l)), "http.header.content-length");
    l = "X-Mailer: x";
    MS_ASSERT_STR(ms_http_header_note(l, strlen(l)), "http.header.other");
}

static void test_cookies(void)
{
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Host", "x");
    ms_http_headers_add(h, "cookie", "theme=dark; session=s7 ;lang=en");
    g_autofree char *s = ms_http_cookie_get(h, "session");
    g_autofree char *lang = ms_http_cookie_get(h, "lang");
    g_autofree char *none = ms_http_cookie_get(h, "Session"); /* names are case-sensitive */
    MS_ASSERT_STR(s, "s7");
    MS_ASSERT_STR(lang, "en");
    CU_ASSERT_PTR_NULL(none);
    MS_ASSERT_STR(ms_http_headers_get(h, "HOST"), "x");
    CU_ASSERT_PTR_NULL(ms_http_headers_get(h, "Accept"));

    g_autofree char *p1 = ms_http_set_cookie_pair("session=s1; Path=/; HttpOnly");
    g_autofree char *p2 = ms_http_set_cookie_pair(" a = b ");
    g_autofree char *p3 = ms_http_set_cookie_pair("novalue; Path=/");
    g_autofree char *p4 = ms_http_set_cookie_pair("=x");
    MS_ASSERT_STR(p1, "session=s1");
    MS_ASSERT_STR(p2, "a=b");
    CU_ASSERT_PTR_NULL(p3);
    CU_ASSERT_PTR_NULL(p4);
}

static const MsTestCase common_cases[] = {
    MS_TEST(test_notes_complete),
    MS_TEST(test_names),
    MS_TEST(test_line_notes),
    MS_TEST(test_cookies),
    MS_TEST_END,
};

/* ---- http/server ----------------------------------------------------------------- */

static void test_server_get_event(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET /inbox HTTP/1.1\r\nHost: mail.crepes.fr\r\nCookie: session=s1\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(ev->method, "GET");
    MS_ASSERT_STR(ev->target, "/inbox");
    MS_ASSERT_STR(ev->path, "/inbox");
    MS_ASSERT_STR(ev->version, "HTTP/1.1");
    CU_ASSERT_EQUAL(ev->headers->len, 2);
    MS_ASSERT_STR(ms_http_headers_get(ev->headers, "cookie"), "session=s1");
    CU_ASSERT_EQUAL(g_bytes_get_size(ev->body), 0);
    /* RFC 9112 9.3: HTTP/1.1 is persistent by default. */
    CU_ASSERT_TRUE(ev->keep_alive);
    CU_ASSERT_PTR_NULL(ms_http_server_next_event(s));
    CU_ASSERT_EQUAL(ms_http_server_pending(s), 1);
    /* Nothing is written before the glue answers. */
    g_autofree char *none = server_output(s);
    MS_ASSERT_STR(none, "");
}

static void test_server_response_exact(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Content-Type", "text/html");
    /* "<p>hi</p>" is 9 octets and "<p>x</p>" 8, each with CRLF: 11 + 10 = 21. */
    g_autoptr(GBytes) body = bytes("<p>hi</p>\r\n<p>x</p>\r\n");
    ms_http_server_respond(s, 200, NULL, h, body);
    g_autoptr(GPtrArray) out = ms_http_server_take_output(s);
    g_autofree char *text = lines_text(out);
    MS_ASSERT_STR(text, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 21\r\n"
                        "\r\n<p>hi</p>\r\n<p>x</p>\r\n");
    CU_ASSERT_EQUAL_FATAL(out->len, 6);
    const char *notes[] = { "http.status.200", "http.header.content-type",
                            "http.header.content-length", "http.header.end", "http.body.line",
                            "http.body.line" };
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->note, notes[i]);
        MS_ASSERT_STR(l->phase, MS_HTTP_PHASE_RESPONSE);
    }
    CU_ASSERT_EQUAL(ms_http_server_pending(s), 0);
}

static void test_server_body_line_ends(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    /* Bare LF and no final line end: "abc\n" is 4 octets, "def" 3: 7. */
    g_autoptr(GBytes) body = bytes("abc\ndef");
    ms_http_server_respond(s, 200, "Fine", NULL, body);
    g_autoptr(GPtrArray) out = ms_http_server_take_output(s);
    g_autofree char *text = lines_text(out);
    MS_ASSERT_STR(text, "HTTP/1.1 200 Fine\r\nContent-Length: 7\r\n\r\nabc\ndef");
    const MsProtoLine *last = g_ptr_array_index(out, out->len - 1);
    MS_ASSERT_STR(last->text, "def");
    MS_ASSERT_STR(last->eol, "");
    const MsProtoLine *abc = g_ptr_array_index(out, out->len - 2);
    MS_ASSERT_STR(abc->eol, "\n");
}

static void test_server_post_bytewise(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    /* "user=a&password=b": 4+1+1+1+8+1+1 = 17 octets. */
    const char *req = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                      "user=a&password=b";
    for (const char *p = req; *p != '\0'; p++) {
        CU_ASSERT_EQUAL(ms_http_server_pending(s), 0);
        ms_http_server_feed(s, p, 1);
    }
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    MS_ASSERT_STR(ev->method, "POST");
    CU_ASSERT_TRUE(bytes_equal(ev->body, "user=a&password=b"));
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
}

static void test_server_pipelined_in_order(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    /* Three requests in one segment; the middle one has a method the server
     * does not know (501), which it answers itself, in its turn. */
    server_feed(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                   "BREW /b HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) e1 = ms_http_server_next_event(s);
    g_autoptr(MsHttpEvent) e2 = ms_http_server_next_event(s);
    g_autoptr(MsHttpEvent) e3 = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e3);
    CU_ASSERT_EQUAL(e1->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(e1->target, "/a");
    CU_ASSERT_EQUAL(e2->kind, MS_HTTP_EVENT_PROTOCOL_ERROR);
    CU_ASSERT_EQUAL(e2->status, 501);
    CU_ASSERT_EQUAL(e3->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(e3->target, "/c");
    /* The 501 waits behind the unanswered first request. */
    g_autofree char *before = server_output(s);
    MS_ASSERT_STR(before, "");
    g_autoptr(GBytes) a = bytes("A");
    g_autoptr(GBytes) c = bytes("C");
    ms_http_server_respond(s, 200, NULL, NULL, a);
    g_autofree char *mid = server_output(s);
    CU_ASSERT_TRUE(g_str_has_prefix(mid, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                                         "HTTP/1.1 501 Not Implemented\r\n"));
    CU_ASSERT_PTR_NULL(strstr(mid, "\r\n\r\nC"));
    ms_http_server_respond(s, 200, NULL, NULL, c);
    g_autofree char *last = server_output(s);
    MS_ASSERT_STR(last, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nC");
    /* The connection stays open: the framing of the 501 was understood. */
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
}

static void test_server_pipeline_limit(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    GString *many = g_string_new(NULL);
    for (int i = 0; i < 20; i++)
        g_string_append_printf(many, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    ms_http_server_feed(s, many->str, many->len);
    g_string_free(many, TRUE);
    guint events = 0;
    for (MsHttpEvent *ev = ms_http_server_next_event(s); ev != NULL;
         ev = ms_http_server_next_event(s)) {
        events++;
        ms_http_event_free(ev);
    }
    /* Read ahead is bounded; answering one lets the next be read. */
    CU_ASSERT_TRUE(events < 20);
    CU_ASSERT_EQUAL(ms_http_server_pending(s), events);
    ms_http_server_respond(s, 204, NULL, NULL, NULL);
    g_autoptr(MsHttpEvent) next = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(next);
    g_autofree char *target = g_strdup_printf("/%u", events);
    MS_ASSERT_STR(next->target, target);
    /* RFC 9110 8.6: no Content-Length in a 204. */
    g_autofree char *out = server_output(s);
    MS_ASSERT_STR(out, "HTTP/1.1 204 No Content\r\n\r\n");
}

static void test_server_connection_close(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    /* RFC 9112 9.6: nothing after a request with close is processed. */
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                   "GET /more HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_FALSE(ev->keep_alive);
    CU_ASSERT_PTR_NULL(ms_http_server_next_event(s));
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_CLOSED);
    g_autoptr(GBytes) body = bytes("bye\r\n");
    ms_http_server_respond(s, 200, NULL, NULL, body);
    g_autofree char *out = server_output(s);
    MS_ASSERT_STR(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbye\r\n");
    g_autoptr(MsHttpEvent) close = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(close);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
    server_feed(s, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
    CU_ASSERT_PTR_NULL(ms_http_server_next_event(s));
}

static void test_server_http10(void)
{
    g_autofree char *out = NULL;
    /* RFC 9112 3.2: Host is required in HTTP/1.1 only; 9.3: an HTTP/1.0
     * connection closes unless the request asks for keep-alive. */
    g_autoptr(MsHttpEvent) plain = one_request("GET / HTTP/1.0\r\n\r\n", &out);
    CU_ASSERT_EQUAL_FATAL(plain->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(plain->version, "HTTP/1.0");
    CU_ASSERT_FALSE(plain->keep_alive);
    g_free(g_steal_pointer(&out));
    g_autoptr(MsHttpEvent) ka = one_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                                            &out);
    CU_ASSERT_TRUE(ka->keep_alive);
    g_free(g_steal_pointer(&out));
    /* RFC 9110 2.5: a higher minor version is served as 1.1. */
    g_autoptr(MsHttpEvent) v12 = one_request("GET / HTTP/1.2\r\nHost: x\r\n\r\n", &out);
    MS_ASSERT_STR(v12->version, "HTTP/1.1");
}

/* RFC 9112 9.3, Appendix C.2.2: an HTTP/1.0 client keeps the connection
 * only when the response says keep-alive; a 1.0 connection the server
 * keeps open is said to be kept, in every response on it, errors too. */
static void test_server_http10_keep_alive_said(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_TRUE(ev->keep_alive);
    g_autoptr(GBytes) body = bytes("hi\r\n");
    ms_http_server_respond(s, 200, NULL, NULL, body);
    g_autofree char *out = server_output(s);
    MS_ASSERT_STR(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n"
                       "\r\nhi\r\n");
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
    /* An error the engine answers itself, the connection kept. */
    server_feed(s, "BREW / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    g_autofree char *brew = server_output(s);
    CU_ASSERT(g_str_has_prefix(brew, "HTTP/1.1 501 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(brew, "\r\nConnection: keep-alive\r\n"));
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
    /* Without keep-alive: close, said as before. */
    server_feed(s, "GET / HTTP/1.0\r\n\r\n");
    g_autoptr(MsHttpEvent) last = NULL;
    for (MsHttpEvent *e = ms_http_server_next_event(s); e != NULL;
         e = ms_http_server_next_event(s)) {
        ms_http_event_free(last);
        last = e;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    CU_ASSERT_FALSE(last->keep_alive);
    ms_http_server_respond(s, 200, NULL, NULL, body);
    g_autofree char *closing = server_output(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(closing, "\r\nConnection: close\r\n"));
    CU_ASSERT_PTR_NULL(strstr(closing, "keep-alive"));
    /* An HTTP/1.1 response on a persistent connection needs no word. */
    g_autofree char *out11 = NULL;
    g_autoptr(MsHttpEvent) v11 = one_request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &out11);
    CU_ASSERT_TRUE(v11->keep_alive);
    /* The note says which Connection it is. */
    MS_ASSERT_STR(ms_http_header_note("Connection: keep-alive", 22),
                  "http.header.connection.keep-alive");
    MS_ASSERT_STR(ms_http_header_note("Connection: close", 17), "http.header.connection");
}

/* A request the engine must refuse itself: the status it answers with, and
 * whether it then closes. */
typedef struct {
    const char *request;
    guint status;
    gboolean close;
} Refusal;

static void test_server_refusals(void)
{
    const Refusal cases[] = {
        /* RFC 9112 3: request-line = method SP request-target SP HTTP-version. */
        { "GET /\r\n\r\n", 400, TRUE },
        { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET / http/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, TRUE },
        { "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET inbox HTTP/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        { "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n", 400, TRUE },
        /* RFC 9110 15.6.6: another major version. */
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, TRUE },
        /* RFC 9112 3.2: no Host, two Hosts, a bad Host. */
        { "GET / HTTP/1.1\r\n\r\n", 400, FALSE },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, FALSE },
        { "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, FALSE },
        /* RFC 9112 5.1: white space before the colon; 5.2: obs-fold. */
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, TRUE },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400, TRUE },
        { "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, TRUE },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\001b\r\n\r\n", 400, TRUE },
        /* RFC 9110 9.1 / 15.6.2: unrecognised method (case-sensitive). */
        { "get / HTTP/1.1\r\nHost: x\r\n\r\n", 501, FALSE },
        /* RFC 9110 15.5.6: a known method the server does not allow. */
        { "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, FALSE },
        /* RFC 9112 6.3 rule 5 and RFC 9110 8.6: invalid Content-Length. */
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400, TRUE },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", 400, TRUE },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          400, TRUE },
        /* RFC 9112 6.3 rule 3: both Transfer-Encoding and Content-Length. */
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          "Content-Length: 3\r\n\r\n", 400, TRUE },
        /* RFC 9112 6.3 rule 4: chunked not last; 6.1: unknown coding. */
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400, TRUE },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
          TRUE },
        { "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, TRUE },
        /* RFC 9112 7.1: chunk-size is hexadecimal. */
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
          TRUE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
        server_feed(s, cases[i].request);
        g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
        CU_ASSERT_EQUAL(ev->kind, MS_HTTP_EVENT_PROTOCOL_ERROR);
        CU_ASSERT_EQUAL(ev->status, cases[i].status);
        CU_ASSERT_PTR_NOT_NULL(ev->text);
        g_autofree char *out = server_output(s);
        g_autofree char *status_line = g_strdup_printf("HTTP/1.1 %u %s\r\n", cases[i].status,
                                                       ms_http_status_reason(cases[i].status));
        CU_ASSERT_TRUE(g_str_has_prefix(out, status_line));
        CU_ASSERT_EQUAL(strstr(out, "Connection: close\r\n") != NULL, cases[i].close);
        CU_ASSERT_EQUAL(ms_http_server_state(s) == MS_HTTP_SERVER_CLOSED, cases[i].close);
        if (cases[i].status == 405)
            CU_ASSERT_PTR_NOT_NULL(strstr(out, "Allow: GET, HEAD, POST\r\n"));
        g_autoptr(MsHttpEvent) next = ms_http_server_next_event(s);
        if (cases[i].close) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(next);
            CU_ASSERT_EQUAL(next->kind, MS_HTTP_EVENT_CLOSE);
        } else {
            /* The connection goes on: the next request is served. */
            CU_ASSERT_PTR_NULL(next);
            server_feed(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
            g_autoptr(MsHttpEvent) ok = ms_http_server_next_event(s);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
            CU_ASSERT_EQUAL(ok->kind, MS_HTTP_EVENT_REQUEST);
        }
    }
}

static void test_server_too_large(void)
{
    MsHttpServerConfig cfg;
    ms_http_server_config_init(&cfg);
    cfg.max_body = 10;
    g_autoptr(MsHttpServer) ok = ms_http_server_new(&cfg);
    server_feed(ok, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    g_autoptr(MsHttpEvent) e1 = ms_http_server_next_event(ok);
    CU_ASSERT_EQUAL(e1->kind, MS_HTTP_EVENT_REQUEST);
    /* RFC 9110 15.5.14: one octet over the limit is 413, and the server
     * closes, since it did not read the content. */
    g_autoptr(MsHttpServer) big = ms_http_server_new(&cfg);
    server_feed(big, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    g_autoptr(MsHttpEvent) e2 = ms_http_server_next_event(big);
    CU_ASSERT_EQUAL(e2->kind, MS_HTTP_EVENT_PROTOCOL_ERROR);
    CU_ASSERT_EQUAL(e2->status, 413);
    g_autofree char *out = server_output(big);
    CU_ASSERT_TRUE(g_str_has_prefix(out, "HTTP/1.1 413 Content Too Large\r\n"));
    CU_ASSERT_EQUAL(ms_http_server_state(big), MS_HTTP_SERVER_CLOSED);
    /* Chunked content over the limit is caught while it arrives. */
    g_autoptr(MsHttpServer) chunky = ms_http_server_new(&cfg);
    server_feed(chunky, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n");
    g_autoptr(MsHttpEvent) e3 = ms_http_server_next_event(chunky);
    CU_ASSERT_EQUAL(e3->status, 413);
}

static void test_server_too_long(void)
{
    g_autofree char *target = g_strnfill(9000, 'a');
    g_autofree char *req = g_strdup_printf("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    g_autofree char *out = NULL;
    g_autoptr(MsHttpEvent) e1 = one_request(req, &out);
    /* RFC 9112 3: a target longer than the server reads: 414. */
    CU_ASSERT_EQUAL(e1->status, 414);
    g_free(g_steal_pointer(&out));
    g_autofree char *field = g_strdup_printf("GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n",
                                             target);
    g_autoptr(MsHttpEvent) e2 = one_request(field, &out);
    CU_ASSERT_EQUAL(e2->status, 431);
    g_free(g_steal_pointer(&out));
    GString *many = g_string_new("GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < MS_HTTP_FIELDS_MAX; i++)
        g_string_append_printf(many, "X-%d: %d\r\n", i, i);
    g_string_append(many, "\r\n");
    g_autoptr(MsHttpEvent) e3 = one_request(many->str, &out);
    g_string_free(many, TRUE);
    CU_ASSERT_EQUAL(e3->status, 431);
}

static void test_server_chunked_request(void)
{
    g_autofree char *out = NULL;
    /* RFC 9112 7.1: sizes in hex (" in " 4 + CRLF 2 + "chunks" 6 = 12 = C),
     * an extension, a trailer field. */
    g_autoptr(MsHttpEvent) ev = one_request(
        "POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nWiki\r\n5;note=x\r\npedia\r\nC\r\n in \r\nchunks\r\n0\r\nX-T: 1\r\n\r\n", &out);
    CU_ASSERT_EQUAL_FATAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    CU_ASSERT_TRUE(bytes_equal(ev->body, "Wikipedia in \r\nchunks"));
}

static void test_server_head(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "HEAD /inbox HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    g_autoptr(GBytes) body = bytes("<p>page</p>\r\n");
    ms_http_server_respond(s, 200, NULL, NULL, body);
    g_autofree char *out = server_output(s);
    /* RFC 9110 9.3.2: the fields a GET would get, without the content. */
    MS_ASSERT_STR(out, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n");
}

static void test_server_target_forms(void)
{
    g_autofree char *out = NULL;
    /* RFC 9112 3.2.2: a server must accept the absolute form. */
    g_autoptr(MsHttpEvent) ev = one_request(
        "GET http://mail.crepes.fr/inbox?sent=1 HTTP/1.1\r\nHost: mail.crepes.fr\r\n\r\n", &out);
    CU_ASSERT_EQUAL_FATAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(ev->path, "/inbox?sent=1");
    MS_ASSERT_STR(ev->target, "http://mail.crepes.fr/inbox?sent=1");
    g_free(g_steal_pointer(&out));
    g_autoptr(MsHttpEvent) bare = one_request("GET http://mail.crepes.fr HTTP/1.1\r\nHost: m\r\n\r\n",
                                              &out);
    MS_ASSERT_STR(bare->path, "/");
    g_free(g_steal_pointer(&out));
    /* RFC 9112 2.2: empty lines before the request line are ignored. */
    g_autoptr(MsHttpEvent) lead = one_request("\r\n\r\nGET / HTTP/1.1\nHost: x\n\n", &out);
    CU_ASSERT_EQUAL(lead->kind, MS_HTTP_EVENT_REQUEST);
    g_free(g_steal_pointer(&out));
    /* A few, each time (an extra CRLF after every POST); but a client that
     * sends nothing else is answered 400 and the connection closed, or it
     * would hold it for ever, a line at a time. */
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    for (guint i = 0; i < 3; i++) {
        server_feed(s, "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        g_autoptr(MsHttpEvent) again = ms_http_server_next_event(s);
        CU_ASSERT_TRUE_FATAL(again != NULL && again->kind == MS_HTTP_EVENT_REQUEST);
        ms_http_server_respond(s, 200, NULL, NULL, NULL);
        g_free(server_output(s));
    }
    server_feed(s, "\r\n\r\n\r\n\r\n\r\n");
    g_autofree char *refused = server_output(s);
    CU_ASSERT_TRUE(g_str_has_prefix(refused, "HTTP/1.1 400 Bad Request\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refused, "Connection: close\r\n"));
}

static void test_server_respond_sanitized(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Location", "/a\r\nSet-Cookie: evil=1");
    ms_http_headers_add(h, "Content-Length", "999");
    ms_http_headers_add(h, "Connection", "close");
    ms_http_server_respond(s, 302, NULL, h, NULL);
    g_autofree char *out = server_output(s);
    /* A value cannot start a field of its own; the framing is the engine's. */
    MS_ASSERT_STR(out, "HTTP/1.1 302 Found\r\nLocation: /a  Set-Cookie: evil=1\r\n"
                       "Content-Length: 0\r\n\r\n");
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
}

static void test_server_software_and_methods(void)
{
    static const char *const methods[] = { "GET", "POST", NULL };
    MsHttpServerConfig cfg;
    ms_http_server_config_init(&cfg);
    cfg.methods = methods;
    cfg.software = "mailsim";
    g_autoptr(MsHttpServer) s = ms_http_server_new(&cfg);
    server_feed(s, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) e1 = ms_http_server_next_event(s);
    CU_ASSERT_EQUAL(e1->status, 405);
    g_autoptr(MsHttpEvent) e2 = ms_http_server_next_event(s);
    CU_ASSERT_EQUAL(e2->kind, MS_HTTP_EVENT_REQUEST);
    ms_http_server_respond(s, 200, NULL, NULL, NULL);
    g_autofree char *out = server_output(s);
    /* The 405 to HEAD has no content; the Server field leads each answer. */
    CU_ASSERT_TRUE(g_str_has_prefix(out, "HTTP/1.1 405 Method Not Allowed\r\nServer: mailsim\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Allow: GET, POST\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\r\n\r\nHTTP/1.1 200 OK\r\nServer: mailsim\r\n"
                                       "Content-Length: 0\r\n\r\n"));
}

static gint64 fixed_clock(gpointer data)
{
    return *(const gint64 *) data;
}

/* RFC 9110 6.6.1: with a clock, every response the engine writes, its
 * own errors too, carries one Date, an IMF-fixdate (5.6.7) in English;
 * without one, none (a glue's own Date then passes). */
static void test_server_date(void)
{
    static const gint64 when = 784111777; /* RFC 9110's example */
    MsHttpServerConfig cfg;
    ms_http_server_config_init(&cfg);
    cfg.software = "mailsim";
    cfg.clock = fixed_clock;
    cfg.clock_data = (gpointer) &when;
    g_autoptr(MsHttpServer) s = ms_http_server_new(&cfg);
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\nPUT / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) e1 = ms_http_server_next_event(s);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Date", "Thu, 01 Jan 1970 00:00:00 GMT");
    ms_http_server_respond(s, 200, NULL, h, NULL);
    g_autofree char *out = server_output(s);
    MS_ASSERT_STR(out, "HTTP/1.1 200 OK\r\nServer: mailsim\r\n"
                       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n"
                       "HTTP/1.1 405 Method Not Allowed\r\nServer: mailsim\r\n"
                       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\nAllow: GET, HEAD, POST\r\n"
                       "Content-Length: 61\r\n\r\n"
                       "405 Method Not Allowed: a method this server does not allow\r\n");
    char date[MS_HTTP_DATE_LEN + 1];
    ms_http_format_date(date, 0);
    MS_ASSERT_STR(date, "Thu, 01 Jan 1970 00:00:00 GMT");
    ms_http_format_date(date, G_GINT64_CONSTANT(4102444799));
    MS_ASSERT_STR(date, "Thu, 31 Dec 2099 23:59:59 GMT");
    /* No clock, no Date of the engine's. */
    g_autoptr(MsHttpServer) plain = ms_http_server_new(NULL);
    server_feed(plain, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(MsHttpEvent) e2 = ms_http_server_next_event(plain);
    ms_http_server_respond(plain, 204, NULL, NULL, NULL);
    g_autofree char *bare = server_output(plain);
    MS_ASSERT_STR(bare, "HTTP/1.1 204 No Content\r\n\r\n");
}

/* RFC 9110 10.1.1: "Expect: 100-continue" is answered 100 before the
 * content is read, or with the final status when the request is refused
 * already (the connection then closes); HTTP/1.0's is ignored, and none
 * goes while an earlier response is still owed. */
static void test_server_expect_continue(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "POST /login HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                   "Content-Length: 3\r\n\r\n");
    g_autofree char *cont = server_output(s);
    MS_ASSERT_STR(cont, "HTTP/1.1 100 Continue\r\n\r\n");
    CU_ASSERT_PTR_NULL(ms_http_server_next_event(s));
    server_feed(s, "a=b");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    CU_ASSERT(bytes_equal(ev->body, "a=b"));
    ms_http_server_respond(s, 204, NULL, NULL, NULL);
    g_autofree char *done = server_output(s);
    MS_ASSERT_STR(done, "HTTP/1.1 204 No Content\r\n\r\n");

    /* Refused already (no Host): the final status now, and close. */
    g_autoptr(MsHttpServer) r = ms_http_server_new(NULL);
    server_feed(r, "POST /login HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    g_autofree char *refused = server_output(r);
    CU_ASSERT_TRUE(g_str_has_prefix(refused, "HTTP/1.1 400 Bad Request\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refused, "Connection: close\r\n"));
    CU_ASSERT_PTR_NULL(strstr(refused, "100 Continue"));
    CU_ASSERT_EQUAL(ms_http_server_state(r), MS_HTTP_SERVER_CLOSED);

    /* HTTP/1.0, no content, or an answer still owed: no 100. */
    static const char *const quiet[] = {
        "POST /login HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        "POST /login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(quiet); i++) {
        g_autoptr(MsHttpServer) q = ms_http_server_new(NULL);
        server_feed(q, quiet[i]);
        g_autofree char *none = server_output(q);
        MS_ASSERT_STR(none, "");
    }
}

static void test_server_connection_lost(void)
{
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    server_feed(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_EQUAL(ms_http_server_pending(s), 1);
    ms_http_server_connection_lost(s);
    CU_ASSERT_EQUAL(ms_http_server_pending(s), 0);
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_CLOSED);
    /* An answer that comes too late goes nowhere. */
    ms_http_server_respond(s, 200, NULL, NULL, NULL);
    g_autofree char *out = server_output(s);
    MS_ASSERT_STR(out, "");
    CU_ASSERT_PTR_NULL(ms_http_server_next_event(s));
}

static const MsTestCase server_cases[] = {
    MS_TEST(test_server_get_event),
    MS_TEST(test_server_response_exact),
    MS_TEST(test_server_body_line_ends),
    MS_TEST(test_server_post_bytewise),
    MS_TEST(test_server_pipelined_in_order),
    MS_TEST(test_server_pipeline_limit),
    MS_TEST(test_server_connection_close),
    MS_TEST(test_server_http10),
    MS_TEST(test_server_http10_keep_alive_said),
    MS_TEST(test_server_refusals),
    MS_TEST(test_server_too_large),
    MS_TEST(test_server_too_long),
    MS_TEST(test_server_chunked_request),
    MS_TEST(test_server_head),
    MS_TEST(test_server_target_forms),
    MS_TEST(test_server_respond_sanitized),
    MS_TEST(test_server_software_and_methods),
    MS_TEST(test_server_date),
    MS_TEST(test_server_expect_continue),
    MS_TEST(test_server_connection_lost),
    MS_TEST_END,
};

/* ---- http/client ------------------------------------------------------------------ */

static MsHttpClient *client_new(gboolean pipelining)
{
    MsHttpClientConfig cfg;
    ms_http_client_config_init(&cfg, "mail.crepes.fr");
    cfg.pipelining = pipelining;
    return ms_http_client_new(&cfg);
}

static void test_client_get_lines(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Cookie", "session=s1");
    ms_http_headers_add(h, "Host", "evil.example");      /* the engine's own */
    ms_http_headers_add(h, "Content-Length", "5");       /* likewise */
    ms_http_client_request(c, "GET", "/inbox", h, NULL, NULL);
    g_autoptr(GPtrArray) out = ms_http_client_take_output(c);
    g_autofree char *text = lines_text(out);
    /* RFC 9112 3.2: Host in every request; no content, no Content-Length. */
    MS_ASSERT_STR(text, "GET /inbox HTTP/1.1\r\nHost: mail.crepes.fr\r\nCookie: session=s1\r\n\r\n");
    CU_ASSERT_EQUAL_FATAL(out->len, 4);
    const char *notes[] = { "http.request.get", "http.header.host", "http.header.cookie",
                            "http.header.end" };
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->note, notes[i]);
        MS_ASSERT_STR(l->phase, MS_HTTP_PHASE_REQUEST);
    }
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_STATUS);
    CU_ASSERT_EQUAL(ms_http_client_outstanding(c), 1);
}

static void test_client_post_form(void)
{
    MsHttpClientConfig cfg;
    ms_http_client_config_init(&cfg, "mail.crepes.fr");
    cfg.user_agent = "mailsim-browser";
    g_autoptr(MsHttpClient) c = ms_http_client_new(&cfg);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Content-Type", "application/x-www-form-urlencoded");
    /* "user=bob&password=hungry": 8 + 1 + 15 = 24 octets. */
    g_autoptr(GBytes) body = bytes("user=bob&password=hungry");
    ms_http_client_request(c, "POST", "/login", h, body, NULL);
    g_autoptr(GPtrArray) out = ms_http_client_take_output(c);
    g_autofree char *text = lines_text(out);
    MS_ASSERT_STR(text, "POST /login HTTP/1.1\r\nHost: mail.crepes.fr\r\n"
                        "User-Agent: mailsim-browser\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: 24\r\n\r\nuser=bob&password=hungry");
    const MsProtoLine *last = g_ptr_array_index(out, out->len - 1);
    MS_ASSERT_STR(last->note, "http.body.form");
    /* RFC 9110 8.6: a POST without content still says Content-Length: 0. */
    ms_http_client_request(c, "POST", "/empty", NULL, NULL, NULL);
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    g_autofree char *second = client_output(c);
    MS_ASSERT_STR(second, "POST /empty HTTP/1.1\r\nHost: mail.crepes.fr\r\n"
                          "User-Agent: mailsim-browser\r\nContent-Length: 0\r\n\r\n");
}

static void test_client_one_at_a_time(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    int tag1 = 1, tag2 = 2;
    ms_http_client_request(c, "GET", "/a", NULL, NULL, &tag1);
    ms_http_client_request(c, "GET", "/b", NULL, NULL, &tag2);
    g_autofree char *first = client_output(c);
    MS_ASSERT_STR(first, "GET /a HTTP/1.1\r\nHost: mail.crepes.fr\r\n\r\n");
    /* The response arrives in pieces. */
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Le");
    CU_ASSERT_PTR_NULL(ms_http_client_next_event(c));
    client_feed(c, "ngth: 5\r\n\r\nhel");
    CU_ASSERT_PTR_NULL(ms_http_client_next_event(c));
    client_feed(c, "lo");
    g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->kind, MS_HTTP_EVENT_RESPONSE);
    CU_ASSERT_PTR_EQUAL(ev->tag, &tag1);
    CU_ASSERT_EQUAL(ev->status, 200);
    MS_ASSERT_STR(ev->reason, "OK");
    MS_ASSERT_STR(ev->method, "GET");
    CU_ASSERT_TRUE(bytes_equal(ev->body, "hello"));
    CU_ASSERT_TRUE(ev->keep_alive);
    /* Only now does the second request go out. */
    g_autofree char *second = client_output(c);
    MS_ASSERT_STR(second, "GET /b HTTP/1.1\r\nHost: mail.crepes.fr\r\n\r\n");
    client_feed(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    g_autoptr(MsHttpEvent) ev2 = ms_http_client_next_event(c);
    CU_ASSERT_PTR_EQUAL(ev2->tag, &tag2);
    CU_ASSERT_EQUAL(ev2->status, 404);
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_IDLE);
}

static void test_client_pipelining(void)
{
    g_autoptr(MsHttpClient) c = client_new(TRUE);
    ms_http_client_request(c, "GET", "/a", NULL, NULL, NULL);
    ms_http_client_request(c, "POST", "/send", NULL, NULL, NULL);
    ms_http_client_request(c, "GET", "/b", NULL, NULL, NULL);
    g_autofree char *out = client_output(c);
    /* RFC 9112 9.3.2: GET may be pipelined, but nothing goes after a POST
     * until its response has come. */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "GET /a "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "POST /send "));
    CU_ASSERT_PTR_NULL(strstr(out, "GET /b "));
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                   "HTTP/1.1 303 See Other\r\nLocation: /inbox\r\nContent-Length: 0\r\n\r\n");
    g_autoptr(MsHttpEvent) e1 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) e2 = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(e1->status, 200);
    CU_ASSERT_EQUAL(e2->status, 303);
    MS_ASSERT_STR(ms_http_headers_get(e2->headers, "location"), "/inbox");
    g_autofree char *later = client_output(c);
    CU_ASSERT_TRUE(g_str_has_prefix(later, "GET /b "));
}

static void test_client_chunked(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "GET", "/", NULL, NULL, NULL);
    /* RFC 9112 7.1, with an extension and a trailer; obs-fold in a field is
     * joined with a space (5.2). */
    client_feed(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long: a\r\n b\r\n\r\n"
                   "4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->status, 200);
    CU_ASSERT_TRUE(bytes_equal(ev->body, "Wikipedia"));
    MS_ASSERT_STR(ms_http_headers_get(ev->headers, "X-Long"), "a b");
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_IDLE);
}

static void test_client_until_close(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "GET", "/", NULL, NULL, NULL);
    ms_http_client_request(c, "GET", "/never", NULL, NULL, NULL);
    /* RFC 9112 6.3 rule 8: no length, so the content ends with the
     * connection (an HTTP/1.0 server does this). */
    client_feed(c, "HTTP/1.0 200 OK\r\n\r\nall of ");
    client_feed(c, "it");
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_UNTIL_CLOSE);
    CU_ASSERT_PTR_NULL(ms_http_client_next_event(c));
    ms_http_client_connection_lost(c);
    g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(ev->status, 200);
    CU_ASSERT_TRUE(bytes_equal(ev->body, "all of it"));
    g_autoptr(MsHttpEvent) never = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(never->kind, MS_HTTP_EVENT_RESPONSE);
    CU_ASSERT_EQUAL(never->status, 0);
    CU_ASSERT_TRUE(never->unsent);
    g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
}

static void test_client_finish(void)
{
    /* Idle: CLOSE at once. */
    g_autoptr(MsHttpClient) idle = client_new(FALSE);
    ms_http_client_finish(idle);
    g_autoptr(MsHttpEvent) e0 = ms_http_client_next_event(idle);
    CU_ASSERT_EQUAL(e0->kind, MS_HTTP_EVENT_CLOSE);
    CU_ASSERT_EQUAL(ms_http_client_state(idle), MS_HTTP_CLIENT_CLOSED);

    /* Queued: the last request carries close (RFC 9112 9.6). */
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "GET", "/a", NULL, NULL, NULL);
    ms_http_client_request(c, "GET", "/logout", NULL, NULL, NULL);
    ms_http_client_finish(c);
    g_autofree char *first = client_output(c);
    CU_ASSERT_PTR_NULL(strstr(first, "Connection"));
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    g_autofree char *last = client_output(c);
    MS_ASSERT_STR(last, "GET /logout HTTP/1.1\r\nHost: mail.crepes.fr\r\nConnection: close\r\n\r\n");
    client_feed(c, "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n");
    g_autoptr(MsHttpEvent) r1 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) r2 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(r2->status, 302);
    CU_ASSERT_FALSE(r2->keep_alive);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
    /* After finish, new requests come straight back unsent. */
    ms_http_client_request(c, "GET", "/late", NULL, NULL, NULL);
    g_autoptr(MsHttpEvent) late = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(late->status, 0);
    CU_ASSERT_TRUE(late->unsent);

    /* In flight without close: CLOSE after its response. */
    g_autoptr(MsHttpClient) f = client_new(FALSE);
    ms_http_client_request(f, "GET", "/", NULL, NULL, NULL);
    ms_http_client_finish(f);
    CU_ASSERT_PTR_NULL(ms_http_client_next_event(f));
    client_feed(f, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    g_autoptr(MsHttpEvent) fr = ms_http_client_next_event(f);
    g_autoptr(MsHttpEvent) fc = ms_http_client_next_event(f);
    CU_ASSERT_EQUAL(fr->status, 200);
    CU_ASSERT_EQUAL(fc->kind, MS_HTTP_EVENT_CLOSE);
}

static void test_client_server_closes(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    int t2 = 2;
    ms_http_client_request(c, "GET", "/a", NULL, NULL, NULL);
    ms_http_client_request(c, "GET", "/b", NULL, NULL, &t2);
    client_feed(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    g_autoptr(MsHttpEvent) r1 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) r2 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(r1->status, 200);
    CU_ASSERT_FALSE(r1->keep_alive);
    /* The second was never sent: it may be retried on a new connection. */
    CU_ASSERT_PTR_EQUAL(r2->tag, &t2);
    CU_ASSERT_EQUAL(r2->status, 0);
    CU_ASSERT_TRUE(r2->unsent);
    CU_ASSERT_PTR_NOT_NULL(r2->text);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
    g_autofree char *out = client_output(c);
    CU_ASSERT_PTR_NULL(strstr(out, "/b"));
}

static void test_client_no_content_cases(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "HEAD", "/", NULL, NULL, NULL);
    ms_http_client_request(c, "GET", "/x", NULL, NULL, NULL);
    /* RFC 9112 6.3 rule 1: a response to HEAD has no content whatever its
     * Content-Length; 1xx is interim (RFC 9110 15.2); 304 has none. */
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    client_feed(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\n"
                   "Content-Length: 99\r\n\r\n");
    g_autoptr(MsHttpEvent) e1 = ms_http_client_next_event(c);
    g_autoptr(MsHttpEvent) e2 = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(e1->status, 200);
    MS_ASSERT_STR(e1->method, "HEAD");
    CU_ASSERT_EQUAL(g_bytes_get_size(e1->body), 0);
    CU_ASSERT_EQUAL(e2->status, 304);
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_IDLE);
}

static void test_client_bad_responses(void)
{
    const char *bad[] = {
        "HTTP/1.1 2OO OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Field\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(MsHttpClient) c = client_new(FALSE);
        ms_http_client_request(c, "GET", "/", NULL, NULL, NULL);
        client_feed(c, bad[i]);
        g_autoptr(MsHttpEvent) err = ms_http_client_next_event(c);
        g_autoptr(MsHttpEvent) none = ms_http_client_next_event(c);
        g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(close);
        CU_ASSERT_EQUAL(err->kind, MS_HTTP_EVENT_PROTOCOL_ERROR);
        CU_ASSERT_EQUAL(none->kind, MS_HTTP_EVENT_RESPONSE);
        CU_ASSERT_EQUAL(none->status, 0);
        CU_ASSERT_FALSE(none->unsent);
        CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
    }
    /* A status line without a reason phrase is fine (RFC 9112 4). */
    g_autoptr(MsHttpClient) ok = client_new(FALSE);
    ms_http_client_request(ok, "GET", "/", NULL, NULL, NULL);
    client_feed(ok, "HTTP/1.1 204\r\n\r\n");
    g_autoptr(MsHttpEvent) e = ms_http_client_next_event(ok);
    CU_ASSERT_EQUAL(e->status, 204);
    MS_ASSERT_STR(e->reason, "");
}

static void test_client_lost_mid_body(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "GET", "/", NULL, NULL, NULL);
    client_feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    ms_http_client_connection_lost(c);
    g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
    /* RFC 9112 8: an incomplete message is not a response. */
    CU_ASSERT_EQUAL(ev->kind, MS_HTTP_EVENT_RESPONSE);
    CU_ASSERT_EQUAL(ev->status, 0);
    CU_ASSERT_FALSE(ev->unsent);
    g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
}

static void test_client_invalid_request(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    ms_http_client_request(c, "GET", "/a b", NULL, NULL, NULL);
    g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(ev->status, 0);
    CU_ASSERT_TRUE(ev->unsent);
    g_autofree char *out = client_output(c);
    MS_ASSERT_STR(out, "");
}

static const MsTestCase client_cases[] = {
    MS_TEST(test_client_get_lines),
    MS_TEST(test_client_post_form),
    MS_TEST(test_client_one_at_a_time),
    MS_TEST(test_client_pipelining),
    MS_TEST(test_client_chunked),
    MS_TEST(test_client_until_close),
    MS_TEST(test_client_finish),
    MS_TEST(test_client_server_closes),
    MS_TEST(test_client_no_content_cases),
    MS_TEST(test_client_bad_responses),
    MS_TEST(test_client_lost_mid_body),
    MS_TEST(test_client_invalid_request),
    MS_TEST_END,
};

/* ---- http/wired --------------------------------------------------------------------- */

/* Moves bytes both ways until neither engine has anything to say;
 * answers every request with respond (an echo when NULL).  Returns how
 * many rounds it took. */
typedef void (*Responder)(MsHttpServer *s, const MsHttpEvent *ev, gpointer data);

static void echo(MsHttpServer *s, const MsHttpEvent *ev, gpointer data)
{
    (void) data;
    g_autofree char *text = g_strdup_printf("%s %s (%" G_GSIZE_FORMAT " bytes)\n", ev->method,
                                            ev->path, g_bytes_get_size(ev->body));
    g_autoptr(GBytes) body = bytes(text);
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Content-Type", "text/plain");
    ms_http_server_respond(s, 200, NULL, h, body);
}

static guint pump(MsHttpClient *c, MsHttpServer *s, Responder respond, gpointer data,
                  gboolean *server_closed)
{
    guint rounds = 0;
    for (;;) {
        g_autoptr(GPtrArray) up = ms_http_client_take_output(c);
        g_autoptr(GBytes) up_bytes = ms_proto_lines_to_bytes(up);
        gsize n = 0;
        const char *d = g_bytes_get_data(up_bytes, &n);
        if (n > 0)
            ms_http_server_feed(s, d, n);
        for (MsHttpEvent *ev = ms_http_server_next_event(s); ev != NULL;
             ev = ms_http_server_next_event(s)) {
            if (ev->kind == MS_HTTP_EVENT_REQUEST)
                respond(s, ev, data);
            else if (ev->kind == MS_HTTP_EVENT_CLOSE && server_closed != NULL)
                *server_closed = TRUE;
            ms_http_event_free(ev);
        }
        g_autoptr(GPtrArray) down = ms_http_server_take_output(s);
        g_autoptr(GBytes) down_bytes = ms_proto_lines_to_bytes(down);
        gsize m = 0;
        const char *e = g_bytes_get_data(down_bytes, &m);
        if (m > 0)
            ms_http_client_feed(c, e, m);
        if (n == 0 && m == 0)
            return rounds;
        rounds++;
    }
}

static void test_wired_keep_alive_then_close(void)
{
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    g_autoptr(GBytes) form = bytes("a=1&b=2");
    ms_http_client_request(c, "GET", "/", NULL, NULL, GINT_TO_POINTER(1));
    ms_http_client_request(c, "POST", "/login", NULL, form, GINT_TO_POINTER(2));
    ms_http_client_request(c, "GET", "/inbox", NULL, NULL, GINT_TO_POINTER(3));
    ms_http_client_finish(c);
    gboolean closed = FALSE;
    guint rounds = pump(c, s, echo, NULL, &closed);
    /* One request per round trip: three rounds without pipelining. */
    CU_ASSERT_EQUAL(rounds, 3);
    const char *want[] = { "GET / (0 bytes)\n", "POST /login (7 bytes)\n",
                           "GET /inbox (0 bytes)\n" };
    for (int i = 0; i < 3; i++) {
        g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
        CU_ASSERT_EQUAL(GPOINTER_TO_INT(ev->tag), i + 1);
        CU_ASSERT_EQUAL(ev->status, 200);
        CU_ASSERT_TRUE(bytes_equal(ev->body, want[i]));
        CU_ASSERT_EQUAL(ev->keep_alive, i < 2);
    }
    g_autoptr(MsHttpEvent) close = ms_http_client_next_event(c);
    CU_ASSERT_EQUAL(close->kind, MS_HTTP_EVENT_CLOSE);
    CU_ASSERT_TRUE(closed);
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_CLOSED);
}

static void test_wired_pipelined(void)
{
    g_autoptr(MsHttpClient) c = client_new(TRUE);
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    for (int i = 0; i < 4; i++) {
        g_autofree char *t = g_strdup_printf("/message/%d", i + 1);
        ms_http_client_request(c, "GET", t, NULL, NULL, GINT_TO_POINTER(i));
    }
    guint rounds = pump(c, s, echo, NULL, NULL);
    /* All four go in one round trip. */
    CU_ASSERT_EQUAL(rounds, 1);
    for (int i = 0; i < 4; i++) {
        g_autoptr(MsHttpEvent) ev = ms_http_client_next_event(c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
        CU_ASSERT_EQUAL(GPOINTER_TO_INT(ev->tag), i);
        g_autofree char *want = g_strdup_printf("GET /message/%d (0 bytes)\n", i + 1);
        CU_ASSERT_TRUE(bytes_equal(ev->body, want));
    }
}

static const MsTestCase wired_cases[] = {
    MS_TEST(test_wired_keep_alive_then_close),
    MS_TEST(test_wired_pipelined),
    MS_TEST_END,
};


/* ---- webmail: a fake mailbox behind the callbacks ------------------------------ */

typedef struct {
    GPtrArray *messages;  /* GBytes */
    GPtrArray *sent;      /* char*: "from|to,to|subject|body" */
    gboolean refuse;
    gboolean broken;
} Box;

static const char *const msg_ketchup =
    "From: Bob <bob@hamburger.edu>\r\nTo: alice@crepes.fr\r\nSubject: Ketchup\r\n"
    "Date: Thu, 23 Mar 2023 12:00:00 +0000\r\n\r\nDo you like ketchup?\r\nHow about pickles?\r\n";
static const char *const msg_evil =
    "From: Eve <eve@evil.example>\r\nSubject: <script>alert(1)</script> & more\r\n\r\n"
    "<b>bold</b> & \"quoted\" 'single'\r\n";
static const char *const msg_utf8 =
    "From: carol@hamburger.edu\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    "\r\nViele Gr=C3=BC=C3=9Fe\r\n";

static Box *box_new(void)
{
    Box *b = g_new0(Box, 1);
    b->messages = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    b->sent = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(b->messages, bytes(msg_ketchup));
    g_ptr_array_add(b->messages, bytes(msg_evil));
    g_ptr_array_add(b->messages, bytes(msg_utf8));
    return b;
}

static void box_free(Box *b)
{
    g_ptr_array_unref(b->messages);
    g_ptr_array_unref(b->sent);
    g_free(b);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Box, box_free)

static gboolean box_auth(const char *user, const char *password, gpointer data,
                         char **address_out)
{
    (void) data;
    if ((strcmp(user, "alice") != 0 && strcmp(user, "alice@crepes.fr") != 0)
        || strcmp(password, "s3cret pw") != 0)
        return FALSE;
    *address_out = g_strdup("alice@crepes.fr");
    return TRUE;
}

static GPtrArray *box_list(const char *address, gpointer data)
{
    Box *b = data;
    if (b->broken || strcmp(address, "alice@crepes.fr") != 0)
        return NULL;
    GPtrArray *list = ms_webmail_summaries_new();
    for (guint i = 0; i < b->messages->len; i++)
        g_ptr_array_add(list, ms_webmail_summary_from_bytes(g_ptr_array_index(b->messages, i)));
    return list;
}

static GBytes *box_get(const char *address, guint number, gpointer data)
{
    Box *b = data;
    if (strcmp(address, "alice@crepes.fr") != 0 || number < 1 || number > b->messages->len)
        return NULL;
    return g_bytes_ref(g_ptr_array_index(b->messages, number - 1));
}

static gboolean box_send(const MsWebmailOutgoing *m, gpointer data, char **error_out)
{
    Box *b = data;
    if (b->refuse) {
        *error_out = g_strdup("Relay <denied>.");
        return FALSE;
    }
    g_autofree char *to = g_strjoinv(",", (char **) m->to);
    g_ptr_array_add(b->sent, g_strdup_printf("%s|%s|%s|%s", m->from, to, m->subject, m->body));
    return TRUE;
}

static MsWebmail *app_new(Box *b)
{
    MsWebmailConfig cfg = { .hostname = "mail.crepes.fr", .authenticate = box_auth,
                            .list = box_list, .get = box_get, .send = box_send,
                            .user_data = b };
    MsWebmail *app = ms_webmail_new(&cfg, NULL);
    g_assert(app != NULL);
    return app;
}

/* One request to the application (transfer full). */
static MsWebmailResponse *call(MsWebmail *app, const char *method, const char *target,
                               const char *cookie, const char *form)
{
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Host", "mail.crepes.fr");
    if (cookie != NULL)
        ms_http_headers_add(h, "Cookie", cookie);
    if (form != NULL)
        ms_http_headers_add(h, "Content-Type", "application/x-www-form-urlencoded");
    g_autoptr(GBytes) body = form != NULL ? bytes(form) : NULL;
    return ms_webmail_handle(app, NULL, method, target, h, body);
}

static char *page_of(const MsWebmailResponse *r)
{
    gsize n = 0;
    const char *d = g_bytes_get_data(r->body, &n);
    return g_strndup(d != NULL ? d : "", n);
}

/* Logs alice in and returns the cookie pair the browser would send back. */
static char *login(MsWebmail *app)
{
    g_autoptr(MsWebmailResponse) r = call(app, "POST", "/login", NULL,
                                          "user=alice&password=s3cret+pw");
    g_assert(r->status == 302);
    return ms_http_set_cookie_pair(ms_http_headers_get(r->headers, "Set-Cookie"));
}

static gboolean all_crlf(const char *text)
{
    for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
        if (p == text || p[-1] != '\r')
            return FALSE;
    }
    return TRUE;
}

static guint count_lines(const char *text)
{
    guint n = 0;
    for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n'))
        n++;
    return n;
}

/* ---- webmail/routes ----------------------------------------------------------- */

static void test_webmail_login_form(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autoptr(MsWebmailResponse) r = call(app, "GET", "/", NULL, NULL);
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_LOGIN_FORM);
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Content-Type"), "text/html; charset=utf-8");
    g_autofree char *html = page_of(r);
    CU_ASSERT_TRUE(g_str_has_prefix(html, "<!DOCTYPE html>\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<title>Web mail at mail.crepes.fr</title>\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "action=\"/login\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "name=\"password\""));
    /* Every line ends in CRLF, so Content-Length counts them as sent. */
    CU_ASSERT_TRUE(g_str_has_suffix(html, "\r\n"));
    CU_ASSERT_TRUE(all_crlf(html));
    /* A small page: a transcript shows every line. */
    CU_ASSERT_TRUE(count_lines(html) <= 6);
}

static void test_webmail_login(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autoptr(MsWebmailResponse) r = call(app, "POST", "/login", NULL,
                                          "user=alice&password=s3cret+pw");
    CU_ASSERT_EQUAL(r->status, 302);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_LOGIN_OK);
    MS_ASSERT_STR(r->user, "alice@crepes.fr");
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Location"), "/inbox");
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Set-Cookie"), "session=s1; Path=/; HttpOnly");
    CU_ASSERT_EQUAL(ms_webmail_sessions(app), 1);
    /* Session ids are numbered, not drawn: the same run gives the same ids. */
    g_autoptr(MsWebmailResponse) r2 = call(app, "POST", "/login", NULL,
                                           "password=s3cret%20pw&user=alice%40crepes.fr");
    MS_ASSERT_STR(ms_http_headers_get(r2->headers, "Set-Cookie"), "session=s2; Path=/; HttpOnly");
    CU_ASSERT_EQUAL(ms_webmail_sessions(app), 2);
}

/* The glue's session ids: "s1" ... only when it gives none (a scenario
 * run); live mode gives its own, drawn, and a numbered one then opens
 * nothing.  One already in use is drawn again. */
static char *fixed_ids(gpointer data)
{
    guint *n = data;
    static const char *const ids[] = { "9f3c", "9f3c", "a71e" };
    return g_strdup(ids[MIN((*n)++, G_N_ELEMENTS(ids) - 1)]);
}

static void test_webmail_session_ids_from_the_glue(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    guint drawn = 0;
    ms_webmail_set_session_ids(app, fixed_ids, &drawn);
    g_autofree char *first = login(app);
    MS_ASSERT_STR(first, "session=9f3c");
    g_autofree char *second = login(app);
    MS_ASSERT_STR(second, "session=a71e");
    CU_ASSERT_EQUAL(drawn, 3);
    g_autoptr(MsWebmailResponse) mine = call(app, "GET", "/inbox", second, NULL);
    CU_ASSERT_EQUAL(mine->status, 200);
    MS_ASSERT_STR(mine->user, "alice@crepes.fr");
    g_autoptr(MsWebmailResponse) guessed = call(app, "GET", "/inbox", "session=s1", NULL);
    CU_ASSERT_EQUAL(guessed->status, 302);
    CU_ASSERT_EQUAL(guessed->outcome, MS_WEBMAIL_NO_SESSION);
}

static void test_webmail_login_refused(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autoptr(MsWebmailResponse) wrong = call(app, "POST", "/login", NULL,
                                              "user=alice&password=guess");
    /* RFC 9110 15.5.2: 401 with a WWW-Authenticate challenge. */
    CU_ASSERT_EQUAL(wrong->status, 401);
    CU_ASSERT_EQUAL(wrong->outcome, MS_WEBMAIL_LOGIN_FAILED);
    CU_ASSERT_PTR_NOT_NULL(ms_http_headers_get(wrong->headers, "WWW-Authenticate"));
    CU_ASSERT_PTR_NULL(ms_http_headers_get(wrong->headers, "Set-Cookie"));
    CU_ASSERT_EQUAL(ms_webmail_sessions(app), 0);
    const char *bad_forms[] = { "user=alice", "password=x", "user=&password=x",
                                "user=al%ZZice&password=x", "user=a%00&password=x",
                                "user=%FF&password=x", "user=a&password=%4" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad_forms); i++) {
        g_autoptr(MsWebmailResponse) r = call(app, "POST", "/login", NULL, bad_forms[i]);
        CU_ASSERT_EQUAL(r->status, 400);
        CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_BAD_REQUEST);
    }
    /* RFC 9110 15.5.16: a form must come as a form. */
    g_autoptr(GPtrArray) h = ms_http_headers_new();
    ms_http_headers_add(h, "Content-Type", "text/plain");
    g_autoptr(GBytes) body = bytes("user=alice&password=s3cret+pw");
    g_autoptr(MsWebmailResponse) typed = ms_webmail_handle(app, NULL, "POST", "/login", h, body);
    CU_ASSERT_EQUAL(typed->status, 415);
    CU_ASSERT_EQUAL(ms_webmail_sessions(app), 0);
}

static void test_webmail_session_required(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    const char *targets[] = { "/inbox", "/message/1", "/compose" };
    const char *cookies[] = { NULL, "session=s1", "session=s1x; other=1" };
    for (gsize i = 0; i < G_N_ELEMENTS(targets); i++) {
        for (gsize j = 0; j < G_N_ELEMENTS(cookies); j++) {
            g_autoptr(MsWebmailResponse) r = call(app, "GET", targets[i], cookies[j], NULL);
            CU_ASSERT_EQUAL(r->status, 302);
            CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_NO_SESSION);
            MS_ASSERT_STR(ms_http_headers_get(r->headers, "Location"), "/");
            CU_ASSERT_PTR_NULL(r->user);
        }
    }
    g_autoptr(MsWebmailResponse) send = call(app, "POST", "/send", NULL, "to=bob%40x.org");
    CU_ASSERT_EQUAL(send->status, 302);
    CU_ASSERT_EQUAL(b->sent->len, 0);
}

static void test_webmail_inbox(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    MS_ASSERT_STR(cookie, "session=s1");
    g_autoptr(MsWebmailResponse) r = call(app, "GET", "/inbox", cookie, NULL);
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_INBOX);
    MS_ASSERT_STR(r->user, "alice@crepes.fr");
    g_autofree char *html = page_of(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<title>Inbox of alice@crepes.fr</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "3 messages"));
    g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT " bytes", strlen(msg_ketchup));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<li><a href=\"/message/1\">Ketchup</a> from Bob "
                                        "&lt;bob@hamburger.edu&gt;, Thu, 23 Mar 2023 12:00:00 "
                                        "+0000, "));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, size));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "href=\"/message/3\">Grüße</a>"));
    /* The subject is data, not markup. */
    CU_ASSERT_PTR_NULL(strstr(html, "<script>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    CU_ASSERT_PTR_NULL(strstr(html, "Message sent."));
    CU_ASSERT_TRUE(all_crlf(html));
    /* HEAD is served like GET (the HTTP engine drops the content). */
    g_autoptr(MsWebmailResponse) head = call(app, "HEAD", "/inbox", cookie, NULL);
    CU_ASSERT_EQUAL(head->status, 200);
    b->broken = TRUE;
    g_autoptr(MsWebmailResponse) broken = call(app, "GET", "/inbox", cookie, NULL);
    CU_ASSERT_EQUAL(broken->status, 500);
}

static void test_webmail_message(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    g_autoptr(MsWebmailResponse) r = call(app, "GET", "/message/1", cookie, NULL);
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_MESSAGE);
    g_autofree char *html = page_of(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<title>Ketchup</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<pre>\r\nFrom: Bob &lt;bob@hamburger.edu&gt;\r\n"
                                        "To: alice@crepes.fr\r\n"
                                        "Date: Thu, 23 Mar 2023 12:00:00 +0000\r\n"
                                        "Subject: Ketchup\r\n\r\n"
                                        "Do you like ketchup?\r\nHow about pickles?\r\n"
                                        "</pre>\r\n"));
    g_autoptr(MsWebmailResponse) evil = call(app, "GET", "/message/2", cookie, NULL);
    g_autofree char *eh = page_of(evil);
    CU_ASSERT_PTR_NULL(strstr(eh, "<b>"));
    CU_ASSERT_PTR_NULL(strstr(eh, "<script>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(eh, "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; "
                                      "&#39;single&#39;"));
    /* Quoted-printable UTF-8 is decoded before it is shown. */
    g_autoptr(MsWebmailResponse) utf = call(app, "GET", "/message/3", cookie, NULL);
    g_autofree char *uh = page_of(utf);
    CU_ASSERT_PTR_NOT_NULL(strstr(uh, "Viele Grüße\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(uh, "<title>Grüße</title>"));
    const char *missing[] = { "/message/4", "/message/0", "/message/01", "/message/x",
                              "/message/", "/message/99999999999" };
    for (gsize i = 0; i < G_N_ELEMENTS(missing); i++) {
        g_autoptr(MsWebmailResponse) m = call(app, "GET", missing[i], cookie, NULL);
        CU_ASSERT_EQUAL(m->status, 404);
        CU_ASSERT_EQUAL(m->outcome, MS_WEBMAIL_NOT_FOUND);
    }
}

static void test_webmail_compose_and_send(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    g_autoptr(MsWebmailResponse) form = call(app, "GET", "/compose", cookie, NULL);
    CU_ASSERT_EQUAL(form->status, 200);
    g_autofree char *fh = page_of(form);
    CU_ASSERT_PTR_NOT_NULL(strstr(fh, "action=\"/send\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(fh, "name=\"to\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(fh, "<textarea name=\"body\">"));
    /* A textarea comes with CRLF (HTML 4.10.21.8); the message gets LF. */
    g_autoptr(MsWebmailResponse) r = call(app, "POST", "/send", cookie,
                                          "to=bob%40hamburger.edu%2C+carol%40hamburger.edu"
                                          "&subject=Gr%C3%BC%C3%9Fe+%26+more"
                                          "&body=line1%0D%0Aline2");
    /* RFC 9110 15.4.4: 303 sends the browser on to GET the inbox. */
    CU_ASSERT_EQUAL(r->status, 303);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_SENT);
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Location"), "/inbox?sent=1");
    CU_ASSERT_EQUAL_FATAL(b->sent->len, 1);
    MS_ASSERT_STR(g_ptr_array_index(b->sent, 0), "alice@crepes.fr|bob@hamburger.edu,"
                                                 "carol@hamburger.edu|Grüße & more|line1\nline2");
    g_autoptr(MsWebmailResponse) inbox = call(app, "GET", "/inbox?sent=1", cookie, NULL);
    g_autofree char *ih = page_of(inbox);
    CU_ASSERT_PTR_NOT_NULL(strstr(ih, "<p>Message sent.</p>"));
}

static void test_webmail_send_refused(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    const char *bad[] = { "subject=x&body=y", "to=&subject=x", "to=+%2C+",
                          "to=bob&subject=x", "to=%3Cbob%40x.org%3E", "to=a%40b%40c",
                          "to=bob%40x.org&body=%E0" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(MsWebmailResponse) r = call(app, "POST", "/send", cookie, bad[i]);
        CU_ASSERT_EQUAL(r->status, 400);
    }
    CU_ASSERT_EQUAL(b->sent->len, 0);
    /* The glue may refuse; its reason is shown, escaped. */
    b->refuse = TRUE;
    g_autoptr(MsWebmailResponse) refused = call(app, "POST", "/send", cookie, "to=bob%40x.org");
    CU_ASSERT_EQUAL(refused->status, 400);
    g_autofree char *html = page_of(refused);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Relay &lt;denied&gt;."));
}

static void test_webmail_logout(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    g_autoptr(MsWebmailResponse) r = call(app, "GET", "/logout", cookie, NULL);
    CU_ASSERT_EQUAL(r->status, 302);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_LOGOUT);
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Location"), "/");
    /* RFC 6265 5.2.2: Max-Age=0 expires the cookie. */
    CU_ASSERT_PTR_NOT_NULL(strstr(ms_http_headers_get(r->headers, "Set-Cookie"), "Max-Age=0"));
    CU_ASSERT_EQUAL(ms_webmail_sessions(app), 0);
    g_autoptr(MsWebmailResponse) after = call(app, "GET", "/inbox", cookie, NULL);
    CU_ASSERT_EQUAL(after->status, 302);
    CU_ASSERT_EQUAL(after->outcome, MS_WEBMAIL_NO_SESSION);
}

static void test_webmail_methods_and_paths(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    /* RFC 9110 15.5.6: 405 with Allow. */
    g_autoptr(MsWebmailResponse) r1 = call(app, "GET", "/login", NULL, NULL);
    CU_ASSERT_EQUAL(r1->status, 405);
    MS_ASSERT_STR(ms_http_headers_get(r1->headers, "Allow"), "POST");
    g_autoptr(MsWebmailResponse) r2 = call(app, "POST", "/inbox", cookie, "a=b");
    CU_ASSERT_EQUAL(r2->status, 405);
    MS_ASSERT_STR(ms_http_headers_get(r2->headers, "Allow"), "GET, HEAD");
    g_autoptr(MsWebmailResponse) r3 = call(app, "GET", "/nowhere", cookie, NULL);
    CU_ASSERT_EQUAL(r3->status, 404);
    g_autoptr(MsWebmailResponse) r4 = call(app, "GET", "/inbox/", cookie, NULL);
    CU_ASSERT_EQUAL(r4->status, 404);
    /* Pages that echo nothing of the request still escape what they show. */
    g_autoptr(MsWebmailResponse) r5 = call(app, "GET", "/<b>", cookie, NULL);
    g_autofree char *html = page_of(r5);
    CU_ASSERT_PTR_NULL(strstr(html, "<b>"));
}

/* RFC 9110 9.3.7: "OPTIONS *" asks about the server as a whole: 200, the
 * methods its pages take in Allow, and no content.  Through the engine as
 * a client sends it: the asterisk-form (RFC 9112 3.2.4) reaches web mail
 * as the path "*". */
static void test_webmail_options_asterisk(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    const char *const methods[] = { "OPTIONS", NULL };
    MsHttpServerConfig cfg;
    ms_http_server_config_init(&cfg);
    cfg.methods = methods;
    g_autoptr(MsHttpServer) engine = ms_http_server_new(&cfg);
    server_feed(engine, "OPTIONS * HTTP/1.1\r\nHost: mail.crepes.fr\r\n\r\n");
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(engine);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL_FATAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    MS_ASSERT_STR(ev->path, "*");
    g_autoptr(MsWebmailResponse) r = ms_webmail_handle(app, NULL, ev->method, ev->path,
                                                       ev->headers, ev->body);
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT_EQUAL(r->outcome, MS_WEBMAIL_OPTIONS);
    MS_ASSERT_STR(ms_http_headers_get(r->headers, "Allow"), "GET, HEAD, POST, OPTIONS");
    ms_http_server_respond(engine, r->status, NULL, r->headers, r->body);
    g_autofree char *out = server_output(engine);
    MS_ASSERT_STR(out, "HTTP/1.1 200 OK\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"
                       "Content-Length: 0\r\n\r\n");
    /* OPTIONS on a page is still that page's 405. */
    g_autoptr(MsWebmailResponse) page = call(app, "OPTIONS", "/inbox", NULL, NULL);
    CU_ASSERT_EQUAL(page->status, 405);
    MS_ASSERT_STR(ms_webmail_outcome_name(MS_WEBMAIL_OPTIONS), "options");
}

static void test_webmail_new_needs_callbacks(void)
{
    MsWebmailConfig cfg = { .authenticate = box_auth, .list = box_list };
    g_autoptr(GError) error = NULL;
    MsWebmail *app = ms_webmail_new(&cfg, &error);
    CU_ASSERT_PTR_NULL(app);
    CU_ASSERT_TRUE(g_error_matches(error, MS_ERROR, MS_ERROR_SCENARIO));
    MS_ASSERT_STR(ms_webmail_outcome_name(MS_WEBMAIL_SENT), "sent");
}

/* ---- webmail/folders ------------------------------------------------------------- */

static char **box_folders(const char *address, gpointer data)
{
    (void) address;
    (void) data;
    const char *names[] = { "INBOX", "Saved <&>", NULL };
    return g_strdupv((char **) names);
}

static GPtrArray *box_list_in(const char *address, const char *folder, gpointer data)
{
    Box *b = data;
    if (strcmp(folder, "INBOX") != 0)
        return strcmp(folder, "Saved <&>") == 0 ? ms_webmail_summaries_new() : NULL;
    GPtrArray *list = box_list(address, data);
    if (list != NULL && list->len > 0)
        ((MsWebmailSummary *) g_ptr_array_index(list, 0))->flagged = TRUE;
    (void) b;
    return list;
}

static GBytes *box_get_in(const char *address, const char *folder, guint number, gpointer data)
{
    return strcmp(folder, "INBOX") == 0 ? box_get(address, number, data) : NULL;
}

static gboolean box_change(const char *address, const MsWebmailChange *c, gpointer data,
                           char **error_out)
{
    Box *b = data;
    if (b->refuse) {
        *error_out = g_strdup("No <such> folder.");
        return FALSE;
    }
    g_ptr_array_add(b->sent, g_strdup_printf("%s|%d|%s|%u|%s", address, (int) c->op, c->folder,
                                             c->number, c->target != NULL ? c->target : "-"));
    return TRUE;
}

static void test_webmail_folders(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    /* Off by default: the INBOX pages only, no /change. */
    g_autoptr(MsWebmailResponse) off = call(app, "POST", "/change", cookie, "op=create&name=X");
    CU_ASSERT_EQUAL(off->status, 404);
    CU_ASSERT_EQUAL(b->sent->len, 0);
    const MsWebmailFolders folders = { box_folders, box_list_in, box_get_in, box_change };
    ms_webmail_enable_folders(app, &folders);

    g_autoptr(MsWebmailResponse) inbox = call(app, "GET", "/inbox", cookie, NULL);
    CU_ASSERT_EQUAL(inbox->status, 200);
    g_autofree char *html = page_of(inbox);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<title>INBOX of alice@crepes.fr</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<b>INBOX</b> <a href=\"/inbox?folder=Saved+%3C%26%3E\">"
                                        "Saved &lt;&amp;&gt;</a>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "href=\"/message/1?folder=INBOX\">Ketchup</a>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, " [flagged]</li>"));
    CU_ASSERT_TRUE(all_crlf(html));
    g_autoptr(MsWebmailResponse) saved = call(app, "GET", "/inbox?folder=Saved+%3C%26%3E",
                                              cookie, NULL);
    g_autofree char *shtml = page_of(saved);
    CU_ASSERT_PTR_NOT_NULL(strstr(shtml, "0 messages"));
    g_autoptr(MsWebmailResponse) none = call(app, "GET", "/inbox?folder=Nope", cookie, NULL);
    CU_ASSERT_EQUAL(none->status, 404);

    g_autoptr(MsWebmailResponse) msg = call(app, "GET", "/message/1?folder=INBOX", cookie, NULL);
    g_autofree char *mhtml = page_of(msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(mhtml, "name=\"n\" value=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(mhtml, "<option>Saved &lt;&amp;&gt;</option>"));

    g_autoptr(MsWebmailResponse) mv = call(app, "POST", "/change", cookie,
                                           "folder=INBOX&n=2&to=Saved+%3C%26%3E&op=move");
    CU_ASSERT_EQUAL(mv->status, 303);
    CU_ASSERT_EQUAL(mv->outcome, MS_WEBMAIL_CHANGED);
    MS_ASSERT_STR(ms_http_headers_get(mv->headers, "Location"), "/inbox?folder=INBOX");
    g_autoptr(MsWebmailResponse) cr = call(app, "POST", "/change", cookie, "op=create&name=New");
    MS_ASSERT_STR(ms_http_headers_get(cr->headers, "Location"), "/inbox?folder=New");
    CU_ASSERT_EQUAL(b->sent->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(b->sent, 0), "alice@crepes.fr|4|INBOX|2|Saved <&>");
    MS_ASSERT_STR(g_ptr_array_index(b->sent, 1), "alice@crepes.fr|5|New|0|-");
    /* Forms that do not say what to change. */
    static const char *const bad[] = { "op=zap&folder=INBOX&n=1", "op=delete&folder=INBOX",
                                       "op=delete&folder=INBOX&n=0", "op=copy&folder=INBOX&n=1",
                                       "op=create" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(MsWebmailResponse) r = call(app, "POST", "/change", cookie, bad[i]);
        CU_ASSERT_EQUAL(r->status, 400);
    }
    CU_ASSERT_EQUAL(b->sent->len, 2);
    b->refuse = TRUE;
    g_autoptr(MsWebmailResponse) refused = call(app, "POST", "/change", cookie,
                                                "op=flag&folder=INBOX&n=1");
    CU_ASSERT_EQUAL(refused->status, 400);
    g_autofree char *rhtml = page_of(refused);
    CU_ASSERT_PTR_NOT_NULL(strstr(rhtml, "No &lt;such&gt; folder."));
    /* Without a session: back to the login form. */
    g_autoptr(MsWebmailResponse) anon = call(app, "POST", "/change", NULL, "op=create&name=X");
    CU_ASSERT_EQUAL(anon->status, 302);
}

static const MsTestCase webmail_route_cases[] = {
    MS_TEST(test_webmail_login_form),
    MS_TEST(test_webmail_login),
    MS_TEST(test_webmail_session_ids_from_the_glue),
    MS_TEST(test_webmail_login_refused),
    MS_TEST(test_webmail_session_required),
    MS_TEST(test_webmail_inbox),
    MS_TEST(test_webmail_message),
    MS_TEST(test_webmail_compose_and_send),
    MS_TEST(test_webmail_send_refused),
    MS_TEST(test_webmail_logout),
    MS_TEST(test_webmail_methods_and_paths),
    MS_TEST(test_webmail_options_asterisk),
    MS_TEST(test_webmail_new_needs_callbacks),
    MS_TEST(test_webmail_folders),
    MS_TEST_END,
};

/* ---- webmail/forms -------------------------------------------------------------- */

static void test_form_encode(void)
{
    const char *pairs[] = { "subject", "Grüße & more=1", "to", "bob@x.org", "k*-._", "a+b",
                            NULL };
    g_autofree char *enc = ms_webmail_form_encode(pairs);
    /* ü is C3 BC and ß is C3 9F in UTF-8; space is '+'; '*-._' stay. */
    MS_ASSERT_STR(enc, "subject=Gr%C3%BC%C3%9Fe+%26+more%3D1&to=bob%40x.org&k*-._=a%2Bb");
    g_autoptr(GPtrArray) back = ms_webmail_form_decode(enc, strlen(enc), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(back->len, 3);
    MS_ASSERT_STR(ms_http_headers_get(back, "subject"), "Grüße & more=1");
    MS_ASSERT_STR(ms_http_headers_get(back, "k*-._"), "a+b");
}

static void test_form_decode(void)
{
    const char *f = "a=1&&b=&c&%E4%BD%A0=%E5%A5%BD&a=2";
    g_autoptr(GPtrArray) p = ms_webmail_form_decode(f, strlen(f), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* WHATWG URL 5.1: empty pieces skipped, no '=' means an empty value. */
    CU_ASSERT_EQUAL(p->len, 5);
    MS_ASSERT_STR(ms_http_headers_get(p, "a"), "1");
    MS_ASSERT_STR(ms_http_headers_get(p, "b"), "");
    MS_ASSERT_STR(ms_http_headers_get(p, "c"), "");
    MS_ASSERT_STR(ms_http_headers_get(p, "你"), "好");
    const char *bad[] = { "a=%", "a=%4", "a=%G1", "a=%00", "a=%C3", "%FF=1" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) none = ms_webmail_form_decode(bad[i], strlen(bad[i]), &error);
        CU_ASSERT_PTR_NULL(none);
        CU_ASSERT_TRUE(g_error_matches(error, MS_ERROR, MS_ERROR_PARSE));
    }
    g_autoptr(GPtrArray) empty = ms_webmail_form_decode("", 0, NULL);
    CU_ASSERT_EQUAL(empty->len, 0);
}

static void test_summary_from_bytes(void)
{
    g_autoptr(GBytes) m = bytes(msg_utf8);
    g_autoptr(MsWebmailSummary) s = ms_webmail_summary_from_bytes(m);
    MS_ASSERT_STR(s->from, "carol@hamburger.edu");
    MS_ASSERT_STR(s->subject, "Grüße");
    MS_ASSERT_STR(s->date, "");
    CU_ASSERT_EQUAL(s->size, strlen(msg_utf8));
    g_autoptr(GBytes) junk = bytes("");
    g_autoptr(MsWebmailSummary) j = ms_webmail_summary_from_bytes(junk);
    MS_ASSERT_STR(j->subject, "");
    CU_ASSERT_EQUAL(j->size, 0);
}

static void test_browser_requests(void)
{
    g_autoptr(MsWebmailRequest) l = ms_webmail_request_login("bob", "hungry pw", NULL);
    MS_ASSERT_STR(l->method, "POST");
    MS_ASSERT_STR(l->target, "/login");
    MS_ASSERT_STR(ms_http_headers_get(l->headers, "Content-Type"),
                  "application/x-www-form-urlencoded");
    CU_ASSERT_PTR_NULL(ms_http_headers_get(l->headers, "Cookie"));
    CU_ASSERT_TRUE(bytes_equal(l->body, "user=bob&password=hungry+pw"));
    const char *to[] = { "alice@crepes.fr", "carol@x.org", NULL };
    g_autoptr(MsWebmailRequest) s = ms_webmail_request_send(to, "Hi", "a\nb", "session=s3");
    MS_ASSERT_STR(s->target, "/send");
    MS_ASSERT_STR(ms_http_headers_get(s->headers, "Cookie"), "session=s3");
    CU_ASSERT_TRUE(bytes_equal(s->body, "to=alice%40crepes.fr%2Ccarol%40x.org&subject=Hi"
                                        "&body=a%0D%0Ab"));
    g_autoptr(MsWebmailRequest) g = ms_webmail_request_get("/message/2", "session=s3");
    MS_ASSERT_STR(g->method, "GET");
    CU_ASSERT_PTR_NULL(g->body);
}

static const MsTestCase webmail_form_cases[] = {
    MS_TEST(test_form_encode),
    MS_TEST(test_form_decode),
    MS_TEST(test_summary_from_bytes),
    MS_TEST(test_browser_requests),
    MS_TEST_END,
};

/* ---- webmail/browser: engines and application together ----------------------------- */

static void serve_webmail(MsHttpServer *s, const MsHttpEvent *ev, gpointer data)
{
    g_autoptr(MsWebmailResponse) r = ms_webmail_handle(data, NULL, ev->method, ev->path, ev->headers,
                                                       ev->body);
    ms_http_server_respond(s, r->status, NULL, r->headers, r->body);
}

/* Queues a browser request, runs it, returns the response (transfer full). */
static MsHttpEvent *browse(MsHttpClient *c, MsHttpServer *s, MsWebmail *app,
                           MsWebmailRequest *req)
{
    ms_http_client_request(c, req->method, req->target, req->headers, req->body, NULL);
    pump(c, s, serve_webmail, app, NULL);
    return ms_http_client_next_event(c);
}

static void test_browser_session(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(MsWebmail) app = app_new(b);
    g_autoptr(MsHttpClient) c = client_new(FALSE);
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);

    g_autoptr(MsWebmailRequest) lr = ms_webmail_request_login("alice", "s3cret pw", NULL);
    g_autoptr(MsHttpEvent) login_resp = browse(c, s, app, lr);
    CU_ASSERT_EQUAL_FATAL(login_resp->status, 302);
    g_autofree char *cookie = ms_http_set_cookie_pair(ms_http_headers_get(login_resp->headers,
                                                                          "Set-Cookie"));
    MS_ASSERT_STR(cookie, "session=s1");
    /* The browser follows the redirect, sending the cookie back. */
    g_autoptr(MsWebmailRequest) ir = ms_webmail_request_get(
        ms_http_headers_get(login_resp->headers, "Location"), cookie);
    g_autoptr(MsHttpEvent) inbox = browse(c, s, app, ir);
    CU_ASSERT_EQUAL(inbox->status, 200);
    MS_ASSERT_STR(ms_http_headers_get(inbox->headers, "Content-Type"), "text/html; charset=utf-8");
    /* Content-Length is the exact byte count of the page as received. */
    g_autofree char *len = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(inbox->body));
    MS_ASSERT_STR(ms_http_headers_get(inbox->headers, "Content-Length"), len);
    gsize n = 0;
    const char *html = g_bytes_get_data(inbox->body, &n);
    g_autofree char *page = g_strndup(html, n);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "Ketchup"));

    const char *to[] = { "bob@hamburger.edu", NULL };
    g_autoptr(MsWebmailRequest) sr = ms_webmail_request_send(to, "Re: Ketchup", "Yes!\n",
                                                             cookie);
    g_autoptr(MsHttpEvent) sent = browse(c, s, app, sr);
    CU_ASSERT_EQUAL(sent->status, 303);
    CU_ASSERT_EQUAL_FATAL(b->sent->len, 1);
    MS_ASSERT_STR(g_ptr_array_index(b->sent, 0), "alice@crepes.fr|bob@hamburger.edu|"
                                                 "Re: Ketchup|Yes!\n");
    /* One persistent connection carried the whole visit. */
    CU_ASSERT_EQUAL(ms_http_server_state(s), MS_HTTP_SERVER_IDLE);
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_IDLE);
}

/* A picture that is not text: every octet value, NULs included. */
static GBytes *picture_bytes(void)
{
    guint8 data[700];
    for (gsize i = 0; i < sizeof data; i++)
        data[i] = (guint8) ((i * 7) & 0xff);
    return g_bytes_new(data, sizeof data);
}

/* A multipart/mixed message: text, a picture, a text file (transfer full). */
static GBytes *picture_message(GBytes *picture, GBytes *menu)
{
    const char *to[] = { "alice@crepes.fr", NULL };
    MsAttachment att[] = {
        { .filename = "ketchup.jpg", .content_type = "image/jpeg", .data = picture },
        { .filename = "Menü.txt", .content_type = "text/plain", .data = menu },
    };
    MsMessageDraft d = { .from = "bob@hamburger.edu", .to = to, .subject = "Picture",
                         .date = 1679572800, .message_id = "<9.9@hamburger.edu>",
                         .text = "Here is a picture of us.\n", .attachments = att,
                         .n_attachments = G_N_ELEMENTS(att) };
    g_autoptr(MsMessage) m = ms_message_compose(&d, NULL);
    g_assert(m != NULL);
    return ms_message_to_bytes(m);
}

/* One response per object (RFC 9110 3): the message page names each
 * attachment, and each comes in a response of its own, decoded, with
 * its own Content-Type, Content-Disposition and Content-Length. */
static void test_webmail_parts(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(GBytes) picture = picture_bytes();
    g_autoptr(GBytes) menu = bytes("Crepes\r\nKetchup\r\n");
    g_ptr_array_add(b->messages, picture_message(picture, menu));
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);

    g_autoptr(MsWebmailResponse) page = call(app, "GET", "/message/4", cookie, NULL);
    CU_ASSERT_EQUAL_FATAL(page->status, 200);
    g_autofree char *html = page_of(page);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Here is a picture of us.\r\n"));
    /* Part 1 is the text shown; 2 the picture (an <img>), 3 the file. */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<img src=\"/message/4/part/2\" alt=\"ketchup.jpg\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<a href=\"/message/4/part/3\" download>Menü.txt</a>"));
    CU_ASSERT_PTR_NULL(strstr(html, "/part/1"));
    CU_ASSERT_TRUE(all_crlf(html));

    g_autoptr(MsWebmailResponse) pic = call(app, "GET", "/message/4/part/2", cookie, NULL);
    CU_ASSERT_EQUAL_FATAL(pic->status, 200);
    CU_ASSERT_EQUAL(pic->outcome, MS_WEBMAIL_PART);
    MS_ASSERT_STR(ms_http_headers_get(pic->headers, "Content-Type"), "image/jpeg");
    MS_ASSERT_STR(ms_http_headers_get(pic->headers, "Content-Disposition"),
                  "inline; filename=\"ketchup.jpg\"");
    /* The octets the message carried in base64, decoded. */
    CU_ASSERT_TRUE(g_bytes_equal(pic->body, picture));

    g_autoptr(MsWebmailResponse) txt = call(app, "GET", "/message/4/part/3", cookie, NULL);
    CU_ASSERT_EQUAL_FATAL(txt->status, 200);
    g_autofree char *type = g_ascii_strdown(ms_http_headers_get(txt->headers, "Content-Type"),
                                            -1);
    CU_ASSERT_TRUE(g_str_has_prefix(type, "text/plain; charset="));
    /* RFC 8187: a name that is not ASCII goes as filename*. */
    MS_ASSERT_STR(ms_http_headers_get(txt->headers, "Content-Disposition"),
                  "attachment; filename*=UTF-8''Men%C3%BC.txt");
    CU_ASSERT_TRUE(g_bytes_equal(txt->body, menu));

    /* A message that is not multipart is its own part 1. */
    g_autoptr(MsWebmailResponse) one = call(app, "GET", "/message/1/part/1", cookie, NULL);
    CU_ASSERT_EQUAL(one->status, 200);
    g_autoptr(MsWebmailResponse) one_page = call(app, "GET", "/message/1", cookie, NULL);
    g_autofree char *one_html = page_of(one_page);
    CU_ASSERT_PTR_NULL(strstr(one_html, "/part/"));

    const char *missing[] = { "/message/4/part/4", "/message/4/part/0", "/message/4/part/",
                              "/message/4/part/02", "/message/4/parts/2", "/message/4/part/2/",
                              "/message/5/part/1", "/message/4/part/x" };
    for (gsize i = 0; i < G_N_ELEMENTS(missing); i++) {
        g_autoptr(MsWebmailResponse) m = call(app, "GET", missing[i], cookie, NULL);
        CU_ASSERT_EQUAL(m->status, 404);
    }
    /* Parts too need the session. */
    g_autoptr(MsWebmailResponse) anon = call(app, "GET", "/message/4/part/2", NULL, NULL);
    CU_ASSERT_EQUAL(anon->status, 302);
}

/* The picture through both engines: the server writes it as one binary
 * line (its octets, not text; RFC 9112 6.2 framing by Content-Length),
 * and the client gets exactly the octets back.  HEAD gives the length
 * without them (RFC 9110 9.3.2). */
static void test_browser_picture(void)
{
    g_autoptr(Box) b = box_new();
    g_autoptr(GBytes) picture = picture_bytes();
    g_autoptr(GBytes) menu = bytes("Crepes\r\n");
    g_ptr_array_add(b->messages, picture_message(picture, menu));
    g_autoptr(MsWebmail) app = app_new(b);
    g_autofree char *cookie = login(app);
    g_autoptr(MsHttpServer) s = ms_http_server_new(NULL);
    g_autoptr(MsHttpClient) c = client_new(FALSE);

    /* The server's lines: one binary line holding the picture. */
    server_feed(s, "GET /message/4/part/2 HTTP/1.1\r\nHost: x\r\n");
    g_autofree char *req = g_strdup_printf("Cookie: %s\r\n\r\n", cookie);
    server_feed(s, req);
    g_autoptr(MsHttpEvent) ev = ms_http_server_next_event(s);
    CU_ASSERT_EQUAL_FATAL(ev->kind, MS_HTTP_EVENT_REQUEST);
    serve_webmail(s, ev, app);
    g_autoptr(GPtrArray) lines = ms_http_server_take_output(s);
    const MsProtoLine *last = g_ptr_array_index(lines, lines->len - 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(last->bytes);
    MS_ASSERT_STR(last->note, "http.body.binary");
    g_autofree char *stand_in = g_strdup_printf("[%" G_GSIZE_FORMAT " octets of image/jpeg]",
                                                g_bytes_get_size(picture));
    MS_ASSERT_STR(last->text, stand_in);
    CU_ASSERT_TRUE(g_bytes_equal(last->bytes, picture));
    CU_ASSERT_EQUAL(ms_proto_line_wire_size(last), g_bytes_get_size(picture));
    g_autoptr(GBytes) wire = ms_proto_lines_to_bytes(lines);
    g_autofree char *length = g_strdup_printf("Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                                              g_bytes_get_size(picture));
    gsize n = 0;
    const char *w = g_bytes_get_data(wire, &n);
    g_autofree char *head = g_strndup(w, n - g_bytes_get_size(picture));
    CU_ASSERT_TRUE(g_str_has_prefix(head, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"));
    CU_ASSERT_TRUE(g_str_has_suffix(head, length));
    CU_ASSERT_EQUAL(memcmp(w + strlen(head), g_bytes_get_data(picture, NULL),
                           g_bytes_get_size(picture)), 0);

    /* Through the client: the octets come back whole. */
    g_autoptr(MsWebmailRequest) pr = ms_webmail_request_get("/message/4/part/2", cookie);
    g_autoptr(MsHttpEvent) got = browse(c, s, app, pr);
    CU_ASSERT_EQUAL_FATAL(got->status, 200);
    CU_ASSERT_TRUE(g_bytes_equal(got->body, picture));
    g_autoptr(MsWebmailRequest) hr = ms_webmail_request_get("/message/4/part/2", cookie);
    hr->method = "HEAD";
    g_autoptr(MsHttpEvent) headed = browse(c, s, app, hr);
    CU_ASSERT_EQUAL(headed->status, 200);
    CU_ASSERT_EQUAL(g_bytes_get_size(headed->body), 0);
    g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(picture));
    MS_ASSERT_STR(ms_http_headers_get(headed->headers, "Content-Length"), size);
    /* The connection stays open for the next object. */
    CU_ASSERT_EQUAL(ms_http_client_state(c), MS_HTTP_CLIENT_IDLE);
}

static const MsTestCase webmail_browser_cases[] = {
    MS_TEST(test_browser_session),
    MS_TEST(test_webmail_parts),
    MS_TEST(test_browser_picture),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("http/common", common_cases);
    ms_test_add_suite("http/server", server_cases);
    ms_test_add_suite("http/client", client_cases);
    ms_test_add_suite("http/wired", wired_cases);
    ms_test_add_suite("webmail/routes", webmail_route_cases);
    ms_test_add_suite("webmail/forms", webmail_form_cases);
    ms_test_add_suite("webmail/browser", webmail_browser_cases);
    return ms_test_run();
}
