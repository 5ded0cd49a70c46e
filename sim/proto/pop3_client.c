/* pop3_client.c - the client side of a POP3 session (RFC 1939): a mail
 * reader that logs in, lists the maildrop and downloads it.
 *
 * The client sends one command, then waits for its reply; its state names
 * the reply it awaits, and one handler per state decides the next command.
 * In download-and-delete mode every retrieved message is marked with DELE
 * (removed by the server at QUIT); in download-and-keep mode nothing is
 * marked and, given the UIDLs it already holds, the client fetches only the
 * messages it has not seen.
 */
#include "pop3-private.h"

#include <string.h>
#include "mailsim/core.h"

typedef struct {
    guint number;
    guint64 size;
    char *uidl;
} Listed;

struct MsPop3Client {
    char *user;
    char *password;
    gboolean keep;
    gboolean list_only;
    GStrv known_uidls;    /* NULL when none were given */
    gboolean use_apop;
    gboolean use_uidl;
    gboolean use_stat;
    gboolean use_rset;
    gboolean rset_sent;
    gboolean lowercase;

    MsPop3ClientState state;
    MsPop3State phase;    /* the RFC 1939 state as the client sees it */
    MsLineReader *reader;
    MsProtoOutput *output;
    GQueue events;        /* MsPop3Event */

    gboolean multiline;   /* reading the lines of a multi-line response */
    gboolean after_cr;    /* the previous data line ended in a bare CR */
    char *data;           /* the message being received, data_len octets of */
    gsize data_len;
    gsize data_cap;       /* data's size: kept from one message to the next */
    GArray *listed;       /* Listed, from LIST */
    guint next;           /* index in listed of the message to fetch next */
    guint current;        /* index in listed of the message being fetched */
    gboolean logged_in;
    guint retrieved;
    guint marked;         /* DELE acknowledged */
};

/* ---- Output, events, state ------------------------------------------------ */

static void set_state(MsPop3Client *c, MsPop3ClientState state)
{
    if (c->state == state)
        return;
    MS_DEBUG("pop3 client: %s -> %s", ms_pop3_client_state_name(c->state),
            ms_pop3_client_state_name(state));
    c->state = state;
}

static void push_event(MsPop3Client *c, MsPop3Event *event)
{
    g_queue_push_tail(&c->events, event);
}

static void push_error(MsPop3Client *c, const char *text)
{
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_ERROR);
    ev->text = g_strdup(text);
    push_event(c, ev);
}

/* Sends "VERB [arg]" and waits for its reply in state. */
static void send_command(MsPop3Client *c, MsPop3ClientState state, const char *verb,
                         const char *arg)
{
    /* RFC 1939 section 3: keywords are case-insensitive, so the textbook's
     * "retr 1" is as good as "RETR 1". */
    gsize verb_len = strlen(verb), arg_len = arg != NULL ? strlen(arg) : 0;
    gsize len = verb_len + (arg != NULL ? 1 + arg_len : 0);
    MsProtoLine *line = ms_proto_output_add_space(c->output, len, "\r\n",
                                                  ms_pop3_state_phase(c->phase), NULL);
    for (gsize i = 0; i < verb_len; i++)
        line->text[i] = c->lowercase ? g_ascii_tolower(verb[i]) : verb[i];
    if (arg != NULL) {
        line->text[verb_len] = ' ';
        memcpy(line->text + verb_len + 1, arg, arg_len);
    }
    line->note = ms_pop3_command_note(line->text, len);
    set_state(c, state);
}

static void send_number(MsPop3Client *c, MsPop3ClientState state, const char *verb, guint n)
{
    char n_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(n_s, n);
    send_command(c, state, verb, n_s);
}

static void finish(MsPop3Client *c)
{
    set_state(c, MS_POP3_CLIENT_DONE);
    push_event(c, ms_pop3_event_new(MS_POP3_EVENT_CLOSE));
}

static void send_quit(MsPop3Client *c)
{
    send_command(c, MS_POP3_CLIENT_QUIT, "QUIT", NULL);
    /* RFC 1939 section 6: QUIT from TRANSACTION enters UPDATE; from
     * AUTHORIZATION (section 4) it only ends the session. */
    if (c->phase == MS_POP3_STATE_TRANSACTION) {
        c->phase = MS_POP3_STATE_UPDATE;
    } else {
        GPtrArray *lines = ms_proto_output_lines(c->output);
        MsProtoLine *line = g_ptr_array_index(lines, lines->len - 1);
        line->note = "pop3.cmd.quit.auth";
    }
}

/* The status line said +OK: the lines of the response follow. */
static void begin_multiline(MsPop3Client *c)
{
    c->multiline = TRUE;
    c->after_cr = FALSE;
}

static gboolean uidl_known(const MsPop3Client *c, const char *uidl)
{
    return uidl != NULL && c->known_uidls != NULL
           && g_strv_contains((const char *const *) c->known_uidls, uidl);
}

/* RETR the next message worth fetching, or QUIT when none is left. */
static void fetch_next(MsPop3Client *c)
{
    while (!c->list_only && c->next < c->listed->len) {
        const Listed *l = &g_array_index(c->listed, Listed, c->next);
        c->current = c->next++;
        /* Download-and-keep: a message whose UIDL the reader already has was
         * fetched in an earlier session (RFC 1939 section 7, UIDL). */
        if (c->keep && uidl_known(c, l->uidl))
            continue;
        send_number(c, MS_POP3_CLIENT_RETR, "RETR", l->number);
        return;
    }
    /* RFC 1939 5: RSET removes every deletion mark, so the UPDATE state
     * after QUIT removes nothing: the reader changed its mind. */
    if (c->use_rset && !c->rset_sent) {
        c->rset_sent = TRUE;
        send_command(c, MS_POP3_CLIENT_RSET, "RSET", NULL);
        return;
    }
    send_quit(c);
}

/* ---- Parsing replies -------------------------------------------------------- */

/* RFC 1939 section 3: a status indicator, optionally a space and text.
 * Returns 1 for +OK, 0 for -ERR, -1 for anything else. */
static int parse_status(const char *line, const char **text_out)
{
    static const char *const status[] = { "-ERR", "+OK" };
    for (int ok = 0; ok <= 1; ok++) {
        gsize n = strlen(status[ok]);
        if (strncmp(line, status[ok], n) == 0 && (line[n] == '\0' || line[n] == ' ')) {
            *text_out = line[n] == ' ' ? line + n + 1 : line + n;
            return ok;
        }
    }
    *text_out = line;
    return -1;
}

/* "number SP word" of a scan or unique-id listing (sections 5 and 7). */
static gboolean parse_listing(const char *line, guint *number_out, const char **word_out)
{
    const char *sp = strchr(line, ' ');
    if (sp == NULL || sp == line || sp[1] == '\0')
        return FALSE;
    guint64 n = 0;
    for (const char *p = line; p < sp; p++) {
        if (!g_ascii_isdigit(*p) || n > G_MAXUINT32 / 10)
            return FALSE;
        n = n * 10 + (guint64) (*p - '0');
    }
    if (n == 0 || n > G_MAXUINT)
        return FALSE;
    *number_out = (guint) n;
    *word_out = sp + 1;
    return TRUE;
}

static Listed *find_listed(MsPop3Client *c, guint number)
{
    for (guint i = 0; i < c->listed->len; i++) {
        Listed *l = &g_array_index(c->listed, Listed, i);
        if (l->number == number)
            return l;
    }
    return NULL;
}

/* ---- One handler per awaited reply ----------------------------------------- */

static void on_greeting(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        push_error(c, text);
        finish(c);
        return;
    }
    c->phase = MS_POP3_STATE_AUTHORIZATION;
    /* RFC 1939 section 7: a greeting with "<...>" offers APOP. */
    const char *lt = strchr(text, '<');
    const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
    if (c->use_apop && gt != NULL) {
        g_autofree char *timestamp = g_strndup(lt, (gsize) (gt - lt + 1));
        g_autofree char *digest = ms_pop3_apop_digest(timestamp, c->password);
        g_autofree char *arg = g_strconcat(c->user, " ", digest, NULL);
        send_command(c, MS_POP3_CLIENT_APOP, "APOP", arg);
        return;
    }
    send_command(c, MS_POP3_CLIENT_USER, "USER", c->user);
}

static void on_auth_failed(MsPop3Client *c, const char *text)
{
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_FAILED);
    ev->user = g_strdup(c->user);
    ev->text = g_strdup(text);
    push_event(c, ev);
    send_quit(c);
}

static void on_user(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        on_auth_failed(c, text);
        return;
    }
    send_command(c, MS_POP3_CLIENT_PASS, "PASS", c->password);
}

/* The reply to PASS or APOP. */
static void on_login(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        on_auth_failed(c, text);
        return;
    }
    c->logged_in = TRUE;
    c->phase = MS_POP3_STATE_TRANSACTION;
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_OK);
    ev->user = g_strdup(c->user);
    push_event(c, ev);
    if (c->use_stat)
        send_command(c, MS_POP3_CLIENT_STAT, "STAT", NULL);
    else
        send_command(c, MS_POP3_CLIENT_LIST, "LIST", NULL);
}

static void on_stat(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        push_error(c, text);
        send_quit(c);
        return;
    }
    send_command(c, MS_POP3_CLIENT_LIST, "LIST", NULL);
}

static void on_list(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        push_error(c, text);
        send_quit(c);
        return;
    }
    begin_multiline(c);
}

static void on_list_line(MsPop3Client *c, const char *line)
{
    guint number = 0;
    const char *size_s = NULL;
    guint64 size = 0;
    if (!parse_listing(line, &number, &size_s)
        || !ms_proto_parse_uint(size_s, G_MAXUINT64, &size)) {
        g_autofree char *msg = g_strdup_printf("malformed scan listing \"%s\"", line);
        push_error(c, msg);
        return;
    }
    Listed l = { number, size, NULL };
    g_array_append_val(c->listed, l);
}

static void on_list_end(MsPop3Client *c)
{
    gboolean need_uidl = c->use_uidl || (c->keep && c->known_uidls != NULL);
    if (need_uidl)
        send_command(c, MS_POP3_CLIENT_UIDL, "UIDL", NULL);
    else
        fetch_next(c);
}

static void on_uidl(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        /* UIDL is optional (section 7): without it, fetch everything. */
        push_error(c, text);
        fetch_next(c);
        return;
    }
    begin_multiline(c);
}

static void on_uidl_line(MsPop3Client *c, const char *line)
{
    guint number = 0;
    const char *uidl = NULL;
    Listed *l = NULL;
    if (parse_listing(line, &number, &uidl))
        l = find_listed(c, number);
    if (l == NULL || !ms_pop3_uidl_is_valid(uidl)) {
        g_autofree char *msg = g_strdup_printf("unexpected unique-id listing \"%s\"", line);
        push_error(c, msg);
        return;
    }
    g_free(l->uidl);
    l->uidl = g_strdup(uidl);
}

static void on_retr(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok) {
        push_error(c, text);
        fetch_next(c);
        return;
    }
    begin_multiline(c);
    c->data_len = 0;
}

static void on_retr_line(MsPop3Client *c, const char *line, gsize len, MsEol eol)
{
    /* A bare CR inside a line is data, not a line end; CRLF (or a lenient
     * bare LF) ends a line of the message, stored as CRLF.  Every line of
     * every message fetched comes here, so the buffer is grown by hand and
     * only when the line does not fit: the session's messages reuse it. */
    gsize n_eol = eol == MS_EOL_CR ? 1 : 2;
    gsize need = c->data_len + len + n_eol;

    if (need > c->data_cap)
        ms_proto_buf_grow(&c->data, &c->data_cap, need, 1024);
    memcpy(c->data + c->data_len, line, len);
    c->data[c->data_len + len] = '\r';
    if (n_eol == 2)
        c->data[c->data_len + len + 1] = '\n';
    c->data_len = need;
}

static void on_retr_end(MsPop3Client *c)
{
    const Listed *l = &g_array_index(c->listed, Listed, c->current);
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_MESSAGE);
    ev->number = l->number;
    ev->uidl = g_strdup(l->uidl);
    ev->octets = l->size;
    ev->data = g_bytes_new(c->data, c->data_len);
    push_event(c, ev);
    c->data_len = 0;
    c->retrieved++;
    if (!c->keep)
        send_number(c, MS_POP3_CLIENT_DELE, "DELE", l->number);
    else
        fetch_next(c);
}

static void on_dele(MsPop3Client *c, gboolean ok, const char *text)
{
    if (ok)
        c->marked++;
    else
        push_error(c, text);
    fetch_next(c);
}

static void on_rset(MsPop3Client *c, gboolean ok, const char *text)
{
    if (ok)
        c->marked = 0;
    else
        push_error(c, text);
    send_quit(c);
}

static void on_quit(MsPop3Client *c, gboolean ok, const char *text)
{
    if (!ok)
        push_error(c, text);
    if (c->logged_in) {
        guint64 octets = 0;
        for (guint i = 0; i < c->listed->len; i++)
            octets += g_array_index(c->listed, Listed, i).size;
        MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_DONE);
        ev->listed = c->listed->len;
        ev->octets = octets;
        ev->retrieved = c->retrieved;
        /* RFC 1939 section 6: -ERR to QUIT means some marked messages were
         * not removed; which ones is not said, so none is counted. */
        ev->deleted = ok ? c->marked : 0;
        push_event(c, ev);
    }
    finish(c);
}

/* ---- Dispatch ---------------------------------------------------------------- */

static void on_status_line(MsPop3Client *c, const char *line)
{
    const char *text = NULL;
    int status = parse_status(line, &text);
    if (status < 0) {
        g_autofree char *msg = g_strdup_printf("malformed reply \"%s\"", line);
        push_error(c, msg);
        if (c->state == MS_POP3_CLIENT_GREETING || c->state == MS_POP3_CLIENT_QUIT)
            finish(c);
        else
            send_quit(c);
        return;
    }
    gboolean ok = status == 1;
    switch (c->state) {
    case MS_POP3_CLIENT_GREETING: on_greeting(c, ok, text); break;
    case MS_POP3_CLIENT_USER: on_user(c, ok, text); break;
    case MS_POP3_CLIENT_PASS:
    case MS_POP3_CLIENT_APOP: on_login(c, ok, text); break;
    case MS_POP3_CLIENT_STAT: on_stat(c, ok, text); break;
    case MS_POP3_CLIENT_LIST: on_list(c, ok, text); break;
    case MS_POP3_CLIENT_UIDL: on_uidl(c, ok, text); break;
    case MS_POP3_CLIENT_RETR: on_retr(c, ok, text); break;
    case MS_POP3_CLIENT_DELE: on_dele(c, ok, text); break;
    case MS_POP3_CLIENT_RSET: on_rset(c, ok, text); break;
    case MS_POP3_CLIENT_QUIT: on_quit(c, ok, text); break;
    case MS_POP3_CLIENT_DONE:
    case MS_POP3_N_CLIENT_STATES: g_assert_not_reached();
    }
}

/* A line of a multi-line response (section 3): "." alone ends it, a line
 * starting with "." had one added by the server. */
static void on_data_line(MsPop3Client *c, const char *line, gsize len, MsEol eol)
{
    gboolean continued = c->after_cr;
    c->after_cr = eol == MS_EOL_CR;
    if (!continued && len == 1 && line[0] == '.') {
        c->multiline = FALSE;
        switch (c->state) {
        case MS_POP3_CLIENT_LIST: on_list_end(c); break;
        case MS_POP3_CLIENT_UIDL: fetch_next(c); break;
        case MS_POP3_CLIENT_RETR: on_retr_end(c); break;
        default: g_assert_not_reached();
        }
        return;
    }
    if (!continued && len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    switch (c->state) {
    case MS_POP3_CLIENT_LIST: on_list_line(c, line); break;
    case MS_POP3_CLIENT_UIDL: on_uidl_line(c, line); break;
    case MS_POP3_CLIENT_RETR: on_retr_line(c, line, len, eol); break;
    default: g_assert_not_reached();
    }
}

static void process(MsPop3Client *c)
{
    while (c->state != MS_POP3_CLIENT_DONE) {
        const char *line = NULL;
        gsize len = 0;
        MsEol eol = MS_EOL_CRLF;
        MsLineResult r = ms_line_reader_peek(c->reader, &line, &len, &eol);
        if (r == MS_LINE_NONE)
            return;
        if (r == MS_LINE_TOO_LONG)
            push_error(c, "line too long from the server (truncated)");
        if (c->multiline)
            on_data_line(c, line, len, eol);
        else
            on_status_line(c, line);
    }
}

/* ---- Public ----------------------------------------------------------------- */

MsPop3Client *ms_pop3_client_new(const MsPop3ClientConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    MsPop3Client *c = g_new0(MsPop3Client, 1);
    c->user = g_strdup(config->user != NULL ? config->user : "");
    c->password = g_strdup(config->password != NULL ? config->password : "");
    c->keep = config->keep;
    c->list_only = config->list_only;
    c->known_uidls = config->known_uidls != NULL ? g_strdupv((char **) config->known_uidls) : NULL;
    c->use_apop = config->use_apop;
    c->use_uidl = config->use_uidl;
    c->use_stat = config->use_stat;
    c->use_rset = config->use_rset;
    c->lowercase = config->lowercase;
    c->state = MS_POP3_CLIENT_GREETING;
    c->phase = MS_POP3_STATE_INIT;
    c->reader = ms_line_reader_new(MS_POP3_CLIENT_LINE_MAX);
    c->output = ms_proto_output_new();
    g_queue_init(&c->events);
    c->listed = g_array_new(FALSE, TRUE, sizeof(Listed));
    return c;
}

void ms_pop3_client_free(MsPop3Client *client)
{
    if (client == NULL)
        return;
    for (guint i = 0; i < client->listed->len; i++)
        g_free(g_array_index(client->listed, Listed, i).uidl);
    g_array_unref(client->listed);
    g_free(client->data);
    g_queue_clear_full(&client->events, (GDestroyNotify) ms_pop3_event_free);
    ms_proto_output_free(client->output);
    ms_line_reader_free(client->reader);
    g_strfreev(client->known_uidls);
    g_free(client->password);
    g_free(client->user);
    g_free(client);
}

void ms_pop3_client_feed(MsPop3Client *client, const char *bytes, gsize len)
{
    g_return_if_fail(client != NULL);
    if (client->state == MS_POP3_CLIENT_DONE)
        return;
    ms_line_reader_feed(client->reader, bytes, len);
    process(client);
}

GPtrArray *ms_pop3_client_take_output(MsPop3Client *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return ms_proto_output_take(client->output);
}

GPtrArray *ms_pop3_client_output(MsPop3Client *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return ms_proto_output_lines(client->output);
}

void ms_pop3_client_output_sent(MsPop3Client *client)
{
    g_return_if_fail(client != NULL);
    ms_proto_output_clear(client->output);
}

MsPop3Event *ms_pop3_client_next_event(MsPop3Client *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return g_queue_pop_head(&client->events);
}

void ms_pop3_client_abort(MsPop3Client *client)
{
    g_return_if_fail(client != NULL);
    set_state(client, MS_POP3_CLIENT_DONE);
}

MsPop3ClientState ms_pop3_client_state(const MsPop3Client *client)
{
    g_return_val_if_fail(client != NULL, MS_POP3_CLIENT_DONE);
    return client->state;
}

MsPop3State ms_pop3_client_phase(const MsPop3Client *client)
{
    g_return_val_if_fail(client != NULL, MS_POP3_STATE_CLOSED);
    if (client->state == MS_POP3_CLIENT_DONE)
        return MS_POP3_STATE_CLOSED;
    return client->phase;
}
