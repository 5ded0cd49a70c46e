/* imap_fetch.c - what FETCH asks for and how the server answers it
 * (RFC 3501 6.4.5 and 7.4.2): flags, UID, internal date, size, the
 * envelope, the body structure, and body sections - the whole message, its
 * header, chosen header fields, its text, a MIME part - whole or in part.
 *
 * The section data is cut from the stored bytes, never re-serialised, so
 * RFC822.SIZE and the octet counts of the literals agree with what was
 * delivered.
 */
#include "imap-private.h"

#include <string.h>

typedef enum {
    ITEM_FLAGS,
    ITEM_UID,
    ITEM_INTERNALDATE,
    ITEM_SIZE,
    ITEM_ENVELOPE,
    ITEM_BODY,          /* the non-extensible body structure */
    ITEM_BODYSTRUCTURE,
    ITEM_SECTION,
} ItemKind;

typedef enum {
    SEC_ALL,            /* BODY[] or BODY[1.2] */
    SEC_HEADER,
    SEC_FIELDS,
    SEC_FIELDS_NOT,
    SEC_TEXT,
    SEC_MIME,
} SectionKind;

typedef struct {
    ItemKind kind;
    gboolean peek;
    const char *alias;   /* "RFC822", "RFC822.HEADER", "RFC822.TEXT" or NULL */
    GArray *part;        /* guint32 section-part numbers (may be empty) */
    SectionKind sec;
    GPtrArray *fields;   /* char*: HEADER.FIELDS names */
    char *spec;          /* the section as written back: "HEADER.FIELDS (From)" */
    gboolean partial;
    guint32 origin;
    guint32 count;
} Item;

struct MsImapFetch {
    GArray *items;       /* Item */
    gboolean sets_seen;
};

static void item_clear(gpointer p)
{
    Item *it = p;
    if (it->part != NULL)
        g_array_unref(it->part);
    if (it->fields != NULL)
        g_ptr_array_unref(it->fields);
    g_free(it->spec);
}

void ms_imap_fetch_free(MsImapFetch *fetch)
{
    if (fetch == NULL)
        return;
    g_array_unref(fetch->items);
    g_free(fetch);
}

gboolean ms_imap_fetch_sets_seen(const MsImapFetch *fetch)
{
    return fetch->sets_seen;
}

static gboolean has_item(const MsImapFetch *fetch, ItemKind kind);

gboolean ms_imap_fetch_has_flags(const MsImapFetch *fetch)
{
    return has_item(fetch, ITEM_FLAGS);
}

/* ---- Parsing the attributes ------------------------------------------------------- */

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" at *p; the
 * names are astrings. */
static gboolean parse_header_list(const char **p, Item *it)
{
    if (**p != ' ' || (*p)[1] != '(')
        return FALSE;
    *p += 2;
    it->fields = g_ptr_array_new_with_free_func(g_free);
    for (;;) {
        GString *name = g_string_new(NULL);
        if (**p == '"') {
            for ((*p)++; **p != '"' && **p != '\0'; (*p)++) {
                if (**p == '\\' && (*p)[1] != '\0')
                    (*p)++;
                g_string_append_c(name, **p);
            }
            if (**p == '"')
                (*p)++;
        } else {
            while (**p != ' ' && **p != ')' && **p != '\0' && **p != ']')
                g_string_append_c(name, *(*p)++);
        }
        gboolean empty = name->len == 0;
        g_ptr_array_add(it->fields, g_string_free(name, FALSE));
        if (empty)
            return FALSE;
        if (**p == ')') {
            (*p)++;
            return TRUE;
        }
        if (**p != ' ')
            return FALSE;
        (*p)++;
    }
}

/*   section         = "[" [section-spec] "]"
 *   section-spec    = section-msgtext / (section-part ["." section-text])
 *   section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list /
 *                     "TEXT"
 *   section-part    = nz-number *("." nz-number)
 *   section-text    = section-msgtext / "MIME"
 * *p is just after "["; on success it is just after "]". */
static gboolean parse_section(const char **p, Item *it)
{
    it->part = g_array_new(FALSE, FALSE, sizeof(guint32));
    GString *spec = g_string_new(NULL);
    while (g_ascii_isdigit(**p)) {
        guint64 n = 0;
        while (g_ascii_isdigit(**p) && n <= G_MAXUINT32)
            n = n * 10 + (guint64) (*(*p)++ - '0');
        if (n == 0 || n > G_MAXUINT32) {
            g_string_free(spec, TRUE);
            return FALSE;
        }
        guint32 v = (guint32) n;
        g_array_append_val(it->part, v);
        g_string_append_printf(spec, "%s%u", spec->len > 0 ? "." : "", v);
        if (**p != '.')
            break;
        if (g_ascii_isdigit((*p)[1]))
            (*p)++;
    }
    gboolean after_part = it->part->len > 0;
    gboolean need_word = FALSE;
    if (after_part && **p == '.') {
        (*p)++;
        need_word = TRUE;
    }
    static const struct {
        const char *word;
        SectionKind kind;
        gboolean part_only;
    } words[] = {
        { "HEADER.FIELDS.NOT", SEC_FIELDS_NOT, FALSE }, { "HEADER.FIELDS", SEC_FIELDS, FALSE },
        { "HEADER", SEC_HEADER, FALSE }, { "TEXT", SEC_TEXT, FALSE }, { "MIME", SEC_MIME, TRUE },
    };
    it->sec = SEC_ALL;
    gboolean ok = !need_word || **p != ']';
    if (ok && **p != ']') {
        ok = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
            gsize n = strlen(words[i].word);
            if (g_ascii_strncasecmp(*p, words[i].word, n) != 0)
                continue;
            char next = (*p)[n];
            if (next != ']' && next != ' ')
                continue;
            if (words[i].part_only && !after_part)
                break;
            *p += n;
            it->sec = words[i].kind;
            g_string_append_printf(spec, "%s%s", after_part ? "." : "", words[i].word);
            ok = TRUE;
            break;
        }
    }
    if (ok && (it->sec == SEC_FIELDS || it->sec == SEC_FIELDS_NOT)) {
        ok = parse_header_list(p, it);
        for (guint i = 0; ok && i < it->fields->len; i++) {
            g_string_append(spec, i == 0 ? " (" : " ");
            g_string_append(spec, g_ptr_array_index(it->fields, i));
        }
        if (ok)
            g_string_append_c(spec, ')');
    }
    it->spec = g_string_free(spec, FALSE);
    if (!ok || **p != ']')
        return FALSE;
    (*p)++;
    return TRUE;
}

/* "<" number "." nz-number ">" at *p (RFC 3501 6.4.5, partial fetch). */
static gboolean parse_partial(const char **p, Item *it)
{
    if (**p != '<')
        return TRUE;
    char *end = NULL;
    (*p)++;
    if (!g_ascii_isdigit(**p))
        return FALSE;
    guint64 origin = g_ascii_strtoull(*p, &end, 10);
    if (*end != '.' || !g_ascii_isdigit(end[1]) || origin > G_MAXUINT32)
        return FALSE;
    guint64 count = g_ascii_strtoull(end + 1, &end, 10);
    if (*end != '>' || count == 0 || count > G_MAXUINT32)
        return FALSE;
    it->partial = TRUE;
    it->origin = (guint32) origin;
    it->count = (guint32) count;
    *p = end + 1;
    return TRUE;
}

/* One fetch-att. */
static gboolean parse_item(MsImapFetch *fetch, const MsImapArg *arg)
{
    if (arg->kind != MS_IMAP_ARG_ATOM)
        return FALSE;
    static const struct {
        const char *name;
        ItemKind kind;
    } simple[] = {
        { "FLAGS", ITEM_FLAGS }, { "UID", ITEM_UID }, { "INTERNALDATE", ITEM_INTERNALDATE },
        { "RFC822.SIZE", ITEM_SIZE }, { "ENVELOPE", ITEM_ENVELOPE }, { "BODY", ITEM_BODY },
        { "BODYSTRUCTURE", ITEM_BODYSTRUCTURE },
    };
    Item it = { 0 };
    for (gsize i = 0; i < G_N_ELEMENTS(simple); i++) {
        if (ms_imap_ascii_caseeq(arg->data, simple[i].name)) {
            it.kind = simple[i].kind;
            g_array_append_val(fetch->items, it);
            return TRUE;
        }
    }
    /* RFC 3501 6.4.5: RFC822 = BODY[], RFC822.HEADER = BODY.PEEK[HEADER],
     * RFC822.TEXT = BODY[TEXT], answered under their own names. */
    static const struct {
        const char *name;
        SectionKind sec;
        gboolean peek;
    } aliases[] = {
        { "RFC822", SEC_ALL, FALSE }, { "RFC822.HEADER", SEC_HEADER, TRUE },
        { "RFC822.TEXT", SEC_TEXT, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (!ms_imap_ascii_caseeq(arg->data, aliases[i].name))
            continue;
        it.kind = ITEM_SECTION;
        it.alias = aliases[i].name;
        it.sec = aliases[i].sec;
        it.peek = aliases[i].peek;
        it.part = g_array_new(FALSE, FALSE, sizeof(guint32));
        fetch->sets_seen |= !it.peek;
        g_array_append_val(fetch->items, it);
        return TRUE;
    }
    const char *p = arg->data;
    if (g_ascii_strncasecmp(p, "BODY.PEEK[", 10) == 0) {
        it.peek = TRUE;
        p += 10;
    } else if (g_ascii_strncasecmp(p, "BODY[", 5) == 0) {
        p += 5;
    } else {
        return FALSE;
    }
    it.kind = ITEM_SECTION;
    gboolean ok = parse_section(&p, &it) && parse_partial(&p, &it) && *p == '\0';
    if (!ok) {
        item_clear(&it);
        return FALSE;
    }
    fetch->sets_seen |= !it.peek;
    g_array_append_val(fetch->items, it);
    return TRUE;
}

static gboolean has_item(const MsImapFetch *fetch, ItemKind kind)
{
    for (guint i = 0; i < fetch->items->len; i++) {
        if (g_array_index(fetch->items, Item, i).kind == kind)
            return TRUE;
    }
    return FALSE;
}

/*   fetch-att list: "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
 *                   fetch-att / "(" fetch-att *(SP fetch-att) ")") */
MsImapFetch *ms_imap_fetch_parse(const MsImapArg *arg, gboolean uid, const char **error_out)
{
    g_autoptr(MsImapFetch) fetch = g_new0(MsImapFetch, 1);
    fetch->items = g_array_new(FALSE, TRUE, sizeof(Item));
    g_array_set_clear_func(fetch->items, item_clear);
    *error_out = "Invalid FETCH attribute";
    if (arg == NULL) {
        *error_out = "Missing FETCH attributes";
        return NULL;
    }
    /* RFC 3501 6.4.5: the macros, equivalent to the lists they stand for;
     * they cannot be combined with other items. */
    static const struct {
        const char *name;
        const char *items[5];
    } macros[] = {
        { "ALL", { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", NULL } },
        { "FAST", { "FLAGS", "INTERNALDATE", "RFC822.SIZE", NULL } },
        { "FULL", { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY" } },
    };
    gboolean done = FALSE;
    for (gsize i = 0; !done && i < G_N_ELEMENTS(macros); i++) {
        if (!ms_imap_arg_is_atom(arg, macros[i].name))
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(macros[i].items) && macros[i].items[k] != NULL; k++) {
            MsImapArg a = { .kind = MS_IMAP_ARG_ATOM, .data = (char *) macros[i].items[k] };
            a.len = strlen(a.data);
            parse_item(fetch, &a);
        }
        done = TRUE;
    }
    if (!done && arg->kind == MS_IMAP_ARG_LIST) {
        if (arg->list->len == 0)
            return NULL;
        for (guint i = 0; i < arg->list->len; i++) {
            if (!parse_item(fetch, arg->list->items[i]))
                return NULL;
        }
    } else if (!done && !parse_item(fetch, arg)) {
        return NULL;
    }
    /* RFC 3501 6.4.8: UID FETCH always answers with the UID. */
    if (uid && !has_item(fetch, ITEM_UID)) {
        Item it = { .kind = ITEM_UID };
        g_array_prepend_val(fetch->items, it);
    }
    *error_out = NULL;
    return g_steal_pointer(&fetch);
}

/* ---- Addresses and the envelope -------------------------------------------------- */

typedef struct {
    char *name;
    char *mailbox;
    char *host;
    gboolean group;     /* group start (mailbox = group name) or end */
} Addr;

static void addr_clear(gpointer p)
{
    Addr *a = p;
    g_free(a->name);
    g_free(a->mailbox);
    g_free(a->host);
}

static char *trimmed(GString *s)
{
    char *t = g_strstrip(g_strdup(s->str));
    if (*t == '\0') {
        g_free(t);
        return NULL;
    }
    return t;
}

static void add_addr_spec(GArray *out, char *name, const char *spec)
{
    Addr a = { .name = name };
    g_autofree char *s = g_strstrip(g_strdup(spec));
    const char *at = strrchr(s, '@');
    if (at != NULL) {
        a.mailbox = g_strndup(s, (gsize) (at - s));
        a.host = g_strdup(at + 1);
    } else {
        /* No domain: an empty host, since NIL would mean a group. */
        a.mailbox = g_strdup(s);
        a.host = g_strdup("");
    }
    g_array_append_val(out, a);
}

/* Splits an address-list (RFC 5322 3.4) into addresses and group markers:
 * display names unquoted, comments dropped. */
static GArray *parse_addresses(const char *value)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(Addr));
    g_array_set_clear_func(out, addr_clear);
    g_autoptr(GString) phrase = g_string_new(NULL);
    g_autoptr(GString) raw = g_string_new(NULL); /* the phrase with quotes, for a bare spec */
    gboolean in_group = FALSE;
    for (const char *p = value;; p++) {
        char c = *p;
        if (c == '"') {
            g_string_append_c(raw, c);
            for (p++; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                g_string_append_c(phrase, *p);
                g_string_append_c(raw, *p);
            }
            g_string_append_c(raw, '"');
            if (*p == '\0')
                break;
            continue;
        }
        if (c == '(') {
            int depth = 1;
            while (depth > 0 && *++p != '\0')
                depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
            if (*p == '\0')
                break;
            continue;
        }
        if (c == '<') {
            const char *close = strchr(p, '>');
            g_autofree char *spec = close != NULL ? g_strndup(p + 1, (gsize) (close - p - 1))
                                                  : g_strdup(p + 1);
            add_addr_spec(out, trimmed(phrase), spec);
            g_string_truncate(phrase, 0);
            g_string_truncate(raw, 0);
            if (close == NULL)
                break;
            p = close;
            continue;
        }
        if (c == ':' && !in_group) {
            /* RFC 3501 7.4.2: a group starts with (NIL NIL "name" NIL). */
            Addr a = { .mailbox = trimmed(phrase), .group = TRUE };
            g_array_append_val(out, a);
            g_string_truncate(phrase, 0);
            g_string_truncate(raw, 0);
            in_group = TRUE;
            continue;
        }
        if (c == ',' || c == ';' || c == '\0') {
            g_autofree char *bare = trimmed(raw);
            if (bare != NULL)
                add_addr_spec(out, NULL, bare);
            g_string_truncate(phrase, 0);
            g_string_truncate(raw, 0);
            if (c == ';' && in_group) {
                /* ... and ends with (NIL NIL NIL NIL). */
                Addr a = { .group = TRUE };
                g_array_append_val(out, a);
                in_group = FALSE;
            }
            if (c == '\0')
                break;
            continue;
        }
        g_string_append_c(phrase, c);
        g_string_append_c(raw, c);
    }
    return out;
}

/* env-from etc.: "(" 1*address ")" / nil */
static void write_addresses(MsImapWriter *w, const char *value)
{
    g_autoptr(GArray) addrs = value != NULL ? parse_addresses(value) : NULL;
    if (addrs == NULL || addrs->len == 0) {
        ms_imap_writer_add(w, "NIL");
        return;
    }
    ms_imap_writer_add(w, "(");
    for (guint i = 0; i < addrs->len; i++) {
        const Addr *a = &g_array_index(addrs, Addr, i);
        /* address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" */
        ms_imap_writer_add(w, "(");
        ms_imap_writer_nstring(w, a->name);
        ms_imap_writer_add(w, " NIL ");
        ms_imap_writer_nstring(w, a->mailbox);
        ms_imap_writer_add(w, " ");
        ms_imap_writer_nstring(w, a->group ? NULL : a->host);
        ms_imap_writer_add(w, ")");
    }
    ms_imap_writer_add(w, ")");
}

/* The first non-empty value of a field, or NULL. */
static const char *field(const MsMessage *msg, const char *name)
{
    const char *v = ms_message_get(msg, name);
    return v != NULL && *v != '\0' ? v : NULL;
}

void ms_imap_write_envelope(MsImapWriter *w, const MsMessage *msg)
{
    /* envelope = "(" env-date SP env-subject SP env-from SP env-sender SP
     *            env-reply-to SP env-to SP env-cc SP env-bcc SP
     *            env-in-reply-to SP env-message-id ")" */
    const char *from = field(msg, "From");
    const char *sender = field(msg, "Sender");
    const char *reply_to = field(msg, "Reply-To");
    ms_imap_writer_add(w, "(");
    ms_imap_writer_nstring(w, field(msg, "Date"));
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, field(msg, "Subject"));
    ms_imap_writer_add(w, " ");
    write_addresses(w, from);
    /* RFC 3501 7.4.2: an absent or empty Sender or Reply-To is set to the
     * value of From. */
    ms_imap_writer_add(w, " ");
    write_addresses(w, sender != NULL ? sender : from);
    ms_imap_writer_add(w, " ");
    write_addresses(w, reply_to != NULL ? reply_to : from);
    static const char *const rest[] = { "To", "Cc", "Bcc" };
    for (gsize i = 0; i < G_N_ELEMENTS(rest); i++) {
        ms_imap_writer_add(w, " ");
        write_addresses(w, field(msg, rest[i]));
    }
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, field(msg, "In-Reply-To"));
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, field(msg, "Message-ID"));
    ms_imap_writer_add(w, ")");
}

/* ---- The body structure (RFC 3501 7.4.2, BODY and BODYSTRUCTURE) ------------------ */

/* body-fld-param = "(" string SP string *(SP string SP string) ")" / nil,
 * from the Content-Type value's parameters. */
static void write_params(MsImapWriter *w, const char *content_type, gboolean text)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    gboolean quoted = FALSE;
    const char *semi = NULL;
    for (const char *p = content_type; p != NULL && *p != '\0'; p++) {
        if (*p == '"')
            quoted = !quoted;
        if (*p != ';' || quoted)
            continue;
        semi = p + 1;
        const char *eq = strchr(semi, '=');
        if (eq == NULL)
            break;
        g_autofree char *name = g_strstrip(g_strndup(semi, (gsize) (eq - semi)));
        char *star = strchr(name, '*'); /* RFC 2231 continuations: one name */
        if (star != NULL)
            *star = '\0';
        gboolean dup = FALSE;
        for (guint i = 0; i < names->len; i++)
            dup |= ms_imap_ascii_caseeq(g_ptr_array_index(names, i), name);
        if (!dup && *name != '\0')
            g_ptr_array_add(names, g_steal_pointer(&name));
    }
    if (names->len == 0 && text) {
        /* RFC 2045 5.2: text/plain; charset=us-ascii by default. */
        ms_imap_writer_add(w, "(\"CHARSET\" \"US-ASCII\")");
        return;
    }
    if (names->len == 0) {
        ms_imap_writer_add(w, "NIL");
        return;
    }
    ms_imap_writer_add(w, "(");
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *upper = g_ascii_strup(g_ptr_array_index(names, i), -1);
        g_autofree char *value = ms_mime_value_param(content_type, upper);
        ms_imap_writer_printf(w, "%s", i > 0 ? " " : "");
        ms_imap_writer_nstring(w, upper);
        ms_imap_writer_add(w, " ");
        ms_imap_writer_nstring(w, value != NULL ? value : "");
    }
    ms_imap_writer_add(w, ")");
}

static void write_body(MsImapWriter *w, const MsMimePart *part, guint depth)
{
    const MsMessage *entity = ms_mime_part_entity(part);
    const char *type = ms_mime_part_type(part);
    const char *slash = strchr(type, '/');
    g_autofree char *major = g_ascii_strup(type, slash != NULL ? slash - type : -1);
    g_autofree char *minor = g_ascii_strup(slash != NULL ? slash + 1 : "", -1);
    guint n = ms_mime_part_n_children(part);
    gboolean multipart = strcmp(major, "MULTIPART") == 0 && n > 0;
    gboolean message = strcmp(major, "MESSAGE") == 0 && strcmp(minor, "RFC822") == 0 && n == 1;

    ms_imap_writer_add(w, "(");
    if (multipart && depth < MS_IMAP_NESTING_MAX / 4) {
        /* body-type-mpart = 1*body SP media-subtype */
        for (guint i = 0; i < n; i++)
            write_body(w, ms_mime_part_child(part, i), depth + 1);
        ms_imap_writer_add(w, " ");
        ms_imap_writer_nstring(w, minor);
        ms_imap_writer_add(w, ")");
        return;
    }
    /* body-type-1part: type subtype params id description encoding size
     * [envelope body] [lines] */
    ms_imap_writer_nstring(w, major);
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, minor);
    ms_imap_writer_add(w, " ");
    write_params(w, field(entity, "Content-Type"), strcmp(major, "TEXT") == 0);
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, field(entity, "Content-ID"));
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, field(entity, "Content-Description"));
    const char *cte = field(entity, "Content-Transfer-Encoding");
    g_autofree char *enc = g_ascii_strup(cte != NULL ? cte : "7BIT", -1);
    ms_imap_writer_add(w, " ");
    ms_imap_writer_nstring(w, g_strstrip(enc));
    g_autoptr(GBytes) body = ms_message_body(entity);
    gsize size = 0;
    const char *data = g_bytes_get_data(body, &size);
    ms_imap_writer_printf(w, " %" G_GSIZE_FORMAT, size);
    if (message && depth < MS_IMAP_NESTING_MAX / 4) {
        const MsMimePart *inner = ms_mime_part_child(part, 0);
        ms_imap_writer_add(w, " ");
        ms_imap_write_envelope(w, ms_mime_part_entity(inner));
        ms_imap_writer_add(w, " ");
        write_body(w, inner, depth + 1);
        ms_imap_writer_printf(w, " %u", ms_message_count_lines(data, size));
    } else if (strcmp(major, "TEXT") == 0) {
        ms_imap_writer_printf(w, " %u", ms_message_count_lines(data, size));
    }
    ms_imap_writer_add(w, ")");
}

/* ---- Body sections ---------------------------------------------------------------- */

/* The MIME part a section-part names (RFC 3501 6.4.5): in a multipart the
 * n-th child; in message/rfc822 the parts of the enclosed message; in any
 * other part only 1, the part itself. */
static const MsMimePart *find_part(const MsMimePart *root, const GArray *path)
{
    const MsMimePart *part = root;
    for (guint i = 0; i < path->len; i++) {
        guint32 n = g_array_index(path, guint32, i);
        const char *type = ms_mime_part_type(part);
        if (g_str_has_prefix(type, "message/rfc822") && ms_mime_part_n_children(part) == 1)
            part = ms_mime_part_child(part, 0);
        if (g_str_has_prefix(ms_mime_part_type(part), "multipart/")) {
            if (n > ms_mime_part_n_children(part))
                return NULL;
            part = ms_mime_part_child(part, n - 1);
        } else if (n != 1) {
            return NULL;
        }
    }
    return part;
}

/* The header fields of entity whose names are (or with not, are not) in
 * names, followed by the empty line (RFC 3501 6.4.5 HEADER.FIELDS). */
static GBytes *select_fields(const MsMessage *entity, const GPtrArray *names, gboolean not)
{
    GByteArray *out = g_byte_array_new();
    for (guint i = 0; i < ms_message_n_fields(entity); i++) {
        const char *name = ms_message_field_name(entity, i);
        gboolean listed = FALSE;
        for (guint k = 0; name != NULL && k < names->len; k++)
            listed |= ms_imap_ascii_caseeq(name, g_ptr_array_index(names, k));
        if (name == NULL || listed == not)
            continue;
        gsize len = 0;
        const char *raw = ms_message_field_raw(entity, i, &len);
        g_byte_array_append(out, (const guint8 *) raw, (guint) len);
    }
    g_byte_array_append(out, (const guint8 *) "\r\n", 2);
    return g_byte_array_free_to_bytes(out);
}

/* The message parsed, once for all the items of one FETCH response that
 * need it (the whole message, BODY[], needs no parse). */
static const MsMessage *parsed_of(MsMessage **parsed, MsImapMsg *msg)
{
    if (*parsed == NULL)
        *parsed = ms_imap_msg_parse(msg);
    return *parsed;
}

/* The octets a section names, or NULL when the message has no such part. */
static GBytes *section_data(const Item *it, MsImapMsg *msg, MsMessage **parsed)
{
    gsize size = g_bytes_get_size(msg->data);
    if (it->part->len == 0) {
        switch (it->sec) {
        case SEC_ALL: return g_bytes_ref(msg->data);
        case SEC_HEADER:
            return g_bytes_new_from_bytes(msg->data, 0, ms_imap_msg_header_len(msg));
        case SEC_TEXT: {
            gsize hlen = ms_imap_msg_header_len(msg);
            return g_bytes_new_from_bytes(msg->data, hlen, size - hlen);
        }
        case SEC_FIELDS: return select_fields(parsed_of(parsed, msg), it->fields, FALSE);
        case SEC_FIELDS_NOT: return select_fields(parsed_of(parsed, msg), it->fields, TRUE);
        case SEC_MIME: return NULL;
        }
    }
    g_autoptr(MsMimePart) root = ms_mime_parse(parsed_of(parsed, msg));
    const MsMimePart *part = find_part(root, it->part);
    if (part == NULL)
        return NULL;
    const MsMessage *entity = ms_mime_part_entity(part);
    if (it->sec == SEC_ALL)
        return ms_message_body(entity);
    if (it->sec == SEC_MIME) {
        g_autoptr(GBytes) all = ms_message_to_bytes(entity);
        return g_bytes_new_from_bytes(all, 0, ms_message_header_bytes_count(entity));
    }
    /* HEADER, TEXT and HEADER.FIELDS of a part apply to the message a
     * message/rfc822 part encloses. */
    if (!g_str_has_prefix(ms_mime_part_type(part), "message/rfc822")
        || ms_mime_part_n_children(part) != 1)
        return NULL;
    const MsMessage *inner = ms_mime_part_entity(ms_mime_part_child(part, 0));
    if (it->sec == SEC_TEXT)
        return ms_message_body(inner);
    if (it->sec == SEC_HEADER) {
        g_autoptr(GBytes) all = ms_message_to_bytes(inner);
        return g_bytes_new_from_bytes(all, 0, ms_message_header_bytes_count(inner));
    }
    return select_fields(inner, it->fields, it->sec == SEC_FIELDS_NOT);
}

static void write_section(MsImapWriter *w, const Item *it, MsImapMsg *msg, MsMessage **parsed)
{
    if (it->alias != NULL)
        ms_imap_writer_add(w, it->alias);
    else {
        ms_imap_writer_add_len(w, "BODY[", 5);
        ms_imap_writer_add(w, it->spec);
        ms_imap_writer_add_len(w, "]", 1);
    }
    g_autoptr(GBytes) data = section_data(it, msg, parsed);
    gsize size = 0;
    const char *bytes = data != NULL ? g_bytes_get_data(data, &size) : NULL;
    if (it->partial) {
        /* RFC 3501 6.4.5: "<origin>" in the response; the octets from
         * origin on, at most count of them; none past the end. */
        ms_imap_writer_add_len(w, "<", 1);
        ms_imap_writer_uint(w, it->origin);
        ms_imap_writer_add_len(w, ">", 1);
        gsize from = MIN((gsize) it->origin, size);
        bytes = bytes != NULL ? bytes + from : NULL;
        size = MIN(size - from, (gsize) it->count);
    }
    ms_imap_writer_add(w, " ");
    if (data == NULL) {
        /* A part the message does not have: empty, not an error. */
        ms_imap_writer_add(w, "NIL");
        return;
    }
    /* Message text always goes as a literal: it holds line ends. */
    ms_imap_writer_literal(w, bytes != NULL ? bytes : "", size);
}

void ms_imap_fetch_write(const MsImapFetch *fetch, MsImapWriter *w, guint seq, MsImapMsg *msg,
                         gboolean recent, gboolean flags_changed)
{
    g_autoptr(MsMessage) parsed = NULL;
    /* Every message a client fetches is written here: the items without
     * printf, the flags and date in place. */
    ms_imap_writer_add_len(w, "* ", 2);
    ms_imap_writer_uint(w, seq);
    ms_imap_writer_add_len(w, " FETCH (", 8);
    for (guint i = 0; i < fetch->items->len; i++) {
        const Item *it = &g_array_index(fetch->items, Item, i);
        if (i > 0)
            ms_imap_writer_add_len(w, " ", 1);
        switch (it->kind) {
        case ITEM_FLAGS:
            ms_imap_writer_add_len(w, "FLAGS (", 7);
            ms_imap_write_flags(w, msg->flags, recent);
            ms_imap_writer_add_len(w, ")", 1);
            break;
        case ITEM_UID:
            ms_imap_writer_add_len(w, "UID ", 4);
            ms_imap_writer_uint(w, msg->uid);
            break;
        case ITEM_INTERNALDATE: {
            char date[MS_IMAP_DATE_TIME_MAX];
            gsize n = ms_imap_format_date_time_to(date, msg->internal_date);
            ms_imap_writer_add_len(w, "INTERNALDATE \"", 14);
            ms_imap_writer_add_len(w, date, n);
            ms_imap_writer_add_len(w, "\"", 1);
            break;
        }
        case ITEM_SIZE:
            ms_imap_writer_add_len(w, "RFC822.SIZE ", 12);
            ms_imap_writer_uint(w, g_bytes_get_size(msg->data));
            break;
        case ITEM_ENVELOPE:
            ms_imap_writer_add(w, "ENVELOPE ");
            ms_imap_write_envelope(w, parsed_of(&parsed, msg));
            break;
        case ITEM_BODY:
        case ITEM_BODYSTRUCTURE: {
            ms_imap_writer_add(w, it->kind == ITEM_BODY ? "BODY " : "BODYSTRUCTURE ");
            g_autoptr(MsMimePart) root = ms_mime_parse(parsed_of(&parsed, msg));
            write_body(w, root, 0);
            break;
        }
        case ITEM_SECTION: write_section(w, it, msg, &parsed); break;
        }
    }
    /* RFC 3501 6.4.5: when the fetch set \Seen, the new flags SHOULD be
     * part of the response. */
    if (flags_changed && !has_item(fetch, ITEM_FLAGS)) {
        if (fetch->items->len > 0)
            ms_imap_writer_add_len(w, " ", 1);
        ms_imap_writer_add_len(w, "FLAGS (", 7);
        ms_imap_write_flags(w, msg->flags, recent);
        ms_imap_writer_add_len(w, ")", 1);
    }
    ms_imap_writer_add_len(w, ")", 1);
}
