/* imap_client_read.c - what the IMAP client learns from the server's
 * untagged responses (RFC 3501 7): the capabilities, the selected
 * mailbox's counts and codes (EXISTS, RECENT, UIDVALIDITY, UIDNEXT,
 * UNSEEN), FETCH data (messages and flag changes), EXPUNGE, SEARCH, LIST
 * and STATUS.  They may come at any time, not only as the answer to the
 * command under way; imap_client.c runs the script around them.
 */
#include "imap-private.h"

#include <string.h>

#define EXT_(e, bit, name) { bit, name },
static const struct {
    guint bit;
    const char *name;
} extensions[] = { MS_IMAP_EXTENSIONS(EXT_) };
#undef EXT_


/* The MS_IMAP_EXT_* bit of a capability of len octets, 0 for others. */
static guint capability_bit(const char *word, gsize len)
{
    for (gsize k = 0; k < G_N_ELEMENTS(extensions); k++) {
        const char *name = extensions[k].name;
        if (strlen(name) == len && ms_proto_ascii_caseeq(word, name, len))
            return extensions[k].bit;
    }
    return 0;
}

static void read_capabilities(MsImapClient *c, const char *const *words, guint n)
{
    c->caps_known = TRUE;
    c->ext = 0;
    for (guint i = 0; i < n; i++)
        c->ext |= capability_bit(words[i], strlen(words[i]));
}

/* The same from the words of a text, one space between each. */
static void read_capability_text(MsImapClient *c, const char *text)
{
    c->caps_known = TRUE;
    c->ext = 0;
    for (const char *p = text;;) {
        gsize len = strcspn(p, " ");
        c->ext |= capability_bit(p, len);
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
}

/* Whether the first n octets of a code, its first word, are word in any
 * case. */
static gboolean code_is(const char *code, gsize n, const char *word)
{
    return strlen(word) == n && ms_proto_ascii_caseeq(code, word, n);
}

/* resp-text-code (RFC 3501 7.1) of an untagged OK: what SELECT says.  The
 * code's first word is compared in place, in any case. */
void ms_imap_client_read_code(MsImapClient *c, const char *code)
{
    if (code == NULL)
        return;
    gsize n = strcspn(code, " ");
    const char *arg = code[n] == ' ' ? code + n + 1 : NULL;
    guint64 v = 0;
    gboolean number = arg != NULL && ms_proto_parse_uint(arg, G_MAXUINT32, &v);
    if (code_is(code, n, "CAPABILITY")) {
        read_capability_text(c, arg != NULL ? arg : "");
    } else if (code_is(code, n, "UIDVALIDITY") && number) {
        c->uidvalidity = (guint32) v;
    } else if (code_is(code, n, "UIDNEXT") && number) {
        c->uidnext = (guint32) v;
    } else if (code_is(code, n, "UNSEEN") && number) {
        c->unseen = (guint) v;
    } else if (code_is(code, n, "READ-ONLY")) {
        c->read_only = TRUE;
    }
}

static gboolean selecting(const MsImapClient *c)
{
    return c->op != NULL && (c->op->kind == MS_IMAP_OP_SELECT || c->op->kind == MS_IMAP_OP_EXAMINE);
}

static guint read_flags(const MsImapArg *list)
{
    guint flags = 0;
    for (guint i = 0; list != NULL && list->kind == MS_IMAP_ARG_LIST && i < list->list->len; i++) {
        const MsImapArg *a = list->list->items[i];
        if (a->kind == MS_IMAP_ARG_ATOM)
            flags |= ms_imap_flag_from_name(a->data);
    }
    return flags;
}

/*   message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
 *   msg-att      = "(" (msg-att-dynamic / msg-att-static)
 *                  *(SP (msg-att-dynamic / msg-att-static)) ")" */
static void on_fetch(MsImapClient *c, guint32 seq, const MsImapArg *att)
{
    if (att == NULL || att->kind != MS_IMAP_ARG_LIST || att->list->len % 2 != 0) {
        ms_imap_client_push_error(c, "malformed FETCH response");
        return;
    }
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_FLAGS);
    gboolean has_flags = FALSE, body = FALSE;
    ev->seq = seq;
    for (guint i = 0; i + 1 < att->list->len; i += 2) {
        const MsImapArg *name = att->list->items[i];
        const MsImapArg *value = att->list->items[i + 1];
        if (name->kind != MS_IMAP_ARG_ATOM)
            continue;
        /* The first octet tells which names are worth comparing whole; the
         * order of the tests is as without it. */
        char first = g_ascii_toupper(name->data[0]);
        guint32 n = 0;
        if (first == 'U' && ms_imap_ascii_caseeq(name->data, "UID")
            && ms_imap_arg_number(value, &n)) {
            ev->uid = n;
        } else if (first == 'F' && ms_imap_ascii_caseeq(name->data, "FLAGS")) {
            ev->flags = read_flags(value);
            has_flags = TRUE;
        } else if (first == 'R' && ms_imap_ascii_caseeq(name->data, "RFC822.SIZE")
                   && ms_imap_arg_number(value, &n)) {
            ev->size = n;
        } else if (first == 'I' && ms_imap_ascii_caseeq(name->data, "INTERNALDATE")
                   && value->kind == MS_IMAP_ARG_STRING) {
            ms_imap_parse_date_time(value->data, &ev->internal_date);
        } else if ((first == 'B' && ms_proto_ascii_caseeq(name->data, "BODY[", 5))
                   || (first == 'R' && ms_proto_ascii_caseeq(name->data, "RFC822", 6))) {
            body = TRUE;
            ev->header_only = ms_imap_ascii_caseeq(name->data, "BODY[HEADER]")
                              || ms_imap_ascii_caseeq(name->data, "RFC822.HEADER");
            if (value->kind == MS_IMAP_ARG_STRING)
                ev->data = g_bytes_new(value->data, value->len);
        }
    }
    if (body) {
        /* RFC 3501 6.4.8: "n:*" names the highest UID even when it is below
         * n, so a UID FETCH of new mail can return an old message. */
        if (c->op != NULL && c->op->kind == MS_IMAP_OP_FETCH_NEW && ev->uid != 0
            && ev->uid < c->since) {
            ms_imap_event_free(ev);
            return;
        }
        if (c->op != NULL && c->op->kind == MS_IMAP_OP_FETCH_NEW)
            c->max_uid = MAX(c->max_uid, ev->uid);
        ev->kind = MS_IMAP_EVENT_MESSAGE;
        ms_imap_client_push_event(c, ev);
    } else if (has_flags) {
        ms_imap_client_push_event(c, ev);
    } else {
        ms_imap_event_free(ev);
    }
}

static void on_numbered(MsImapClient *c, guint32 n, const char *what, const MsImapLine *line)
{
    if (ms_imap_ascii_caseeq(what, "EXISTS")) {
        /* 7.3.1: the new number of messages.  SELECT's is the start. */
        if (!selecting(c) && n > c->exists) {
            MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_EXISTS);
            ev->count = n;
            ev->idling = c->state == MS_IMAP_CLIENT_IDLING;
            ms_imap_client_push_event(c, ev);
            c->grew = TRUE;
        }
        c->exists = n;
    } else if (ms_imap_ascii_caseeq(what, "RECENT")) {
        c->recent = n;
    } else if (ms_imap_ascii_caseeq(what, "EXPUNGE")) {
        /* 7.4.1: the messages above n move down by one. */
        if (c->exists > 0)
            c->exists--;
        MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_EXPUNGE);
        ev->seq = n;
        ms_imap_client_push_event(c, ev);
    } else if (ms_imap_ascii_caseeq(what, "FETCH")) {
        on_fetch(c, n, ms_imap_line_arg(line, 3));
    }
}

static void on_status(MsImapClient *c, const MsImapLine *line)
{
    const char *name = ms_imap_arg_astring(ms_imap_line_arg(line, 2));
    const MsImapArg *items = ms_imap_line_arg(line, 3);
    if (name == NULL || items == NULL || items->kind != MS_IMAP_ARG_LIST) {
        ms_imap_client_push_error(c, "malformed STATUS response");
        return;
    }
    MsImapEvent *ev = ms_imap_event_new(MS_IMAP_EVENT_STATUS);
    ev->folder = g_strdup(name);
    for (guint i = 0; i + 1 < items->list->len; i += 2) {
        const MsImapArg *item = items->list->items[i];
        guint32 v = 0;
        if (!ms_imap_arg_number(items->list->items[i + 1], &v))
            continue;
        if (ms_imap_arg_is_atom(item, "MESSAGES"))
            ev->count = v;
        else if (ms_imap_arg_is_atom(item, "RECENT"))
            ev->recent = v;
        else if (ms_imap_arg_is_atom(item, "UIDNEXT"))
            ev->uidnext = v;
        else if (ms_imap_arg_is_atom(item, "UIDVALIDITY"))
            ev->uidvalidity = v;
        else if (ms_imap_arg_is_atom(item, "UNSEEN"))
            ev->unseen = v;
    }
    ms_imap_client_push_event(c, ev);
}

void ms_imap_client_read_untagged(MsImapClient *c, const MsImapLine *line)
{
    const MsImapArg *second = ms_imap_line_arg(line, 1);
    if (second == NULL || second->kind != MS_IMAP_ARG_ATOM) {
        ms_imap_client_push_error(c, "malformed untagged response");
        return;
    }
    guint32 n = 0;
    const MsImapArg *third = ms_imap_line_arg(line, 2);
    if (ms_imap_arg_number(second, &n) && third != NULL && third->kind == MS_IMAP_ARG_ATOM) {
        on_numbered(c, n, third->data, line);
        return;
    }
    const char *word = second->data;
    if (line->has_text) {
        ms_imap_client_read_code(c, line->code);
        if (ms_imap_ascii_caseeq(word, "BYE") && c->phase != MS_IMAP_STATE_LOGOUT) {
            /* 7.1.5: the server is closing on its own. */
            ms_imap_client_push_error(c, line->text);
            ms_imap_client_set_state(c, MS_IMAP_CLIENT_DONE);
            ms_imap_client_push_event(c, ms_imap_event_new(MS_IMAP_EVENT_CLOSE));
        }
        return;
    }
    if (ms_imap_ascii_caseeq(word, "CAPABILITY")) {
        g_autoptr(GPtrArray) words = g_ptr_array_new();
        for (guint i = 2; i < line->args->len; i++) {
            const MsImapArg *a = ms_imap_line_arg(line, i);
            if (a->kind == MS_IMAP_ARG_ATOM)
                g_ptr_array_add(words, a->data);
        }
        read_capabilities(c, (const char *const *) words->pdata, words->len);
    } else if (ms_imap_ascii_caseeq(word, "SEARCH")) {
        for (guint i = 2; i < line->args->len; i++) {
            if (ms_imap_arg_number(ms_imap_line_arg(line, i), &n))
                g_array_append_val(c->numbers, n);
        }
    } else if (ms_imap_ascii_caseeq(word, "LIST") || ms_imap_ascii_caseeq(word, "LSUB")) {
        /* mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR
         *                DQUOTE / nil) SP mailbox */
        const char *name = ms_imap_arg_astring(ms_imap_line_arg(line, 4));
        if (name != NULL)
            g_ptr_array_add(c->names, g_strdup(name));
        else
            ms_imap_client_push_error(c, "malformed LIST response");
    } else if (ms_imap_ascii_caseeq(word, "STATUS")) {
        on_status(c, line);
    }
    /* FLAGS and anything unknown: nothing to do. */
}
