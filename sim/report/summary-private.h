/* summary-private.h - the summary's model of a run, shared by summary.c
 * (which builds it from the trace), summary_text.c (which writes it in
 * words) and summary_json.c (which writes it as JSON).
 */
#pragma once

#include "report/report-private.h"

/* Which way the mail moved on a connection, relative to the side that
 * opened it (the client). */
typedef enum {
    MS_MOVED_NONE,        /* no message text crossed it */
    MS_MOVED_AWAY,        /* client → server: the opener pushed */
    MS_MOVED_TOWARD,      /* server → client: the opener pulled */
    MS_MOVED_BOTH,
} MsMoved;

/* One exchange: one TCP connection and the dialogue on it. */
typedef struct {
    guint id;
    const char *protocol;
    const char *client;
    const char *server;
    guint16 client_port;
    guint16 server_port;
    MsTime opened;
    MsTime closed;         /* conn-close, -refused or -abort; -1 if never */
    const char *end;       /* "closed", "refused" (RST), "timed-out", "no-route",
                            * "aborted", "open" */
    guint round_trips;     /* client turns answered by the server */
    guint64 bytes[2];      /* application bytes: [0] C→S, [1] S→C */
    guint lines[2];
    guint texts[2];        /* message texts carried each way (for HTTP: mail
                            * messages, a POST /send up, a message page down) */
    GPtrArray *message_ids;/* char*: Message-IDs of the texts, in order */
    GHashTable *id_set;    /* the same, to look a repeat up once there are many */
    guint anonymous;       /* texts (not HTTP) that had no Message-ID field */
    MsMoved moved;
    gboolean push;         /* by the direction, or the protocol's rule */
    /* while reading the trace */
    MsDir last_dir;
    gboolean in_text[2];
    gboolean in_header[2];
    gboolean text_has_id[2]; /* the text being read each way named its Message-ID */
    gboolean http_page;    /* a GET /message/N awaits its response */
    gboolean http_part;    /* a GET /message/N/part/K awaits its response */
    guint http_responses;  /* HTTP: responses, one object each */
    guint http_parts;      /* HTTP: 200 responses carrying one message part */
    gboolean multipart;    /* a message text on it was MIME multipart */
    guint multiparts;      /* message texts on it that were multipart */
    guint most_parts;      /* the most leaf parts one of them had */
    gboolean text_multipart[2]; /* the text being read each way is multipart */
    guint text_parts[2];   /* its part headers' Content-Type lines so far */
} MsSumExchange;

/* One stage of a message's way, from one milestone to the next. */
typedef struct {
    const char *id;    /* "submission", "queue", "relay", "mailbox", "retrieval" */
    char *where;       /* host(s) it concerns, for the label */
    guint attempts;    /* queue: relay attempts made */
    MsTime from;
    MsTime to;
} MsSumStage;

/* A message reaching one mailbox, and when its owner's agent saw it. */
typedef struct {
    const char *server;
    const char *mailbox;
    MsTime delivered;
    const char *agent;       /* NULL when never downloaded */
    const char *protocol;    /* of the retrieval */
    MsTime fetch_start;
    MsTime seen;             /* -1 when never */
    GArray *stages;          /* MsSumStage */
} MsSumDelivery;

typedef struct {
    char *message_id;
    const char *author;      /* host that composed it (or the bouncing server) */
    char *from;              /* address from the composed event */
    MsTime composed;         /* -1 when not composed in the run (a bounce) */
    GPtrArray *events;       /* const MsTraceRecord* about this message */
    GPtrArray *deliveries;   /* MsSumDelivery* */
} MsSumMessage;

/* A mailbox (or IMAP folder), an outgoing queue, or an agent's local store
 * at the end of the run. */
typedef struct {
    const char *host;
    char *name;              /* mailbox address ("bob@x/Sent" for a folder) */
    GPtrArray *ids;          /* char*: Message-IDs, in order */
    gint64 count;
    /* while reading the trace: Message-ID -> its index in ids (a removed
     * one leaves a NULL there until the end, so removals cost O(1)) */
    GHashTable *index;
    guint holes;
} MsSumContainer;

struct MsSummary {
    GPtrArray *exchanges;    /* MsSumExchange*, by connection id */
    GPtrArray *messages;     /* MsSumMessage*, in order of first appearance */
    GPtrArray *mailboxes;    /* MsSumContainer* */
    GPtrArray *queues;
    GPtrArray *stores;
    gboolean from_state;     /* the end state came from state.* records */
    GPtrArray *actions;      /* const MsTraceRecord*: action records */
};

/* ---- Push vs pull (summary_text.c) -------------------------------------- */

/* The exchanges of one protocol: the push-vs-pull comparison is made
 * protocol by protocol, in words and in JSON alike. */
typedef struct {
    const char *protocol;
    GPtrArray *exchanges; /* const MsSumExchange* */
    gboolean away, toward, multipart;
    guint messages, most_per_connection, round_trips;
    guint64 bytes[2];
    guint http_responses, http_parts; /* HTTP: responses, message parts among them */
    guint multiparts, most_parts;     /* SMTP & co: multipart texts, most parts in one */
} MsSumGroup;

/* The exchanges grouped by protocol, in the order each protocol first
 * appears: an array of MsSumGroup, for ms_summary_groups_free(). */
GArray *ms_summary_group_exchanges(const MsSummary *summary);
void ms_summary_groups_free(GArray *groups);
/* The hosts that opened a group's connections, each once: "alice-pc,
 * bob-pc" (transfer full). */
char *ms_summary_openers(const MsSumGroup *group);
