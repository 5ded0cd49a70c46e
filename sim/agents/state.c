/* state.c - the end of a run: what every mailbox folder, outgoing queue and
 * agent's local store holds, as "state.*" trace records, so the summary can
 * show the end state without looking into the world.
 */
#include <string.h>

#include "agents/agents-private.h"

/* Appends a Message-ID to a space-separated list: appended, not printed,
 * as there is one for every message a run leaves somewhere. */
static void append_id(GString *ids, const char *mid)
{
    if (ids->len > 0)
        g_string_append_c(ids, ' ');
    g_string_append(ids, mid != NULL ? mid : "(no Message-ID)");
}

static void note_folder(MsWorld *world, MsMailServer *server, MsServerUser *user,
                        const char *folder)
{
    guint n = ms_imap_store_count(user->store, folder);
    GString *ids = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        MsImapMessageInfo info;
        if (!ms_imap_store_message(user->store, folder, i, &info))
            continue;
        g_autofree char *mid = ms_message_id_of(info.data);
        append_id(ids, mid);
    }
    /* INBOX is the mailbox of the notes; other folders are IMAP's. */
    g_autofree char *name = strcmp(folder, "INBOX") == 0
                                ? g_strdup(user->address)
                                : g_strdup_printf("%s/%s", user->address, folder);
    if (n == 0)
        ms_world_note_text(world, MS_TRACE_MAILBOX, "state.mailbox", server->name, name, "", 0,
                           "end state: mailbox %s is empty", name);
    else
        ms_world_note_text(world, MS_TRACE_MAILBOX, "state.mailbox", server->name, name,
                           ids->str, n,
                           n == 1 ? "end state: mailbox %s holds %u message"
                                  : "end state: mailbox %s holds %u messages",
                           name, n);
    g_string_free(ids, TRUE);
}

void ms_world_note_end_state(MsWorld *world)
{
    for (guint s = 0; s < world->servers->len; s++) {
        MsMailServer *server = g_ptr_array_index(world->servers, s);
        for (guint u = 0; u < server->users->len; u++) {
            MsServerUser *user = g_ptr_array_index(server->users, u);
            g_auto(GStrv) folders = ms_imap_store_folders(user->store);
            for (guint f = 0; folders[f] != NULL; f++)
                note_folder(world, server, user, folders[f]);
        }
        GString *ids = g_string_new(NULL);
        for (guint i = 0; i < server->queue->len; i++) {
            MsQueuedMessage *q = g_ptr_array_index(server->queue, i);
            append_id(ids, q->message_id);
        }
        guint n = server->queue->len;
        if (n == 0)
            ms_world_note_text(world, MS_TRACE_QUEUE, "state.queue", server->name, "outgoing",
                               "", 0, "end state: %s's outgoing queue is empty", server->name);
        else
            ms_world_note_text(world, MS_TRACE_QUEUE, "state.queue", server->name, "outgoing",
                               ids->str, n,
                               n == 1 ? "end state: %s's outgoing queue holds %u message"
                                      : "end state: %s's outgoing queue holds %u messages",
                               server->name, n);
        g_string_free(ids, TRUE);
    }
    for (guint a = 0; a < world->agents->len; a++) {
        MsUserAgent *agent = g_ptr_array_index(world->agents, a);
        if (agent->store->len == 0)
            continue; /* only agents that downloaded with POP3 keep a local store */
        GString *ids = g_string_new(NULL);
        for (guint i = 0; i < agent->store->len; i++) {
            LocalCopy *c = g_ptr_array_index(agent->store, i);
            append_id(ids, c->message_id);
        }
        ms_world_note_text(world, MS_TRACE_MAILBOX, "state.store", agent->host_name,
                           agent->address, ids->str, agent->store->len,
                           agent->store->len == 1
                               ? "end state: %s keeps %u downloaded message on %s"
                               : "end state: %s keeps %u downloaded messages on %s",
                           agent->local, agent->store->len, agent->host_name);
        g_string_free(ids, TRUE);
    }
}
