/* imap_client.c - the client side of an IMAP session (RFC 3501): a scripted
 * mail reader.
 *
 * The client carries out a list of operations - log in, select a folder,
 * fetch what is new, read, flag, move, search, idle, log out - each as a
 * tagged command (A001, A002, ...) and waits for its completion before the
 * next, while untagged responses may come at any time: new messages
 * (EXISTS), messages gone (EXPUNGE), flags changed from another device
 * (FETCH).  Its state names what it awaits: the greeting, a completion, a
 * "+" to send a literal's octets, the "+" that starts IDLE, or DONE from
 * the glue to end it.
 */
#include "imap-private.h"

#include <string.h>
#include "mailsim/core.h"

/* Steps of the operations that take more than one command: what was
 * sent last. */
enum {
    STEP_FIRST = 0,
    STEP_FETCH,         /* FETCH_NEW: UID FETCH after UID SEARCH UNSEEN */
    STEP_MOVE,          /* MOVE (after CAPABILITY) */
    STEP_COPY,          /* MOVE without MOVE: COPY, */
    STEP_STORE,         /* STORE +FLAGS.SILENT (\Deleted), */
    STEP_EXPUNGE,       /* EXPUNGE */
};

/* ---- Output, events, state ------------------------------------------------------------ */

void ms_imap_client_set_state(MsImapClient *c, MsImapClientState state)
{
    if (c->state == state)
        return;
    MS_DEBUG("imap client: %s -> %s", ms_imap_client_state_name(c->state),
            ms_imap_client_state_name(state));
    c->state = state;
}

void ms_imap_client_push_event(MsImapClient *c, MsImapEvent *event)
{
    /* Every event says which operation it came in. */
    if (c->op != NULL)
        event->op = c->op->kind;
    g_queue_push_tail(&c->events, event);
}

void ms_imap_client_push_error(MsImapClient *c, const char *text)
{
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_ERROR);
    ev->text = g_strdup(text);
    ms_imap_client_push_event(c, ev);
}

/* Sends the pending command up to its next literal's octets (which wait
 * for the server's "+", RFC 3501 7.5), or to its end. */
static void flush(MsImapClient *c)
{
    MsImapWriter *w = &c->pending;
    gsize stop = w->len;
    for (guint i = 0; i + 1 < w->n_literals; i += 2) {
        gsize start = w->literals[i];
        if (start > c->sent) {
            stop = start;
            break;
        }
    }
    const char *text = w->data + c->sent;
    gsize first_len = 0;
    while (c->sent + first_len < w->len && text[first_len] != '\r' && text[first_len] != '\n')
        first_len++;
    const char *note = c->sent == 0 ? ms_imap_command_note(text, first_len) : "imap.cmd.literal";
    ms_imap_writer_emit_range(w, c->sent, stop, c->output, ms_imap_state_phase(c->phase), note,
                              "imap.cmd.literal");
    c->sent = stop;
    if (stop < w->len) {
        ms_imap_client_set_state(c, MS_IMAP_CLIENT_LITERAL);
        return;
    }
    ms_imap_writer_reset(w);
    c->sent = 0;
    ms_imap_client_set_state(c, c->after_send);
}

/* Starts a command: the writer gets "Annn " and the caller adds the rest,
 * then calls send_command(). */
static MsImapWriter *begin_command(MsImapClient *c)
{
    /* "A%03u", without printf. */
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = ms_proto_format_uint(digits, ++c->tag_counter);
    gsize pad = n < 3 ? 3 - n : 0;
    g_free(c->tag);
    c->tag = g_malloc(1 + pad + n + 1);
    c->tag[0] = 'A';
    memset(c->tag + 1, '0', pad);
    memcpy(c->tag + 1 + pad, digits, n);
    c->tag[1 + pad + n] = '\0';
    ms_imap_writer_reset(&c->pending);
    c->sent = 0;
    ms_imap_writer_add(&c->pending, c->tag);
    ms_imap_writer_add_len(&c->pending, " ", 1);
    return &c->pending;
}

static void send_command(MsImapClient *c, MsImapClientState awaiting)
{
    ms_imap_writer_add(&c->pending, "\r\n");
    c->after_send = awaiting;
    flush(c);
}

/* A one-line command "Annn <text>". */
static void send_simple(MsImapClient *c, const char *text)
{
    ms_imap_writer_add(begin_command(c), text);
    send_command(c, MS_IMAP_CLIENT_COMMAND);
}

/* ---- Operations ---------------------------------------------------------------------- */

static void op_free(gpointer p)
{
    MsImapClientOp *op = p;
    g_free(op->folder);
    g_free(op->folder2);
    g_free(op->set);
    g_free(op->text);
    g_free(op);
}

/* The operation's set, or its number written to buf
 * (MS_PROTO_UINT_MAX_LEN octets). */
static const char *op_set(const MsImapClientOp *op, char *buf)
{
    if (op->set != NULL)
        return op->set;
    ms_proto_format_uint(buf, op->number);
    return buf;
}

static MsImapClientKnown *find_known(MsImapClient *c, const char *folder)
{
    for (guint i = 0; folder != NULL && i < c->known->len; i++) {
        MsImapClientKnown *k = &g_array_index(c->known, MsImapClientKnown, i);
        if (strcmp(k->folder, folder) == 0)
            return k;
    }
    return NULL;
}

static void set_known(MsImapClient *c, const char *folder, guint32 uidvalidity, guint32 uidnext)
{
    MsImapClientKnown *k = find_known(c, folder);
    if (k == NULL) {
        MsImapClientKnown fresh = { g_strdup(folder), 0, 0 };
        g_array_append_val(c->known, fresh);
        k = &g_array_index(c->known, MsImapClientKnown, c->known->len - 1);
    }
    k->uidvalidity = uidvalidity;
    k->uidnext = uidnext;
}

static void start_next(MsImapClient *c);

static void finish_op(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_DONE);
    ev->op = c->op->kind;
    ev->status = status;
    ev->code = g_strdup(code);
    ev->text = g_strdup(text);
    ev->tag = g_strdup(c->tag);
    if (c->op->kind == MS_IMAP_OP_FETCH_NEW && c->selected != NULL) {
        guint32 next = MAX(c->since, c->max_uid + 1);
        if (!c->grew)
            next = MAX(next, c->uidnext);
        ev->folder = g_strdup(c->selected);
        ev->uidvalidity = c->uidvalidity;
        ev->uidnext = next;
        set_known(c, c->selected, c->uidvalidity, next);
    }
    ms_imap_client_push_event(c, ev);
    gboolean logout = c->op->kind == MS_IMAP_OP_LOGOUT;
    c->op = NULL;
    if (logout) {
        ms_imap_client_set_state(c, MS_IMAP_CLIENT_DONE);
        ms_imap_client_push_event(c, ms_imap_event_new(MS_IMAP_EVENT_CLOSE));
        return;
    }
    start_next(c);
}

static const char *fetch_new_items(const MsImapClientOp *op)
{
    /* Headers are what a reader lists; whole messages only when asked. */
    return op->full ? "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
                    : "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])";
}

/* FETCH_NEW: by UID from what an earlier session knew, else the unseen. */
static gboolean begin_fetch_new(MsImapClient *c)
{
    const MsImapClientKnown *k = find_known(c, c->selected);
    c->since = 0;
    c->max_uid = 0;
    if (k != NULL && k->uidvalidity == c->uidvalidity && k->uidnext > 0)
        c->since = k->uidnext;
    if (c->since == 0) {
        send_simple(c, "UID SEARCH UNSEEN");
        return TRUE;
    }
    /* RFC 3501 2.3.1.1: UIDNEXT is the UID the next message will get, so
     * when it has not moved there is nothing new to ask for. */
    if (!c->grew && c->uidnext > 0 && c->since >= c->uidnext) {
        finish_op(c, MS_IMAP_STATUS_OK, NULL, "no new messages (UIDNEXT unchanged)");
        return FALSE;
    }
    MsImapWriter *w = begin_command(c);
    ms_imap_writer_add(w, "UID FETCH ");
    ms_imap_writer_uint(w, c->since);
    ms_imap_writer_add(w, ":* ");
    ms_imap_writer_add(w, fetch_new_items(c->op));
    send_command(c, MS_IMAP_CLIENT_COMMAND);
    return TRUE;
}

static void begin_move(MsImapClient *c)
{
    const MsImapClientOp *op = c->op;
    char set_buf[MS_PROTO_UINT_MAX_LEN];
    const char *set = op_set(op, set_buf);
    MsImapWriter *w = begin_command(c);
    /* RFC 6851 3.3: MOVE when offered; else COPY, STORE \Deleted, EXPUNGE. */
    gboolean move = (c->ext & MS_IMAP_EXT_MOVE) != 0;
    c->step = move ? STEP_MOVE : STEP_COPY;
    ms_imap_writer_printf(w, "%s%s %s ", op->uid ? "UID " : "", move ? "MOVE" : "COPY", set);
    ms_imap_writer_astring(w, op->folder);
    send_command(c, MS_IMAP_CLIENT_COMMAND);
}

/* list-mailbox = 1*list-char / string (RFC 3501 section 9): the wildcards
 * may go bare, as in LIST "" *. */
static void write_list_mailbox(MsImapWriter *w, const char *pattern)
{
    gboolean bare = pattern[0] != '\0';
    for (const char *p = pattern; bare && *p != '\0'; p++) {
        guchar ch = (guchar) *p;
        bare = ch > 0x20 && ch < 0x7f && strchr("(){\"\\", ch) == NULL;
    }
    if (bare)
        ms_imap_writer_add(w, pattern);
    else
        ms_imap_writer_astring(w, pattern);
}

/* Sends the first command of the current operation; FALSE when the
 * operation finished without one. */
static gboolean begin_op(MsImapClient *c)
{
    const MsImapClientOp *op = c->op;
    char set_buf[MS_PROTO_UINT_MAX_LEN];
    const char *set = op_set(op, set_buf);
    const char *uid = op->uid ? "UID " : "";
    MsImapWriter *w = NULL;
    switch (op->kind) {
    case MS_IMAP_OP_LOGIN: {
        const char *password = op->text != NULL ? op->text : c->password;
        w = begin_command(c);
        ms_imap_writer_add(w, "LOGIN ");
        /* RFC 3501 7.5: a literal is sent in two steps, the octets after "+". */
        if (c->literal_login) {
            ms_imap_writer_literal(w, c->user, strlen(c->user));
            ms_imap_writer_add(w, " ");
            ms_imap_writer_literal(w, password, strlen(password));
        } else {
            ms_imap_writer_astring(w, c->user);
            ms_imap_writer_add(w, " ");
            ms_imap_writer_astring(w, password);
        }
        break;
    }
    case MS_IMAP_OP_CAPABILITY: send_simple(c, "CAPABILITY"); return TRUE;
    case MS_IMAP_OP_NOOP: send_simple(c, "NOOP"); return TRUE;
    case MS_IMAP_OP_LIST:
        w = begin_command(c);
        ms_imap_writer_add(w, "LIST \"\" ");
        write_list_mailbox(w, op->folder != NULL ? op->folder : "*");
        break;
    case MS_IMAP_OP_CREATE:
    case MS_IMAP_OP_DELETE:
    case MS_IMAP_OP_SUBSCRIBE:
    case MS_IMAP_OP_SELECT:
    case MS_IMAP_OP_EXAMINE: {
        const char *verb = op->kind == MS_IMAP_OP_CREATE      ? "CREATE "
                           : op->kind == MS_IMAP_OP_DELETE    ? "DELETE "
                           : op->kind == MS_IMAP_OP_SUBSCRIBE ? "SUBSCRIBE "
                           : op->kind == MS_IMAP_OP_SELECT    ? "SELECT "
                                                              : "EXAMINE ";
        w = begin_command(c);
        ms_imap_writer_add(w, verb);
        ms_imap_writer_astring(w, op->folder);
        if (op->kind == MS_IMAP_OP_SELECT || op->kind == MS_IMAP_OP_EXAMINE) {
            g_free(c->selected);
            c->selected = g_strdup(op->folder);
            c->exists = c->recent = c->unseen = 0;
            c->uidvalidity = c->uidnext = 0;
            c->grew = FALSE;
            c->read_only = op->kind == MS_IMAP_OP_EXAMINE;
        }
        break;
    }
    case MS_IMAP_OP_RENAME:
        w = begin_command(c);
        ms_imap_writer_add(w, "RENAME ");
        ms_imap_writer_astring(w, op->folder);
        ms_imap_writer_add(w, " ");
        ms_imap_writer_astring(w, op->folder2);
        break;
    case MS_IMAP_OP_STATUS:
        w = begin_command(c);
        ms_imap_writer_add(w, "STATUS ");
        ms_imap_writer_astring(w, op->folder);
        ms_imap_writer_add(w, " (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)");
        break;
    case MS_IMAP_OP_FETCH_NEW: return begin_fetch_new(c);
    case MS_IMAP_OP_READ: {
        /* By sequence number the UID is asked for too, so the reader
         * learns it (RFC 3501 6.4.8: UID FETCH returns it anyway). */
        g_autofree char *cmd = *uid != '\0'
                                   ? g_strdup_printf("%sFETCH %s BODY%s[]", uid, set,
                                                     op->peek ? ".PEEK" : "")
                                   : g_strdup_printf("FETCH %s (UID BODY%s[])", set,
                                                     op->peek ? ".PEEK" : "");
        send_simple(c, cmd);
        return TRUE;
    }
    case MS_IMAP_OP_FLAG: {
        g_autofree char *flags = ms_imap_flags_to_string(op->flags, FALSE);
        g_autofree char *cmd = g_strdup_printf("%sSTORE %s %sFLAGS (%s)", uid, set,
                                               op->unset ? "-" : "+", flags);
        send_simple(c, cmd);
        return TRUE;
    }
    case MS_IMAP_OP_COPY:
        w = begin_command(c);
        ms_imap_writer_printf(w, "%sCOPY %s ", uid, set);
        ms_imap_writer_astring(w, op->folder);
        break;
    case MS_IMAP_OP_MOVE:
        if (!c->caps_known) {
            /* Whether MOVE is there is in the capabilities: ask first. */
            send_simple(c, "CAPABILITY");
            return TRUE;
        }
        begin_move(c);
        return TRUE;
    case MS_IMAP_OP_SEARCH: {
        g_autofree char *cmd = g_strdup_printf("%sSEARCH %s", uid,
                                               op->text != NULL ? op->text : "ALL");
        send_simple(c, cmd);
        return TRUE;
    }
    case MS_IMAP_OP_EXPUNGE: send_simple(c, "EXPUNGE"); return TRUE;
    case MS_IMAP_OP_CLOSE: send_simple(c, "CLOSE"); return TRUE;
    case MS_IMAP_OP_APPEND: {
        const char *text = op->text != NULL ? op->text : "";
        w = begin_command(c);
        ms_imap_writer_add(w, "APPEND ");
        ms_imap_writer_astring(w, op->folder);
        if (op->flags != 0) {
            g_autofree char *flags = ms_imap_flags_to_string(op->flags, FALSE);
            ms_imap_writer_printf(w, " (%s)", flags);
        }
        ms_imap_writer_add(w, " ");
        /* 6.3.11: the message is always a literal. */
        ms_imap_writer_literal(w, text, strlen(text));
        break;
    }
    case MS_IMAP_OP_IDLE:
        c->idle_done_pending = FALSE;
        ms_imap_writer_add(begin_command(c), "IDLE");
        send_command(c, MS_IMAP_CLIENT_IDLE_START);
        return TRUE;
    case MS_IMAP_OP_LOGOUT:
        send_simple(c, "LOGOUT");
        c->phase = MS_IMAP_STATE_LOGOUT;
        return TRUE;
    case MS_IMAP_N_OP_KINDS: g_assert_not_reached();
    }
    send_command(c, MS_IMAP_CLIENT_COMMAND);
    return TRUE;
}

static void start_next(MsImapClient *c)
{
    while (c->next_op < c->ops->len) {
        c->op = g_ptr_array_index(c->ops, c->next_op++);
        c->step = STEP_FIRST;
        g_array_set_size(c->numbers, 0);
        g_ptr_array_set_size(c->names, 0);
        if (begin_op(c))
            return;
        if (c->state == MS_IMAP_CLIENT_DONE)
            return;
    }
    c->op = NULL;
    ms_imap_client_set_state(c, MS_IMAP_CLIENT_READY);
}

/* ---- Completions --------------------------------------------------------------------- */

static void on_login(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    if (status == MS_IMAP_STATUS_OK) {
        c->phase = MS_IMAP_STATE_AUTHENTICATED;
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_AUTH_OK);
        ev->user = g_strdup(c->user);
        ms_imap_client_push_event(c, ev);
        finish_op(c, status, code, text);
        return;
    }
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_AUTH_FAILED);
    ev->user = g_strdup(c->user);
    ev->text = g_strdup(text);
    ms_imap_client_push_event(c, ev);
    /* Nothing but another LOGIN or LOGOUT makes sense without a login. */
    while (c->next_op < c->ops->len) {
        const MsImapClientOp *next = g_ptr_array_index(c->ops, c->next_op);
        if (next->kind == MS_IMAP_OP_LOGIN || next->kind == MS_IMAP_OP_LOGOUT)
            break;
        c->next_op++;
    }
    finish_op(c, status, code, text);
}

static void on_select(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    g_autofree char *word = ms_imap_code_word(code);
    if (status != MS_IMAP_STATUS_OK) {
        /* RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected. */
        if (c->phase == MS_IMAP_STATE_SELECTED)
            c->phase = MS_IMAP_STATE_AUTHENTICATED;
        g_clear_pointer(&c->selected, g_free);
        finish_op(c, status, code, text);
        return;
    }
    c->phase = MS_IMAP_STATE_SELECTED;
    if (word != NULL && strcmp(word, "READ-ONLY") == 0)
        c->read_only = TRUE;
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_SELECTED);
    ev->folder = g_strdup(c->selected);
    ev->read_only = c->read_only;
    ev->count = c->exists;
    ev->recent = c->recent;
    ev->unseen = c->unseen;
    ev->uidvalidity = c->uidvalidity;
    ev->uidnext = c->uidnext;
    ms_imap_client_push_event(c, ev);
    finish_op(c, status, code, text);
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static void on_fetch_new(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    if (c->step == STEP_FIRST && c->since == 0 && status == MS_IMAP_STATUS_OK
        && c->numbers->len > 0) {
        /* The UIDs UID SEARCH UNSEEN found, fetched by UID. */
        g_array_sort(c->numbers, cmp_u32);
        c->step = STEP_FETCH;
        MsImapWriter *w = begin_command(c);
        ms_imap_writer_add(w, "UID FETCH ");
        ms_imap_write_seqset(w, (const guint32 *) c->numbers->data, c->numbers->len);
        ms_imap_writer_add(w, " ");
        ms_imap_writer_add(w, fetch_new_items(c->op));
        send_command(c, MS_IMAP_CLIENT_COMMAND);
        return;
    }
    finish_op(c, status, code, text);
}

static void on_move(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    const MsImapClientOp *op = c->op;
    char set_buf[MS_PROTO_UINT_MAX_LEN];
    const char *set = op_set(op, set_buf);
    switch (c->step) {
    case STEP_FIRST:
        /* The CAPABILITY asked for before MOVE. */
        c->caps_known = TRUE;
        begin_move(c);
        return;
    case STEP_COPY:
        if (status != MS_IMAP_STATUS_OK)
            break;
        /* RFC 6851 1: without MOVE the client marks the originals \Deleted
         * and expunges - every \Deleted message, not only these. */
        c->step = STEP_STORE;
        {
            g_autofree char *cmd = g_strdup_printf("%sSTORE %s +FLAGS.SILENT (\\Deleted)",
                                                   op->uid ? "UID " : "", set);
            send_simple(c, cmd);
        }
        return;
    case STEP_STORE:
        if (status != MS_IMAP_STATUS_OK)
            break;
        c->step = STEP_EXPUNGE;
        send_simple(c, "EXPUNGE");
        return;
    default: break;
    }
    finish_op(c, status, code, text);
}

static void on_tagged(MsImapClient *c, MsImapStatus status, const char *code, const char *text)
{
    switch (c->op->kind) {
    case MS_IMAP_OP_LOGIN: on_login(c, status, code, text); return;
    case MS_IMAP_OP_SELECT:
    case MS_IMAP_OP_EXAMINE: on_select(c, status, code, text); return;
    case MS_IMAP_OP_FETCH_NEW: on_fetch_new(c, status, code, text); return;
    case MS_IMAP_OP_MOVE: on_move(c, status, code, text); return;
    case MS_IMAP_OP_LIST: {
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_LIST);
        ev->names = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < c->names->len; i++)
            g_ptr_array_add(ev->names, g_strdup(g_ptr_array_index(c->names, i)));
        ms_imap_client_push_event(c, ev);
        break;
    }
    case MS_IMAP_OP_SEARCH: {
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_SEARCH);
        ev->numbers = g_array_copy(c->numbers);
        ms_imap_client_push_event(c, ev);
        break;
    }
    case MS_IMAP_OP_CLOSE:
        if (status == MS_IMAP_STATUS_OK) {
            c->phase = MS_IMAP_STATE_AUTHENTICATED;
            g_clear_pointer(&c->selected, g_free);
        }
        break;
    default: break;
    }
    finish_op(c, status, code, text);
}

/* ---- Dispatch ----------------------------------------------------------------------- */

static MsImapStatus status_of(const char *word)
{
    for (MsImapStatus s = MS_IMAP_STATUS_OK; s < MS_IMAP_N_STATUSES; s++) {
        if (ms_imap_ascii_caseeq(word, ms_imap_status_name(s)))
            return s;
    }
    return MS_IMAP_STATUS_NONE;
}

static void on_greeting(MsImapClient *c, const MsImapLine *line)
{
    const char *tag = ms_imap_line_tag(line);
    const MsImapArg *word = ms_imap_line_arg(line, 1);
    MsImapStatus status = word != NULL && word->kind == MS_IMAP_ARG_ATOM && line->has_text
                              ? status_of(word->data) : MS_IMAP_STATUS_NONE;
    /* RFC 3501 7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye). */
    if (tag == NULL || strcmp(tag, "*") != 0
        || (status != MS_IMAP_STATUS_OK && status != MS_IMAP_STATUS_PREAUTH)) {
        ms_imap_client_push_error(c, line->text != NULL ? line->text : "malformed greeting");
        ms_imap_client_set_state(c, MS_IMAP_CLIENT_DONE);
        c->phase = MS_IMAP_STATE_LOGOUT;
        ms_imap_client_push_event(c, ms_imap_event_new(MS_IMAP_EVENT_CLOSE));
        return;
    }
    ms_imap_client_read_code(c, line->code);
    c->phase = status == MS_IMAP_STATUS_PREAUTH ? MS_IMAP_STATE_AUTHENTICATED
                                                : MS_IMAP_STATE_NOT_AUTHENTICATED;
    start_next(c);
}

static void send_done(MsImapClient *c)
{
    /* RFC 2177 3: "DONE" alone on a line ends IDLE. */
    c->idle_done_pending = FALSE;
    ms_proto_output_add_len(c->output, "DONE", 4, "\r\n", ms_imap_state_phase(c->phase),
                            "imap.cmd.done");
    ms_imap_client_set_state(c, MS_IMAP_CLIENT_COMMAND);
}

static void on_continuation(MsImapClient *c)
{
    if (c->state == MS_IMAP_CLIENT_LITERAL) {
        flush(c);
        return;
    }
    if (c->state == MS_IMAP_CLIENT_IDLE_START) {
        ms_imap_client_set_state(c, MS_IMAP_CLIENT_IDLING);
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_IDLING);
        ev->idling = TRUE;
        ms_imap_client_push_event(c, ev);
        if (c->idle_done_pending)
            send_done(c);
        return;
    }
    ms_imap_client_push_error(c, "unexpected continuation request");
}

static void on_line(MsImapClient *c, const MsImapLine *line)
{
    if (c->state == MS_IMAP_CLIENT_GREETING) {
        on_greeting(c, line);
        return;
    }
    const char *tag = ms_imap_line_tag(line);
    if (tag != NULL && strcmp(tag, "+") == 0) {
        on_continuation(c);
        return;
    }
    if (tag != NULL && strcmp(tag, "*") == 0) {
        ms_imap_client_read_untagged(c, line);
        return;
    }
    const MsImapArg *word = ms_imap_line_arg(line, 1);
    MsImapStatus status = word != NULL && word->kind == MS_IMAP_ARG_ATOM && line->has_text
                              ? status_of(word->data) : MS_IMAP_STATUS_NONE;
    if (tag == NULL || c->tag == NULL || strcmp(tag, c->tag) != 0 || c->op == NULL
        || (status != MS_IMAP_STATUS_OK && status != MS_IMAP_STATUS_NO
            && status != MS_IMAP_STATUS_BAD)) {
        ms_imap_client_push_error(c, "unexpected tagged response");
        return;
    }
    /* A NO or BAD instead of "+" refuses a literal: the rest is not sent. */
    ms_imap_writer_reset(&c->pending);
    c->sent = 0;
    ms_imap_client_set_state(c, MS_IMAP_CLIENT_COMMAND);
    on_tagged(c, status, line->code, line->text);
}

static void process(MsImapClient *c)
{
    while (c->state != MS_IMAP_CLIENT_DONE) {
        MsImapLine *line = NULL;
        int r = ms_imap_parser_next(c->parser, &line);
        if (r == 0)
            return;
        if (r < 0) {
            g_autofree char *msg = g_strdup_printf("malformed response: %s", line->error);
            ms_imap_client_push_error(c, msg);
        } else {
            on_line(c, line);
        }
        ms_imap_parser_recycle(c->parser, line);
    }
}

/* ---- Public --------------------------------------------------------------------------- */

static MsImapClientOp *op_copy(const MsImapOp *src)
{
    MsImapClientOp *op = g_new0(MsImapClientOp, 1);
    op->kind = src->kind;
    op->folder = g_strdup(src->folder);
    op->folder2 = g_strdup(src->folder2);
    op->set = g_strdup(src->set);
    op->text = g_strdup(src->text);
    op->number = src->number;
    op->uid = src->uid;
    op->flags = src->flags & MS_IMAP_FLAGS_ALL;
    op->unset = src->unset;
    op->full = src->full;
    op->peek = src->peek;
    /* An operation that needs a folder but has none names INBOX. */
    if (op->folder == NULL && op->kind != MS_IMAP_OP_LIST)
        op->folder = g_strdup("INBOX");
    if (op->folder2 == NULL)
        op->folder2 = g_strdup(op->folder);
    return op;
}

MsImapClient *ms_imap_client_new(const MsImapClientConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    MsImapClient *c = g_new0(MsImapClient, 1);
    c->user = g_strdup(config->user != NULL ? config->user : "");
    c->password = g_strdup(config->password != NULL ? config->password : "");
    c->literal_login = config->literal_login;
    c->ops = g_ptr_array_new_with_free_func(op_free);
    for (guint i = 0; i < config->n_ops; i++)
        g_ptr_array_add(c->ops, op_copy(&config->ops[i]));
    c->known = g_array_new(FALSE, FALSE, sizeof(MsImapClientKnown));
    for (guint i = 0; i < config->n_known; i++) {
        if (config->known[i].folder != NULL)
            set_known(c, config->known[i].folder, config->known[i].uidvalidity,
                      config->known[i].uidnext);
    }
    c->state = MS_IMAP_CLIENT_GREETING;
    c->phase = MS_IMAP_STATE_NOT_AUTHENTICATED;
    /* Literals from the server (BODY[]) may be large: no limit beyond
     * memory, as a reader would have. */
    c->parser = ms_imap_parser_new(TRUE, G_MAXUINT32);
    c->output = ms_proto_output_new();
    g_queue_init(&c->events);
    ms_imap_writer_init(&c->pending);
    c->numbers = g_array_new(FALSE, FALSE, sizeof(guint32));
    c->names = g_ptr_array_new_with_free_func(g_free);
    return c;
}

void ms_imap_client_free(MsImapClient *client)
{
    if (client == NULL)
        return;
    for (guint i = 0; i < client->known->len; i++)
        g_free(g_array_index(client->known, MsImapClientKnown, i).folder);
    g_array_unref(client->known);
    g_ptr_array_unref(client->ops);
    g_array_unref(client->numbers);
    g_ptr_array_unref(client->names);
    ms_imap_writer_clear(&client->pending);
    g_queue_clear_full(&client->events, (GDestroyNotify) ms_imap_event_free);
    ms_proto_output_free(client->output);
    ms_imap_parser_free(client->parser);
    g_free(client->selected);
    g_free(client->tag);
    g_free(client->password);
    g_free(client->user);
    g_free(client);
}

void ms_imap_client_feed(MsImapClient *client, const char *bytes, gsize len)
{
    g_return_if_fail(client != NULL);
    if (client->state == MS_IMAP_CLIENT_DONE)
        return;
    ms_imap_parser_feed(client->parser, bytes, len);
    process(client);
}

void ms_imap_client_push_op(MsImapClient *client, const MsImapOp *op)
{
    g_return_if_fail(client != NULL && op != NULL && op->kind < MS_IMAP_N_OP_KINDS);
    g_ptr_array_add(client->ops, op_copy(op));
    if (client->state == MS_IMAP_CLIENT_READY)
        start_next(client);
}

void ms_imap_client_idle_done(MsImapClient *client)
{
    g_return_if_fail(client != NULL);
    if (client->state == MS_IMAP_CLIENT_IDLING)
        send_done(client);
    else if (client->state == MS_IMAP_CLIENT_IDLE_START)
        client->idle_done_pending = TRUE;
}

GPtrArray *ms_imap_client_take_output(MsImapClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return ms_proto_output_take(client->output);
}

GPtrArray *ms_imap_client_output(MsImapClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return ms_proto_output_lines(client->output);
}

void ms_imap_client_output_sent(MsImapClient *client)
{
    g_return_if_fail(client != NULL);
    ms_proto_output_clear(client->output);
}

MsImapEvent *ms_imap_client_next_event(MsImapClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return g_queue_pop_head(&client->events);
}

void ms_imap_client_abort(MsImapClient *client)
{
    g_return_if_fail(client != NULL);
    ms_imap_client_set_state(client, MS_IMAP_CLIENT_DONE);
}

MsImapClientState ms_imap_client_state(const MsImapClient *client)
{
    g_return_val_if_fail(client != NULL, MS_IMAP_CLIENT_DONE);
    return client->state;
}

MsImapState ms_imap_client_phase(const MsImapClient *client)
{
    g_return_val_if_fail(client != NULL, MS_IMAP_STATE_CLOSED);
    if (client->state == MS_IMAP_CLIENT_DONE)
        return MS_IMAP_STATE_CLOSED;
    return client->phase;
}
