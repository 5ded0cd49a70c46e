/* scenario.h - a scenario as plain, validated data.
 *
 * The parser (sim/scenario) turns a .mss file into an MsScenario and checks
 * it: every error names file:line:column and what was expected.  The world
 * builder (sim/agents) turns the scenario into hosts, links, servers and
 * agents.  docs/scenario-language.md is the reference for the language.
 */
#pragma once

#include <glib.h>
#include "mailsim/codec.h"
#include "mailsim/core.h"

G_BEGIN_DECLS

typedef struct {
    guint line;   /* from 1 */
    guint column; /* from 1, in bytes */
} MsLoc;

/* The simulated wall clock at time 0 when no 'start' statement is given:
 * 2023-03-23 12:00:00 UTC, in seconds since 1970-01-01 00:00:00 UTC. */
#define MS_SC_DEFAULT_START G_GINT64_CONSTANT(1679572800)

/* Reply wording of a server: "default" reads like a modern server,
 * "textbook" like the textbook's sample dialogues. */
#define MS_SC_PROFILES(X)                          \
    X(MS_SC_PROFILE_DEFAULT, "default")            \
    X(MS_SC_PROFILE_TEXTBOOK, "textbook")

#define MS_SC_ENUM_(e, s) e,
typedef enum { MS_SC_PROFILES(MS_SC_ENUM_) MS_SC_N_PROFILES } MsScProfile;
#undef MS_SC_ENUM_

const char *ms_sc_profile_name(MsScProfile profile);

typedef struct {
    char *name;     /* host name, e.g. "crepes.fr" */
    char *domain;   /* mail domain it serves */
    MsLoc loc;
    /* Options; the defaults are what a server statement without them gets. */
    MsScProfile profile;    /* reply wording (SMTP, POP3, IMAP); default DEFAULT */
    gboolean open_relay;    /* relays for strangers; default FALSE (550 relay denied) */
    MsTime retry;           /* between delivery attempts; default 30 min */
    MsTime give_up;         /* bounce a message queued this long; default 5 d */
    gboolean persistent;    /* several messages per connection; default TRUE */
    gboolean pipelining;    /* offers PIPELINING after EHLO; default TRUE */
    gboolean eightbitmime;  /* offers 8BITMIME after EHLO; default TRUE */
    guint64 max_size;       /* SIZE limit in bytes; 0 (default): no limit */
    guint submission_port;  /* where its agents submit: 25 (default) or 587 */
    MsTime connect_timeout; /* its relay gives up a connection not made
                             * within this; 0 (default): when TCP gives up
                             * its SYN retransmissions */
    gboolean webmail;       /* also serves web mail over HTTP on port 80
                             * ('webmail on'); default FALSE */
    gboolean bounce_unknown; /* accepts RCPT TO for unknown users of its
                              * domain and bounces at delivery ('unknown-users
                              * bounce'); default FALSE: 550 at RCPT TO */
} MsScServer;

typedef struct {
    char *host;     /* host name of the agent's machine, e.g. "alice-pc" */
    char *user;     /* e-mail address, e.g. "alice@crepes.fr"; several agents
                     * (devices) may share one user */
    char *server;   /* host name of the user's mail server */
    char *password; /* NULL when none given */
    MsLoc loc;
    gboolean pipelining; /* pipelines SMTP when offered; default FALSE */
    gboolean ehlo;       /* greets with EHLO (default TRUE) or HELO */
    gboolean lowercase;  /* POP3 commands in lower case; default FALSE */
} MsScAgent;

/* A mailbox on the server of its domain with no agent reading it
 * ('mailbox ADDR [password WORD]'): a recipient that exists. */
typedef struct {
    char *address;  /* "carol@hamburger.edu" */
    char *password; /* NULL when none given */
    MsLoc loc;
} MsScMailbox;

typedef struct {
    char *a;
    char *b;
    MsTime latency;     /* default 1 ms */
    guint64 bandwidth;  /* bit/s, default 10 Mbit/s */
    double loss;        /* probability, default 0 */
    MsLoc loc;
} MsScLink;

#define MS_SC_ACTIONS(X)                           \
    X(MS_SC_SEND, "send")                          \
    X(MS_SC_REPLY, "reply")                        \
    X(MS_SC_FORWARD, "forward")                    \
    X(MS_SC_POP3_FETCH, "pop3 fetch")              \
    X(MS_SC_IMAP_LOGIN, "imap login")              \
    X(MS_SC_IMAP_SELECT, "imap select")            \
    X(MS_SC_IMAP_EXAMINE, "imap examine")          \
    X(MS_SC_IMAP_LIST, "imap list")                \
    X(MS_SC_IMAP_FETCH_NEW, "imap fetch new")      \
    X(MS_SC_IMAP_READ, "imap read")                \
    X(MS_SC_IMAP_FLAG, "imap flag")                \
    X(MS_SC_IMAP_UNFLAG, "imap unflag")            \
    X(MS_SC_IMAP_COPY, "imap copy")                \
    X(MS_SC_IMAP_MOVE, "imap move")                \
    X(MS_SC_IMAP_EXPUNGE, "imap expunge")          \
    X(MS_SC_IMAP_CREATE, "imap create")            \
    X(MS_SC_IMAP_RENAME, "imap rename")            \
    X(MS_SC_IMAP_DELETE, "imap delete")            \
    X(MS_SC_IMAP_SEARCH, "imap search")            \
    X(MS_SC_IMAP_IDLE, "imap idle")                \
    X(MS_SC_IMAP_LOGOUT, "imap logout")            \
    X(MS_SC_IMAP_POLL, "imap poll")                \
    X(MS_SC_LINK_DOWN, "link down")                \
    X(MS_SC_LINK_UP, "link up")                    \
    X(MS_SC_HOST_DOWN, "host down")                \
    X(MS_SC_HOST_UP, "host up")                    \
    X(MS_SC_SERVICE_DOWN, "service down")          \
    X(MS_SC_SERVICE_UP, "service up")              \
    X(MS_SC_TELNET, "telnet")                      \
    X(MS_SC_WEB_LOGIN, "web login")                \
    X(MS_SC_WEB_INBOX, "web inbox")                \
    X(MS_SC_WEB_READ, "web read")                  \
    X(MS_SC_WEB_SEND, "web send")                  \
    X(MS_SC_WEB_LOGOUT, "web logout")

#define MS_SC_ENUM_(e, s) e,
typedef enum { MS_SC_ACTIONS(MS_SC_ENUM_) MS_SC_N_ACTIONS } MsScActionKind;
#undef MS_SC_ENUM_

const char *ms_sc_action_name(MsScActionKind kind);

/* A file attached to a message ('attach PATH [type TYPE]'). */
typedef struct {
    char *path;         /* as written, relative to the scenario's directory */
    char *filename;     /* the path's last component, "picture.jpg" */
    char *content_type; /* as given, or from the file name's extension;
                         * "application/octet-stream" when unknown */
    GBytes *data;       /* the file's bytes, read by the parser */
    MsLoc loc;
} MsScAttachment;

/* How a typed line of a telnet block ends on the wire. */
#define MS_SC_LINE_ENDS(X)                         \
    X(MS_SC_EOL_CRLF, "crlf", "\r\n")              \
    X(MS_SC_EOL_LF, "lf", "\n")                     \
    X(MS_SC_EOL_CR, "cr", "\r")

#define MS_SC_EOL_ENUM_(e, s, octets) e,
typedef enum { MS_SC_LINE_ENDS(MS_SC_EOL_ENUM_) MS_SC_N_LINE_ENDS } MsScLineEnd;
#undef MS_SC_EOL_ENUM_

const char *ms_sc_line_end_name(MsScLineEnd end);
/* The octets of a line end: "\r\n", "\n" or "\r". */
const char *ms_sc_line_end_octets(MsScLineEnd end);

#define MS_SC_TELNET_STEPS(X)                      \
    X(MS_SC_STEP_TYPE, "type")                     \
    X(MS_SC_STEP_PAUSE, "pause")

#define MS_SC_ENUM_(e, s) e,
typedef enum { MS_SC_TELNET_STEPS(MS_SC_ENUM_) MS_SC_N_STEPS } MsScStepKind;
#undef MS_SC_ENUM_

/* One line of a telnet block. */
typedef struct {
    MsScStepKind kind;
    char *text;         /* type: the line without its ending (no CR, no LF) */
    MsScLineEnd end;    /* type: default CRLF */
    MsTime pause;       /* pause: how long */
    MsLoc loc;
} MsScTelnetStep;

typedef struct {
    MsScActionKind kind;
    MsTime at;
    char *host;        /* the agent that acts; NULL for link down/up and
                        * host down/up, which no agent performs */
    MsLoc loc;

    /* send; web send uses to, subject and body only; reply and forward use
     * them all but from, subject (made from the original's), raw8bit and
     * count, and reply has no to (the original's Reply-To or From) */
    GPtrArray *to;     /* char* addresses (addr-specs: the envelope) */
    GPtrArray *cc;
    GPtrArray *bcc;
    GPtrArray *to_names; /* char* display names, one per address of to
                          * ("" for none): "Bob Smith" <bob@...> */
    GPtrArray *cc_names; /* the same for cc; bcc has none (no header) */
    char *subject;     /* NULL if none */
    char *body;        /* with "\n" line ends; NULL if none */
    char *from;        /* header From: as written ("Alice <alice@crepes.fr>");
                        * NULL: the agent's user.  Never the envelope. */
    char *body_file;   /* path as written when the body came from a file */
    char *html;        /* HTML alternative, "\n" line ends; NULL if none */
    char *html_file;   /* path as written when the HTML came from a file */
    GPtrArray *attachments; /* MsScAttachment*, in order; never NULL */
    GPtrArray *headers;     /* char* "Name: value", in order; never NULL */
    char *charset;     /* of the text parts as written; NULL: not given */
    MsTransferEncoding encoding; /* of the text parts; MS_TE_AUTO unless given */
    gboolean raw8bit;  /* the body as it is, no MIME fields at all */
    guint count;       /* separate messages to send; default 1 */

    /* reply, forward: the message answered or passed on, among those the
     * agent has downloaded: by its number (from 1, in the order they were
     * downloaded; 0 when chosen by subject) or by its Subject (decoded,
     * compared exactly; NULL when chosen by number).  The latest download
     * with that subject is the one. */
    char *original;

    /* pop3 fetch */
    gboolean keep;     /* FALSE: download-and-delete (default) */
    gboolean list_only; /* LIST (and UIDL), no RETR, no DELE */
    gboolean apop;     /* authenticate with APOP instead of USER/PASS */
    gboolean stat;     /* STAT after logging in (RFC 1939 5) */
    gboolean rset;     /* RSET before QUIT: the DELE marks are undone */

    /* pop3 fetch, imap login, imap poll, web login */
    char *password;    /* overrides the agent's; NULL: the agent's */

    /* pop3 fetch and imap poll: repeat at at, at + every, ... while <= until */
    MsTime every;      /* 0: once */
    MsTime until;      /* with every: the last time a repetition may start */

    /* imap */
    char *folder;      /* select, examine, create, delete, rename (old name),
                        * copy/move (destination), poll ("INBOX") */
    char *new_folder;  /* rename: the new name */
    guint number;      /* read, flag, unflag, copy, move: message sequence
                        * number, from 1; web read: the N of /message/N,
                        * from 1 (position in the inbox listing); reply,
                        * forward: the original's number (see original) */
    char *flag;        /* flag, unflag: "\\Seen", "\\Answered", "\\Flagged",
                        * "\\Deleted" or "\\Draft" */
    char *criteria;    /* search: the SEARCH arguments, "UNSEEN FROM alice" */

    /* imap idle: how long; link/host down: back up after this (0: stays
     * down until an 'up' action) */
    MsTime duration;

    /* link down/up */
    char *link_a;      /* the ends as written in the action */
    char *link_b;

    /* host down/up, service down/up: the host; telnet: the server
     * connected to */
    char *target;

    /* service down/up: "smtp", "pop3", "imap" or "http" (its ports refuse
     * connections while the host stays up) */
    char *service;

    /* telnet */
    guint port;        /* 1..65535 */
    GPtrArray *steps;  /* MsScTelnetStep*, in order; never NULL */
} MsScAction;

typedef struct {
    char *file;        /* path as given */
    char *name;        /* scenario "..." ; defaults to the file stem */
    char *name_zh;     /* scenario "..." zh "..." ; NULL: the name serves */
    guint64 seed;      /* default 1 */
    GPtrArray *servers; /* MsScServer* */
    GPtrArray *agents;  /* MsScAgent* */
    GPtrArray *links;   /* MsScLink* */
    GPtrArray *actions; /* MsScAction*, in file order (times never decrease) */
    GPtrArray *mailboxes; /* MsScMailbox* */
    gint64 start;       /* wall clock at time 0, unix seconds; default
                         * MS_SC_DEFAULT_START */
    guint32 mss;        /* TCP segment size in bytes; 0: the network's default */
    MsTime rto;         /* initial TCP retransmission timeout; 0: default */

    /* Indexes of the look-ups below, kept by them (rebuilt when the lists
     * have grown since); not for other use. */
    GHashTable *agent_index;  /* host -> first MsScAgent* declared for it */
    guint agent_indexed;      /* agents->len when it was built */
    GHashTable *server_index; /* name -> MsScServer* */
    GHashTable *domain_index; /* domain -> MsScServer* */
    guint server_indexed;
} MsScenario;

/* Parses and validates.  On failure returns NULL and sets error
 * (MS_ERROR_SCENARIO) whose message holds every error found, one per line,
 * as "file:line:column: error: what was expected, what was found".
 * Files a scenario names (body-file, html-file, attach) are read relative
 * to the directory of the scenario file (of filename for parse_string; the
 * current directory when filename is NULL), or failing that to
 * ms_scenario_shipped_dir(). */
MsScenario *ms_scenario_parse_file(const char *path, GError **error);
MsScenario *ms_scenario_parse_string(const char *text, gssize len, const char *filename,
                                     GError **error);

/* The most messages a scenario may send (every `count` and every recipient
 * counts; docs/limits.md).  A scenario is untrusted input: the parsers above
 * hold it to MS_SCENARIO_MAX_MESSAGES.  The person running mailsim may allow
 * more, up to MS_SCENARIO_MAX_MESSAGES_CEILING (`mailsim run --max-messages`);
 * the bound on TCP segments grows with it in proportion (never below its
 * default). */
#define MS_SCENARIO_MAX_MESSAGES 2000u
#define MS_SCENARIO_MAX_MESSAGES_CEILING 1000000u
/* As ms_scenario_parse_file, with max_messages (clamped to
 * 1..MS_SCENARIO_MAX_MESSAGES_CEILING) as the bound. */
MsScenario *ms_scenario_parse_file_bounded(const char *path, guint max_messages,
                                           GError **error);
MsScenario *ms_scenario_parse_string_bounded(const char *text, gssize len,
                                             const char *filename, guint max_messages,
                                             GError **error);
void ms_scenario_free(MsScenario *scenario);

/* The folder of the scenarios shipped with mailsim, where the files a
 * scenario names are looked for when they are not beside it: the
 * environment's MAILSIM_SCENARIODIR; else <bin>/../share/mailsim/scenarios
 * when the program is installed there; else the source tree's scenarios/
 * it was built from (transfer full). */
char *ms_scenario_shipped_dir(void);

/* Helpers shared with the rest of the program. */
const MsScServer *ms_scenario_find_server(const MsScenario *sc, const char *name);
const MsScServer *ms_scenario_server_for_domain(const MsScenario *sc, const char *domain);
const MsScAgent *ms_scenario_find_agent(const MsScenario *sc, const char *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsScenario, ms_scenario_free)

G_END_DECLS
