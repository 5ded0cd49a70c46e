/* fuzz_http_server.c - the HTTP/1.1 server engine (RFC 9112) fed arbitrary
 * client bytes in arbitrary segments; every request gets an answer. */
#include "fuzz.h"
#include "mailsim/http.h"

static void feed(gpointer s, const char *bytes, gsize len)
{
    ms_http_server_feed(s, bytes, len);
}

static void drain(gpointer s)
{
    MsHttpEvent *ev;
    while ((ev = ms_http_server_next_event(s)) != NULL)
        ms_http_event_free(ev);
    while (ms_http_server_pending(s) > 0) {
        GBytes *body = g_bytes_new_static("ok", 2);
        ms_http_server_respond(s, 200, NULL, NULL, body);
        g_bytes_unref(body);
    }
    ms_fuzz_drop(ms_http_server_take_output(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MsHttpServerConfig config;
    ms_http_server_config_init(&config);
    config.max_body = 4096;
    MsHttpServer *s = ms_http_server_new(&config);
    ms_fuzz_feed_segments(data, size, feed, s, drain);
    ms_http_server_connection_lost(s);
    drain(s);
    ms_http_server_free(s);
    return 0;
}
