/* diagram_options.c - what can be asked of a sequence diagram: the formats
 * and their names, the roles and flows it tells apart, filters, pages, and
 * the `mailsim run` options that set them.
 */
#include <math.h>
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* ---- Names ---------------------------------------------------------------- */

#define FORMAT_NAME_(e, name, suffix) name,
static const char *const format_names[] = { MS_DIAGRAM_FORMATS(FORMAT_NAME_) };
#undef FORMAT_NAME_
#define FORMAT_SUFFIX_(e, name, suffix) suffix,
static const char *const format_suffixes[] = { MS_DIAGRAM_FORMATS(FORMAT_SUFFIX_) };
#undef FORMAT_SUFFIX_
#define ROLE_EN_(e, en, zh) en,
static const char *const role_en[] = { MS_DIAGRAM_ROLES(ROLE_EN_) };
#undef ROLE_EN_
#define ROLE_ZH_(e, en, zh) zh,
static const char *const role_zh[] = { MS_DIAGRAM_ROLES(ROLE_ZH_) };
#undef ROLE_ZH_
#define VIEW_NAME_(e, name) name,
static const char *const view_names[] = { MS_DIAGRAM_VIEWS(VIEW_NAME_) };
#undef VIEW_NAME_
#define FLOW_NAME_(e, name) name,
static const char *const flow_names[] = { MS_DIAGRAM_FLOWS(FLOW_NAME_) };
#undef FLOW_NAME_

G_STATIC_ASSERT(G_N_ELEMENTS(format_names) == MS_DIAGRAM_N_FORMATS);
G_STATIC_ASSERT(G_N_ELEMENTS(role_en) == MS_DIAGRAM_N_ROLES);
G_STATIC_ASSERT(G_N_ELEMENTS(flow_names) == MS_DIAGRAM_N_FLOWS);
G_STATIC_ASSERT(G_N_ELEMENTS(view_names) == MS_DIAGRAM_N_VIEWS);
G_STATIC_ASSERT(MS_DIAGRAM_N_FORMATS <= 32);

const char *ms_diagram_format_name(MsDiagramFormat format)
{
    return (guint) format < MS_DIAGRAM_N_FORMATS ? format_names[format] : "unknown";
}

const char *ms_diagram_format_suffix(MsDiagramFormat format)
{
    return (guint) format < MS_DIAGRAM_N_FORMATS ? format_suffixes[format] : "";
}

gboolean ms_diagram_format_is_graphviz(MsDiagramFormat format)
{
    return format == MS_DIAGRAM_SVG || format == MS_DIAGRAM_PNG || format == MS_DIAGRAM_PDF ||
           format == MS_DIAGRAM_DOT;
}

const char *ms_diagram_role_name(MsDiagramRole role, const char *lang)
{
    if ((guint) role >= MS_DIAGRAM_N_ROLES)
        role = MS_DIAGRAM_ROLE_HOST;
    return ms_report_lang_is_zh(lang) ? role_zh[role] : role_en[role];
}

const char *ms_diagram_view_name(MsDiagramView view)
{
    return (guint) view < MS_DIAGRAM_N_VIEWS ? view_names[view] : "unknown";
}

const char *ms_diagram_flow_name(MsDiagramFlow flow)
{
    return (guint) flow < MS_DIAGRAM_N_FLOWS ? flow_names[flow] : "unknown";
}

MsDiagramFlow ms_diagram_flow_of_protocol(const char *protocol)
{
    static const char *const pull[] = { "POP3", "IMAP", "HTTP", "HTTPS" };
    if (protocol == NULL)
        return MS_DIAGRAM_FLOW_OTHER;
    if (g_ascii_strcasecmp(protocol, "SMTP") == 0)
        return MS_DIAGRAM_FLOW_PUSH;
    if (g_ascii_strcasecmp(protocol, "TCP") == 0)
        return MS_DIAGRAM_FLOW_TCP;
    for (gsize i = 0; i < G_N_ELEMENTS(pull); i++) {
        if (g_ascii_strcasecmp(protocol, pull[i]) == 0)
            return MS_DIAGRAM_FLOW_PULL;
    }
    return MS_DIAGRAM_FLOW_OTHER;
}

/* ---- Options ---------------------------------------------------------------- */

void ms_diagram_options_init(MsDiagramOptions *options)
{
    memset(options, 0, sizeof *options);
    options->formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG);
    options->dpi = 96.0;
    options->events = TRUE;
    options->until = MS_TIME_NEVER;
    options->basename = "sequence";
}

gboolean ms_diagram_options_parse_formats(MsDiagramOptions *options, const char *list,
                                          GError **error)
{
    guint formats = 0;
    g_auto(GStrv) names = g_strsplit(list != NULL ? list : "", ",", -1);
    for (char **n = names; *n != NULL; n++) {
        char *name = g_strstrip(*n);
        if (*name == '\0')
            continue;
        guint f = 0;
        while (f < MS_DIAGRAM_N_FORMATS && g_ascii_strcasecmp(name, format_names[f]) != 0)
            f++;
        if (f == MS_DIAGRAM_N_FORMATS) {
            /* format_names has no NULL terminator, so it is joined by count. */
            g_autoptr(GString) valid = g_string_new(NULL);
            for (guint v = 0; v < MS_DIAGRAM_N_FORMATS; v++)
                g_string_append_printf(valid, "%s%s", v > 0 ? ", " : "", format_names[v]);
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "unknown diagram format '%s' (expected a comma-separated list of: %s)",
                        name, valid->str);
            return FALSE;
        }
        formats |= MS_DIAGRAM_FORMAT_BIT(f);
    }
    options->formats = formats;
    return TRUE;
}

gboolean ms_diagram_parse_time(const char *text, MsTime *time_out, GError **error)
{
    static const struct {
        const char *name;
        MsTime unit;
    } units[] = {
        { "ns", MS_NSEC }, { "us", MS_USEC }, { "ms", MS_MSEC }, { "s", MS_SEC },
        { "min", MS_MINUTE }, { "h", MS_HOUR }, { "", MS_MSEC },
    };
    const char *p = text != NULL ? text : "";
    guint64 whole = 0, frac = 0, frac_scale = 1;
    gboolean digits = FALSE;
    while (g_ascii_isdigit(*p)) {
        if (whole > G_MAXINT64 / 10 / MS_HOUR)
            goto bad;
        whole = whole * 10 + (guint64) (*p++ - '0');
        digits = TRUE;
    }
    if (*p == '.') {
        p++;
        while (g_ascii_isdigit(*p)) {
            /* Beyond nine decimals nothing is left at nanosecond precision. */
            if (frac_scale < 1000000000u) {
                frac = frac * 10 + (guint64) (*p - '0');
                frac_scale *= 10;
            }
            p++;
            digits = TRUE;
        }
    }
    while (*p == ' ')
        p++;
    if (!digits)
        goto bad;
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (g_ascii_strcasecmp(p, units[i].name) == 0) {
            MsTime unit = units[i].unit;
            *time_out = (MsTime) whole * unit + (MsTime) (frac * (guint64) unit / frac_scale);
            return TRUE;
        }
    }
bad:
    g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                "'%s' is not a time (examples: 250ms, 2s, 1.5min; a bare number is ms)",
                text != NULL ? text : "");
    return FALSE;
}

/* ---- Small text helpers --------------------------------------------------- */

gboolean ms_dg_is_zh(const MsDiagram *d)
{
    return ms_report_lang_is_zh(d->lang);
}

const char *ms_dg_word(const MsDiagram *d, const char *en, const char *zh)
{
    return ms_dg_is_zh(d) ? zh : en;
}

const char *ms_dg_intern(MsDiagram *d, const char *s)
{
    return g_string_chunk_insert_const(d->strings, s != NULL ? s : "");
}

/* Helvetica's advance widths (its AFM, in 1/1000 em) of printable ASCII,
 * from the space on.  "il" and "mw" differ by a factor of four; a flat
 * 0.62 em made a short note such as "into carol's mailbox (1)" look half
 * again as wide as it is, and wrap a lone "(1)" onto a row of its own. */
static const guint16 helvetica[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, /*  !"#$%&'()*+,-./ */
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, /* 0-9 :;<=>? */
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, /* @A-O */
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, /* P-Z [\]^_ */
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, /* `a-o */
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,      /* p-z {|}~ */
};

/* Erring wide by this much: Graphviz's pango measures and draws
 * "Helvetica" in the sans face fontconfig gives it, on Debian DejaVu Sans,
 * some 16% wider ("leaves the queue (0 left)" at 12.6 pt: 135 pt in
 * Helvetica, 157 pt drawn). */
#define SANS_SLACK 1.2

double ms_dg_text_width(const char *text, double size, gboolean mono)
{
    double w = 0;
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iswide(c))
            w += size;
        else if (mono)
            w += size * 0.602;
        else if (c >= 0x20 && c < 0x7f)
            w += size * helvetica[c - 0x20] / 1000.0 * SANS_SLACK;
        else
            w += size * 0.62;
    }
    return w;
}

char *ms_dg_shorten(const char *text, guint max_chars)
{
    if (max_chars < 2)
        max_chars = 2;
    if ((guint) g_utf8_strlen(text, -1) <= max_chars)
        return g_strdup(text);
    const char *cut = g_utf8_offset_to_pointer(text, max_chars - 1);
    return g_strdup_printf("%.*s\u2026", (int) (cut - text), text);
}

/* Drops characters from the end of the last row until "…" fits in it. */
static void end_with_ellipsis(GString *out, guint row_w, guint max_chars)
{
    while (out->len > 0 && out->str[out->len - 1] != '\n' && (row_w + 1 > max_chars
                                                            || out->str[out->len - 1] == ' ')) {
        const char *prev = g_utf8_find_prev_char(out->str, out->str + out->len);
        row_w -= g_unichar_iswide(g_utf8_get_char(prev)) ? 2 : 1;
        g_string_truncate(out, (gsize) (prev - out->str));
    }
    g_string_append(out, "\u2026");
}

/* The columns of the word that goes on from p, to the next space or
 * line end. */
static guint word_width(const char *p)
{
    guint w = 0;
    for (; *p != '\0' && *p != ' ' && *p != '\n'; p = g_utf8_next_char(p))
        w += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
    return w;
}

char *ms_dg_wrap(const char *text, guint max_chars, guint max_rows, guint *rows_out)
{
    if (max_chars < 2)
        max_chars = 2;
    if (max_rows < 1)
        max_rows = 1;
    GString *out = g_string_sized_new(strlen(text) + 8);
    guint rows = 1, row_w = 0, after_space = 0;
    gssize space = -1; /* the last space of the current row, in out */
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\n') {
            if (rows == max_rows) {
                end_with_ellipsis(out, row_w, max_chars);
                break;
            }
            g_string_append_c(out, '\n');
            rows++;
            row_w = 0;
            space = -1;
            continue;
        }
        guint cw = g_unichar_iswide(c) ? 2 : 1;
        if (row_w + cw > max_chars) {
            if (rows == max_rows) {
                end_with_ellipsis(out, row_w, max_chars);
                break;
            }
            rows++;
            if (c == ' ') {
                /* The space itself becomes the break. */
                g_string_append_c(out, '\n');
                row_w = 0;
                space = -1;
                continue;
            }
            /* A word longer than a row is broken anyway: it begins on this
             * row, as far as it goes (as Python's textwrap does), rather
             * than leave the command before it alone on a row ("MAIL" /
             * "FROM:<walter@waffle" / "s.be>"). */
            if (space >= 0 && (after_space < 4 || word_width(p) + after_space <= max_chars)) {
                out->str[space] = '\n';
                row_w = after_space;
            } else {
                g_string_append_c(out, '\n');
                row_w = 0;
            }
            space = -1;
        }
        /* A row that a wrap started does not begin with a space. */
        if (c == ' ' && row_w == 0 && out->len > 0 && out->str[out->len - 1] == '\n'
            && p > text && p[-1] != '\n')
            continue;
        g_string_append_unichar(out, c);
        row_w += cw;
        if (c == ' ') {
            space = (gssize) out->len - 1;
            after_space = 0;
        } else {
            after_space += cw;
        }
    }
    if (rows_out != NULL)
        *rows_out = rows;
    return g_string_free(out, FALSE);
}

/* ---- `mailsim run` --------------------------------------------------------- */

void ms_diagram_args_entries(MsDiagramArgs *args, GOptionEntry *entries)
{
    /* So that `--dpi 0` is seen, and refused, rather than taken for "not
     * given". */
    args->dpi = MS_DIAGRAM_DPI_UNSET;
    args->page_arrows = MS_DIAGRAM_PAGE_ARROWS_UNSET;
    args->max_pages = MS_DIAGRAM_MAX_PAGES_UNSET;
    const GOptionEntry e[MS_DIAGRAM_N_ARGS] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &args->format,
          "Diagram formats, comma-separated: svg, png, pdf, dot, txt, msc, plantuml, mermaid "
          "(default: svg)", "LIST" },
        { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &args->dpi,
          "Resolution of the PNG diagram (default: 96)", "N" },
        { "filter-protocol", 0, 0, G_OPTION_ARG_STRING, &args->protocols,
          "Draw only these protocols, e.g. SMTP,POP3", "LIST" },
        { "filter-host", 0, 0, G_OPTION_ARG_STRING, &args->hosts,
          "Draw only these hosts: one host, all it takes part in; several, what passes "
          "between them", "LIST" },
        { "from", 0, 0, G_OPTION_ARG_STRING, &args->from,
          "Draw only what was sent at or after TIME (e.g. 5s, 250ms)", "TIME" },
        { "until", 0, 0, G_OPTION_ARG_STRING, &args->until,
          "Draw only what was sent before TIME", "TIME" },
        { "page-arrows", 0, 0, G_OPTION_ARG_INT, &args->page_arrows,
          "At most N arrows a diagram page (sequence-1.svg, sequence-2.svg, ...; "
          "default 2000, 0: one page)", "N" },
        { "max-pages", 0, 0, G_OPTION_ARG_INT, &args->max_pages,
          "Draw at most N diagram pages, the run's first (default 5 when paged by default, "
          "else all; 0: all); the index printed says what was not drawn", "N" },
        { "page-time", 0, 0, G_OPTION_ARG_STRING, &args->page_time,
          "At most TIME of simulated time a diagram page", "TIME" },
        { "view", 0, 0, G_OPTION_ARG_STRING, &args->view,
          "compact: an arrow per command, reply and message text; full: an arrow per line "
          "(default: compact over 60 arrows, else full)", "VIEW" },
        { "slide", 0, 0, G_OPTION_ARG_NONE, &args->slide,
          "Diagram pages for slides: 16:9, large type, compact, at most 20 arrows a page "
          "(PNG 1920x1080)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    memcpy(entries, e, sizeof e);
}

static gboolean arg_time(const char *option, const char *text, MsTime *out, GError **error)
{
    g_autoptr(GError) why = NULL;
    if (text == NULL)
        return TRUE;
    if (!ms_diagram_parse_time(text, out, &why)) {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE, "--%s: %s", option, why->message);
        return FALSE;
    }
    return TRUE;
}

/* The protocols a run's trace can hold.  A name not among them (a typo,
 * "SMPT") would draw an empty page without a word, so it is refused. */
static gboolean check_protocols(const char *list, GError **error)
{
    static const char *const known[] = { "SMTP", "POP3", "IMAP", "HTTP", "TCP" };
    if (list == NULL)
        return TRUE;
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    for (char **n = names; *n != NULL; n++) {
        const char *name = g_strstrip(*n);
        gsize k = 0;
        while (k < G_N_ELEMENTS(known) && g_ascii_strcasecmp(name, known[k]) != 0)
            k++;
        if (*name != '\0' && k == G_N_ELEMENTS(known)) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "--filter-protocol: unknown protocol '%s' (expected a comma-separated "
                        "list of: SMTP, POP3, IMAP, HTTP, TCP)", name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean ms_diagram_args_to_options(const MsDiagramArgs *args, MsDiagramOptions *options,
                                    GError **error)
{
    ms_diagram_options_init(options);
    if (args->format != NULL) {
        g_autoptr(GError) why = NULL;
        if (!ms_diagram_options_parse_formats(options, args->format, &why)) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE, "--format: %s", why->message);
            return FALSE;
        }
    }
    if (args->dpi != MS_DIAGRAM_DPI_UNSET) {
        /* Below 10 nothing is legible; above 1200 a page is hundreds of MB
         * (written so that NaN is refused too). */
        if (!(args->dpi >= 10 && args->dpi <= 1200)) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "--dpi expects a resolution from 10 to 1200, found %g", args->dpi);
            return FALSE;
        }
        options->dpi = args->dpi;
    }
    if (args->page_arrows == MS_DIAGRAM_PAGE_ARROWS_UNSET) {
        /* Paged by default only when no other paging was asked for: --slide
         * has its own limit, and --page-time alone is a complete answer.
         * Only then are the pages drawn limited too: who asked for pages
         * asked for all of them. */
        if (!args->slide && args->page_time == NULL) {
            options->page_arrows = MS_DIAGRAM_PAGE_ARROWS_DEFAULT;
            options->max_pages = MS_DIAGRAM_MAX_PAGES_DEFAULT;
        }
    } else if (args->page_arrows < 0) {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                    "--page-arrows expects a number of arrows (0: one page), found %d",
                    args->page_arrows);
        return FALSE;
    } else {
        options->page_arrows = (guint) args->page_arrows;
    }
    if (args->max_pages != MS_DIAGRAM_MAX_PAGES_UNSET) {
        if (args->max_pages < 0) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "--max-pages expects a number of pages (0: all), found %d",
                        args->max_pages);
            return FALSE;
        }
        options->max_pages = (guint) args->max_pages;
    }
    if (args->view != NULL) {
        guint v = MS_DIAGRAM_VIEW_COMPACT;
        while (v < MS_DIAGRAM_N_VIEWS && g_ascii_strcasecmp(args->view, view_names[v]) != 0)
            v++;
        if (v == MS_DIAGRAM_N_VIEWS) {
            g_set_error(error, MS_ERROR, MS_ERROR_USAGE,
                        "--view expects compact or full, found '%s'", args->view);
            return FALSE;
        }
        options->view = (MsDiagramView) v;
    }
    options->slide = args->slide;
    if (!check_protocols(args->protocols, error))
        return FALSE;
    options->protocols = args->protocols;
    options->hosts = args->hosts;
    if (!arg_time("from", args->from, &options->from, error) ||
        !arg_time("until", args->until, &options->until, error) ||
        !arg_time("page-time", args->page_time, &options->page_time, error))
        return FALSE;
    if (options->from >= options->until) {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE, "--from must come before --until");
        return FALSE;
    }
    return TRUE;
}

void ms_diagram_args_clear(MsDiagramArgs *args)
{
    g_free(args->format);
    g_free(args->protocols);
    g_free(args->hosts);
    g_free(args->from);
    g_free(args->until);
    g_free(args->page_time);
    g_free(args->view);
    memset(args, 0, sizeof *args);
}

/* Every coordinate of a page passes through here, thousands a page, and
 * printf() spends most of its time on the exact decimal expansion of the
 * double.  The value scaled and rounded to an integer is the same digits
 * whenever the rounding is known to be exact: fma() gives the residual of
 * the scaled value to the integer picked, and only a residual short of a
 * half proves the pick right; ties, near-ties and huge values go to
 * g_ascii_formatd() itself, so the text is always printf()'s. */
char *ms_dg_fixed(char *buf, double v, guint decimals)
{
    static const double scales[] = { 1.0, 10.0, 100.0, 1000.0, 10000.0 };
    g_return_val_if_fail(decimals < G_N_ELEMENTS(scales), NULL);
    double scale = scales[decimals];
    if (fabs(v) < 1e9) {
        double n = nearbyint(v * scale);
        if (fabs(fma(v, scale, -n)) < 0.5) {
            guint64 u = (guint64) fabs(n), unit = (guint64) scale;
            char *p = buf;
            if (signbit(v))
                *p++ = '-';
            char digits[24];
            guint len = 0;
            for (guint64 whole = u / unit; len == 0 || whole > 0; whole /= 10)
                digits[len++] = (char) ('0' + whole % 10);
            while (len > 0)
                *p++ = digits[--len];
            if (decimals > 0) {
                guint64 frac = u % unit;
                *p++ = '.';
                for (guint k = decimals; k-- > 0; frac /= 10)
                    p[k] = (char) ('0' + frac % 10);
                p += decimals;
            }
            *p = '\0';
            return buf;
        }
    }
    char format[8];
    g_snprintf(format, sizeof format, "%%.%uf", decimals);
    return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, format, v);
}
