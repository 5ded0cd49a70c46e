/* fuzz_smtp_client.c - the SMTP client engine fed arbitrary server replies
 * in arbitrary segments, with two messages to send. */
#include <string.h>

#include "fuzz.h"
#include "mailsim/smtp.h"

static void feed(gpointer c, const char *bytes, gsize len)
{
    ms_smtp_client_feed(c, bytes, len);
}

static void drain(gpointer c)
{
    ms_fuzz_drop(ms_smtp_client_take_output(c));
    MsSmtpEvent *ev;
    while ((ev = ms_smtp_client_next_event(c)) != NULL)
        ms_smtp_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MsSmtpClientConfig config;
    ms_smtp_client_config_init(&config, "crepes.fr");
    config.pipelining = size > 1 && (data[1] & 1);
    config.use_size = TRUE;
    MsSmtpClient *c = ms_smtp_client_new(&config);
    static const char text[] = "Subject: hi\r\n\r\n.dot\r\n\xc3\xa9\r\n";
    const char *rcpts[] = { "bob@hamburger.edu", "nobody@hamburger.edu" };
    GBytes *msg = g_bytes_new_static(text, strlen(text));
    ms_smtp_client_add_message(c, "alice@crepes.fr", rcpts, 2, msg, NULL);
    ms_smtp_client_add_message(c, "alice@crepes.fr", rcpts, 1, msg, NULL);
    ms_smtp_client_finish(c);
    g_bytes_unref(msg);
    drain(c);
    ms_fuzz_feed_segments(data, size, feed, c, drain);
    ms_smtp_client_connection_lost(c);
    drain(c);
    ms_smtp_client_free(c);
    return 0;
}
