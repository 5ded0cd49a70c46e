/* imap_search.c - SEARCH criteria (RFC 3501 6.4.4): parsed into a tree of
 * keys - flags, header and body text, dates, sizes, sequence and UID sets,
 * NOT, OR and parenthesised groups (an implicit AND) - and matched against
 * one message at a time.
 *
 * Text matches are case-insensitive substring matches on the octets, as
 * the RFC asks; header matches look at the unfolded field values and at
 * their RFC 2047-decoded form.
 */
#include "imap-private.h"

#include <string.h>

typedef enum {
    KEY_ALL, KEY_AND, KEY_OR, KEY_NOT,
    KEY_FLAG_SET, KEY_FLAG_UNSET, KEY_RECENT, KEY_NEW, KEY_OLD,
    KEY_KEYWORD, KEY_UNKEYWORD,
    KEY_HEADER, KEY_BODY, KEY_TEXT,
    KEY_BEFORE, KEY_ON, KEY_SINCE, KEY_SENTBEFORE, KEY_SENTON, KEY_SENTSINCE,
    KEY_LARGER, KEY_SMALLER,
    KEY_SEQSET, KEY_UIDSET,
} KeyKind;

typedef struct Key {
    KeyKind kind;
    guint flag;
    char *field;        /* HEADER and the address / subject keys */
    char *text;
    gint64 days;
    guint64 size;
    GArray *set;        /* MsImapRange */
    GPtrArray *kids;    /* struct Key* */
} Key;

struct MsImapSearch {
    Key *root;
};

static void key_free(gpointer p)
{
    Key *k = p;
    if (k == NULL)
        return;
    g_free(k->field);
    g_free(k->text);
    if (k->set != NULL)
        g_array_unref(k->set);
    if (k->kids != NULL)
        g_ptr_array_unref(k->kids);
    g_free(k);
}

void ms_imap_search_free(MsImapSearch *search)
{
    if (search == NULL)
        return;
    key_free(search->root);
    g_free(search);
}

static Key *key_new(KeyKind kind)
{
    Key *k = g_new0(Key, 1);
    k->kind = kind;
    return k;
}

/* ---- Parsing ------------------------------------------------------------------------ */

typedef struct {
    const MsImapArgs *args; /* a line's or a list's */
    guint pos;
    const char *error;
} Cursor;

static const MsImapArg *next_arg(Cursor *c)
{
    return c->pos < c->args->len ? c->args->items[c->pos++] : NULL;
}

static Key *parse_key(Cursor *c, guint depth);

static const char *take_astring(Cursor *c)
{
    const char *s = ms_imap_arg_astring(next_arg(c));
    if (s == NULL)
        c->error = "Missing or invalid string in SEARCH";
    return s;
}

static gboolean take_date(Cursor *c, gint64 *days_out)
{
    const char *s = ms_imap_arg_astring(next_arg(c));
    if (s == NULL || !ms_imap_parse_date(s, days_out)) {
        c->error = "Invalid date in SEARCH (expected d-Mon-yyyy)";
        return FALSE;
    }
    return TRUE;
}

/* The keys of a group (a list, or the whole command): an implicit AND. */
static Key *parse_group(const MsImapArgs *args, guint from, guint depth, const char **error_out)
{
    Cursor c = { args, from, NULL };
    Key *and = key_new(KEY_AND);
    and->kids = g_ptr_array_new_with_free_func(key_free);
    while (c.pos < args->len) {
        Key *k = parse_key(&c, depth + 1);
        if (k == NULL) {
            *error_out = c.error;
            key_free(and);
            return NULL;
        }
        g_ptr_array_add(and->kids, k);
    }
    if (and->kids->len == 0) {
        *error_out = "Missing SEARCH criteria";
        key_free(and);
        return NULL;
    }
    return and;
}

static const struct {
    const char *word;
    KeyKind kind;
    guint flag;
} flag_keys[] = {
    { "ALL", KEY_ALL, 0 },
    { "ANSWERED", KEY_FLAG_SET, MS_IMAP_FLAG_ANSWERED },
    { "DELETED", KEY_FLAG_SET, MS_IMAP_FLAG_DELETED },
    { "DRAFT", KEY_FLAG_SET, MS_IMAP_FLAG_DRAFT },
    { "FLAGGED", KEY_FLAG_SET, MS_IMAP_FLAG_FLAGGED },
    { "SEEN", KEY_FLAG_SET, MS_IMAP_FLAG_SEEN },
    { "UNANSWERED", KEY_FLAG_UNSET, MS_IMAP_FLAG_ANSWERED },
    { "UNDELETED", KEY_FLAG_UNSET, MS_IMAP_FLAG_DELETED },
    { "UNDRAFT", KEY_FLAG_UNSET, MS_IMAP_FLAG_DRAFT },
    { "UNFLAGGED", KEY_FLAG_UNSET, MS_IMAP_FLAG_FLAGGED },
    { "UNSEEN", KEY_FLAG_UNSET, MS_IMAP_FLAG_SEEN },
    { "RECENT", KEY_RECENT, 0 },
    { "NEW", KEY_NEW, 0 },
    { "OLD", KEY_OLD, 0 },
};

static const struct {
    const char *word;
    KeyKind kind;
} date_keys[] = {
    { "BEFORE", KEY_BEFORE }, { "ON", KEY_ON }, { "SINCE", KEY_SINCE },
    { "SENTBEFORE", KEY_SENTBEFORE }, { "SENTON", KEY_SENTON }, { "SENTSINCE", KEY_SENTSINCE },
};

/* search-key, RFC 3501 section 9 (see 6.4.4 for what each means). */
static Key *parse_key(Cursor *c, guint depth)
{
    const MsImapArg *arg = next_arg(c);
    if (depth > MS_IMAP_NESTING_MAX) {
        c->error = "SEARCH criteria nested too deeply";
        return NULL;
    }
    if (arg != NULL && arg->kind == MS_IMAP_ARG_LIST) {
        const char *error = NULL;
        Key *k = parse_group(arg->list, 0, depth, &error);
        if (k == NULL)
            c->error = error;
        return k;
    }
    if (arg == NULL || arg->kind != MS_IMAP_ARG_ATOM) {
        c->error = "Invalid SEARCH key";
        return NULL;
    }
    const char *w = arg->data;
    for (gsize i = 0; i < G_N_ELEMENTS(flag_keys); i++) {
        if (ms_imap_ascii_caseeq(w, flag_keys[i].word)) {
            Key *k = key_new(flag_keys[i].kind);
            k->flag = flag_keys[i].flag;
            return k;
        }
    }
    for (gsize i = 0; i < G_N_ELEMENTS(date_keys); i++) {
        if (ms_imap_ascii_caseeq(w, date_keys[i].word)) {
            Key *k = key_new(date_keys[i].kind);
            if (!take_date(c, &k->days)) {
                key_free(k);
                return NULL;
            }
            return k;
        }
    }
    static const char *const header_keys[] = { "FROM", "TO", "CC", "BCC", "SUBJECT" };
    for (gsize i = 0; i < G_N_ELEMENTS(header_keys); i++) {
        if (!ms_imap_ascii_caseeq(w, header_keys[i]))
            continue;
        const char *s = take_astring(c);
        if (s == NULL)
            return NULL;
        Key *k = key_new(KEY_HEADER);
        k->field = g_strdup(header_keys[i]);
        k->text = g_strdup(s);
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "HEADER")) {
        const char *name = take_astring(c);
        const char *s = name != NULL ? take_astring(c) : NULL;
        if (s == NULL)
            return NULL;
        Key *k = key_new(KEY_HEADER);
        k->field = g_strdup(name);
        k->text = g_strdup(s);
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "BODY") || ms_imap_ascii_caseeq(w, "TEXT")) {
        const char *s = take_astring(c);
        if (s == NULL)
            return NULL;
        Key *k = key_new(ms_imap_ascii_caseeq(w, "BODY") ? KEY_BODY : KEY_TEXT);
        k->text = g_strdup(s);
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "KEYWORD") || ms_imap_ascii_caseeq(w, "UNKEYWORD")) {
        const MsImapArg *kw = next_arg(c);
        if (kw == NULL || kw->kind != MS_IMAP_ARG_ATOM) {
            c->error = "Missing keyword in SEARCH";
            return NULL;
        }
        return key_new(ms_imap_ascii_caseeq(w, "KEYWORD") ? KEY_KEYWORD : KEY_UNKEYWORD);
    }
    if (ms_imap_ascii_caseeq(w, "LARGER") || ms_imap_ascii_caseeq(w, "SMALLER")) {
        guint32 n = 0;
        if (!ms_imap_arg_number(next_arg(c), &n)) {
            c->error = "Invalid number in SEARCH";
            return NULL;
        }
        Key *k = key_new(ms_imap_ascii_caseeq(w, "LARGER") ? KEY_LARGER : KEY_SMALLER);
        k->size = n;
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "NOT")) {
        Key *inner = parse_key(c, depth + 1);
        if (inner == NULL)
            return NULL;
        Key *k = key_new(KEY_NOT);
        k->kids = g_ptr_array_new_with_free_func(key_free);
        g_ptr_array_add(k->kids, inner);
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "OR")) {
        Key *a = parse_key(c, depth + 1);
        Key *b = a != NULL ? parse_key(c, depth + 1) : NULL;
        if (b == NULL) {
            key_free(a);
            return NULL;
        }
        Key *k = key_new(KEY_OR);
        k->kids = g_ptr_array_new_with_free_func(key_free);
        g_ptr_array_add(k->kids, a);
        g_ptr_array_add(k->kids, b);
        return k;
    }
    if (ms_imap_ascii_caseeq(w, "UID")) {
        const MsImapArg *s = next_arg(c);
        GArray *set = s != NULL && s->kind == MS_IMAP_ARG_ATOM ? ms_imap_seqset_parse(s->data)
                                                               : NULL;
        if (set == NULL) {
            c->error = "Invalid UID set in SEARCH";
            return NULL;
        }
        Key *k = key_new(KEY_UIDSET);
        k->set = set;
        return k;
    }
    GArray *set = ms_imap_seqset_parse(w);
    if (set != NULL) {
        Key *k = key_new(KEY_SEQSET);
        k->set = set;
        return k;
    }
    c->error = "Unknown SEARCH key";
    return NULL;
}

MsImapSearch *ms_imap_search_parse(const MsImapLine *line, guint from, const char **error_out)
{
    *error_out = NULL;
    Key *root = parse_group(line->args, from, 0, error_out);
    if (root == NULL)
        return NULL;
    MsImapSearch *search = g_new0(MsImapSearch, 1);
    search->root = root;
    return search;
}

/* ---- Matching ------------------------------------------------------------------------ */

/* Case-insensitive (ASCII) search for needle in hay, NULs and all. */
static gboolean contains_ci(const char *hay, gsize hay_len, const char *needle)
{
    gsize n = strlen(needle);
    if (n == 0)
        return TRUE;
    for (gsize i = 0; i + n <= hay_len; i++) {
        if (g_ascii_strncasecmp(hay + i, needle, n) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean header_matches(const MsMessage *msg, const char *field, const char *text)
{
    g_auto(GStrv) values = ms_message_get_all(msg, field);
    for (guint i = 0; values[i] != NULL; i++) {
        if (contains_ci(values[i], strlen(values[i]), text))
            return TRUE;
    }
    if (values[0] == NULL)
        return FALSE;
    g_autofree char *decoded = ms_message_get_decoded(msg, field);
    return decoded != NULL && contains_ci(decoded, strlen(decoded), text);
}

/* The day of the Date field ("Tue, 1 Jul 2003 10:52:37 +0200"),
 * disregarding time and zone as RFC 3501 6.4.4 SENT* keys want. */
static gboolean sent_day(const MsMessage *msg, gint64 *days_out)
{
    const char *v = ms_message_get(msg, "Date");
    if (v == NULL)
        return FALSE;
    const char *comma = strchr(v, ',');
    const char *p = comma != NULL ? comma + 1 : v;
    g_auto(GStrv) words = g_strsplit_set(p, " \t", -1);
    const char *parts[3] = { NULL, NULL, NULL };
    guint n = 0;
    for (guint i = 0; words[i] != NULL && n < 3; i++) {
        if (words[i][0] != '\0')
            parts[n++] = words[i];
    }
    if (n < 3)
        return FALSE;
    g_autofree char *date = g_strdup_printf("%s-%s-%s", parts[0], parts[1], parts[2]);
    return ms_imap_parse_date(date, days_out);
}

/* The message parsed, once for all the keys that need it. */
static const MsMessage *parsed_of(MsImapSearchCtx *ctx)
{
    if (ctx->parsed == NULL)
        ctx->parsed = ms_imap_msg_parse(ctx->msg);
    return ctx->parsed;
}

static gboolean matches(const Key *k, MsImapSearchCtx *ctx)
{
    MsImapMsg *m = ctx->msg;
    gint64 day = ms_imap_unix_day(m->internal_date);
    gint64 sent = 0;
    switch (k->kind) {
    case KEY_ALL: return TRUE;
    case KEY_AND:
        for (guint i = 0; i < k->kids->len; i++) {
            if (!matches(g_ptr_array_index(k->kids, i), ctx))
                return FALSE;
        }
        return TRUE;
    case KEY_OR:
        return matches(g_ptr_array_index(k->kids, 0), ctx)
               || matches(g_ptr_array_index(k->kids, 1), ctx);
    case KEY_NOT: return !matches(g_ptr_array_index(k->kids, 0), ctx);
    case KEY_FLAG_SET: return (m->flags & k->flag) != 0;
    case KEY_FLAG_UNSET: return (m->flags & k->flag) == 0;
    case KEY_RECENT: return ctx->recent;
    /* RFC 3501 6.4.4: NEW is RECENT UNSEEN; OLD is NOT RECENT. */
    case KEY_NEW: return ctx->recent && (m->flags & MS_IMAP_FLAG_SEEN) == 0;
    case KEY_OLD: return !ctx->recent;
    /* No keywords are stored (PERMANENTFLAGS has no \*). */
    case KEY_KEYWORD: return FALSE;
    case KEY_UNKEYWORD: return TRUE;
    case KEY_HEADER: {
        const MsMessage *msg = parsed_of(ctx);
        /* 6.4.4 HEADER: an empty string matches every message that has
         * the field. */
        if (*k->text == '\0')
            return ms_message_get(msg, k->field) != NULL;
        return header_matches(msg, k->field, k->text);
    }
    case KEY_BODY:
    case KEY_TEXT: {
        gsize size = 0;
        const char *data = g_bytes_get_data(m->data, &size);
        gsize from = k->kind == KEY_BODY ? ms_imap_msg_header_len(m) : 0;
        return contains_ci(data + from, size - from, k->text);
    }
    /* Internal date, by day (6.4.4: "disregarding time and timezone"). */
    case KEY_BEFORE: return day < k->days;
    case KEY_ON: return day == k->days;
    case KEY_SINCE: return day >= k->days;
    case KEY_SENTBEFORE: return sent_day(parsed_of(ctx), &sent) && sent < k->days;
    case KEY_SENTON: return sent_day(parsed_of(ctx), &sent) && sent == k->days;
    case KEY_SENTSINCE: return sent_day(parsed_of(ctx), &sent) && sent >= k->days;
    case KEY_LARGER: return g_bytes_get_size(m->data) > k->size;
    case KEY_SMALLER: return g_bytes_get_size(m->data) < k->size;
    case KEY_SEQSET: return ms_imap_seqset_contains(k->set, ctx->seq, ctx->max_seq);
    case KEY_UIDSET: return ms_imap_seqset_contains(k->set, m->uid, ctx->max_uid);
    }
    return FALSE;
}

gboolean ms_imap_search_matches(const MsImapSearch *search, MsImapSearchCtx *ctx)
{
    return matches(search->root, ctx);
}
