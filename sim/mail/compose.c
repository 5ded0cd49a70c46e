/* compose.c - writing a new message from what a simulated user typed.
 *
 * This is the user agent's half of RFC 5322 and MIME: header fields in a
 * fixed order, non-ASCII header text as RFC 2047 words, the text body in a
 * transfer encoding that survives a 7-bit SMTP path, an HTML alternative
 * and attachments as nested multiparts.  Everything is deterministic: the
 * Date comes from simulated time and the boundaries from the Message-ID.
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

#define CRLF "\r\n"

/* RFC 2047 2: lines holding encoded-words stay within 76 characters. */
#define EW_LINE 76

/* A MIME entity being written: its Content-* fields and encoded body. */
typedef struct {
    char *content_type;
    const char *encoding;  /* Content-Transfer-Encoding, NULL: none */
    char *disposition;
    GString *body;         /* encoded, CRLF line ends */
} Entity;

static void entity_free(Entity *e)
{
    if (e == NULL)
        return;
    g_free(e->content_type);
    g_free(e->disposition);
    if (e->body != NULL)
        g_string_free(e->body, TRUE);
    g_free(e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Entity, entity_free)

/* A GString holding s, which is consumed (GLib 2.74 has no
 * g_string_new_take). */
static GString *string_take(char *s)
{
    GString *out = g_string_new(s);
    g_free(s);
    return out;
}

static gboolean is_ascii(const char *s)
{
    return ms_message_is_7bit(s, strlen(s));
}

/* Header text that needs RFC 2047: non-ASCII, or "=?" that a reader would
 * take for the start of an encoded-word. */
static gboolean needs_ew(const char *s)
{
    return !is_ascii(s) || strstr(s, "=?") != NULL;
}

/* Removes the CRLFs of the encoder's folding ("w1 CRLF SP w2" becomes
 * "w1 SP w2"), so the field can be folded as a whole. */
static void drop_line_breaks(char *s)
{
    char *out = s;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p != '\r' && *p != '\n')
            *out++ = *p;
    }
    *out = '\0';
}

/* LF (or CRLF) line ends become CRLF, and the text ends with one
 * (RFC 5322 2.3: CR and LF only together, as CRLF); appended to out. */
static void append_crlf(GString *out, const char *data, gsize len)
{
    /* By runs up to each LF: every message a run composes passes here. */
    gsize start = out->len;
    gsize i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        gsize run = nl != NULL ? (gsize) (nl - data) - i : len - i;
        g_string_append_len(out, data + i, (gssize) run);
        i += run;
        if (i < len) {
            if (i == 0 || data[i - 1] != '\r')
                g_string_append_c(out, '\r');
            g_string_append_c(out, '\n');
            i++;
        }
    }
    if (out->len > start && out->str[out->len - 1] != '\n')
        g_string_append(out, CRLF);
}

/* Whether a line of the text (ended by LF or CRLF) is longer than the
 * 998 characters RFC 5322 2.1.1 allows (its CR not counted): such a text
 * cannot go as 7bit (RFC 2045 2.7), and a browser's one-paragraph body
 * easily is one.  A text that short has none, without a look. */
static gboolean has_long_line(const char *text, gsize len)
{
    if (len <= MS_MESSAGE_LINE_MUST)
        return FALSE;
    gsize start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        gsize end = nl != NULL ? (gsize) (nl - text) : len;
        gsize n = end - start;
        if (nl != NULL && n > 0 && text[end - 1] == '\r')
            n--;
        if (n > MS_MESSAGE_LINE_MUST)
            return TRUE;
        start = end + 1;
    }
    return FALSE;
}

static GString *to_crlf(const char *data, gsize len)
{
    GString *out = g_string_sized_new(len + len / 16 + 2);
    append_crlf(out, data, len);
    return out;
}

/* RFC 5322 3.2.3: atext, the characters a phrase may hold unquoted. */
static gboolean is_atext(char c)
{
    return g_ascii_isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A phrase of atoms ("Bob Smith") needs no quotes; "Smith, Bob" or
 * "Dr. Who" do (RFC 5322 3.4: the display name is a phrase). */
static gboolean is_atom_phrase(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p != ' ' && !is_atext(*p))
            return FALSE;
    }
    return TRUE;
}

/* RFC 5322 3.2.4 quoted-string: DQUOTE, the text with '"' and '\'
 * escaped, DQUOTE (transfer full). */
static char *quote_phrase(const char *s)
{
    GString *out = g_string_new("\"");
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

/* The text of a quoted-string, escapes undone (in place). */
static void unquote_phrase(char *s)
{
    gsize n = strlen(s);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return;
    char *out = s;
    for (const char *p = s + 1; p < s + n - 1; p++) {
        if (*p == '\\' && p + 1 < s + n - 1)
            p++;
        *out++ = *p;
    }
    *out = '\0';
}

/* One mailbox for From/To/Cc, "display name <addr-spec>" or a bare
 * address.  The display name is written as RFC 5322 3.4 wants it: atoms
 * as they are, anything else ("Smith, Bob") as a quoted-string, and a
 * non-ASCII name as RFC 2047 words (RFC 2047 5 (3): an encoded-word may
 * replace a phrase word, never sit inside quotes). */
static char *format_mailbox(const char *mailbox)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(mailbox));
    const char *lt = strrchr(trimmed, '<');
    if (lt == NULL)
        return g_strdup(trimmed);
    g_autofree char *name = g_strstrip(g_strndup(trimmed, (gsize) (lt - trimmed)));
    gsize n = strlen(name);
    gboolean quoted = n >= 2 && name[0] == '"' && name[n - 1] == '"';
    if (needs_ew(name)) {
        unquote_phrase(name);
        g_autofree char *words = ms_rfc2047_encode(name, MS_EW_AUTO, 0);
        /* The encoder folds; the field is folded again as a whole below. */
        drop_line_breaks(words);
        return g_strdup_printf("%s %s", words, lt);
    }
    if (n == 0 || quoted || is_atom_phrase(name))
        return g_strdup(trimmed);
    g_autofree char *q = quote_phrase(name);
    return g_strdup_printf("%s %s", q, lt);
}

static void add_address_field(MsMessage *msg, const char *name, const char *const *list)
{
    if (list == NULL || list[0] == NULL)
        return;
    GString *v = g_string_new(NULL);
    gboolean any_ew = FALSE;
    for (guint i = 0; list[i] != NULL; i++) {
        const char *mailbox = list[i];
        gsize n = strlen(mailbox);
        /* A bare address with nothing to trim is written as it is, which
         * is what format_mailbox() would give. */
        g_autofree char *m = NULL;
        if (n == 0 || g_ascii_isspace(mailbox[0]) || g_ascii_isspace(mailbox[n - 1]) ||
            strchr(mailbox, '<') != NULL)
            mailbox = m = format_mailbox(mailbox);
        any_ew = any_ew || strstr(mailbox, "=?") != NULL;
        if (i > 0)
            g_string_append(v, ", ");
        g_string_append(v, mailbox);
    }
    ms_message_add_width(msg, name, v->str, any_ew ? EW_LINE : MS_MESSAGE_LINE_SHOULD);
    g_string_free(v, TRUE);
}

/* A parameter value: a quoted-string when it is not a token (RFC 2045 5.1),
 * or the RFC 2231 extended form when it is not ASCII. */
static void append_param(GString *out, const char *name, const char *value)
{
    if (!is_ascii(value)) {
        /* RFC 2231 4: name*=charset''percent-encoded */
        g_string_append_printf(out, "; %s*=UTF-8''", name);
        for (const guchar *p = (const guchar *) value; *p != '\0'; p++) {
            if (ms_mime_is_token_char(*p) && *p != '*' && *p != '\'' && *p != '%')
                g_string_append_c(out, (char) *p);
            else
                g_string_append_printf(out, "%%%02X", *p);
        }
        return;
    }
    gboolean token = value[0] != '\0';
    for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
        token = token && ms_mime_is_token_char(*p);
    if (token) {
        g_string_append_printf(out, "; %s=%s", name, value);
        return;
    }
    g_string_append_printf(out, "; %s=\"", name);
    for (const char *p = value; *p != '\0'; p++) {
        /* RFC 5322 3.2.4: quoted-pair for "\" and DQUOTE. */
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

/* Serialises an entity as a body part: its fields, the empty line, body. */
static void write_entity(GString *out, const Entity *e)
{
    const char *names[] = { "Content-Type", "Content-Transfer-Encoding", "Content-Disposition" };
    const char *values[] = { e->content_type, e->encoding, e->disposition };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (values[i] == NULL)
            continue;
        g_autofree char *f = ms_message_fold_field(names[i], values[i], CRLF);
        g_string_append(out, f);
        g_string_append(out, CRLF);
    }
    g_string_append(out, CRLF);
    g_string_append_len(out, e->body->str, (gssize) e->body->len);
}

/* A text/plain or text/html part, its content already in the charset. */
static Entity *text_entity(const char *subtype, const char *charset, const char *content,
                           gsize len, MsTransferEncoding enc, GError **error)
{
    g_autoptr(Entity) e = g_new0(Entity, 1);
    g_autoptr(GString) text = to_crlf(content, len);
    gboolean ascii = ms_message_is_7bit(text->str, text->len);
    /* RFC 2045 6.7 (5): quoted-printable's soft line breaks carry a line
     * longer than 998 characters in lines of 76. */
    if (enc == MS_TE_AUTO)
        enc = ascii && !has_long_line(text->str, text->len) ? MS_TE_7BIT
                                                            : MS_TE_QUOTED_PRINTABLE;
    GString *ct = g_string_new(NULL);
    g_string_append_printf(ct, "text/%s", subtype);
    append_param(ct, "charset", charset);
    e->content_type = g_string_free(ct, FALSE);
    switch (enc) {
    case MS_TE_7BIT:
        /* RFC 2045 2.7: 7bit data is US-ASCII only. */
        if (!ascii) {
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "7bit was asked for, but the text is not US-ASCII");
            return NULL;
        }
        e->encoding = "7bit";
        e->body = g_steal_pointer(&text);
        break;
    case MS_TE_8BIT:
    case MS_TE_BINARY:
        e->encoding = ms_transfer_encoding_name(enc);
        e->body = g_steal_pointer(&text);
        break;
    case MS_TE_BASE64: {
        char *b = ms_base64_encode(text->str, text->len, TRUE);
        e->encoding = "base64";
        e->body = string_take(b);
        break;
    }
    default: {
        /* Text mode: the CRLFs are hard line breaks (RFC 2045 6.7 (4)). */
        char *q = ms_qp_encode(text->str, text->len, FALSE);
        e->encoding = "quoted-printable";
        e->body = string_take(q);
        break;
    }
    }
    return g_steal_pointer(&e);
}

gboolean ms_mime_type_is_text(const char *content_type)
{
    return content_type != NULL && g_ascii_strncasecmp(content_type, "text/", 5) == 0;
}

GBytes *ms_mime_attachment_canonical(const char *content_type, GBytes *data)
{
    if (data == NULL)
        return g_bytes_new(NULL, 0);
    if (!ms_mime_type_is_text(content_type))
        return g_bytes_ref(data);
    /* RFC 2046 4.1.1: text in canonical form breaks its lines with CRLF,
     * and that is what base64 encodes; a bare LF or CR becomes CRLF. */
    gsize len = 0;
    const char *p = g_bytes_get_data(data, &len);
    GString *out = g_string_sized_new(len + len / 16);
    for (gsize i = 0; i < len; i++) {
        if (p[i] == '\r') {
            g_string_append(out, CRLF);
            if (i + 1 < len && p[i + 1] == '\n')
                i++;
        } else if (p[i] == '\n') {
            g_string_append(out, CRLF);
        } else {
            g_string_append_c(out, p[i]);
        }
    }
    return g_string_free_to_bytes(out);
}

const char *ms_mime_guess_charset(GBytes *data)
{
    gsize len = 0;
    const char *p = data != NULL ? g_bytes_get_data(data, &len) : NULL;
    if (len == 0 || ms_message_is_7bit(p, len))
        return "us-ascii";
    /* RFC 1428: 8-bit text in no known charset is labelled so, rather
     * than guessed. */
    return g_utf8_validate(p, (gssize) len, NULL) ? "utf-8" : "unknown-8bit";
}

/* RFC 2046 5.2.1: message/rfc822, a whole message as a part. */
static gboolean is_rfc822(const char *type)
{
    gsize n = strlen("message/rfc822");
    return g_ascii_strncasecmp(type, "message/rfc822", n) == 0
           && (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* A forwarded message, or any message/rfc822 file: RFC 2046 5.2.1 allows
 * no encoding but 7bit, 8bit or binary, so the message goes in as it is,
 * its lines ended by CRLF; a reader shows it inline (RFC 2183 2.1) unless
 * it has a file name. */
static Entity *message_entity(const MsAttachment *a)
{
    Entity *e = g_new0(Entity, 1);
    e->content_type = g_strdup("message/rfc822");
    if (a->filename != NULL) {
        GString *cd = g_string_new("attachment");
        append_param(cd, "filename", a->filename);
        e->disposition = g_string_free(cd, FALSE);
    } else {
        e->disposition = g_strdup("inline");
    }
    gsize len = 0;
    const char *data = a->data != NULL ? g_bytes_get_data(a->data, &len) : NULL;
    e->body = to_crlf(data != NULL ? data : "", len);
    e->encoding = ms_message_is_7bit(e->body->str, e->body->len) ? "7bit" : "8bit";
    return e;
}

static Entity *attachment_entity(const MsAttachment *a)
{
    const char *type = a->content_type != NULL ? a->content_type : "application/octet-stream";
    if (is_rfc822(type))
        return message_entity(a);
    Entity *e = g_new0(Entity, 1);
    const char *fname = a->filename != NULL ? a->filename : "attachment";
    GString *ct = g_string_new(type);
    g_autofree char *given = ms_mime_value_param(type, "charset");
    /* RFC 2046 4.1.2: a text part names its charset; the default,
     * US-ASCII, would be wrong for most files. */
    if (ms_mime_type_is_text(type) && given == NULL)
        append_param(ct, "charset", ms_mime_guess_charset(a->data));
    append_param(ct, "name", fname);
    e->content_type = g_string_free(ct, FALSE);
    GString *cd = g_string_new("attachment");
    append_param(cd, "filename", fname);
    e->disposition = g_string_free(cd, FALSE);
    e->encoding = "base64";
    g_autoptr(GBytes) canonical = ms_mime_attachment_canonical(type, a->data);
    gsize len = 0;
    const void *data = g_bytes_get_data(canonical, &len);
    e->body = string_take(ms_base64_encode(data, len, TRUE));
    return e;
}

/* FNV-1a: a fixed, portable hash, so boundaries are the same everywhere. */
static guint32 fnv1a(const char *s)
{
    guint32 h = 2166136261u;
    for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static gboolean body_contains(const GPtrArray *parts, const char *needle)
{
    gsize n = strlen(needle);
    for (guint i = 0; i < parts->len; i++) {
        const Entity *e = g_ptr_array_index(parts, i);
        for (gsize k = 0; k + n <= e->body->len; k++) {
            if (memcmp(e->body->str + k, needle, n) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

/* A multipart entity holding parts (consumed).  *counter numbers the
 * boundaries of one message. */
static Entity *multipart_entity(const char *subtype, GPtrArray *parts, const char *seed,
                                guint *counter, gboolean preamble)
{
    /* "=_" never occurs in quoted-printable or base64 text (RFC 2045 6.7
     * note, 6.8 alphabet), so only 7bit/8bit parts can collide; those are
     * checked and the counter moves on (RFC 2046 5.1.1: the boundary must
     * not appear in the encapsulated parts). */
    g_autofree char *boundary = NULL;
    do {
        g_free(boundary);
        boundary = g_strdup_printf("=_mailsim_%08x_%u", fnv1a(seed), (*counter)++);
    } while (body_contains(parts, boundary));
    Entity *e = g_new0(Entity, 1);
    GString *ct = g_string_new(NULL);
    g_string_append_printf(ct, "multipart/%s", subtype);
    append_param(ct, "boundary", boundary);
    e->content_type = g_string_free(ct, FALSE);
    /* RFC 2045 6.4: a multipart is labelled 8bit when any part is. */
    for (guint i = 0; i < parts->len; i++) {
        const Entity *p = g_ptr_array_index(parts, i);
        if (p->encoding != NULL && (strcmp(p->encoding, "8bit") == 0 || strcmp(p->encoding, "binary") == 0))
            e->encoding = p->encoding;
    }
    e->body = g_string_new(NULL);
    if (preamble)
        g_string_append(e->body, "This is a multi-part message in MIME format." CRLF);
    for (guint i = 0; i < parts->len; i++) {
        const Entity *p = g_ptr_array_index(parts, i);
        /* RFC 2046 5.1.1: the CRLF before "--boundary" belongs to it. */
        if (i > 0 || preamble)
            g_string_append(e->body, CRLF);
        g_string_append_printf(e->body, "--%s" CRLF, boundary);
        gsize before = e->body->len;
        write_entity(e->body, p);
        /* A base64 body's last CRLF would make an empty line before the
         * delimiter; it is not data, so it goes. */
        if (p->encoding != NULL && strcmp(p->encoding, "base64") == 0 && e->body->len > before + 2 &&
            g_str_has_suffix(e->body->str, CRLF))
            g_string_truncate(e->body, e->body->len - 2);
    }
    g_string_append_printf(e->body, CRLF "--%s--" CRLF, boundary);
    g_ptr_array_unref(parts);
    return e;
}

static char *convert_text(const char *utf8, const char *charset, gsize *len_out, GError **error)
{
    if (g_ascii_strcasecmp(charset, "UTF-8") == 0 || g_ascii_strcasecmp(charset, "UTF8") == 0) {
        *len_out = strlen(utf8);
        return g_strdup(utf8);
    }
    g_autoptr(GError) conv_error = NULL;
    char *out = g_convert(utf8, -1, charset, "UTF-8", NULL, len_out, &conv_error);
    if (out == NULL)
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "the text cannot be written in %s: %s",
                    charset, conv_error->message);
    return out;
}

/* The body entity: text, text+html alternative, plus attachments. */
static Entity *body_entity(const MsMessageDraft *d, const char *text, GError **error)
{
    /* RFC 2046 4.1.2: text that is all ASCII is us-ascii (the default
     * charset, named here as the part has a Content-Type anyway). */
    gboolean ascii = is_ascii(text) && (d->html == NULL || is_ascii(d->html));
    const char *charset = d->charset != NULL ? d->charset : ascii ? "us-ascii" : "UTF-8";
    gsize len = 0;
    g_autofree char *conv = convert_text(text, charset, &len, error);
    if (conv == NULL)
        return NULL;
    Entity *body = text_entity("plain", charset, conv, len, d->text_encoding, error);
    if (body == NULL)
        return NULL;
    const char *seed = d->message_id != NULL ? d->message_id : "";
    guint counter = 0;
    gboolean mixed = d->n_attachments > 0;
    if (d->html != NULL) {
        g_autofree char *hconv = convert_text(d->html, charset, &len, error);
        Entity *html = hconv != NULL ? text_entity("html", charset, hconv, len, d->text_encoding, error)
                                     : NULL;
        if (html == NULL) {
            entity_free(body);
            return NULL;
        }
        /* RFC 2046 5.1.4: alternatives in increasing faithfulness, plain
         * text first. */
        GPtrArray *alt = g_ptr_array_new_with_free_func((GDestroyNotify) entity_free);
        g_ptr_array_add(alt, body);
        g_ptr_array_add(alt, html);
        body = multipart_entity("alternative", alt, seed, &counter, !mixed);
    }
    if (mixed) {
        GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify) entity_free);
        g_ptr_array_add(parts, body);
        for (guint i = 0; i < d->n_attachments; i++)
            g_ptr_array_add(parts, attachment_entity(&d->attachments[i]));
        body = multipart_entity("mixed", parts, seed, &counter, TRUE);
    }
    return body;
}

MsMessage *ms_message_compose(const MsMessageDraft *d, GError **error)
{
    if (d->from == NULL || d->from[0] == '\0') {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "a message needs a From address (RFC 5322 3.6)");
        return NULL;
    }
    g_autoptr(MsMessage) msg = ms_message_new();
    /* RFC 5322 3.6: Date and From are the only required fields. */
    g_autofree char *date = ms_message_format_date(d->date);
    ms_message_add(msg, "Date", date);
    const char *from[] = { d->from, NULL };
    add_address_field(msg, "From", from);
    add_address_field(msg, "To", d->to);
    add_address_field(msg, "Cc", d->cc);
    /* Bcc recipients are envelope-only: writing them would show them to
     * everyone (RFC 5322 3.6.3 allows omitting the field's content). */
    if (d->subject != NULL) {
        if (needs_ew(d->subject)) {
            g_autofree char *words = ms_rfc2047_encode(d->subject, MS_EW_AUTO, strlen("Subject: "));
            drop_line_breaks(words);
            ms_message_add_width(msg, "Subject", words, EW_LINE);
        } else {
            ms_message_add(msg, "Subject", d->subject);
        }
    }
    if (d->message_id != NULL)
        ms_message_add(msg, "Message-ID", d->message_id);
    if (d->in_reply_to != NULL)
        ms_message_add(msg, "In-Reply-To", d->in_reply_to);
    if (d->references != NULL)
        ms_message_add(msg, "References", d->references);

    const char *text = d->text != NULL ? d->text : "";
    if (d->raw_8bit) {
        /* Deliberately wrong: 8-bit octets with no MIME labels at all. */
        g_autoptr(GString) body = to_crlf(text, strlen(text));
        ms_message_set_body(msg, body->str, body->len);
        return g_steal_pointer(&msg);
    }
    /* RFC 2045 5.2: plain US-ASCII text is the default and needs no MIME
     * fields, unless the draft asks for something explicitly. */
    gboolean plain = d->html == NULL && d->n_attachments == 0 && d->charset == NULL &&
                     (d->text_encoding == MS_TE_AUTO || d->text_encoding == MS_TE_7BIT) &&
                     is_ascii(text) &&
                     (d->text_encoding == MS_TE_7BIT || !has_long_line(text, strlen(text)));
    if (plain) {
        g_autoptr(GString) body = to_crlf(text, strlen(text));
        ms_message_set_body(msg, body->str, body->len);
        return g_steal_pointer(&msg);
    }
    g_autoptr(Entity) body = body_entity(d, text, error);
    if (body == NULL)
        return NULL;
    /* RFC 2045 4: the version field marks the message as MIME. */
    ms_message_add(msg, "MIME-Version", "1.0");
    ms_message_add(msg, "Content-Type", body->content_type);
    if (body->encoding != NULL)
        ms_message_add(msg, "Content-Transfer-Encoding", body->encoding);
    ms_message_set_body(msg, body->body->str, body->body->len);
    return g_steal_pointer(&msg);
}

/* ---- The plain form, straight to bytes ----------------------------------
 *
 * Nearly every message a run composes is the plain form: bare addresses,
 * an ASCII subject, US-ASCII text, no MIME fields, every field on its
 * name's line as it is.  That message is written into one buffer, field by
 * field, instead of being built as an MsMessage of fields and serialised;
 * anything else falls back to ms_message_compose(), and tests/test_message.c
 * holds the two to the same bytes. */

/* The buffer the plain form is written into: room for a usual message from
 * the start, copies inlined (a few dozen runs a message). */
typedef struct {
    char *p;
    gsize len, cap;
} PlainOut;

static inline void plain_put(PlainOut *out, const char *src, gsize n)
{
    if (out->cap - out->len < n) {
        out->cap = MAX(out->cap * 2, out->len + n);
        out->p = g_realloc(out->p, out->cap);
    }
    memcpy(out->p + out->len, src, n);
    out->len += n;
}

/* "name: value" CRLF, when the value fits on the name's line as it is
 * (what ms_message_add() then writes); FALSE otherwise. */
static gboolean put_plain_field(PlainOut *out, const char *name, const char *value)
{
    gsize name_len = strlen(name), n = 0;
    if (!ms_message_fits_as_is(name_len, value, MS_MESSAGE_LINE_SHOULD, &n))
        return FALSE;
    plain_put(out, name, name_len);
    plain_put(out, ": ", 2);
    plain_put(out, value, n);
    plain_put(out, CRLF, 2);
    return TRUE;
}

/* An address field of bare addresses, as add_address_field() writes it
 * when none needs formatting or holds "=?" and the list fits on the
 * name's line; FALSE otherwise.  No list, no field. */
static gboolean put_plain_addresses(PlainOut *out, const char *name, const char *const *list)
{
    if (list == NULL || list[0] == NULL)
        return TRUE;
    gsize name_len = strlen(name), total = 0;
    for (guint i = 0; list[i] != NULL; i++) {
        const char *m = list[i];
        gsize n = strlen(m);
        if (n == 0 || g_ascii_isspace(m[0]) || g_ascii_isspace(m[n - 1]) ||
            strcspn(m, "<\r\n") != n || strstr(m, "=?") != NULL)
            return FALSE;
        total += (i > 0 ? 2 : 0) + n;
    }
    if (name_len + 2 + total > MS_MESSAGE_LINE_SHOULD)
        return FALSE;
    plain_put(out, name, name_len);
    plain_put(out, ": ", 2);
    for (guint i = 0; list[i] != NULL; i++) {
        if (i > 0)
            plain_put(out, ", ", 2);
        plain_put(out, list[i], strlen(list[i]));
    }
    plain_put(out, CRLF, 2);
    return TRUE;
}

/* The text with its line ends made CRLF, as append_crlf() writes it. */
static void put_plain_text(PlainOut *out, const char *data, gsize len)
{
    gsize i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        gsize run = nl != NULL ? (gsize) (nl - data) - i : len - i;
        plain_put(out, data + i, run);
        i += run;
        if (i < len) {
            plain_put(out, i == 0 || data[i - 1] != '\r' ? CRLF : "\n",
                      i == 0 || data[i - 1] != '\r' ? 2 : 1);
            i++;
        }
    }
    if (len > 0 && data[len - 1] != '\n')
        plain_put(out, CRLF, 2);
}

/* The draft in the plain form, or NULL when it is not one. */
static GBytes *compose_plain_bytes(const MsMessageDraft *d)
{
    if (d->from == NULL || d->from[0] == '\0' || d->raw_8bit || d->html != NULL ||
        d->n_attachments > 0 || d->charset != NULL ||
        (d->text_encoding != MS_TE_AUTO && d->text_encoding != MS_TE_7BIT))
        return NULL;
    const char *text = d->text != NULL ? d->text : "";
    gsize text_len = strlen(text);
    if (!ms_message_is_7bit(text, text_len) || (d->subject != NULL && needs_ew(d->subject)) ||
        (d->text_encoding != MS_TE_7BIT && has_long_line(text, text_len)))
        return NULL;
    PlainOut out = { .cap = 256 + text_len + text_len / 16 };
    out.p = g_malloc(out.cap);
    char date[MS_MESSAGE_DATE_SIZE];
    ms_message_format_date_to(date, d->date);
    const char *from[] = { d->from, NULL };
    /* The fields in ms_message_compose()'s order. */
    gboolean plain = put_plain_field(&out, "Date", date) &&
                     put_plain_addresses(&out, "From", from) &&
                     put_plain_addresses(&out, "To", d->to) &&
                     put_plain_addresses(&out, "Cc", d->cc) &&
                     (d->subject == NULL || put_plain_field(&out, "Subject", d->subject)) &&
                     (d->message_id == NULL ||
                      put_plain_field(&out, "Message-ID", d->message_id)) &&
                     (d->in_reply_to == NULL ||
                      put_plain_field(&out, "In-Reply-To", d->in_reply_to)) &&
                     (d->references == NULL ||
                      put_plain_field(&out, "References", d->references));
    if (!plain) {
        g_free(out.p);
        return NULL;
    }
    /* RFC 5322 3.5: the empty line, then the body. */
    plain_put(&out, CRLF, 2);
    put_plain_text(&out, text, text_len);
    return g_bytes_new_take(out.p, out.len);
}

GBytes *ms_message_compose_bytes(const MsMessageDraft *d, GError **error)
{
    GBytes *plain = compose_plain_bytes(d);
    if (plain != NULL)
        return plain;
    g_autoptr(MsMessage) msg = ms_message_compose(d, error);
    return msg != NULL ? ms_message_to_bytes(msg) : NULL;
}

char **ms_message_draft_recipients(const MsMessageDraft *d)
{
    const char *const *lists[] = { d->to, d->cc, d->bcc };
    /* Counted first, so the vector is one allocation of its final size:
     * every message a run composes has one. */
    gsize most = 0;
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; lists[l] != NULL && lists[l][i] != NULL; i++)
            most++;
    }
    char **out = g_new(char *, most + 1);
    gsize n = 0;
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; lists[l] != NULL && lists[l][i] != NULL; i++) {
            char *addr = ms_message_addr_spec(lists[l][i]);
            gboolean dup = addr[0] == '\0';
            for (gsize k = 0; k < n && !dup; k++)
                dup = g_ascii_strcasecmp(out[k], addr) == 0;
            if (dup)
                g_free(addr);
            else
                out[n++] = addr;
        }
    }
    out[n] = NULL;
    return out;
}
