/* scenario-private.h - what the files of the scenario module share.
 *
 * Reading a scenario takes four steps: the lexer cuts the text into
 * statements of tokens (lexer.c), the parser turns each statement into
 * plain data (parser.c for declarations, actions.c, send.c and web.c for what
 * happens, with the token cursor of cursor.c and the value syntax of
 * units.c), and the checker looks at the whole scenario at once
 * (validate.c, validate_actions.c).  Every step reports its
 * findings into one list of diagnostics, so the user sees every mistake of
 * the file in one go, sorted by position (scenario.c).
 */
#pragma once

#include "mailsim/scenario.h"

/* ---- Diagnostics ------------------------------------------------------ */

/* More than this many errors are counted but not kept: a binary file fed
 * to the parser must not make it allocate an error per byte. */
#define MS_SC_MAX_KEPT_ERRORS 1000
/* The message names at most this many errors, then "too many errors". */
#define MS_SC_MAX_SHOWN_ERRORS 50

typedef struct {
    MsLoc loc;
    guint seq; /* order of reporting, to keep the sort stable */
    char *message;
} MsScDiag;

typedef struct {
    GPtrArray *items; /* MsScDiag* */
    guint dropped;    /* errors found after the list was full */
} MsScDiags;

void ms_sc_diags_init(MsScDiags *diags);
void ms_sc_diags_clear(MsScDiags *diags);
void ms_sc_diag(MsScDiags *diags, MsLoc loc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
guint ms_sc_diags_count(const MsScDiags *diags);
gboolean ms_sc_diags_full(const MsScDiags *diags);
/* One error line per diagnostic, sorted by position (transfer full). */
char *ms_sc_diags_format(MsScDiags *diags, const char *file);

/* Quotes a piece of input for a message: printable, at most ~40 bytes,
 * control characters escaped (transfer full). */
char *ms_sc_quote(const char *text);
/* The same, whole: for a path, which a message must not cut short. */
char *ms_sc_escape(const char *text);

/* ---- Building a scenario (scenario.c) --------------------------------- */

/* An empty scenario: seed 1, no name yet, empty arrays (transfer full). */
MsScenario *ms_sc_scenario_new(void);
/* An action with empty (never NULL) lists, count 1 (transfer full). */
MsScAction *ms_sc_action_new(MsScActionKind kind);
void ms_sc_server_free(gpointer server);
void ms_sc_agent_free(gpointer agent);
void ms_sc_link_free(gpointer link);
void ms_sc_mailbox_free(gpointer mailbox);
void ms_sc_attachment_free(gpointer attachment);
void ms_sc_step_free(gpointer step);
void ms_sc_action_free(gpointer action);

/* ---- Tokens and statements (lexer.c) ---------------------------------- */

#define MS_SC_TOKENS(X)                  \
    X(MS_SC_TOK_WORD, "word")            \
    X(MS_SC_TOK_STRING, "string")        \
    X(MS_SC_TOK_COMMA, "comma")          \
    X(MS_SC_TOK_ANGLE, "angle address")

#define MS_SC_TOK_ENUM_(e, s) e,
typedef enum { MS_SC_TOKENS(MS_SC_TOK_ENUM_) MS_SC_N_TOKENS } MsScTokenKind;
#undef MS_SC_TOK_ENUM_

typedef struct {
    MsScTokenKind kind;
    char *text; /* a word as written; a string with its escapes decoded;
                 * the address inside the brackets of an angle address */
    MsLoc loc;  /* of the first byte (the opening quote of a string) */
} MsScToken;

/* One logical line: a statement, possibly joined from several physical
 * lines with trailing backslashes. */
typedef struct {
    GPtrArray *tokens; /* MsScToken*; empty only when broken */
    MsLoc end;         /* where the statement ends: "found end of line" */
    gboolean broken;   /* a lexical error was reported inside it */
} MsScStatement;

/* Cuts text into statements (transfer full: MsScStatement*, freed by the
 * array).  Lexical errors go to diags; the statement holding one is marked
 * broken and keeps the tokens read before the error. */
GPtrArray *ms_sc_lex(const char *text, gsize len, MsScDiags *diags);
const char *ms_sc_token_kind_name(MsScTokenKind kind);

/* ---- Values (units.c) -------------------------------------------------
 * Each returns TRUE and the value, or FALSE and a reason in *why_out
 * (transfer full) that completes "expected ..., found '...'". */
gboolean ms_sc_parse_duration(const char *text, MsTime *out, char **why_out);
gboolean ms_sc_parse_rate(const char *text, guint64 *out, char **why_out);
gboolean ms_sc_parse_loss(const char *text, double *out, char **why_out);
gboolean ms_sc_parse_seed(const char *text, guint64 *out, char **why_out);
/* A whole number from min to max; what names it ("a port such as 25"). */
gboolean ms_sc_parse_whole(const char *text, guint64 min, guint64 max, const char *what,
                           guint64 *out, char **why_out);
/* Bytes: a number with no unit or B, kB (= KB), MB, GB (powers of 10) or
 * KiB, MiB, GiB (powers of 2). */
gboolean ms_sc_parse_size(const char *text, guint64 *out, char **why_out);
/* "YYYY-MM-DD[ HH:MM[:SS]]" in UTC, to seconds since 1970-01-01 00:00 UTC. */
gboolean ms_sc_parse_date(const char *text, gint64 *out, char **why_out);
gboolean ms_sc_is_host_name(const char *text);
gboolean ms_sc_is_address(const char *text);
/* The domain part of an address (points into address). */
const char *ms_sc_address_domain(const char *address);

/* Damerau-Levenshtein distance (optimal string alignment), case-blind. */
guint ms_sc_edit_distance(const char *a, const char *b);
/* The candidate closest to word, if close enough to be a likely typo. */
const char *ms_sc_suggest(const char *word, const char *const *candidates);

/* ---- The parse in progress (parser.c, validate.c) ---------------------
 * Positions of the parts of each declaration, kept beside the public
 * structures (index for index) so the checks can point at the exact token. */
typedef struct {
    MsLoc name;
    MsLoc domain;
} MsScServerLocs;

typedef struct {
    MsLoc host;
    MsLoc user;
    MsLoc server;
    MsLoc password; /* line 0 when none */
} MsScAgentLocs;

typedef struct {
    MsLoc address;
    MsLoc password; /* line 0 when none */
} MsScMailboxLocs;

typedef struct {
    MsLoc a;
    MsLoc b;
} MsScLinkLocs;

typedef struct {
    MsLoc time;
    MsLoc host;
    MsLoc verb;      /* 'send', 'pop3', 'imap', 'telnet', 'web', 'link', 'server',
                      * 'host' */
    MsLoc target;    /* telnet server, host of host down/up */
    MsLoc link_a;
    MsLoc link_b;
    MsLoc until;     /* of the time after 'until'; line 0 when none */
    MsLoc until_word; /* of the word 'until' */
    MsLoc charset;   /* of the value after 'charset' */
    MsLoc encoding;  /* of the value after 'encoding' */
    MsLoc original;  /* reply, forward: of the number or subject */
    gboolean server_only; /* written 'server NAME down', not 'host NAME down' */
    char *time_text; /* as written, for "earlier than ..." messages */
    char *until_text;
    GArray *to;      /* MsLoc, one per address */
    GArray *cc;
    GArray *bcc;
} MsScActionLocs;

typedef struct {
    MsScenario *sc;
    MsScDiags diags;
    GArray *server_locs; /* MsScServerLocs */
    GArray *agent_locs;  /* MsScAgentLocs */
    GArray *link_locs;   /* MsScLinkLocs */
    GArray *mailbox_locs; /* MsScMailboxLocs */
    GPtrArray *action_locs; /* MsScActionLocs* */
    char *base_dir;      /* files named by the scenario are relative to it */
    /* The telnet block being read: open from 'at ... telnet' to 'end'.
     * block is NULL when its first line could not be read; its lines are
     * then skipped quietly. */
    gboolean block_open;
    MsScAction *block;
    MsLoc block_loc;
    /* Lower-cased words of statements that could not be read: they may
     * have declared a host or a domain, so "undefined" errors about them
     * would only repeat the first mistake. Looked up, never iterated. */
    GHashTable *unsure;
    gboolean links_unsure;   /* a link statement could not be read */
    guint scenario_line;     /* line of the 'scenario' statement, 0 if none */
    guint seed_line;         /* line of the 'seed' statement, 0 if none */
    guint start_line;        /* ... of 'start', 'mss' and 'rto' */
    guint mss_line;
    guint rto_line;
    guint max_messages;      /* the bound on messages sent (scenario.h) */
} MsScParse;

/* Reads every statement into p->sc, reporting syntax errors. */
void ms_sc_parse_statements(MsScParse *p, GPtrArray *statements);
/* Cross-statement checks: names, references, times, reachability. */
void ms_sc_validate(MsScParse *p);
gboolean ms_sc_is_unsure(const MsScParse *p, const char *name);

/* ---- Reading one statement (cursor.c) ---------------------------------
 * A cursor walks the tokens of a statement left to right.  The first
 * error of a statement is reported, the rest are swallowed. */
typedef struct {
    MsScParse *p;
    MsScStatement *st;
    guint pos;       /* next token */
    gboolean failed; /* an error was reported in this statement */
} MsScCursor;

/* Options of one statement, at most this many kinds. */
#define MS_SC_MAX_OPTIONS 16

MsScToken *ms_sc_peek(const MsScCursor *c);
MsScToken *ms_sc_take(MsScCursor *c);
/* Where a token is, or where the statement ends when there is none. */
MsLoc ms_sc_loc_of(const MsScCursor *c, const MsScToken *tok);
/* How a token reads in "found ..." (transfer full). */
char *ms_sc_describe(const MsScToken *tok);
void ms_sc_fail(MsScCursor *c, MsLoc loc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* "expected <what>, found <token>" at the token (or the end of line). */
void ms_sc_fail_expected(MsScCursor *c, const MsScToken *tok, const char *what);
/* "expected 'a', 'b' or 'c'<where>, found X[; did you mean 'b'?]". */
void ms_sc_fail_choice(MsScCursor *c, const MsScToken *tok, const char *const *choices,
                       const char *where);
gboolean ms_sc_is_text(const MsScToken *tok);
gboolean ms_sc_is_word(const MsScToken *tok, const char *word);
MsScToken *ms_sc_expect_host(MsScCursor *c, const char *what);
MsScToken *ms_sc_expect_address(MsScCursor *c, const char *what);
MsScToken *ms_sc_expect_text(MsScCursor *c, const char *what);
gboolean ms_sc_expect_end(MsScCursor *c, const char *statement);
gboolean ms_sc_read_duration(MsScCursor *c, MsTime *out, const MsScToken **tok_out);
/* The kinds of value whose number and unit a user may write apart. */
typedef enum { MS_SC_VALUE_DURATION, MS_SC_VALUE_RATE } MsScValueKind;
/* Reports why (a value that does not parse) at tok, with a hint when tok
 * and the next word make a value together ("1 min": did you mean '1min'?). */
void ms_sc_fail_value(MsScCursor *c, const MsScToken *tok, const char *why,
                      MsScValueKind kind);
/* 'on' or 'off' after the option keyword. */
gboolean ms_sc_read_switch(MsScCursor *c, gboolean *out);
/* One of choices (a NULL-terminated list); its index, or -1 on error. */
int ms_sc_read_choice(MsScCursor *c, const char *const *choices, const char *where);
gboolean ms_sc_read_whole(MsScCursor *c, guint64 min, guint64 max, const char *what,
                          guint64 *out);
/* A password: a word or a one-line string (transfer none). */
MsScToken *ms_sc_read_password(MsScCursor *c);
/* The index in names of the next option keyword, -1 at the end of the
 * statement, -2 after reporting an error.  Each option may be given once,
 * except those whose bit (1 << index) is set in repeatable. */
int ms_sc_next_option(MsScCursor *c, const char *const *names, MsLoc *seen, guint repeatable,
                      const char *where);

/* ---- Files a scenario names (files.c) ---------------------------------
 * The file a token names: beside the scenario, else among the shipped
 * scenarios (ms_scenario_shipped_dir); an absolute name as it is.  NULL
 * after reporting at the token what went wrong and where it looked. */
GBytes *ms_sc_read_file(MsScCursor *c, const MsScToken *tok);
/* The same for a UTF-8 text, with "\n" line ends (transfer full). */
char *ms_sc_read_text_file(MsScCursor *c, const MsScToken *tok);

/* ---- Actions (actions.c, send.c) --------------------------------------- */

void ms_sc_parse_at(MsScCursor *c, const MsScToken *kw);
/* The lines of a telnet block: 'type', 'pause' and 'end'. */
void ms_sc_parse_block_line(MsScCursor *c, const MsScToken *kw);
/* 'send ...', and 'reply'/'forward' (act->kind set before): the message
 * referred to, then the options of send that fit. */
gboolean ms_sc_parse_send(MsScCursor *c, MsScAction *act, MsScActionLocs *locs);
/* MAILBOX ("," MAILBOX)* into list (the addresses), names (the display
 * names, "" for none) and locs (the position of each address).  With names
 * NULL, a display name is an error and no_names says why. */
gboolean ms_sc_read_addresses(MsScCursor *c, GPtrArray *list, GPtrArray *names, GArray *locs,
                              const char *no_names);
/* 'web login|inbox|read|send|logout ...' (web.c): sets act->kind. */
gboolean ms_sc_parse_web(MsScCursor *c, MsScAction *act, MsScActionLocs *locs);
MsScActionLocs *ms_sc_action_locs_new(void);
void ms_sc_action_locs_free(gpointer locs);
