/* mime.c - reading the MIME structure of a message (RFC 2045, 2046, 2231).
 *
 * A MIME message is a tree: multipart bodies hold body parts separated by a
 * boundary line, each part again a header section and a body; leaves carry
 * content in a transfer encoding.  This file walks that tree, reads the
 * Content-* fields and their parameters, and undoes transfer encodings.
 * Whatever it cannot make sense of becomes a warning and a leaf, so a
 * malformed message still gives a tree to show.
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* Deeper nesting than this is not read (a defence, not an RFC rule). */
#define MIME_MAX_DEPTH 32

struct MsMimePart {
    MsMessage *entity;
    char *type;            /* lower case */
    GPtrArray *params;     /* name, value, name, value... (char *) */
    MsTransferEncoding encoding;
    char *encoding_name;   /* as written, for unknown encodings */
    char *disposition;
    char *filename;
    GPtrArray *children;   /* MsMimePart * */
    GPtrArray *warnings;   /* char * */
};

/* ---- Header values: tokens, quoted strings, comments ------------------------ */

gboolean ms_mime_is_token_char(guchar c)
{
    /* RFC 2045 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
     * tspecials>, tspecials being ()<>@,;:\"/[]?= */
    return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skips white space and RFC 5322 comments "( ... )", nested and with
 * quoted-pairs (RFC 5322 3.2.2). */
static const char *skip_cfws(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '(')
            return p;
        int depth = 0;
        while (*p != '\0') {
            if (*p == '\\' && p[1] != '\0') {
                p += 2;
                continue;
            }
            if (*p == '(')
                depth++;
            else if (*p == ')')
                depth--;
            p++;
            if (depth == 0)
                break;
        }
    }
}

static char *read_token(const char **pp)
{
    const char *p = *pp;
    const char *start = p;
    while (ms_mime_is_token_char((guchar) *p))
        p++;
    *pp = p;
    return p > start ? g_strndup(start, (gsize) (p - start)) : NULL;
}

/* RFC 5322 3.2.4 quoted-string, at p pointing to the opening quote. */
static char *read_quoted(const char **pp)
{
    const char *p = *pp + 1;
    GString *s = g_string_new(NULL);
    while (*p != '\0' && *p != '"') {
        if (*p == '\\' && p[1] != '\0')
            p++;
        g_string_append_c(s, *p);
        p++;
    }
    if (*p == '"')
        p++;
    *pp = p;
    return g_string_free(s, FALSE);
}

char *ms_mime_value_token(const char *value)
{
    if (value == NULL)
        return NULL;
    const char *p = skip_cfws(value);
    g_autofree char *type = read_token(&p);
    if (type == NULL)
        return NULL;
    p = skip_cfws(p);
    if (*p != '/')
        return g_ascii_strdown(type, -1); /* a disposition: one token */
    p = skip_cfws(p + 1);
    g_autofree char *sub = read_token(&p);
    if (sub == NULL)
        return NULL;
    g_autofree char *both = g_strconcat(type, "/", sub, NULL);
    /* RFC 2045 5.1: type and subtype names are case-insensitive. */
    return g_ascii_strdown(both, -1);
}

/* One "name=value" before RFC 2231 reassembly. */
typedef struct {
    char *base;     /* lower case, without "*n" / "*" */
    int section;    /* -1 when not a continuation */
    gboolean ext;   /* value in RFC 2231 extended (percent) form */
    char *value;
} RawParam;

static void raw_param_free(gpointer p)
{
    RawParam *r = p;
    g_free(r->base);
    g_free(r->value);
    g_free(r);
}

static int hexval(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* RFC 2231 4: percent-decodes an extended value onto out. */
static void percent_decode(GByteArray *out, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        guint8 b = (guint8) *p;
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            b = (guint8) (hexval(p[1]) << 4 | hexval(p[2]));
            p += 2;
        }
        g_byte_array_append(out, &b, 1);
    }
}

static gint by_section(gconstpointer a, gconstpointer b)
{
    const RawParam *x = *(RawParam *const *) a;
    const RawParam *y = *(RawParam *const *) b;
    return x->section - y->section;
}

/* Joins the pieces of one RFC 2231 parameter into UTF-8. */
static char *assemble_2231(GPtrArray *pieces)
{
    g_ptr_array_sort(pieces, by_section);
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autofree char *charset = NULL;
    for (guint i = 0; i < pieces->len; i++) {
        const RawParam *r = g_ptr_array_index(pieces, i);
        const char *v = r->value;
        if (r->ext && i == 0) {
            /* RFC 2231 4: charset'language'%XX..., first section only. */
            const char *q1 = strchr(v, '\'');
            const char *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
            if (q2 != NULL) {
                charset = g_strndup(v, (gsize) (q1 - v));
                v = q2 + 1;
            }
        }
        if (r->ext)
            percent_decode(bytes, v);
        else
            g_byte_array_append(bytes, (const guint8 *) v, (guint) strlen(v));
    }
    g_byte_array_append(bytes, (const guint8 *) "", 1);
    const char *raw = (const char *) bytes->data;
    gsize n = bytes->len - 1;
    if (charset != NULL && charset[0] != '\0' && g_ascii_strcasecmp(charset, "UTF-8") != 0 &&
        g_ascii_strcasecmp(charset, "US-ASCII") != 0) {
        char *conv = g_convert(raw, (gssize) n, "UTF-8", charset, NULL, NULL, NULL);
        if (conv != NULL)
            return conv;
    }
    return g_utf8_make_valid(raw, (gssize) n);
}

/* Parses "; name=value" pairs after the leading token into a flat array
 * name, value, ... with RFC 2231 continuations joined and decoded. */
static GPtrArray *parse_params(const char *value)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (value == NULL)
        return out;
    g_autoptr(GPtrArray) raws = g_ptr_array_new_with_free_func(raw_param_free);
    const char *p = strchr(value, ';');
    while (p != NULL && *p == ';') {
        p = skip_cfws(p + 1);
        g_autofree char *attr = read_token(&p);
        p = skip_cfws(p);
        if (attr == NULL || *p != '=') {
            /* Not a parameter: skip to the next ";" (robustness). */
            p = strchr(p, ';');
            continue;
        }
        p = skip_cfws(p + 1);
        char *v = NULL;
        if (*p == '"') {
            v = read_quoted(&p);
        } else {
            /* Lenient: unquoted values with tspecials ("a/b", "=_x") are
             * common; take everything up to ";" or white space. */
            const char *start = p;
            while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            v = g_strndup(start, (gsize) (p - start));
        }
        p = skip_cfws(p);
        if (*p != ';' && *p != '\0')
            p = strchr(p, ';');
        RawParam *r = g_new0(RawParam, 1);
        r->value = v;
        r->section = -1;
        /* RFC 2231 3, 4: name*n (continuation), name* / name*n* (encoded). */
        g_autofree char *lower = g_ascii_strdown(attr, -1);
        char *star = strchr(lower, '*');
        if (star != NULL) {
            r->base = g_strndup(lower, (gsize) (star - lower));
            const char *rest = star + 1;
            if (g_ascii_isdigit(*rest)) {
                r->section = (int) g_ascii_strtoll(rest, (char **) &rest, 10);
                if (r->section > 999)
                    r->section = 999;
            }
            r->ext = (*rest == '*') || (r->section < 0 && *rest == '\0');
        } else {
            r->base = g_strdup(lower);
        }
        g_ptr_array_add(raws, r);
    }
    /* Assemble in order of first appearance of each name. */
    for (guint i = 0; i < raws->len; i++) {
        const RawParam *r = g_ptr_array_index(raws, i);
        gboolean seen = FALSE;
        for (guint k = 0; k < out->len; k += 2) {
            if (strcmp(g_ptr_array_index(out, k), r->base) == 0)
                seen = TRUE;
        }
        if (seen)
            continue;
        g_autoptr(GPtrArray) pieces = g_ptr_array_new();
        const RawParam *plain = NULL;
        for (guint k = i; k < raws->len; k++) {
            const RawParam *o = g_ptr_array_index(raws, k);
            if (strcmp(o->base, r->base) != 0)
                continue;
            if (o->section < 0 && !o->ext)
                plain = plain != NULL ? plain : o;
            else
                g_ptr_array_add(pieces, (gpointer) o);
        }
        g_ptr_array_add(out, g_strdup(r->base));
        /* RFC 2231 forms win over a plain value given for old readers. */
        if (pieces->len > 0)
            g_ptr_array_add(out, assemble_2231(pieces));
        else
            g_ptr_array_add(out, g_strdup(plain->value));
    }
    return out;
}

static const char *param_lookup(const GPtrArray *params, const char *name)
{
    for (guint k = 0; k + 1 < params->len; k += 2) {
        /* RFC 2045 5.1: parameter names are case-insensitive. */
        if (g_ascii_strcasecmp(g_ptr_array_index(params, k), name) == 0)
            return g_ptr_array_index(params, k + 1);
    }
    return NULL;
}

char *ms_mime_value_param(const char *value, const char *name)
{
    g_autoptr(GPtrArray) params = parse_params(value);
    return g_strdup(param_lookup(params, name));
}

/* ---- The tree ------------------------------------------------------------------------- */

void ms_mime_part_free(MsMimePart *part)
{
    if (part == NULL)
        return;
    ms_message_free(part->entity);
    g_free(part->type);
    g_ptr_array_unref(part->params);
    g_free(part->encoding_name);
    g_free(part->disposition);
    g_free(part->filename);
    g_ptr_array_unref(part->children);
    g_ptr_array_unref(part->warnings);
    g_free(part);
}

static void part_warn(MsMimePart *part, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void part_warn(MsMimePart *part, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(part->warnings, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static MsMimePart *part_new(MsMessage *entity, gboolean in_digest, guint depth);

/* Is the line [p, p+n) a boundary delimiter?  RFC 2046 5.1.1:
 * "--" boundary [ "--" ] *LWSP-char.  *close_out says which kind. */
static gboolean is_delimiter(const char *p, gsize n, const char *boundary, gsize blen,
                             gboolean *close_out)
{
    if (n < blen + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, boundary, blen) != 0)
        return FALSE;
    gsize i = blen + 2;
    *close_out = (n >= i + 2 && p[i] == '-' && p[i + 1] == '-');
    if (*close_out)
        i += 2;
    /* Transport padding: white space a gateway may have added. */
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i == n;
}

/* Splits a multipart body into parts (RFC 2046 5.1.1). */
static void split_multipart(MsMimePart *part, const char *boundary, guint depth)
{
    gsize len = 0;
    g_autoptr(GBytes) body = ms_message_body(part->entity);
    const char *p = g_bytes_get_data(body, &len);
    gsize blen = strlen(boundary);
    gsize pos = 0;
    gssize part_start = -1;  /* where the current part's bytes began */
    gboolean closed = FALSE;
    gboolean digest = g_strcmp0(part->type, "multipart/digest") == 0;
    while (pos < len && !closed) {
        const char *nl = memchr(p + pos, '\n', len - pos);
        gsize end = nl != NULL ? (gsize) (nl - p) + 1 : len;
        gsize content_end = nl != NULL ? end - 1 : len;
        if (content_end > pos && p[content_end - 1] == '\r')
            content_end--;
        gboolean close = FALSE;
        if (is_delimiter(p + pos, content_end - pos, boundary, blen, &close)) {
            if (part_start >= 0) {
                /* The line ending before the delimiter belongs to it. */
                gsize pend = pos;
                if (pend > (gsize) part_start && p[pend - 1] == '\n')
                    pend--;
                if (pend > (gsize) part_start && p[pend - 1] == '\r')
                    pend--;
                const char *bytes = p + part_start;
                gsize n = pend - (gsize) part_start;
                g_autoptr(GError) err = NULL;
                MsMessage *e = n > 0 ? ms_message_parse(bytes, n, &err) : NULL;
                if (e == NULL)
                    e = ms_message_new_body_only(bytes, n);
                g_ptr_array_add(part->children, part_new(e, digest, depth + 1));
            }
            closed = close;
            part_start = (gssize) end;
        }
        pos = end;
    }
    if (part_start < 0) {
        part_warn(part, "no \"--%s\" delimiter line in the body; read as a single part", boundary);
        return;
    }
    if (!closed) {
        /* RFC 2046 5.1.1 requires the close delimiter; take what is there. */
        part_warn(part, "no close delimiter \"--%s--\"; the last part runs to the end", boundary);
        gsize n = len - (gsize) part_start;
        if (n > 0) {
            const char *bytes = p + part_start;
            g_autoptr(GError) err = NULL;
            MsMessage *e = ms_message_parse(bytes, n, &err);
            if (e == NULL)
                e = ms_message_new_body_only(bytes, n);
            g_ptr_array_add(part->children, part_new(e, digest, depth + 1));
        }
    }
    if (part->children->len == 0)
        part_warn(part, "a multipart with no body parts (RFC 2046 5.1.1 wants at least one)");
}

static MsMimePart *part_new(MsMessage *entity, gboolean in_digest, guint depth)
{
    MsMimePart *part = g_new0(MsMimePart, 1);
    part->entity = entity;
    part->children = g_ptr_array_new_with_free_func((GDestroyNotify) ms_mime_part_free);
    part->warnings = g_ptr_array_new_with_free_func(g_free);
    const char *ctype = ms_message_get(entity, "Content-Type");
    part->type = ms_mime_value_token(ctype);
    part->params = parse_params(ctype);
    if (part->type == NULL || strchr(part->type, '/') == NULL) {
        if (ctype != NULL)
            part_warn(part, "unreadable Content-Type \"%s\"; using the default", ctype);
        g_free(part->type);
        /* RFC 2045 5.2 default; RFC 2046 5.1.5: message/rfc822 in a digest. */
        part->type = g_strdup(in_digest ? "message/rfc822" : "text/plain");
        if (!in_digest && param_lookup(part->params, "charset") == NULL) {
            g_ptr_array_add(part->params, g_strdup("charset"));
            g_ptr_array_add(part->params, g_strdup("us-ascii"));
        }
    }
    const char *cte = ms_message_get(entity, "Content-Transfer-Encoding");
    /* RFC 2045 6.1: "7bit" when the field is absent. */
    part->encoding = cte != NULL ? ms_transfer_encoding_from_name(cte) : MS_TE_7BIT;
    part->encoding_name = g_strdup(cte != NULL ? cte : "7bit");
    if (part->encoding == MS_TE_UNKNOWN)
        part_warn(part, "unknown Content-Transfer-Encoding \"%s\" (RFC 2045 6.4: opaque data)", cte);
    const char *disp = ms_message_get(entity, "Content-Disposition");
    part->disposition = ms_mime_value_token(disp);
    g_autofree char *fname = ms_mime_value_param(disp, "filename");
    if (fname == NULL)
        fname = g_strdup(param_lookup(part->params, "name"));
    /* RFC 2047 words inside a parameter are not allowed (RFC 2047 5), but
     * common enough that a reader must decode them. */
    if (fname != NULL)
        part->filename = strstr(fname, "=?") != NULL ? ms_rfc2047_decode(fname) : g_strdup(fname);

    if (depth >= MIME_MAX_DEPTH) {
        part_warn(part, "nested deeper than %d levels; not read further", MIME_MAX_DEPTH);
        return part;
    }
    if (g_str_has_prefix(part->type, "multipart/")) {
        const char *boundary = param_lookup(part->params, "boundary");
        /* RFC 2046 5.1.1: the boundary parameter is required. */
        if (boundary == NULL || boundary[0] == '\0')
            part_warn(part, "multipart without a boundary parameter; read as a single part");
        else
            split_multipart(part, boundary, depth);
    } else if (strcmp(part->type, "message/rfc822") == 0) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) inner = ms_mime_part_decode(part, &err);
        MsMessage *m = inner != NULL ? ms_message_parse_bytes(inner, &err) : NULL;
        if (m != NULL)
            g_ptr_array_add(part->children, part_new(m, FALSE, depth + 1));
        else
            part_warn(part, "the enclosed message cannot be read: %s", err->message);
    }
    return part;
}

MsMimePart *ms_mime_parse(const MsMessage *msg)
{
    return part_new(ms_message_copy(msg), FALSE, 0);
}

/* ---- Accessors --------------------------------------------------------------------------- */

const MsMessage *ms_mime_part_entity(const MsMimePart *part)
{
    return part->entity;
}

const char *ms_mime_part_type(const MsMimePart *part)
{
    return part->type;
}

const char *ms_mime_part_param(const MsMimePart *part, const char *name)
{
    return param_lookup(part->params, name);
}

MsTransferEncoding ms_mime_part_encoding(const MsMimePart *part)
{
    return part->encoding;
}

const char *ms_mime_part_disposition(const MsMimePart *part)
{
    return part->disposition;
}

const char *ms_mime_part_filename(const MsMimePart *part)
{
    return part->filename;
}

const GPtrArray *ms_mime_part_warnings(const MsMimePart *part)
{
    return part->warnings;
}

guint ms_mime_part_n_children(const MsMimePart *part)
{
    return part->children->len;
}

const MsMimePart *ms_mime_part_child(const MsMimePart *part, guint index)
{
    g_return_val_if_fail(index < part->children->len, NULL);
    return g_ptr_array_index(part->children, index);
}

GBytes *ms_mime_part_decode(const MsMimePart *part, GError **error)
{
    g_autoptr(GBytes) raw = ms_message_body(part->entity);
    gsize len = 0;
    const char *data = g_bytes_get_data(raw, &len);
    /* RFC 2046 5.1: a multipart's own body is never encoded beyond 7bit,
     * 8bit or binary, which need no decoding. */
    if (g_str_has_prefix(part->type, "multipart/"))
        return g_steal_pointer(&raw);
    switch (part->encoding) {
    case MS_TE_BASE64:
        return ms_base64_decode(data, len, error);
    case MS_TE_QUOTED_PRINTABLE:
        return ms_qp_decode(data, len, NULL);
    default:
        return g_steal_pointer(&raw);
    }
}

/* ---- Description ---------------------------------------------------------------------------- */

static void describe(GString *out, const MsMimePart *part, guint depth)
{
    for (guint i = 0; i < depth; i++)
        g_string_append(out, "  ");
    g_string_append(out, part->type);
    const char *charset = param_lookup(part->params, "charset");
    if (charset != NULL)
        g_string_append_printf(out, "; charset=%s", charset);
    if (part->children->len == 0 || strcmp(part->type, "message/rfc822") == 0) {
        gsize raw_len = ms_message_body_bytes_count(part->entity);
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) decoded = ms_mime_part_decode(part, &err);
        const char *enc = part->encoding == MS_TE_UNKNOWN ? part->encoding_name
                                                          : ms_transfer_encoding_name(part->encoding);
        if (decoded == NULL)
            g_string_append_printf(out, " (%s, %" G_GSIZE_FORMAT " bytes, undecodable)", enc,
                                   raw_len);
        else if (g_bytes_get_size(decoded) != raw_len)
            g_string_append_printf(out, " (%s, %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " encoded)",
                                   enc, g_bytes_get_size(decoded), raw_len);
        else
            g_string_append_printf(out, " (%s, %" G_GSIZE_FORMAT " bytes)", enc, raw_len);
    }
    if (part->disposition != NULL && strcmp(part->disposition, "inline") != 0)
        g_string_append_printf(out, " %s", part->disposition);
    if (part->filename != NULL)
        g_string_append_printf(out, " \"%s\"", part->filename);
    g_string_append_c(out, '\n');
    for (guint i = 0; i < part->children->len; i++)
        describe(out, g_ptr_array_index(part->children, i), depth + 1);
}

char *ms_mime_describe(const MsMimePart *root)
{
    GString *out = g_string_new(NULL);
    describe(out, root, 0);
    return g_string_free(out, FALSE);
}
