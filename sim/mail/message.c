/* message.c - an Internet message (RFC 5322) as an ordered list of header
 * fields and a body, kept byte for byte.
 *
 * Relays and mailboxes must not change a message they only pass on, so the
 * parser keeps each field's raw text (folding and line endings included)
 * and anything malformed in place, with a warning, instead of "repairing"
 * it.  Only fields the simulator adds or changes are written fresh, folded
 * at white space to the RFC 5322 2.1.1 limits.
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* A field and its name and value are one allocation (a message is made or
 * parsed field by field at every hop); its raw text, which a field can have
 * rewritten, is another. */
typedef struct {
    char *raw;     /* the field as written, final line ending included */
    gsize raw_len;
    char *name;    /* NULL: a malformed line kept in place; else in text */
    char *value;   /* unfolded, trimmed; in text */
    char text[];   /* name and value, each with its NUL */
} Field;

struct MsMessage {
    GPtrArray *fields;     /* Field * */
    char *separator;       /* the empty line: "\r\n", "\n" or "" (none) */
    GBytes *body;
    const char *eol;       /* static "\r\n" or "\n": for fields added later */
    GPtrArray *warnings;   /* char * */
};

static void field_free(gpointer p)
{
    Field *f = p;
    g_free(f->raw);
    g_free(f);
}

static gboolean is_wsp(guchar c)
{
    return c == ' ' || c == '\t';
}

/* Most values are one line, perhaps with its line ending: then unfolding
 * is trimming, and this says so, with the value in p[*a_out..*b_out). */
static inline gboolean trimmed_one_line(const char *p, gsize len, gsize *a_out, gsize *b_out)
{
    gsize one = len;
    if (one > 0 && p[one - 1] == '\n') {
        one--;
        if (one > 0 && p[one - 1] == '\r')
            one--;
    }
    if (memchr(p, '\n', one) != NULL)
        return FALSE;
    gsize a = 0, b = one;
    while (a < b && is_wsp((guchar) p[a]))
        a++;
    while (b > a && is_wsp((guchar) p[b - 1]))
        b--;
    *a_out = a;
    *b_out = b;
    return TRUE;
}

/* RFC 5322 2.2.3: unfolding removes every line ending that is followed by
 * white space; the value is also trimmed of the white space around it.
 * Writes the value and a NUL to out, or only measures it when out is NULL;
 * returns its length. */
static gsize unfold_to(const char *p, gsize len, char *out)
{
    gsize a, b;
    if (trimmed_one_line(p, len, &a, &b)) {
        if (out != NULL) {
            memcpy(out, p + a, b - a);
            out[b - a] = '\0';
        }
        return b - a;
    }
    /* Two passes over the value, the second only to write it. */
    gsize kept = 0, first = G_MAXSIZE, last = 0;
    for (gsize i = 0; i < len; i++) {
        if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            continue;
        if (!is_wsp((guchar) p[i])) {
            if (first == G_MAXSIZE)
                first = kept;
            last = kept;
        }
        kept++;
    }
    gsize n = first == G_MAXSIZE ? 0 : last - first + 1;
    if (out == NULL)
        return n;
    gsize k = 0, at = 0;
    for (gsize i = 0; i < len && at < n; i++) {
        if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            continue;
        if (k++ >= first)
            out[at++] = p[i];
    }
    out[n] = '\0';
    return n;
}

/* The unfolded value, allocated (transfer full).  A value of one line
 * (a Message-ID, a Subject: nearly every value peeked at) is only
 * trimmed, so it is measured and copied in one pass rather than two. */
static char *unfold(const char *p, gsize len)
{
    gsize a, b;
    if (trimmed_one_line(p, len, &a, &b)) {
        char *out = g_malloc(b - a + 1);
        memcpy(out, p + a, b - a);
        out[b - a] = '\0';
        return out;
    }
    char *out = g_malloc(unfold_to(p, len, NULL) + 1);
    unfold_to(p, len, out);
    return out;
}

/* A field of the given raw text (taken), with its name (NULL: none) and the
 * value unfolded from raw_value. */
static Field *field_new(char *raw, gsize raw_len, const char *name, gsize name_len,
                        const char *raw_value, gsize raw_value_len)
{
    gsize value_len = unfold_to(raw_value, raw_value_len, NULL);
    gsize name_size = name != NULL ? name_len + 1 : 0;
    Field *f = g_malloc(sizeof *f + name_size + value_len + 1);
    f->raw = raw;
    f->raw_len = raw_len;
    f->name = NULL;
    if (name != NULL) {
        f->name = f->text;
        memcpy(f->name, name, name_len);
        f->name[name_len] = '\0';
    }
    f->value = f->text + name_size;
    unfold_to(raw_value, raw_value_len, f->value);
    return f;
}

/* ---- Life cycle ------------------------------------------------------------ */

MsMessage *ms_message_new(void)
{
    MsMessage *msg = g_new0(MsMessage, 1);
    msg->fields = g_ptr_array_new_with_free_func(field_free);
    msg->separator = g_strdup("\r\n");
    msg->body = g_bytes_new(NULL, 0);
    msg->eol = "\r\n";
    msg->warnings = g_ptr_array_new_with_free_func(g_free);
    return msg;
}

void ms_message_free(MsMessage *msg)
{
    if (msg == NULL)
        return;
    g_ptr_array_unref(msg->fields);
    g_free(msg->separator);
    g_bytes_unref(msg->body);
    g_ptr_array_unref(msg->warnings);
    g_free(msg);
}

MsMessage *ms_message_copy(const MsMessage *msg)
{
    MsMessage *copy = ms_message_new();
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        /* The text after the struct: name (if any) and value, with NULs. */
        gsize text = (gsize) (f->value - f->text) + strlen(f->value) + 1;
        Field *c = g_malloc(sizeof *c + text);
        memcpy(c->text, f->text, text);
        c->raw = g_memdup2(f->raw, f->raw_len + 1);
        c->raw_len = f->raw_len;
        c->name = f->name != NULL ? c->text : NULL;
        c->value = c->text + (f->value - f->text);
        g_ptr_array_add(copy->fields, c);
    }
    g_free(copy->separator);
    copy->separator = g_strdup(msg->separator);
    g_bytes_unref(copy->body);
    copy->body = g_bytes_ref(msg->body);
    copy->eol = msg->eol;
    for (guint i = 0; i < msg->warnings->len; i++)
        g_ptr_array_add(copy->warnings, g_strdup(g_ptr_array_index(msg->warnings, i)));
    return copy;
}

MsMessage *ms_message_new_body_only(const void *data, gsize len)
{
    MsMessage *msg = ms_message_new();
    msg->separator[0] = '\0';
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(data, len);
    return msg;
}

/* ---- Parsing ----------------------------------------------------------------- */

/* One line of input: [start, content_end) is the text, [content_end, end)
 * the line ending ("" for a last line without one). */
typedef struct {
    gsize start, content_end, end;
} Line;

/* Always inline: the header scan steps through every line of every header
 * it peeks at, and a call a line cost as much as the step. */
G_ALWAYS_INLINE static inline gboolean next_line(const char *p, gsize len, gsize pos,
                                                 Line *line)
{
    if (pos >= len)
        return FALSE;
    const char *nl = memchr(p + pos, '\n', len - pos);
    line->start = pos;
    if (nl == NULL) {
        line->content_end = len;
        line->end = len;
        return TRUE;
    }
    line->end = (gsize) (nl - p) + 1;
    line->content_end = line->end - 1;
    if (line->content_end > pos && p[line->content_end - 1] == '\r')
        line->content_end--;
    return TRUE;
}

static void warn(MsMessage *msg, guint lineno, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void warn(MsMessage *msg, guint lineno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(msg->warnings, g_strdup_printf("line %u: %s", lineno, text));
}

/* Where a field name ends, per RFC 5322 3.6.8: field-name = 1*ftext, ftext
 * being printable ASCII but ":".  Returns the length of the name and sets
 * *colon_out to the colon's offset; 0 when the line is not a field.  The
 * obsolete form with white space before the colon (RFC 5322 4.5) is
 * accepted and flagged through *obs_out. */
static gsize field_name_len(const char *p, gsize n, gsize *colon_out, gboolean *obs_out)
{
    /* 33..126 but ':' by a table (the rest of it 0): every header line of
     * every message passed on is measured here. */
    static const guint8 ftext[256] = {
        [32] =
        /*  32 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  48 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,
        /*  64 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  96 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 112 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    };
    gsize i = 0;
    while (i < n && ftext[(guchar) p[i]])
        i++;
    gsize name_len = i;
    if (name_len == 0)
        return 0;
    while (i < n && is_wsp((guchar) p[i]))
        i++;
    if (i >= n || p[i] != ':')
        return 0;
    *obs_out = i > name_len;
    *colon_out = i;
    return name_len;
}

static gboolean has_empty_line(const char *p, gsize len)
{
    Line l;
    for (gsize pos = 0; next_line(p, len, pos, &l); pos = l.end) {
        if (l.content_end == l.start && l.end > l.start)
            return TRUE;
    }
    return FALSE;
}

/* Warns about one field's content: 8-bit octets, over-long lines. */
static void check_field(MsMessage *msg, const Field *f, guint first_line)
{
    if (!ms_message_is_7bit(f->raw, f->raw_len))
        warn(msg, first_line, "8-bit octets in a header field (RFC 5322 2.2 allows US-ASCII only)");
    guint lineno = first_line;
    Line l;
    for (gsize pos = 0; next_line(f->raw, f->raw_len, pos, &l); pos = l.end, lineno++) {
        if (l.content_end - l.start > MS_MESSAGE_LINE_MUST)
            warn(msg, lineno, "line of %" G_GSIZE_FORMAT " characters (RFC 5322 2.1.1 allows 998)",
                 l.content_end - l.start);
    }
}

/* The field being read while its continuation lines are still coming. */
typedef struct {
    gboolean open;
    gsize start;      /* input offset of its first line */
    gsize value_off;  /* offset of the value within the field (after ":"), 0 if none */
    gsize name_len;   /* the name starts the field; 0 for a malformed line */
    guint lineno;
} Pending;

/* Closes the pending field: its raw text runs up to `end`. */
static void pending_close(MsMessage *msg, Pending *pend, const char *p, gsize end)
{
    if (!pend->open)
        return;
    gsize raw_len = end - pend->start;
    const char *raw = p + pend->start;
    Field *f = field_new(g_strndup(raw, raw_len), raw_len, pend->name_len > 0 ? raw : NULL,
                         pend->name_len, raw + pend->value_off, raw_len - pend->value_off);
    check_field(msg, f, pend->lineno);
    g_ptr_array_add(msg->fields, f);
    pend->open = FALSE;
}

MsMessage *ms_message_parse(const void *data, gsize len, GError **error)
{
    const char *p = data;
    if (len == 0) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "empty message");
        return NULL;
    }
    g_autoptr(MsMessage) msg = ms_message_new();
    int blank_ahead = -1; /* has_empty_line(), asked only when a line is not a field */
    Line l;
    next_line(p, len, 0, &l);
    /* Fields added later follow the convention of the first line. */
    msg->eol = (l.end == l.content_end + 1) ? "\n" : "\r\n";
    g_free(msg->separator);
    msg->separator = NULL;

    Pending pend = { 0 };
    guint good = 0;           /* well-formed fields */
    gsize body_start = len;
    guint lineno = 0;
    for (gsize pos = 0; next_line(p, len, pos, &l); pos = l.end) {
        lineno++;
        if (memchr(p + l.start, '\0', l.end - l.start) != NULL) {
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "line %u: NUL octet in the header section", lineno);
            return NULL;
        }
        /* RFC 5322 3.5: the header section ends at the first empty line. */
        if (l.content_end == l.start && l.end > l.start) {
            pending_close(msg, &pend, p, l.start);
            msg->separator = g_strndup(p + l.start, l.end - l.start);
            body_start = l.end;
            break;
        }
        /* RFC 5322 2.2.3: a line starting with white space continues the
         * field before it. */
        gboolean starts_wsp = is_wsp((guchar) p[l.start]);
        if (starts_wsp && pend.open)
            continue;
        gsize colon = 0;
        gboolean obs = FALSE;
        gsize name_len =
            starts_wsp ? 0 : field_name_len(p + l.start, l.content_end - l.start, &colon, &obs);
        if (name_len == 0 && blank_ahead < 0)
            blank_ahead = has_empty_line(p, len);
        if (name_len == 0 && !blank_ahead) {
            if (good == 0) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "line %u: not a header field, and no header field before it", lineno);
                return NULL;
            }
            /* No empty line anywhere: the header section must end here. */
            pending_close(msg, &pend, p, l.start);
            warn(msg, lineno, "not a header field and no empty line before it: the body starts here");
            msg->separator = g_strdup("");
            body_start = l.start;
            break;
        }
        pending_close(msg, &pend, p, l.start);
        pend.open = TRUE;
        pend.start = l.start;
        pend.lineno = lineno;
        pend.value_off = 0;
        pend.name_len = name_len;
        if (name_len > 0) {
            pend.value_off = colon + 1;
            good++;
            if (obs)
                warn(msg, lineno, "white space before the colon of \"%.*s\" (obsolete syntax, RFC 5322 4.5)",
                     (int) name_len, p + l.start);
        } else if (starts_wsp) {
            warn(msg, lineno, "a continuation line with no field before it; kept as it is");
        } else {
            warn(msg, lineno, "no colon in a header line (RFC 5322 2.2); kept as it is");
        }
    }
    pending_close(msg, &pend, p, body_start);
    if (msg->separator == NULL)
        msg->separator = g_strdup("");
    /* A message may have no fields only if it starts with the empty line. */
    if (good == 0 && !(msg->fields->len == 0 && msg->separator[0] != '\0')) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "no header field at all: this is not an RFC 5322 message");
        return NULL;
    }
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(p + body_start, len - body_start);
    return g_steal_pointer(&msg);
}

MsMessage *ms_message_parse_bytes(GBytes *bytes, GError **error)
{
    gsize len = 0;
    const void *data = g_bytes_get_data(bytes, &len);
    return ms_message_parse(data, len, error);
}

/* ---- Reading the header without building the message ---------------------- */

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
    return span->found ? unfold(p + span->value_start, span->value_end - span->value_start)
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

const GPtrArray *ms_message_warnings(const MsMessage *msg)
{
    return msg->warnings;
}

const char *ms_message_eol(const MsMessage *msg)
{
    return msg->eol;
}

/* ---- Serialising ---------------------------------------------------------------- */

gsize ms_message_header_bytes_count(const MsMessage *msg)
{
    gsize n = strlen(msg->separator);
    for (guint i = 0; i < msg->fields->len; i++)
        n += ((const Field *) g_ptr_array_index(msg->fields, i))->raw_len;
    return n;
}

gsize ms_message_body_bytes_count(const MsMessage *msg)
{
    return g_bytes_get_size(msg->body);
}

gsize ms_message_size(const MsMessage *msg)
{
    return ms_message_header_bytes_count(msg) + ms_message_body_bytes_count(msg);
}

static GByteArray *header_section(const MsMessage *msg)
{
    GByteArray *out = g_byte_array_sized_new((guint) ms_message_size(msg));
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        g_byte_array_append(out, (const guint8 *) f->raw, (guint) f->raw_len);
    }
    g_byte_array_append(out, (const guint8 *) msg->separator, (guint) strlen(msg->separator));
    return out;
}

GBytes *ms_message_to_bytes(const MsMessage *msg)
{
    GByteArray *out = header_section(msg);
    gsize blen = 0;
    const guint8 *body = g_bytes_get_data(msg->body, &blen);
    g_byte_array_append(out, body, (guint) blen);
    return g_byte_array_free_to_bytes(out);
}

guint ms_message_count_lines(const void *data, gsize len)
{
    const char *p = data;
    guint n = 0;
    for (gsize i = 0; i < len; i++) {
        if (p[i] == '\n')
            n++;
    }
    if (len > 0 && p[len - 1] != '\n')
        n++;
    return n;
}

guint ms_message_header_lines(const MsMessage *msg)
{
    guint n = msg->separator[0] != '\0' ? 1 : 0;
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        n += ms_message_count_lines(f->raw, f->raw_len);
    }
    return n;
}

guint ms_message_body_lines(const MsMessage *msg)
{
    gsize len = 0;
    const void *data = g_bytes_get_data(msg->body, &len);
    return ms_message_count_lines(data, len);
}

GBytes *ms_message_top(const MsMessage *msg, guint n)
{
    GByteArray *out = header_section(msg);
    gsize blen = 0;
    const char *body = g_bytes_get_data(msg->body, &blen);
    gsize end = 0;
    /* RFC 1939 7: the header, the blank line, then n lines of the body. */
    for (guint k = 0; k < n && end < blen; k++) {
        const char *nl = memchr(body + end, '\n', blen - end);
        end = nl != NULL ? (gsize) (nl - body) + 1 : blen;
    }
    g_byte_array_append(out, (const guint8 *) body, (guint) end);
    return g_byte_array_free_to_bytes(out);
}

/* ---- Reading fields --------------------------------------------------------------- */

guint ms_message_n_fields(const MsMessage *msg)
{
    return msg->fields->len;
}

static const Field *field_at(const MsMessage *msg, guint index)
{
    g_return_val_if_fail(index < msg->fields->len, NULL);
    return g_ptr_array_index(msg->fields, index);
}

const char *ms_message_field_name(const MsMessage *msg, guint index)
{
    const Field *f = field_at(msg, index);
    return f != NULL ? f->name : NULL;
}

const char *ms_message_field_value(const MsMessage *msg, guint index)
{
    const Field *f = field_at(msg, index);
    return f != NULL ? f->value : NULL;
}

const char *ms_message_field_raw(const MsMessage *msg, guint index, gsize *len_out)
{
    const Field *f = field_at(msg, index);
    if (len_out != NULL)
        *len_out = f != NULL ? f->raw_len : 0;
    return f != NULL ? f->raw : NULL;
}

/* RFC 5322 1.2.2: field names are case-insensitive. */
static gboolean name_is(const Field *f, const char *name)
{
    return f->name != NULL && g_ascii_strcasecmp(f->name, name) == 0;
}

const char *ms_message_get(const MsMessage *msg, const char *name)
{
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        if (name_is(f, name))
            return f->value;
    }
    return NULL;
}

char **ms_message_get_all(const MsMessage *msg, const char *name)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        if (name_is(f, name))
            g_ptr_array_add(all, g_strdup(f->value));
    }
    g_ptr_array_add(all, NULL);
    return (char **) g_ptr_array_free(all, FALSE);
}

char *ms_message_get_decoded(const MsMessage *msg, const char *name)
{
    const char *value = ms_message_get(msg, name);
    return value != NULL ? ms_rfc2047_decode(value) : NULL;
}

/* ---- Writing fields ------------------------------------------------------------------ */

/* Appends name, colon and value folded at `width` to out (without a final
 * line ending).  A field is written for every message a run composes, relays
 * and delivers, so the value goes in as runs, not a character at a time. */
static void fold_into(GString *out, const char *name, const char *value, const char *eol,
                      gsize width)
{
    /* CR and LF would end the field early: a value is one logical line,
     * each of them white space in it. */
    const char *s = value != NULL ? value : "";
    gsize n = strlen(s);
    while (n > 0 && (is_wsp((guchar) *s) || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n > 0 && (is_wsp((guchar) s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;

    g_string_append(out, name);
    g_string_append_c(out, ':');
    if (n == 0)
        return;
    g_string_append_c(out, ' ');
    gsize line_len = strlen(name) + 2;
    gsize i = 0;
    gboolean first = TRUE;
    while (i < n) {
        /* The next segment: its leading white space, then one word.  The
         * first word stays on the name's line. */
        gsize seg = i;
        while (seg < n && (is_wsp((guchar) s[seg]) || s[seg] == '\r' || s[seg] == '\n'))
            seg++;
        while (seg < n && !is_wsp((guchar) s[seg]) && s[seg] != '\r' && s[seg] != '\n')
            seg++;
        gsize seg_len = seg - i;
        /* RFC 5322 2.2.3: fold by putting a line ending before white
         * space, when the line would pass the preferred width. */
        if (!first && line_len + seg_len > width) {
            g_string_append(out, eol);
            line_len = 0;
        }
        gsize k = i;
        while (k < seg) {
            /* RFC 5322 2.1.1: 998 is a hard limit; an unbreakable word
             * that long is broken anyway. */
            if (line_len >= MS_MESSAGE_LINE_MUST) {
                g_string_append(out, eol);
                g_string_append_c(out, ' ');
                line_len = 1;
            }
            gsize run = MIN(seg - k, MS_MESSAGE_LINE_MUST - line_len);
            gsize at = out->len;
            g_string_append_len(out, s + k, (gssize) run);
            for (gsize c = at; c < out->len; c++) {
                if (out->str[c] == '\r' || out->str[c] == '\n')
                    out->str[c] = ' ';
            }
            line_len += run;
            k += run;
        }
        first = FALSE;
        i = seg;
    }
}

char *ms_message_fold_field_width(const char *name, const char *value, const char *eol,
                                  gsize width)
{
    GString *out = g_string_sized_new(strlen(name) + 80);
    fold_into(out, name, value, eol, width);
    return g_string_free(out, FALSE);
}

char *ms_message_fold_field(const char *name, const char *value, const char *eol)
{
    return ms_message_fold_field_width(name, value, eol, MS_MESSAGE_LINE_SHOULD);
}

/* Most values a run writes (addresses, dates, Message-IDs) fit on the
 * name's line and hold no line break or white space at either end: then
 * the field is "name: value" and its value is the value itself, which is
 * what folding (fold_into()) and unfolding would give. */
gboolean ms_message_fits_as_is(gsize name_len, const char *value, gsize width, gsize *len_out)
{
    const char *v = value != NULL ? value : "";
    gsize n = strcspn(v, "\r\n");
    *len_out = n;
    return v[n] == '\0' && n > 0 && !is_wsp((guchar) v[0]) && !is_wsp((guchar) v[n - 1]) &&
           name_len + 2 + n <= MIN(width, MS_MESSAGE_LINE_MUST);
}

/* "name: value" and eol, for a value that ms_message_fits_as_is(), at out. */
static void put_as_is(char *out, const char *name, gsize name_len, const char *value,
                      gsize value_len, const char *eol, gsize eol_len)
{
    memcpy(out, name, name_len);
    out[name_len] = ':';
    out[name_len + 1] = ' ';
    memcpy(out + name_len + 2, value, value_len);
    memcpy(out + name_len + 2 + value_len, eol, eol_len);
}

static Field *new_field(const MsMessage *msg, const char *name, const char *value, gsize width)
{
    gsize name_len = strlen(name), n = 0;
    if (ms_message_fits_as_is(name_len, value, width, &n)) {
        gsize eol_len = strlen(msg->eol);
        gsize raw_len = name_len + 2 + n + eol_len;
        char *raw = g_malloc(raw_len + 1);
        put_as_is(raw, name, name_len, value, n, msg->eol, eol_len);
        raw[raw_len] = '\0';
        return field_new(raw, raw_len, name, name_len, value, n);
    }
    GString *raw = g_string_sized_new(name_len + 80);
    fold_into(raw, name, value, msg->eol, width);
    g_string_append(raw, msg->eol);
    gsize raw_len = raw->len;
    char *text = g_string_free(raw, FALSE);
    return field_new(text, raw_len, name, name_len, text + name_len + 1, raw_len - name_len - 1);
}

/* A last field without a line ending (input that stopped mid-header)
 * gets one before anything is written after it. */
static void terminate_last_field(MsMessage *msg)
{
    if (msg->fields->len == 0)
        return;
    Field *last = g_ptr_array_index(msg->fields, msg->fields->len - 1);
    if (last->raw_len > 0 && last->raw[last->raw_len - 1] == '\n')
        return;
    char *raw = g_strconcat(last->raw, msg->eol, NULL);
    g_free(last->raw);
    last->raw = raw;
    last->raw_len = strlen(raw);
}

void ms_message_add_width(MsMessage *msg, const char *name, const char *value, gsize width)
{
    terminate_last_field(msg);
    g_ptr_array_add(msg->fields, new_field(msg, name, value, width));
}

void ms_message_add(MsMessage *msg, const char *name, const char *value)
{
    ms_message_add_width(msg, name, value, MS_MESSAGE_LINE_SHOULD);
}

void ms_message_prepend(MsMessage *msg, const char *name, const char *value)
{
    g_ptr_array_insert(msg->fields, 0, new_field(msg, name, value, MS_MESSAGE_LINE_SHOULD));
}

/* Appends k octets at out + *n, or only counts them when out is NULL. */
static void put(char *out, gsize *n, const char *src, gsize k)
{
    if (out != NULL)
        memcpy(out + *n, src, k);
    *n += k;
}

/* A field folded where the value has line breaks, with its line ending,
 * written to out (no NUL), or only measured when out is NULL; returns its
 * length. */
static gsize folded_raw_to(const char *name, const char *value, const char *eol, char *out)
{
    gsize eol_len = strlen(eol), n = 0;
    put(out, &n, name, strlen(name));
    put(out, &n, ": ", 2);
    const char *c = value;
    while (*c != '\0') {
        gsize run = strcspn(c, "\r\n");
        put(out, &n, c, run);
        c += run;
        if (*c == '\n') {
            put(out, &n, eol, eol_len);
            put(out, &n, " ", 1);
            c++;
        } else if (*c == '\r') {
            put(out, &n, " ", 1);
            c++;
        }
    }
    put(out, &n, eol, eol_len);
    return n;
}

void ms_message_prepend_folded(MsMessage *msg, const char *name, const char *value)
{
    gsize raw_len = folded_raw_to(name, value, msg->eol, NULL), name_len = strlen(name);
    char *text = g_malloc(raw_len + 1);
    folded_raw_to(name, value, msg->eol, text);
    text[raw_len] = '\0';
    Field *f = field_new(text, raw_len, name, name_len, text + name_len + 1,
                         raw_len - name_len - 1);
    g_ptr_array_insert(msg->fields, 0, f);
}

void ms_message_set(MsMessage *msg, const char *name, const char *value)
{
    guint i = 0;
    while (i < msg->fields->len && !name_is(g_ptr_array_index(msg->fields, i), name))
        i++;
    if (i == msg->fields->len) {
        ms_message_add(msg, name, value);
        return;
    }
    field_free(g_ptr_array_index(msg->fields, i));
    msg->fields->pdata[i] = new_field(msg, name, value, MS_MESSAGE_LINE_SHOULD);
    for (guint k = msg->fields->len; k-- > i + 1;) {
        if (name_is(g_ptr_array_index(msg->fields, k), name))
            g_ptr_array_remove_index(msg->fields, k);
    }
}

guint ms_message_remove(MsMessage *msg, const char *name)
{
    guint removed = 0;
    for (guint k = msg->fields->len; k-- > 0;) {
        if (name_is(g_ptr_array_index(msg->fields, k), name)) {
            g_ptr_array_remove_index(msg->fields, k);
            removed++;
        }
    }
    return removed;
}

/* ---- Body ------------------------------------------------------------------------------ */

GBytes *ms_message_body(const MsMessage *msg)
{
    return g_bytes_ref(msg->body);
}

void ms_message_set_body(MsMessage *msg, const void *data, gsize len)
{
    /* RFC 5322 3.5: a body is separated from the header by an empty line. */
    if (msg->separator[0] == '\0') {
        terminate_last_field(msg);
        g_free(msg->separator);
        msg->separator = g_strdup(msg->eol);
    }
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(data, len);
}

/* ---- The 7-bit rule ---------------------------------------------------------------------- */

gssize ms_message_first_8bit(const void *data, gsize len)
{
    const guchar *p = data;
    /* Eight octets at a time while none is above 127 or zero: every text
     * a run composes is asked.  A word with such an octet is read again
     * octet by octet, for where it is. */
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
    gsize i = 0;
    for (; i + sizeof(guint64) <= len; i += sizeof(guint64)) {
        guint64 w;
        memcpy(&w, p + i, sizeof w);
        /* The high bits, then (for a word without them) a zero octet. */
        if (((w | ((w - ones) & ~w)) & highs) != 0)
            break;
    }
    for (; i < len; i++) {
        /* RFC 2045 2.7: 7bit data has no octet above 127 and no NUL. */
        if (p[i] == 0 || p[i] > 127)
            return (gssize) i;
    }
    return -1;
}

gboolean ms_message_is_7bit(const void *data, gsize len)
{
    return ms_message_first_8bit(data, len) < 0;
}

/* ---- Dates and addresses ------------------------------------------------------------------ */

gsize ms_message_format_date_to(char *out, gint64 unix_seconds)
{
    static const char *const days[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    /* The Gregorian calendar, weekdays included, repeats every 400 years
     * (146,097 days, a whole number of weeks): a time before 1970 is moved
     * on by whole such eras, and the years taken back at the end, so that
     * the arithmetic below is unsigned, which costs fewer instructions a
     * division than signed (every message and every Received: field has a
     * date). */
    const gint64 era_seconds = G_GINT64_CONSTANT(146097) * 86400;
    gint64 eras_back = 0;
    if (unix_seconds < 0)
        eras_back = (-(unix_seconds + 1)) / era_seconds + 1;
    /* In [0, era_seconds): added without wrapping signed, which is UB. */
    guint64 t = (guint64) unix_seconds + (guint64) eras_back * (guint64) era_seconds;
    guint64 day = t / 86400;
    guint64 secs = t % 86400;
    /* Days from 1970-01-01 (a Thursday) to a civil date, after H. Hinnant's
     * days_from_civil inverse: eras of 400 years starting in March. */
    guint64 z = day + 719468;
    guint64 era = z / 146097;
    guint64 doe = z - era * 146097;
    guint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    guint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    guint64 mp = (5 * doy + 2) / 153;
    guint64 d = doy - (153 * mp + 2) / 5 + 1;
    guint64 m = mp < 10 ? mp + 3 : mp - 9;
    gint64 y = (gint64) (yoe + era * 400) - eras_back * 400 + (m <= 2);
    guint64 wd = day % 7;
    /* RFC 5322 3.3: day-name "," day month year time zone. */
    if (y < 0 || y > 9999)
        return (gsize) g_snprintf(out, MS_MESSAGE_DATE_SIZE,
                                  "%s, %02d %s %04d %02d:%02d:%02d +0000", days[wd], (int) d,
                                  months[m - 1], (int) y, (int) (secs / 3600),
                                  (int) (secs / 60 % 60), (int) (secs % 60));
    /* Every message and every Received: field has a date: written digit by
     * digit, as printf would, for a tenth of its cost. */
    guint h = (guint) (secs / 3600), mi = (guint) (secs / 60 % 60), se = (guint) (secs % 60);
    guint yy = (guint) y;
    memcpy(out, days[wd], 3);
    out[3] = ',';
    out[4] = ' ';
    out[5] = (char) ('0' + d / 10);
    out[6] = (char) ('0' + d % 10);
    out[7] = ' ';
    memcpy(out + 8, months[m - 1], 3);
    out[11] = ' ';
    out[12] = (char) ('0' + yy / 1000);
    out[13] = (char) ('0' + yy / 100 % 10);
    out[14] = (char) ('0' + yy / 10 % 10);
    out[15] = (char) ('0' + yy % 10);
    out[16] = ' ';
    out[17] = (char) ('0' + h / 10);
    out[18] = (char) ('0' + h % 10);
    out[19] = ':';
    out[20] = (char) ('0' + mi / 10);
    out[21] = (char) ('0' + mi % 10);
    out[22] = ':';
    out[23] = (char) ('0' + se / 10);
    out[24] = (char) ('0' + se % 10);
    memcpy(out + 25, " +0000", sizeof " +0000");
    return sizeof "Thu, 01 Jan 1970 00:00:00 +0000" - 1;
}

char *ms_message_format_date(gint64 unix_seconds)
{
    char buf[MS_MESSAGE_DATE_SIZE];
    gsize n = ms_message_format_date_to(buf, unix_seconds);
    return g_strndup(buf, n);
}

char *ms_message_addr_spec(const char *mailbox)
{
    if (mailbox == NULL)
        return g_strdup("");
    /* RFC 5322 3.4: name-addr = [display-name] angle-addr; the last "<"
     * starts the angle-addr even if the display name holds one. */
    const char *lt = strrchr(mailbox, '<');
    if (lt != NULL) {
        const char *gt = strchr(lt, '>');
        gsize n = gt != NULL ? (gsize) (gt - lt - 1) : strlen(lt + 1);
        char *addr = g_strndup(lt + 1, n);
        return g_strstrip(addr);
    }
    return g_strstrip(g_strdup(mailbox));
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
            size = folded_raw_to(name, value, eol, small);
            out = g_malloc(size + len);
            memcpy(out, small, size);
        } else {
            size = folded_raw_to(name, value, eol, NULL);
            out = g_malloc(size + len);
            folded_raw_to(name, value, eol, out);
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
