/* summary.c - what a run amounts to, built from the trace alone: one
 * exchange per TCP connection (who opened it, which way the mail moved and
 * so push or pull, round trips, bytes, duration), the way of every message
 * from its composition to its recipient's agent split into stages, and what
 * every mailbox, queue and agent holds at the end.
 *
 * Push or pull follows the lecture notes: a push protocol's TCP connection
 * is opened by the machine that sends the mail (SMTP), a pull protocol's by
 * the machine that wants it (HTTP, POP3, IMAP).  Here it is read from the
 * trace: which side of each connection sent message text.
 */
#include <string.h>

#include "report/summary-private.h"

#define MAX_HOPS 16

/* ---- Building blocks ------------------------------------------------------ */

static void exchange_free(gpointer p)
{
    MsSumExchange *e = p;
    if (e == NULL)
        return;
    g_ptr_array_unref(e->message_ids);
    if (e->id_set != NULL)
        g_hash_table_unref(e->id_set);
    g_free(e);
}

static void delivery_free(gpointer p)
{
    MsSumDelivery *d = p;
    for (guint i = 0; i < d->stages->len; i++)
        g_free(g_array_index(d->stages, MsSumStage, i).where);
    g_array_unref(d->stages);
    g_free(d);
}

static void message_free(gpointer p)
{
    MsSumMessage *m = p;
    g_free(m->message_id);
    g_free(m->from);
    g_ptr_array_unref(m->events);
    g_ptr_array_unref(m->deliveries);
    g_free(m);
}

static void container_free(gpointer p)
{
    MsSumContainer *c = p;
    g_free(c->name);
    g_ptr_array_unref(c->ids);
    if (c->index != NULL)
        g_hash_table_unref(c->index);
    g_free(c);
}

void ms_summary_free(MsSummary *summary)
{
    if (summary == NULL)
        return;
    g_ptr_array_unref(summary->exchanges);
    g_ptr_array_unref(summary->messages);
    g_ptr_array_unref(summary->mailboxes);
    g_ptr_array_unref(summary->queues);
    g_ptr_array_unref(summary->stores);
    g_ptr_array_unref(summary->actions);
    g_free(summary);
}

static MsSumExchange *exchange_of(MsSummary *s, guint id)
{
    if (id == 0 || id >= s->exchanges->len)
        return NULL;
    return g_ptr_array_index(s->exchanges, id);
}

/* Which container: one of the summary's lists, a host and a name. */
typedef struct {
    const GPtrArray *list;
    const char *host;
    const char *name;
} ContainerKey;

typedef struct {
    MsSummary *s;
    const MsTrace *trace;   /* records kept below are pinned in it */
    GHashTable *by_id;      /* Message-ID -> MsSumMessage*, for lookups only */
    GHashTable *containers; /* ContainerKey* (in the container) -> MsSumContainer* */
    GHashTable *fetches;    /* client host -> GPtrArray of its non-SMTP exchanges */
    GHashTable *actions;    /* host -> GPtrArray of its action records, in order */
} Build;

static guint container_key_hash(gconstpointer p)
{
    const ContainerKey *k = p;
    return g_direct_hash(k->list) ^ g_str_hash(k->host != NULL ? k->host : "") ^
           (g_str_hash(k->name != NULL ? k->name : "") * 31u);
}

static gboolean container_key_equal(gconstpointer a, gconstpointer b)
{
    const ContainerKey *x = a, *y = b;
    return x->list == y->list && g_strcmp0(x->host, y->host) == 0 &&
           g_strcmp0(x->name, y->name) == 0;
}

static MsSumMessage *message_of(Build *b, const char *mid)
{
    if (mid == NULL || *mid == '\0')
        return NULL;
    MsSumMessage *m = g_hash_table_lookup(b->by_id, mid);
    if (m == NULL) {
        m = g_new0(MsSumMessage, 1);
        m->message_id = g_strdup(mid);
        m->composed = -1;
        m->events = g_ptr_array_new();
        m->deliveries = g_ptr_array_new_with_free_func(delivery_free);
        g_ptr_array_add(b->s->messages, m);
        g_hash_table_insert(b->by_id, m->message_id, m);
    }
    return m;
}

/* A container with its key, so that the index can point into it. */
typedef struct {
    MsSumContainer c;
    ContainerKey key;
} KeyedContainer;

static MsSumContainer *container_of(Build *b, GPtrArray *list, const char *host,
                                    const char *name)
{
    ContainerKey probe = { list, host, name };
    MsSumContainer *found = g_hash_table_lookup(b->containers, &probe);
    if (found != NULL)
        return found;
    KeyedContainer *k = g_new0(KeyedContainer, 1);
    MsSumContainer *c = &k->c;
    c->host = host;
    c->name = g_strdup(name);
    c->ids = g_ptr_array_new_with_free_func(g_free);
    c->index = g_hash_table_new(g_str_hash, g_str_equal);
    k->key = (ContainerKey){ list, host, c->name };
    g_ptr_array_add(list, c);
    g_hash_table_insert(b->containers, &k->key, c);
    return c;
}

static void container_add(MsSumContainer *c, const char *mid, gint64 count)
{
    if (mid != NULL && !g_hash_table_contains(c->index, mid)) {
        char *copy = g_strdup(mid);
        g_hash_table_insert(c->index, copy, GUINT_TO_POINTER(c->ids->len));
        g_ptr_array_add(c->ids, copy);
    }
    c->count = count;
}

static void container_remove(MsSumContainer *c, const char *mid, gint64 count)
{
    gpointer at = NULL;
    if (mid != NULL && g_hash_table_lookup_extended(c->index, mid, NULL, &at)) {
        guint i = GPOINTER_TO_UINT(at);
        g_hash_table_remove(c->index, mid);
        g_clear_pointer(&c->ids->pdata[i], g_free);
        c->holes++;
    }
    c->count = count;
}

/* Closes the holes that removals left, keeping the order, and drops the
 * index once the trace is read. */
static void container_finish(gpointer p, gpointer user_data)
{
    (void) user_data;
    MsSumContainer *c = p;
    if (c->holes > 0) {
        guint kept = 0;
        for (guint i = 0; i < c->ids->len; i++) {
            if (c->ids->pdata[i] != NULL)
                c->ids->pdata[kept++] = c->ids->pdata[i];
        }
        c->ids->len = kept;
        c->holes = 0;
    }
    g_clear_pointer(&c->index, g_hash_table_unref);
}

/* ---- Exchanges -------------------------------------------------------------- */

static void conn_record(Build *b, const MsTraceRecord *r)
{
    MsSummary *s = b->s;
    if (r->kind == MS_TRACE_CONN_OPEN) {
        while (s->exchanges->len <= r->conn)
            g_ptr_array_add(s->exchanges, NULL);
        if (g_ptr_array_index(s->exchanges, r->conn) != NULL)
            return;
        MsSumExchange *e = g_new0(MsSumExchange, 1);
        e->id = r->conn;
        e->protocol = r->protocol != NULL ? r->protocol : "TCP";
        e->client = r->src;
        e->server = r->dst;
        e->client_port = r->src_port;
        e->server_port = r->dst_port;
        e->opened = r->time;
        e->closed = -1;
        e->end = "open";
        e->message_ids = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_index(s->exchanges, r->conn) = e;
        return;
    }
    MsSumExchange *e = exchange_of(s, r->conn);
    if (e == NULL || e->closed >= 0)
        return;
    if (r->kind == MS_TRACE_CONN_CLOSE)
        e->end = "closed";
    else if (r->kind == MS_TRACE_CONN_REFUSED)
        /* A RST is a refusal; a SYN nobody answered is not: the host was
         * silent (down, or cut off), and the client gave up waiting. */
        e->end = ms_report_refusal(r) == MS_REPORT_REFUSED_TIMEOUT    ? "timed-out"
                 : ms_report_refusal(r) == MS_REPORT_REFUSED_NO_ROUTE ? "no-route"
                                                                      : "refused";
    else if (r->kind == MS_TRACE_CONN_ABORT)
        e->end = "aborted";
    else
        return;
    e->closed = r->time;
}

/* The value of a header field, without the surrounding blanks. */
static char *field_value(const char *line)
{
    const char *colon = strchr(line, ':');
    return g_strstrip(g_strdup(colon != NULL ? colon + 1 : ""));
}


/* Whether a Message-ID is one the exchange listed already: a persistent
 * connection may carry thousands, so past a few they are looked up in a
 * set rather than the list. */
static gboolean seen_id(MsSumExchange *e, const char *mid)
{
    enum { FEW = 8 };
    if (e->id_set == NULL) {
        if (g_ptr_array_find_with_equal_func(e->message_ids, mid, g_str_equal, NULL))
            return TRUE;
        if (e->message_ids->len + 1 < FEW)
            return FALSE;
        e->id_set = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < e->message_ids->len; i++)
            g_hash_table_add(e->id_set, e->message_ids->pdata[i]);
        /* (the caller adds mid to the list: its copy goes in the set) */
        g_hash_table_add(e->id_set, (gpointer) mid);
        return FALSE;
    }
    if (g_hash_table_contains(e->id_set, mid))
        return TRUE;
    g_hash_table_add(e->id_set, (gpointer) mid);
    return FALSE;
}

/* The text being read one way has ended: counted if it named no
 * Message-ID (a serve client's message may have none). */
static void end_text(MsSumExchange *e, guint d)
{
    if (e->in_text[d] && !e->text_has_id[d])
        e->anonymous++;
    e->in_text[d] = FALSE;
}

static void line_record(Build *b, const MsTraceRecord *r)
{
    MsSumExchange *e = exchange_of(b->s, r->conn);
    if (e == NULL)
        return;
    guint d = r->dir == MS_DIR_SERVER ? 1 : 0;
    const char *text = r->text != NULL ? r->text : "";
    /* Binary content (an HTTP picture): its len is what was sent. */
    e->bytes[d] += ms_report_line_is_binary(r)
                       ? r->len
                       : strlen(text) + (r->eol != NULL ? strlen(r->eol) : 0);
    e->lines[d]++;
    /* A round trip: the client spoke, and the server answered. */
    if (r->dir == MS_DIR_SERVER && e->last_dir == MS_DIR_CLIENT)
        e->round_trips++;
    e->last_dir = r->dir;

    /* Web mail moves a mail message in two requests only: POST /send
     * uploads one (a push toward the server), a 200 to GET /message/N
     * brings one down (a pull); login forms and inbox pages are not mail.
     * Each attachment of a message page comes in a response of its own
     * (GET /message/N/part/K): one object per response. */
    if (g_ascii_strcasecmp(e->protocol, "HTTP") == 0) {
        if (r->dir == MS_DIR_CLIENT && g_str_has_prefix(text, "POST /send ")) {
            e->texts[0]++;
        } else if (r->dir == MS_DIR_CLIENT && g_str_has_prefix(text, "GET /message/")) {
            const char *target_end = strchr(text + 4, ' ');
            g_autofree char *target = target_end != NULL
                                          ? g_strndup(text + 4, (gsize) (target_end - text - 4))
                                          : g_strdup(text + 4);
            if (strstr(target, "/part/") != NULL)
                e->http_part = TRUE;
            else
                e->http_page = TRUE;
        } else if (r->dir == MS_DIR_SERVER && g_str_has_prefix(text, "HTTP/")) {
            const char *sp = strchr(text, ' ');
            gboolean ok = g_str_has_prefix(sp != NULL ? sp + 1 : "", "200");
            e->http_responses++;
            if (ok && e->http_page)
                e->texts[1]++;
            if (ok && e->http_part)
                e->http_parts++;
            e->http_page = FALSE;
            e->http_part = FALSE;
        }
        return;
    }
    /* What carries mail: a message text. */
    gboolean carries = ms_report_is_text_note(r->note);
    if (!carries) {
        end_text(e, d);
        return;
    }
    if (!e->in_text[d]) {
        e->in_text[d] = TRUE;
        e->in_header[d] = TRUE;
        e->text_has_id[d] = FALSE;
        e->texts[d]++;
        e->text_multipart[d] = FALSE;
        e->text_parts[d] = 0;
    }
    /* RFC 5322 2.1: the header ends at the first empty line. */
    if (*text == '\0') {
        e->in_header[d] = FALSE;
    } else if (e->in_header[d] && ms_report_has_field(text, "Content-Type")) {
        g_autofree char *type = field_value(text);
        if (g_ascii_strncasecmp(type, "multipart/", 10) == 0) {
            e->multipart = TRUE;
            e->text_multipart[d] = TRUE;
            e->multiparts++;
        }
    } else if (!e->in_header[d] && e->text_multipart[d] &&
               ms_report_has_field(text, "Content-Type")) {
        /* A part's header in the body of a multipart message (RFC 2046
         * 5.1.1): each leaf part names its type; nested multiparts do not
         * count as parts of their own. */
        g_autofree char *type = field_value(text);
        if (g_ascii_strncasecmp(type, "multipart/", 10) != 0) {
            e->text_parts[d]++;
            e->most_parts = MAX(e->most_parts, e->text_parts[d]);
        }
    } else if (e->in_header[d] && ms_report_has_field(text, "Message-ID")) {
        g_autofree char *mid = field_value(text);
        if (*mid != '\0') {
            e->text_has_id[d] = TRUE;
            if (!seen_id(e, mid))
                g_ptr_array_add(e->message_ids, g_steal_pointer(&mid));
        }
    }
}

static void finish_exchange(MsSumExchange *e)
{
    end_text(e, 0);
    end_text(e, 1);
    if (e->texts[0] > 0 && e->texts[1] > 0)
        e->moved = MS_MOVED_BOTH;
    else if (e->texts[0] > 0)
        e->moved = MS_MOVED_AWAY;
    else if (e->texts[1] > 0)
        e->moved = MS_MOVED_TOWARD;
    else
        e->moved = MS_MOVED_NONE;
    /* The notes' rule where the data does not decide: SMTP pushes; the
     * mail access protocols (POP3, IMAP, HTTP) pull. */
    if (e->moved == MS_MOVED_AWAY)
        e->push = TRUE;
    else if (e->moved == MS_MOVED_TOWARD)
        e->push = FALSE;
    else
        e->push = g_ascii_strcasecmp(e->protocol, "SMTP") == 0;
}

/* ---- Events ------------------------------------------------------------------ */

static const char *arg(char **args, guint n)
{
    return args != NULL && g_strv_length(args) > n ? args[n] : NULL;
}

static void state_record(Build *b, const MsTraceRecord *r)
{
    MsSummary *s = b->s;
    GPtrArray *list = strcmp(r->note, "state.mailbox") == 0  ? s->mailboxes
                      : strcmp(r->note, "state.queue") == 0 ? s->queues
                      : strcmp(r->note, "state.store") == 0 ? s->stores
                                                             : NULL;
    if (list == NULL)
        return;
    if (!s->from_state) {
        /* State records describe the end exactly: drop what was derived. */
        g_hash_table_remove_all(b->containers);
        g_ptr_array_set_size(s->mailboxes, 0);
        g_ptr_array_set_size(s->queues, 0);
        g_ptr_array_set_size(s->stores, 0);
        s->from_state = TRUE;
    }
    MsSumContainer *c = container_of(b, list, r->src, r->subject != NULL ? r->subject : "");
    g_auto(GStrv) ids = g_strsplit(r->text != NULL ? r->text : "", " ", -1);
    for (guint i = 0; ids[i] != NULL; i++) {
        if (*ids[i] != '\0')
            container_add(c, ids[i], r->count);
    }
    c->count = r->count;
}

static void event_record(Build *b, const MsTraceRecord *r)
{
    MsSummary *s = b->s;
    if (r->note == NULL)
        return;
    if (g_str_has_prefix(r->note, "state.")) {
        state_record(b, r);
        return;
    }
    if (r->kind == MS_TRACE_ACTION)
        g_ptr_array_add(s->actions, (gpointer) ms_trace_pin(b->trace, r->id));
    g_auto(GStrv) args = NULL;
    ms_report_event_parse(r, &args);
    const char *key = r->note;
    MsSumMessage *m = NULL;

    if (strcmp(key, "mailbox.expunge") == 0) {
        /* An IMAP expunge names the UID, not the Message-ID: only the
         * count is known (the list is then not shown). */
        if (!s->from_state && r->subject != NULL)
            container_of(b, s->mailboxes, r->src, r->subject)->count = r->count;
        return;
    }
    if (strcmp(key, "mailbox.deliver") == 0 || strcmp(key, "mailbox.delete") == 0) {
        /* The Message-ID is in the sentence; the subject is the mailbox. */
        m = message_of(b, arg(args, 0));
        if (!s->from_state && r->subject != NULL) {
            MsSumContainer *c = container_of(b, s->mailboxes, r->src, r->subject);
            if (strcmp(key, "mailbox.deliver") == 0)
                container_add(c, arg(args, 0), r->count);
            else
                container_remove(c, arg(args, 0), r->count);
        }
        if (m != NULL && strcmp(key, "mailbox.deliver") == 0 && r->subject != NULL) {
            MsSumDelivery *d = g_new0(MsSumDelivery, 1);
            d->server = r->src;
            d->mailbox = r->subject;
            d->delivered = r->time;
            d->fetch_start = -1;
            d->seen = -1;
            d->stages = g_array_new(FALSE, TRUE, sizeof(MsSumStage));
            g_ptr_array_add(m->deliveries, d);
        }
    } else if (strcmp(key, "message.bounce") == 0) {
        /* A bounce is a message of its own, about the original. */
        MsSumMessage *original = message_of(b, arg(args, 2));
        if (original != NULL)
            g_ptr_array_add(original->events, (gpointer) ms_trace_pin(b->trace, r->id));
        m = message_of(b, r->subject);
        if (m != NULL && m->author == NULL) {
            m->author = r->src;
            m->composed = r->time;
        }
    } else if (g_str_has_prefix(key, "message.") || g_str_has_prefix(key, "queue.") ||
               strcmp(key, "submit.unreachable") == 0) {
        m = message_of(b, r->subject);
        if (m != NULL && strcmp(key, "message.composed") == 0) {
            m->author = r->src;
            m->composed = r->time;
            g_free(m->from);
            m->from = g_strdup(arg(args, 0));
        }
        if (!s->from_state && strcmp(key, "queue.add") == 0)
            container_add(container_of(b, s->queues, r->src, "outgoing"), r->subject, r->count);
        else if (!s->from_state && strcmp(key, "queue.remove") == 0)
            container_remove(container_of(b, s->queues, r->src, "outgoing"), r->subject,
                             r->count);
        else if (!s->from_state && strcmp(key, "message.downloaded") == 0)
            container_add(container_of(b, s->stores, r->src, arg(args, 0)), r->subject,
                          r->count);
    }
    if (m != NULL)
        g_ptr_array_add(m->events, (gpointer) ms_trace_pin(b->trace, r->id));
}

/* ---- The way of a message, split into stages -------------------------------- */

static void add_stage(GArray *stages, const char *id, const char *where, MsTime from, MsTime to,
                      guint attempts)
{
    MsSumStage st = { id, g_strdup(where), attempts, from, MAX(from, to) };
    g_array_prepend_val(stages, st);
}

/* The latest event of a key about the message, at or before `before`, with
 * an optional host and target (the third argument of queue.attempt). */
static const MsTraceRecord *latest(const MsSumMessage *m, const char *key, const char *host,
                                   const char *target, MsTime before)
{
    const MsTraceRecord *found = NULL;
    for (guint i = 0; i < m->events->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(m->events, i);
        if (r->time > before || g_strcmp0(r->note, key) != 0)
            continue;
        if (host != NULL && g_strcmp0(r->src, host) != 0)
            continue;
        if (target != NULL) {
            g_auto(GStrv) args = NULL;
            ms_report_event_parse(r, &args);
            if (g_strcmp0(arg(args, 2), target) != 0)
                continue;
        }
        found = r;
    }
    return found;
}

/* The number a queue.attempt record gives its attempt: the queue keeps one
 * entry per destination, so this counts the attempts toward that
 * destination only, not those of the message's other recipients. */
static guint attempt_number(const MsTraceRecord *attempt)
{
    g_auto(GStrv) args = NULL;
    ms_report_event_parse(attempt, &args);
    const char *n = arg(args, 0);
    return n != NULL ? (guint) g_ascii_strtoull(n, NULL, 10) : 1;
}

static char *local_part(const char *address)
{
    const char *at = strrchr(address, '@');
    return at != NULL ? g_strndup(address, (gsize) (at - address)) : g_strdup(address);
}

/* A list in a table of lists by host, made on first use. */
static GPtrArray *list_of(GHashTable *table, const char *host)
{
    GPtrArray *list = g_hash_table_lookup(table, host);
    if (list == NULL) {
        list = g_ptr_array_new();
        g_hash_table_insert(table, (gpointer) host, list);
    }
    return list;
}

/* The indexes of the stages' lookups: each agent's retrieval exchanges (in
 * order of id) and actions (in order of time). */
static void index_for_stages(Build *b)
{
    MsSummary *s = b->s;
    for (guint k = 1; k < s->exchanges->len; k++) {
        MsSumExchange *e = g_ptr_array_index(s->exchanges, k);
        if (e != NULL && e->client != NULL && g_ascii_strcasecmp(e->protocol, "SMTP") != 0)
            g_ptr_array_add(list_of(b->fetches, e->client), e);
    }
    for (guint k = 0; k < s->actions->len; k++) {
        const MsTraceRecord *a = g_ptr_array_index(s->actions, k);
        if (a->src != NULL)
            g_ptr_array_add(list_of(b->actions, a->src), (gpointer) a);
    }
}

/* The first download of the message by the owner of the mailbox: by an
 * agent whose retrieval connection went to the delivering server. */
static void find_retrieval(Build *b, const MsSumMessage *m, MsSumDelivery *d)
{
    g_autofree char *local = local_part(d->mailbox);
    for (guint i = 0; i < m->events->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(m->events, i);
        if (r->time < d->delivered || g_strcmp0(r->note, "message.downloaded") != 0)
            continue;
        g_auto(GStrv) args = NULL;
        ms_report_event_parse(r, &args);
        if (arg(args, 0) != NULL && strcmp(arg(args, 0), local) != 0)
            continue;
        const MsSumExchange *via = NULL;
        GPtrArray *fetches = r->src != NULL ? g_hash_table_lookup(b->fetches, r->src) : NULL;
        for (guint k = 0; fetches != NULL && k < fetches->len && via == NULL; k++) {
            const MsSumExchange *e = g_ptr_array_index(fetches, k);
            if (e->opened <= r->time && (e->closed < 0 || e->closed >= r->time))
                via = e;
        }
        if (via == NULL || g_strcmp0(via->server, d->server) != 0)
            continue;
        d->agent = r->src;
        d->protocol = via->protocol;
        d->seen = r->time;
        d->fetch_start = via->opened;
        /* The user's action that started the check, if there was one: the
         * agent's last action at or before the connection opened (its
         * actions are in the order of time, so a binary search finds it). */
        GPtrArray *acts = g_hash_table_lookup(b->actions, r->src);
        guint lo = 0, hi = acts != NULL ? acts->len : 0;
        while (lo < hi) {
            guint mid = lo + (hi - lo) / 2;
            const MsTraceRecord *a = g_ptr_array_index(acts, mid);
            if (a->time <= via->opened)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0)
            d->fetch_start = ((const MsTraceRecord *) g_ptr_array_index(acts, lo - 1))->time;
        d->fetch_start = MAX(d->fetch_start, d->delivered);
        return;
    }
}

static void split_stages(Build *b, const MsSumMessage *m, MsSumDelivery *d)
{
    find_retrieval(b, m, d);
    if (d->seen >= 0) {
        add_stage(d->stages, "retrieval", d->agent, d->fetch_start, d->seen, 0);
        add_stage(d->stages, "mailbox", d->mailbox, d->delivered, d->fetch_start, 0);
    }
    /* Walk back from the mailbox's server through the relays. */
    const char *current = d->server;
    MsTime t_in = d->delivered;
    for (guint hop = 0; hop < MAX_HOPS; hop++) {
        const MsTraceRecord *attempt = latest(m, "queue.attempt", NULL, current, t_in);
        if (attempt == NULL)
            break;
        g_autofree char *route = g_strdup_printf("%s \u2192 %s", attempt->src, current);
        add_stage(d->stages, "relay", route, attempt->time, t_in, 0);
        const MsTraceRecord *queued = latest(m, "queue.add", attempt->src, NULL, attempt->time);
        MsTime t_q = queued != NULL ? queued->time : attempt->time;
        add_stage(d->stages, "queue", attempt->src, t_q, attempt->time,
                  attempt_number(attempt));
        current = attempt->src;
        t_in = t_q;
    }
    if (m->composed >= 0 && m->author != NULL && g_strcmp0(m->author, current) != 0) {
        g_autofree char *route = g_strdup_printf("%s \u2192 %s", m->author, current);
        add_stage(d->stages, "submission", route, m->composed, t_in, 0);
    }
}

MsSummary *ms_summary_build(const MsTrace *trace)
{
    return ms_summary_build_n(trace, ms_trace_length(trace));
}

MsSummary *ms_summary_build_n(const MsTrace *trace, guint64 n)
{
    MsSummary *s = g_new0(MsSummary, 1);
    s->exchanges = g_ptr_array_new_with_free_func(exchange_free);
    g_ptr_array_add(s->exchanges, NULL);
    s->messages = g_ptr_array_new_with_free_func(message_free);
    s->mailboxes = g_ptr_array_new_with_free_func(container_free);
    s->queues = g_ptr_array_new_with_free_func(container_free);
    s->stores = g_ptr_array_new_with_free_func(container_free);
    s->actions = g_ptr_array_new();
    Build b = { 0 };
    b.s = s;
    b.trace = trace;
    b.by_id = g_hash_table_new(g_str_hash, g_str_equal);
    b.containers = g_hash_table_new(container_key_hash, container_key_equal);
    b.fetches = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) g_ptr_array_unref);
    b.actions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) g_ptr_array_unref);

    n = MIN(n, ms_trace_length(trace));
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        switch (r->kind) {
        case MS_TRACE_CONN_OPEN:
        case MS_TRACE_CONN_REFUSED:
        case MS_TRACE_CONN_CLOSE:
        case MS_TRACE_CONN_ABORT:
            conn_record(&b, r);
            break;
        case MS_TRACE_LINE:
            line_record(&b, r);
            break;
        case MS_TRACE_ACTION:
        case MS_TRACE_QUEUE:
        case MS_TRACE_MAILBOX:
        case MS_TRACE_MESSAGE:
            event_record(&b, r);
            break;
        default:
            break;
        }
    }
    for (guint i = 1; i < s->exchanges->len; i++) {
        MsSumExchange *e = g_ptr_array_index(s->exchanges, i);
        if (e != NULL)
            finish_exchange(e);
    }
    index_for_stages(&b);
    for (guint i = 0; i < s->messages->len; i++) {
        MsSumMessage *m = g_ptr_array_index(s->messages, i);
        for (guint k = 0; k < m->deliveries->len; k++)
            split_stages(&b, m, g_ptr_array_index(m->deliveries, k));
    }
    g_ptr_array_foreach(s->mailboxes, container_finish, NULL);
    g_ptr_array_foreach(s->queues, container_finish, NULL);
    g_ptr_array_foreach(s->stores, container_finish, NULL);
    g_hash_table_unref(b.by_id);
    g_hash_table_unref(b.containers);
    g_hash_table_unref(b.fetches);
    g_hash_table_unref(b.actions);
    return s;
}
