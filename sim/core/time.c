/* time.c - simulated time as people read it.
 *
 * Two forms: a fixed one for transcripts and tables, milliseconds with three
 * decimals (microseconds), which lines up in columns and sorts like the
 * times it stands for; and a short one for prose and summaries ("40 ms",
 * "1.5 s") that picks the largest unit the value fills.
 */
#include "mailsim/core.h"

#include <string.h>

/* Magnitude of t as unsigned, defined even for G_MININT64. */
static guint64 magnitude(MsTime t)
{
    return t < 0 ? (guint64) 0 - (guint64) t : (guint64) t;
}

/* Microseconds are truncated, not rounded: an event at 42.0008 ms has not
 * yet reached 42.001 ms, and a transcript should never show a line earlier
 * than the one that caused it. */
gsize ms_time_format_ms_buf(MsTime t, char buf[MS_TIME_FORMAT_MS_SIZE])
{
    /* Digits written by hand, from the right: the transcripts and the
     * summary format a time for nearly every line they write, and going
     * through printf was a fifth of the summary's time. */
    guint64 us = magnitude(t) / (guint64) MS_USEC;
    char digits[MS_TIME_FORMAT_MS_SIZE];
    char *end = digits + sizeof digits;
    char *p = end;
    guint frac = (guint) (us % 1000u);
    for (int i = 0; i < 3; i++, frac /= 10u)
        *--p = (char) ('0' + frac % 10u);
    *--p = '.';
    guint64 whole = us / 1000u;
    do {
        *--p = (char) ('0' + whole % 10u);
        whole /= 10u;
    } while (whole > 0);
    if (t < 0)
        *--p = '-';
    gsize len = (gsize) (end - p);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return len;
}

char *ms_time_format_ms(MsTime t)
{
    char buf[MS_TIME_FORMAT_MS_SIZE];
    gsize len = ms_time_format_ms_buf(t, buf);
    return g_strndup(buf, len);
}

typedef struct {
    guint64 ns;
    const char *name;
} TimeUnit;

/* Largest first. */
static const TimeUnit units[] = {
    { (guint64) MS_DAY, "d" },    { (guint64) MS_HOUR, "h" },
    { (guint64) MS_MINUTE, "min" }, { (guint64) MS_SEC, "s" },
    { (guint64) MS_MSEC, "ms" },  { (guint64) MS_USEC, "µs" },
};

/* One decimal at most, and none when it is zero: "1.5 s", "2 h".  The unit
 * is the largest in which the value, rounded to a tenth, is at least 1, so
 * 999.96 ms reads "1 s" rather than "1000 ms". */
char *ms_time_format_human(MsTime t)
{
    if (t == MS_TIME_NEVER)
        return g_strdup("never");
    /* Nothing to scale: "0 s" reads better than "0 ns". */
    if (t == 0)
        return g_strdup("0 s");
    const char *sign = t < 0 ? "-" : "";
    guint64 m = magnitude(t);
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        guint64 tenth = units[i].ns / 10u;
        /* Half a tenth up, so 1.25 s shows as 1.3 s. */
        guint64 tenths = m / tenth + (m % tenth >= tenth / 2u ? 1u : 0u);
        if (tenths < 10u)
            continue;
        if (tenths % 10u == 0)
            return g_strdup_printf("%s%" G_GUINT64_FORMAT " %s", sign, tenths / 10u, units[i].name);
        return g_strdup_printf("%s%" G_GUINT64_FORMAT ".%u %s", sign, tenths / 10u,
                               (guint) (tenths % 10u), units[i].name);
    }
    return g_strdup_printf("%s%" G_GUINT64_FORMAT " ns", sign, m);
}

MsTime ms_time_add(MsTime t, MsTime d)
{
    if (t == MS_TIME_NEVER || d == MS_TIME_NEVER)
        return MS_TIME_NEVER;
    if (d > 0 && t > MS_TIME_NEVER - d)
        return MS_TIME_NEVER;
    if (d < 0 && t < G_MININT64 - d)
        return G_MININT64;
    return t + d;
}

MsTime ms_time_mul(MsTime t, guint64 n)
{
    g_return_val_if_fail(t >= 0, 0);
    if (t == 0 || n == 0)
        return 0;
    if (n > (guint64) (MS_TIME_NEVER / t))
        return MS_TIME_NEVER;
    return t * (MsTime) n;
}
