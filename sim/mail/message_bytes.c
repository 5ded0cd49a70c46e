/* message_bytes.c - a message kept as its bytes: reading its header and
 * putting a field in front of it without building an MsMessage.
 *
 * Relays and mailboxes keep the messages they pass on as bytes; what they
 * ask of the header (a Message-ID, the line ending) and the trace fields
 * they add (Received:, Return-Path:) must not cost a parse.
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* What ms_message_parse() would make of a header section, found in one pass
 * over it and without allocating: whether it parses, the line ending of its
 * first line, and where the first field of each name in `want` (if any) is.
 * Relays and mailboxes ask this of every message they pass on, so it must
 * not cost a parse; it follows the parser's rules line by line, and
 * tests/test_message.c holds the two to the same answers. */
#define MAX_PEEK 4

typedef struct {
    gboolean found;
    gsize value_start;        /* the first such field's value, before unfolding */
    gsize value_end;
} FieldSpan;

typedef struct {
    const char *eol;          /* "\r\n" or "\n", as ms_message_parse() sets msg->eol */
    FieldSpan span[MAX_PEEK]; /* one for each name asked for */
} HeaderScan;

/* RFC 5322 1.2.2: field names compare without regard to ASCII case.  Two
 * names of n octets, no NUL among them: inline, as g_ascii_strncasecmp()
 * cost many times the comparison of a name of a few letters. */
static inline gboolean name_caseeq(const char *a, const char *b, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        guchar x = (guchar) a[i], y = (guchar) b[i];
        if (x != y && (x | 0x20) != (y | 0x20))
            return FALSE;
        if (x != y && ((x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return FALSE;
    }
    return TRUE;
}

/* Where skimming goes on from pos, a line's start: past every line that
 * goes on a field (it starts with white space) and every line whose first
 * letter is no name's still missing (firsts), setting *skimmed_out when
 * it passes one of those; at the first other line, which is read in full
 * (an empty one, a line starting with CR among them), or at len.  Only
 * when no field's value is still open: passing a line closes it. */
static inline gsize skim_lines(const char *p, gsize len, gsize pos, guint32 firsts,
                               gboolean *skimmed_out)
{
    while (pos < len) {
        guchar c = (guchar) p[pos];
        if (!is_wsp(c)) {
            if (c == '\r' || c == '\n' || ((firsts >> (c & 31u)) & 1u))
                break;
            *skimmed_out = TRUE;
        }
        const char *nl = memchr(p + pos, '\n', len - pos);
        pos = nl != NULL ? (gsize) (nl - p) + 1 : len;
    }
    return pos;
}

/* One pass of header_scan(): 1 (a message), 0 (none) or, when skimming
 * found no empty line, -1.  Skimming does not measure the names of lines
 * that cannot be a field asked for (their first letter is none of the
 * names') once a good field has been read: such a line, malformed, would
 * only matter if no empty line followed, and then the pass gives up for a
 * pass that reads every line. */
static int header_scan_pass(const char *p, gsize len, const char *const *want,
                            const gsize *want_len, guint n_want, gboolean skim,
                            HeaderScan *out)
{
    memset(out, 0, sizeof *out);
    guint missing = n_want;
    Line l = { 0 };
    next_line(p, len, 0, &l);
    out->eol = (l.end == l.content_end + 1) ? "\n" : "\r\n";
    int blank_ahead = -1; /* has_empty_line(), asked only when needed */
    gboolean open = FALSE, skimmed = FALSE;
    FieldSpan *matching = NULL;
    guint good = 0, fields = 0;
    gboolean separator = FALSE;
    /* The first letters of the names still missing, one bit each. */
    guint32 firsts = 0;
    for (guint w = 0; w < n_want; w++)
        firsts |= 1u << ((guchar) want[w][0] & 31u);
    /* A NUL octet in any line read makes it no message (the parser's
     * rule); the lines read are looked at for one in a single call, at
     * the end, rather than one call a line. */
    /* Once a good field has been read, skimming steps over the lines it
     * does not read without making them a Line (skim_lines()). */
    for (gsize pos = 0; next_line(p, len, pos, &l);
         pos = skim && good > 0 && matching == NULL ? skim_lines(p, len, l.end, firsts, &skimmed)
                                                    : l.end) {
        if (l.content_end == l.start && l.end > l.start) {
            separator = TRUE;
            break;
        }
        gboolean starts_wsp = is_wsp((guchar) p[l.start]);
        if (starts_wsp && open)
            continue;
        if (matching != NULL) {
            matching->value_end = l.start;
            matching = NULL;
        }
        if (skim && good > 0 && !starts_wsp) {
            /* Case folded as for letters, and only the low five bits of
             * that looked up: a line that is no candidate may pass too,
             * and is then measured and compared in full. */
            if (!((firsts >> ((guchar) p[l.start] & 31u)) & 1u)) {
                skimmed = TRUE;
                fields++;
                continue;
            }
        }
        gsize colon = 0;
        gboolean obs = FALSE;
        gsize name_len =
            starts_wsp ? 0 : field_name_len(p + l.start, l.content_end - l.start, &colon, &obs);
        if (name_len == 0) {
            if (blank_ahead < 0)
                blank_ahead = has_empty_line(p, len);
            if (!blank_ahead) {
                /* A line skimmed over may have started the body. */
                if (skimmed)
                    return -1;
                if (good == 0)
                    return 0;
                /* The body starts here, with no separator. */
                return memchr(p, '\0', l.end) == NULL;
            }
        }
        open = TRUE;
        fields++;
        if (name_len > 0) {
            good++;
            for (guint w = 0; missing > 0 && w < n_want; w++) {
                FieldSpan *span = &out->span[w];
                if (!span->found && name_len == want_len[w] &&
                    name_caseeq(p + l.start, want[w], name_len)) {
                    span->found = TRUE;
                    span->value_start = l.start + colon + 1;
                    matching = span;
                    missing--;
                    firsts = 0;
                    for (guint v = 0; v < n_want; v++) {
                        if (!out->span[v].found)
                            firsts |= 1u << ((guchar) want[v][0] & 31u);
                    }
                    break;
                }
            }
        }
    }
    if (skimmed && !separator)
        return -1;
    if (matching != NULL)
        matching->value_end = separator ? l.start : len;
    if (memchr(p, '\0', separator ? l.start : len) != NULL)
        return 0;
    return good > 0 || (fields == 0 && separator);
}

static gboolean header_scan(const char *p, gsize len, const char *const *want, guint n_want,
                            HeaderScan *out)
{
    g_assert(n_want <= MAX_PEEK);
    if (len == 0) {
        memset(out, 0, sizeof *out);
        return FALSE;
    }
    /* The names' lengths, measured once rather than at every line. */
    gsize want_len[MAX_PEEK];
    for (guint w = 0; w < n_want; w++)
        want_len[w] = strlen(want[w]);
    int found = header_scan_pass(p, len, want, want_len, n_want, TRUE, out);
    if (found < 0)
        found = header_scan_pass(p, len, want, want_len, n_want, FALSE, out);
    return found > 0;
}

static char *span_value(const char *p, const FieldSpan *span)
{
    return span->found
               ? ms_message_unfold(p + span->value_start, span->value_end - span->value_start)
               : NULL;
}

char *ms_message_peek_field(GBytes *data, const char *name)
{
    gsize len = 0;
    const char *p = g_bytes_get_data(data, &len);
    HeaderScan scan;
    if (!header_scan(p, len, &name, 1, &scan))
        return NULL;
    return span_value(p, &scan.span[0]);
}

gboolean ms_message_peek_fields(GBytes *data, const char *const *names, guint n,
                                char **values_out)
{
    gsize len = 0;
    const char *p = g_bytes_get_data(data, &len);
    HeaderScan scan;
    gboolean ok = header_scan(p, len, names, n, &scan);
    for (guint i = 0; i < n; i++)
        values_out[i] = ok ? span_value(p, &scan.span[i]) : NULL;
    return ok;
}

/* The field in front of the text, which the caller knows to be a message
 * whose first line ends in eol. */
static GBytes *prepend_known(const char *p, gsize len, const char *name, const char *value,
                             gboolean folded, const char *eol)
{
    /* A parsed message is written back byte for byte, so the new field
     * followed by the text is what parse, prepend and serialise would give.
     * Mailboxes and queues keep what this returns for the rest of a run:
     * it takes its size, not a GString's next power of two.  The field is
     * measured, then written straight into it. */
    gsize name_len = strlen(name), eol_len = strlen(eol), n = 0, size;
    char *out;
    if (folded) {
        /* Every server's Received: field, written once on the stack when
         * it surely fits (each octet of the value gives eol_len + 1 at
         * most) rather than measured first and then written. */
        char small[512];
        if (name_len + 2 + strlen(value) * (eol_len + 1) + eol_len <= sizeof small) {
            size = ms_message_folded_raw_to(name, value, eol, small);
            out = g_malloc(size + len);
            memcpy(out, small, size);
        } else {
            size = ms_message_folded_raw_to(name, value, eol, NULL);
            out = g_malloc(size + len);
            ms_message_folded_raw_to(name, value, eol, out);
        }
    } else if (ms_message_fits_as_is(name_len, value, MS_MESSAGE_LINE_SHOULD, &n)) {
        /* Delivery's Return-Path: the address as it is, as a rule. */
        size = name_len + 2 + n + eol_len;
        out = g_malloc(size + len);
        put_as_is(out, name, name_len, value, n, eol, eol_len);
    } else {
        g_autofree char *field =
            ms_message_fold_field_width(name, value, eol, MS_MESSAGE_LINE_SHOULD);
        gsize field_len = strlen(field);
        size = field_len + eol_len;
        out = g_malloc(size + len);
        memcpy(out, field, field_len);
        memcpy(out + field_len, eol, eol_len);
    }
    memcpy(out + size, p, len);
    return g_bytes_new_take(out, size + len);
}

GBytes *ms_message_prepend_to_bytes(GBytes *data, const char *name, const char *value,
                                    gboolean folded)
{
    return ms_message_prepend_peek(data, name, value, folded, NULL, NULL, NULL);
}

GBytes *ms_message_prepend_peek(GBytes *data, const char *name, const char *value,
                                gboolean folded, const char *want, char **want_out,
                                const char **eol_out)
{
    gsize len = 0;
    const char *p = g_bytes_get_data(data, &len);
    HeaderScan scan;
    gboolean ok = header_scan(p, len, &want, want != NULL ? 1 : 0, &scan);
    if (want_out != NULL)
        *want_out = ok ? span_value(p, &scan.span[0]) : NULL;
    if (eol_out != NULL)
        *eol_out = ok ? scan.eol : NULL;
    if (!ok)
        return NULL;
    return prepend_known(p, len, name, value, folded, scan.eol);
}

GBytes *ms_message_prepend_to_bytes_eol(GBytes *data, const char *name, const char *value,
                                        gboolean folded, const char *eol)
{
    if (eol == NULL)
        return ms_message_prepend_to_bytes(data, name, value, folded);
    gsize len = 0;
    const char *p = g_bytes_get_data(data, &len);
    return prepend_known(p, len, name, value, folded, eol);
}
