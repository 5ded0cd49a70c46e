/* imap_selected.c - the IMAP server's commands on the messages of the
 * selected mailbox (RFC 3501 6.4): CHECK, CLOSE, UNSELECT (RFC 3691),
 * EXPUNGE, SEARCH, FETCH, STORE, COPY, MOVE (RFC 6851), and their UID
 * forms (6.4.8).
 *
 * Messages are named by sequence number - their position in this session's
 * list, which shifts down at every EXPUNGE it reports - or, in the UID
 * forms, by UID, which never changes.  A message another session expunged
 * stays in this session's list until the EXPUNGE is reported, and answers
 * FETCH and STORE with NO meanwhile (RFC 2180 4.1).
 */
#include "imap-private.h"

#include <string.h>

/* ---- Sets of messages -------------------------------------------------------------- */

static MsImapViewEntry *entry_at(MsImapServer *s, guint i)
{
    return &g_array_index(s->view, MsImapViewEntry, i);
}

/* Whether the i-th message of the session's list is in the request's set. */
static gboolean in_set(MsImapServer *s, const MsImapRequest *req, guint i)
{
    if (req->uid) {
        /* 6.4.8: "*" is the largest UID in use. */
        guint32 max = s->view->len > 0 ? entry_at(s, s->view->len - 1)->uid : 0;
        return ms_imap_seqset_contains(req->set, entry_at(s, i)->uid, max);
    }
    return ms_imap_seqset_contains(req->set, i + 1, s->view->len);
}

/* The store's message behind the i-th entry, or NULL if expunged. */
static MsImapMsg *message_of(MsImapServer *s, guint i, gint *index_out)
{
    MsImapFolder *f = ms_imap_server_folder(s);
    gint idx = f != NULL ? ms_imap_folder_find(f, entry_at(s, i)->uid) : -1;
    if (index_out != NULL)
        *index_out = idx;
    return idx >= 0 ? ms_imap_folder_msg(f, (guint) idx) : NULL;
}

static gboolean read_set(MsImapServer *s, MsImapRequest *req, guint index)
{
    const MsImapArg *a = ms_imap_req_arg(req, index);
    req->set = a != NULL && a->kind == MS_IMAP_ARG_ATOM ? ms_imap_seqset_parse(a->data) : NULL;
    if (req->set == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Invalid sequence set");
    /* RFC 3501 section 9 (seq-number): a sequence number above the number
     * of messages is an error; a UID that does not exist is not (6.4.8). */
    guint n = s->view->len;
    if (!req->uid && (n == 0 || ms_imap_seqset_max(req->set, n) > n))
        return ms_imap_req_bad(s, req, "imap.resp.bad.seqset",
                               n == 0 ? "No messages in the mailbox"
                                      : "Invalid message sequence number");
    return TRUE;
}

static gboolean writable(MsImapServer *s, MsImapRequest *req)
{
    if (!s->read_only)
        return TRUE;
    ms_imap_req_done(req, MS_IMAP_STATUS_NO, "READ-ONLY", "imap.resp.no.readonly",
                     "Mailbox is read-only (EXAMINE)");
    return FALSE;
}

static void gone(MsImapRequest *req)
{
    /* RFC 2180 4.1.2: NO for messages expunged by another session. */
    ms_imap_req_done(req, MS_IMAP_STATUS_NO, NULL, "imap.resp.no",
                     "Some of the requested messages no longer exist");
}

/* ---- CHECK, CLOSE, UNSELECT, EXPUNGE (6.4.1 - 6.4.3, RFC 3691) ---------------------- */

static gboolean check_none(MsImapServer *s, MsImapRequest *req)
{
    return ms_imap_req_argc_is(s, req, 0);
}

static void do_check(MsImapServer *s, MsImapRequest *req)
{
    (void) s;
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "CHECK completed");
}

/* Removes every \Deleted message of the selected mailbox from the store. */
static void remove_deleted(MsImapServer *s)
{
    MsImapFolder *f = ms_imap_server_folder(s);
    for (guint i = 0; f != NULL && i < ms_imap_folder_count(f);) {
        if ((ms_imap_folder_msg(f, i)->flags & MS_IMAP_FLAG_DELETED) != 0)
            ms_imap_folder_remove(s->store, f, i);
        else
            i++;
    }
}

static void do_close(MsImapServer *s, MsImapRequest *req)
{
    /* 6.4.2: \Deleted messages are removed, silently (no EXPUNGE), unless
     * the mailbox was opened with EXAMINE. */
    if (!s->read_only)
        remove_deleted(s);
    ms_imap_server_deselect(s);
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "CLOSE completed");
}

static void do_unselect(MsImapServer *s, MsImapRequest *req)
{
    /* RFC 3691: like CLOSE, but nothing is expunged. */
    ms_imap_server_deselect(s);
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "UNSELECT completed");
}

static void do_expunge(MsImapServer *s, MsImapRequest *req)
{
    if (!writable(s, req))
        return;
    /* 6.4.3: the dispatcher's report sends one EXPUNGE per message. */
    remove_deleted(s);
    ms_imap_req_done(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", "EXPUNGE completed");
}

/* ---- SEARCH (6.4.4) ---------------------------------------------------------------------- */

static gboolean check_search(MsImapServer *s, MsImapRequest *req)
{
    guint from = 0;
    /* search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key) */
    if (ms_imap_arg_is_atom(ms_imap_req_arg(req, 0), "CHARSET")) {
        const char *charset = ms_imap_arg_astring(ms_imap_req_arg(req, 1));
        if (charset == NULL)
            return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "CHARSET wants a name");
        req->mailbox = g_strdup(charset);
        from = 2;
    }
    const char *error = NULL;
    req->search = ms_imap_search_parse(req->line, req->argi + from, &error);
    if (req->search == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", error);
    req->no_expunge = !req->uid;
    return TRUE;
}

static void do_search(MsImapServer *s, MsImapRequest *req)
{
    if (req->mailbox != NULL && !ms_imap_ascii_caseeq(req->mailbox, "US-ASCII")
        && !ms_imap_ascii_caseeq(req->mailbox, "UTF-8")) {
        /* 6.4.4 / 7.1: an unsupported charset is NO [BADCHARSET (...)]. */
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "BADCHARSET (US-ASCII UTF-8)", "imap.resp.no",
                         "Unsupported charset");
        return;
    }
    GString *line = g_string_new("SEARCH");
    guint32 max_uid = s->view->len > 0 ? entry_at(s, s->view->len - 1)->uid : 0;
    for (guint i = 0; i < s->view->len; i++) {
        MsImapMsg *m = message_of(s, i, NULL);
        if (m == NULL)
            continue;
        MsImapSearchCtx ctx = {
            .msg = m, .seq = i + 1, .recent = entry_at(s, i)->recent,
            .max_seq = s->view->len, .max_uid = max_uid,
        };
        if (ms_imap_search_matches(req->search, &ctx)) {
            /* A number a message found, without printf. */
            char digits[MS_PROTO_UINT_MAX_LEN];
            gsize n = ms_proto_format_uint(digits, req->uid ? m->uid : i + 1);
            g_string_append_c(line, ' ');
            g_string_append_len(line, digits, (gssize) n);
        }
        ms_message_free(ctx.parsed);
    }
    /* 7.2.5: "* SEARCH" alone when nothing matched. */
    ms_imap_server_untagged(s, "imap.resp.search", "%s", line->str);
    g_string_free(line, TRUE);
    ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
}

/* ---- FETCH (6.4.5) ------------------------------------------------------------------------ */

static gboolean check_fetch(MsImapServer *s, MsImapRequest *req)
{
    if (!ms_imap_req_argc_is(s, req, 2) || !read_set(s, req, 0))
        return FALSE;
    const char *error = NULL;
    req->fetch = ms_imap_fetch_parse(ms_imap_req_arg(req, 1), req->uid, &error);
    if (req->fetch == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", error);
    /* 7.4.1: no EXPUNGE while answering FETCH (the UID form may). */
    req->no_expunge = !req->uid;
    return TRUE;
}

static void do_fetch(MsImapServer *s, MsImapRequest *req)
{
    MsImapFolder *f = ms_imap_server_folder(s);
    gboolean missing = FALSE;
    for (guint i = 0; i < s->view->len; i++) {
        if (!in_set(s, req, i))
            continue;
        gint idx = -1;
        MsImapMsg *m = message_of(s, i, &idx);
        if (m == NULL) {
            missing = TRUE;
            continue;
        }
        MsImapViewEntry *e = entry_at(s, i);
        gboolean changed = FALSE;
        /* 6.4.5: BODY[...] without .PEEK sets \Seen - not in a read-only
         * mailbox. */
        if (ms_imap_fetch_sets_seen(req->fetch) && !s->read_only
            && (m->flags & MS_IMAP_FLAG_SEEN) == 0) {
            ms_imap_folder_set_flags(s->store, f, (guint) idx, m->flags | MS_IMAP_FLAG_SEEN);
            changed = TRUE;
        }
        if (changed || ms_imap_fetch_has_flags(req->fetch))
            e->flags = m->flags;
        ms_imap_fetch_write(req->fetch, &s->writer, i + 1, m, e->recent, changed);
        ms_imap_server_emit(s, &s->writer, "imap.resp.fetch");
    }
    if (missing)
        gone(req);
    else
        ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
}

/* ---- STORE (6.4.6) ------------------------------------------------------------------------ */

static gboolean check_store(MsImapServer *s, MsImapRequest *req)
{
    /* store = "STORE" SP sequence-set SP store-att-flags
     * store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
     *                   (flag-list / (flag *(SP flag))) */
    guint n = ms_imap_req_argc(req);
    if (n < 3)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "STORE wants messages, an item and flags");
    if (!read_set(s, req, 0))
        return FALSE;
    const MsImapArg *item = ms_imap_req_arg(req, 1);
    const char *p = item->kind == MS_IMAP_ARG_ATOM ? item->data : "";
    req->mode = *p == '+' ? 1 : *p == '-' ? -1 : 0;
    if (req->mode != 0)
        p++;
    if (ms_imap_ascii_caseeq(p, "FLAGS.SILENT"))
        req->silent = TRUE;
    else if (!ms_imap_ascii_caseeq(p, "FLAGS"))
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "STORE item must be FLAGS, +FLAGS or -FLAGS [.SILENT]");
    const MsImapArg *first = ms_imap_req_arg(req, 2);
    gboolean ok = first->kind == MS_IMAP_ARG_LIST && n == 3
        ? ms_imap_parse_flags((const MsImapArg *const *) first->list->items, first->list->len,
                              &req->flags)
        : ms_imap_parse_flags((const MsImapArg *const *) req->line->args->items + req->argi + 2,
                              n - 2, &req->flags);
    if (!ok)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax",
                               "Invalid flag (\\Recent cannot be stored)");
    req->no_expunge = !req->uid;
    return TRUE;
}

static void do_store(MsImapServer *s, MsImapRequest *req)
{
    if (!writable(s, req))
        return;
    MsImapFolder *f = ms_imap_server_folder(s);
    gboolean missing = FALSE;
    for (guint i = 0; i < s->view->len; i++) {
        if (!in_set(s, req, i))
            continue;
        gint idx = -1;
        MsImapMsg *m = message_of(s, i, &idx);
        if (m == NULL) {
            missing = TRUE;
            continue;
        }
        guint flags = req->mode == 0 ? req->flags
                    : req->mode > 0 ? m->flags | req->flags
                    : m->flags & ~req->flags;
        ms_imap_folder_set_flags(s->store, f, (guint) idx, flags);
        MsImapViewEntry *e = entry_at(s, i);
        e->flags = m->flags;
        /* 6.4.6: the new flags come back unless .SILENT; the UID form adds
         * the UID (6.4.8). */
        if (req->silent)
            continue;
        g_autofree char *text = ms_imap_flags_to_string(m->flags, e->recent);
        if (req->uid)
            ms_imap_server_untagged(s, "imap.resp.fetch", "%u FETCH (UID %u FLAGS (%s))", i + 1,
                                    m->uid, text);
        else
            ms_imap_server_untagged(s, "imap.resp.fetch", "%u FETCH (FLAGS (%s))", i + 1, text);
    }
    if (missing)
        gone(req);
    else
        ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
}

/* ---- COPY and MOVE (6.4.7, RFC 6851) ----------------------------------------------------- */

static gboolean check_copy(MsImapServer *s, MsImapRequest *req)
{
    if (!ms_imap_req_argc_is(s, req, 2) || !read_set(s, req, 0))
        return FALSE;
    const char *name = ms_imap_arg_astring(ms_imap_req_arg(req, 1));
    if (name == NULL)
        return ms_imap_req_bad(s, req, "imap.resp.bad.syntax", "Invalid mailbox name");
    req->mailbox = ms_imap_mailbox_normalize(name);
    return TRUE;
}

/* Copies the messages in the set to the target; returns the UIDs copied
 * (transfer full) or NULL after setting the NO. */
static GArray *copy_messages(MsImapServer *s, MsImapRequest *req)
{
    MsImapFolder *target = ms_imap_store_lookup(s->store, req->mailbox);
    if (target == NULL || !ms_imap_folder_selectable(target)) {
        /* 6.4.7: no automatic creation; TRYCREATE hints at CREATE. */
        ms_imap_req_done(req, MS_IMAP_STATUS_NO, "TRYCREATE", "imap.resp.no.trycreate",
                         "No such mailbox");
        return NULL;
    }
    g_autoptr(GPtrArray) msgs = g_ptr_array_new();
    GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint i = 0; i < s->view->len; i++) {
        if (!in_set(s, req, i))
            continue;
        MsImapMsg *m = message_of(s, i, NULL);
        if (m == NULL) {
            /* RFC 2180 4.4.1: copy nothing when some are gone. */
            gone(req);
            g_array_unref(uids);
            return NULL;
        }
        g_ptr_array_add(msgs, m);
        g_array_append_val(uids, m->uid);
    }
    /* 6.4.7: flags and internal date are kept; the copy is \Recent. */
    for (guint i = 0; i < msgs->len; i++) {
        MsImapMsg *m = g_ptr_array_index(msgs, i);
        ms_imap_folder_append(s->store, target, m->data, m->flags, m->internal_date);
    }
    return uids;
}

static void do_copy(MsImapServer *s, MsImapRequest *req)
{
    g_autoptr(GArray) uids = copy_messages(s, req);
    if (uids != NULL)
        ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
}

static void do_move(MsImapServer *s, MsImapRequest *req)
{
    /* RFC 6851 3.3: MOVE expunges, so a read-only mailbox refuses it. */
    if (!writable(s, req))
        return;
    g_autoptr(GArray) uids = copy_messages(s, req);
    if (uids == NULL)
        return;
    MsImapFolder *f = ms_imap_server_folder(s);
    for (guint i = 0; f != NULL && i < uids->len; i++) {
        gint idx = ms_imap_folder_find(f, g_array_index(uids, guint32, i));
        if (idx >= 0)
            ms_imap_folder_remove(s->store, f, (guint) idx);
    }
    /* RFC 6851 3.3: an EXPUNGE per moved message before the tagged OK - the
     * dispatcher's report. */
    ms_imap_req_completed(req, MS_IMAP_STATUS_OK, NULL, "imap.resp.ok", req->verb);
}

#define SEL MS_IMAP_IN_SELECTED

const MsImapCommand ms_imap_selected_commands[] = {
    { "CHECK", SEL, 0, FALSE, check_none, do_check },
    { "CLOSE", SEL, 0, FALSE, check_none, do_close },
    { "UNSELECT", SEL, MS_IMAP_EXT_UNSELECT, FALSE, check_none, do_unselect },
    { "EXPUNGE", SEL, 0, FALSE, check_none, do_expunge },
    { "SEARCH", SEL, 0, FALSE, check_search, do_search },
    { "FETCH", SEL, 0, FALSE, check_fetch, do_fetch },
    { "STORE", SEL, 0, FALSE, check_store, do_store },
    { "COPY", SEL, 0, FALSE, check_copy, do_copy },
    { "MOVE", SEL, MS_IMAP_EXT_MOVE, FALSE, check_copy, do_move },
    /* 6.4.8: UIDPLUS's UID EXPUNGE is not offered. */
    { "SEARCH", SEL, 0, TRUE, check_search, do_search },
    { "FETCH", SEL, 0, TRUE, check_fetch, do_fetch },
    { "STORE", SEL, 0, TRUE, check_store, do_store },
    { "COPY", SEL, 0, TRUE, check_copy, do_copy },
    { "MOVE", SEL, MS_IMAP_EXT_MOVE, TRUE, check_copy, do_move },
};

const gsize ms_imap_n_selected_commands = G_N_ELEMENTS(ms_imap_selected_commands);
