/* imap_seqset.c - IMAP's sequence sets (RFC 3501 section 9): the ranges of
 * message numbers or UIDs a command names, read from their text, tested
 * and written back compactly.
 */
#include "imap-private.h"

/*   sequence-set = (seq-number / seq-range) *("," sequence-set)
 *   seq-range    = seq-number ":" seq-number
 *   seq-number   = nz-number / "*"
 *   nz-number    = digit-nz *DIGIT        ; unsigned 32-bit, not 0 */
static gboolean parse_seq_number(const char **p, guint32 *out)
{
    if (**p == '*') {
        (*p)++;
        *out = 0;
        return TRUE;
    }
    if (**p < '1' || **p > '9')
        return FALSE;
    guint64 v = 0;
    while (g_ascii_isdigit(**p)) {
        v = v * 10 + (guint64) (**p - '0');
        if (v > G_MAXUINT32)
            return FALSE;
        (*p)++;
    }
    *out = (guint32) v;
    return TRUE;
}

GArray *ms_imap_seqset_parse(const char *text)
{
    if (text == NULL || *text == '\0')
        return NULL;
    g_autoptr(GArray) set = g_array_new(FALSE, FALSE, sizeof(MsImapRange));
    const char *p = text;
    for (;;) {
        MsImapRange r = { 0, 0 };
        if (!parse_seq_number(&p, &r.lo))
            return NULL;
        r.hi = r.lo;
        if (*p == ':') {
            p++;
            if (!parse_seq_number(&p, &r.hi))
                return NULL;
        }
        g_array_append_val(set, r);
        if (*p == '\0')
            break;
        if (*p++ != ',')
            return NULL;
    }
    return g_steal_pointer(&set);
}

gboolean ms_imap_seqset_contains(const GArray *set, guint32 n, guint32 star)
{
    for (guint i = 0; set != NULL && i < set->len; i++) {
        const MsImapRange *r = &g_array_index(set, MsImapRange, i);
        guint32 a = r->lo == 0 ? star : r->lo;
        guint32 b = r->hi == 0 ? star : r->hi;
        /* RFC 3501 section 9: "2:4" and "4:2" are the same range. */
        if (n >= MIN(a, b) && n <= MAX(a, b))
            return TRUE;
    }
    return FALSE;
}

guint32 ms_imap_seqset_max(const GArray *set, guint32 star)
{
    guint32 max = 0;
    for (guint i = 0; set != NULL && i < set->len; i++) {
        const MsImapRange *r = &g_array_index(set, MsImapRange, i);
        max = MAX(max, r->lo == 0 ? star : r->lo);
        max = MAX(max, r->hi == 0 ? star : r->hi);
    }
    return max;
}

void ms_imap_write_seqset(MsImapWriter *w, const guint32 *numbers, guint n)
{
    for (guint i = 0; i < n;) {
        guint j = i;
        while (j + 1 < n && numbers[j + 1] == numbers[j] + 1)
            j++;
        if (i > 0)
            ms_imap_writer_add_len(w, ",", 1);
        ms_imap_writer_uint(w, numbers[i]);
        if (j > i) {
            ms_imap_writer_add_len(w, ":", 1);
            ms_imap_writer_uint(w, numbers[j]);
        }
        i = j + 1;
    }
}

char *ms_imap_seqset_format(const guint32 *numbers, guint n)
{
    MsImapWriter w;
    ms_imap_writer_init(&w);
    ms_imap_write_seqset(&w, numbers, n);
    char *text = g_strndup(w.data, w.len);
    ms_imap_writer_clear(&w);
    return text;
}
