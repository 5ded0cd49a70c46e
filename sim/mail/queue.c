/* queue.c - entries of a mail server's outgoing queue (see queue.h). */
#include "mailsim/queue.h"

void ms_queued_message_free(MsQueuedMessage *msg)
{
    if (msg == NULL)
        return;
    if (msg->recipients != NULL)
        g_ptr_array_unref(msg->recipients);
    g_bytes_unref(msg->data);
    g_free(msg);
}
