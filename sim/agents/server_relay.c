/* server_relay.c - the outgoing side of a mail server: the queue runner.
 *
 * Each queue entry holds one message for one destination domain.  A queue
 * run opens one SMTP connection per destination domain and sends every due
 * entry for it over that connection (SMTP's persistent connection), then
 * QUIT.  A 4xx reply or an unreachable server leaves the entry queued for
 * another attempt after the retry interval; a 5xx reply, or no success
 * within the give-up time, sends a bounce (a delivery status notification)
 * back to the sender.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/message.h"
#include "mailsim/smtp.h"

typedef struct {
    MsSessionBase base;
    MsMailServer *server;
    MsTcpConn *conn;
    MsSmtpClient *engine;
    const char *domain; /* in the session's block, after it */
    guint32 domain_key; /* domain_key(domain) */
    char *lost_why;    /* why the connection could not be made, if it could not */
    gboolean closing;
} RelaySession;

/* A number that two names the same but for ASCII case share (x | 0x20 is
 * the same for a capital letter and its small one), so that the names a
 * queue run compares, which mostly differ in one character after a common
 * start ("campus3.edu", "campus5.edu"), are compared only when their keys
 * agree. */
static inline guint32 domain_key(const char *domain)
{
    guint32 h = 0;
    for (const guchar *p = (const guchar *) domain; *p != '\0'; p++)
        h = h * 31u + (*p | 0x20u);
    return h;
}

static gboolean is_relaying(MsMailServer *server, const char *domain, guint32 key)
{
    for (guint i = 0; i < server->relaying->len; i++) {
        const RelaySession *r = g_ptr_array_index(server->relaying, i);
        if (r->domain_key == key && ms_name_equal(r->domain, domain))
            return TRUE;
    }
    return FALSE;
}

/* The connection to a domain is over: what queued up for that domain in the
 * meantime (or waits its turn with persistence off) can go now. */
static void relay_finished(RelaySession *s)
{
    g_ptr_array_remove(s->server->relaying, s);
    ms_mail_server_wake_queue(s->server, ms_sim_now(s->server->world->sim));
}

static void relay_free(gpointer p)
{
    RelaySession *s = p;
    ms_smtp_client_free(s->engine);
    g_free(s->lost_why);
    g_free(s);
}

static MsQueuedMessage *find_entry(MsMailServer *server, guint64 serial)
{
    for (guint i = 0; i < server->queue->len; i++) {
        MsQueuedMessage *q = g_ptr_array_index(server->queue, i);
        if (q->serial == serial)
            return q;
    }
    return NULL;
}

/* Why a delivery failed, as the bounce reports it. */
typedef struct {
    guint code;             /* the receiving server's reply code; 0: none came */
    const char *reply;      /* that reply ("550 5.1.1 <b@x>: no such user"), or NULL */
    const char *why;        /* the sentence for the person who sent the message */
    char status[16];        /* RFC 3463 class.subject.detail, e.g. "5.1.1" */
    const char *remote_mta; /* the server that answered, or NULL */
} Failure;

/* RFC 3463 2: the reply's own enhanced status when its text starts with
 * one of the code's class (RFC 2034 says it follows the code), else
 * `fallback`. */
static void failure_status(Failure *f, const char *text, const char *fallback)
{
    const char *p = text;
    gsize n = 0;
    gboolean ok = p != NULL && f->code != 0 && p[0] == '0' + (char) (f->code / 100) && p[1] == '.';
    if (ok) {
        gsize dots = 0;
        for (n = 0; p[n] != '\0' && p[n] != ' ' && n < sizeof f->status - 1; n++) {
            if (p[n] == '.')
                dots++;
            else if (!g_ascii_isdigit(p[n]))
                ok = FALSE;
        }
        ok = ok && dots == 2 && p[n - 1] != '.' && (p[n] == '\0' || p[n] == ' ');
    }
    if (ok) {
        memcpy(f->status, p, n);
        f->status[n] = '\0';
    } else {
        g_strlcpy(f->status, fallback, sizeof f->status);
    }
}

/* RFC 3464 shape: a multipart/report with a human-readable part and a
 * message/delivery-status part, sent with the null reverse path so that a
 * bounce can never cause another bounce (RFC 5321 4.5.5). */
/* The message being returned: its envelope sender, Message-ID and text. */
typedef struct {
    const char *reverse_path;
    const char *message_id;
    GBytes *data;
} Returned;

static void bounce(MsMailServer *server, const Returned *q, const char *rcpt, const Failure *f,
                   gboolean wake)
{
    const char *why = f->why;
    MsWorld *world = server->world;
    if (q->reverse_path == NULL || *q->reverse_path == '\0') {
        ms_world_note(world, MS_TRACE_MESSAGE, "message.dropped", server->name, q->message_id, 0,
                      "%s undeliverable to %s, and it was itself a bounce: dropped",
                      q->message_id != NULL ? q->message_id : "message", rcpt);
        return;
    }
    g_autofree char *date = ms_message_format_date(ms_world_unix_time(world));
    g_autofree char *mid = ms_world_message_id(world, server->domain, "bounce");
    g_autofree char *boundary = g_strdup_printf("bounce-%" G_GUINT64_FORMAT,
                                                world->message_serial);
    g_autoptr(MsMessage) original = ms_message_parse_bytes(q->data, NULL);
    GString *m = g_string_new(NULL);
    g_string_append_printf(m, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", server->domain);
    g_string_append_printf(m, "To: <%s>\r\n", q->reverse_path);
    g_string_append(m, "Subject: Undelivered Mail Returned to Sender\r\n");
    g_string_append_printf(m, "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n", date, mid);
    g_string_append_printf(m, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
                              " boundary=\"%s\"\r\n\r\n", boundary);
    g_string_append_printf(m, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
                           boundary);
    g_string_append_printf(m, "This is the mail system at host %s.\r\n\r\n"
                              "Your message could not be delivered to <%s>:\r\n%s\r\n\r\n",
                           server->name, rcpt, why);
    g_string_append_printf(m, "--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary);
    /* RFC 3464 2.2, 2.3: per-message fields, then per-recipient ones; the
     * Status is the receiving server's own enhanced code when it gave one
     * (RFC 3463), and the Diagnostic-Code quotes its reply. */
    g_string_append_printf(m, "Reporting-MTA: dns; %s\r\n\r\nFinal-Recipient: rfc822; %s\r\n"
                              "Action: failed\r\nStatus: %s\r\n",
                           server->name, rcpt, f->status);
    if (f->remote_mta != NULL)
        g_string_append_printf(m, "Remote-MTA: dns; %s\r\n", f->remote_mta);
    if (f->code != 0)
        g_string_append_printf(m, "Diagnostic-Code: smtp; %s\r\n", f->reply);
    g_string_append(m, "\r\n");
    g_string_append_printf(m, "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary);
    if (original != NULL) {
        for (guint i = 0; i < ms_message_n_fields(original); i++) {
            gsize len = 0;
            const char *raw = ms_message_field_raw(original, i, &len);
            g_string_append_len(m, raw, (gssize) len);
        }
    }
    g_string_append_printf(m, "\r\n--%s--\r\n", boundary);
    gsize size = m->len;
    g_autoptr(GBytes) data = g_string_free_to_bytes(m);

    ms_world_note(world, MS_TRACE_MESSAGE, "message.bounce", server->name, mid, 0,
                  "bounce %s to %s: %s could not be delivered to %s (%zu bytes)", mid,
                  q->reverse_path, q->message_id != NULL ? q->message_id : "message", rcpt, size);
    const char *to[] = { q->reverse_path };
    MsServerUser *u = ms_mail_server_find_recipient(server, q->reverse_path);
    if (u != NULL) {
        ms_mail_server_deliver(server, u, "", data, mid, NULL);
    } else {
        /* RFC 5321 4.5.5: the sender is elsewhere, so the bounce travels
         * like any message, by SMTP, with MAIL FROM:<>. */
        ms_mail_server_enqueue(server, "", to, G_N_ELEMENTS(to), data, mid);
        if (wake)
            ms_mail_server_wake_queue(server, ms_sim_now(world->sim));
    }
}

static void send_bounce(MsMailServer *server, const MsQueuedMessage *q, const char *rcpt,
                        const Failure *f)
{
    Returned r = { q->reverse_path, q->message_id, q->data };
    bounce(server, &r, rcpt, f, TRUE);
}

void ms_server_bounce_unknown_user(MsMailServer *server, const char *reverse_path,
                                   GBytes *data, const char *message_id, const char *rcpt)
{
    g_autofree char *why = g_strdup_printf("5.1.1 <%s>: no such user here", rcpt);
    Failure f = { .why = why };
    failure_status(&f, NULL, "5.1.1"); /* RFC 3463: bad destination mailbox */
    ms_world_note(server->world, MS_TRACE_MESSAGE, "mailbox.unknown", server->name, message_id,
                  0, "%s has no mailbox %s: it accepted %s before looking, so it returns it to %s",
                  server->name, rcpt, message_id != NULL ? message_id : "the message",
                  reverse_path != NULL && *reverse_path != '\0' ? reverse_path : "nobody");
    Returned r = { reverse_path, message_id, data };
    bounce(server, &r, rcpt, &f, FALSE);
}

static void entry_failed_for_good(MsMailServer *server, MsQueuedMessage *q, const Failure *f)
{
    for (guint i = 0; i < q->recipients->len; i++)
        send_bounce(server, q, g_ptr_array_index(q->recipients, i), f);
    g_autofree char *how = g_strdup_printf("returned to the sender: %s", f->why);
    ms_mail_server_dequeue(server, q, how);
}

/* `remote`: the server the attempt tried to reach, named in the note so a
 * queue retrying for several destinations says which one failed. */
static void entry_try_later(MsMailServer *server, MsQueuedMessage *q, const char *remote,
                            const Failure *f)
{
    MsTime now = ms_sim_now(server->world->sim);
    q->in_flight = FALSE;
    if (now - q->queued >= server->give_up_after) {
        g_autofree char *span = ms_time_format_human(server->give_up_after);
        g_autofree char *text = g_strdup_printf("gave up after %s in the queue (%u attempts): %s",
                                                span, q->attempts, f->why);
        Failure last = *f;
        last.why = text;
        entry_failed_for_good(server, q, &last);
        return;
    }
    q->next_attempt = ms_time_add(now, server->retry_interval);
    g_autofree char *wait = ms_time_format_human(server->retry_interval);
    ms_world_note(server->world, MS_TRACE_QUEUE, "queue.retry", server->name, q->message_id,
                  server->queue->len, "attempt %u for %s to %s failed (%s); stays queued, next "
                  "attempt in %s", q->attempts, q->message_id != NULL ? q->message_id : "message",
                  remote, f->why, wait);
    ms_mail_server_wake_queue(server, q->next_attempt);
}

static void relay_done(RelaySession *s, const MsSmtpEvent *ev)
{
    MsMailServer *server = s->server;
    MsQueuedMessage *q = find_entry(server, GPOINTER_TO_SIZE(ev->tag));
    if (q == NULL)
        return;
    const char *remote = ms_host_name(ms_tcp_conn_host(s->conn, MS_DIR_SERVER));
    if (ev->result == MS_SMTP_RESULT_DELIVERED) {
        /* Most messages: no failure to describe, and the note's words on
         * the stack when they fit. */
        static const char relayed[] = "relayed to ";
        gsize remote_size = strlen(remote) + 1;
        char on_stack[128];
        g_autofree char *on_heap = NULL;
        char *how = on_stack;
        if (sizeof relayed - 1 + remote_size > sizeof on_stack)
            how = on_heap = g_malloc(sizeof relayed - 1 + remote_size);
        memcpy(how, relayed, sizeof relayed - 1);
        memcpy(how + sizeof relayed - 1, remote, remote_size);
        ms_mail_server_dequeue(server, q, how);
        return;
    }
    g_autofree char *reply = ev->code != 0 ? ms_world_format("%u %s", ev->code,
                                                            ev->text != NULL ? ev->text : "")
                                           : NULL;
    Failure f = { .code = ev->code, .reply = reply, .why = reply,
                  .remote_mta = ev->code != 0 ? remote : NULL };
    if (ev->code != 0) {
        failure_status(&f, ev->text, ev->code >= 500 ? "5.0.0" : "4.0.0");
    } else if (ev->result == MS_SMTP_RESULT_PERM_FAILURE) {
        /* Decided here, not by the other server: the 8-bit text it cannot
         * take (RFC 3463 5.6.3, conversion required but not possible). */
        f.why = ev->text;
        failure_status(&f, NULL, "5.6.3");
    } else if (s->lost_why != NULL) {
        f.why = s->lost_why;
        failure_status(&f, NULL, "4.4.1"); /* RFC 3463: no answer from host */
    } else {
        f.why = "connection lost before the server answered";
        failure_status(&f, NULL, "4.4.2"); /* RFC 3463: bad connection */
    }
    switch (ev->result) {
    case MS_SMTP_RESULT_PARTIAL:
    case MS_SMTP_RESULT_PERM_FAILURE:
    case MS_SMTP_RESULT_TEMP_FAILURE: {
        /* Sort the recipients: accepted ones are done (if the message went),
         * 5xx ones bounce, the rest stay queued. */
        gboolean sent = ev->result == MS_SMTP_RESULT_PARTIAL;
        gboolean local = ev->code == 0 && ev->result == MS_SMTP_RESULT_PERM_FAILURE;
        g_autoptr(GPtrArray) later = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; ev->rcpt_results != NULL && i < ev->rcpt_results->len; i++) {
            const MsSmtpRcptResult *r = g_ptr_array_index(ev->rcpt_results, i);
            if (r->accepted && sent)
                continue;
            gboolean own = r->code != 0 && !r->accepted;
            guint code = own ? r->code : ev->code;
            if (local) {
                continue; /* all of them, below */
            } else if (code >= 500 && code < 600) {
                const char *text = own ? r->text : ev->text;
                g_autofree char *rwhy = g_strdup_printf("%u %s", code, text != NULL ? text : "");
                Failure rf = { .code = code, .reply = rwhy, .why = rwhy, .remote_mta = remote };
                failure_status(&rf, text, "5.0.0");
                send_bounce(server, q, r->address, &rf);
            } else {
                g_ptr_array_add(later, g_strdup(r->address));
            }
        }
        if (local) {
            entry_failed_for_good(server, q, &f);
        } else if (later->len == 0) {
            ms_mail_server_dequeue(server, q, sent ? "relayed (some recipients refused)"
                                                   : "refused by the receiving server");
        } else {
            g_ptr_array_unref(q->recipients);
            q->recipients = g_steal_pointer(&later);
            entry_try_later(server, q, remote, &f);
        }
        break;
    }
    default:
        break;
    }
}

/* RFC 6152 3: the receiving server did not offer 8BITMIME; a message with
 * MIME is converted to 7-bit MIME, one without is returned at once. */
static GBytes *relay_downgrade(GBytes *data, gpointer tag, char **why_out, gpointer user_data)
{
    RelaySession *s = user_data;
    MsMailServer *server = s->server;
    MsQueuedMessage *q = find_entry(server, GPOINTER_TO_SIZE(tag));
    const char *mid = q != NULL && q->message_id != NULL ? q->message_id : "the message";
    const char *remote = ms_host_name(ms_tcp_conn_host(s->conn, MS_DIR_SERVER));
    g_autoptr(GError) error = NULL;
    g_autofree char *how = NULL;
    GBytes *converted = ms_message_downgrade(data, &how, &error);
    if (converted == NULL) {
        *why_out = g_strdup_printf("%s does not offer 8BITMIME and %s cannot be converted to"
                                   " 7-bit MIME: %s (RFC 6152 3)", remote, mid, error->message);
        return NULL;
    }
    ms_world_note(server->world, MS_TRACE_QUEUE, "queue.converted", server->name,
                  q != NULL ? q->message_id : NULL, server->queue->len,
                  "%s does not offer 8BITMIME: %s converted to 7-bit MIME (%s), %zu bytes"
                  " become %zu (RFC 6152 3)", remote, mid, how, g_bytes_get_size(data),
                  g_bytes_get_size(converted));
    return converted;
}

static void relay_pump(RelaySession *s)
{
    GPtrArray *lines = ms_smtp_client_output(s->engine);
    gboolean close = FALSE;
    MsSmtpEvent ev;
    while (ms_smtp_client_pop_event(s->engine, &ev)) {
        if (ev.kind == MS_SMTP_EVENT_MESSAGE_DONE)
            relay_done(s, &ev);
        else if (ev.kind == MS_SMTP_EVENT_CLOSE)
            close = TRUE;
        ms_smtp_event_clear(&ev);
    }
    if (s->conn != NULL)
        ms_session_send_lines(s->server->world, s->conn, MS_DIR_CLIENT, lines);
    ms_smtp_client_output_sent(s->engine);
    if (close && !s->closing) {
        s->closing = TRUE;
        if (s->conn != NULL)
            ms_tcp_close(s->conn, MS_DIR_CLIENT);
    }
}

static void relay_lost(RelaySession *s)
{
    if (ms_smtp_client_state(s->engine) != MS_SMTP_CLIENT_CLOSED) {
        ms_smtp_client_connection_lost(s->engine);
        relay_pump(s);
    }
}

static void relay_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    RelaySession *s = data;
    ms_smtp_client_feed(s->engine, bytes, len);
    relay_pump(s);
}

static void relay_peer_closed(MsTcpConn *conn, gpointer data)
{
    RelaySession *s = data;
    relay_lost(s);
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(conn, MS_DIR_CLIENT);
    }
}

static void relay_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    RelaySession *s = data;
    ms_world_note(s->server->world, MS_TRACE_ACTION, "relay.unreachable", s->server->name, NULL, 0,
                  "cannot reach the mail server of %s: %s", s->domain, why);
    s->lost_why = g_strdup(why);
    s->closing = TRUE;
    relay_lost(s);
    relay_finished(s);
    g_ptr_array_remove(s->server->sessions, s);
}

static void relay_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    RelaySession *s = data;
    relay_lost(s);
    relay_finished(s);
    g_ptr_array_remove(s->server->sessions, s);
}

static const MsTcpCallbacks relay_callbacks = {
    .data = relay_data,
    .peer_closed = relay_peer_closed,
    .refused = relay_refused,
    .closed = relay_closed,
};

static void start_relay(MsMailServer *server, const char *domain, guint32 key,
                        MsQueuedMessage **entries, guint n_entries)
{
    MsWorld *world = server->world;
    MsMailServer *target = ms_world_server_for_domain(world, domain);
    if (target == NULL) {
        /* No server for the domain: as a DNS lookup with no MX would, fail
         * for good (RFC 5321 5.1). */
        Failure f = { .why = "no mail server for that domain" };
        failure_status(&f, NULL, "5.1.2"); /* RFC 3463: bad destination system */
        for (guint i = 0; i < n_entries; i++)
            entry_failed_for_good(server, entries[i], &f);
        return;
    }
    /* The domain in the session's own block: a block fewer a relay. */
    gsize domain_size = strlen(domain) + 1;
    RelaySession *s = g_malloc0(sizeof *s + domain_size);
    s->base.free = relay_free;
    s->server = server;
    s->domain = memcpy(s + 1, domain, domain_size);
    s->domain_key = key;
    MsSmtpClientConfig cfg;
    ms_smtp_client_config_init(&cfg, server->domain);
    if (server->spec->profile == MS_SC_PROFILE_TEXTBOOK) {
        /* The textbook's client: HELO, one command per reply, and
         * "MAIL FROM: <...>" spelled as printed in the book. */
        cfg.use_ehlo = FALSE;
        cfg.pipelining = FALSE;
        cfg.textbook_syntax = TRUE;
    }
    cfg.downgrade = relay_downgrade;
    cfg.downgrade_data = s;
    s->engine = ms_smtp_client_new(&cfg);
    for (guint i = 0; i < n_entries; i++) {
        MsQueuedMessage *q = entries[i];
        q->in_flight = TRUE;
        q->attempts++;
        ms_world_note(world, MS_TRACE_QUEUE, "queue.attempt", server->name, q->message_id, server->queue->len,
                      "attempt %u: relaying %s to %s by direct transfer", q->attempts,
                      q->message_id != NULL ? q->message_id : "message", target->name);
        ms_smtp_client_add_message(s->engine, q->reverse_path,
                                   (const char *const *) q->recipients->pdata,
                                   q->recipients->len, q->data, GSIZE_TO_POINTER(q->serial));
    }
    ms_smtp_client_finish(s->engine);
    g_ptr_array_add(server->sessions, s);
    g_ptr_array_add(server->relaying, s);
    /* The attempt of the connection: that of its first entry (the others
     * joined it; each counts its own in the queue notes). */
    guint attempt = entries[0]->attempts;
    s->conn = ms_tcp_connect_attempt(world->net, server->host, target->host, MS_PORT_SMTP,
                                     "SMTP", &relay_callbacks, s, attempt);
    if (server->spec->connect_timeout > 0)
        ms_tcp_conn_set_connect_timeout(s->conn, server->spec->connect_timeout);
}

/* A destination of one queue run: its domain (that of its first entry's
 * first recipient, which stays until the group is started), whether a
 * connection to it is open now (its entries wait for that one to end), and
 * where its entries are in the run's list. */
typedef struct {
    const char *domain;
    guint32 key;   /* domain_key(domain) */
    gboolean busy;
    guint n;    /* entries due for it */
    guint at;   /* where they start in the list */
    guint put;  /* how many are in the list so far */
} Group;

/* A run looks at every entry of the queue, which is short as a rule: up to
 * this many, its groups and lists are on the stack. */
#define RUN_ON_STACK 32
#define NOT_DUE G_MAXUINT

void ms_server_run_queue(MsMailServer *server)
{
    MsTime now = ms_sim_now(server->world->sim);
    MsTime next = MS_TIME_NEVER;
    guint len = server->queue->len;
    /* At most a group, a place in the list and a group number for each
     * entry: arrays made for every run that found something due, and a
     * copy of each group's domain, cost more than the rest of the run. */
    Group groups_on_stack[RUN_ON_STACK];
    guint group_of_on_stack[RUN_ON_STACK];
    MsQueuedMessage *list_on_stack[RUN_ON_STACK];
    gboolean small = len <= RUN_ON_STACK;
    g_autofree Group *groups_on_heap = small ? NULL : g_new(Group, len);
    g_autofree guint *group_of_on_heap = small ? NULL : g_new(guint, len);
    g_autofree MsQueuedMessage **list_on_heap = small ? NULL : g_new(MsQueuedMessage *, len);
    Group *groups = small ? groups_on_stack : groups_on_heap;
    guint *group_of = small ? group_of_on_stack : group_of_on_heap;
    MsQueuedMessage **list = small ? list_on_stack : list_on_heap;
    guint n_groups = 0;

    for (guint i = 0; i < len; i++) {
        MsQueuedMessage *q = g_ptr_array_index(server->queue, i);
        group_of[i] = NOT_DUE;
        if (q->in_flight)
            continue;
        if (q->next_attempt > now) {
            next = MIN(next, q->next_attempt);
            continue;
        }
        const char *domain = ms_address_domain_in(g_ptr_array_index(q->recipients, 0));
        guint32 key = domain_key(domain);
        guint g = 0;
        while (g < n_groups && (groups[g].key != key || !ms_name_equal(groups[g].domain, domain)))
            g++;
        if (g == n_groups) {
            /* A destination with a connection open now gets no connection
             * of its own, and its entries wait: whether it has one is asked
             * once a group, not once an entry. */
            groups[n_groups++] = (Group) { .domain = domain,
                                           .key = key,
                                           .busy = is_relaying(server, domain, key) };
        }
        if (!groups[g].busy) {
            group_of[i] = g;
            groups[g].n++;
        }
    }
    if (n_groups > 0) {
        /* Each group's entries together in the list, in queue order. */
        guint at = 0;
        for (guint g = 0; g < n_groups; g++) {
            groups[g].at = at;
            at += groups[g].n;
        }
        for (guint i = 0; i < len; i++) {
            if (group_of[i] != NOT_DUE) {
                Group *grp = &groups[group_of[i]];
                list[grp->at + grp->put++] = g_ptr_array_index(server->queue, i);
            }
        }
    }
    /* One connection per destination at a time: with persistence, every due
     * message goes over it; without, only the first, and the next one gets
     * a connection of its own once this one is closed - the sequence of
     * connections the notes compare with SMTP's persistent one.  Starting a
     * group changes only its own entries (a failure returns them or takes
     * them out of the queue) and opens a connection to its own destination
     * alone, so the others' entries and domains are as they were found. */
    for (guint g = 0; g < n_groups; g++) {
        if (groups[g].busy)
            continue;
        start_relay(server, groups[g].domain, groups[g].key, list + groups[g].at,
                    server->spec->persistent ? groups[g].n : 1);
    }
    if (next != MS_TIME_NEVER)
        ms_mail_server_wake_queue(server, next);
}
