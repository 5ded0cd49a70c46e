/* fuzz_imap_client.c - the IMAP client engine fed arbitrary server
 * responses in arbitrary segments, running a script that touches most
 * commands. */
#include "fuzz.h"
#include "mailsim/imap.h"

static void feed(gpointer c, const char *bytes, gsize len)
{
    ms_imap_client_feed(c, bytes, len);
}

static void drain(gpointer c)
{
    ms_fuzz_drop(ms_imap_client_take_output(c));
    MsImapEvent *ev;
    while ((ev = ms_imap_client_next_event(c)) != NULL)
        ms_imap_event_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_LIST },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_FETCH_NEW, .full = TRUE },
        { .kind = MS_IMAP_OP_READ, .number = 1 },
        { .kind = MS_IMAP_OP_FLAG, .set = "1:2", .flags = MS_IMAP_FLAG_SEEN },
        { .kind = MS_IMAP_OP_SEARCH, .text = "UNSEEN" },
        { .kind = MS_IMAP_OP_EXPUNGE },
        { .kind = MS_IMAP_OP_IDLE },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    static const MsImapKnownFolder known[] = { { "INBOX", 100, 2 } };
    MsImapClientConfig config = {
        .user = "bob", .password = "hungry", .ops = ops, .n_ops = G_N_ELEMENTS(ops),
        .known = known, .n_known = 1, .literal_login = size > 1 && (data[1] & 1),
    };
    MsImapClient *c = ms_imap_client_new(&config);
    ms_fuzz_feed_segments(data, size, feed, c, drain);
    ms_imap_client_idle_done(c);
    drain(c);
    ms_imap_client_abort(c);
    drain(c);
    ms_imap_client_free(c);
    return 0;
}
