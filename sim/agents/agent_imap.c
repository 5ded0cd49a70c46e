/* agent_imap.c - a user agent's IMAP side (RFC 3501): the scenario's
 * `imap ...` steps drive one session from `login` to `logout`; `imap poll`
 * opens a short session every so often (login, select INBOX, fetch new,
 * logout); `imap idle` waits for the server to push news (RFC 2177), and a
 * device told of new mail while idling fetches it, then idles again.
 */
#include <string.h>

#include "agents/agents-private.h"

typedef struct {
    MsSessionBase base;
    MsUserAgent *agent;
    MsTcpConn *conn;
    MsImapClient *engine;
    gboolean closing;
    MsEventId idle_timer;
    MsTime idle_until;     /* when the current `imap idle` step ends */
} AgentImap;

void ms_agent_known_folder_clear(gpointer p)
{
    MsAgentKnownFolder *k = p;
    g_free(k->folder);
}

static MsAgentKnownFolder *known_folder(MsUserAgent *agent, const char *folder)
{
    for (guint i = 0; i < agent->imap_known->len; i++) {
        MsAgentKnownFolder *k = &g_array_index(agent->imap_known, MsAgentKnownFolder, i);
        if (g_ascii_strcasecmp(k->folder, folder) == 0)
            return k;
    }
    MsAgentKnownFolder k = { g_strdup(folder), 0, 0 };
    g_array_append_val(agent->imap_known, k);
    return &g_array_index(agent->imap_known, MsAgentKnownFolder, agent->imap_known->len - 1);
}

static void agent_imap_free(gpointer p)
{
    AgentImap *s = p;
    if (s->idle_timer != MS_EVENT_ID_NONE)
        ms_sim_cancel(s->agent->world->sim, s->idle_timer);
    if (s->agent->imap == s)
        s->agent->imap = NULL;
    ms_imap_client_free(s->engine);
    g_free(s);
}

static void imap_close(AgentImap *s)
{
    if (s->agent->imap == s)
        s->agent->imap = NULL;
    if (!s->closing) {
        s->closing = TRUE;
        ms_tcp_close(s->conn, MS_DIR_CLIENT);
    }
}

static void on_message(AgentImap *s, const MsImapEvent *ev)
{
    MsUserAgent *agent = s->agent;
    const char *folder = ev->folder != NULL ? ev->folder : "INBOX";
    MsAgentKnownFolder *k = known_folder(agent, folder);
    if (ev->uid != 0 && ev->uid >= k->uidnext)
        k->uidnext = ev->uid + 1;
    if (ev->data == NULL)
        return;
    if (!ev->header_only)
        ms_user_agent_received(agent, ev->data);
    g_autofree char *mid = ms_message_id_of(ev->data);
    ms_world_note_text(agent->world, MS_TRACE_MESSAGE, "message.downloaded", agent->host_name,
                       mid, agent->address, 0,
                       "%s's agent on %s fetched message %u (UID %u) with IMAP; it stays on "
                       "the server", agent->local, agent->host_name, ev->seq, ev->uid);
}

static void pump(AgentImap *s)
{
    gboolean close = FALSE;
    MsImapEvent *ev;
    while ((ev = ms_imap_client_next_event(s->engine)) != NULL) {
        switch (ev->kind) {
        case MS_IMAP_EVENT_MESSAGE:
            on_message(s, ev);
            break;
        case MS_IMAP_EVENT_SELECTED: {
            MsAgentKnownFolder *k = known_folder(s->agent, ev->folder);
            if (k->uidvalidity != ev->uidvalidity) {
                /* RFC 3501 2.3.1.1: a new UIDVALIDITY voids what we knew. */
                k->uidvalidity = ev->uidvalidity;
                k->uidnext = 0;
            }
            break;
        }
        case MS_IMAP_EVENT_EXISTS:
            if (ev->idling) {
                ms_world_note(s->agent->world, MS_TRACE_MESSAGE, "message.noticed",
                              s->agent->host_name, NULL, ev->count,
                              "%s's agent on %s is told while idling: %u messages now "
                              "(pushed by the server, RFC 2177)", s->agent->local,
                              s->agent->host_name, ev->count);
                /* What a mail reader does: stop idling, fetch, idle again. */
                ms_imap_client_idle_done(s->engine);
                MsImapOp fetch = { .kind = MS_IMAP_OP_FETCH_NEW, .full = TRUE };
                ms_imap_client_push_op(s->engine, &fetch);
                if (ms_sim_now(s->agent->world->sim) < s->idle_until) {
                    MsImapOp idle = { .kind = MS_IMAP_OP_IDLE };
                    ms_imap_client_push_op(s->engine, &idle);
                }
            }
            break;
        case MS_IMAP_EVENT_AUTH_FAILED:
            ms_world_note(s->agent->world, MS_TRACE_ACTION, "imap.login-refused",
                          s->agent->host_name, NULL, 0, "IMAP login as %s refused: %s",
                          s->agent->local, ev->text != NULL ? ev->text : "");
            break;
        case MS_IMAP_EVENT_CLOSE:
            close = TRUE;
            break;
        default:
            break;
        }
        ms_imap_event_free(ev);
    }
    /* The engine's own lines, sent in place: those of the step, then any
     * that pushing operations above added after them. */
    ms_session_send_lines(s->agent->world, s->conn, MS_DIR_CLIENT,
                          ms_imap_client_output(s->engine));
    ms_imap_client_output_sent(s->engine);
    if (close)
        imap_close(s);
}

static void on_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    AgentImap *s = data;
    ms_imap_client_feed(s->engine, bytes, len);
    pump(s);
}

static void on_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    AgentImap *s = data;
    ms_imap_client_abort(s->engine);
    imap_close(s);
}

static void on_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    AgentImap *s = data;
    ms_world_note(s->agent->world, MS_TRACE_ACTION, "imap.unreachable", s->agent->host_name,
                  NULL, 0, "cannot reach the IMAP server %s: %s", s->agent->server_name, why);
    ms_imap_client_abort(s->engine);
    if (s->agent->imap == s)
        s->agent->imap = NULL;
    g_ptr_array_remove(s->agent->sessions, s);
}

static void on_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    AgentImap *s = data;
    g_ptr_array_remove(s->agent->sessions, s);
}

static const MsTcpCallbacks callbacks = {
    .data = on_data,
    .peer_closed = on_peer_closed,
    .refused = on_refused,
    .closed = on_closed,
};

static AgentImap *open_session(MsUserAgent *agent, const char *password, const MsImapOp *ops,
                               guint n_ops)
{
    g_autoptr(GArray) known = g_array_new(FALSE, TRUE, sizeof(MsImapKnownFolder));
    for (guint i = 0; i < agent->imap_known->len; i++) {
        const MsAgentKnownFolder *k = &g_array_index(agent->imap_known, MsAgentKnownFolder, i);
        MsImapKnownFolder f = { k->folder, k->uidvalidity, k->uidnext };
        g_array_append_val(known, f);
    }
    MsImapClientConfig cfg = {
        .user = agent->local,
        .password = password != NULL ? password : "",
        .ops = ops,
        .n_ops = n_ops,
        .known = (const MsImapKnownFolder *) (void *) known->data,
        .n_known = known->len,
    };
    AgentImap *s = g_new0(AgentImap, 1);
    s->base.free = agent_imap_free;
    s->agent = agent;
    s->engine = ms_imap_client_new(&cfg);
    g_ptr_array_add(agent->sessions, s);
    s->conn = ms_tcp_connect(agent->world->net, agent->host, ms_user_agent_server_host(agent),
                             MS_PORT_IMAP, "IMAP", &callbacks, s);
    return s;
}

static void idle_over(gpointer data)
{
    AgentImap *s = data;
    s->idle_timer = MS_EVENT_ID_NONE;
    if (s->closing)
        return;
    ms_imap_client_idle_done(s->engine);
    pump(s);
}

typedef struct {
    MsUserAgent *agent;
    const MsScAction *action;
} Poll;

static void poll_once(gpointer data);

static void poll_schedule(MsUserAgent *agent, const MsScAction *action, MsTime next)
{
    if (action->every <= 0 || next > action->until)
        return;
    Poll *p = g_new0(Poll, 1);
    p->agent = agent;
    p->action = action;
    g_ptr_array_add(agent->world->owned, p);
    ms_sim_schedule_at(agent->world->sim, next, poll_once, p);
}

/* A polling reader: a short session that looks for new mail, then leaves. */
static void poll_once(gpointer data)
{
    Poll *p = data;
    const char *folder = p->action->folder != NULL ? p->action->folder : "INBOX";
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = folder },
        { .kind = MS_IMAP_OP_FETCH_NEW, .full = TRUE },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    ms_world_note(p->agent->world, MS_TRACE_ACTION, "action.imap-poll", p->agent->host_name,
                  NULL, 0, "%s's agent on %s polls %s with IMAP", p->agent->local,
                  p->agent->host_name, folder);
    const char *password = p->action->password != NULL ? p->action->password
                                                       : p->agent->password;
    open_session(p->agent, password, ops, G_N_ELEMENTS(ops));
    MsTime next = ms_time_add(ms_sim_now(p->agent->world->sim), p->action->every);
    poll_schedule(p->agent, p->action, next);
}

/* The scenario's step as an IMAP operation; FALSE for steps that are not one. */
static gboolean action_op(const MsScAction *a, MsImapOp *op)
{
    memset(op, 0, sizeof *op);
    switch (a->kind) {
    case MS_SC_IMAP_SELECT:
        op->kind = MS_IMAP_OP_SELECT;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_EXAMINE:
        op->kind = MS_IMAP_OP_EXAMINE;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_LIST:
        op->kind = MS_IMAP_OP_LIST;
        return TRUE;
    case MS_SC_IMAP_FETCH_NEW:
        op->kind = MS_IMAP_OP_FETCH_NEW;
        op->full = TRUE;
        return TRUE;
    case MS_SC_IMAP_READ:
        op->kind = MS_IMAP_OP_READ;
        op->number = a->number;
        return TRUE;
    case MS_SC_IMAP_FLAG:
    case MS_SC_IMAP_UNFLAG:
        op->kind = MS_IMAP_OP_FLAG;
        op->number = a->number;
        op->flags = ms_imap_flag_from_name(a->flag);
        op->unset = a->kind == MS_SC_IMAP_UNFLAG;
        return TRUE;
    case MS_SC_IMAP_COPY:
        op->kind = MS_IMAP_OP_COPY;
        op->number = a->number;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_MOVE:
        op->kind = MS_IMAP_OP_MOVE;
        op->number = a->number;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_EXPUNGE:
        op->kind = MS_IMAP_OP_EXPUNGE;
        return TRUE;
    case MS_SC_IMAP_CREATE:
        op->kind = MS_IMAP_OP_CREATE;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_RENAME:
        op->kind = MS_IMAP_OP_RENAME;
        op->folder = a->folder;
        op->folder2 = a->new_folder;
        return TRUE;
    case MS_SC_IMAP_DELETE:
        op->kind = MS_IMAP_OP_DELETE;
        op->folder = a->folder;
        return TRUE;
    case MS_SC_IMAP_SEARCH:
        op->kind = MS_IMAP_OP_SEARCH;
        op->text = a->criteria;
        return TRUE;
    case MS_SC_IMAP_IDLE:
        op->kind = MS_IMAP_OP_IDLE;
        return TRUE;
    case MS_SC_IMAP_LOGOUT:
        op->kind = MS_IMAP_OP_LOGOUT;
        return TRUE;
    default:
        return FALSE;
    }
}

void ms_agent_imap_act(MsUserAgent *agent, const MsScAction *action)
{
    MsWorld *world = agent->world;
    if (action->kind == MS_SC_IMAP_POLL) {
        Poll p = { agent, action };
        poll_once(&p);
        return;
    }
    if (action->kind == MS_SC_IMAP_LOGIN) {
        if (agent->imap != NULL) {
            ms_world_note(world, MS_TRACE_ACTION, "imap.already-open", agent->host_name, NULL, 0,
                          "%s already has an IMAP session open", agent->host_name);
            return;
        }
        const MsImapOp login = { .kind = MS_IMAP_OP_LOGIN };
        const char *password = action->password != NULL ? action->password : agent->password;
        agent->imap = open_session(agent, password, &login, 1);
        return;
    }
    AgentImap *s = agent->imap;
    if (s == NULL) {
        ms_world_note(world, MS_TRACE_ACTION, "imap.not-open", agent->host_name, NULL, 0,
                      "%s: '%s' needs an open IMAP session (imap login first)",
                      agent->host_name, ms_sc_action_name(action->kind));
        return;
    }
    MsImapOp op;
    if (!action_op(action, &op))
        return;
    if (op.kind == MS_IMAP_OP_IDLE) {
        s->idle_until = ms_time_add(ms_sim_now(world->sim), action->duration);
        if (s->idle_timer != MS_EVENT_ID_NONE)
            ms_sim_cancel(world->sim, s->idle_timer);
        s->idle_timer = ms_sim_schedule(world->sim, action->duration, idle_over, s);
    }
    ms_imap_client_push_op(s->engine, &op);
    if (op.kind == MS_IMAP_OP_LOGOUT)
        agent->imap = NULL; /* the session ends when the server says BYE */
    pump(s);
}
