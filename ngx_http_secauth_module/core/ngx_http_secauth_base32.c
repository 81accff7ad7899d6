
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>

#include "ngx_http_secauth_base32.h"


static int ngx_http_secauth_base32_value(unsigned char c);


static const unsigned char  ngx_http_secauth_base32_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";


size_t
ngx_http_secauth_base32_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t        i, n;
    unsigned int  bits, acc;

    n = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        acc = (acc << 8) | src[i];
        bits += 8;

        while (bits >= 5) {
            bits -= 5;
            dst[n++] = ngx_http_secauth_base32_alphabet[(acc >> bits) & 0x1f];
        }

        acc &= (1u << bits) - 1;
    }

    if (bits > 0) {
        dst[n++] = ngx_http_secauth_base32_alphabet[(acc << (5 - bits))
                                                    & 0x1f];
    }

    return n;
}


long
ngx_http_secauth_base32_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    int           v;
    size_t        i, n;
    unsigned int  bits, acc;

    switch (len % 8) {
    case 1:
    case 3:
    case 6:
        /* no whole number of bytes encodes to these lengths */
        return -1;
    }

    n = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = ngx_http_secauth_base32_value(src[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 5) | (unsigned int) v;
        bits += 5;

        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* the bits left over are padding of the last character: zero */
    if (acc != 0) {
        return -1;
    }

    return (long) n;
}


static int
ngx_http_secauth_base32_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }

    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }

    return -1;
}
