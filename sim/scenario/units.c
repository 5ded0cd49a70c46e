/* units.c - the values a scenario writes: durations, rates, loss, seeds,
 * host names and addresses.
 *
 * Durations and rates are converted exactly: "1.5s" is read as the decimal
 * digits 1 and 5 and scaled with integer arithmetic, so it becomes exactly
 * 1500000000 ns, never 1499999999 through a binary fraction.  A value finer
 * than the unit the simulator counts in (1 ns, 1 bit/s) is an error rather
 * than a silent rounding.
 */
#include "scenario-private.h"

#include <string.h>

/* The longest fraction we read.  A fraction of more significant digits can
 * never scale to a whole number of ns or bit/s: the largest unit, the day,
 * is 2^16 * 5^11 * 27 ns, so it absorbs at most 16 decimal places. */
#define MAX_FRACTION_DIGITS 18

typedef struct {
    guint64 whole;
    guint64 frac;       /* the fraction's digits as an integer, no trailing zeros */
    guint frac_digits;  /* how many digits frac stands for */
    gboolean overflow;  /* whole part beyond 2^64 - 1 */
    gboolean too_fine;  /* more fraction digits than we can ever scale */
} Decimal;

/* Reads DIGIT+ ["." DIGIT+] at the start of text; returns the bytes read,
 * 0 when text does not start with a number. */
static gsize read_decimal(const char *text, Decimal *d)
{
    memset(d, 0, sizeof *d);
    gsize i = 0;
    while (g_ascii_isdigit(text[i])) {
        guint64 digit = (guint64) (text[i] - '0');
        if (!g_uint64_checked_mul(&d->whole, d->whole, 10)
            || !g_uint64_checked_add(&d->whole, d->whole, digit))
            d->overflow = TRUE;
        i++;
    }
    if (i == 0)
        return 0;
    if (text[i] != '.')
        return i;
    gsize start = ++i;
    while (g_ascii_isdigit(text[i]))
        i++;
    if (i == start)
        return 0; /* "1." is not a number here */
    gsize end = i;
    while (end > start && text[end - 1] == '0')
        end--;
    if (end - start > MAX_FRACTION_DIGITS) {
        d->too_fine = TRUE;
        return i;
    }
    for (gsize k = start; k < end; k++)
        d->frac = d->frac * 10 + (guint64) (text[k] - '0');
    d->frac_digits = (guint) (end - start);
    return i;
}

static guint64 gcd(guint64 a, guint64 b)
{
    while (b != 0) {
        guint64 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

typedef enum { SCALE_OK, SCALE_TOO_FINE, SCALE_OVERFLOW } ScaleResult;

/* value = (whole + frac / 10^n) * unit, exactly, or why not. */
static ScaleResult scale(const Decimal *d, guint64 unit, guint64 *out)
{
    if (d->too_fine)
        return SCALE_TOO_FINE;
    guint64 pow10 = 1;
    for (guint k = 0; k < d->frac_digits; k++)
        pow10 *= 10;
    /* frac * unit / 10^n is whole exactly when 10^n / gcd(unit, 10^n)
     * divides frac. */
    guint64 g = gcd(unit, pow10);
    guint64 den = pow10 / g;
    if (d->frac % den != 0)
        return SCALE_TOO_FINE;
    if (d->overflow)
        return SCALE_OVERFLOW;
    guint64 part = 0;
    guint64 whole = 0;
    if (!g_uint64_checked_mul(&part, d->frac / den, unit / g)
        || !g_uint64_checked_mul(&whole, d->whole, unit)
        || !g_uint64_checked_add(out, whole, part))
        return SCALE_OVERFLOW;
    return SCALE_OK;
}

typedef struct {
    const char *name;
    guint64 factor;
} Unit;

static const Unit time_units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "\xC2\xB5s", 1000 }, /* MICRO SIGN */
    { "\xCE\xBCs", 1000 }, /* GREEK SMALL LETTER MU */
    { "ms", 1000000 },
    { "s", 1000000000 },
    { "min", 60ull * 1000000000 },
    { "h", 3600ull * 1000000000 },
    { "d", 86400ull * 1000000000 },
    { NULL, 0 },
};

/* SI prefixes (powers of 10, as line rates are quoted); case does not
 * matter, since no rate unit is ever milli-. */
static const Unit rate_units[] = {
    { "bit", 1 },           { "bps", 1 },
    { "kbit", 1000 },       { "kbps", 1000 },
    { "Mbit", 1000000 },    { "Mbps", 1000000 },
    { "Gbit", 1000000000 }, { "Gbps", 1000000000 },
    { NULL, 0 },
};

static const Unit *find_unit(const Unit *units, const char *name, gboolean any_case)
{
    for (const Unit *u = units; u->name != NULL; u++) {
        if (any_case ? g_ascii_strcasecmp(u->name, name) == 0 : strcmp(u->name, name) == 0)
            return u;
    }
    return NULL;
}

/* Units written for time that the language does not have, and the one
 * meant.  There is no 'm': it would be minutes to some and a slip for
 * 'ms' to others, and "latency 40m" must not quietly mean 40 minutes. */
static const struct {
    const char *written;
    const char *meant;
} time_slips[] = {
    { "sec", "s" },   { "secs", "s" },      { "second", "s" }, { "seconds", "s" },
    { "mins", "min" }, { "minute", "min" }, { "minutes", "min" }, { "hr", "h" },
    { "hrs", "h" },   { "hour", "h" },      { "hours", "h" },  { "day", "d" },
    { "days", "d" },  { "msec", "ms" },     { "msecs", "ms" }, { "usec", "us" },
    { "nsec", "ns" },
};

/* "; did you mean '40min'?" for a number with a unit written another way
 * (text + n is the unit), or "" (transfer full). */
static char *duration_hint(const char *text, gsize n)
{
    const char *written = text + n;
    if (n > 24 || *written == '\0')
        return g_strdup(""); /* (a number no one means; no unit at all) */
    g_autofree char *number = g_strndup(text, n);
    if (g_ascii_strcasecmp(written, "m") == 0)
        return g_strdup_printf("; did you mean '%smin' (minutes) or '%sms' (milliseconds)?",
                               number, number);
    const char *meant = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(time_slips) && meant == NULL; i++) {
        if (g_ascii_strcasecmp(written, time_slips[i].written) == 0)
            meant = time_slips[i].meant;
    }
    const Unit *any_case = find_unit(time_units, written, TRUE);
    if (meant == NULL && any_case != NULL)
        meant = any_case->name;
    return meant != NULL ? g_strdup_printf("; did you mean '%s%s'?", number, meant)
                         : g_strdup("");
}

gboolean ms_sc_parse_duration(const char *text, MsTime *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    const Unit *unit = n > 0 ? find_unit(time_units, text + n, FALSE) : NULL;
    if (unit == NULL) {
        g_autofree char *hint = n > 0 ? duration_hint(text, n) : g_strdup("");
        *why_out = g_strdup_printf("expected a duration such as 40ms or 2s, found '%s' "
                                   "(units: ns, us, ms, s, min, h, d)%s", shown, hint);
        return FALSE;
    }
    guint64 ns = 0;
    ScaleResult r = scale(&d, unit->factor, &ns);
    if (r == SCALE_TOO_FINE) {
        *why_out = g_strdup_printf("duration '%s' is finer than 1 ns, the simulator's "
                                   "smallest step", shown);
        return FALSE;
    }
    if (r == SCALE_OVERFLOW || ns > (guint64) G_MAXINT64) {
        *why_out = g_strdup_printf("duration '%s' is too long: the longest is "
                                   "106751d (about 292 years)", shown);
        return FALSE;
    }
    *out = (MsTime) ns;
    return TRUE;
}

gboolean ms_sc_parse_rate(const char *text, guint64 *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    const Unit *unit = n > 0 ? find_unit(rate_units, text + n, TRUE) : NULL;
    if (unit == NULL) {
        *why_out = g_strdup_printf("expected a rate such as 10Mbit or 512kbit, found '%s' "
                                   "(units: bit, kbit, Mbit, Gbit, or bps, kbps, Mbps, "
                                   "Gbps)", shown);
        return FALSE;
    }
    guint64 bits = 0;
    ScaleResult r = scale(&d, unit->factor, &bits);
    if (r == SCALE_TOO_FINE) {
        *why_out = g_strdup_printf("rate '%s' is finer than 1 bit/s", shown);
        return FALSE;
    }
    if (r == SCALE_OVERFLOW) {
        *why_out = g_strdup_printf("rate '%s' is too large", shown);
        return FALSE;
    }
    if (bits == 0) {
        *why_out = g_strdup_printf("rate '%s' would never deliver a bit: expected more "
                                   "than 0", shown);
        return FALSE;
    }
    *out = bits;
    return TRUE;
}

gboolean ms_sc_parse_loss(const char *text, double *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    gboolean percent = n > 0 && text[n] == '%' && text[n + 1] == '\0';
    if (n == 0 || (text[n] != '\0' && !percent)) {
        *why_out = g_strdup_printf("expected a loss such as 1%% or 0.01, found '%s'", shown);
        return FALSE;
    }
    g_autofree char *number = g_strndup(text, n);
    double p = g_ascii_strtod(number, NULL);
    if (percent)
        p /= 100.0;
    if (p > 1.0) {
        *why_out = g_strdup_printf("loss '%s' is more than 100%%: expected a "
                                   "probability from 0 to 1 or 0%% to 100%%", shown);
        return FALSE;
    }
    *out = p;
    return TRUE;
}

gboolean ms_sc_parse_seed(const char *text, guint64 *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    if (n == 0 || text[n] != '\0' || strchr(text, '.') != NULL) {
        *why_out = g_strdup_printf("expected a seed, a whole number such as 1 or 42, "
                                   "found '%s'", shown);
        return FALSE;
    }
    if (d.overflow) {
        *why_out = g_strdup_printf("seed '%s' is too large: the largest is %" G_GUINT64_FORMAT,
                                   shown, G_MAXUINT64);
        return FALSE;
    }
    *out = d.whole;
    return TRUE;
}

gboolean ms_sc_parse_whole(const char *text, guint64 min, guint64 max, const char *what,
                           guint64 *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    if (n == 0 || text[n] != '\0' || strchr(text, '.') != NULL) {
        *why_out = g_strdup_printf("expected %s, found '%s'", what, shown);
        return FALSE;
    }
    if (d.overflow || d.whole < min || d.whole > max) {
        *why_out = g_strdup_printf("'%s' is out of range: expected %s", shown, what);
        return FALSE;
    }
    *out = d.whole;
    return TRUE;
}

/* Byte units: SI prefixes are powers of 10 (IEC 80000-13), the binary
 * ones powers of 2; "KB" is accepted for kB since mail servers write it. */
static const Unit size_units[] = {
    { "", 1 },
    { "B", 1 },
    { "kB", 1000 },
    { "KB", 1000 },
    { "MB", 1000000 },
    { "GB", 1000000000 },
    { "KiB", 1024 },
    { "MiB", 1024 * 1024 },
    { "GiB", 1024 * 1024 * 1024 },
    { NULL, 0 },
};

gboolean ms_sc_parse_size(const char *text, guint64 *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    Decimal d;
    gsize n = read_decimal(text, &d);
    const Unit *unit = n > 0 ? find_unit(size_units, text + n, FALSE) : NULL;
    if (unit == NULL) {
        *why_out = g_strdup_printf("expected a size in bytes such as 10MB or 64KiB, found "
                                   "'%s' (units: B, kB, MB, GB, KiB, MiB, GiB)%s", shown,
                                   strstr(text, "bit") != NULL ? "; sizes count bytes, "
                                                                 "not bits"
                                                               : "");
        return FALSE;
    }
    guint64 bytes = 0;
    ScaleResult r = scale(&d, unit->factor, &bytes);
    if (r == SCALE_TOO_FINE) {
        *why_out = g_strdup_printf("size '%s' is not a whole number of bytes", shown);
        return FALSE;
    }
    if (r == SCALE_OVERFLOW) {
        *why_out = g_strdup_printf("size '%s' is too large", shown);
        return FALSE;
    }
    *out = bytes;
    return TRUE;
}

/* Reads exactly n digits at *p into *out; advances *p. */
static gboolean read_digits(const char **p, guint n, guint *out)
{
    guint v = 0;
    for (guint i = 0; i < n; i++) {
        if (!g_ascii_isdigit((*p)[i]))
            return FALSE;
        v = v * 10 + (guint) ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return TRUE;
}

/* Skips the byte c at *p, if it is there. */
static gboolean skip_char(const char **p, char c)
{
    if (**p != c)
        return FALSE;
    (*p)++;
    return TRUE;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (the "days from civil" algorithm: years start in March, so the leap day
 * is the last day of its year). */
static gint64 days_from_civil(gint64 y, guint m, guint d)
{
    y -= m <= 2;
    gint64 era = (y >= 0 ? y : y - 399) / 400;
    gint64 yoe = y - era * 400;
    gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static guint days_in_month(guint y, guint m)
{
    static const guint days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

gboolean ms_sc_parse_date(const char *text, gint64 *out, char **why_out)
{
    g_autofree char *shown = ms_sc_quote(text);
    const char *p = text;
    guint y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    gboolean ok = read_digits(&p, 4, &y) && skip_char(&p, '-') && read_digits(&p, 2, &mo)
                  && skip_char(&p, '-') && read_digits(&p, 2, &d);
    /* The time of day is optional; ISO 8601's 'T' may stand for the space. */
    if (ok && (*p == ' ' || *p == 'T') && g_ascii_isdigit(p[1])) {
        p++;
        ok = read_digits(&p, 2, &h) && skip_char(&p, ':') && read_digits(&p, 2, &mi);
        if (ok && *p == ':')
            ok = skip_char(&p, ':') && read_digits(&p, 2, &s);
    }
    if (ok && strcmp(p, " UTC") != 0 && strcmp(p, "Z") != 0 && *p != '\0')
        ok = FALSE;
    if (!ok) {
        *why_out = g_strdup_printf("expected a date and time in UTC such as "
                                   "\"2023-03-23 12:00\" (YYYY-MM-DD HH:MM[:SS]), found '%s'",
                                   shown);
        return FALSE;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23
        || mi > 59 || s > 59) {
        *why_out = g_strdup_printf("'%s' is not a valid date and time from 1970 on "
                                   "(month 01-12, day within the month, hour 00-23, "
                                   "minute and second 00-59)", shown);
        return FALSE;
    }
    *out = days_from_civil(y, mo, d) * 86400 + (gint64) h * 3600 + (gint64) mi * 60 + s;
    return TRUE;
}

/* RFC 1123 2.1 / RFC 1035 2.3.4: labels of letters, digits and hyphens,
 * at most 63 bytes each, joined by dots, at most 253 bytes in all.  We also
 * allow '_' (common in lab host names) and demand an alphanumeric first
 * byte so a name never looks like an option or a number's sign. */
gboolean ms_sc_is_host_name(const char *text)
{
    gsize len = strlen(text);
    if (len == 0 || len > 253 || !g_ascii_isalnum(text[0]))
        return FALSE;
    gsize label = 0;
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (c == '.') {
            if (label == 0)
                return FALSE;
            label = 0;
            continue;
        }
        if (!g_ascii_isalnum(c) && c != '-' && c != '_')
            return FALSE;
        label++;
        if (label > 63)
            return FALSE;
    }
    return label > 0;
}

/* RFC 5322 3.2.3: atext, the characters of a dot-atom. */
static gboolean is_atext(char c)
{
    return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 3.4.1: addr-spec = local-part "@" domain, with the local part
 * a dot-atom (no leading, trailing or doubled dot) and the domain a host
 * name; RFC 5321 4.5.3.1.1 limits the local part to 64 octets. */
gboolean ms_sc_is_address(const char *text)
{
    const char *at = strchr(text, '@');
    if (at == NULL || at == text || at - text > 64)
        return FALSE;
    gboolean after_dot = TRUE; /* a leading dot is as bad as a doubled one */
    for (const char *p = text; p < at; p++) {
        if (*p == '.') {
            if (after_dot)
                return FALSE;
            after_dot = TRUE;
        } else if (is_atext(*p)) {
            after_dot = FALSE;
        } else {
            return FALSE;
        }
    }
    if (after_dot)
        return FALSE;
    return ms_sc_is_host_name(at + 1);
}

const char *ms_sc_address_domain(const char *address)
{
    const char *at = strrchr(address, '@');
    return at != NULL ? at + 1 : address + strlen(address);
}

guint ms_sc_edit_distance(const char *a, const char *b)
{
    gsize la = strlen(a);
    gsize lb = strlen(b);
    /* Only short words are compared (keywords); long input is never a typo
     * of one, and a fixed bound keeps this cheap on a hostile file. */
    if (la > 64 || lb > 64)
        return G_MAXUINT;
    guint d[65][65];
    for (gsize i = 0; i <= la; i++)
        d[i][0] = (guint) i;
    for (gsize j = 0; j <= lb; j++)
        d[0][j] = (guint) j;
    for (gsize i = 1; i <= la; i++) {
        for (gsize j = 1; j <= lb; j++) {
            guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            guint best = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            best = MIN(best, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 2])
                && g_ascii_tolower(a[i - 2]) == g_ascii_tolower(b[j - 1]))
                best = MIN(best, d[i - 2][j - 2] + 1); /* transposition */
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *ms_sc_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    guint best_d = G_MAXUINT;
    for (const char *const *c = candidates; *c != NULL; c++) {
        guint d = ms_sc_edit_distance(word, *c);
        if (d < best_d) {
            best_d = d;
            best = *c;
        }
    }
    /* Close enough to be a slip of the keyboard: at most two edits, and
     * at most half the candidate changed ("a" -> "at", not "x" -> "at"). */
    if (best == NULL || best_d > 2 || best_d * 2 > strlen(best))
        return NULL;
    return best;
}
