/* world.c - builds a world from a scenario (hosts, links, servers, agents),
 * schedules the scenario's actions, and runs the simulator.
 */
#include <stdarg.h>
#include <string.h>

#include "agents/agents-private.h"

/* A run that has not settled after this much simulated time is stuck (a
 * scenario with polling runs until its last action plus this). */
#define MS_WORLD_SAFETY_SPAN (30 * MS_DAY)
#define MS_WORLD_MAX_EVENTS G_GUINT64_CONSTANT(200000000)
/* A scenario of this many actions (a send or a fetch each) is large enough
 * for its heap to be worth huge pages (ms_heap_huge_begin()); the lecture
 * scenarios have tens. */
#define MS_WORLD_HUGE_ACTIONS 500u

typedef struct {
    MsWorld *world;
    const MsScAction *action;
} ActionEvent;

char *ms_address_local(const char *address)
{
    const char *at = strrchr(address, '@');
    return at != NULL ? g_strndup(address, (gsize) (at - address)) : g_strdup(address);
}

char *ms_address_domain(const char *address)
{
    const char *at = strrchr(address, '@');
    return g_strdup(at != NULL ? at + 1 : "");
}

gint64 ms_world_unix_time(MsWorld *world)
{
    /* The simulated wall clock starts at the scenario's `start` (by default
     * 23 March 2023, 12:00 UTC, the day of the lecture notes), so Date:
     * headers and Message-IDs are the same on every run. */
    return world->scenario->start + ms_sim_now(world->sim) / MS_SEC;
}

/* Appends the decimal digits of v at *at, below end; FALSE when they do
 * not fit. */
static gboolean put_decimal(char **at, char *end, guint64 v)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = ms_proto_format_uint(digits, v);
    if ((gsize) (end - *at) < n)
        return FALSE;
    memcpy(*at, digits, n);
    *at += n;
    return TRUE;
}

/* Appends s, as printf's %s would ("(null)" for NULL); FALSE when it does
 * not fit. */
static inline gboolean put_text(char **at, char *end, const char *s)
{
    if (s == NULL)
        s = "(null)"; /* what glibc's printf prints */
    gsize n = strlen(s);
    if ((gsize) (end - *at) < n)
        return FALSE;
    memcpy(*at, s, n);
    *at += n;
    return TRUE;
}

/* Appends v in decimal with its sign, as printf's %d would; FALSE when it
 * does not fit. */
static inline gboolean put_signed(char **at, char *end, gint64 v)
{
    guint64 magnitude = v < 0 ? (guint64) -(v + 1) + 1 : (guint64) v;
    if (v < 0) {
        if (*at == end)
            return FALSE;
        *(*at)++ = '-';
    }
    return put_decimal(at, end, magnitude);
}

/* ---- Sentences' formats, read once ------------------------------------- */

/* What follows a piece's text: nothing, or the argument of a conversion. */
enum { ARG_NONE, ARG_S, ARG_U, ARG_LU, ARG_LLU, ARG_ZU, ARG_D, ARG_LD, ARG_LLD };

/* Pieces a format read once may have, and places for such formats. */
#define TEMPLATE_PIECES 8u
#define TEMPLATE_SLOTS 128u

/* A run of the format's text, copied as it is, and the conversion after it. */
typedef struct {
    guint16 at;  /* where the text starts in the format */
    guint8 len;  /* its bytes */
    guint8 arg;  /* ARG_* */
} TemplatePiece;

/* A format taken apart into its pieces; n 0 when it is not one that
 * format_fast() formats (see template_read()). */
typedef struct {
    const char *fmt;  /* NULL: the place is empty */
    guint n;
    TemplatePiece pieces[TEMPLATE_PIECES];
} Template;

/* A run formats about eight sentences a message from a few dozen formats,
 * each time reading the format again, a byte at a time, for its next '%':
 * the formats are taken apart once and kept by their address.  They are
 * string literals (the build's -Wformat-nonliteral sees to it, and
 * agent_answer.c's table of them is constant), which stay put, unchanged,
 * for as long as the program runs, so the places are shared by every
 * world and never emptied. */
static Template templates[TEMPLATE_SLOTS];

/* Takes fmt apart into t, when it uses nothing but %s, %d, %i and %u
 * (plain, l, ll; %zu) and %%, as nearly every event sentence does, in at
 * most TEMPLATE_PIECES runs of text of up to 255 bytes each; any other
 * format leaves t->n 0, for printf to format. */
static void template_read(Template *t, const char *fmt)
{
    t->fmt = fmt;
    t->n = 0;
    const char *start = fmt;
    guint n = 0;
    for (const char *p = fmt;; p++) {
        if (*p != '%' && *p != '\0')
            continue;
        guint arg = ARG_NONE;
        const char *next;
        if (*p == '\0') {
            next = p;
        } else if (p[1] == '%') {
            p++; /* the text keeps the first '%', the second is skipped */
            next = p + 1;
        } else {
            const char *c = p + 1;
            guint longs = 0;
            while (*c == 'l' && longs < 2) {
                longs++;
                c++;
            }
            gboolean size_t_arg = longs == 0 && *c == 'z';
            if (size_t_arg)
                c++;
            if (*c == 's' && longs == 0 && !size_t_arg)
                arg = ARG_S;
            else if (*c == 'u')
                arg = size_t_arg ? ARG_ZU : longs == 2 ? ARG_LLU : longs == 1 ? ARG_LU : ARG_U;
            else if ((*c == 'd' || *c == 'i') && !size_t_arg)
                arg = longs == 2 ? ARG_LLD : longs == 1 ? ARG_LD : ARG_D;
            else
                return; /* printf takes it */
            next = c + 1;
        }
        gsize len = (gsize) (p - start);
        if (n == TEMPLATE_PIECES || len > G_MAXUINT8 || (gsize) (start - fmt) > G_MAXUINT16)
            return;
        t->pieces[n++] = (TemplatePiece) { (guint16) (start - fmt), (guint8) len, (guint8) arg };
        if (*p == '\0')
            break;
        start = next;
        p = next - 1;
    }
    t->n = n;
}

/* Formats fmt into buf as printf would, reading fmt once for every run of
 * the program; returns the length, or -1 when fmt is not one that
 * template_read() takes or the text does not fit, for printf to do it.
 * Every event of a run is formatted, and printf's generality was most of
 * what that cost. */
static gint format_fast(char *buf, gsize size, const char *fmt, va_list ap)
{
    guint k = (guint) (((guint64) (guintptr) fmt * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >> 57);
    G_STATIC_ASSERT(TEMPLATE_SLOTS == 128u);
    Template *t = &templates[k];
    if (t->fmt != fmt)
        template_read(t, fmt);
    if (t->n == 0)
        return -1;
    char *at = buf;
    char *end = buf + size - 1; /* room for the NUL */
    for (guint i = 0; i < t->n; i++) {
        const TemplatePiece *piece = &t->pieces[i];
        if ((gsize) (end - at) < piece->len)
            return -1;
        memcpy(at, fmt + piece->at, piece->len);
        at += piece->len;
        guint64 magnitude;
        switch (piece->arg) {
        case ARG_NONE:
            continue;
        case ARG_S:
            if (!put_text(&at, end, va_arg(ap, const char *)))
                return -1;
            continue;
        case ARG_U:
            magnitude = va_arg(ap, unsigned int);
            break;
        case ARG_LU:
            magnitude = va_arg(ap, unsigned long);
            break;
        case ARG_LLU:
            magnitude = va_arg(ap, unsigned long long);
            break;
        case ARG_ZU:
            magnitude = va_arg(ap, gsize);
            break;
        default: {
            gint64 v = piece->arg == ARG_LLD ? va_arg(ap, long long)
                     : piece->arg == ARG_LD  ? va_arg(ap, long)
                                             : va_arg(ap, int);
            if (!put_signed(&at, end, v))
                return -1;
            continue;
        }
        }
        if (!put_decimal(&at, end, magnitude))
            return -1;
    }
    *at = '\0';
    return (gint) (at - buf);
}

/* A text that fits a line is formatted on the stack, in buf (of size
 * FORMAT_BUF); a longer one in full, into *longer, for the caller to free.
 * Returns the text; *len_out is its length, which formatting it found. */
#define FORMAT_BUF 256
static const char *format_va(char *buf, char **longer, gsize *len_out, const char *fmt,
                             va_list ap) G_GNUC_PRINTF(4, 0);

static const char *format_va(char *buf, char **longer, gsize *len_out, const char *fmt,
                             va_list ap)
{
    const char *text = buf;
    va_list simple, again;
    va_copy(simple, ap);
    va_copy(again, ap);
    gint n = format_fast(buf, FORMAT_BUF, fmt, simple);
    if (n < 0)
        n = g_vsnprintf(buf, FORMAT_BUF, fmt, ap);
    if (n < 0)
        n = (gint) strlen(buf); /* what printf left, as before */
    if (n >= FORMAT_BUF) {
        text = *longer = g_strdup_vprintf(fmt, again);
        n = (gint) strlen(text);
    }
    va_end(simple);
    va_end(again);
    *len_out = (gsize) n;
    return text;
}

char *ms_world_format(const char *fmt, ...)
{
    char buf[FORMAT_BUF];
    char *longer = NULL;
    gsize len;
    va_list ap;
    va_start(ap, fmt);
    const char *text = format_va(buf, &longer, &len, fmt, ap);
    va_end(ap);
    return longer != NULL ? longer : g_strdup(text);
}

/* The trace context of a host's notes (all of a note's context is its
 * host), kept by the address of the name it was asked for: a run's notes
 * come from its servers and agents, whose names stay put, and finding the
 * context again cost a note as much as its sentence.  A name is checked
 * against the trace's copy, so a name freed and another put at its
 * address misses instead of taking a wrong context; contexts are never
 * dropped, so what is kept stays valid. */
static MsTraceContext note_context(MsWorld *world, MsTrace *trace, const char *host)
{
    guint k = (guint) (((guint64) (guintptr) host * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >>
                       56) % MS_WORLD_NOTE_CTX_SLOTS;
    MsWorldNoteCtx *c = &world->note_ctx[k];
    if (c->interned != NULL && c->host == host && strcmp(c->interned, host) == 0)
        return c->ctx;
    MsTraceRecord r = { 0 };
    r.src = host;
    c->host = host;
    c->ctx = ms_trace_context(trace, &r);
    c->interned = ms_trace_intern(trace, host);
    return c->ctx;
}

static void note_va(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                    const char *subject, const char *text, gint64 count, const char *fmt,
                    va_list ap) G_GNUC_PRINTF(8, 0);

static void note_va(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                    const char *subject, const char *text, gint64 count, const char *fmt,
                    va_list ap)
{
    MsTrace *trace = ms_sim_trace(world->sim);
    MsTime now = ms_sim_now(world->sim);
    if (host != NULL) {
        /* Nearly every sentence is a host's, fits a line and takes only
         * what format_fast() formats: it is formatted straight into the
         * room where the trace keeps it. */
        MsTraceContext ctx = note_context(world, trace, host);
        G_STATIC_ASSERT(MS_TRACE_SENTENCE_ROOM == FORMAT_BUF);
        char *room = ms_trace_sentence_room(trace);
        va_list simple;
        va_copy(simple, ap);
        gint n = format_fast(room, FORMAT_BUF, fmt, simple);
        va_end(simple);
        if (n >= 0) {
            ms_trace_emit_sentence(trace, ctx, kind, now, key, subject, text, (gsize) n, count);
            return;
        }
        char buf[FORMAT_BUF];
        g_autofree char *longer = NULL;
        gsize len;
        const char *detail = format_va(buf, &longer, &len, fmt, ap);
        ms_trace_emit_event(trace, ctx, kind, now, key, subject, text, detail, len, count);
        return;
    }
    char buf[FORMAT_BUF];
    g_autofree char *longer = NULL;
    gsize len;
    const char *detail = format_va(buf, &longer, &len, fmt, ap);
    MsTraceRecord r = { 0 };
    r.text = text;
    r.kind = kind;
    r.time = now;
    r.arrival = -1;
    r.note = key;
    r.subject = subject;
    r.count = count;
    r.detail = detail;
    ms_trace_emit(trace, &r);
}

char *ms_world_message_id(MsWorld *world, const char *domain, const char *tag)
{
    return ms_world_format("<%" G_GUINT64_FORMAT ".%" G_GINT64_FORMAT "%s%s@%s>",
                           ++world->message_serial, ms_world_unix_time(world),
                           tag != NULL ? "." : "", tag != NULL ? tag : "", domain);
}

void ms_world_note(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                   const char *subject, gint64 count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_va(world, kind, key, host, subject, NULL, count, fmt, ap);
    va_end(ap);
}

void ms_world_note_text(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                        const char *subject, const char *text, gint64 count, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    note_va(world, kind, key, host, subject, text, count, fmt, ap);
    va_end(ap);
}

void ms_world_fail(MsWorld *world, const char *fmt, ...)
{
    if (world->failure != NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(&world->failure, MS_ERROR, MS_ERROR_SIMULATION, msg);
    ms_world_note(world, MS_TRACE_ERROR, "error", NULL, NULL, 0, "%s", msg);
}

MsMailServer *ms_world_server_by_name(MsWorld *world, const char *name)
{
    for (guint i = 0; i < world->servers->len; i++) {
        MsMailServer *s = g_ptr_array_index(world->servers, i);
        if (ms_name_equal(ms_mail_server_name(s), name))
            return s;
    }
    return NULL;
}

MsMailServer *ms_world_server_for_domain(MsWorld *world, const char *domain)
{
    for (guint i = 0; i < world->servers->len; i++) {
        MsMailServer *s = g_ptr_array_index(world->servers, i);
        if (ms_name_equal(ms_mail_server_domain(s), domain))
            return s;
    }
    return NULL;
}

static MsUserAgent *agent_by_host(MsWorld *world, const char *host)
{
    return g_hash_table_lookup(world->agent_index, host);
}

static void run_action(gpointer data)
{
    ActionEvent *ev = data;
    MsUserAgent *agent = agent_by_host(ev->world, ev->action->host);
    /* The parser guarantees the host is an agent. */
    g_assert(agent != NULL);
    ms_user_agent_act(agent, ev->action);
}

static gboolean add_hosts_and_links(MsWorld *world, GError **error)
{
    const MsScenario *sc = world->scenario;
    for (guint i = 0; i < sc->servers->len; i++) {
        const MsScServer *s = g_ptr_array_index(sc->servers, i);
        if (ms_net_add_host(world->net, s->name, error) == NULL)
            return FALSE;
    }
    for (guint i = 0; i < sc->agents->len; i++) {
        const MsScAgent *a = g_ptr_array_index(sc->agents, i);
        if (ms_net_add_host(world->net, a->host, error) == NULL)
            return FALSE;
    }
    for (guint i = 0; i < sc->links->len; i++) {
        const MsScLink *l = g_ptr_array_index(sc->links, i);
        MsHost *a = ms_net_find_host(world->net, l->a);
        MsHost *b = ms_net_find_host(world->net, l->b);
        if (a == NULL || b == NULL) {
            g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "link %s %s names an unknown host",
                        l->a, l->b);
            return FALSE;
        }
        g_ptr_array_add(world->links,
                        ms_net_add_link(world->net, a, b, l->latency, l->bandwidth, l->loss));
    }
    if (sc->mss != 0)
        ms_net_set_mss(world->net, sc->mss);
    if (sc->rto != 0)
        ms_net_set_rto(world->net, sc->rto, 6);
    return TRUE;
}

static MsLink *find_link(MsWorld *world, const char *a, const char *b)
{
    const MsScenario *sc = world->scenario;
    for (guint i = 0; i < sc->links->len; i++) {
        const MsScLink *l = g_ptr_array_index(sc->links, i);
        if ((ms_name_equal(l->a, a) && ms_name_equal(l->b, b)) ||
            (ms_name_equal(l->a, b) && ms_name_equal(l->b, a)))
            return g_ptr_array_index(world->links, i);
    }
    return NULL;
}

/* When does what `down` took down come back?  Its own `for DURATION`, or the
 * next matching `up` action, or never. */
static MsTime down_until(const MsScenario *sc, guint index)
{
    const MsScAction *down = g_ptr_array_index(sc->actions, index);
    if (down->duration > 0)
        return ms_time_add(down->at, down->duration);
    MsScActionKind up_kind = down->kind == MS_SC_LINK_DOWN      ? MS_SC_LINK_UP
                             : down->kind == MS_SC_SERVICE_DOWN ? MS_SC_SERVICE_UP
                                                                : MS_SC_HOST_UP;
    for (guint i = index + 1; i < sc->actions->len; i++) {
        const MsScAction *a = g_ptr_array_index(sc->actions, i);
        if (a->kind != up_kind)
            continue;
        if (up_kind == MS_SC_HOST_UP && ms_name_equal(a->target, down->target))
            return a->at;
        if (up_kind == MS_SC_SERVICE_UP && ms_name_equal(a->target, down->target) &&
            strcmp(a->service, down->service) == 0)
            return a->at;
        if (up_kind == MS_SC_LINK_UP &&
            ((ms_name_equal(a->link_a, down->link_a) &&
              ms_name_equal(a->link_b, down->link_b)) ||
             (ms_name_equal(a->link_a, down->link_b) &&
              ms_name_equal(a->link_b, down->link_a))))
            return a->at;
    }
    return MS_TIME_NEVER;
}

/* The ports a service of a server listens on: SMTP on 25 and, when its
 * agents submit elsewhere, on the submission port too. */
static guint service_ports(const MsMailServer *server, const char *service, guint16 *ports)
{
    if (strcmp(service, "pop3") == 0) {
        ports[0] = MS_PORT_POP3;
        return 1;
    }
    if (strcmp(service, "imap") == 0) {
        ports[0] = MS_PORT_IMAP;
        return 1;
    }
    if (strcmp(service, "http") == 0) {
        ports[0] = MS_PORT_HTTP;
        return 1;
    }
    g_assert(strcmp(service, "smtp") == 0);
    ports[0] = MS_PORT_SMTP;
    guint port = server->spec->submission_port;
    if (port == 0 || port == MS_PORT_SMTP)
        return 1;
    ports[1] = (guint16) port;
    return 2;
}

/* Link and host outages are known in advance, so they are handed to the
 * network as down intervals; the network traces each change. */
static gboolean schedule_outages(MsWorld *world, GError **error)
{
    const MsScenario *sc = world->scenario;
    for (guint i = 0; i < sc->actions->len; i++) {
        const MsScAction *a = g_ptr_array_index(sc->actions, i);
        if (a->kind == MS_SC_LINK_DOWN) {
            MsLink *link = find_link(world, a->link_a, a->link_b);
            if (link == NULL) {
                g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "%u:%u: no link %s %s",
                            a->loc.line, a->loc.column, a->link_a, a->link_b);
                return FALSE;
            }
            ms_link_schedule_down(link, a->at, down_until(sc, i));
        } else if (a->kind == MS_SC_HOST_DOWN) {
            MsHost *host = ms_net_find_host(world->net, a->target);
            if (host == NULL) {
                g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "%u:%u: no host %s",
                            a->loc.line, a->loc.column, a->target);
                return FALSE;
            }
            ms_host_schedule_down(host, a->at, down_until(sc, i));
        } else if (a->kind == MS_SC_SERVICE_DOWN) {
            MsMailServer *server = ms_world_server_by_name(world, a->target);
            if (server == NULL) {
                g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "%u:%u: no server %s",
                            a->loc.line, a->loc.column, a->target);
                return FALSE;
            }
            guint16 ports[2];
            guint n = service_ports(server, a->service, ports);
            ms_host_schedule_service_down(server->host, a->service, ports, n, a->at,
                                          down_until(sc, i));
        }
    }
    return TRUE;
}

static gboolean is_agent_action(MsScActionKind kind)
{
    switch (kind) {
    case MS_SC_LINK_DOWN:
    case MS_SC_LINK_UP:
    case MS_SC_HOST_DOWN:
    case MS_SC_HOST_UP:
    case MS_SC_SERVICE_DOWN:
    case MS_SC_SERVICE_UP:
        return FALSE;
    default:
        return TRUE;
    }
}

MsWorld *ms_world_new(const MsScenario *scenario, guint64 seed, GError **error)
{
    g_autoptr(MsWorld) world = g_new0(MsWorld, 1);
    world->scenario = scenario;
    world->sim = ms_sim_new(seed);
    world->net = ms_net_new(world->sim);
    world->servers = g_ptr_array_new_with_free_func((GDestroyNotify) ms_mail_server_free);
    world->agents = g_ptr_array_new_with_free_func((GDestroyNotify) ms_user_agent_free);
    world->agent_index = g_hash_table_new(ms_name_hash, ms_name_hash_equal);
    world->owned = g_ptr_array_new_with_free_func(g_free);
    world->links = g_ptr_array_new();
    world->crlf_code = ms_trace_eol_code("\r\n");

    if (!add_hosts_and_links(world, error))
        return NULL;
    for (guint i = 0; i < scenario->servers->len; i++) {
        MsMailServer *s = ms_mail_server_new(world, g_ptr_array_index(scenario->servers, i),
                                             error);
        if (s == NULL)
            return NULL;
        g_ptr_array_add(world->servers, s);
    }
    for (guint i = 0; i < scenario->agents->len; i++) {
        MsUserAgent *a = ms_user_agent_new(world, g_ptr_array_index(scenario->agents, i),
                                           error);
        if (a == NULL)
            return NULL;
        g_ptr_array_add(world->agents, a);
        /* Every action looks its agent up: by hash, the first one wins. */
        if (!g_hash_table_contains(world->agent_index, ms_user_agent_host_name(a)))
            g_hash_table_insert(world->agent_index, (gpointer) ms_user_agent_host_name(a), a);
    }
    /* Recipients that exist but read no mail in this scenario. */
    for (guint i = 0; i < scenario->mailboxes->len; i++) {
        const MsScMailbox *m = g_ptr_array_index(scenario->mailboxes, i);
        g_autofree char *domain = ms_address_domain(m->address);
        g_autofree char *local = ms_address_local(m->address);
        MsMailServer *home = ms_world_server_for_domain(world, domain);
        if (home != NULL)
            ms_mail_server_add_user(home, local, m->password, NULL);
    }
    if (!schedule_outages(world, error))
        return NULL;

    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_SCENARIO;
    r.arrival = -1;
    r.subject = scenario->name;
    r.detail = scenario->file;
    r.count = (gint64) seed;
    ms_trace_emit(ms_sim_trace(world->sim), &r);

    for (guint i = 0; i < scenario->actions->len; i++) {
        const MsScAction *action = g_ptr_array_index(scenario->actions, i);
        if (!is_agent_action(action->kind))
            continue;
        /* Only an agent that answers keeps the text of what it downloads. */
        if (action->kind == MS_SC_REPLY || action->kind == MS_SC_FORWARD)
            agent_by_host(world, action->host)->answers = TRUE;
        ActionEvent *ev = g_new0(ActionEvent, 1);
        ev->world = world;
        ev->action = action;
        g_ptr_array_add(world->owned, ev);
        ms_sim_schedule_at(world->sim, ev->action->at, run_action, ev);
    }
    return g_steal_pointer(&world);
}

void ms_world_free(MsWorld *world)
{
    if (world == NULL)
        return;
    /* Agents and servers first: they may hold connections the net owns. */
    g_clear_pointer(&world->agent_index, g_hash_table_unref);
    g_clear_pointer(&world->agents, g_ptr_array_unref);
    g_clear_pointer(&world->servers, g_ptr_array_unref);
    g_clear_pointer(&world->net, ms_net_free);
    g_clear_pointer(&world->sim, ms_sim_free);
    g_clear_pointer(&world->owned, g_ptr_array_unref);
    g_clear_pointer(&world->links, g_ptr_array_unref);
    g_clear_error(&world->failure);
    g_free(world);
}

/* Runs the world's events up to cap; FALSE, with error set, when a run
 * without a limit has not settled by then or takes more than max_events.
 * Every HEAP_POLL_EVENTS events the heap's growth is advised (core.h): a
 * few tens of kilobytes of allocations apart. */
#define HEAP_POLL_EVENTS 1024u

static gboolean run_events(MsWorld *world, MsTime cap, gboolean unlimited, MsTime patience,
                           guint64 max_events, GError **error)
{
    guint64 events = 0;
    while (world->failure == NULL) {
        MsTime next = ms_sim_next_time(world->sim);
        if (next == MS_TIME_NEVER)
            break;
        if (next > cap) {
            if (unlimited) {
                g_autofree char *span = ms_time_format_human(patience);
                g_set_error(error, MS_ERROR, MS_ERROR_SIMULATION,
                            "the simulation had not settled %s after the last action; "
                            "stopped (is something retrying forever?)", span);
                return FALSE;
            }
            break;
        }
        ms_sim_step(world->sim);
        if (++events > max_events) {
            g_set_error(error, MS_ERROR, MS_ERROR_SIMULATION,
                        "more than %" G_GUINT64_FORMAT " events; stopped", max_events);
            return FALSE;
        }
        if (events % HEAP_POLL_EVENTS == 0)
            ms_heap_huge_poll();
    }
    return TRUE;
}

/* Not inlined into its caller, even across files (the optimised build links
 * with LTO): the whole simulation is this one call, which is what callgrind
 * is told to count (docs/design.md, Scale). */
G_GNUC_NO_INLINE gboolean ms_world_run(MsWorld *world, MsTime limit, GError **error)
{
    const MsScenario *sc = world->scenario;
    MsTime last_action = 0;
    if (sc->actions->len > 0) {
        const MsScAction *a = g_ptr_array_index(sc->actions, sc->actions->len - 1);
        last_action = a->at;
    }
    /* A queue may rightly keep a message until its give-up time (check
     * bounds how many attempts that takes), so that long is not "stuck". */
    MsTime patience = MS_WORLD_SAFETY_SPAN;
    for (guint i = 0; i < sc->servers->len; i++) {
        const MsScServer *s = g_ptr_array_index(sc->servers, i);
        patience = MAX(patience, ms_time_add(ms_time_add(s->give_up, s->retry),
                                             MS_WORLD_SAFETY_SPAN));
    }
    MsTime cap = ms_time_add(last_action, patience);
    if (limit < cap)
        cap = limit;

    guint64 max_events = world->max_events > 0 ? world->max_events : MS_WORLD_MAX_EVENTS;
    /* A campus-sized run reaches a heap of tens of megabytes in no order:
     * on huge pages, where the kernel gives them on request (core.h). */
    gboolean huge = sc->actions->len >= MS_WORLD_HUGE_ACTIONS;
    if (huge)
        ms_heap_huge_begin();
    gboolean ok = run_events(world, cap, limit == MS_TIME_NEVER, patience, max_events, error);
    if (huge)
        ms_heap_huge_end();
    if (!ok)
        return FALSE;
    if (world->failure != NULL) {
        g_propagate_error(error, g_error_copy(world->failure));
        return FALSE;
    }
    ms_world_note_end_state(world);
    return TRUE;
}

void ms_world_set_max_events(MsWorld *world, guint64 max_events)
{
    world->max_events = MIN(max_events, MS_WORLD_MAX_EVENTS);
}

MsTrace *ms_world_trace(MsWorld *world)
{
    return ms_sim_trace(world->sim);
}

MsSim *ms_world_sim(MsWorld *world)
{
    return world->sim;
}
