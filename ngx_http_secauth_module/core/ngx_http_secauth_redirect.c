
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>

#include "ngx_http_secauth_redirect.h"


static int ngx_http_secauth_redirect_decoded(const unsigned char *p,
    size_t len);
static size_t ngx_http_secauth_redirect_unescape_rfc(unsigned char *dst,
    const unsigned char *src, size_t len);
static int ngx_http_secauth_redirect_hex(unsigned char c);


/*
 * Redirect targets (ASVS 3.7.2): a same-origin path only, "/x" but not
 * "//x", "/\x", "/%2f%2fx", "https:x", "javascript:", nor anything with
 * controls or a backslash, before or after percent-decoding; 1 when next
 * may be used as it is, 0 when the caller should go to "/" instead.
 *
 * "After decoding" is after each way of decoding it, once and twice:
 * nginx's (a broken escape swallows what follows it) and RFC 3986's (a
 * broken escape is itself), in either order. One alone is not enough:
 * "/%1%0d" is "/" and "0d" to nginx, but "/%1" and a CR to an RFC
 * decoder; "/%2%66x" is "/66x" to nginx, "//x" to an RFC decoder run
 * twice (found by t/fuzz/fuzz_redirect.c).
 */

int
ngx_http_secauth_redirect_safe(const unsigned char *next, size_t len)
{
    size_t         i, n, m, first, second;
    unsigned char  c, once[NGX_HTTP_SECAUTH_REDIRECT_MAX];
    unsigned char  twice[NGX_HTTP_SECAUTH_REDIRECT_MAX];

    if (len == 0 || len > NGX_HTTP_SECAUTH_REDIRECT_MAX || next[0] != '/') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = next[i];

        if (c <= 0x20 || c == 0x7f || c == '\\' || c == '"'
            || c == '<' || c == '>')
        {
            return 0;
        }
    }

    /* decoded twice over: "%252f" is "/" to some proxies */

    for (first = 0; first < 2; first++) {

        n = first ? ngx_http_secauth_redirect_unescape_rfc(once, next, len)
                  : ngx_http_secauth_redirect_unescape(once, next, len);

        if (!ngx_http_secauth_redirect_decoded(once, n)) {
            return 0;
        }

        for (second = 0; second < 2; second++) {

            m = second ? ngx_http_secauth_redirect_unescape_rfc(twice, once, n)
                       : ngx_http_secauth_redirect_unescape(twice, once, n);

            if (!ngx_http_secauth_redirect_decoded(twice, m)) {
                return 0;
            }
        }
    }

    return 1;
}


/* a decoded target: "/" first, not "//" nor "/\", no control nor "\" */

static int
ngx_http_secauth_redirect_decoded(const unsigned char *p, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len < 1 || p[0] != '/' || (len > 1 && (p[1] == '/' || p[1] == '\\')))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c < 0x20 || c == 0x7f || c == '\\') {
            return 0;
        }
    }

    return 1;
}


/*
 * Percent-decoding as nginx's ngx_unescape_uri() with type 0 does it, so
 * that the check sees what nginx itself would make of the bytes: a '%'
 * before a non-hex character goes ("%/" is "/"), a '%' and one hex digit
 * before a non-hex character go with it ("%4z" is nothing), and so does
 * an incomplete escape at the end. dst may be src; returns its length,
 * never more than len.
 */

size_t
ngx_http_secauth_redirect_unescape(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    int     hi, lo;
    size_t  i, n;

    i = 0;
    n = 0;

    while (i < len) {

        if (src[i] != '%') {
            dst[n++] = src[i++];
            continue;
        }

        if (i + 1 == len) {
            break;
        }

        hi = ngx_http_secauth_redirect_hex(src[i + 1]);

        if (hi < 0) {
            dst[n++] = src[i + 1];
            i += 2;
            continue;
        }

        if (i + 2 == len) {
            break;
        }

        lo = ngx_http_secauth_redirect_hex(src[i + 2]);

        if (lo >= 0) {
            dst[n++] = (unsigned char) (hi << 4 | lo);
        }

        i += 3;
    }

    return n;
}


/*
 * Percent-decoding as RFC 3986 2.1 reads it (and most decoders outside
 * nginx): "%XX" is the byte, anything else, a broken escape too, is
 * itself. dst may be src; returns its length, never more than len.
 */

static size_t
ngx_http_secauth_redirect_unescape_rfc(unsigned char *dst,
    const unsigned char *src, size_t len)
{
    int     hi, lo;
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++) {

        if (src[i] == '%' && len - i > 2) {
            hi = ngx_http_secauth_redirect_hex(src[i + 1]);
            lo = ngx_http_secauth_redirect_hex(src[i + 2]);

            if (hi >= 0 && lo >= 0) {
                dst[n++] = (unsigned char) (hi << 4 | lo);
                i += 2;
                continue;
            }
        }

        dst[n++] = src[i];
    }

    return n;
}


static int
ngx_http_secauth_redirect_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
