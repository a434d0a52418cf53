/* One-line logs on stderr: `ts=… level=… comp=… msg="…" key=value …`.
 * The level check happens before any formatting. */
#ifndef DAS_LOG_H
#define DAS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Component name shown in each line (kept by pointer: pass a literal). */
void log_setup(const char *component, enum log_level level);
/* Parses debug|info|warn|error; -1 when unknown. */
int log_level_parse(const char *s);
bool log_enabled(enum log_level level);

/* Writes one line: ts, level, comp, then msg="<msg>" and the formatted
 * key=value fields (fmt may be NULL). msg is escaped; fields are written as
 * given: escape untrusted values with log_quote(). */
void log_msg(enum log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...)                                                    \
    do {                                                                       \
        if (log_enabled(LOG_DEBUG))                                            \
            log_msg(LOG_DEBUG, msg, __VA_ARGS__);                              \
    } while (0)
#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)

/* Writes s into out as a double-quoted string with quotes, backslashes and
 * control / non-printable bytes escaped (tmux stravis); truncated to fit.
 * C1 controls and the bidirectional formatting characters
 * (log_invisible_len) are written \uXXXX: a log viewer shows them, never
 * obeys them. Returns out. */
char *log_quote(const char *s, char *out, size_t outlen);
/* The two ways das quotes outside text: LOG_QUOTE_LOG is log_quote's
 * (UTF-8 kept readable in logs, but for the characters above);
 * LOG_QUOTE_VALUE is for a value an
 * operator typed, shown in an error: tabs as \t, non-ASCII bytes escaped
 * too (\xc3: a look-alike character is seen), a value too long for out
 * ending in `..."`, and NULL written NULL (unquoted). */
enum log_quote_style { LOG_QUOTE_LOG, LOG_QUOTE_VALUE };
char *log_quote_as(const char *s, char *out, size_t outlen,
                   enum log_quote_style style);
/* log_quote_as of the first len bytes of s (up to a NUL), at most max of
 * them: a longer text ends in `..."` (LOG_QUOTE_VALUE) or is cut. For text
 * that is not NUL-terminated, a line of a file. */
char *log_quote_span(const char *s, size_t len, size_t max, char *out,
                     size_t outlen, enum log_quote_style style);

/* The UTF-8 characters that change what a terminal or a log viewer shows
 * without being seen (what a forged reason or label could carry): the C1
 * controls U+0080..U+009F and the bidirectional formatting characters
 * U+061C, U+200E, U+200F, U+202A..U+202E and U+2066..U+2069. The length
 * of such a character's sequence at s (reading at most n bytes), 0 for
 * anything else; *cp (may be NULL) gets its code point. */
size_t log_invisible_len(const char *s, size_t n, unsigned *cp);

/* Replaces control bytes (newline included) and the characters of
 * log_invisible_len (each byte of one) in s with '?', in place, so text
 * from outside (a parser's error that quotes its input) stays one line in
 * a message. Returns s. */
char *log_oneline(char *s);
/* Copies s (NULL: "") for a terminal or a one-line message, control bytes
 * shown as \n, \t or \xNN and the characters of log_invisible_len as
 * \uXXXX (so they can be read, not obeyed); cut at a whole escape when
 * outlen is short. Each byte takes at most 4 bytes of out. */
void log_copy_printable(char *out, size_t outlen, const char *s);
/* Copies at most len bytes of untrusted s (up to a NUL) into out, bounded
 * by outlen, control bytes and each character of log_invisible_len written
 * as '?' (a server's text in a message). */
void log_copy_oneline(char *out, size_t outlen, const char *s, size_t len);

/* A failure that repeats every interval is reported when it starts, when
 * its text changes and when it ends (collectd c_complain). */
struct complaint {
    bool active;
    unsigned long count;
    char last[256];
};
/* Returns true when this failure should be logged now (first time or the
 * text changed); counts repeats. */
bool complain(struct complaint *c, const char *text);
/* Returns true when a failure was active (log the recovery); resets it. */
bool complain_release(struct complaint *c);

#endif
