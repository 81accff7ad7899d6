
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_COOKIE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_COOKIE_H_INCLUDED_


/*
 * The request's Cookie headers, scanned for the session cookie on bytes
 * alone (RFC 6265 5.4, as browsers send them). Plain C, without nginx:
 * t/unit/cookie_test.c and fuzz targets link it with
 * ngx_http_secauth_base64url.c. Nothing is allocated or copied: values
 * point into the header.
 */


#include <stddef.h>


/* a session id: 256 random bits, base64url without padding */
#define NGX_HTTP_SECAUTH_COOKIE_ID_LEN  43


/*
 * Looks for the cookie of name_len bytes at name in the len bytes at
 * header, one Cookie header's value (no NUL needed): "name=value" pairs
 * separated by ";", spaces and tabs around names and values ignored,
 * names compared exactly (case-sensitive), pairs without "=" skipped, an
 * empty value a value.
 *
 * *found counts the cookies of that name met so far, in this header and
 * the request's earlier ones: 0 before the first header. When a cookie of
 * that name is met with *found 0, *found becomes 1 and *value, *value_len
 * point to its value, inside header; they are not written otherwise.
 *
 * Returns 0; or -1 when a cookie of that name is met with *found already
 * 1 (two of them: one may have been tossed in by a sibling domain or
 * another path, which is which cannot be told, so both are refused).
 */
int ngx_http_secauth_cookie_scan(const unsigned char *header, size_t len,
    const unsigned char *name, size_t name_len, const unsigned char **value,
    size_t *value_len, unsigned int *found);

/*
 * 1 when the len bytes at value have the shape of a session id, exactly
 * NGX_HTTP_SECAUTH_COOKIE_ID_LEN base64url characters, else 0: anything
 * else costs no store lookup.
 */
int ngx_http_secauth_cookie_id_valid(const unsigned char *value, size_t len);


#endif /* _NGX_HTTP_SECAUTH_COOKIE_H_INCLUDED_ */
