/* imap_mailbox.c - the IMAP server's commands on mailboxes as wholes (RFC
 * 3501 6.3, valid in the authenticated and selected states): SELECT and
 * EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB,
 * STATUS and APPEND.
 *
 * These are what make IMAP's folders live on the server: every one of them
 * changes or reads the user's store, which the next session - from this
 * device or another - finds as it was left.
 */
#include "imap-private.h"

#include <string.h>

#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

/* An untagged response whose text is fixed, without printf. */
static void untagged_text(MsImapServer *s, const char *note, const char *text)
{
    ms_imap_writer_add_len(&s->writer, "* ", 2);
    ms_imap_writer_add(&s->writer, text);
    ms_imap_server_emit(s, &s->writer, note);
}

/* ---- Checks --------------------------------------------------------------------- */

static gboolean read_mailbox(MsImapServer *s, MsImapRequest *req, guint index, char **out)
{
    /* mailbox = "INBOX" / astring (RFC 3501 section 9) */
    const char *name = ms_imap_arg_astring(ms_imap_req_arg(req, index));
    if (name == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Invalid mailbox name");
    *out = ms_imap_mailbox_normalize(name);
    return TRUE;
}

static gboolean check_mailbox(MsImapServer *s, MsImapRequest *req)
{
    return ms_imap_req_argc_is(s, req, 1) && read_mailbox(s, req, 0, &req->mailbox);
}

static gboolean check_two_mailboxes(MsImapServer *s, MsImapRequest *req)
{
    return ms_imap_req_argc_is(s, req, 2) && read_mailbox(s, req, 0, &req->mailbox)
           && read_mailbox(s, req, 1, &req->mailbox2);
}

static gboolean check_list(MsImapServer *s, MsImapRequest *req)
{
    /* list = "LIST" SP mailbox SP list-mailbox: a reference and a pattern,
     * the reference taken as it is (not INBOX-normalised). */
    if (!ms_imap_req_argc_is(s, req, 2))
        return FALSE;
    const char *ref = ms_imap_arg_astring(ms_imap_req_arg(req, 0));
    const char *pattern = ms_imap_arg_astring(ms_imap_req_arg(req, 1));
    if (ref == NULL || pattern == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "LIST wants a reference and a mailbox pattern");
    req->mailbox = g_strdup(ref);
    req->mailbox2 = g_strdup(pattern);
    return TRUE;
}

static const char *const status_items[] = {
    "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
};

static gboolean check_status(MsImapServer *s, MsImapRequest *req)
{
    /* status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")" */
    if (!ms_imap_req_argc_is(s, req, 2) || !read_mailbox(s, req, 0, &req->mailbox))
        return FALSE;
    const MsImapArg *items = ms_imap_req_arg(req, 1);
    if (items->kind != MS_IMAP_ARG_LIST || items->list->len == 0)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "STATUS wants a list of items");
    for (guint i = 0; i < items->list->len; i++) {
        gboolean known = FALSE;
        for (gsize k = 0; k < G_N_ELEMENTS(status_items); k++)
            known |= ms_imap_arg_is_atom(items->list->items[i], status_items[k]);
        if (!known)
            return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Unknown STATUS item");
    }
    return TRUE;
}

static gboolean check_append(MsImapServer *s, MsImapRequest *req)
{
    /* append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal */
    guint n = ms_imap_req_argc(req);
    if (n < 2 || n > 4)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "APPEND wants a mailbox, [flags], [date-time] and a message");
    if (!read_mailbox(s, req, 0, &req->mailbox))
        return FALSE;
    req->message = ms_imap_req_arg(req, n - 1);
    if (req->message->kind != MS_IMAP_ARG_STRING || !req->message->literal)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "The message must be a literal");
    guint i = 1;
    const MsImapArg *a = ms_imap_req_arg(req, i);
    if (i < n - 1 && a->kind == MS_IMAP_ARG_LIST) {
        if (!ms_imap_parse_flags((const MsImapArg *const *) a->list->items, a->list->len,
                                 &req->flags))
            return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Invalid flag in APPEND");
        a = ms_imap_req_arg(req, ++i);
    }
    req->date = s->clock != NULL ? s->clock(s->user_data) : 0;
    if (i < n - 1) {
        if (a->kind != MS_IMAP_ARG_STRING || a->literal
            || !ms_imap_parse_date_time(a->data, &req->date))
            return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                                   "Invalid date-time (\"dd-Mon-yyyy hh:mm:ss +zzzz\")");
        i++;
    }
    if (i != n - 1)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Unexpected APPEND argument");
    return TRUE;
}

/* ---- SELECT and EXAMINE (6.3.1, 6.3.2) ------------------------------------------------ */

static void select_mailbox(MsImapServer *s, MsImapRequest *req, gboolean read_only)
{
    const char *verb = read_only ? "EXAMINE" : "SELECT";
    /* 6.3.1: SELECT first deselects; if it then fails no mailbox is
     * selected. */
    ms_imap_server_deselect(s);
    MsImapFolder *f = ms_imap_store_lookup(s->store, req->mailbox);
    if (f == NULL || !ms_imap_folder_selectable(f)) {
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "NONEXISTENT", "imap.resp.no.mailbox",
                         "No such mailbox");
        return;
    }
    s->folder_id = ms_imap_folder_id(f);
    s->read_only = read_only;
    guint recent = 0, first_unseen = 0;
    for (guint i = 0; i < ms_imap_folder_count(f); i++) {
        MsImapMsg *m = ms_imap_folder_msg(f, i);
        MsImapViewEntry e = { m->uid, m->flags, m->recent };
        /* 2.3.2: \Recent goes to the first session told of the message;
         * EXAMINE must not take it (6.3.2). */
        if (!read_only)
            m->recent = FALSE;
        recent += e.recent ? 1 : 0;
        if (first_unseen == 0 && (m->flags & MS_IMAP_FLAG_SEEN) == 0)
            first_unseen = i + 1;
        g_array_append_val(s->view, e);
    }
    /* 6.3.1's example, in its order. */
    ms_imap_server_untagged_uint(s, "imap.resp.exists", "", s->view->len, " EXISTS");
    ms_imap_server_untagged_uint(s, "imap.resp.recent", "", recent, " RECENT");
    if (first_unseen > 0) {
        MsImapWriter *w = &s->writer;
        ms_imap_writer_add(w, "* OK [UNSEEN ");
        ms_imap_writer_uint(w, first_unseen);
        ms_imap_writer_add(w, "] Message ");
        ms_imap_writer_uint(w, first_unseen);
        ms_imap_writer_add(w, " is first unseen");
        ms_imap_server_emit(s, w, "imap.resp.code.unseen");
    }
    ms_imap_server_untagged_uint(s, "imap.resp.code.uidvalidity", "OK [UIDVALIDITY ",
                                 ms_imap_folder_uidvalidity(f), "] UIDs valid");
    ms_imap_server_untagged_uint(s, "imap.resp.code.uidnext", "OK [UIDNEXT ",
                                 ms_imap_folder_uidnext(f), "] Predicted next UID");
    untagged_text(s, "imap.resp.flags", "FLAGS (" SYSTEM_FLAGS ")");
    if (read_only)
        untagged_text(s, "imap.resp.code.permanentflags",
                      "OK [PERMANENTFLAGS ()] No permanent flags permitted");
    else
        untagged_text(s, "imap.resp.code.permanentflags",
                      "OK [PERMANENTFLAGS (" SYSTEM_FLAGS ")] Limited");
    ms_imap_server_set_state(s, MS_IMAP_STATE_SELECTED);
    ms_imap_req_completed(req, MS_IMAP_STATUS_OK, read_only ? "READ-ONLY" : "READ-WRITE",
                          read_only ? "imap.resp.ok.examine" : "imap.resp.ok.select", verb);
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_SELECTED);
    ev->folder = g_strdup(ms_imap_folder_name(f));
    ev->read_only = read_only;
    ev->count = s->view->len;
    ev->recent = recent;
    ev->unseen = first_unseen;
    ev->uidvalidity = ms_imap_folder_uidvalidity(f);
    ev->uidnext = ms_imap_folder_uidnext(f);
    ms_imap_server_push_event(s, ev);
}

static void do_select(MsImapServer *s, MsImapRequest *req)
{
    select_mailbox(s, req, FALSE);
}

static void do_examine(MsImapServer *s, MsImapRequest *req)
{
    select_mailbox(s, req, TRUE);
}

/* ---- CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (6.3.3 - 6.3.7) --------------- */

static void store_result(MsImapRequest *req, MsImapStoreResult result)
{
    if (result == MS_IMAP_STORE_OK) {
        ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
        return;
    }
    const char *note = result == MS_IMAP_STORE_NONEXISTENT ? "imap.resp.no.mailbox"
                     : result == MS_IMAP_STORE_ALREADY_EXISTS ? "imap.resp.no.exists"
                     : "imap.resp.no";
    ms_imap_req_done(req, MS_IMAP_STATUS_NO, ms_imap_store_result_code(result), note, "%s",
                     ms_imap_store_result_text(result));
}

static void do_create(MsImapServer *s, MsImapRequest *req)
{
    store_result(req, ms_imap_store_create(s->store, req->mailbox));
}

static void do_delete(MsImapServer *s, MsImapRequest *req)
{
    store_result(req, ms_imap_store_delete(s->store, req->mailbox));
}

static void do_rename(MsImapServer *s, MsImapRequest *req)
{
    store_result(req, ms_imap_store_rename(s->store, req->mailbox, req->mailbox2));
}

static void do_subscribe(MsImapServer *s, MsImapRequest *req)
{
    store_result(req, ms_imap_store_subscribe(s->store, req->mailbox, TRUE));
}

static void do_unsubscribe(MsImapServer *s, MsImapRequest *req)
{
    store_result(req, ms_imap_store_subscribe(s->store, req->mailbox, FALSE));
}

/* ---- LIST and LSUB (6.3.8, 6.3.9) ---------------------------------------------------- */

static void list_line(MsImapServer *s, const char *verb, const char *attrs, const char *name)
{
    MsImapWriter w;
    ms_imap_writer_init(&w);
    ms_imap_writer_printf(&w, "* %s (%s) \"/\" ", verb, attrs);
    ms_imap_writer_astring(&w, name);
    ms_imap_server_emit(s, &w, strcmp(verb, "LIST") == 0 ? "imap.resp.list" : "imap.resp.lsub");
    ms_imap_writer_clear(&w);
}

static void do_list(MsImapServer *s, MsImapRequest *req)
{
    const char *ref = req->mailbox;
    if (req->mailbox2[0] == '\0') {
        /* 6.3.8: an empty pattern asks for the delimiter and the root name
         * of the reference. */
        const char *slash = strchr(ref, '/');
        g_autofree char *root = slash != NULL ? g_strndup(ref, (gsize) (slash - ref) + 1)
                                              : g_strdup("");
        list_line(s, "LIST", "\\Noselect", root);
    } else {
        /* The reference is a prefix of the pattern ("~/Mail/" + "%"). */
        g_autofree char *pattern = g_strconcat(ref, req->mailbox2, NULL);
        for (guint i = 0; i < ms_imap_store_n_folders(s->store); i++) {
            const MsImapFolder *f = ms_imap_store_folder_at(s->store, i);
            if (ms_imap_pattern_match(pattern, ms_imap_folder_name(f)))
                list_line(s, "LIST", ms_imap_folder_selectable(f) ? "" : "\\Noselect",
                          ms_imap_folder_name(f));
        }
    }
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "LIST completed");
}

static void do_lsub(MsImapServer *s, MsImapRequest *req)
{
    g_autofree char *pattern = g_strconcat(req->mailbox, req->mailbox2, NULL);
    const GPtrArray *subs = ms_imap_store_subscriptions(s->store);
    for (guint i = 0; i < subs->len; i++) {
        const char *name = g_ptr_array_index((GPtrArray *) subs, i);
        if (!ms_imap_pattern_match(pattern, name))
            continue;
        /* 6.3.9: a subscription outlives its mailbox; a name kept only for
         * its inferiors is \Noselect. */
        const MsImapFolder *f = ms_imap_store_lookup(s->store, name);
        list_line(s, "LSUB", f != NULL && !ms_imap_folder_selectable(f) ? "\\Noselect" : "", name);
    }
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "LSUB completed");
}

/* ---- STATUS (6.3.10) -------------------------------------------------------------------- */

static void do_status(MsImapServer *s, MsImapRequest *req)
{
    const MsImapFolder *f = ms_imap_store_lookup(s->store, req->mailbox);
    if (f == NULL || !ms_imap_folder_selectable(f)) {
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "NONEXISTENT", "imap.resp.no.mailbox",
                         "No such mailbox");
        return;
    }
    const MsImapArg *items = ms_imap_req_arg(req, 1);
    MsImapWriter w;
    ms_imap_writer_init(&w);
    ms_imap_writer_add(&w, "* STATUS ");
    ms_imap_writer_astring(&w, ms_imap_folder_name(f));
    ms_imap_writer_add(&w, " (");
    for (guint i = 0; i < items->list->len; i++) {
        const MsImapArg *a = items->list->items[i];
        guint32 v = 0;
        if (ms_imap_arg_is_atom(a, "MESSAGES"))
            v = ms_imap_folder_count(f);
        else if (ms_imap_arg_is_atom(a, "RECENT"))
            v = ms_imap_folder_count_recent(f);
        else if (ms_imap_arg_is_atom(a, "UIDNEXT"))
            v = ms_imap_folder_uidnext(f);
        else if (ms_imap_arg_is_atom(a, "UIDVALIDITY"))
            v = ms_imap_folder_uidvalidity(f);
        else
            v = ms_imap_folder_count_unseen(f);
        g_autofree char *upper = g_ascii_strup(a->data, -1);
        ms_imap_writer_printf(&w, "%s%s %u", i > 0 ? " " : "", upper, v);
    }
    ms_imap_writer_add(&w, ")");
    ms_imap_server_emit(s, &w, "imap.resp.status");
    ms_imap_writer_clear(&w);
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "STATUS completed");
}

/* ---- APPEND (6.3.11) --------------------------------------------------------------------- */

/* Why a message's octets are not message text, or NULL when they are.
 * RFC 5322 2.3: CR and LF occur only together, as CRLF; RFC 9051 4.3.1: a
 * string with a NUL is binary, which only a literal8 (BINARY, not offered)
 * carries.  Stored, such a message would reach readers broken: POP3's RETR
 * would send "Subject: x\r\r\n", IMAP a NUL inside a literal. */
static const char *not_message_text(const char *data, gsize len)
{
    if (memchr(data, '\0', len) != NULL)
        return "Message contains a NUL octet";
    for (const char *p = memchr(data, '\r', len); p != NULL;
         p = memchr(p + 1, '\r', len - (gsize) (p + 1 - data))) {
        if (p + 1 == data + len || p[1] != '\n')
            return "Message contains a bare CR, lines must end with CRLF";
    }
    for (const char *p = memchr(data, '\n', len); p != NULL;
         p = memchr(p + 1, '\n', len - (gsize) (p + 1 - data))) {
        if (p == data || p[-1] != '\r')
            return "Message contains a bare LF, lines must end with CRLF";
    }
    return NULL;
}

static void do_append(MsImapServer *s, MsImapRequest *req)
{
    MsImapFolder *f = ms_imap_store_lookup(s->store, req->mailbox);
    if (f == NULL || !ms_imap_folder_selectable(f)) {
        /* 6.3.11: the server must not create the mailbox; TRYCREATE says
         * the client may CREATE it and try again. */
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "TRYCREATE", "imap.resp.no.trycreate",
                         "No such mailbox");
        return;
    }
    if (req->message->len == 0) {
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, NULL, "imap.resp.no", "Empty message");
        return;
    }
    /* RFC 9051 6.3.12 lets the server refuse a message it cannot store as
     * given; PARSE (7.1) says the message itself is at fault. */
    const char *why = not_message_text(req->message->data, req->message->len);
    if (why != NULL) {
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "PARSE", "imap.resp.no.parse", "%s", why);
        return;
    }
    g_autoptr(GBytes) data = g_bytes_new(req->message->data, req->message->len);
    ms_imap_folder_append(s->store, f, data, req->flags, req->date);
    /* Appending to the selected mailbox shows as EXISTS before the OK (the
     * dispatcher's report). */
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "APPEND completed");
}

#define AUTH_OR_SELECTED (MS_IMAP_IN_AUTH | MS_IMAP_IN_SELECTED)

const MsImapCommand ms_imap_mailbox_commands[] = {
    { "SELECT", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_select },
    { "EXAMINE", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_examine },
    { "CREATE", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_create },
    { "DELETE", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_delete },
    { "RENAME", AUTH_OR_SELECTED, 0, FALSE, check_two_mailboxes, do_rename },
    { "SUBSCRIBE", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_subscribe },
    { "UNSUBSCRIBE", AUTH_OR_SELECTED, 0, FALSE, check_mailbox, do_unsubscribe },
    { "LIST", AUTH_OR_SELECTED, 0, FALSE, check_list, do_list },
    { "LSUB", AUTH_OR_SELECTED, 0, FALSE, check_list, do_lsub },
    { "STATUS", AUTH_OR_SELECTED, 0, FALSE, check_status, do_status },
    { "APPEND", AUTH_OR_SELECTED, 0, FALSE, check_append, do_append },
};

const gsize ms_imap_n_mailbox_commands = G_N_ELEMENTS(ms_imap_mailbox_commands);
