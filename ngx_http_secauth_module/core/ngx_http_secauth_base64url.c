
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>

#include "ngx_http_secauth_base64url.h"


/* -1: not in the alphabet */
static const signed char  ngx_http_secauth_b64url[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};


int
ngx_http_secauth_b64url_valid(const unsigned char *p, size_t len)
{
    unsigned char         bad;
    const unsigned char  *last;

    /* no branch per byte: an invalid one (-1) sets the top bit */

    bad = 0;

    for (last = p + len; p < last; p++) {
        bad |= (unsigned char) ngx_http_secauth_b64url[*p];
    }

    return !(bad & 0x80);
}


/* unpadded base64url; a length of 4k+1 or stray low bits are refused */

long
ngx_http_secauth_b64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t         i;
    unsigned char *d;
    unsigned int   acc;
    int            bits, v;

    if (len % 4 == 1) {
        return -1;
    }

    d = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = ngx_http_secauth_b64url[src[i]];

        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (unsigned int) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* the unused bits of the last character must be zero (canonical) */

    if (acc != 0) {
        return -1;
    }

    return (long) (d - dst);
}


size_t
ngx_http_secauth_b64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    size_t          i;
    unsigned char  *d;
    unsigned int    acc;
    int             bits;

    d = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        acc = (acc << 8) | src[i];
        bits += 8;

        while (bits >= 6) {
            bits -= 6;
            *d++ = alphabet[(acc >> bits) & 0x3f];
        }

        acc &= (1u << bits) - 1;
    }

    if (bits > 0) {
        *d++ = alphabet[(acc << (6 - bits)) & 0x3f];
    }

    return (size_t) (d - dst);
}
