/* queue.h - a mail server's outgoing message queue.
 *
 * The queue holds messages waiting to be relayed, one entry per destination
 * domain, with the SMTP envelope kept apart from the message text (RFC 5321
 * 2.3.1).  Users' mailboxes are MsImapStore (imap.h): one store per user,
 * which POP3 (INBOX only) and IMAP (every folder) both work on.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"

G_BEGIN_DECLS

/* One message waiting in a server's outgoing queue, in one block with the
 * copies of its Message-ID and reverse path (both in `strings`, which
 * ms_queued_message_free() frees with the entry). */
typedef struct {
    guint64 serial;          /* queue-wide, from 1 */
    char *message_id;        /* NULL when the message has none */
    char *reverse_path;      /* MAIL FROM, "" for a bounce */
    GPtrArray *recipients;   /* char*, RCPT TO still to do */
    GBytes *data;            /* message text, CRLF line ends */
    MsTime queued;
    MsTime next_attempt;
    guint attempts;
    gboolean in_flight;      /* a relay attempt is under way */
    char strings[];
} MsQueuedMessage;

void ms_queued_message_free(MsQueuedMessage *msg);

G_END_DECLS
