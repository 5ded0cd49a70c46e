/* scenario.h - a scenario as plain, validated data.
 *
 * The parser (sim/scenario) turns a .mss file into an MsScenario and checks
 * it: every error names file:line:column and what was expected.  The world
 * builder (sim/agents) turns the scenario into hosts, links, servers and
 * agents.  docs/scenario-language.md is the reference for the language.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"

G_BEGIN_DECLS

typedef struct {
    guint line;   /* from 1 */
    guint column; /* from 1, in bytes */
} MsLoc;

typedef struct {
    char *name;     /* host name, e.g. "crepes.fr" */
    char *domain;   /* mail domain it serves */
    MsLoc loc;
} MsScServer;

typedef struct {
    char *host;     /* host name of the agent's machine, e.g. "alice-pc" */
    char *user;     /* e-mail address, e.g. "alice@crepes.fr" */
    char *server;   /* host name of the user's mail server */
    char *password; /* NULL when none given */
    MsLoc loc;
} MsScAgent;

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
    X(MS_SC_POP3_FETCH, "pop3 fetch")

#define MS_SC_ENUM_(e, s) e,
typedef enum { MS_SC_ACTIONS(MS_SC_ENUM_) MS_SC_N_ACTIONS } MsScActionKind;
#undef MS_SC_ENUM_

const char *ms_sc_action_name(MsScActionKind kind);

typedef struct {
    MsScActionKind kind;
    MsTime at;
    char *host;        /* the agent that acts */
    MsLoc loc;

    /* send */
    GPtrArray *to;     /* char* addresses */
    GPtrArray *cc;
    GPtrArray *bcc;
    char *subject;     /* NULL if none */
    char *body;        /* with "\n" line ends; NULL if none */

    /* pop3 fetch */
    gboolean keep;     /* FALSE: download-and-delete (default) */
} MsScAction;

typedef struct {
    char *file;        /* path as given */
    char *name;        /* scenario "..." ; defaults to the file stem */
    guint64 seed;      /* default 1 */
    GPtrArray *servers; /* MsScServer* */
    GPtrArray *agents;  /* MsScAgent* */
    GPtrArray *links;   /* MsScLink* */
    GPtrArray *actions; /* MsScAction*, in file order (times never decrease) */
} MsScenario;

/* Parses and validates.  On failure returns NULL and sets error
 * (MS_ERROR_SCENARIO) whose message holds every error found, one per line,
 * as "file:line:column: error: what was expected, what was found". */
MsScenario *ms_scenario_parse_file(const char *path, GError **error);
MsScenario *ms_scenario_parse_string(const char *text, gssize len, const char *filename,
                                     GError **error);
void ms_scenario_free(MsScenario *scenario);

/* Helpers shared with the rest of the program. */
const MsScServer *ms_scenario_find_server(const MsScenario *sc, const char *name);
const MsScServer *ms_scenario_server_for_domain(const MsScenario *sc, const char *domain);
const MsScAgent *ms_scenario_find_agent(const MsScenario *sc, const char *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsScenario, ms_scenario_free)

G_END_DECLS
