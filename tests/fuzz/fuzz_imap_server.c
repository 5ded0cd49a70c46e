/* fuzz_imap_server.c - the IMAP server engine (RFC 3501/9051) fed arbitrary
 * client bytes in arbitrary segments, with a store of a few messages. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailsim/imap.h"

static MsImapStore *store;

static MsImapStore *login(const char *user, const char *password, gpointer data)
{
    (void) data;
    if (strcmp(user, "bob") == 0 && strcmp(password, "hungry") == 0)
        return store;
    return NULL;
}

static void feed(gpointer s, const char *bytes, gsize len)
{
    ms_imap_server_feed(s, bytes, len);
}

static void drain(gpointer s)
{
    ms_fuzz_drop(ms_imap_server_take_output(s));
    MsImapEvent *ev;
    while ((ev = ms_imap_server_next_event(s)) != NULL)
        ms_imap_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store = ms_imap_store_new("bob", 100);
    static const char *const msgs[] = {
        "From: alice@crepes.fr\r\nSubject: Ketchup\r\n\r\nDo you like ketchup?\r\n",
        "From: carol@example.org\r\nSubject: Pickles\r\nContent-Type: multipart/mixed; "
        "boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
        "--b--\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(msgs); i++) {
        GBytes *b = g_bytes_new_static(msgs[i], strlen(msgs[i]));
        ms_imap_store_append(store, "INBOX", b, i == 0 ? MS_IMAP_FLAG_SEEN : 0,
                             1704067200 + (gint64) i * 86400);
        g_bytes_unref(b);
    }
    MsImapServerConfig config = {
        .hostname = "imap.hamburger.edu", .login = login, .max_literal = 4096,
    };
    MsImapServer *s = ms_imap_server_new(&config, NULL);
    if (s == NULL)
        abort();
    ms_imap_server_start(s);
    drain(s);
    ms_fuzz_feed_segments(data, size, feed, s, drain);
    drain(s);
    ms_imap_server_free(s);
    ms_imap_store_unref(store);
    store = NULL;
    return 0;
}
