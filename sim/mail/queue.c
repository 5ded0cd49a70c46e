/* mailbox.c - a user's mailbox: the messages delivered to them, in arrival
 * order, each with a UID that is never reused (RFC 1939 UIDL, RFC 3501 UID).
 */
#include "mailsim/mailbox.h"

struct MsMailbox {
    char *owner;
    GPtrArray *messages; /* MsStoredMessage*, arrival order */
    guint32 next_uid;
};

static void stored_message_free(gpointer p)
{
    MsStoredMessage *m = p;
    if (m == NULL)
        return;
    g_free(m->message_id);
    g_bytes_unref(m->data);
    g_free(m);
}

MsMailbox *ms_mailbox_new(const char *owner)
{
    MsMailbox *box = g_new0(MsMailbox, 1);
    box->owner = g_strdup(owner);
    box->messages = g_ptr_array_new_with_free_func(stored_message_free);
    box->next_uid = 1;
    return box;
}

void ms_mailbox_free(MsMailbox *box)
{
    if (box == NULL)
        return;
    g_ptr_array_unref(box->messages);
    g_free(box->owner);
    g_free(box);
}

const char *ms_mailbox_owner(const MsMailbox *box)
{
    return box->owner;
}

MsStoredMessage *ms_mailbox_add(MsMailbox *box, const char *message_id, GBytes *data,
                                MsTime when)
{
    MsStoredMessage *m = g_new0(MsStoredMessage, 1);
    m->uid = box->next_uid++;
    m->message_id = g_strdup(message_id);
    m->data = g_bytes_ref(data);
    m->delivered = when;
    g_ptr_array_add(box->messages, m);
    return m;
}

guint ms_mailbox_count(const MsMailbox *box)
{
    return box->messages->len;
}

MsStoredMessage *ms_mailbox_get(MsMailbox *box, guint index)
{
    g_return_val_if_fail(index < box->messages->len, NULL);
    return g_ptr_array_index(box->messages, index);
}

MsStoredMessage *ms_mailbox_find_uid(MsMailbox *box, guint32 uid)
{
    for (guint i = 0; i < box->messages->len; i++) {
        MsStoredMessage *m = g_ptr_array_index(box->messages, i);
        if (m->uid == uid)
            return m;
    }
    return NULL;
}

gboolean ms_mailbox_remove_uid(MsMailbox *box, guint32 uid)
{
    for (guint i = 0; i < box->messages->len; i++) {
        MsStoredMessage *m = g_ptr_array_index(box->messages, i);
        if (m->uid == uid) {
            g_ptr_array_remove_index(box->messages, i);
            return TRUE;
        }
    }
    return FALSE;
}

guint32 ms_mailbox_next_uid(const MsMailbox *box)
{
    return box->next_uid;
}

void ms_queued_message_free(MsQueuedMessage *msg)
{
    if (msg == NULL)
        return;
    g_free(msg->message_id);
    g_free(msg->reverse_path);
    if (msg->recipients != NULL)
        g_ptr_array_unref(msg->recipients);
    g_bytes_unref(msg->data);
    g_free(msg);
}
