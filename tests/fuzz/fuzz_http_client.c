/* fuzz_http_client.c - the HTTP/1.1 client engine fed arbitrary server
 * responses in arbitrary segments, with three requests queued. */
#include "fuzz.h"
#include "mailsim/http.h"

static void feed(gpointer c, const char *bytes, gsize len)
{
    ms_http_client_feed(c, bytes, len);
}

static void drain(gpointer c)
{
    ms_fuzz_drop(ms_http_client_take_output(c));
    MsHttpEvent *ev;
    while ((ev = ms_http_client_next_event(c)) != NULL)
        ms_http_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MsHttpClientConfig config;
    ms_http_client_config_init(&config, "webmail.crepes.fr");
    config.pipelining = size > 1 && (data[1] & 1);
    config.max_body = 4096;
    MsHttpClient *c = ms_http_client_new(&config);
    GBytes *form = g_bytes_new_static("user=bob&password=hungry", 24);
    ms_http_client_request(c, "GET", "/", NULL, NULL, NULL);
    ms_http_client_request(c, "POST", "/login", NULL, form, NULL);
    ms_http_client_request(c, "HEAD", "/inbox", NULL, NULL, NULL);
    ms_http_client_finish(c);
    g_bytes_unref(form);
    drain(c);
    ms_fuzz_feed_segments(data, size, feed, c, drain);
    ms_http_client_connection_lost(c);
    drain(c);
    ms_http_client_free(c);
    return 0;
}
