/* live.c - a live server: the ports of one simulated mail server opened on
 * real sockets, the simulated clock kept in step with the real one, and the
 * limits that keep a classroom's clients from hurting each other.  The
 * connections themselves are in live_conn.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "live/live-private.h"
#include "mailsim/webmail.h"

#define SERVICE_NAME_(e, name, port) name,
static const char *const service_names[] = { MS_LIVE_SERVICES(SERVICE_NAME_) };
#undef SERVICE_NAME_
#define SERVICE_PORT_(e, name, port) port,
static const guint16 service_ports[] = { MS_LIVE_SERVICES(SERVICE_PORT_) };
#undef SERVICE_PORT_

static const MsServerProtocol *const service_protocols[] = {
    &ms_server_smtp_protocol,
    &ms_server_pop3_protocol,
    &ms_server_imap_protocol,
    &ms_server_web_protocol,
};
G_STATIC_ASSERT(G_N_ELEMENTS(service_protocols) == MS_LIVE_N_SERVICES);

/* ---- Web-mail session ids ------------------------------------------------ */
/* len octets from the kernel's random source (getrandom, else
 * /dev/urandom); FALSE when neither gives them. */
static gboolean random_bytes(guint8 *buf, gsize len)
{
    gsize got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n > 0)
            got += (gsize) n;
        else if (n < 0 && errno != EINTR)
            break;
    }
    if (got == len)
        return TRUE;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n > 0)
            got += (gsize) n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(fd);
    return got == len;
}

/* A web-mail session id for real clients: with --listen 0.0.0.0 a class
 * shares the server, and a numbered "s1" would let anyone read another's
 * mailbox with a hand-made cookie.  128 bits drawn from the kernel, in hex
 * (cookie-octets, RFC 6265 4.1.1): not to be guessed (RFC 6265 8.4 leaves
 * a session's safety to its id).  Never from GLib's g_random, whose state
 * the ids themselves would give away. */
static char *random_session_id(gpointer data)
{
    (void) data;
    guint8 bits[16];
    if (!random_bytes(bits, sizeof bits))
        g_error("mailsim serve: no random source for web-mail session ids: %s",
                g_strerror(errno));
    char *id = g_malloc(2 * sizeof bits + 1);
    for (gsize i = 0; i < sizeof bits; i++)
        g_snprintf(id + 2 * i, 3, "%02x", bits[i]);
    return id;
}

const char *ms_live_service_name(MsLiveService service)
{
    return service < MS_LIVE_N_SERVICES ? service_names[service] : "?";
}

guint16 ms_live_service_default_port(MsLiveService service)
{
    return service < MS_LIVE_N_SERVICES ? service_ports[service] : 0;
}

const MsServerProtocol *ms_live_service_protocol(MsLiveService service)
{
    return service_protocols[service];
}

void ms_live_limits_init(MsLiveLimits *limits)
{
    *limits = (MsLiveLimits) {
        .max_sessions = 512,
        .max_per_client = 64,
        .idle = 5 * MS_MINUTE,
        .request_time = 2 * MS_MINUTE,
        .max_line = 64 * 1024,
        .max_output = 64 * 1024 * 1024,
        .max_commands = 100000,
        .max_memory = G_GUINT64_CONSTANT(1) << 30,
    };
}

void ms_live_config_init(MsLiveConfig *config)
{
    memset(config, 0, sizeof *config);
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++)
        config->ports[i] = service_ports[i];
    ms_live_limits_init(&config->limits);
}

MsTime ms_live_now(const MsLive *live)
{
    return (g_get_monotonic_time() - live->start_us) * MS_USEC;
}

void ms_live_log(MsLive *live, const char *fmt, ...)
{
    if (live->log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autoptr(GDateTime) t = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(t, "%H:%M:%S");
    g_autofree char *line = g_strdup_printf("%s %s", stamp, text);
    live->log(line, live->log_data);
}

static gboolean on_sim_timer(gpointer data)
{
    MsLive *live = data;
    live->sim_timer = 0;
    ms_live_sync(live);
    return G_SOURCE_REMOVE;
}

void ms_live_sync(MsLive *live)
{
    MsSim *sim = live->world->sim;
    MsTime now = ms_live_now(live);
    if (now < ms_sim_now(sim))
        now = ms_sim_now(sim);
    ms_sim_advance(sim, now);
    MsTime next = ms_sim_next_time(sim);
    if (live->sim_timer != 0 && live->sim_timer_at == next)
        return;
    if (live->sim_timer != 0) {
        g_source_remove(live->sim_timer);
        live->sim_timer = 0;
    }
    if (next == MS_TIME_NEVER || live->stopped)
        return;
    /* Rounded up to the next millisecond, so the event is due when the
     * timer fires. */
    MsTime wait = next - now;
    guint ms = (guint) MIN((wait + MS_MSEC - 1) / MS_MSEC, (MsTime) G_MAXINT32);
    live->sim_timer_at = next;
    live->sim_timer = g_timeout_add(ms, on_sim_timer, live);
}

/* Resident memory of the whole process (Linux /proc); 0 when unknown. */
static guint64 resident_bytes(void)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/statm", &text, NULL, NULL))
        return 0;
    unsigned long long size = 0, resident = 0;
    if (sscanf(text, "%llu %llu", &size, &resident) != 2)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return (guint64) resident * (guint64) (page > 0 ? page : 4096);
}

static gboolean on_tick(gpointer data)
{
    MsLive *live = data;
    ms_live_sync(live);
    live->rss = resident_bytes();
    MsTime now = ms_live_now(live);
    /* Backwards: a connection may finish (and leave the array) as it is
     * checked. */
    for (guint i = live->conns->len; i-- > 0;) {
        if (i < live->conns->len)
            ms_live_conn_tick(g_ptr_array_index(live->conns, i), now);
    }
    /* Short of memory: the heaviest talker goes first (the trace holds
     * every line it sent). */
    if (live->limits.max_memory > 0 && live->rss > live->limits.max_memory) {
        LiveConn *heaviest = NULL;
        guint64 most = 0;
        for (guint i = 0; i < live->conns->len; i++) {
            LiveConn *c = g_ptr_array_index(live->conns, i);
            if (ms_live_conn_lines(c) > most) {
                most = ms_live_conn_lines(c);
                heaviest = c;
            }
        }
        if (heaviest != NULL)
            ms_live_conn_cut(heaviest, "the server is short of memory");
    }
    ms_live_sync(live);
    return G_SOURCE_CONTINUE;
}

static char *peer_address(GSocketConnection *connection)
{
    g_autoptr(GSocketAddress) addr = g_socket_connection_get_remote_address(connection, NULL);
    if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS(addr))
        return g_strdup("unknown");
    GInetAddress *ip = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr));
    return g_inet_address_to_string(ip);
}

/* Which limit, if any, a new client from peer would go past. */
static const char *refusal(MsLive *live, const char *peer)
{
    if (live->stopped)
        return "the server is shutting down";
    /* A refused connection stays until its client closes (2 s at most,
     * live_conn.c) and holds no place meanwhile: one address refused over
     * and over would otherwise lock every other address out. */
    if (live->served >= live->limits.max_sessions)
        return "too many sessions open on this server, try again later";
    guint mine = GPOINTER_TO_UINT(g_hash_table_lookup(live->per_client, peer));
    if (mine >= live->limits.max_per_client)
        return "too many sessions open from your address";
    if (live->limits.max_memory > 0 && live->rss > live->limits.max_memory)
        return "the server is short of memory, try again later";
    return NULL;
}

typedef struct {
    MsLive *live;
    MsLiveService service;
} ServiceData;

static gboolean on_incoming(GSocketService *service, GSocketConnection *connection,
                            GObject *source, gpointer data)
{
    (void) service;
    (void) source;
    ServiceData *sd = data;
    MsLive *live = sd->live;
    ms_live_sync(live);
    g_autofree char *peer = peer_address(connection);
    const char *refuse = refusal(live, peer);
    if (refuse == NULL) {
        guint mine = GPOINTER_TO_UINT(g_hash_table_lookup(live->per_client, peer));
        g_hash_table_insert(live->per_client, g_strdup(peer), GUINT_TO_POINTER(mine + 1));
        live->served++;
    }
    /* Refused ones too, so they are ended at shutdown. */
    g_ptr_array_add(live->conns, ms_live_conn_new(live, sd->service, connection, peer, refuse));
    ms_live_sync(live);
    return TRUE;
}

void ms_live_forget(MsLive *live, LiveConn *c, const char *peer, gboolean counted)
{
    g_ptr_array_remove_fast(live->conns, c);
    if (!counted)
        return; /* a refused one */
    live->served--;
    guint mine = GPOINTER_TO_UINT(g_hash_table_lookup(live->per_client, peer));
    if (mine <= 1)
        g_hash_table_remove(live->per_client, peer);
    else
        g_hash_table_insert(live->per_client, g_strdup(peer), GUINT_TO_POINTER(mine - 1));
}

static void service_data_free(gpointer data, GClosure *closure)
{
    (void) closure;
    g_free(data);
}

static gboolean open_port(MsLive *live, MsLiveService service, GInetAddress *ip, int port,
                          GError **error)
{
    GSocketService *svc = g_socket_service_new();
    g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(ip, (guint16) port);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autoptr(GError) local = NULL;
    /* Enough backlog for a class connecting at once. */
    g_socket_listener_set_backlog(G_SOCKET_LISTENER(svc), 256);
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(svc), addr, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL, &bound, &local)) {
        g_autofree char *where = g_inet_address_to_string(ip);
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot listen for %s on %s port %d: %s",
                    service_names[service], where, port, local->message);
        g_object_unref(svc);
        return FALSE;
    }
    live->ports[service] = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    ServiceData *sd = g_new0(ServiceData, 1);
    sd->live = live;
    sd->service = service;
    g_signal_connect_data(svc, "incoming", G_CALLBACK(on_incoming), sd, service_data_free, 0);
    live->services[service] = svc;
    g_socket_service_start(svc);
    return TRUE;
}

MsLive *ms_live_new(MsWorld *world, const MsLiveConfig *config, GError **error)
{
    MsMailServer *server = NULL;
    if (config->server != NULL) {
        server = ms_world_server_by_name(world, config->server);
        if (server == NULL) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "--server %s: the scenario has no server of that name", config->server);
            return NULL;
        }
    } else if (world->servers->len > 0) {
        server = g_ptr_array_index(world->servers, 0);
    } else {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE, "the scenario has no server to expose");
        return NULL;
    }
    const char *listen = config->listen != NULL ? config->listen : "127.0.0.1";
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(listen);
    if (ip == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                    "--listen expects an IP address (127.0.0.1, ::1, 0.0.0.0), found '%s'",
                    listen);
        return NULL;
    }
    g_autoptr(MsLive) live = g_new0(MsLive, 1);
    live->world = world;
    live->server = server;
    live->limits = config->limits;
    live->log = config->log;
    live->log_data = config->log_data;
    live->conns = g_ptr_array_new();
    live->per_client = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    live->start_us = g_get_monotonic_time() - ms_sim_now(world->sim) / MS_USEC;
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (config->ports[i] < 0)
            continue;
        if (i == MS_LIVE_HTTP && server->webmail == NULL)
            continue; /* this server has no web mail */
        if (!open_port(live, i, ip, config->ports[i], error))
            return NULL;
    }
    ms_server_web_enable_folders(server);
    if (server->webmail != NULL)
        ms_webmail_set_session_ids(server->webmail, random_session_id, NULL);
    /* The outputs count time from here: say when that was. */
    GString *where = g_string_new(listen);
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (live->ports[i] != 0)
            g_string_append_printf(where, "%s %s %u", i == 0 ? "" : ",", service_names[i],
                                   live->ports[i]);
    }
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S UTC");
    ms_world_note(world, MS_TRACE_ACTION, "live.start", server->name, NULL, 0,
                  "%s serves real clients on %s from %s; times count from then, on the real "
                  "clock",
                  server->name, where->str, stamp);
    g_string_free(where, TRUE);
    live->rss = resident_bytes();
    live->tick_timer = g_timeout_add_seconds(1, on_tick, live);
    ms_live_sync(live);
    return g_steal_pointer(&live);
}

guint16 ms_live_port(const MsLive *live, MsLiveService service)
{
    return service < MS_LIVE_N_SERVICES ? live->ports[service] : 0;
}

const char *ms_live_server_name(const MsLive *live)
{
    return live->server->name;
}

guint ms_live_sessions_open(const MsLive *live)
{
    return live->conns->len;
}

guint64 ms_live_sessions_total(const MsLive *live)
{
    return live->total;
}

static void close_services(MsLive *live)
{
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (live->services[i] == NULL)
            continue;
        g_socket_service_stop(live->services[i]);
        g_socket_listener_close(G_SOCKET_LISTENER(live->services[i]));
        g_clear_object(&live->services[i]);
    }
}

void ms_live_stop(MsLive *live, const char *why)
{
    if (live->stopped)
        return;
    ms_live_sync(live);
    live->stopped = TRUE;
    close_services(live);
    /* Every session is told, then ended: what it said goes in the trace. */
    for (guint i = live->conns->len; i-- > 0;)
        ms_live_conn_cut(g_ptr_array_index(live->conns, i), why);
    while (live->conns->len > 0)
        ms_live_conn_finish_now(g_ptr_array_index(live->conns, live->conns->len - 1));
    if (live->sim_timer != 0) {
        g_source_remove(live->sim_timer);
        live->sim_timer = 0;
    }
    if (live->tick_timer != 0) {
        g_source_remove(live->tick_timer);
        live->tick_timer = 0;
    }
    ms_world_note_end_state(live->world);
}

void ms_live_free(MsLive *live)
{
    if (live == NULL)
        return;
    if (live->conns != NULL) {
        while (live->conns->len > 0)
            ms_live_conn_finish_now(g_ptr_array_index(live->conns, live->conns->len - 1));
    }
    close_services(live);
    if (live->sim_timer != 0)
        g_source_remove(live->sim_timer);
    if (live->tick_timer != 0)
        g_source_remove(live->tick_timer);
    g_clear_pointer(&live->conns, g_ptr_array_unref);
    g_clear_pointer(&live->per_client, g_hash_table_unref);
    g_free(live);
}
