/* fuzz_pop3_client.c - the POP3 client engine fed arbitrary server replies
 * in arbitrary segments (APOP, UIDL and STAT on, download-and-delete). */
#include "fuzz.h"
#include "mailsim/pop3.h"

static void feed(gpointer c, const char *bytes, gsize len)
{
    ms_pop3_client_feed(c, bytes, len);
}

static void drain(gpointer c)
{
    ms_fuzz_drop(ms_pop3_client_take_output(c));
    MsPop3Event *ev;
    while ((ev = ms_pop3_client_next_event(c)) != NULL)
        ms_pop3_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const known[] = { "uid-1", NULL };
    gboolean odd = size > 1 && (data[1] & 1);
    MsPop3ClientConfig config = {
        .user = "bob", .password = "hungry", .keep = odd, .known_uidls = known,
        .use_apop = TRUE, .use_uidl = TRUE, .use_stat = !odd, .lowercase = odd,
    };
    MsPop3Client *c = ms_pop3_client_new(&config);
    ms_fuzz_feed_segments(data, size, feed, c, drain);
    ms_pop3_client_abort(c);
    drain(c);
    ms_pop3_client_free(c);
    return 0;
}
