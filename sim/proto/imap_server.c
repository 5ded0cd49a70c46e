/* imap_server.c - the server side of an IMAP session (RFC 3501): the
 * greeting, the dispatcher, the commands valid in any state and LOGIN, and
 * IDLE (RFC 2177).
 *
 * Every command line goes through one dispatcher: the tag is checked, the
 * command is looked up in the tables (here, imap_mailbox.c and
 * imap_selected.c) with the states it is allowed in, its check reads the
 * arguments and its proceed does the work.  Before the tagged completion
 * the dispatcher reports what changed in the selected mailbox since the
 * client last heard - new messages, flags set from another device,
 * messages expunged - which is how IMAP keeps several clients of one
 * mailbox in step (RFC 3501 5.2).  During IDLE those reports go out as
 * soon as the glue says the store changed.
 */
#include "imap-private.h"

#include <string.h>
#include "mailsim/core.h"

/* ---- Output, events, state --------------------------------------------------------- */

void ms_imap_server_set_state(MsImapServer *s, MsImapState state)
{
    if (s->state == state)
        return;
    MS_DEBUG("imap server: %s -> %s", ms_imap_state_name(s->state), ms_imap_state_name(state));
    s->state = state;
    /* RFC 9051 7.1 (TOOBIG): a client that has not logged in may send no
     * more than credentials; a larger literal gets a tagged BAD [TOOBIG]
     * at once, without the "+" that would invite its octets (RFC 9051
     * 7.5), and a non-synchronizing one is skipped. */
    if (state == MS_IMAP_STATE_NOT_AUTHENTICATED && s->max_literal > MS_IMAP_LITERAL_MAX_PREAUTH)
        ms_imap_parser_set_max_literal(s->parser, MS_IMAP_LITERAL_MAX_PREAUTH,
                                       "Literal too large before authentication");
    else
        ms_imap_parser_set_max_literal(s->parser, s->max_literal, NULL);
}

static void emit_len(MsImapServer *s, const char *text, gsize len, const char *note)
{
    ms_proto_output_add_len(s->output, text, len, "\r\n", ms_imap_state_phase(s->phase), note);
}

static void emit_line(MsImapServer *s, const char *text, const char *note)
{
    emit_len(s, text, strlen(text), note);
}

void ms_imap_server_untagged(MsImapServer *s, const char *note, const char *fmt, ...)
{
    /* Formatted once, after the "* ", on the stack when it fits. */
    char buf[256] = "* ";
    va_list ap;
    va_start(ap, fmt);
    gint n = g_vsnprintf(buf + 2, sizeof buf - 2, fmt, ap);
    va_end(ap);
    g_assert(n >= 0);
    if ((gsize) n < sizeof buf - 2) {
        emit_len(s, buf, (gsize) n + 2, note);
        return;
    }
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *line = g_strconcat("* ", text, NULL);
    emit_line(s, line, note);
}

void ms_imap_server_untagged_uint(MsImapServer *s, const char *note, const char *before,
                                  guint64 n, const char *after)
{
    MsImapWriter *w = &s->writer;
    ms_imap_writer_add_len(w, "* ", 2);
    ms_imap_writer_add(w, before);
    ms_imap_writer_uint(w, n);
    ms_imap_writer_add(w, after);
    ms_imap_server_emit(s, w, note);
}

void ms_imap_server_emit(MsImapServer *s, MsImapWriter *w, const char *note)
{
    ms_imap_writer_emit(w, s->output, ms_imap_state_phase(s->phase), note, "imap.data.literal");
}

void ms_imap_server_push_event(MsImapServer *s, MsImapEvent *event)
{
    g_queue_push_tail(&s->events, event);
}

static void tagged(MsImapServer *s, const char *tag, MsImapStatus status, const char *code,
                   const char *text, const char *note)
{
    /* "tag status [code] text", put together by hand: every command's
     * completion passes here. */
    const char *status_name = ms_imap_status_name(status);
    gsize tag_len = strlen(tag), status_len = strlen(status_name);
    gsize code_len = code != NULL ? strlen(code) : 0, text_len = strlen(text);
    gsize len = tag_len + 1 + status_len + (code != NULL ? code_len + 3 : 0) + 1 + text_len;
    MsProtoLine *line = ms_proto_output_add_space(s->output, len, "\r\n",
                                                  ms_imap_state_phase(s->phase), note);
    char *p = line->text;
    memcpy(p, tag, tag_len);
    p += tag_len;
    *p++ = ' ';
    memcpy(p, status_name, status_len);
    p += status_len;
    if (code != NULL) {
        memcpy(p, " [", 2);
        memcpy(p + 2, code, code_len);
        p[2 + code_len] = ']';
        p += code_len + 3;
    }
    *p++ = ' ';
    memcpy(p, text, text_len);
    if (status == MS_IMAP_STATUS_BAD)
        s->errors++;
}

/* ---- Requests ----------------------------------------------------------------------- */

const MsImapArg *ms_imap_req_arg(const MsImapRequest *req, guint index)
{
    return ms_imap_line_arg(req->line, req->argi + index);
}

guint ms_imap_req_argc(const MsImapRequest *req)
{
    return req->line->args->len > req->argi ? req->line->args->len - req->argi : 0;
}

gboolean ms_imap_req_bad(MsImapServer *s, MsImapRequest *req, const char *note, const char *text)
{
    tagged(s, req->tag, MS_IMAP_STATUS_BAD, NULL, text, note);
    req->status = MS_IMAP_STATUS_NONE;
    return FALSE;
}

void ms_imap_req_done(MsImapRequest *req, MsImapStatus status, const char *code,
                      const char *note, const char *fmt, ...)
{
    g_free(req->text);
    if (strchr(fmt, '%') == NULL) {
        /* A fixed text ("LOGIN completed") needs no printf. */
        req->text = g_strdup(fmt);
    } else {
        va_list ap;
        va_start(ap, fmt);
        req->text = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    g_free(req->code);
    req->code = g_strdup(code);
    req->status = status;
    req->note = note;
}

void ms_imap_req_completed(MsImapRequest *req, MsImapStatus status, const char *code,
                           const char *note, const char *verb)
{
    g_free(req->text);
    req->text = g_strconcat(verb, " completed", NULL);
    g_free(req->code);
    req->code = g_strdup(code);
    req->status = status;
    req->note = note;
}

gboolean ms_imap_req_argc_is(MsImapServer *s, MsImapRequest *req, guint n)
{
    if (ms_imap_req_argc(req) == n)
        return TRUE;
    g_autofree char *text = g_strdup_printf("%s takes %u argument%s", req->verb, n,
                                            n == 1 ? "" : "s");
    return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", text);
}

static void request_clear(MsImapRequest *req)
{
    g_free(req->mailbox);
    g_free(req->mailbox2);
    if (req->set != NULL)
        g_array_unref(req->set);
    ms_imap_fetch_free(req->fetch);
    ms_imap_search_free(req->search);
    g_free(req->code);
    g_free(req->text);
}

gboolean ms_imap_parse_flags(const MsImapArg *const *args, guint n, guint *flags_out)
{
    guint flags = 0;
    for (guint i = 0; i < n; i++) {
        const MsImapArg *a = args[i];
        if (a->kind != MS_IMAP_ARG_ATOM)
            return FALSE;
        if (a->data[0] != '\\') {
            /* A keyword: not in PERMANENTFLAGS, so the change is ignored
             * (RFC 3501 7.1, PERMANENTFLAGS). */
            continue;
        }
        guint bit = ms_imap_flag_from_name(a->data);
        /* RFC 3501 2.3.2: \Recent cannot be set or cleared by a client. */
        if (bit == 0)
            return FALSE;
        flags |= bit;
    }
    *flags_out = flags;
    return TRUE;
}

/* ---- The selected mailbox ----------------------------------------------------------- */

MsImapFolder *ms_imap_server_folder(MsImapServer *s)
{
    if (s->state != MS_IMAP_STATE_SELECTED || s->store == NULL)
        return NULL;
    MsImapFolder *f = ms_imap_store_lookup_id(s->store, s->folder_id);
    return f != NULL && ms_imap_folder_selectable(f) ? f : NULL;
}

void ms_imap_server_deselect(MsImapServer *s)
{
    g_array_set_size(s->view, 0);
    s->folder_id = 0;
    s->read_only = FALSE;
    if (s->state == MS_IMAP_STATE_SELECTED)
        ms_imap_server_set_state(s, MS_IMAP_STATE_AUTHENTICATED);
}

void ms_imap_server_sync(MsImapServer *s, gboolean allow_expunge)
{
    if (s->state != MS_IMAP_STATE_SELECTED)
        return;
    MsImapFolder *f = ms_imap_server_folder(s);
    /* RFC 3501 7.4.1: each EXPUNGE renumbers the messages after it at
     * once, so removing 3, 4, 7 and 11 of 11 is reported as 3, 3, 5, 8. */
    for (guint i = 0; allow_expunge && i < s->view->len;) {
        guint32 uid = g_array_index(s->view, MsImapViewEntry, i).uid;
        if (f != NULL && ms_imap_folder_find(f, uid) >= 0) {
            i++;
            continue;
        }
        ms_imap_server_untagged_uint(s, "imap.resp.expunge", "", i + 1, " EXPUNGE");
        g_array_remove_index(s->view, i);
    }
    if (f == NULL)
        return;
    /* RFC 3501 7.4.2: flags changed by another session are reported with
     * an unsolicited FETCH. */
    for (guint i = 0; i < s->view->len; i++) {
        MsImapViewEntry *e = &g_array_index(s->view, MsImapViewEntry, i);
        gint idx = ms_imap_folder_find(f, e->uid);
        if (idx < 0)
            continue;
        guint now = ms_imap_folder_msg(f, (guint) idx)->flags;
        if (now == e->flags)
            continue;
        e->flags = now;
        g_autofree char *flags = ms_imap_flags_to_string(now, e->recent);
        ms_imap_server_untagged(s, "imap.resp.fetch.flags", "%u FETCH (UID %u FLAGS (%s))", i + 1,
                                e->uid, flags);
    }
    /* New messages: EXISTS with the new count (7.3.1), and RECENT. */
    guint32 last = s->view->len > 0 ? g_array_index(s->view, MsImapViewEntry, s->view->len - 1).uid
                                    : 0;
    gboolean grew = FALSE;
    for (guint i = 0; i < ms_imap_folder_count(f); i++) {
        MsImapMsg *m = ms_imap_folder_msg(f, i);
        if (m->uid <= last)
            continue;
        /* 2.3.2: a message is \Recent to the first session told of it; a
         * read-only session shows it without taking it (6.3.2). */
        MsImapViewEntry e = { m->uid, m->flags, m->recent };
        if (!s->read_only)
            m->recent = FALSE;
        g_array_append_val(s->view, e);
        grew = TRUE;
    }
    if (!grew)
        return;
    guint recent = 0;
    for (guint i = 0; i < s->view->len; i++)
        recent += g_array_index(s->view, MsImapViewEntry, i).recent ? 1 : 0;
    ms_imap_server_untagged_uint(s, "imap.resp.exists", "", s->view->len, " EXISTS");
    ms_imap_server_untagged_uint(s, "imap.resp.recent", "", recent, " RECENT");
}

/* ---- Any state: CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1) ------------------------------ */

static gboolean check_none(MsImapServer *s, MsImapRequest *req)
{
    return ms_imap_req_argc_is(s, req, 0);
}

static void do_capability(MsImapServer *s, MsImapRequest *req)
{
    ms_imap_writer_add_len(&s->writer, "* CAPABILITY ", 13);
    ms_imap_write_capabilities(&s->writer, s->disabled);
    ms_imap_server_emit(s, &s->writer, "imap.resp.capability");
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "CAPABILITY completed");
}

static void do_noop(MsImapServer *s, MsImapRequest *req)
{
    (void) s;
    /* 6.1.2: nothing to do; the dispatcher's report of changes is the
     * point (polling for new mail). */
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "NOOP completed");
}

static void do_logout(MsImapServer *s, MsImapRequest *req)
{
    /* 6.1.3: BYE, then the tagged OK, then the server closes. */
    ms_imap_server_deselect(s);
    ms_imap_server_set_state(s, MS_IMAP_STATE_LOGOUT);
    s->phase = MS_IMAP_STATE_LOGOUT;
    ms_imap_server_untagged(s, "imap.resp.bye", "BYE IMAP4rev1 Server logging out");
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok.logout", "LOGOUT completed");
}

/* ---- Not authenticated: LOGIN, AUTHENTICATE (RFC 3501 6.2) ------------------------- */

static gboolean check_login(MsImapServer *s, MsImapRequest *req)
{
    if (!ms_imap_req_argc_is(s, req, 2))
        return FALSE;
    if (ms_imap_arg_astring(ms_imap_req_arg(req, 0)) == NULL
        || ms_imap_arg_astring(ms_imap_req_arg(req, 1)) == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "LOGIN wants a user name and a password");
    return TRUE;
}

static void do_login(MsImapServer *s, MsImapRequest *req)
{
    const char *user = ms_imap_arg_astring(ms_imap_req_arg(req, 0));
    const char *password = ms_imap_arg_astring(ms_imap_req_arg(req, 1));
    MsImapStore *store = s->login(user, password, s->user_data);
    if (store == NULL) {
        /* 6.2.3: NO, and the session stays not authenticated; RFC 5530's
         * AUTHENTICATIONFAILED code says why. */
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "AUTHENTICATIONFAILED", "imap.resp.no.login",
                         "Authentication failed");
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_AUTH_FAILED);
        ev->user = g_strdup(user);
        ev->text = g_strdup(req->text);
        ms_imap_server_push_event(s, ev);
        return;
    }
    s->store = ms_imap_store_ref(store);
    s->user = g_strdup(user);
    ms_imap_server_set_state(s, MS_IMAP_STATE_AUTHENTICATED);
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok.login", "LOGIN completed");
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_AUTH_OK);
    ev->user = g_strdup(user);
    ev->folder = g_strdup(ms_imap_store_owner(store));
    ms_imap_server_push_event(s, ev);
}

static gboolean check_authenticate(MsImapServer *s, MsImapRequest *req)
{
    const MsImapArg *mech = ms_imap_req_arg(req, 0);
    if (mech == NULL || mech->kind != MS_IMAP_ARG_ATOM)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "AUTHENTICATE wants a mechanism name");
    return TRUE;
}

static void do_authenticate(MsImapServer *s, MsImapRequest *req)
{
    (void) s;
    /* 6.2.2: an unsupported mechanism is a NO; the simulation has no SASL. */
    ms_imap_req_done(req, MS_IMAP_STATUS_NO, "CANNOT", "imap.resp.no.unsupported",
                     "Unsupported authentication mechanism");
}

/* ---- IDLE (RFC 2177) --------------------------------------------------------------- */

static void do_idle(MsImapServer *s, MsImapRequest *req)
{
    /* RFC 2177 3: "+" and then untagged responses as things change, until
     * the client sends DONE; only then the tagged completion. */
    s->idle_tag = g_strdup(req->tag);
    emit_line(s, "+ idling", "imap.cont.idle");
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_IDLING);
    ev->idling = TRUE;
    ms_imap_server_push_event(s, ev);
    ms_imap_server_sync(s, TRUE);
    req->status = MS_IMAP_STATUS_NONE;
}

static void end_idle(MsImapServer *s, MsImapStatus status, const char *text, const char *note)
{
    g_autofree char *tag = g_steal_pointer(&s->idle_tag);
    ms_imap_server_sync(s, TRUE);
    tagged(s, tag, status, NULL, text, note);
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_IDLING);
    ev->idling = FALSE;
    ms_imap_server_push_event(s, ev);
}

static void idle_line(MsImapServer *s, int r, const MsImapLine *line)
{
    /* RFC 2177 3: the only thing a client may send during IDLE is DONE. */
    if (r > 0 && line->args->len == 1 && ms_imap_arg_is_atom(ms_imap_line_arg(line, 0), "DONE")) {
        end_idle(s, MS_IMAP_STATUS_OK, "IDLE terminated", "imap.resp.ok.idle");
        return;
    }
    end_idle(s, MS_IMAP_STATUS_BAD, "Expected DONE", "imap.resp.bad.syntax");
}

/* ---- The tables and the dispatcher -------------------------------------------------- */

static const MsImapCommand any_commands[] = {
    { "CAPABILITY", MS_IMAP_IN_ANY, 0, FALSE, check_none, do_capability },
    { "NOOP", MS_IMAP_IN_ANY, 0, FALSE, check_none, do_noop },
    { "LOGOUT", MS_IMAP_IN_ANY, 0, FALSE, check_none, do_logout },
    { "LOGIN", MS_IMAP_IN_NOT_AUTH, 0, FALSE, check_login, do_login },
    { "AUTHENTICATE", MS_IMAP_IN_NOT_AUTH, 0, FALSE, check_authenticate, do_authenticate },
    { "IDLE", MS_IMAP_IN_AUTH | MS_IMAP_IN_SELECTED, MS_IMAP_EXT_IDLE, FALSE, check_none,
      do_idle },
};

static const MsImapCommand *find_in(const MsImapCommand *table, gsize n, const char *verb,
                                    gboolean uid)
{
    for (gsize i = 0; i < n; i++) {
        if (table[i].uid == uid && ms_imap_ascii_caseeq(table[i].verb, verb))
            return &table[i];
    }
    return NULL;
}

static const MsImapCommand *find_command(const MsImapServer *s, const char *verb, gboolean uid)
{
    const MsImapCommand *cmd = find_in(any_commands, G_N_ELEMENTS(any_commands), verb, uid);
    if (cmd == NULL)
        cmd = find_in(ms_imap_mailbox_commands, ms_imap_n_mailbox_commands, verb, uid);
    if (cmd == NULL)
        cmd = find_in(ms_imap_selected_commands, ms_imap_n_selected_commands, verb, uid);
    /* An extension turned off is a command the server does not know. */
    if (cmd != NULL && (cmd->extension & s->disabled) != 0)
        return NULL;
    return cmd;
}

/* tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 section 9). */
static gboolean tag_is_valid(const char *tag)
{
    if (tag == NULL || *tag == '\0')
        return FALSE;
    for (const char *p = tag; *p != '\0'; p++) {
        guchar c = (guchar) *p;
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c) != NULL)
            return FALSE;
    }
    return TRUE;
}

static const char *state_refusal(const MsImapServer *s, const MsImapCommand *cmd)
{
    if (s->state == MS_IMAP_STATE_NOT_AUTHENTICATED)
        return "Not authenticated: LOGIN first";
    if ((cmd->states & MS_IMAP_IN_SELECTED) != 0)
        return "No mailbox selected: SELECT or EXAMINE first";
    return "Already authenticated";
}

static void dispatch(MsImapServer *s, const MsImapLine *line)
{
    const char *tag = ms_imap_line_tag(line);
    if (!tag_is_valid(tag)) {
        /* RFC 3501 7.1.3: without a usable tag the BAD is untagged. */
        ms_imap_server_untagged(s, "imap.resp.bad.syntax", "BAD Invalid tag");
        s->errors++;
        return;
    }
    const MsImapArg *name = ms_imap_line_arg(line, 1);
    MsImapRequest req = { .tag = tag, .line = line, .argi = 2, .status = MS_IMAP_STATUS_NONE };
    if (name == NULL || name->kind != MS_IMAP_ARG_ATOM) {
        tagged(s, tag, MS_IMAP_STATUS_BAD, NULL, "Missing command", "imap.resp.bad.syntax");
        return;
    }
    const char *verb = name->data;
    if (ms_imap_ascii_caseeq(verb, "UID")) {
        /* 6.4.8: UID FETCH, STORE, COPY, MOVE, SEARCH. */
        const MsImapArg *sub = ms_imap_line_arg(line, 2);
        if (sub == NULL || sub->kind != MS_IMAP_ARG_ATOM) {
            tagged(s, tag, MS_IMAP_STATUS_BAD, NULL, "UID needs a command", "imap.resp.bad.syntax");
            return;
        }
        req.uid = TRUE;
        req.argi = 3;
        verb = sub->data;
    }
    const MsImapCommand *cmd = find_command(s, verb, req.uid);
    if (cmd == NULL) {
        tagged(s, tag, MS_IMAP_STATUS_BAD, NULL, "Unknown command", "imap.resp.bad.unknown");
        return;
    }
    if ((cmd->states & (1u << s->state)) == 0) {
        tagged(s, tag, MS_IMAP_STATUS_BAD, NULL, state_refusal(s, cmd), "imap.resp.bad.state");
        return;
    }
    g_autofree char *full = g_strconcat(req.uid ? "UID " : "", cmd->verb, NULL);
    req.verb = full;
    if (cmd->check == NULL || cmd->check(s, &req)) {
        cmd->proceed(s, &req);
        if (req.status != MS_IMAP_STATUS_NONE) {
            /* 5.2 / 7.4.1: changes go out before the completion; EXPUNGE
             * not while answering FETCH, STORE or SEARCH. */
            if (req.status != MS_IMAP_STATUS_BAD)
                ms_imap_server_sync(s, !req.no_expunge);
            tagged(s, tag, req.status, req.code, req.text, req.note);
        }
    }
    request_clear(&req);
    if (s->state == MS_IMAP_STATE_LOGOUT) {
        ms_imap_server_set_state(s, MS_IMAP_STATE_CLOSED);
        g_clear_pointer(&s->store, ms_imap_store_unref);
        ms_imap_server_push_event(s, ms_imap_event_new(MS_IMAP_EVENT_CLOSE));
    }
}

static void close_with_bye(MsImapServer *s, const char *note, const char *text);

static void parse_error(MsImapServer *s, const MsImapLine *line)
{
    const char *tag = ms_imap_line_tag(line);
    gboolean toobig = line->code != NULL && strcmp(line->code, "TOOBIG") == 0;
    const char *note = toobig ? "imap.resp.bad.toobig" : "imap.resp.bad.syntax";
    if (!tag_is_valid(tag) || line->args->len < 2) {
        ms_imap_server_untagged(s, note, "BAD %s", line->error);
        s->errors++;
        return;
    }
    tagged(s, tag, MS_IMAP_STATUS_BAD, line->code, line->error, note);
    /* RFC 7888 4: the octets of a non-synchronizing literal too large
     * come anyway; a server reads and discards them or closes.  Closed:
     * otherwise a client could have it read (and record) any amount. */
    if (toobig && ms_imap_parser_literal_left(s->parser) > 0)
        close_with_bye(s, "imap.resp.bye.toobig", "BYE Literal too large; not reading it");
}

/* RFC 3501 7.1.5 (RFC 9051 7.1.5): BYE when the server closes the
 * connection, for instance on fatal errors.  A client that keeps sending
 * BAD commands is cut off, as Dovecot does after 20. */
static void close_with_bye(MsImapServer *s, const char *note, const char *text)
{
    s->phase = MS_IMAP_STATE_LOGOUT;
    ms_imap_server_untagged(s, note, "%s", text);
    ms_imap_server_set_state(s, MS_IMAP_STATE_CLOSED);
    g_clear_pointer(&s->store, ms_imap_store_unref);
    ms_imap_server_push_event(s, ms_imap_event_new(MS_IMAP_EVENT_CLOSE));
}

static void too_many_errors(MsImapServer *s)
{
    close_with_bye(s, "imap.resp.bye.errors", "BYE Too many invalid IMAP commands");
}

static gboolean running(const MsImapServer *s)
{
    return s->state == MS_IMAP_STATE_NOT_AUTHENTICATED
           || s->state == MS_IMAP_STATE_AUTHENTICATED || s->state == MS_IMAP_STATE_SELECTED;
}

static void process(MsImapServer *s)
{
    while (running(s)) {
        MsImapLine *line = NULL;
        int r = ms_imap_parser_next(s->parser, &line);
        s->phase = s->state;
        if (r == 0) {
            /* RFC 3501 7.5: "+" invites the octets of a synchronizing
             * literal; LITERAL+ (RFC 7888) literals need none.  Then read
             * on: a zero-length literal has all its octets already. */
            if (ms_imap_parser_literal_wanted(s->parser, NULL)) {
                emit_line(s, "+ Ready for literal data", "imap.cont");
                continue;
            }
            return;
        }
        if (s->idle_tag != NULL)
            idle_line(s, r, line);
        else if (r < 0)
            parse_error(s, line);
        else
            dispatch(s, line);
        ms_imap_parser_recycle(s->parser, line);
        if (s->errors >= MS_PROTO_MAX_ERRORS && running(s))
            too_many_errors(s);
    }
}

/* ---- Public ----------------------------------------------------------------------- */

MsImapServer *ms_imap_server_new(const MsImapServerConfig *config, GError **error)
{
    g_return_val_if_fail(config != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (config->login == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "an IMAP server needs a login callback");
        return NULL;
    }
    MsImapServer *s = g_new0(MsImapServer, 1);
    s->state = MS_IMAP_STATE_INIT;
    s->phase = MS_IMAP_STATE_INIT;
    s->hostname = g_strdup(config->hostname != NULL ? config->hostname : "localhost");
    s->login = config->login;
    s->clock = config->clock;
    s->user_data = config->user_data;
    s->disabled = config->disabled_extensions;
    /* Without LITERAL+ a "{n+}" is still read: refusing it would leave
     * its octets to be taken for commands. */
    s->max_literal = config->max_literal > 0 ? config->max_literal : MS_IMAP_LITERAL_MAX_DEFAULT;
    s->parser = ms_imap_parser_new(FALSE, MIN(s->max_literal, MS_IMAP_LITERAL_MAX_PREAUTH));
    s->output = ms_proto_output_new();
    ms_imap_writer_init(&s->writer);
    s->view = g_array_new(FALSE, FALSE, sizeof(MsImapViewEntry));
    g_queue_init(&s->events);
    return s;
}

void ms_imap_server_free(MsImapServer *server)
{
    if (server == NULL)
        return;
    ms_imap_store_unref(server->store);
    g_queue_clear_full(&server->events, (GDestroyNotify) ms_imap_event_free);
    ms_proto_output_free(server->output);
    ms_imap_writer_clear(&server->writer);
    g_array_unref(server->view);
    ms_imap_parser_free(server->parser);
    g_free(server->idle_tag);
    g_free(server->user);
    g_free(server->hostname);
    g_free(server);
}

void ms_imap_server_start(MsImapServer *server)
{
    g_return_if_fail(server != NULL);
    if (server->state != MS_IMAP_STATE_INIT)
        return;
    /* RFC 3501 7.1.1: an untagged OK greeting puts the session in the
     * not-authenticated state; the capabilities may ride along. */
    ms_imap_server_set_state(server, MS_IMAP_STATE_NOT_AUTHENTICATED);
    server->phase = server->state;
    MsImapWriter *w = &server->writer;
    ms_imap_writer_add_len(w, "* OK [CAPABILITY ", 17);
    ms_imap_write_capabilities(w, server->disabled);
    ms_imap_writer_add_len(w, "] ", 2);
    ms_imap_writer_add(w, server->hostname);
    ms_imap_writer_add(w, " IMAP4rev1 Service Ready");
    ms_imap_server_emit(server, w, "imap.greeting");
    process(server);
}

void ms_imap_server_feed(MsImapServer *server, const char *bytes, gsize len)
{
    g_return_if_fail(server != NULL);
    if (!running(server))
        return;
    ms_imap_parser_feed(server->parser, bytes, len);
    process(server);
}

void ms_imap_server_notify(MsImapServer *server)
{
    g_return_if_fail(server != NULL);
    /* RFC 2177 3: while idling, changes are sent as they happen.  Other
     * sessions learn of them at their next command. */
    if (server->idle_tag == NULL || !running(server))
        return;
    server->phase = server->state;
    ms_imap_server_sync(server, TRUE);
}

GPtrArray *ms_imap_server_take_output(MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_take(server->output);
}

GPtrArray *ms_imap_server_output(MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_lines(server->output);
}

void ms_imap_server_output_sent(MsImapServer *server)
{
    g_return_if_fail(server != NULL);
    ms_proto_output_clear(server->output);
}

MsImapEvent *ms_imap_server_next_event(MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return g_queue_pop_head(&server->events);
}

void ms_imap_server_abort(MsImapServer *server)
{
    g_return_if_fail(server != NULL);
    /* RFC 3501 has no implicit CLOSE: \Deleted messages stay. */
    ms_imap_server_deselect(server);
    g_clear_pointer(&server->idle_tag, g_free);
    g_clear_pointer(&server->store, ms_imap_store_unref);
    ms_imap_server_set_state(server, MS_IMAP_STATE_CLOSED);
}

MsImapState ms_imap_server_state(const MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, MS_IMAP_STATE_CLOSED);
    return server->state;
}

gsize ms_imap_server_literal_left(const MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, 0);
    return ms_imap_parser_literal_left(server->parser);
}

gboolean ms_imap_server_idling(const MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, FALSE);
    return server->idle_tag != NULL;
}

MsImapStore *ms_imap_server_store(const MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return server->store;
}

const char *ms_imap_server_selected(const MsImapServer *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    MsImapFolder *f = ms_imap_server_folder((MsImapServer *) server);
    return f != NULL ? ms_imap_folder_name(f) : NULL;
}
