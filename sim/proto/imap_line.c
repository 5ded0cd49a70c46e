/* imap_line.c - a line of IMAP as the parser gives it: its arguments
 * (atoms, strings - quoted or literal - and parenthesised lists), kept in
 * room that comes with the line, and what the engines ask of them: the
 * tag, whether an argument is a given atom, an astring, a number.  Reading
 * the lines off the wire is imap_parse.c's.
 */
#include "imap-private.h"

#include <string.h>

/* What did not fit in a line's room (imap-private.h says why it has one). */
struct MsImapPiece {
    struct MsImapPiece *next;
    guint64 data[];
};

gpointer ms_imap_line_alloc(MsImapLine *line, gsize size)
{
    MsImapLineStore *ls = (MsImapLineStore *) line;
    gsize aligned = (size + 7) & ~(gsize) 7; /* keeps the next piece aligned */
    if (ls->used + aligned <= MS_IMAP_LINE_ROOM) {
        char *p = (char *) ls->room + ls->used;
        ls->used += aligned;
        MS_IMAP_ROOM_UNPOISON(p, size);
        return p;
    }
    MsImapPiece *piece = g_malloc(sizeof *piece + size);
    piece->next = ls->more;
    ls->more = piece;
    return piece->data;
}

char *ms_imap_line_strndup(MsImapLine *line, const char *s, gsize len)
{
    char *copy = ms_imap_line_alloc(line, len + 1);
    if (len > 0)
        memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void ms_imap_line_free_pieces(MsImapLineStore *ls)
{
    while (ls->more != NULL) {
        MsImapPiece *next = ls->more->next;
        g_free(ls->more);
        ls->more = next;
    }
}

void ms_imap_line_free(MsImapLine *line)
{
    if (line == NULL)
        return;
    MsImapLineStore *ls = (MsImapLineStore *) line;
    ms_imap_line_free_pieces(ls);
    MS_IMAP_ROOM_UNPOISON(ls->room, MS_IMAP_LINE_ROOM);
    g_free(ls);
}

const MsImapArg *ms_imap_line_arg(const MsImapLine *line, guint index)
{
    if (line == NULL || index >= line->args->len)
        return NULL;
    return line->args->items[index];
}

const char *ms_imap_line_tag(const MsImapLine *line)
{
    const MsImapArg *arg = ms_imap_line_arg(line, 0);
    return arg != NULL && arg->kind == MS_IMAP_ARG_ATOM ? arg->data : NULL;
}

gboolean ms_imap_arg_is_atom(const MsImapArg *arg, const char *word)
{
    return arg != NULL && arg->kind == MS_IMAP_ARG_ATOM && ms_imap_ascii_caseeq(arg->data, word);
}

const char *ms_imap_arg_astring(const MsImapArg *arg)
{
    if (arg == NULL || arg->kind == MS_IMAP_ARG_LIST)
        return NULL;
    /* A NUL cannot be part of a name or a password. */
    if (memchr(arg->data, '\0', arg->len) != NULL)
        return NULL;
    return arg->data;
}

gboolean ms_imap_arg_number(const MsImapArg *arg, guint32 *out)
{
    /* RFC 3501 section 9: number = 1*DIGIT, an unsigned 32-bit integer. */
    if (arg == NULL || arg->kind != MS_IMAP_ARG_ATOM || arg->len == 0 || arg->len > 10)
        return FALSE;
    guint64 v = 0;
    for (gsize i = 0; i < arg->len; i++) {
        if (!g_ascii_isdigit(arg->data[i]))
            return FALSE;
        v = v * 10 + (guint64) (arg->data[i] - '0');
    }
    if (v > G_MAXUINT32)
        return FALSE;
    *out = (guint32) v;
    return TRUE;
}
