/* codec.c - base64, quoted-printable and RFC 2047 encoded-words.
 *
 * These are the three ways mail squeezes arbitrary octets and non-ASCII text
 * through a channel that was specified for 7-bit US-ASCII lines of bounded
 * length: base64 for bodies that are mostly binary (RFC 2045 6.8),
 * quoted-printable for text that is mostly ASCII (RFC 2045 6.7), and
 * encoded-words for header text, which has no Content-Transfer-Encoding of
 * its own (RFC 2047).
 */
#include "mailsim/codec.h"

#include <string.h>

#include "mailsim/core.h"

/* ---- Transfer-encoding names -------------------------------------------- */

#define MS_TE_NAME_(e, s) s,
static const char *const te_names[] = { MS_TRANSFER_ENCODINGS(MS_TE_NAME_) };
#undef MS_TE_NAME_

const char *ms_transfer_encoding_name(MsTransferEncoding enc)
{
    if ((guint) enc >= MS_TE_N_ENCODINGS)
        return "unknown";
    return te_names[enc];
}

MsTransferEncoding ms_transfer_encoding_from_name(const char *name)
{
    if (name == NULL)
        return MS_TE_UNKNOWN;
    g_autofree char *copy = g_strstrip(g_strdup(name));
    for (guint i = MS_TE_7BIT; i < MS_TE_UNKNOWN; i++) {
        /* RFC 2045 6.1: the values are case-insensitive. */
        if (g_ascii_strcasecmp(copy, te_names[i]) == 0)
            return (MsTransferEncoding) i;
    }
    return MS_TE_UNKNOWN;
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 character, or -1. */
static int b64_value(guchar c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

gsize ms_base64_encoded_size(gsize n, gboolean wrap)
{
    /* RFC 4648 4: every 3 input octets (the last group padded) give 4
     * characters. */
    gsize chars = (n + 2) / 3 * 4;
    if (!wrap)
        return chars;
    /* RFC 2045 6.8: lines of at most 76 characters, each ended by CRLF. */
    gsize lines = (chars + MS_BASE64_LINE - 1) / MS_BASE64_LINE;
    return chars + 2 * lines;
}

char *ms_base64_encode(const void *data, gsize len, gboolean wrap)
{
    const guchar *in = data;
    GString *out = g_string_sized_new(ms_base64_encoded_size(len, wrap) + 1);
    gsize col = 0;
    for (gsize i = 0; i < len; i += 3) {
        guint32 group = (guint32) in[i] << 16;
        gsize have = len - i >= 3 ? 3 : len - i;
        if (have > 1)
            group |= (guint32) in[i + 1] << 8;
        if (have > 2)
            group |= in[i + 2];
        char quad[4];
        quad[0] = b64_alphabet[(group >> 18) & 63];
        quad[1] = b64_alphabet[(group >> 12) & 63];
        /* RFC 4648 4: a final group of one or two octets is padded with "=". */
        quad[2] = have > 1 ? b64_alphabet[(group >> 6) & 63] : '=';
        quad[3] = have > 2 ? b64_alphabet[group & 63] : '=';
        g_string_append_len(out, quad, 4);
        col += 4;
        /* 76 is a multiple of 4, so a line break never splits a quantum. */
        if (wrap && col == MS_BASE64_LINE) {
            g_string_append(out, "\r\n");
            col = 0;
        }
    }
    if (wrap && col > 0)
        g_string_append(out, "\r\n");
    return g_string_free(out, FALSE);
}

GBytes *ms_base64_decode(const char *text, gsize len, GError **error)
{
    GByteArray *out = g_byte_array_sized_new((guint) (len / 4 * 3 + 3));
    guint32 acc = 0;
    guint n = 0;    /* characters in the current quantum */
    guint pad = 0;  /* "=" seen in the current quantum */
    gboolean ended = FALSE;
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar) text[i];
        /* RFC 2045 6.8: line breaks and other white space are not data. */
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            /* RFC 4648 3.2: padding only in the last two places of the
             * final quantum. */
            if (n < 2) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "base64: padding \"=\" too early in a quantum at offset %" G_GSIZE_FORMAT,
                            i);
                g_byte_array_unref(out);
                return NULL;
            }
            pad++;
            n++;
        } else {
            int v = b64_value(c);
            if (v < 0) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "base64: invalid character 0x%02X at offset %" G_GSIZE_FORMAT, c, i);
                g_byte_array_unref(out);
                return NULL;
            }
            if (ended || pad > 0) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "base64: data after the padding at offset %" G_GSIZE_FORMAT, i);
                g_byte_array_unref(out);
                return NULL;
            }
            acc = (acc << 6) | (guint32) v;
            n++;
        }
        if (n == 4) {
            acc <<= 6 * pad;
            guint8 bytes[3] = { (guint8) (acc >> 16), (guint8) (acc >> 8), (guint8) acc };
            g_byte_array_append(out, bytes, 3 - pad);
            ended = pad > 0;
            acc = 0;
            n = 0;
            pad = 0;
        }
    }
    if (n != 0) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "base64: input ends inside a quantum (%u of 4 characters)", n);
        g_byte_array_unref(out);
        return NULL;
    }
    return g_byte_array_free_to_bytes(out);
}

/* ---- quoted-printable ----------------------------------------------------- */

/* RFC 2045 6.7: encoded lines are at most 76 characters; a soft line break
 * takes one of them for its "=". */
#define QP_LINE 76

static const char hex_upper[] = "0123456789ABCDEF";

static int hex_value(guchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Encodes one line (no line break inside unless binary) onto out. */
static void qp_encode_line(GString *out, const guchar *p, gsize n)
{
    gsize col = 0;
    for (gsize i = 0; i < n; i++) {
        guchar c = p[i];
        char tok[3];
        gsize tlen;
        gboolean last = (i + 1 == n);
        /* RFC 2045 6.7 rule 2: printable ASCII except "=" stands for itself;
         * rule 3: SP and HT too, but not at the end of a line, where a
         * transport could strip them. */
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
            tok[0] = (char) c;
            tlen = 1;
        } else {
            /* Rule 1: anything else as "=" and two upper-case hex digits. */
            tok[0] = '=';
            tok[1] = hex_upper[c >> 4];
            tok[2] = hex_upper[c & 15];
            tlen = 3;
        }
        /* Rule 5: soft line break ("=" at the end) to keep lines <= 76.  The
         * last token of the line may use the 76th column itself. */
        gsize limit = last ? QP_LINE : QP_LINE - 1;
        if (col + tlen > limit) {
            g_string_append(out, "=\r\n");
            col = 0;
        }
        g_string_append_len(out, tok, (gssize) tlen);
        col += tlen;
    }
}

char *ms_qp_encode(const void *data, gsize len, gboolean binary)
{
    const guchar *in = data;
    GString *out = g_string_sized_new(len + len / 8 + 4);
    if (binary) {
        qp_encode_line(out, in, len);
        return g_string_free(out, FALSE);
    }
    gsize start = 0;
    while (start < len) {
        const guchar *nl = memchr(in + start, '\n', len - start);
        gsize end = nl != NULL ? (gsize) (nl - in) : len;
        gsize content_end = end;
        /* Rule 4: a line break in text (CRLF, or a bare LF as written on
         * Unix) is a hard line break and is sent as CRLF. */
        if (nl != NULL && content_end > start && in[content_end - 1] == '\r')
            content_end--;
        qp_encode_line(out, in + start, content_end - start);
        if (nl == NULL)
            break;
        g_string_append(out, "\r\n");
        start = end + 1;
    }
    return g_string_free(out, FALSE);
}

GBytes *ms_qp_decode(const char *text, gsize len, guint *bad_out)
{
    const guchar *in = (const guchar *) text;
    GByteArray *out = g_byte_array_sized_new((guint) len);
    guint bad = 0;
    gsize start = 0;
    while (start < len) {
        const guchar *nl = memchr(in + start, '\n', len - start);
        gsize end = nl != NULL ? (gsize) (nl - in) : len;
        gsize eol_start = end;
        if (nl != NULL && eol_start > start && in[eol_start - 1] == '\r')
            eol_start--;
        /* Rule 3: white space at the end of an encoded line was added by a
         * transport, so it is deleted. */
        gsize content_end = eol_start;
        while (content_end > start && (in[content_end - 1] == ' ' || in[content_end - 1] == '\t'))
            content_end--;
        /* Rule 5: a line ending in "=" is a soft break: join with the next. */
        gboolean soft = content_end > start && in[content_end - 1] == '=';
        if (soft)
            content_end--;
        for (gsize i = start; i < content_end; i++) {
            if (in[i] == '=') {
                int hi = i + 2 < content_end ? hex_value(in[i + 1]) : -1;
                int lo = i + 2 < content_end ? hex_value(in[i + 2]) : -1;
                if (hi >= 0 && lo >= 0) {
                    guint8 b = (guint8) (hi << 4 | lo);
                    g_byte_array_append(out, &b, 1);
                    i += 2;
                    continue;
                }
                /* RFC 2045 6.7 note 2: keep a stray "=" as it is. */
                bad++;
            }
            g_byte_array_append(out, in + i, 1);
        }
        if (!soft && nl != NULL)
            g_byte_array_append(out, in + eol_start, (guint) (end + 1 - eol_start));
        start = end + 1;
    }
    if (bad_out != NULL)
        *bad_out = bad;
    return g_byte_array_free_to_bytes(out);
}

/* ---- RFC 2047 encoded-words: encoding -------------------------------------- */

/* RFC 2047 5 (3): the characters a "Q" word may carry as themselves in any
 * position, phrases included; everything else is encoded. */
static gboolean q_literal(guchar c)
{
    return g_ascii_isalnum(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

/* Length of one character's bytes in the Q encoding. */
static gsize q_size(const guchar *p, gsize n)
{
    gsize size = 0;
    for (gsize i = 0; i < n; i++)
        size += (q_literal(p[i]) || p[i] == ' ') ? 1 : 3;
    return size;
}

static void q_append(GString *out, const guchar *p, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (q_literal(p[i])) {
            g_string_append_c(out, (char) p[i]);
        } else if (p[i] == ' ') {
            /* RFC 2047 4.2 (2): "_" stands for SP. */
            g_string_append_c(out, '_');
        } else {
            g_string_append_c(out, '=');
            g_string_append_c(out, hex_upper[p[i] >> 4]);
            g_string_append_c(out, hex_upper[p[i] & 15]);
        }
    }
}

/* "=?UTF-8?B?" plus "?=". */
#define EW_OVERHEAD 12

/* Encodes valid UTF-8 with one encoding, words separated by CRLF SP. */
static char *ew_encode_with(const char *utf8, MsEwEncoding enc, gsize first_max)
{
    GString *out = g_string_new(NULL);
    const guchar *p = (const guchar *) utf8;
    gsize len = strlen(utf8);
    gsize pos = 0;
    gsize word_max = first_max;
    while (pos < len) {
        /* Take as many whole characters as fit (RFC 2047 5 (3): a word
         * never splits a multi-octet character). */
        gsize take = 0;
        gsize payload = 0;
        while (pos + take < len) {
            const char *next = g_utf8_next_char((const char *) p + pos + take);
            gsize clen = (gsize) ((const guchar *) next - (p + pos + take));
            gsize size = enc == MS_EW_B ? (take + clen + 2) / 3 * 4 : payload + q_size(p + pos + take, clen);
            /* Always take at least one character, so the loop advances. */
            if (take > 0 && EW_OVERHEAD + size > word_max)
                break;
            take += clen;
            payload = size;
        }
        if (out->len > 0)
            g_string_append(out, "\r\n ");
        g_string_append(out, enc == MS_EW_B ? "=?UTF-8?B?" : "=?UTF-8?Q?");
        if (enc == MS_EW_B) {
            g_autofree char *b = ms_base64_encode(p + pos, take, FALSE);
            g_string_append(out, b);
        } else {
            q_append(out, p + pos, take);
        }
        g_string_append(out, "?=");
        pos += take;
        word_max = MS_EW_MAX;
    }
    return g_string_free(out, FALSE);
}

char *ms_rfc2047_encode(const char *utf8, MsEwEncoding enc, gsize used)
{
    g_autofree char *valid = g_utf8_make_valid(utf8 != NULL ? utf8 : "", -1);
    /* RFC 2047 2: a line holding an encoded-word is at most 76 characters;
     * the first word shares its line with what is already there.  When too
     * little room is left, the first word gets the full length instead of
     * degenerating into one character per word. */
    gsize first_max = MS_EW_MAX;
    if (used + 24 <= 76 && 76 - used < MS_EW_MAX)
        first_max = 76 - used;
    if (enc == MS_EW_B)
        return ew_encode_with(valid, MS_EW_B, first_max);
    if (enc == MS_EW_Q)
        return ew_encode_with(valid, MS_EW_Q, first_max);
    char *b = ew_encode_with(valid, MS_EW_B, first_max);
    char *q = ew_encode_with(valid, MS_EW_Q, first_max);
    /* AUTO: the shorter text; B on a tie, it is the more compact per octet. */
    if (strlen(q) < strlen(b)) {
        g_free(b);
        return q;
    }
    g_free(q);
    return b;
}

/* ---- RFC 2047 encoded-words: decoding ---------------------------------------- */

/* One recognised encoded-word. */
typedef struct {
    char *charset; /* without an RFC 2231 "*language" suffix */
    GBytes *octets;
    gsize len;     /* characters of the word in the input */
} EncodedWord;

/* Parses an encoded-word at p (RFC 2047 2: "=?" charset "?" encoding "?"
 * encoded-text "?="); FALSE when it is not a well-formed, decodable one. */
static gboolean ew_parse(const char *p, gsize avail, EncodedWord *word)
{
    if (avail < 8 || p[0] != '=' || p[1] != '?')
        return FALSE;
    gsize i = 2;
    gsize cs_start = i;
    while (i < avail && p[i] != '?' && p[i] > ' ' && (guchar) p[i] < 127)
        i++;
    if (i >= avail || p[i] != '?' || i == cs_start)
        return FALSE;
    gsize cs_end = i;
    i++;
    if (i + 1 >= avail || p[i + 1] != '?')
        return FALSE;
    char enc = g_ascii_toupper(p[i]);
    if (enc != 'B' && enc != 'Q')
        return FALSE;
    i += 2;
    gsize text_start = i;
    /* RFC 2047 2: encoded-text has no "?" and no white space. */
    while (i < avail && p[i] != '?' && p[i] > ' ' && (guchar) p[i] < 127)
        i++;
    if (i + 1 >= avail || p[i] != '?' || p[i + 1] != '=')
        return FALSE;
    gsize text_end = i;
    GBytes *octets;
    if (enc == 'B') {
        octets = ms_base64_decode(p + text_start, text_end - text_start, NULL);
        if (octets == NULL)
            return FALSE;
    } else {
        GByteArray *a = g_byte_array_new();
        for (gsize k = text_start; k < text_end; k++) {
            guint8 b = (guint8) p[k];
            /* RFC 2047 4.2 (2): "_" is SP; (1): "=XX" an octet. */
            if (b == '_') {
                b = ' ';
            } else if (b == '=') {
                int hi = k + 1 < text_end ? hex_value((guchar) p[k + 1]) : -1;
                int lo = k + 2 < text_end ? hex_value((guchar) p[k + 2]) : -1;
                if (hi < 0 || lo < 0) {
                    g_byte_array_unref(a);
                    return FALSE;
                }
                b = (guint8) (hi << 4 | lo);
                k += 2;
            }
            g_byte_array_append(a, &b, 1);
        }
        octets = g_byte_array_free_to_bytes(a);
    }
    /* RFC 2231 5: "charset*language" - the language is not needed here. */
    gsize cs_len = cs_end - cs_start;
    const char *star = memchr(p + cs_start, '*', cs_len);
    if (star != NULL)
        cs_len = (gsize) (star - (p + cs_start));
    word->charset = g_strndup(p + cs_start, cs_len);
    word->octets = octets;
    word->len = i + 2;
    return TRUE;
}

/* Converts octets in charset to UTF-8, or NULL if iconv cannot. */
static char *to_utf8(const guint8 *data, gsize len, const char *charset)
{
    if (g_ascii_strcasecmp(charset, "UTF-8") == 0 || g_ascii_strcasecmp(charset, "UTF8") == 0 ||
        g_ascii_strcasecmp(charset, "US-ASCII") == 0) {
        if (!g_utf8_validate((const char *) data, (gssize) len, NULL))
            return NULL;
        return g_strndup((const char *) data, len);
    }
    return g_convert((const char *) data, (gssize) len, "UTF-8", charset, NULL, NULL, NULL);
}

static gboolean is_wsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An encoded-word at offset i of s that is properly delimited: it follows
 * the start, white space or "(" (RFC 2047 5 (1), (2)) and ends at the end,
 * white space or ")"; "<" and "," after a display name are accepted too,
 * as real mailers write them. */
static gboolean ew_at(const char *s, gsize n, gsize i, EncodedWord *w)
{
    if (i > 0 && !is_wsp(s[i - 1]) && s[i - 1] != '(')
        return FALSE;
    if (!ew_parse(s + i, n - i, w))
        return FALSE;
    gsize after = i + w->len;
    if (after == n || is_wsp(s[after]) || s[after] == ')' || s[after] == '<' || s[after] == ',')
        return TRUE;
    g_bytes_unref(w->octets);
    g_free(w->charset);
    return FALSE;
}

/* Appends the decoded run; when its charset cannot be converted, the
 * words are kept as written (RFC 2047 6.3). */
static void flush_run(GString *out, GByteArray *run, const char *charset, const char *raw,
                      gsize raw_len)
{
    g_autofree char *utf8 = to_utf8(run->data, run->len, charset);
    if (utf8 != NULL)
        g_string_append(out, utf8);
    else
        g_string_append_len(out, raw, (gssize) raw_len);
    g_byte_array_set_size(run, 0);
}

char *ms_rfc2047_decode(const char *value)
{
    if (value == NULL)
        return g_strdup("");
    /* Most values (every downloaded message's Subject is decoded for its
     * note) have nothing to unfold and no encoded-word: only the check for
     * valid UTF-8 applies. */
    if (strpbrk(value, "\r\n") == NULL && strstr(value, "=?") == NULL)
        return g_utf8_make_valid(value, -1);
    /* RFC 5322 2.2.3: unfold first; the words' own separators remain. */
    GString *unfolded = g_string_new(NULL);
    for (const char *c = value; *c != '\0'; c++) {
        if (*c != '\r' && *c != '\n')
            g_string_append_c(unfolded, *c);
    }
    const char *s = unfolded->str;
    gsize n = unfolded->len;
    GString *out = g_string_new(NULL);
    g_autoptr(GByteArray) run = g_byte_array_new();
    gsize i = 0;
    while (i < n) {
        EncodedWord w = { 0 };
        if (!ew_at(s, n, i, &w)) {
            g_string_append_c(out, s[i]);
            i++;
            continue;
        }
        /* A run of adjacent words in one charset is converted together, so
         * a character split across two words by a careless encoder still
         * comes out whole. */
        char *charset = w.charset;
        gsize run_start = i;
        g_byte_array_append(run, g_bytes_get_data(w.octets, NULL), (guint) g_bytes_get_size(w.octets));
        g_bytes_unref(w.octets);
        i += w.len;
        for (;;) {
            gsize j = i;
            while (j < n && is_wsp(s[j]))
                j++;
            EncodedWord next = { 0 };
            if (j == i || j == n || !ew_at(s, n, j, &next))
                break;
            /* RFC 2047 6.2: white space between adjacent encoded-words is
             * not displayed. */
            if (g_ascii_strcasecmp(next.charset, charset) != 0) {
                flush_run(out, run, charset, s + run_start, i - run_start);
                g_free(charset);
                charset = g_strdup(next.charset);
                run_start = j;
            }
            g_byte_array_append(run, g_bytes_get_data(next.octets, NULL),
                                (guint) g_bytes_get_size(next.octets));
            g_bytes_unref(next.octets);
            g_free(next.charset);
            i = j + next.len;
        }
        flush_run(out, run, charset, s + run_start, i - run_start);
        g_free(charset);
    }
    g_string_free(unfolded, TRUE);
    char *raw = g_string_free(out, FALSE);
    /* 8-bit header bytes outside any word are not UTF-8 by any promise. */
    char *valid = g_utf8_make_valid(raw, -1);
    g_free(raw);
    return valid;
}
