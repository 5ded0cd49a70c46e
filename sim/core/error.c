/* error.c - the one GError domain of the program.
 *
 * Every recoverable failure, from a scenario typo to an unwritable output
 * file, is reported in MS_ERROR; the code (MsErrorCode) says which layer
 * failed and the message says what the user should fix.
 */
#include "mailsim/core.h"

G_DEFINE_QUARK(mailsim-error-quark, ms_error)
