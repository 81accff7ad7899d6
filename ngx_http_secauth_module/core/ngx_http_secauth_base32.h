
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_BASE32_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_BASE32_H_INCLUDED_


/*
 * base32 (RFC 4648 6) without padding, the form otpauth:// URIs and
 * authenticator apps use for TOTP secrets. Plain C, no nginx:
 * t/unit/base32_test.c links it alone. Inputs are byte ranges; nothing
 * is allocated, nothing is written past the bounds below.
 */


#include <stddef.h>


/* room dst needs to decode n characters: at least the decoded length */
#define ngx_http_secauth_base32_decoded_len(n)  ((n) * 5 / 8)
/* room dst needs to encode n bytes: exactly the encoded length */
#define ngx_http_secauth_base32_encoded_len(n)  (((n) * 8 + 4) / 5)


/*
 * Encodes len bytes of src into dst, which has room for
 * ngx_http_secauth_base32_encoded_len(len) bytes: upper case A-Z2-7, no
 * "=" padding, no NUL written. Returns the number of characters written.
 */
size_t ngx_http_secauth_base32_encode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * Decodes len characters of src into dst, which has room for
 * ngx_http_secauth_base32_decoded_len(len) bytes. Accepted: the alphabet
 * in upper or lower case, no padding, no whitespace or separators (the
 * caller strips what it allows), a length that is the encoding of whole
 * bytes (len % 8 one of 0, 2, 4, 5, 7) and the unused low bits of the
 * last character zero, so that one byte string has one encoding per case.
 *
 * Returns the decoded length (0 for len 0), or -1; after -1 dst holds
 * garbage of at most that room.
 */
long ngx_http_secauth_base32_decode(unsigned char *dst,
    const unsigned char *src, size_t len);


#endif /* _NGX_HTTP_SECAUTH_BASE32_H_INCLUDED_ */
