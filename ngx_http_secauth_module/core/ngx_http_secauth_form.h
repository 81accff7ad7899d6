
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_FORM_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_FORM_H_INCLUDED_


/*
 * What the module's POST locations parse before JSON: the fields of an
 * application/x-www-form-urlencoded body and the media type of a
 * Content-Type. Plain C, without nginx: t/unit/form_test.c and fuzz
 * targets link it alone. Inputs are byte ranges (no NUL needed, NUL is
 * just a byte); nothing is allocated.
 */


#include <stddef.h>


/*
 * Looks for the field of name_len bytes at name in the len bytes at body:
 * "name=value" pairs separated by "&", the name compared exactly with the
 * field's name as sent (not decoded), a pair without "=" never matching.
 *
 * Returns 1 when the field is there exactly once: *value, *value_len then
 * point to its value as sent (still encoded), inside body; 0 when absent;
 * -1 when given more than once (ambiguous: refused, whatever the values).
 * *value and *value_len are not written unless 1 is returned.
 */
int ngx_http_secauth_form_find(const unsigned char *body, size_t len,
    const unsigned char *name, size_t name_len, const unsigned char **value,
    size_t *value_len);

/*
 * Decodes the len bytes of a field's value at src into dst, which has
 * room for len bytes (the result is never longer) and may be src itself:
 * "+" is a space, "%XX" the byte of the two hexadecimal digits XX (either
 * case; "%00" is a NUL byte like any other), any other byte itself.
 *
 * Returns the decoded length, or -1 when a "%" is not followed by two
 * hexadecimal digits; after -1 dst holds garbage of at most len bytes.
 */
long ngx_http_secauth_form_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * 1 when the len bytes at value, a Content-Type, are the media type type
 * (a NUL-terminated string such as "application/json"), compared
 * case-insensitively in ASCII and followed by nothing, or by ";", a space
 * or a tab (parameters such as "; charset=utf-8" allowed); else 0.
 */
int ngx_http_secauth_form_media_type(const unsigned char *value, size_t len,
    const char *type);


#endif /* _NGX_HTTP_SECAUTH_FORM_H_INCLUDED_ */
