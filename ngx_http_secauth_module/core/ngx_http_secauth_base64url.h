
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_BASE64URL_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_BASE64URL_H_INCLUDED_


/*
 * base64url without padding (RFC 4648 5, as JWS and the session ids use
 * it). Plain C, no nginx: t/unit/base64url_test.c and fuzz targets link
 * it alone. Inputs are byte ranges (no NUL needed, NUL is just a byte);
 * nothing is allocated, nothing is written past the bounds below.
 */


#include <stddef.h>


/* room dst needs to decode n characters: at least the decoded length */
#define ngx_http_secauth_b64url_decoded_len(n)  ((n) / 4 * 3 + 2)
/* room dst needs to encode n bytes: at least the encoded length */
#define ngx_http_secauth_b64url_encoded_len(n)  (((n) + 2) / 3 * 4)


/*
 * Decodes len characters of src into dst, which has room for
 * ngx_http_secauth_b64url_decoded_len(len) bytes. Only the canonical form
 * is accepted: the alphabet [A-Za-z0-9_-], no "=" padding, no whitespace,
 * no length of 4k+1, the unused low bits of the last character zero, so
 * that one byte string has exactly one encoding.
 *
 * Returns the decoded length (0 for len 0), or -1; after -1 dst holds
 * garbage of at most that room.
 */
long ngx_http_secauth_b64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * Encodes len bytes of src into dst, which has room for
 * ngx_http_secauth_b64url_encoded_len(len) bytes; no padding, no NUL
 * written. Returns the number of characters written: ceil(len * 4 / 3).
 */
size_t ngx_http_secauth_b64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * 1 when each of the len bytes at p is in the base64url alphabet (1 for
 * len 0), else 0. Neither the length nor the trailing bits are checked.
 * No branch depends on the bytes.
 */
int ngx_http_secauth_b64url_valid(const unsigned char *p, size_t len);


#endif /* _NGX_HTTP_SECAUTH_BASE64URL_H_INCLUDED_ */
