/* downgrade.c - turning 8-bit MIME text into 7-bit MIME for a server that
 * does not offer 8BITMIME.
 *
 * RFC 6152 3: an SMTP client with 8-bit text for a server that did not
 * announce 8BITMIME must either convert the message to 7-bit MIME or return
 * it as undeliverable.  Conversion is possible only when MIME says what the
 * bytes are: each leaf part whose body has 8-bit bytes gets a new
 * Content-Transfer-Encoding (quoted-printable for text, base64 for the
 * rest, RFC 2045 6.7, 6.8), and a multipart that was labelled 8bit is
 * relabelled 7bit (RFC 2045 6.4).  A message with no MIME header at all
 * (raw 8-bit text) has no charset to convert from, and 8-bit bytes in a
 * header line would need RFC 2047 words that only the author can choose:
 * those cannot be converted.
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* Nesting deeper than this is refused rather than followed. */
#define MAX_DEPTH 16

typedef struct {
    guint n_qp;     /* parts re-encoded as quoted-printable */
    guint n_base64; /* parts re-encoded as base64 */
} Counts;

static gboolean entity_downgrade(const char *raw, gsize len, gboolean top, guint depth,
                                 Counts *counts, GString *out, GError **error);

/* The length of the line starting at p (without its ending) and, through
 * next_out, where the next line starts. */
static gsize line_at(const char *p, const char *end, const char **next_out)
{
    const char *nl = memchr(p, '\n', (gsize) (end - p));
    const char *stop = nl != NULL ? nl : end;
    gsize n = (gsize) (stop - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *next_out = nl != NULL ? nl + 1 : end;
    return n;
}

/* RFC 2046 5.1.1: "--" boundary, optionally "--" after it, then optional
 * white space (transport padding). */
static gboolean is_delimiter(const char *p, gsize n, const char *boundary, gsize blen,
                             gboolean *close_out)
{
    if (n < blen + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, boundary, blen) != 0)
        return FALSE;
    gsize i = blen + 2;
    *close_out = n >= i + 2 && p[i] == '-' && p[i + 1] == '-';
    if (*close_out)
        i += 2;
    for (; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t')
            return FALSE;
    }
    return TRUE;
}

/* Downgrades every body part of a multipart body; the preamble, the
 * delimiter lines and the epilogue are copied as they are. */
static gboolean multipart_downgrade(const char *body, gsize len, const char *boundary,
                                    guint depth, Counts *counts, GString *out, GError **error)
{
    const char *end = body + len;
    const char *p = body;
    const char *part = NULL; /* start of the current body part */
    gsize blen = strlen(boundary);
    gboolean closed = FALSE;

    while (p < end && !closed) {
        const char *next = NULL;
        gsize n = line_at(p, end, &next);
        gboolean close = FALSE;
        if (!is_delimiter(p, n, boundary, blen, &close)) {
            p = next;
            continue;
        }
        if (part == NULL) {
            g_string_append_len(out, body, p - body); /* the preamble */
        } else {
            /* The line end before a delimiter belongs to the delimiter. */
            const char *stop = p;
            if (stop > part && stop[-1] == '\n')
                stop--;
            if (stop > part && stop[-1] == '\r')
                stop--;
            if (!entity_downgrade(part, (gsize) (stop - part), FALSE, depth + 1, counts, out,
                                  error))
                return FALSE;
            g_string_append_len(out, stop, p - stop);
        }
        g_string_append_len(out, p, next - p);
        part = next;
        closed = close;
        p = next;
    }
    if (part == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "its multipart body has no boundary line \"--%s\"", boundary);
        return FALSE;
    }
    if (!closed) {
        /* No close delimiter (RFC 2046 5.1.1 requires one): what follows
         * the last delimiter is the last part. */
        return entity_downgrade(part, (gsize) (end - part), FALSE, depth + 1, counts, out, error);
    }
    g_string_append_len(out, p, end - p); /* the epilogue */
    return TRUE;
}

static gboolean header_is_7bit(const MsMessage *msg, GError **error)
{
    for (guint i = 0; i < ms_message_n_fields(msg); i++) {
        gsize n = 0;
        const char *raw = ms_message_field_raw(msg, i, &n);
        if (!ms_message_is_7bit(raw, n)) {
            const char *name = ms_message_field_name(msg, i);
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "its header line %s: has 8-bit bytes, which only RFC 2047 words written"
                        " by its author could carry", name != NULL ? name : "(malformed)");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean entity_downgrade(const char *raw, gsize len, gboolean top, guint depth,
                                 Counts *counts, GString *out, GError **error)
{
    if (ms_message_is_7bit(raw, len)) {
        g_string_append_len(out, raw, len);
        return TRUE;
    }
    if (depth > MAX_DEPTH) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "its MIME parts nest too deep");
        return FALSE;
    }
    g_autoptr(MsMessage) msg = ms_message_parse(raw, len, error);
    if (msg == NULL)
        return FALSE;
    if (!header_is_7bit(msg, error))
        return FALSE;
    if (top && ms_message_get(msg, "MIME-Version") == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "it has no MIME header lines to say which character set its 8-bit"
                    " text is in");
        return FALSE;
    }
    const char *ct = ms_message_get(msg, "Content-Type");
    g_autofree char *type = ct != NULL ? ms_mime_value_token(ct) : NULL;
    if (type == NULL)
        type = g_strdup("text/plain"); /* RFC 2045 5.2 */
    g_autoptr(GBytes) body = ms_message_body(msg);
    gsize blen = 0;
    const char *bytes = g_bytes_get_data(body, &blen);

    if (g_str_has_prefix(type, "multipart/")) {
        g_autofree char *boundary = ms_mime_value_param(ct, "boundary");
        if (boundary == NULL || *boundary == '\0') {
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "a multipart part has no boundary");
            return FALSE;
        }
        GString *converted = g_string_new(NULL);
        if (!multipart_downgrade(bytes, blen, boundary, depth, counts, converted, error)) {
            g_string_free(converted, TRUE);
            return FALSE;
        }
        /* RFC 2045 6.4: a multipart is 7bit when every part is. */
        if (ms_message_get(msg, "Content-Transfer-Encoding") != NULL)
            ms_message_set(msg, "Content-Transfer-Encoding", "7bit");
        ms_message_set_body(msg, converted->str, converted->len);
        g_string_free(converted, TRUE);
    } else if (g_str_has_prefix(type, "message/")) {
        /* RFC 2046 5.2.1: message/rfc822 may not be encoded; its own
         * parts would have to be converted, which is left undone here. */
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "it carries a %s part with 8-bit text, which may not be re-encoded", type);
        return FALSE;
    } else if (!ms_message_is_7bit(bytes, blen)) {
        gboolean text = g_str_has_prefix(type, "text/");
        g_autofree char *encoded = text ? ms_qp_encode(bytes, blen, FALSE)
                                        : ms_base64_encode(bytes, blen, TRUE);
        gsize elen = strlen(encoded);
        /* The line end before the next delimiter belongs to it (RFC 2046
         * 5.1.1): base64's own last CRLF would be an empty line. */
        if (!text && !top && elen >= 2 && encoded[elen - 1] == '\n')
            elen -= 2;
        ms_message_set(msg, "Content-Transfer-Encoding", text ? "quoted-printable" : "base64");
        ms_message_set_body(msg, encoded, elen);
        if (text)
            counts->n_qp++;
        else
            counts->n_base64++;
    }
    g_autoptr(GBytes) result = ms_message_to_bytes(msg);
    gsize rlen = 0;
    const char *rbytes = g_bytes_get_data(result, &rlen);
    g_string_append_len(out, rbytes, rlen);
    return TRUE;
}

GBytes *ms_message_downgrade(GBytes *data, char **how_out, GError **error)
{
    gsize len = 0;
    const char *raw = g_bytes_get_data(data, &len);
    Counts counts = { 0, 0 };
    GString *out = g_string_new(NULL);

    if (!entity_downgrade(raw, len, TRUE, 0, &counts, out, error)) {
        g_string_free(out, TRUE);
        return NULL;
    }
    if (how_out != NULL) {
        if (counts.n_qp > 0 && counts.n_base64 > 0)
            *how_out = g_strdup("quoted-printable and base64");
        else
            *how_out = g_strdup(counts.n_base64 > 0 ? "base64" : "quoted-printable");
    }
    return g_string_free_to_bytes(out);
}
