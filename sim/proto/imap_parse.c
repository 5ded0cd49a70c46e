/* imap_parse.c - reading IMAP's wire format: the byte stream cut into
 * command or response lines of arguments (what a line holds, and the room
 * it is kept in, are imap_line.c's; sequence sets are in imap_seqset.c).
 *
 * IMAP cannot be read a line at a time the way SMTP and POP3 are: a literal
 * "{n}" CRLF is followed by exactly n octets that may hold line ends of
 * their own (RFC 3501 4.3), after which the same command line goes on.  So
 * the parser here works on the raw bytes; it still treats CRLF as the one
 * line ending, accepting a bare LF as the line reader does.  It is a state
 * machine that can stop anywhere: it returns 1 for a complete line, 0 when
 * it needs more input (after telling the server when a synchronizing
 * literal is waiting for its "+"), and -1 for a syntax error.  Writing
 * IMAP is in imap_writer.c.
 */
#include "imap-private.h"

#include <string.h>

#include "mailsim/core.h"

struct MsImapParser {
    guint8 *buf;           /* octets fed; those before pos are consumed */
    gsize len;
    gsize cap;
    gsize pos;             /* next octet to read */
    gsize line_start;      /* where the line being read starts */
    gboolean response;
    gsize max_literal;
    const char *too_large; /* the error for a literal past it */

    MsImapLine *line;      /* the line being built, NULL between lines */
    MsImapLineStore *spare; /* a line given back, for the next one */
    /* The arguments read of the open levels (the line's top level, then
     * each open list), one after the other: a level's are the last ones,
     * from where it opened.  A list's arguments are copied into the line's
     * room when it closes, in an array of their number, so no array grows
     * for each argument; this one is the parser's and kept. */
    MsImapArg **pending;
    guint n_pending;
    guint pending_room;
    guint depth;           /* open levels, the top level counted */
    guint level_start[MS_IMAP_NESTING_MAX + 2];
    MsImapArg *level_list[MS_IMAP_NESTING_MAX + 2]; /* [0], the top, has none */
    guint n_top;           /* complete top-level arguments */
    gboolean need_sep;     /* an argument ended: SP, ")" or the line end next */
    gboolean just_opened;  /* "(" was the last octet: ")" may follow */
    gboolean text_next;    /* response: resp-text follows */
    gsize literal_octets;  /* octets of literals in this line so far */

    gboolean literal_pending;
    gboolean literal_sync;
    gboolean literal_announced;
    gsize literal_size;

    gboolean skipping;     /* after an error: drop octets to the line end */
    gsize skip_octets;     /* ... after first dropping this many */
};

/* ---- Lines and arguments ----------------------------------------------------- */

/* A parser keeps the line given back to it for the next one, except under
 * AddressSanitizer, where every line goes back to malloc so that a line
 * used after it was given back is caught, not hidden by the reuse. */
#define LINE_REUSE (!MS_UNDER_ASAN)

static void begin_line(MsImapParser *p);

/* An atom or string with its octets after it, in the line's room. */
static MsImapArg *arg_new(MsImapParser *p, MsImapArgKind kind, gsize len)
{
    begin_line(p);
    MsImapArg *arg = ms_imap_line_alloc(p->line, sizeof *arg + len + 1);
    arg->kind = kind;
    arg->literal = FALSE;
    arg->list = NULL;
    arg->data = (char *) (arg + 1);
    arg->data[len] = '\0';
    arg->len = len;
    return arg;
}

static MsImapArg *arg_new_data(MsImapParser *p, MsImapArgKind kind, const char *data, gsize len)
{
    MsImapArg *arg = arg_new(p, kind, len);
    if (len > 0)
        memcpy(arg->data, data, len);
    return arg;
}

/* ---- The parser ------------------------------------------------------------------- */

MsImapParser *ms_imap_parser_new(gboolean response, gsize max_literal)
{
    MsImapParser *p = g_new0(MsImapParser, 1);
    p->response = response;
    ms_imap_parser_set_max_literal(p, max_literal, NULL);
    p->depth = 1;
    return p;
}

void ms_imap_parser_set_max_literal(MsImapParser *parser, gsize max_literal,
                                    const char *too_large)
{
    parser->max_literal = max_literal > 0 ? max_literal : MS_IMAP_LITERAL_MAX_DEFAULT;
    parser->too_large = too_large != NULL ? too_large : "Literal too large";
}

static void reset_line(MsImapParser *p)
{
    g_clear_pointer(&p->line, ms_imap_line_free);
    p->n_pending = 0;
    p->depth = 1;
    p->n_top = 0;
    p->need_sep = FALSE;
    p->just_opened = FALSE;
    p->text_next = FALSE;
    p->literal_octets = 0;
    p->literal_pending = FALSE;
    p->literal_sync = FALSE;
    p->literal_announced = FALSE;
    p->literal_size = 0;
    p->line_start = p->pos;
}

void ms_imap_parser_free(MsImapParser *parser)
{
    if (parser == NULL)
        return;
    reset_line(parser);
    if (parser->spare != NULL)
        ms_imap_line_free(&parser->spare->line);
    g_free(parser->pending);
    g_free(parser->buf);
    g_free(parser);
}

void ms_imap_parser_recycle(MsImapParser *parser, MsImapLine *line)
{
    if (line == NULL)
        return;
    if (!LINE_REUSE || parser->spare != NULL) {
        ms_imap_line_free(line);
        return;
    }
    MsImapLineStore *ls = (MsImapLineStore *) line;
    ms_imap_line_free_pieces(ls);
    parser->spare = ls;
}

/* Drops the octets of lines already read so the buffer does not grow
 * without end.  It is done when octets come, not after every line: a
 * delivery holding a dozen fetched messages would otherwise move the rest
 * of it down a dozen times.  And only once what goes is at least what
 * stays, so that a long line arriving in many pieces is not moved down at
 * each of them. */
static void compact(MsImapParser *p)
{
    gsize drop = p->line_start;
    if (drop == 0 || drop < p->len - drop)
        return;
    p->len -= drop;
    if (p->len > 0)
        memmove(p->buf, p->buf + drop, p->len);
    p->pos -= drop;
    p->line_start = 0;
}

void ms_imap_parser_feed(MsImapParser *parser, const char *bytes, gsize len)
{
    if (len == 0)
        return;
    compact(parser);
    if (parser->len + len > parser->cap) {
        parser->cap = MAX(MAX(parser->cap * 2, parser->len + len), (gsize) 1024);
        parser->buf = g_realloc(parser->buf, parser->cap);
    }
    memcpy(parser->buf + parser->len, bytes, len);
    parser->len += len;
}

gsize ms_imap_parser_pending(const MsImapParser *parser)
{
    return parser->len - parser->pos;
}

gsize ms_imap_parser_literal_left(const MsImapParser *parser)
{
    if (parser->literal_pending)
        return parser->literal_size - MIN(parser->len - parser->pos, parser->literal_size);
    return parser->skipping ? parser->skip_octets : 0;
}

gboolean ms_imap_parser_literal_wanted(MsImapParser *parser, gsize *size_out)
{
    if (!parser->literal_pending || !parser->literal_sync || parser->literal_announced)
        return FALSE;
    parser->literal_announced = TRUE;
    if (size_out != NULL)
        *size_out = parser->literal_size;
    return TRUE;
}

static void begin_line(MsImapParser *p)
{
    if (p->line != NULL)
        return;
    MsImapLineStore *ls = p->spare;
    if (ls != NULL)
        p->spare = NULL;
    else
        ls = g_malloc(sizeof *ls + MS_IMAP_LINE_ROOM);
    memset(ls, 0, sizeof *ls); /* not the room, which is written before it is read */
    MS_IMAP_ROOM_POISON(ls->room, MS_IMAP_LINE_ROOM);
    p->line = &ls->line;
}

/* The arguments of the innermost open level, moved into the line's room;
 * the level's place in `pending` is free again. */
static MsImapArgs *take_level(MsImapParser *p)
{
    guint start = p->level_start[p->depth - 1];
    guint n = p->n_pending - start;
    MsImapArgs *args = ms_imap_line_alloc(p->line, sizeof *args + n * sizeof args->items[0]);
    args->len = n;
    if (n > 0)
        memcpy(args->items, p->pending + start, n * sizeof args->items[0]);
    p->n_pending = start;
    return args;
}

static void close_list(MsImapParser *p)
{
    g_assert(p->depth > 1);
    MsImapArg *list = p->level_list[p->depth - 1];
    list->list = take_level(p);
    p->depth--;
}

/* The line is complete (or broken off): its open lists are closed and its
 * top-level arguments put in place. */
static MsImapLine *finish_line(MsImapParser *p)
{
    begin_line(p);
    while (p->depth > 1)
        close_list(p);
    p->line->args = take_level(p);
    MsImapLine *line = g_steal_pointer(&p->line);
    reset_line(p);
    return line;
}

/* An error: the line so far goes out with the message; the rest of the
 * line is skipped unless the error was found at its end. */
static int fail(MsImapParser *p, const char *message, const char *code, gboolean at_end,
                MsImapLine **line_out)
{
    begin_line(p);
    p->line->error = ms_imap_line_strndup(p->line, message, strlen(message));
    if (code != NULL)
        p->line->code = ms_imap_line_strndup(p->line, code, strlen(code));
    *line_out = finish_line(p);
    p->skipping = !at_end;
    return -1;
}

static void add_arg(MsImapParser *p, MsImapArg *arg)
{
    if (p->n_pending == p->pending_room) {
        p->pending_room = MAX(p->pending_room * 2, 32);
        p->pending = g_renew(MsImapArg *, p->pending, p->pending_room);
    }
    p->pending[p->n_pending++] = arg;
    p->need_sep = TRUE;
    p->just_opened = FALSE;
    if (p->depth != 1)
        return;
    p->n_top++;
    if (!p->response || arg->kind != MS_IMAP_ARG_ATOM)
        return;
    /* RFC 3501 section 9: continue-req = "+" SP (resp-text / base64);
     * resp-cond-state / resp-cond-bye / greeting put resp-text after the
     * status word; resp-text is free text, not arguments.  An atom holds
     * no NUL, so its length says where it ends. */
    if (p->n_top == 1 && arg->len == 1 && arg->data[0] == '+') {
        p->text_next = TRUE;
    } else if (p->n_top == 2 && p->pending[0]->kind == MS_IMAP_ARG_ATOM) {
        static const char *const words[] = { "OK", "NO", "BAD", "PREAUTH", "BYE" };
        for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
            if (ms_imap_ascii_caseeq(arg->data, words[i]))
                p->text_next = TRUE;
        }
    }
}

/* The octets of this line outside literals, up to upto. */
static gsize line_octets(const MsImapParser *p, gsize upto)
{
    return upto - p->line_start - p->literal_octets;
}

/* Scans the resp-text from pos to the line end: [code] and text.
 * 1 when the line end was found, 0 for more input, -1 for a bare CR. */
static int scan_text(MsImapParser *p, gsize *end_out, gsize *next_out)
{
    const guint8 *d = p->buf;
    for (gsize i = p->pos; i < p->len; i++) {
        if (d[i] == '\n') {
            *end_out = i;
            *next_out = i + 1;
            return 1;
        }
        if (d[i] != '\r')
            continue;
        if (i + 1 == p->len)
            return 0;
        if (d[i + 1] != '\n')
            return -1;
        *end_out = i;
        *next_out = i + 2;
        return 1;
    }
    return 0;
}

static void set_text(MsImapParser *p, const char *s, gsize len)
{
    p->line->has_text = TRUE;
    /* resp-text = ["[" resp-text-code "]" SP] text */
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close != NULL) {
            p->line->code = ms_imap_line_strndup(p->line, s + 1, (gsize) (close - s - 1));
            gsize used = (gsize) (close - s) + 1;
            if (used < len && s[used] == ' ')
                used++;
            s += used;
            len -= used;
        }
    }
    p->line->text = ms_imap_line_strndup(p->line, s, len);
}

/* What an octet is to an atom outside "[...]": part of it, its end (SP,
 * "(", ")", DQUOTE, "{", CR, LF), a control character or an 8-bit octet
 * (both errors), or "[", which opens a section.  The atom's octets are
 * skipped by this table, one look-up each. */
enum { AC_ATOM, AC_END, AC_CTL, AC_8BIT, AC_OPEN };

static const guint8 atom_class[256] = {
    /* 0x00 */ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 1, 2, 2,
    /* 0x10 */ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    /* 0x20 */ 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0,
    /* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0,
    /* 0x60 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
    /* 0x80 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0x90 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xa0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xb0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xc0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xd0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xe0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* 0xf0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* Scans a "[...]" section of an atom from the "[" at *at: 1 with *at
 * after its "]", 0 for more input, -1 with a message.  Spaces,
 * parentheses, quoted strings and 8-bit octets are part of it. */
static int scan_section(const guint8 *d, gsize n, gsize *at, const char **error_out)
{
    guint depth = 1;
    gboolean quoted = FALSE;
    for (gsize i = *at + 1; i < n; i++) {
        guint8 c = d[i];
        if (c == '\r' || c == '\n') {
            *error_out = "Missing \"]\"";
            return -1;
        }
        if (c < 0x20 || c == 0x7f) {
            *error_out = "Control character in command";
            return -1;
        }
        if (quoted && c == '\\' && i + 1 < n) {
            i++;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && c == '[') {
            depth++;
        } else if (!quoted && c == ']' && --depth == 0) {
            *at = i + 1;
            return 1;
        }
    }
    return 0;
}

/* Scans an atom from pos: 1 with its end, 0 for more input, -1 with a
 * message.  Inside "[...]" (BODY[HEADER.FIELDS (From)], response codes)
 * spaces, parentheses and quoted strings are part of the atom. */
static int scan_atom(const MsImapParser *p, gsize *end_out, const char **error_out)
{
    const guint8 *d = p->buf;
    gsize n = p->len;
    gsize i = p->pos;
    for (;;) {
        while (i < n && atom_class[d[i]] == AC_ATOM)
            i++;
        if (i == n)
            return 0;
        switch (atom_class[d[i]]) {
        case AC_END:
            *end_out = i;
            return 1;
        case AC_CTL:
            *error_out = "Control character in command";
            return -1;
        case AC_8BIT:
            *error_out = "8-bit octet outside a string";
            return -1;
        default: {
            int r = scan_section(d, n, &i, error_out);
            if (r <= 0)
                return r;
            break;
        }
        }
    }
}

/* Scans a quoted string from pos (at the DQUOTE): 1 with the length of its
 * value and its end, 0 for more input, -1 with a message. */
static int scan_quoted(const MsImapParser *p, gsize *len_out, gsize *end_out,
                       const char **error_out)
{
    const guint8 *d = p->buf;
    gsize len = 0;
    for (gsize i = p->pos + 1; i < p->len; i++) {
        guint8 c = d[i];
        if (c == '"') {
            *len_out = len;
            *end_out = i + 1;
            return 1;
        }
        if (c == '\r' || c == '\n' || c == '\0') {
            *error_out = "Unterminated quoted string";
            return -1;
        }
        if (c == '\\') {
            if (i + 1 == p->len)
                return 0;
            /* quoted-specials = DQUOTE / "\" : the only escapes. */
            if (d[i + 1] != '"' && d[i + 1] != '\\') {
                *error_out = "Invalid escape in quoted string";
                return -1;
            }
            i++;
        }
        len++;
    }
    return 0;
}

/* The value of the quoted string scan_quoted() found, unescaped into an
 * argument of its length. */
static MsImapArg *arg_new_quoted(MsImapParser *p, gsize len)
{
    MsImapArg *arg = arg_new(p, MS_IMAP_ARG_STRING, len);
    const guint8 *d = p->buf + p->pos + 1;
    for (gsize i = 0; i < len; i++) {
        if (*d == '\\')
            d++;
        arg->data[i] = (char) *d++;
    }
    return arg;
}

/* Scans "{" number ["+"] "}" CRLF from pos: 1 with the size, 0, or -1. */
static int scan_literal_header(const MsImapParser *p, guint64 *size_out, gboolean *plus_out,
                               gsize *end_out, const char **error_out)
{
    const guint8 *d = p->buf;
    gsize i = p->pos + 1;
    guint64 n = 0;
    gsize digits = 0;
    while (i < p->len && g_ascii_isdigit(d[i])) {
        n = n * 10 + (guint64) (d[i] - '0');
        if (++digits > 10) {
            *error_out = "Literal size too long";
            return -1;
        }
        i++;
    }
    if (i == p->len)
        return 0;
    gboolean plus = FALSE;
    if (d[i] == '+') {
        plus = TRUE;
        if (++i == p->len)
            return 0;
    }
    if (digits == 0 || d[i] != '}' || n > G_MAXUINT32) {
        *error_out = "Malformed literal size";
        return -1;
    }
    if (++i == p->len)
        return 0;
    if (d[i] == '\r') {
        if (++i == p->len)
            return 0;
    }
    if (d[i] != '\n') {
        *error_out = "A literal's size must end the line";
        return -1;
    }
    *size_out = n;
    *plus_out = plus;
    *end_out = i + 1;
    return 1;
}

/* Drops octets after an error, up to the end of the line. */
static gboolean skip_rest(MsImapParser *p)
{
    if (p->skip_octets > 0) {
        gsize n = MIN(p->skip_octets, p->len - p->pos);
        p->pos += n;
        p->skip_octets -= n;
        p->line_start = p->pos;
        if (p->skip_octets > 0)
            return FALSE;
    }
    const guint8 *nl = memchr(p->buf + p->pos, '\n', p->len - p->pos);
    p->pos = nl != NULL ? (gsize) (nl - p->buf) + 1 : p->len;
    /* What is skipped is no part of a line. */
    p->line_start = p->pos;
    if (nl == NULL)
        return FALSE;
    p->skipping = FALSE;
    return TRUE;
}

/* RFC 3501 section 9 (the parts this parser knows; which argument may
 * stand where is checked by the command or response handlers):
 *   command       = tag SP (command-any / command-auth / command-nonauth /
 *                   command-select) CRLF
 *   response      = *(continue-req / response-data) response-done
 *   argument      = atom / quoted / literal / "(" [argument *(SP argument)] ")"
 *   atom          = 1*ATOM-CHAR
 *   ATOM-CHAR     = <any CHAR except atom-specials>
 *   atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
 *                   quoted-specials / resp-specials
 *   quoted        = DQUOTE *QUOTED-CHAR DQUOTE
 *   QUOTED-CHAR   = <any TEXT-CHAR except quoted-specials> /
 *                   "\" quoted-specials
 *   literal       = "{" number "}" CRLF *CHAR8     ; RFC 7888: "{" number "+}"
 * The atoms here are looser than ATOM-CHAR - "*", "%", "\" and "]" are let
 * in, and "[...]" may hold spaces - because sequence sets, LIST patterns,
 * flags and BODY[...] are atom-like; the handlers check them. */
int ms_imap_parser_next(MsImapParser *p, MsImapLine **line_out)
{
    *line_out = NULL;
    if (p->skipping && !skip_rest(p))
        return 0;
    for (;;) {
        if (p->literal_pending) {
            if (p->len - p->pos < p->literal_size)
                return 0;
            /* RFC 3501 7.5 (RFC 9051 7.5): the client sends a synchronizing
             * literal's octets only after "+", even when there are none:
             * "{0}" too waits until the server has been asked to say it
             * (ms_imap_parser_literal_wanted()), or the client would wait
             * for ever. */
            if (p->literal_size == 0 && p->literal_sync && !p->literal_announced)
                return 0;
            MsImapArg *arg = arg_new_data(p, MS_IMAP_ARG_STRING, (const char *) p->buf + p->pos,
                                          p->literal_size);
            arg->literal = TRUE;
            add_arg(p, arg);
            p->pos += p->literal_size;
            p->literal_octets += p->literal_size;
            p->literal_pending = FALSE;
            p->literal_announced = FALSE;
            continue;
        }
        if (p->pos >= p->len)
            return 0;
        begin_line(p);
        if (line_octets(p, p->len) > MS_IMAP_LINE_MAX
            && memchr(p->buf + p->pos, '\n', p->len - p->pos) == NULL)
            return fail(p, "Line too long", NULL, FALSE, line_out);

        const guint8 c = p->buf[p->pos];
        const char *error = NULL;

        if (p->text_next) {
            gsize end = 0, next = 0;
            int r = scan_text(p, &end, &next);
            if (r == 0)
                return 0;
            if (r < 0)
                return fail(p, "Bare CR in line", NULL, FALSE, line_out);
            const char *s = (const char *) p->buf + p->pos;
            gsize len = end - p->pos;
            if (len > 0 && s[0] != ' ') {
                p->pos = next;
                return fail(p, "Missing space before text", NULL, TRUE, line_out);
            }
            if (len > 0) {
                s++;
                len--;
            }
            set_text(p, s, len);
            p->pos = next;
            p->text_next = FALSE;
            *line_out = finish_line(p);
            return 1;
        }

        if (p->need_sep) {
            switch (c) {
            case ' ':
                p->pos++;
                p->need_sep = FALSE;
                continue;
            case ')':
                if (p->depth < 2)
                    return fail(p, "Unexpected \")\"", NULL, FALSE, line_out);
                close_list(p);
                p->pos++;
                continue;
            case '\r':
            case '\n': {
                gsize next = p->pos + 1;
                if (c == '\r') {
                    if (next == p->len)
                        return 0;
                    if (p->buf[next] != '\n')
                        return fail(p, "Bare CR in line", NULL, FALSE, line_out);
                    next++;
                }
                p->pos = next;
                if (p->depth > 1)
                    return fail(p, "Missing \")\"", NULL, TRUE, line_out);
                if (line_octets(p, next) > MS_IMAP_LINE_MAX + 2)
                    return fail(p, "Line too long", NULL, TRUE, line_out);
                *line_out = finish_line(p);
                return 1;
            }
            default:
                return fail(p, "Expected a space between arguments", NULL, FALSE, line_out);
            }
        }

        /* An argument starts here. */
        switch (c) {
        case '\r':
        case '\n': {
            gboolean empty = p->n_top == 0 && p->depth == 1;
            /* Consume the line end so the next line starts clean. */
            gsize next = p->pos + 1;
            if (c == '\r') {
                if (next == p->len)
                    return 0;
                if (p->buf[next] == '\n')
                    next++;
            }
            p->pos = next;
            const char *what = empty ? "Empty line"
                             : p->depth > 1 ? "Missing \")\""
                             : "Unexpected end of line";
            return fail(p, what, NULL, TRUE, line_out);
        }
        case ' ':
            return fail(p, "Unexpected space", NULL, FALSE, line_out);
        case ')':
            if (!p->just_opened)
                return fail(p, "Unexpected \")\"", NULL, FALSE, line_out);
            close_list(p);
            p->pos++;
            p->need_sep = TRUE;
            p->just_opened = FALSE;
            continue;
        case '(': {
            if (p->depth > MS_IMAP_NESTING_MAX)
                return fail(p, "Lists nested too deeply", NULL, FALSE, line_out);
            MsImapArg *list = ms_imap_line_alloc(p->line, sizeof *list);
            memset(list, 0, sizeof *list);
            list->kind = MS_IMAP_ARG_LIST;
            add_arg(p, list);
            p->level_start[p->depth] = p->n_pending;
            p->level_list[p->depth] = list;
            p->depth++;
            p->need_sep = FALSE;
            p->just_opened = TRUE;
            p->pos++;
            continue;
        }
        case '"': {
            gsize len = 0, end = 0;
            int r = scan_quoted(p, &len, &end, &error);
            if (r == 0)
                return 0;
            if (r < 0)
                return fail(p, error, NULL, FALSE, line_out);
            add_arg(p, arg_new_quoted(p, len));
            p->pos = end;
            continue;
        }
        case '{': {
            guint64 size = 0;
            gboolean plus = FALSE;
            gsize end = 0;
            int r = scan_literal_header(p, &size, &plus, &end, &error);
            if (r == 0)
                return 0;
            if (r < 0)
                return fail(p, error, NULL, FALSE, line_out);
            p->pos = end;
            if (plus && p->response)
                return fail(p, "Non-synchronizing literal in a response", NULL, TRUE, line_out);
            if (size > p->max_literal) {
                /* RFC 7888 4: a non-synchronizing literal's octets come
                 * anyway and must be skipped with the rest of the line. */
                p->skip_octets = plus ? size : 0;
                return fail(p, p->too_large, "TOOBIG", !plus, line_out);
            }
            p->literal_pending = TRUE;
            p->literal_size = size;
            /* RFC 3501 7.5: a synchronizing literal waits for "+"; RFC 7888
             * "{n+}" does not. */
            p->literal_sync = !plus && !p->response;
            p->literal_announced = FALSE;
            continue;
        }
        default: {
            gsize end = 0;
            int r = scan_atom(p, &end, &error);
            if (r == 0)
                return 0;
            if (r < 0)
                return fail(p, error, NULL, FALSE, line_out);
            add_arg(p, arg_new_data(p, MS_IMAP_ARG_ATOM, (const char *) p->buf + p->pos,
                                    end - p->pos));
            p->pos = end;
            continue;
        }
        }
    }
}
