/* message-private.h - what message.c, mime.c and compose.c share and the
 * rest of the simulator does not need. */
#pragma once

#include "mailsim/message.h"

/* A message with no header fields whose body is the given bytes: what a
 * MIME part that is not even a header section becomes. */
MsMessage *ms_message_new_body_only(const void *data, gsize len);

/* ms_message_fold_field() with another line width: RFC 2047 2 wants lines
 * holding encoded-words at most 76 characters. */
char *ms_message_fold_field_width(const char *name, const char *value, const char *eol,
                                  gsize width);
/* ms_message_add() with that width. */
void ms_message_add_width(MsMessage *msg, const char *name, const char *value, gsize width);
/* Whether a field of a name name_len long and value, folded at width, is
 * "name: value" as it is (one line, nothing to trim); the value's length
 * in *len_out. */
gboolean ms_message_fits_as_is(gsize name_len, const char *value, gsize width,
                               gsize *len_out);

/* The RFC 2045 5.1 token characters: printable ASCII but tspecials. */
gboolean ms_mime_is_token_char(guchar c);
