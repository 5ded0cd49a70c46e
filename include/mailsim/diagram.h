/* diagram.h - the sequence diagram of a run: one lifeline per host, one
 * arrow per protocol line from its send time to its arrival time.
 *
 * Built from the trace log alone, in two steps.  ms_diagram_new() is pure
 * computation: it picks the arrows (filters, pages), orders the lifelines
 * as the mail flows and places everything on a page in points (y grows
 * downward, like reading).  The renderers then only draw that model: a
 * Graphviz graph with every coordinate pinned (SVG, PNG, PDF, DOT) or a text
 * export (terminal text, mscgen, PlantUML, Mermaid).  docs/diagrams.md says
 * what the picture shows.
 */
#pragma once

#include <glib.h>
#include <graphviz/cgraph.h>

#include "mailsim/report.h"

G_BEGIN_DECLS

/* X-macro: constant, name in --format, file name suffix. */
#define MS_DIAGRAM_FORMATS(X)                        \
    X(MS_DIAGRAM_SVG, "svg", ".svg")                 \
    X(MS_DIAGRAM_PNG, "png", ".png")                 \
    X(MS_DIAGRAM_PDF, "pdf", ".pdf")                 \
    X(MS_DIAGRAM_DOT, "dot", ".dot")                 \
    X(MS_DIAGRAM_TXT, "txt", ".txt")                 \
    X(MS_DIAGRAM_MSC, "msc", ".msc")                 \
    X(MS_DIAGRAM_PLANTUML, "plantuml", ".puml")      \
    X(MS_DIAGRAM_MERMAID, "mermaid", ".mmd")

#define MS_DIAGRAM_FORMAT_ENUM_(e, name, suffix) e,
typedef enum { MS_DIAGRAM_FORMATS(MS_DIAGRAM_FORMAT_ENUM_) MS_DIAGRAM_N_FORMATS } MsDiagramFormat;
#undef MS_DIAGRAM_FORMAT_ENUM_

#define MS_DIAGRAM_FORMAT_BIT(f) (1u << (guint) (f))

const char *ms_diagram_format_name(MsDiagramFormat format);
const char *ms_diagram_format_suffix(MsDiagramFormat format);
/* Formats drawn by Graphviz (svg, png, pdf, dot) rather than written as text. */
gboolean ms_diagram_format_is_graphviz(MsDiagramFormat format);

/* X-macro: constant, English and Chinese name (shown under the host name). */
#define MS_DIAGRAM_ROLES(X)                                                  \
    X(MS_DIAGRAM_ROLE_HOST, "host", "主机")                                  \
    X(MS_DIAGRAM_ROLE_USER_AGENT, "user agent", "用户代理")                  \
    X(MS_DIAGRAM_ROLE_MAIL_SERVER, "mail server", "邮件服务器")              \
    X(MS_DIAGRAM_ROLE_BROWSER, "browser", "浏览器")                          \
    X(MS_DIAGRAM_ROLE_WEBMAIL_SERVER, "web-mail server", "Web 邮件服务器")  \
    X(MS_DIAGRAM_ROLE_MAIL_WEB_SERVER, "mail server + web mail", "邮件服务器 + Web 邮件")

#define MS_DIAGRAM_ROLE_ENUM_(e, en, zh) e,
typedef enum { MS_DIAGRAM_ROLES(MS_DIAGRAM_ROLE_ENUM_) MS_DIAGRAM_N_ROLES } MsDiagramRole;
#undef MS_DIAGRAM_ROLE_ENUM_

const char *ms_diagram_role_name(MsDiagramRole role, const char *lang);

/* Which way the mail moves on an arrow: SMTP pushes it towards the
 * recipient; POP3, IMAP and HTTP pull it to the reader.  X-macro: constant,
 * name. */
#define MS_DIAGRAM_FLOWS(X)                   \
    X(MS_DIAGRAM_FLOW_OTHER, "other")         \
    X(MS_DIAGRAM_FLOW_PUSH, "push")           \
    X(MS_DIAGRAM_FLOW_PULL, "pull")           \
    X(MS_DIAGRAM_FLOW_TCP, "tcp")

#define MS_DIAGRAM_FLOW_ENUM_(e, name) e,
typedef enum { MS_DIAGRAM_FLOWS(MS_DIAGRAM_FLOW_ENUM_) MS_DIAGRAM_N_FLOWS } MsDiagramFlow;
#undef MS_DIAGRAM_FLOW_ENUM_

const char *ms_diagram_flow_name(MsDiagramFlow flow);

/* How much of the dialogue an arrow stands for.  X-macro: constant, name in
 * --view.  FULL: one arrow per protocol line.  COMPACT: one arrow per
 * command and per reply (a multi-line reply is one arrow), one for a
 * message text ("message text: 12 lines, 421 bytes"); what is sent in one
 * instant on one connection is one arrow with a row of text per part.
 * AUTO: compact when the full view would have more than
 * MS_DIAGRAM_COMPACT_OVER arrows. */
#define MS_DIAGRAM_VIEWS(X)                 \
    X(MS_DIAGRAM_VIEW_AUTO, "auto")         \
    X(MS_DIAGRAM_VIEW_COMPACT, "compact")   \
    X(MS_DIAGRAM_VIEW_FULL, "full")

#define MS_DIAGRAM_VIEW_ENUM_(e, name) e,
typedef enum { MS_DIAGRAM_VIEWS(MS_DIAGRAM_VIEW_ENUM_) MS_DIAGRAM_N_VIEWS } MsDiagramView;
#undef MS_DIAGRAM_VIEW_ENUM_

#define MS_DIAGRAM_COMPACT_OVER 60u
/* --slide: arrows a page unless --page-arrows says otherwise. */
#define MS_DIAGRAM_SLIDE_ARROWS 20u
/* `mailsim run` without --page-arrows, --page-time or --slide: a long run's
 * diagram is paged by this many arrows, so that no picture grows without
 * bound (a 2,000-arrow page is about 2.6 MB of SVG; --page-arrows 0 asks for
 * one page whatever its size). */
#define MS_DIAGRAM_PAGE_ARROWS_DEFAULT 2000u
/* ...and at most this many of those pages are drawn (10,000 arrows): the
 * diagram's time and memory stay bounded however long the run.  The pages
 * left out are counted, not drawn, and the index says which they are
 * (--max-pages 0 draws every page). */
#define MS_DIAGRAM_MAX_PAGES_DEFAULT 5u

const char *ms_diagram_view_name(MsDiagramView view);
/* The flow of a protocol name ("SMTP" -> push); OTHER when unknown. */
MsDiagramFlow ms_diagram_flow_of_protocol(const char *protocol);

typedef struct {
    guint formats;          /* MS_DIAGRAM_FORMAT_BIT()s; default: svg */
    double dpi;             /* PNG resolution; default 96 */
    gboolean tcp;           /* draw TCP segments too; default FALSE */
    gboolean events;        /* queue / mailbox / message notes; default TRUE */
    const char *lang;       /* "en" or "zh"; NULL: the report's */
    const char *protocols;  /* comma-separated, any case; NULL or "": all */
    const char *hosts;      /* comma-separated; NULL or "": all (see docs) */
    MsTime from;            /* only what was sent at or after; default 0 */
    MsTime until;           /* ...and before; default MS_TIME_NEVER */
    guint64 records;        /* read only the trace's first this many records
                               (report.html's window); 0: all */
    guint page_arrows;      /* at most this many arrows a page; 0: no limit */
    guint max_pages;        /* draw at most this many pages, the run's first;
                               0: every page */
    MsTime page_time;       /* at most this much simulated time a page; 0: none */
    double scale;           /* points per simulated millisecond; 0: automatic */
    MsTime gap;             /* compress idle gaps longer than this; 0: auto, <0: never */
    const char *basename;   /* output file names; default "sequence" */
    MsDiagramView view;     /* default AUTO */
    gboolean slide;         /* 16:9 pages in large type (see docs/diagrams.md) */
} MsDiagramOptions;

void ms_diagram_options_init(MsDiagramOptions *options);
/* "svg,png,txt" -> options->formats.  Empty names are skipped; an unknown
 * name is an MS_ERROR_USAGE error that lists the valid ones. */
gboolean ms_diagram_options_parse_formats(MsDiagramOptions *options, const char *list,
                                          GError **error);
/* "2s", "150ms", "1.5min", "250" (milliseconds) -> nanoseconds. */
gboolean ms_diagram_parse_time(const char *text, MsTime *time_out, GError **error);

/* The diagram's options on the `mailsim run` command line.  The command
 * adds the entries, parses, then turns what was given into options:
 *
 *     MsDiagramArgs dargs = { 0 };
 *     GOptionEntry dentries[MS_DIAGRAM_N_ARGS];
 *     ms_diagram_args_entries(&dargs, dentries);
 *     g_option_context_add_main_entries(ctx, dentries, NULL);
 *     ... parse ...
 *     MsDiagramOptions dopt;
 *     if (!ms_diagram_args_to_options(&dargs, &dopt, &error)) -> usage error
 *     dopt.tcp = tcp;
 *     ms_diagram_write(trace, &report_options, &dopt, out_dir, written, NULL, &error);
 *     ms_diagram_args_clear(&dargs);
 */
/* What ms_diagram_args_entries() leaves in dpi, page_arrows and max_pages
 * until --dpi, --page-arrows and --max-pages are given. */
#define MS_DIAGRAM_DPI_UNSET (-G_MAXDOUBLE)
#define MS_DIAGRAM_PAGE_ARROWS_UNSET G_MININT
#define MS_DIAGRAM_MAX_PAGES_UNSET G_MININT

typedef struct {
    char *format;      /* --format LIST */
    double dpi;        /* --dpi N (MS_DIAGRAM_DPI_UNSET: not given) */
    char *protocols;   /* --filter-protocol LIST */
    char *hosts;       /* --filter-host LIST */
    char *from;        /* --from TIME */
    char *until;       /* --until TIME */
    gint page_arrows;  /* --page-arrows N (MS_DIAGRAM_PAGE_ARROWS_UNSET: not given) */
    gint max_pages;    /* --max-pages N (MS_DIAGRAM_MAX_PAGES_UNSET: not given) */
    char *page_time;   /* --page-time TIME */
    char *view;        /* --view compact|full */
    gboolean slide;    /* --slide */
} MsDiagramArgs;

#define MS_DIAGRAM_N_ARGS 12 /* entries, with the closing empty one */

/* Writes MS_DIAGRAM_N_ARGS entries whose values land in args. */
void ms_diagram_args_entries(MsDiagramArgs *args, GOptionEntry *entries);
/* Options from what was given (a wrong value is an MS_ERROR_USAGE error that
 * names its option).  The options point into args: keep args until the
 * diagram is written. */
gboolean ms_diagram_args_to_options(const MsDiagramArgs *args, MsDiagramOptions *options,
                                    GError **error);
void ms_diagram_args_clear(MsDiagramArgs *args);

/* ---- The model ----------------------------------------------------------- */

typedef struct MsDiagram MsDiagram;

typedef struct {
    const char *host;
    MsDiagramRole role;
    double x;
} MsDiagramLifeline;

typedef enum {
    MS_DIAGRAM_ARROW_LINE,    /* a protocol line */
    MS_DIAGRAM_ARROW_SEGMENT, /* a TCP segment */
    MS_DIAGRAM_ARROW_ELIDED,  /* stands for `elided` lines of its connection and
                                 direction from its record on: the middle of
                                 a long body, or in the compact view a reply,
                                 a message text, lines sent together */
    MS_DIAGRAM_ARROW_ATTEMPT, /* a connection attempt that got no connection */
} MsDiagramArrowKind;

typedef struct {
    MsDiagramArrowKind kind;
    const MsTraceRecord *record; /* ELIDED: the first line left out */
    guint page;
    guint from, to;              /* lifeline indexes */
    MsDiagramFlow flow;
    MsTime send;
    MsTime arrival;              /* arrived, or was lost; -1 when unknown */
    gboolean lost;               /* never arrived: ends in a cross */
    MsTime rst_back;             /* ATTEMPT whose SYN the server's TCP
                                    refused (a closed port): when the RST
                                    got back to the sender; the SYN arrived
                                    at `arrival` and the arrow ends in a
                                    bar.  -1 for every other arrow */
    guint retransmit;
    guint group;                 /* lines sent together on one connection */
    guint elided;                /* ELIDED: how many lines it stands for */
    gboolean compact;            /* ELIDED: a compact view's arrow, not a gap */
    guint rows;                  /* rows of text in its label (1 or more) */
    double x1, y1, x2, y2;       /* from the sender to the tip, in points */
    double label_x, label_y;     /* centre of its label: on the arrow, at
                                    its middle, or moved along it (or, where
                                    nothing else frees it, lower) to keep
                                    clear of another session's arrow or
                                    label or a note */
    const char *text;            /* the whole line, printable (a compact
                                    arrow's parts joined by " | ") */
    const char *label;           /* the same, broken into `rows` rows that
                                    fit between the lifelines, separated by
                                    "\n" (ms_dg_wrap: at spaces, else inside
                                    a word; nothing left out); a refused
                                    attempt's has one more: "RST back at
                                    T ms" */
    const char *tooltip;         /* the whole line and its times */
} MsDiagramArrow;

/* Something that happened on one host: queued, delivered, downloaded. */
typedef struct {
    guint page;
    guint lifeline;
    MsTime time;
    double y;                    /* top of the note */
    const char *text;            /* the whole note, on one row */
    const char *label;           /* the same in `rows` rows that fit its
                                    column, separated by "\n" */
    guint rows;
    const char *tooltip;
} MsDiagramNote;

/* The lines of one protocol phase on one connection. */
typedef struct {
    guint page;
    guint conn;
    guint left, right;           /* lifelines it spans */
    guint lane;                  /* column of its label in the right margin */
    MsDiagramFlow flow;
    double y1, y2;
    const char *label;
} MsDiagramBand;

/* An idle stretch drawn shorter than its time. */
typedef struct {
    guint page;
    MsTime from, to;
    double y1, y2;
    const char *label;
} MsDiagramBreak;

/* Every instant the page places something at; only some are labelled.
 * An arrow that leaves below a note at its instant has a tick of its own
 * lower down; the time is printed on one tick of an instant only. */
typedef struct {
    guint page;
    MsTime time;
    double y;
    const char *label;           /* NULL: not labelled (too close to another,
                                    or `again`) */
    gboolean again;              /* the instant of a labelled tick above it,
                                    again: drawn as a mark, without its time,
                                    that the axis joins to that tick */
} MsDiagramTick;

/* Everything is stored page by page: a page's arrows, notes, bands, breaks
 * and ticks are the ranges [first_x, first_x + n_x) of their lists. */
typedef struct {
    double width, height;
    double lifeline_top;         /* below the host boxes */
    guint first_arrow, n_arrows;
    guint first_note, n_notes;
    guint first_band, n_bands;
    guint first_break, n_breaks;
    guint first_tick, n_ticks;
    MsTime from, to;             /* send times of its first and last arrow */
} MsDiagramPage;

/* What options->max_pages left out: the pages after the last one drawn,
 * counted by the same rule that cuts pages but never laid out.  Arrows are
 * numbered from 0 in the order they would have been drawn. */
typedef struct {
    guint pages;                 /* 0: everything was drawn */
    guint first_arrow, n_arrows;
    MsTime from, to;             /* send times of its first and last arrow */
} MsDiagramUndrawn;

/* Never fails: a trace with nothing to draw gives one page that says so.
 * The trace must outlive the diagram (transfer full). */
MsDiagram *ms_diagram_new(const MsTrace *trace, const MsReportOptions *report,
                          const MsDiagramOptions *options);
void ms_diagram_free(MsDiagram *diagram);

const char *ms_diagram_title(const MsDiagram *diagram);
const char *ms_diagram_lang(const MsDiagram *diagram);
const MsDiagramOptions *ms_diagram_options(const MsDiagram *diagram);
/* The view drawn: COMPACT or FULL, never AUTO. */
MsDiagramView ms_diagram_view(const MsDiagram *diagram);
/* Whether any arrow of this flow is drawn (the legend shows only those). */
gboolean ms_diagram_has_flow(const MsDiagram *diagram, MsDiagramFlow flow);

/* The pages drawn (at most options->max_pages). */
guint ms_diagram_n_pages(const MsDiagram *diagram);
/* What was not drawn; its `pages` is 0 when nothing was left out. */
const MsDiagramUndrawn *ms_diagram_undrawn(const MsDiagram *diagram);
const MsDiagramPage *ms_diagram_page(const MsDiagram *diagram, guint i);
guint ms_diagram_n_lifelines(const MsDiagram *diagram);
const MsDiagramLifeline *ms_diagram_lifeline(const MsDiagram *diagram, guint i);
guint ms_diagram_n_arrows(const MsDiagram *diagram);
const MsDiagramArrow *ms_diagram_arrow(const MsDiagram *diagram, guint i);
guint ms_diagram_n_notes(const MsDiagram *diagram);
const MsDiagramNote *ms_diagram_note(const MsDiagram *diagram, guint i);
guint ms_diagram_n_bands(const MsDiagram *diagram);
const MsDiagramBand *ms_diagram_band(const MsDiagram *diagram, guint i);
guint ms_diagram_n_breaks(const MsDiagram *diagram);
const MsDiagramBreak *ms_diagram_break(const MsDiagram *diagram, guint i);
guint ms_diagram_n_ticks(const MsDiagram *diagram);
const MsDiagramTick *ms_diagram_tick(const MsDiagram *diagram, guint i);
/* For a tick that is its instant again (`again`): the y of the tick above
 * that prints its time, where the axis joins the two with a line; -1 when
 * another printed time lies between them (a stack of arrivals on one
 * lifeline can push an arrow that leaves below a note past later
 * instants), and then the mark stands alone. */
double ms_diagram_tick_joined_y(const MsDiagram *diagram, guint tick);
/* The y of an instant on a page, or -1 when nothing is placed at it. */
double ms_diagram_time_y(const MsDiagram *diagram, guint page, MsTime time);

/* "sequence.svg", or "sequence-2.svg" when the run has several pages,
 * drawn or not (page counts from 0; text formats are never paged).
 * Transfer full. */
char *ms_diagram_file_name(const MsDiagram *diagram, guint page, MsDiagramFormat format);

/* ---- Renderers ----------------------------------------------------------- */

/* A text format (txt, msc, plantuml, mermaid) of the whole diagram, all
 * pages drawn (max_pages cuts it as it cuts the pictures, and its header
 * then says so); NULL for a Graphviz format.  Transfer full. */
char *ms_diagram_export(const MsDiagram *diagram, MsDiagramFormat format);

/* The Graphviz graph of one page, every node and edge pinned, not yet laid
 * out (transfer full: agclose() it).  Edges named "a<N>" are arrow N. */
Agraph_t *ms_diagram_graph(const MsDiagram *diagram, guint page);

/* Lays one page out with `nop2` and renders it in a Graphviz format. */
gboolean ms_diagram_render(const MsDiagram *diagram, guint page, MsDiagramFormat format,
                           const char *path, GError **error);

/* The index of a paged diagram: a line per page with its file name (the
 * first Graphviz format asked for), its arrows and the simulated time it
 * covers, under a line that says how it was paged, and last, when
 * max_pages left pages out, a line that says which were not drawn and how
 * to draw them.  NULL when the diagram has one page and nothing was left
 * out (transfer full). */
char *ms_diagram_page_index(const MsDiagram *diagram);

/* Builds the diagram and writes every requested format into dir, adding
 * each path written to written_paths_out (may be NULL; paths transfer
 * full).  When index_out is not NULL it receives ms_diagram_page_index(). */
gboolean ms_diagram_write(const MsTrace *trace, const MsReportOptions *report,
                          const MsDiagramOptions *options, const char *dir,
                          GPtrArray *written_paths_out, char **index_out, GError **error);

/* Frees the process's Graphviz context (created on first use, also freed
 * at exit).  Safe to call more than once. */
void ms_diagram_shutdown(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsDiagram, ms_diagram_free)

G_END_DECLS
