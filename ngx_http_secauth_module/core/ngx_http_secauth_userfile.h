
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_USERFILE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_USERFILE_H_INCLUDED_


/*
 * The user file's lines ("name:hash", docs/login.md) and user names, on
 * bytes alone: no nginx header, so that t/unit/userfile_test.c and
 * t/fuzz/fuzz_userfile.c link the code ngx_http_secauth_users.c runs.
 * Inputs are byte ranges (no NUL needed, NUL is just a byte); nothing is
 * allocated.
 */


#include <stddef.h>


/* the longest user name, in bytes */
#define NGX_HTTP_SECAUTH_USERFILE_NAME_MAX  64

#define NGX_HTTP_SECAUTH_USERFILE_SKIP      0
#define NGX_HTTP_SECAUTH_USERFILE_ENTRY     1
#define NGX_HTTP_SECAUTH_USERFILE_NO_COLON  -1

#define NGX_HTTP_SECAUTH_USERNAME_OK        0
#define NGX_HTTP_SECAUTH_USERNAME_INVALID   -1
#define NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8  -2


/*
 * One line of the file, the len bytes at line without its "\n": a "\r"
 * at its end and spaces and tabs at its start are dropped; then an
 * empty line or one starting with "#" is _SKIP; one without ":" is
 * _NO_COLON; else _ENTRY, and *name, *name_len are what comes before the
 * first ":", *hash, *hash_len what comes after it (both inside line,
 * either may be empty). Nothing is written unless _ENTRY is returned.
 */
int ngx_http_secauth_userfile_line(const unsigned char *line, size_t len,
    const unsigned char **name, size_t *name_len, const unsigned char **hash,
    size_t *hash_len);

/*
 * A user name (docs/login.md): 1 to NGX_HTTP_SECAUTH_USERFILE_NAME_MAX
 * bytes of ASCII letters, digits, ".", "_", "-", "@", "+" and UTF-8
 * beyond ASCII, written into dst (room for len bytes; may be src) with
 * ASCII letters folded to lower case, nothing else changed.
 *
 * Returns _OK; _NOT_UTF8 when src is not strict UTF-8; _INVALID for
 * anything else (empty, too long, NUL, CR, LF, spaces, ":" and other
 * punctuation). After an error dst holds garbage of at most len bytes.
 */
int ngx_http_secauth_username_fold(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * 1 when the len bytes at p are strict UTF-8 (RFC 3629, as jansson
 * checks it: no overlong form, no surrogate, nothing above U+10FFFF, no
 * truncated sequence), else 0. An empty string is valid.
 */
int ngx_http_secauth_utf8_valid(const unsigned char *p, size_t len);


#endif /* _NGX_HTTP_SECAUTH_USERFILE_H_INCLUDED_ */
