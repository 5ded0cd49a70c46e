/* fuzz_smtp_server.c - the SMTP server engine (RFC 5321) fed arbitrary
 * client bytes in arbitrary segments; every reply and event is taken. */
#include "fuzz.h"
#include "mailsim/smtp.h"

static guint check_rcpt(const char *address, gpointer data, char **text_out)
{
    (void) data;
    if (g_str_has_prefix(address, "nobody")) {
        *text_out = g_strdup("5.1.1 no such user");
        return 550;
    }
    return 250;
}

static void feed(gpointer s, const char *bytes, gsize len)
{
    ms_smtp_server_feed(s, bytes, len);
}

static void drain(gpointer s)
{
    ms_fuzz_drop(ms_smtp_server_take_output(s));
    MsSmtpEvent *ev;
    while ((ev = ms_smtp_server_next_event(s)) != NULL)
        ms_smtp_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MsSmtpServerConfig config;
    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.max_size = 4096;
    config.check_rcpt = check_rcpt;
    config.profile = size > 1 && (data[1] & 1) ? "textbook" : NULL;
    MsSmtpServer *s = ms_smtp_server_new(&config, "crepes.fr");
    ms_smtp_server_start(s);
    drain(s);
    ms_fuzz_feed_segments(data, size, feed, s, drain);
    ms_smtp_server_shutdown(s);
    drain(s);
    ms_smtp_server_free(s);
    return 0;
}
