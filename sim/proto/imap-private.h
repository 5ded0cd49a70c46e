/* imap-private.h - what the IMAP server, client, parser, store, FETCH and
 * SEARCH files share.
 *
 * The parser turns the byte stream into lines of arguments (atoms, strings
 * - quoted or literal - and parenthesised lists), the same for commands
 * and responses.  The response builder writes a response with literals in
 * it and cuts it into MsProtoLines.  The store's folders and messages are
 * reached here by pointer, so the server need not look names up for every
 * message; the public, name-based API in imap.h wraps these.
 */
#pragma once

#include <string.h>

#include "mailsim/imap.h"
#include "mailsim/message.h"
#include "proto/proto-private.h"

G_BEGIN_DECLS

/* The longest command or response line, literals not counted.  RFC 3501
 * sets no limit; RFC 7162 3.2.1 advises accepting at least 8192 octets. */
#define MS_IMAP_LINE_MAX 8192
/* Literals larger than this are refused unless the configuration says. */
#define MS_IMAP_LITERAL_MAX_DEFAULT ((gsize) 10 * 1024 * 1024)
/* Before authentication a client has no reason to send more than a user
 * name and a password, and no right to make the server read megabytes:
 * literals larger than this are refused then (RFC 7888's LITERAL- draws
 * the line for non-synchronizing ones at 4096 octets; this one holds a
 * long password or token twice over). */
#define MS_IMAP_LITERAL_MAX_PREAUTH ((gsize) 8 * 1024)
/* Nesting of parenthesised lists the parser accepts (ENVELOPE and BODY need
 * a few levels; a flood of "(" must not exhaust the stack). */
#define MS_IMAP_NESTING_MAX 32

/* ASCII case-insensitive equality of two NUL-terminated strings, as
 * g_ascii_strcasecmp() == 0: response words, FETCH items, flags and folder
 * names are compared for every line. */
static inline gboolean ms_imap_ascii_caseeq(const char *a, const char *b)
{
    return ms_proto_ascii_caseeq(a, b, G_MAXSIZE);
}

/* ---- Parsed lines and arguments (imap_line.c) ------------------------------ */
typedef enum {
    MS_IMAP_ARG_ATOM,   /* also NIL, numbers, flags, sequence sets, BODY[...] */
    MS_IMAP_ARG_STRING, /* quoted or literal */
    MS_IMAP_ARG_LIST,   /* ( ... ) */
} MsImapArgKind;

typedef struct MsImapArg MsImapArg;

/* A line's or a list's arguments, in the line's memory. */
typedef struct {
    guint len;
    MsImapArg *items[];
} MsImapArgs;

struct MsImapArg {
    MsImapArgKind kind;
    char *data;         /* ATOM, STRING: NUL-terminated (may hold NULs) */
    gsize len;
    gboolean literal;   /* STRING came as {n} */
    MsImapArgs *list;   /* LIST */
};

/* One command or response line.  For a response whose second word is a
 * status (OK, NO, BAD, PREAUTH, BYE) or a "+" continuation, the words after
 * it are not parsed into args but kept as text, because resp-text is free
 * text (RFC 3501 section 9): code holds what was in [...] (NULL if none)
 * and text the rest. */
typedef struct {
    MsImapArgs *args;   /* the top level */
    gboolean has_text;
    char *code;
    char *text;
    char *error;        /* set when the parser returned -1 */
} MsImapLine;

void ms_imap_line_free(MsImapLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapLine, ms_imap_line_free)

const MsImapArg *ms_imap_line_arg(const MsImapLine *line, guint index); /* or NULL */
/* The first argument when it is an atom (the tag, "*" or "+"), or NULL. */
const char *ms_imap_line_tag(const MsImapLine *line);
gboolean ms_imap_arg_is_atom(const MsImapArg *arg, const char *word); /* case-insensitive */
/* An astring (atom or string) as text (transfer none), or NULL. */
const char *ms_imap_arg_astring(const MsImapArg *arg);
/* A number (RFC 3501 number: digits, fits 32 bits); FALSE otherwise. */
gboolean ms_imap_arg_number(const MsImapArg *arg, guint32 *out);

/* ---- The room a line's arguments are cut from (imap_line.c) ---------------- */
/* A line's arguments, their octets, its lists' arrays and its texts are
 * cut from room that comes with the line, so that reading a line and
 * freeing it take one allocation instead of one for every argument: a
 * fetched message's response has a dozen.  What does not fit (a long
 * literal) is allocated on its own, chained to the line and freed with it.
 * Under AddressSanitizer the room not yet given out is poisoned, so that a
 * read or write past a piece is caught as it would be past an allocation
 * of its own. */
typedef struct MsImapPiece MsImapPiece;

typedef struct {
    MsImapLine line;      /* first: a line is freed through its MsImapLineStore */
    gsize used;           /* octets of room taken */
    MsImapPiece *more;    /* pieces that did not fit, NULL before one */
    guint64 room[];       /* MS_IMAP_LINE_ROOM octets */
} MsImapLineStore;

/* A line with its room is 1 KiB, which malloc keeps at hand (its
 * per-thread cache takes up to 1,032 octets). */
#define MS_IMAP_LINE_ROOM (1024 - sizeof(MsImapLineStore))

#if MS_UNDER_ASAN
#include <sanitizer/asan_interface.h>
#define MS_IMAP_ROOM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define MS_IMAP_ROOM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define MS_IMAP_ROOM_POISON(p, n) ((void) (p), (void) (n))
#define MS_IMAP_ROOM_UNPOISON(p, n) ((void) (p), (void) (n))
#endif

/* size octets cut from the line's room or, when they do not fit, a piece
 * of their own, chained to the line and freed with it. */
gpointer ms_imap_line_alloc(MsImapLine *line, gsize size);
/* A copy of len octets of s, NUL-terminated, in the line's room. */
char *ms_imap_line_strndup(MsImapLine *line, const char *s, gsize len);
/* Frees the pieces chained to a line; its room stays as it is. */
void ms_imap_line_free_pieces(MsImapLineStore *ls);

/* ---- The parser (imap_parse.c) --------------------------------------------- */
typedef struct MsImapParser MsImapParser;

/* response: parse server responses (status words end the parsed part of a
 * line); otherwise commands. */
MsImapParser *ms_imap_parser_new(gboolean response, gsize max_literal);
void ms_imap_parser_free(MsImapParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapParser, ms_imap_parser_free)
void ms_imap_parser_feed(MsImapParser *parser, const char *bytes, gsize len);
/* 1: a complete line in *line_out (transfer full); 0: more input needed;
 * -1: a syntax error: *line_out holds what was parsed (the tag, at least,
 * when it was read) and the error text; the rest of that line is skipped. */
int ms_imap_parser_next(MsImapParser *parser, MsImapLine **line_out);
/* Frees a line the parser gave (transfer full), or keeps its memory for
 * the parser's next line: an engine reads one line at a time. */
void ms_imap_parser_recycle(MsImapParser *parser, MsImapLine *line);
/* After 0: TRUE once per synchronizing literal whose "{n}" header has been
 * read and whose data has not come: the time to send "+" (RFC 3501 7.5).
 * *size_out gets n.  A "{0}" literal, whose data is always there, is not
 * taken until this has been asked: call ms_imap_parser_next() again. */
gboolean ms_imap_parser_literal_wanted(MsImapParser *parser, gsize *size_out);
/* Bytes fed and not yet consumed. */
gsize ms_imap_parser_pending(const MsImapParser *parser);
/* The largest literal taken from now on (0: MS_IMAP_LITERAL_MAX_DEFAULT),
 * and the text of the BAD [TOOBIG] for a larger one (static; NULL:
 * "Literal too large"). */
void ms_imap_parser_set_max_literal(MsImapParser *parser, gsize max_literal,
                                    const char *too_large);
/* Octets of a literal still to come, those of one too large to take
 * included (they are skipped): RFC 9051 4.3, they are no line.  0 when
 * the parser reads lines. */
gsize ms_imap_parser_literal_left(const MsImapParser *parser);

/* ---- Sequence sets (RFC 3501 section 9, sequence-set) ---------------------- */
typedef struct {
    guint32 lo;         /* 0 stands for "*" */
    guint32 hi;
} MsImapRange;

/* Parses "1,3:5,7:*" into ranges (transfer full); NULL when malformed. */
GArray *ms_imap_seqset_parse(const char *text);
/* Whether n is in the set, "*" being star (the largest number in use). */
gboolean ms_imap_seqset_contains(const GArray *set, guint32 n, guint32 star);
/* The largest number the set names, "*" being star. */
guint32 ms_imap_seqset_max(const GArray *set, guint32 star);
/* Writes ascending numbers as a compact set: 1,2,3,5 -> "1:3,5" (transfer
 * full). */
char *ms_imap_seqset_format(const guint32 *numbers, guint n);

/* ---- Dates ---------------------------------------------------------------- */
/* RFC 3501 date ("1-Feb-1994" or "01-Feb-1994") -> days since 1970-01-01. */
gboolean ms_imap_parse_date(const char *text, gint64 *days_out);
/* RFC 3501 date-time ("17-Jul-1996 02:44:25 -0700") -> unix seconds. */
gboolean ms_imap_parse_date_time(const char *text, gint64 *unix_out);
/* Days since 1970-01-01 of a unix time (UTC). */
gint64 ms_imap_unix_day(gint64 unix_seconds);

/* ---- Writing responses -----------------------------------------------------
 * A response is built in bytes, literals included, then cut into lines at
 * each LF: a literal may hold many lines, and the line after a literal
 * goes on from where the literal ended (RFC 3501 4.3). */
typedef struct {
    char *data;         /* the bytes built; cap octets, len used */
    gsize len;
    gsize cap;
    gsize *literals;    /* pairs: [start, end) of literal data */
    guint n_literals;   /* octets counted twice: a pair is two */
    guint literals_room;
} MsImapWriter;

void ms_imap_writer_init(MsImapWriter *w);
void ms_imap_writer_clear(MsImapWriter *w);
/* Empties the writer and keeps its memory for the next response. */
void ms_imap_writer_reset(MsImapWriter *w);
/* Makes room for len more octets (what ms_imap_writer_add_len() calls
 * when there is none). */
void ms_imap_writer_grow(MsImapWriter *w, gsize len);
/* Every octet of a response passes here, a few at a time, so the copy is
 * inline and the buffer grown only when full. */
static inline void ms_imap_writer_add_len(MsImapWriter *w, const char *data, gsize len)
{
    if (len == 0)
        return;
    if (G_UNLIKELY(w->cap - w->len < len))
        ms_imap_writer_grow(w, len);
    memcpy(w->data + w->len, data, len);
    w->len += len;
}
void ms_imap_writer_add(MsImapWriter *w, const char *text);
void ms_imap_writer_printf(MsImapWriter *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A number in decimal, without printf. */
void ms_imap_writer_uint(MsImapWriter *w, guint64 v);
/* The flag names of ms_imap_flags_to_string(), written in place. */
void ms_imap_write_flags(MsImapWriter *w, guint flags, gboolean recent);
/* Ascending numbers as a compact set, as ms_imap_seqset_format() gives it
 * (imap_seqset.c). */
void ms_imap_write_seqset(MsImapWriter *w, const guint32 *numbers, guint n);
/* "{n}" CRLF and the data. */
void ms_imap_writer_literal(MsImapWriter *w, const char *data, gsize len);
/* A string: quoted when every octet may be (7-bit, no CR, LF or NUL),
 * else a literal. */
void ms_imap_writer_string(MsImapWriter *w, const char *data, gsize len);
/* NIL for NULL, else a string. */
void ms_imap_writer_nstring(MsImapWriter *w, const char *text);
/* An atom when it is one (and not NIL), else a string: for mailbox names. */
void ms_imap_writer_astring(MsImapWriter *w, const char *text);
/* Cuts bytes [from, to) of the writer into lines (the last must end in
 * LF) and adds them to output: lines that begin inside literal data get
 * literal_note, the others note. */
void ms_imap_writer_emit_range(const MsImapWriter *w, gsize from, gsize to,
                               MsProtoOutput *output, const char *phase, const char *note,
                               const char *literal_note);
/* Adds CRLF and emits everything, then empties the writer. */
void ms_imap_writer_emit(MsImapWriter *w, MsProtoOutput *output, const char *phase,
                         const char *note, const char *literal_note);

/* Room for a date-time of ms_imap_format_date_time() and its NUL. */
#define MS_IMAP_DATE_TIME_MAX 40
/* The same date-time written to buf (MS_IMAP_DATE_TIME_MAX octets),
 * NUL-terminated; returns its length. */
gsize ms_imap_format_date_time_to(char *buf, gint64 unix_seconds);

/* ---- Names and small helpers ------------------------------------------------ */
/* INBOX in any case becomes "INBOX" (RFC 3501 5.1); transfer full. */
char *ms_imap_mailbox_normalize(const char *name);
/* LIST pattern matching, "*" any run, "%" any run without "/" (RFC 3501
 * 6.3.8); INBOX matched case-insensitively. */
gboolean ms_imap_pattern_match(const char *pattern, const char *name);
/* The response code's first word, upper-cased (transfer full), or NULL. */
char *ms_imap_code_word(const char *code);
/* The capability list the server advertises (transfer full). */
char *ms_imap_capabilities(guint disabled_extensions);
/* The same list written to w. */
void ms_imap_write_capabilities(MsImapWriter *w, guint disabled_extensions);
MsImapEvent *ms_imap_event_new(MsImapEventKind kind);

/* ---- The store, by pointer ------------------------------------------------ */
typedef struct {
    guint32 uid;
    guint flags;
    gboolean recent;
    gboolean header_known; /* header_len is set: the message was parsed once */
    gint64 internal_date;
    GBytes *data;
    gsize header_len;      /* octets of the header and its empty line */
} MsImapMsg;

typedef struct MsImapFolder MsImapFolder;

/* NULL when there is no such folder; noselect folders are found. */
MsImapFolder *ms_imap_store_lookup(MsImapStore *store, const char *name);
/* By the id a folder keeps across renames; NULL once it was deleted. */
MsImapFolder *ms_imap_store_lookup_id(MsImapStore *store, guint64 id);
/* Folders in list order: INBOX, then the rest sorted bytewise. */
guint ms_imap_store_n_folders(const MsImapStore *store);
MsImapFolder *ms_imap_store_folder_at(const MsImapStore *store, guint index);
/* Subscribed names, sorted (transfer none). */
const GPtrArray *ms_imap_store_subscriptions(const MsImapStore *store);

guint64 ms_imap_folder_id(const MsImapFolder *folder);
const char *ms_imap_folder_name(const MsImapFolder *folder);
gboolean ms_imap_folder_selectable(const MsImapFolder *folder);
gboolean ms_imap_folder_has_children(const MsImapStore *store, const MsImapFolder *folder);
guint32 ms_imap_folder_uidvalidity(const MsImapFolder *folder);
guint32 ms_imap_folder_uidnext(const MsImapFolder *folder);
guint ms_imap_folder_count(const MsImapFolder *folder);
guint ms_imap_folder_count_recent(const MsImapFolder *folder);
guint ms_imap_folder_count_unseen(const MsImapFolder *folder);
MsImapMsg *ms_imap_folder_msg(const MsImapFolder *folder, guint index);
/* The index of the message with this UID, or -1. */
gint ms_imap_folder_find(const MsImapFolder *folder, guint32 uid);
/* The message parsed (transfer full); never NULL: data that is not a
 * message is taken as a body with no header fields.  The store does not
 * keep it: mailboxes that keep every message (IMAP's) would hold each twice,
 * and a FETCH of the whole message (BODY[], RFC822) needs no parse. */
MsMessage *ms_imap_msg_parse(MsImapMsg *msg);
/* Octets of the header section with the empty line ending it (RFC822.HEADER,
 * BODY[HEADER]); the body (BODY[TEXT]) is the rest. */
gsize ms_imap_msg_header_len(MsImapMsg *msg);

/* Changes that tell the watchers. */
guint32 ms_imap_folder_append(MsImapStore *store, MsImapFolder *folder, GBytes *data,
                              guint flags, gint64 internal_date);
void ms_imap_folder_set_flags(MsImapStore *store, MsImapFolder *folder, guint index,
                              guint flags);
void ms_imap_folder_remove(MsImapStore *store, MsImapFolder *folder, guint index);

/* ---- FETCH (imap_fetch.c) ------------------------------------------------- */
typedef struct MsImapFetch MsImapFetch;

/* Parses FETCH's attribute argument (one item, a list, or ALL / FAST /
 * FULL), adding UID when uid is set (RFC 3501 6.4.8).  NULL with *error_out
 * (static text) when malformed. */
MsImapFetch *ms_imap_fetch_parse(const MsImapArg *arg, gboolean uid, const char **error_out);
void ms_imap_fetch_free(MsImapFetch *fetch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapFetch, ms_imap_fetch_free)
/* Whether a non-PEEK body section (or RFC822 / RFC822.TEXT) is asked for,
 * which sets \Seen (RFC 3501 6.4.5). */
gboolean ms_imap_fetch_sets_seen(const MsImapFetch *fetch);
/* Whether FLAGS is among the attributes. */
gboolean ms_imap_fetch_has_flags(const MsImapFetch *fetch);
/* Writes "* seq FETCH (...)" without the line end; recent: the \Recent of
 * this session; flags_changed adds FLAGS even if not asked for. */
void ms_imap_fetch_write(const MsImapFetch *fetch, MsImapWriter *w, guint seq, MsImapMsg *msg,
                         gboolean recent, gboolean flags_changed);
/* ENVELOPE and BODY of a message, for tests and the writer. */
void ms_imap_write_envelope(MsImapWriter *w, const MsMessage *msg);

/* ---- SEARCH (imap_search.c) ------------------------------------------------ */
typedef struct MsImapSearch MsImapSearch;

/* Parses the search keys from args[from] on (after any CHARSET).  NULL with
 * *error_out (static text) when malformed. */
MsImapSearch *ms_imap_search_parse(const MsImapLine *line, guint from, const char **error_out);
void ms_imap_search_free(MsImapSearch *search);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapSearch, ms_imap_search_free)

/* One message as a search sees it. */
typedef struct {
    MsImapMsg *msg;
    MsMessage *parsed;  /* NULL; parsed when a key first needs it, for the
                         * caller to free */
    guint32 seq;
    gboolean recent;    /* for this session */
    guint32 max_seq;    /* "*" in sequence sets */
    guint32 max_uid;    /* "*" in UID sets */
} MsImapSearchCtx;

gboolean ms_imap_search_matches(const MsImapSearch *search, MsImapSearchCtx *ctx);

/* ---- Server internals (imap_server.c, imap_mailbox.c, imap_selected.c) ----
 * The server's commands live in three tables - any state and login in
 * imap_server.c, the authenticated state's mailbox commands in
 * imap_mailbox.c, the selected state's message commands in imap_selected.c
 * - each entry with the states it is allowed in, a check that reads the
 * arguments (replying BAD when they are wrong) and a proceed that does the
 * work and says how the command completes.  The dispatcher then reports
 * what changed in the selected mailbox and sends the tagged completion. */

#define MS_IMAP_IN_NOT_AUTH (1u << MS_IMAP_STATE_NOT_AUTHENTICATED)
#define MS_IMAP_IN_AUTH (1u << MS_IMAP_STATE_AUTHENTICATED)
#define MS_IMAP_IN_SELECTED (1u << MS_IMAP_STATE_SELECTED)
#define MS_IMAP_IN_ANY (MS_IMAP_IN_NOT_AUTH | MS_IMAP_IN_AUTH | MS_IMAP_IN_SELECTED)

/* One message of the selected mailbox as this session knows it.  The
 * session's list, not the store's, gives the sequence numbers, so they
 * change only when this session reports EXPUNGE (RFC 3501 7.4.1). */
typedef struct {
    guint32 uid;
    guint flags;        /* as last told to the client */
    gboolean recent;    /* \Recent for this session */
} MsImapViewEntry;

struct MsImapServer {
    MsImapState state;
    MsImapState phase;    /* the state whose phase key lines carry */
    char *hostname;
    MsImapLoginFn login;
    MsImapClockFn clock;
    gpointer user_data;
    guint disabled;       /* MS_IMAP_EXT_* */

    MsImapParser *parser;
    gsize max_literal;    /* once authenticated; less before (set_state) */
    MsProtoOutput *output;
    MsImapWriter writer;  /* responses are built here, emptied by each emit */
    GQueue events;        /* MsImapEvent */

    char *user;
    MsImapStore *store;   /* a reference, while logged in */
    guint64 folder_id;    /* the selected mailbox */
    gboolean read_only;   /* EXAMINE */
    GArray *view;         /* MsImapViewEntry */
    char *idle_tag;       /* IDLE under way */
    guint errors;         /* BAD responses this session (MS_PROTO_MAX_ERRORS) */
};

typedef struct {
    const char *tag;
    const MsImapLine *line;
    guint argi;           /* the first argument after the command name */
    gboolean uid;         /* the UID form */
    const char *verb;     /* "FETCH", "UID FETCH", ... */
    /* What the check read. */
    char *mailbox;        /* normalised */
    char *mailbox2;
    GArray *set;          /* MsImapRange */
    MsImapFetch *fetch;
    MsImapSearch *search;
    guint flags;
    gint mode;            /* STORE: 0 replace, +1 add, -1 remove */
    gboolean silent;
    const MsImapArg *message;
    gint64 date;
    /* How it completes: NONE leaves the completion to later (IDLE). */
    MsImapStatus status;
    char *code;
    char *text;
    const char *note;
    gboolean no_expunge;  /* RFC 3501 7.4.1: no EXPUNGE while answering */
} MsImapRequest;

typedef struct {
    const char *verb;
    guint states;         /* MS_IMAP_IN_* */
    guint extension;      /* the MS_IMAP_EXT_* it belongs to, 0 for none */
    gboolean uid;         /* reached as "UID <verb>" */
    gboolean (*check)(MsImapServer *s, MsImapRequest *req);
    void (*proceed)(MsImapServer *s, MsImapRequest *req);
} MsImapCommand;

extern const MsImapCommand ms_imap_mailbox_commands[];
extern const gsize ms_imap_n_mailbox_commands;
extern const MsImapCommand ms_imap_selected_commands[];
extern const gsize ms_imap_n_selected_commands;

/* The request's index-th argument after the command name, or NULL. */
const MsImapArg *ms_imap_req_arg(const MsImapRequest *req, guint index);
guint ms_imap_req_argc(const MsImapRequest *req);
/* Replies "<tag> BAD <text>" at once (for checks) and returns FALSE. */
gboolean ms_imap_req_bad(MsImapServer *s, MsImapRequest *req, const char *note,
                         const char *text);
/* Sets how the command completes; code may be NULL. */
void ms_imap_req_done(MsImapRequest *req, MsImapStatus status, const char *code,
                      const char *note, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* The same with the text "<verb> completed", which most commands end with,
 * put together without printf. */
void ms_imap_req_completed(MsImapRequest *req, MsImapStatus status, const char *code,
                           const char *note, const char *verb);
/* Checks that there are exactly n arguments, else BAD. */
gboolean ms_imap_req_argc_is(MsImapServer *s, MsImapRequest *req, guint n);

void ms_imap_server_set_state(MsImapServer *s, MsImapState state);
void ms_imap_server_untagged(MsImapServer *s, const char *note, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* "* " before, n in decimal, after: the untagged responses of every SELECT
 * and mailbox change ("* 3 EXISTS", "* OK [UIDNEXT 4] ..."), without
 * printf. */
void ms_imap_server_untagged_uint(MsImapServer *s, const char *note, const char *before,
                                  guint64 n, const char *after);
/* Emits what the writer holds as one response (see ms_imap_writer_emit). */
void ms_imap_server_emit(MsImapServer *s, MsImapWriter *w, const char *note);
void ms_imap_server_push_event(MsImapServer *s, MsImapEvent *event);
/* The selected mailbox, or NULL when it was deleted meanwhile. */
MsImapFolder *ms_imap_server_folder(MsImapServer *s);
/* Tells the client what changed in the selected mailbox since it last
 * heard: EXPUNGE (unless not allowed now), FETCH FLAGS, EXISTS, RECENT. */
void ms_imap_server_sync(MsImapServer *s, gboolean allow_expunge);
/* Leaves the selected state (no expunge). */
void ms_imap_server_deselect(MsImapServer *s);
/* Reads a flag list or flags (STORE, APPEND): system flags only are kept,
 * keywords ignored; FALSE for \Recent, unknown system flags or junk. */
gboolean ms_imap_parse_flags(const MsImapArg *const *args, guint n, guint *flags_out);

/* ---- Client internals (imap_client.c, imap_client_read.c) ---------------- */

/* An operation, copied from MsImapOp (folder defaults to INBOX). */
typedef struct {
    MsImapOpKind kind;
    char *folder;
    char *folder2;
    char *set;
    char *text;
    guint32 number;
    gboolean uid;
    guint flags;
    gboolean unset;
    gboolean full;
    gboolean peek;
} MsImapClientOp;

/* What is known of a folder for "fetch new" (MsImapKnownFolder). */
typedef struct {
    char *folder;
    guint32 uidvalidity;
    guint32 uidnext;
} MsImapClientKnown;

struct MsImapClient {
    char *user;
    char *password;
    gboolean literal_login;
    GPtrArray *ops;       /* MsImapClientOp* */
    guint next_op;
    MsImapClientOp *op;               /* the operation under way, or NULL */
    guint step;
    GArray *known;        /* MsImapClientKnown */

    MsImapClientState state;
    MsImapState phase;    /* the RFC 3501 state as the client sees it */
    MsImapParser *parser;
    MsProtoOutput *output;
    GQueue events;        /* MsImapEvent */

    guint tag_counter;
    char *tag;            /* of the command awaiting completion */
    MsImapWriter pending; /* that command, literals and all */
    gsize sent;           /* octets of it sent so far */
    MsImapClientState after_send;
    gboolean idle_done_pending;

    gboolean caps_known;
    guint ext;            /* MS_IMAP_EXT_* the server advertised */

    char *selected;       /* the mailbox selected (or being selected) */
    gboolean read_only;
    guint exists;
    guint recent;
    guint unseen;
    guint32 uidvalidity;
    guint32 uidnext;
    gboolean grew;        /* EXISTS grew since SELECT: uidnext is stale */

    GArray *numbers;      /* guint32: SEARCH results */
    GPtrArray *names;     /* char*: LIST results */
    guint32 since;        /* FETCH_NEW: UIDs from here on are new */
    guint32 max_uid;      /* FETCH_NEW: the highest UID fetched */
};

void ms_imap_client_set_state(MsImapClient *c, MsImapClientState state);
/* Queues an event, stamped with the operation under way. */
void ms_imap_client_push_event(MsImapClient *c, MsImapEvent *event);
void ms_imap_client_push_error(MsImapClient *c, const char *text);
/* A resp-text-code of an untagged status or the greeting. */
void ms_imap_client_read_code(MsImapClient *c, const char *code);
/* An untagged response ("*" ...). */
void ms_imap_client_read_untagged(MsImapClient *c, const MsImapLine *line);

G_END_DECLS
