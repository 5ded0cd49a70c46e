/* mailbox.h - the stores a mail server keeps: users' mailboxes and the
 * outgoing message queue.
 *
 * A mailbox holds the messages delivered to one user, in arrival order, each
 * with a unique id (its POP3 UIDL / IMAP UID) that is never reused.  The
 * queue holds messages waiting to be relayed, with their SMTP envelope kept
 * apart from the message text (RFC 5321 2.3.1).
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"

G_BEGIN_DECLS

typedef struct {
    guint32 uid;        /* unique within the mailbox, from 1 */
    char *message_id;   /* Message-ID header value, for traces */
    GBytes *data;       /* message text, CRLF line ends */
    MsTime delivered;   /* when it entered the mailbox */
    guint flags;        /* MS_FLAG_* (IMAP); \Seen etc. */
} MsStoredMessage;

enum {
    MS_FLAG_SEEN = 1 << 0,
    MS_FLAG_ANSWERED = 1 << 1,
    MS_FLAG_FLAGGED = 1 << 2,
    MS_FLAG_DELETED = 1 << 3,
    MS_FLAG_DRAFT = 1 << 4,
};

typedef struct MsMailbox MsMailbox;

MsMailbox *ms_mailbox_new(const char *owner);
void ms_mailbox_free(MsMailbox *box);
const char *ms_mailbox_owner(const MsMailbox *box);
/* Takes a reference on data; returns the stored message (transfer none). */
MsStoredMessage *ms_mailbox_add(MsMailbox *box, const char *message_id, GBytes *data,
                                MsTime when);
guint ms_mailbox_count(const MsMailbox *box);
MsStoredMessage *ms_mailbox_get(MsMailbox *box, guint index); /* from 0 */
MsStoredMessage *ms_mailbox_find_uid(MsMailbox *box, guint32 uid);
gboolean ms_mailbox_remove_uid(MsMailbox *box, guint32 uid);
guint32 ms_mailbox_next_uid(const MsMailbox *box);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsMailbox, ms_mailbox_free)

/* One message waiting in a server's outgoing queue. */
typedef struct {
    guint64 serial;          /* queue-wide, from 1 */
    char *message_id;
    char *reverse_path;      /* MAIL FROM, "" for a bounce */
    GPtrArray *recipients;   /* char*, RCPT TO still to do */
    GBytes *data;            /* message text, CRLF line ends */
    MsTime queued;
    MsTime next_attempt;
    guint attempts;
    gboolean in_flight;      /* a relay attempt is under way */
} MsQueuedMessage;

void ms_queued_message_free(MsQueuedMessage *msg);

G_END_DECLS
