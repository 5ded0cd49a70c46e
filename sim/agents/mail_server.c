/* mail_server.c - a mail server: its users' mailboxes, its outgoing message
 * queue, and the listeners that let agents and other servers reach it
 * (SMTP on port 25, POP3 on port 110).  The protocol sides live in
 * server_smtp.c and server_pop3.c.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/message.h"
#include "mailsim/webmail.h"

static void server_user_free(gpointer p)
{
    MsServerUser *u = p;
    g_free(u->local);
    g_free(u->address);
    g_free(u->password);
    g_free(u->agent_host);
    if (u->store_watch != 0)
        ms_imap_store_unwatch(u->store, u->store_watch);
    ms_imap_store_unref(u->store);
    g_free(u);
}

MsMailServer *ms_mail_server_new(MsWorld *world, const MsScServer *spec, GError **error)
{
    MsMailServer *server = g_new0(MsMailServer, 1);
    server->world = world;
    server->spec = spec;
    server->name = g_strdup(spec->name);
    server->domain = g_strdup(spec->domain);
    server->host = ms_net_find_host(world->net, spec->name);
    server->users = g_ptr_array_new_with_free_func(server_user_free);
    server->user_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    server->agent_hosts = g_hash_table_new_full(ms_name_hash, ms_name_hash_equal, g_free, NULL);
    server->queue = g_ptr_array_new_with_free_func((GDestroyNotify) ms_queued_message_free);
    server->sessions = g_ptr_array_new_with_free_func(ms_session_free);
    server->relaying = g_ptr_array_new();
    server->retry_interval = spec->retry > 0 ? spec->retry : 30 * MS_MINUTE;
    server->give_up_after = spec->give_up > 0 ? spec->give_up : 5 * MS_DAY;
    g_assert(server->host != NULL);
    if (!ms_server_smtp_listen(server, error) || !ms_server_pop3_listen(server, error) ||
        !ms_server_imap_listen(server, error) || !ms_server_web_listen(server, error)) {
        ms_mail_server_free(server);
        return NULL;
    }
    return server;
}

void ms_mail_server_free(MsMailServer *server)
{
    if (server == NULL)
        return;
    g_ptr_array_unref(server->sessions);
    ms_webmail_free(server->webmail);
    g_ptr_array_unref(server->relaying);
    g_ptr_array_unref(server->queue);
    g_hash_table_unref(server->agent_hosts);
    g_hash_table_unref(server->user_index);
    g_ptr_array_unref(server->users);
    g_free(server->name);
    g_free(server->domain);
    g_free(server);
}

const char *ms_mail_server_domain(const MsMailServer *server)
{
    return server->domain;
}

const char *ms_mail_server_name(const MsMailServer *server)
{
    return server->name;
}

MsHost *ms_mail_server_host(const MsMailServer *server)
{
    return server->host;
}

/* The watch is the user's own, so a change finds its user at once however
 * many users the server has. */
static void store_changed(MsImapStore *store, const MsImapChange *change, gpointer data)
{
    MsServerUser *u = data;
    g_assert(u->store == store);
    ms_server_imap_store_changed(u->server, u, change);
}

void ms_mail_server_add_user(MsMailServer *server, const char *local, const char *password,
                             const char *agent_host)
{
    MsServerUser *u = ms_mail_server_find_user(server, local);
    if (u == NULL) {
        u = g_new0(MsServerUser, 1);
        u->server = server;
        u->local = g_strdup(local);
        u->address = g_strdup_printf("%s@%s", local, server->domain);
        /* UIDVALIDITY only has to differ between incarnations of a folder;
         * a per-server counter keeps it deterministic. */
        u->store = ms_imap_store_new(u->address, (guint32) (server->users->len + 1) * 1000u);
        u->store_watch = ms_imap_store_watch(u->store, store_changed, u);
        g_ptr_array_add(server->users, u);
        g_hash_table_insert(server->user_index, g_ascii_strdown(local, -1), u);
    }
    if (password != NULL && u->password == NULL)
        u->password = g_strdup(password);
    if (agent_host != NULL && u->agent_host == NULL)
        u->agent_host = g_strdup(agent_host);
    /* Every machine of the user may submit mail, not only the first one
     * named (a user with a browser and a PC sends from both). */
    if (agent_host != NULL && !g_hash_table_contains(server->agent_hosts, agent_host))
        g_hash_table_insert(server->agent_hosts, g_strdup(agent_host), u);
}

/* Users log in with the local part ("bob") or the full address
 * ("bob@hamburger.edu"); the domain part must be this server's.
 *
 * RFC 5321 2.4 lets the host of a mailbox decide whether its local parts are
 * case-sensitive, and warns against exploiting it; real servers (Postfix,
 * Dovecot) find the mailbox whatever the case, as the users of Appendix D.1
 * expect ("RCPT TO:<Jones@foo.com>" reaches jones).  So does this one, in
 * SMTP, POP3, IMAP and web mail alike; the message keeps the case written
 * in it. */
MsServerUser *ms_mail_server_find_user(MsMailServer *server, const char *user)
{
    const char *at = strrchr(user, '@');
    gsize local_len = at != NULL ? (gsize) (at - user) : strlen(user);
    if (at != NULL && !ms_name_equal(at + 1, server->domain))
        return NULL;
    /* By hash on the folded local part: a campus server has thousands of
     * users, and every RCPT, login and delivery looks one up, so a short
     * one is folded on the stack, by hand: g_ascii_tolower() is a call
     * for every octet. */
    char small[64];
    if (local_len < sizeof small) {
        for (gsize i = 0; i < local_len; i++) {
            char c = user[i];
            small[i] = c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
        small[local_len] = '\0';
        return g_hash_table_lookup(server->user_index, small);
    }
    g_autofree char *key = g_ascii_strdown(user, (gssize) local_len);
    return g_hash_table_lookup(server->user_index, key);
}

MsServerUser *ms_mail_server_find_recipient(MsMailServer *server, const char *address)
{
    MsServerUser *u = ms_mail_server_find_user(server, address);
    if (u != NULL)
        return u;
    /* RFC 5321 4.5.1: "postmaster" is case-insensitive, and with no
     * domain it is this server's.  A server declares no such user: its
     * mail goes where a small site's administrator reads it, the mailbox
     * of the first user, as an alias of postmaster to that user would. */
    const char *at = strrchr(address, '@');
    gsize local_len = at != NULL ? (gsize) (at - address) : strlen(address);
    if (local_len != strlen("postmaster") ||
        g_ascii_strncasecmp(address, "postmaster", local_len) != 0)
        return NULL;
    if (at != NULL && !ms_name_equal(at + 1, server->domain))
        return NULL;
    if (server->users->len == 0)
        ms_mail_server_add_user(server, "postmaster", NULL, NULL);
    return g_ptr_array_index(server->users, 0);
}

MsImapStore *ms_mail_server_store(MsMailServer *server, const char *local)
{
    MsServerUser *u = ms_mail_server_find_user(server, local);
    return u != NULL ? u->store : NULL;
}

char *ms_message_id_of(GBytes *data)
{
    return ms_message_peek_field(data, "Message-ID");
}

void ms_mail_server_deliver(MsMailServer *server, MsServerUser *user, const char *reverse_path,
                            GBytes *data, const char *message_id, const char *eol)
{
    /* RFC 5321 4.4: the final delivery records the envelope sender, put
     * in angle brackets on the stack when it is as short as addresses
     * are. */
    char small[256];
    g_autofree char *large = NULL;
    const char *path = reverse_path != NULL ? reverse_path : "(null)";
    gsize path_len = strlen(path);
    char *rp = small;
    if (path_len + 3 > sizeof small)
        rp = large = g_malloc(path_len + 3);
    rp[0] = '<';
    memcpy(rp + 1, path, path_len);
    rp[path_len + 1] = '>';
    rp[path_len + 2] = '\0';
    g_autoptr(GBytes) stored = ms_message_prepend_to_bytes_eol(data, "Return-Path", rp, FALSE, eol);
    if (stored == NULL)
        stored = g_bytes_ref(data);
    guint before = ms_imap_store_count(user->store, "INBOX");
    server->appending_id = message_id;
    ms_imap_store_append(user->store, "INBOX", stored, 0, ms_world_unix_time(server->world));
    server->appending_id = NULL;
    guint n = before + 1;
    ms_world_note_text(server->world, MS_TRACE_MAILBOX, "mailbox.deliver", server->name,
                       user->address, message_id, n, "message %s placed in %s's mailbox (%u message%s)",
                  message_id != NULL ? message_id : "(no Message-ID)", user->address, n,
                  n == 1 ? "" : "s");
}

static void queue_timer_fired(gpointer data)
{
    MsMailServer *server = data;
    server->queue_timer = MS_EVENT_ID_NONE;
    ms_server_run_queue(server);
}

static void enqueue_one(MsMailServer *server, const char *reverse_path,
                        const char *const *recipients, guint n, GBytes *data,
                        const char *message_id)
{
    /* The Message-ID and reverse path in the entry's own block: every
     * message relayed is queued, and a copy of each cost a block. */
    gsize mid_size = message_id != NULL ? strlen(message_id) + 1 : 0;
    gsize path_size = reverse_path != NULL ? strlen(reverse_path) + 1 : 0;
    MsQueuedMessage *q = g_malloc0(sizeof *q + mid_size + path_size);
    q->serial = ++server->queue_serial;
    q->message_id = message_id != NULL ? memcpy(q->strings, message_id, mid_size) : NULL;
    q->reverse_path = reverse_path != NULL
                          ? memcpy(q->strings + mid_size, reverse_path, path_size)
                          : NULL;
    q->recipients = g_ptr_array_new_full(n, g_free);
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(q->recipients, g_strdup(recipients[i]));
    q->data = g_bytes_ref(data);
    q->queued = ms_sim_now(server->world->sim);
    q->next_attempt = q->queued;
    g_ptr_array_add(server->queue, q);
    /* Appended, not printed: a sentence for every message queued, nearly
     * always for one recipient, who is the list. */
    g_autofree char *joined = NULL;
    const char *rcpts = n == 1 ? recipients[0] : NULL;
    if (rcpts == NULL) {
        GString *r = g_string_new(NULL);
        for (guint i = 0; i < n; i++) {
            if (i > 0)
                g_string_append_len(r, ", ", 2);
            g_string_append(r, recipients[i]);
        }
        rcpts = joined = g_string_free(r, FALSE);
    }
    ms_world_note(server->world, MS_TRACE_QUEUE, "queue.add", server->name, message_id,
                  server->queue->len, "message %s for %s placed in the outgoing queue (%u queued)",
                  message_id != NULL ? message_id : "(no Message-ID)", rcpts,
                  server->queue->len);
}

void ms_mail_server_wake_queue(MsMailServer *server, MsTime at)
{
    MsSim *sim = server->world->sim;
    if (server->queue_timer != MS_EVENT_ID_NONE) {
        if (server->queue_timer_at <= at)
            return;
        ms_sim_cancel(sim, server->queue_timer);
    }
    server->queue_timer_at = at;
    server->queue_timer = ms_sim_schedule_at(sim, at, queue_timer_fired, server);
}

void ms_mail_server_dequeue(MsMailServer *server, MsQueuedMessage *q, const char *why)
{
    /* Out of the queue first (the note counts what is left), freed after
     * the note, which names the entry's own Message-ID. */
    guint index = 0;
    gboolean queued = g_ptr_array_find(server->queue, q, &index);
    if (queued)
        g_ptr_array_steal_index(server->queue, index);
    const char *mid = q->message_id;
    ms_world_note(server->world, MS_TRACE_QUEUE, "queue.remove", server->name, mid, server->queue->len,
                  "message %s left the outgoing queue: %s (%u queued)",
                  mid != NULL ? mid : "(no Message-ID)", why, server->queue->len);
    if (queued)
        ms_queued_message_free(q);
}

/* One queue entry per destination domain, as real MTAs keep them: each
 * domain's server is a separate SMTP transaction and may fail on its own. */
void ms_mail_server_enqueue(MsMailServer *server, const char *reverse_path,
                            const char *const *recipients, guint n, GBytes *data,
                            const char *message_id)
{
    /* Recipients in one domain (nearly every message) are one entry as
     * they are: the groups below would give them all, in their order. */
    gboolean one_domain = n > 0;
    const char *first = one_domain ? ms_address_domain_in(recipients[0]) : "";
    for (guint i = 1; one_domain && i < n; i++)
        one_domain = ms_name_equal(ms_address_domain_in(recipients[i]), first);
    if (one_domain) {
        enqueue_one(server, reverse_path, recipients, n, data, message_id);
        return;
    }
    g_autofree const char **group = g_new(const char *, n);
    for (guint i = 0; i < n; i++) {
        const char *domain = ms_address_domain_in(recipients[i]);
        /* A domain is done when a recipient before this one has it. */
        gboolean seen = FALSE;
        for (guint j = 0; j < i && !seen; j++)
            seen = ms_name_equal(ms_address_domain_in(recipients[j]), domain);
        if (seen)
            continue;
        guint n_group = 0;
        for (guint j = i; j < n; j++) {
            if (ms_name_equal(ms_address_domain_in(recipients[j]), domain))
                group[n_group++] = recipients[j];
        }
        enqueue_one(server, reverse_path, group, n_group, data, message_id);
    }
}
