/* fuzz_pop3_server.c - the POP3 server engine (RFC 1939) fed arbitrary
 * client bytes in arbitrary segments, with a maildrop of two messages. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailsim/pop3.h"

static gboolean known(const char *user, gpointer data)
{
    (void) data;
    return strcmp(user, "bob") == 0;
}

static gboolean auth(const char *user, const char *password, gpointer data, char **drop_out)
{
    (void) data;
    if (strcmp(user, "bob") != 0 || strcmp(password, "hungry") != 0)
        return FALSE;
    *drop_out = g_strdup("bob");
    return TRUE;
}

static char *secret(const char *user, gpointer data, char **drop_out)
{
    (void) data;
    if (strcmp(user, "bob") != 0)
        return NULL;
    *drop_out = g_strdup("bob");
    return g_strdup("hungry");
}

static gboolean lock(const char *drop, gpointer data)
{
    (void) drop;
    (void) data;
    return TRUE;
}

static void unlock(const char *drop, gpointer data)
{
    (void) drop;
    (void) data;
}

static GPtrArray *load(const char *drop, gpointer data)
{
    (void) drop;
    (void) data;
    GPtrArray *m = ms_pop3_messages_new();
    static const char one[] = "Subject: one\r\n\r\nhello\r\n.dot\r\n";
    static const char two[] = "Subject: two\r\n\r\nbye\r\n";
    GBytes *a = g_bytes_new_static(one, sizeof one - 1);
    GBytes *b = g_bytes_new_static(two, sizeof two - 1);
    g_ptr_array_add(m, ms_pop3_message_new("uid-1", a));
    g_ptr_array_add(m, ms_pop3_message_new("uid-2", b));
    g_bytes_unref(a);
    g_bytes_unref(b);
    return m;
}

static void feed(gpointer s, const char *bytes, gsize len)
{
    ms_pop3_server_feed(s, bytes, len);
}

static void drain(gpointer s)
{
    ms_fuzz_drop(ms_pop3_server_take_output(s));
    MsPop3Event *ev;
    while ((ev = ms_pop3_server_next_event(s)) != NULL)
        ms_pop3_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MsPop3ServerConfig config = {
        .hostname = "hamburger.edu", .known_user = known, .authenticate = auth,
        .apop_secret = secret, .lock = lock, .unlock = unlock, .load = load,
        .apop_pid = 1, .apop_clock = 2,
        .profile = size > 1 && (data[1] & 1) ? "textbook" : NULL,
    };
    MsPop3Server *s = ms_pop3_server_new(&config, NULL);
    if (s == NULL)
        abort();
    ms_pop3_server_start(s);
    drain(s);
    ms_fuzz_feed_segments(data, size, feed, s, drain);
    ms_pop3_server_abort(s);
    drain(s);
    ms_pop3_server_free(s);
    return 0;
}
