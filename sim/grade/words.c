/* words.c - the grader's own words in the student's language.
 *
 * The feedback an author writes comes from the exercise (en and zh); what
 * the grader adds (what it found, the report's headings) is English text
 * marked N_() and translated through the reports' gettext catalogue
 * (po/zh_CN.po), so one catalogue and one test cover every word.
 */
#include <stdarg.h>

#include "grade/grade-private.h"
#include "report/report-private.h"

const char *ms_grade_tr(const char *lang, const char *msgid)
{
    return ms_report_tr(lang, msgid);
}

char *ms_grade_fmt(const char *lang, const char *msgid, ...)
{
    const char *args[9] = { NULL };
    guint n = 0;
    va_list ap;
    va_start(ap, msgid);
    for (const char *a = va_arg(ap, const char *); a != NULL && n < G_N_ELEMENTS(args);
         a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    return ms_report_format_args(lang, msgid, args, n);
}
