/* facts.c - a run's trace, indexed once for the checks.
 *
 * One pass over the trace collects what the rubric asks about: the lines of
 * the student's connection grouped by the typed line they answer, what each
 * mailbox was delivered (subject and envelope sender, read from the SMTP
 * lines that carried the message), the end-state counts of mailboxes,
 * queues and agents' stores, downloads and bounces; the summary JSON is
 * built once beside it.  Only trace records are read, so a trace recorded
 * from real sockets is graded the same way.
 */
#include <string.h>

#include "grade/grade-private.h"
#include "mailsim/report.h"

/* A message as an SMTP connection carried it. */
typedef struct {
    const char *server;  /* where the "." line went */
    MsTime arrival;      /* when it arrived there */
    char *subject;
    char *sender;
} Carried;

typedef struct {
    char *sender;        /* MAIL FROM of the transaction in progress */
    char *subject;
    gboolean in_headers;
} ConnState;

static void carried_free(gpointer p)
{
    Carried *c = p;
    g_free(c->subject);
    g_free(c->sender);
    g_free(c);
}

static void conn_state_free(gpointer p)
{
    ConnState *s = p;
    g_free(s->sender);
    g_free(s->subject);
    g_free(s);
}

static void delivery_free(gpointer p)
{
    Delivery *d = p;
    g_free(d->subject);
    g_free(d->sender);
    g_free(d);
}

gboolean ms_grade_is_data_line(const MsTraceRecord *line)
{
    return line->note != NULL && g_str_has_prefix(line->note, "smtp.data.");
}

const char *ms_grade_command_of(const MsTraceRecord *line)
{
    if (ms_grade_is_data_line(line) || line->text == NULL)
        return NULL;
    const char *p = line->text;
    while (*p == ' ')
        p++;
    /* IMAP: the tag comes first. */
    if (g_strcmp0(line->protocol, "IMAP") == 0) {
        p += strcspn(p, " ");
        while (*p == ' ')
            p++;
    }
    return p;
}

char *ms_grade_verb_of(const MsTraceRecord *line)
{
    const char *p = ms_grade_command_of(line);
    if (p == NULL)
        return g_strdup("");
    gsize n = strcspn(p, " :");
    return g_ascii_strup(p, (gssize) n);
}

/* "MAIL FROM:<a@b>" -> "a@b" (lenient about spaces, RFC 5321 4.1.1.2
 * allows none, many servers accept some). */
static char *path_of(const char *text)
{
    const char *lt = strchr(text, '<');
    const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
    if (lt != NULL && gt != NULL)
        return g_strndup(lt + 1, (gsize) (gt - lt - 1));
    const char *colon = strchr(text, ':');
    return colon != NULL ? g_strstrip(g_strdup(colon + 1)) : NULL;
}

static void note_smtp_line(Facts *f, GHashTable *conns, GPtrArray *carried,
                           const MsTraceRecord *r)
{
    (void) f;
    if (r->dir != MS_DIR_CLIENT || g_strcmp0(r->protocol, "SMTP") != 0)
        return;
    ConnState *s = g_hash_table_lookup(conns, GUINT_TO_POINTER(r->conn));
    if (s == NULL) {
        s = g_new0(ConnState, 1);
        g_hash_table_insert(conns, GUINT_TO_POINTER(r->conn), s);
    }
    if (g_strcmp0(r->note, "smtp.data.end") == 0) {
        Carried *c = g_new0(Carried, 1);
        c->server = r->dst;
        c->arrival = r->arrival;
        c->subject = g_steal_pointer(&s->subject);
        c->sender = g_strdup(s->sender);
        g_ptr_array_add(carried, c);
        s->in_headers = FALSE;
        return;
    }
    if (g_strcmp0(r->note, "smtp.data.line") == 0) {
        if (!s->in_headers)
            return;
        if (r->text[0] == '\0') {
            s->in_headers = FALSE; /* RFC 5322 2.1: an empty line ends the header */
        } else if (g_ascii_strncasecmp(r->text, "Subject:", 8) == 0 && s->subject == NULL) {
            s->subject = g_strstrip(g_strdup(r->text + 8));
        }
        return;
    }
    g_autofree char *verb = ms_grade_verb_of(r);
    if (strcmp(verb, "MAIL") == 0) {
        g_free(s->sender);
        s->sender = path_of(r->text);
    } else if (strcmp(verb, "DATA") == 0) {
        s->in_headers = TRUE;
        g_clear_pointer(&s->subject, g_free);
    }
}

/* The message the delivery at (server, time) came in: the latest one whose
 * "." arrived at that server by then. */
static const Carried *carried_for(GPtrArray *carried, const char *server, MsTime t)
{
    for (guint i = carried->len; i > 0; i--) {
        const Carried *c = g_ptr_array_index(carried, i - 1);
        if (g_strcmp0(c->server, server) == 0 && c->arrival >= 0 && c->arrival <= t)
            return c;
    }
    return NULL;
}

static void add_count(GHashTable *h, const char *key, gint64 n, gboolean replace)
{
    gpointer old = g_hash_table_lookup(h, key);
    gint64 prev = old != NULL ? (gint64) GPOINTER_TO_SIZE(old) - 1 : 0;
    gint64 v = replace ? n : prev + n;
    g_hash_table_insert(h, g_strdup(key), GSIZE_TO_POINTER((gsize) v + 1));
}

guint ms_grade_find_conn(const MsTrace *trace, const char *host, const char *server, guint port,
                         MsTime at)
{
    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind == MS_TRACE_CONN_OPEN && r->time >= at && g_strcmp0(r->src, host) == 0 &&
            g_strcmp0(r->dst, server) == 0 && r->dst_port == port)
            return r->conn;
    }
    return 0;
}

Facts *ms_grade_facts_new(const MsGradeRun *run)
{
    Facts *f = g_new0(Facts, 1);
    f->run = run;
    f->lines = g_ptr_array_new();
    f->typed = g_ptr_array_new();
    f->early = g_array_new(FALSE, FALSE, sizeof(gboolean));
    f->groups = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
    g_ptr_array_add(f->groups, g_ptr_array_new());
    f->deliveries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
    f->state_count = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->downloads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->connections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->first_open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    f->last_open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) conns = g_hash_table_new_full(NULL, NULL, NULL, conn_state_free);
    g_autoptr(GPtrArray) carried = g_ptr_array_new_with_free_func(carried_free);

    const MsTrace *trace = run->trace;
    guint64 n = ms_trace_length(trace);
    gboolean early = FALSE; /* a live.early event came before the next line */
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind == MS_TRACE_ACTION && run->conn != 0 && r->conn == run->conn &&
            g_strcmp0(r->note, "live.early") == 0) {
            early = TRUE;
            continue;
        }
        if (r->kind == MS_TRACE_LINE) {
            note_smtp_line(f, conns, carried, r);
            if (run->conn != 0 && r->conn == run->conn) {
                /* Kept in the lists below. */
                r = ms_trace_pin(trace, i);
                f->protocol = r->protocol;
                g_ptr_array_add(f->lines, (gpointer) r);
                if (r->dir == MS_DIR_CLIENT) {
                    g_ptr_array_add(f->typed, (gpointer) r);
                    g_array_append_val(f->early, early);
                    early = FALSE;
                    g_ptr_array_add(f->groups, g_ptr_array_new());
                } else {
                    g_ptr_array_add(g_ptr_array_index(f->groups, f->groups->len - 1),
                                    (gpointer) r);
                }
            }
            continue;
        }
        if (r->kind == MS_TRACE_CONN_OPEN && r->src != NULL) {
            add_count(f->connections, r->src, 1, FALSE);
            if (!g_hash_table_contains(f->first_open, r->src))
                g_hash_table_insert(f->first_open, g_strdup(r->src), g_memdup2(&r->time,
                                                                               sizeof r->time));
            g_hash_table_insert(f->last_open, g_strdup(r->src), g_memdup2(&r->time,
                                                                          sizeof r->time));
        }
        const char *note = r->note != NULL ? r->note : "";
        if (r->kind == MS_TRACE_MAILBOX && strcmp(note, "mailbox.deliver") == 0 &&
            r->subject != NULL) {
            GPtrArray *list = g_hash_table_lookup(f->deliveries, r->subject);
            if (list == NULL) {
                list = g_ptr_array_new_with_free_func(delivery_free);
                g_hash_table_insert(f->deliveries, g_strdup(r->subject), list);
            }
            const Carried *c = carried_for(carried, r->src, r->time);
            Delivery *d = g_new0(Delivery, 1);
            d->subject = c != NULL ? g_strdup(c->subject) : NULL;
            d->sender = c != NULL ? g_strdup(c->sender) : NULL;
            g_ptr_array_add(list, d);
        } else if (strcmp(note, "state.mailbox") == 0 && r->subject != NULL) {
            g_autofree char *key = g_strdup_printf("mailbox:%s", r->subject);
            add_count(f->state_count, key, r->count, TRUE);
        } else if (strcmp(note, "state.store") == 0 && r->src != NULL) {
            g_autofree char *key = g_strdup_printf("store:%s", r->src);
            add_count(f->state_count, key, r->count, FALSE);
        } else if (strcmp(note, "state.queue") == 0 && r->src != NULL) {
            g_autofree char *key = g_strdup_printf("queue:%s", r->src);
            add_count(f->state_count, key, r->count, TRUE);
        } else if (strcmp(note, "message.downloaded") == 0 && r->src != NULL) {
            add_count(f->downloads, r->src, 1, FALSE);
        } else if (strcmp(note, "message.bounce") == 0) {
            f->bounces++;
        }
    }
    gsize len = 0;
    g_autofree char *json = ms_report_summary_json(trace, &len);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (json_parser_load_from_data(parser, json, (gssize) len, NULL))
        f->summary = json_node_copy(json_parser_get_root(parser));
    return f;
}

void ms_grade_facts_free(Facts *f)
{
    if (f == NULL)
        return;
    g_ptr_array_unref(f->lines);
    g_ptr_array_unref(f->typed);
    g_array_unref(f->early);
    g_ptr_array_unref(f->groups);
    if (f->summary != NULL)
        json_node_unref(f->summary);
    g_hash_table_unref(f->deliveries);
    g_hash_table_unref(f->state_count);
    g_hash_table_unref(f->downloads);
    g_hash_table_unref(f->connections);
    g_hash_table_unref(f->first_open);
    g_hash_table_unref(f->last_open);
    g_free(f);
}

const MsTraceRecord *ms_grade_group_status_line(const Facts *f, guint group)
{
    if (group >= f->groups->len)
        return NULL;
    GPtrArray *g = g_ptr_array_index(f->groups, group);
    if (g->len == 0)
        return NULL;
    /* POP3: the status is on the first line of a reply; IMAP: on its
     * tagged completion, its last; SMTP: a reply's last line holds the
     * code with a space after it (RFC 5321 4.2.1), and the first SMTP
     * reply of the group is the answer to the line: a 421 that follows it
     * at once, closing the session (RFC 5321 3.8), is not. */
    if (g_strcmp0(f->protocol, "POP3") == 0)
        return g_ptr_array_index(g, 0);
    if (g_strcmp0(f->protocol, "IMAP") == 0)
        return g_ptr_array_index(g, g->len - 1);
    for (guint i = 0; i < g->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(g, i);
        if (strlen(r->text) < 4 || r->text[3] != '-')
            return r;
    }
    return g_ptr_array_index(g, g->len - 1);
}

char *ms_grade_group_status(const Facts *f, guint group)
{
    const MsTraceRecord *line = ms_grade_group_status_line(f, group);
    if (line == NULL)
        return NULL;
    const char *t = line->text;
    if (g_strcmp0(f->protocol, "POP3") == 0)
        return g_ascii_strup(t, (gssize) strcspn(t, " "));
    if (g_strcmp0(f->protocol, "IMAP") == 0) {
        const char *p = t + strcspn(t, " ");
        while (*p == ' ')
            p++;
        return g_ascii_strup(p, (gssize) strcspn(p, " "));
    }
    if (strlen(t) >= 3 && g_ascii_isdigit(t[0]) && g_ascii_isdigit(t[1]) && g_ascii_isdigit(t[2]))
        return g_strndup(t, 3);
    return g_strndup(t, strcspn(t, " "));
}

/* ---- Paths into the summary ---------------------------------------------------- */

static gboolean member_matches(JsonNode *elem, const char *key, const char *want)
{
    if (!JSON_NODE_HOLDS_OBJECT(elem))
        return FALSE;
    JsonObject *o = json_node_get_object(elem);
    if (!json_object_has_member(o, key))
        return FALSE;
    JsonNode *m = json_object_get_member(o, key);
    if (!JSON_NODE_HOLDS_VALUE(m))
        return FALSE;
    GType t = json_node_get_value_type(m);
    if (t == G_TYPE_STRING)
        return g_ascii_strcasecmp(json_node_get_string(m), want) == 0;
    if (t == G_TYPE_INT64) {
        g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(m));
        return strcmp(s, want) == 0;
    }
    if (t == G_TYPE_BOOLEAN)
        return strcmp(json_node_get_boolean(m) ? "true" : "false", want) == 0;
    return FALSE;
}

/* "a.b[2].c[kind=push].d": a member name, then any number of [N] (index
 * from 0) or [key=value,key=value] (the first element whose members have
 * those values). */
JsonNode *ms_grade_json_path(JsonNode *root, const char *path)
{
    JsonNode *cur = root;
    const char *p = path;
    while (cur != NULL && *p != '\0') {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            const char *close = strchr(p, ']');
            if (close == NULL || !JSON_NODE_HOLDS_ARRAY(cur))
                return NULL;
            g_autofree char *inner = g_strndup(p + 1, (gsize) (close - p - 1));
            JsonArray *a = json_node_get_array(cur);
            char *eq = strchr(inner, '=');
            JsonNode *next = NULL;
            if (eq == NULL) {
                char *end = NULL;
                guint64 k = g_ascii_strtoull(inner, &end, 10);
                if (end == inner || *end != '\0' || k >= json_array_get_length(a))
                    return NULL;
                next = json_array_get_element(a, (guint) k);
            } else {
                /* key=value[,key=value...]: every condition holds. */
                g_auto(GStrv) conds = g_strsplit(inner, ",", -1);
                for (guint k = 0; k < json_array_get_length(a) && next == NULL; k++) {
                    JsonNode *e = json_array_get_element(a, k);
                    gboolean all = TRUE;
                    for (guint c = 0; conds[c] != NULL && all; c++) {
                        char *ceq = strchr(conds[c], '=');
                        if (ceq == NULL)
                            return NULL;
                        *ceq = '\0';
                        all = member_matches(e, conds[c], ceq + 1);
                        *ceq = '=';
                    }
                    if (all)
                        next = e;
                }
            }
            cur = next;
            p = close + 1;
            continue;
        }
        gsize n = strcspn(p, ".[");
        g_autofree char *name = g_strndup(p, n);
        if (!JSON_NODE_HOLDS_OBJECT(cur) || !json_object_has_member(json_node_get_object(cur),
                                                                    name))
            return NULL;
        cur = json_object_get_member(json_node_get_object(cur), name);
        p += n;
    }
    return cur;
}
