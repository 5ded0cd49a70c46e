/* summary_json.c - the summary as JSON (the "summary" object of
 * trace.json): what summary.txt says, with language-neutral keys and times
 * in ns - the exchanges, every message's events, deliveries and stages, the
 * end state, and the push-vs-pull comparison protocol by protocol.
 */
#include "mailsim/report.h"

#include <string.h>

#include "report/summary-private.h"

/* ---- JSON ----------------------------------------------------------------------- */

static void add_str(MsJsonWriter *b, const char *name, const char *value)
{
    ms_json_member(b, name);
    if (value != NULL)
        ms_json_string(b, value);
    else
        ms_json_null(b);
}

static void add_int(MsJsonWriter *b, const char *name, gint64 value)
{
    ms_json_member(b, name);
    ms_json_int(b, value);
}

static void add_ids(MsJsonWriter *b, const char *name, GPtrArray *ids)
{
    ms_json_member(b, name);
    ms_json_begin_array(b);
    for (guint i = 0; i < ids->len; i++)
        ms_json_string(b, ids->pdata[i]);
    ms_json_end_array(b);
}

static const char *moved_key(MsMoved moved)
{
    static const char *const keys[] = { "none", "away-from-opener", "toward-opener", "both" };
    return keys[moved];
}

static void json_exchange(MsJsonWriter *b, const MsSumExchange *e)
{
    ms_json_begin_object(b);
    add_int(b, "conn", e->id);
    add_str(b, "protocol", e->protocol);
    add_str(b, "client", e->client);
    add_int(b, "client_port", e->client_port);
    add_str(b, "server", e->server);
    add_int(b, "server_port", e->server_port);
    add_str(b, "opened_by", e->client);
    add_str(b, "mail_moved", moved_key(e->moved));
    add_str(b, "kind", e->push ? "push" : "pull");
    add_ids(b, "messages", e->message_ids);
    add_int(b, "round_trips", e->round_trips);
    add_int(b, "bytes_client_to_server", (gint64) e->bytes[0]);
    add_int(b, "bytes_server_to_client", (gint64) e->bytes[1]);
    if (g_ascii_strcasecmp(e->protocol, "HTTP") == 0) {
        /* One object per response: how many, and how many a message part. */
        add_int(b, "http_responses", e->http_responses);
        add_int(b, "http_parts", e->http_parts);
    } else if (e->multiparts > 0) {
        add_int(b, "multipart_messages", e->multiparts);
        add_int(b, "most_parts", e->most_parts);
    }
    add_int(b, "opened_ns", e->opened);
    if (e->closed >= 0) {
        add_int(b, "closed_ns", e->closed);
        add_int(b, "duration_ns", e->closed - e->opened);
    }
    add_str(b, "end", e->end);
    ms_json_end_object(b);
}

static void json_message(MsJsonWriter *b, const MsSumMessage *m)
{
    ms_json_begin_object(b);
    add_str(b, "message_id", m->message_id);
    add_str(b, "from", m->from);
    add_str(b, "author", m->author);
    if (m->composed >= 0)
        add_int(b, "composed_ns", m->composed);
    ms_json_member(b, "events");
    ms_json_begin_array(b);
    for (guint i = 0; i < m->events->len; i++) {
        const MsTraceRecord *r = m->events->pdata[i];
        ms_json_begin_object(b);
        add_int(b, "time_ns", r->time);
        add_str(b, "event", r->note);
        add_str(b, "host", r->src);
        add_int(b, "record", (gint64) r->id);
        ms_json_end_object(b);
    }
    ms_json_end_array(b);
    ms_json_member(b, "deliveries");
    ms_json_begin_array(b);
    for (guint i = 0; i < m->deliveries->len; i++) {
        const MsSumDelivery *d = m->deliveries->pdata[i];
        ms_json_begin_object(b);
        add_str(b, "mailbox", d->mailbox);
        add_str(b, "server", d->server);
        add_int(b, "delivered_ns", d->delivered);
        if (d->seen >= 0) {
            add_str(b, "seen_by", d->agent);
            add_str(b, "retrieval_protocol", d->protocol);
            add_int(b, "seen_ns", d->seen);
        }
        ms_json_member(b, "stages");
        ms_json_begin_array(b);
        for (guint k = 0; k < d->stages->len; k++) {
            const MsSumStage *st = &g_array_index(d->stages, MsSumStage, k);
            ms_json_begin_object(b);
            add_str(b, "stage", st->id);
            add_str(b, "where", st->where);
            if (strcmp(st->id, "queue") == 0)
                add_int(b, "attempts", st->attempts);
            add_int(b, "from_ns", st->from);
            add_int(b, "to_ns", st->to);
            add_int(b, "delay_ns", st->to - st->from);
            ms_json_end_object(b);
        }
        ms_json_end_array(b);
        if (d->stages->len > 0) {
            const MsSumStage *first = &g_array_index(d->stages, MsSumStage, 0);
            const MsSumStage *last = &g_array_index(d->stages, MsSumStage, d->stages->len - 1);
            add_int(b, "end_to_end_ns", last->to - first->from);
        }
        ms_json_end_object(b);
    }
    ms_json_end_array(b);
    ms_json_end_object(b);
}

static void json_containers(MsJsonWriter *b, const char *name, const char *host_key,
                            GPtrArray *list)
{
    ms_json_member(b, name);
    ms_json_begin_array(b);
    for (guint i = 0; i < list->len; i++) {
        const MsSumContainer *c = list->pdata[i];
        ms_json_begin_object(b);
        add_str(b, host_key, c->host);
        add_str(b, "name", c->name);
        add_int(b, "count", c->count);
        add_ids(b, "messages", c->ids);
        ms_json_end_object(b);
    }
    ms_json_end_array(b);
}

void ms_summary_add_json(const MsSummary *s, MsJsonWriter *b)
{
    ms_json_begin_object(b);
    ms_json_member(b, "exchanges");
    ms_json_begin_array(b);
    for (guint i = 1; i < s->exchanges->len; i++) {
        const MsSumExchange *e = g_ptr_array_index(s->exchanges, i);
        if (e != NULL)
            json_exchange(b, e);
    }
    ms_json_end_array(b);
    ms_json_member(b, "messages");
    ms_json_begin_array(b);
    for (guint i = 0; i < s->messages->len; i++)
        json_message(b, g_ptr_array_index(s->messages, i));
    ms_json_end_array(b);

    ms_json_member(b, "end_state");
    ms_json_begin_object(b);
    add_str(b, "source", s->from_state ? "state-records" : "derived-from-changes");
    json_containers(b, "mailboxes", "server", s->mailboxes);
    json_containers(b, "queues", "server", s->queues);
    json_containers(b, "agent_copies", "agent", s->stores);
    ms_json_end_object(b);

    ms_json_member(b, "push_pull");
    ms_json_begin_array(b);
    GArray *groups = ms_summary_group_exchanges(s);
    for (guint i = 0; i < groups->len; i++) {
        const MsSumGroup *g = &g_array_index(groups, MsSumGroup, i);
        ms_json_begin_object(b);
        add_str(b, "protocol", g->protocol);
        ms_json_member(b, "exchanges");
        ms_json_begin_array(b);
        for (guint k = 0; k < g->exchanges->len; k++)
            ms_json_int(b, ((const MsSumExchange *) g->exchanges->pdata[k])->id);
        ms_json_end_array(b);
        g_autofree char *who = ms_summary_openers(g);
        add_str(b, "opened_by", who);
        add_str(b, "direction", g->away && !g->toward   ? "away-from-opener"
                                : g->toward && !g->away ? "toward-opener"
                                : g->away               ? "both"
                                                        : "none");
        gboolean push = g->away && !g->toward;
        if (!g->away && !g->toward)
            push = g_ascii_strcasecmp(g->protocol, "SMTP") == 0;
        add_str(b, "kind", push ? "push" : "pull");
        add_int(b, "messages", g->messages);
        add_int(b, "most_messages_per_connection", g->most_per_connection);
        add_int(b, "round_trips", g->round_trips);
        add_int(b, "bytes_client_to_server", (gint64) g->bytes[0]);
        add_int(b, "bytes_server_to_client", (gint64) g->bytes[1]);
        ms_json_end_object(b);
    }
    ms_summary_groups_free(groups);
    ms_json_end_array(b);
    ms_json_end_object(b);
}

/* ---- Public entry points ---------------------------------------------------------- */

char *ms_report_summary_json(const MsTrace *trace, gsize *len_out)
{
    g_autoptr(MsSummary) s = ms_summary_build(trace);
    g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
    ms_summary_add_json(s, w);
    return ms_json_writer_steal(w, len_out);
}
