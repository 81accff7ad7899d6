
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_redirect.c: the input is a login's "next", in a
 * buffer of its exact size. Whatever the check accepts must keep what it
 * promises, asserted here on the bytes: a single "/" first, no control
 * byte, no backslash, and the same after percent-decoding, once and
 * twice as nginx decodes (the module's unescape, which is also checked:
 * never longer, the same in place), once and twice as RFC 3986 decodes
 * (a browser, a proxy, an application), and one of each in either
 * order: never "//" nor "/\" at the start.
 */


#include <string.h>

#include "ngx_http_secauth_redirect.h"
#include "fuzz.h"


static int fuzz_hex(unsigned char c);
static size_t fuzz_rfc_decode(unsigned char *dst, const unsigned char *src,
    size_t len);
static void fuzz_promise(const unsigned char *p, size_t len, int raw);


static int
fuzz_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* "%XX" is the byte, anything else (a lone "%" too) is itself */

static size_t
fuzz_rfc_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] == '%' && i + 2 < len && fuzz_hex(src[i + 1]) >= 0
            && fuzz_hex(src[i + 2]) >= 0)
        {
            dst[n++] = fuzz_hex(src[i + 1]) << 4 | fuzz_hex(src[i + 2]);
            i += 2;

        } else {
            dst[n++] = src[i];
        }
    }

    return n;
}


static void
fuzz_promise(const unsigned char *p, size_t len, int raw)
{
    size_t  i;

    fuzz_assert(len >= 1 && p[0] == '/');
    fuzz_assert(len == 1 || (p[1] != '/' && p[1] != '\\'));

    for (i = 0; i < len; i++) {
        fuzz_assert(p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\');

        if (raw) {
            fuzz_assert(p[i] != ' ' && p[i] != '"' && p[i] != '<'
                        && p[i] != '>');
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             safe;
    size_t          n, m, k;
    unsigned char  *next, *a, *b, *c;

    next = malloc(size ? size : 1);
    a = malloc(size ? size : 1);
    b = malloc(size ? size : 1);
    c = malloc(size ? size : 1);
    fuzz_assert(next != NULL && a != NULL && b != NULL && c != NULL);

    memcpy(next, data, size);

    /* the decoder: never longer, the same in place as not */

    n = ngx_http_secauth_redirect_unescape(a, next, size);
    fuzz_assert(n <= size);

    memcpy(b, next, size);
    m = ngx_http_secauth_redirect_unescape(b, b, size);
    fuzz_assert(m == n && (n == 0 || memcmp(a, b, n) == 0));

    safe = ngx_http_secauth_redirect_safe(next, size);
    fuzz_assert(safe == 0 || safe == 1);

    if (safe) {
        fuzz_assert(size <= NGX_HTTP_SECAUTH_REDIRECT_MAX);

        fuzz_promise(next, size, 1);
        fuzz_promise(a, n, 0);

        m = ngx_http_secauth_redirect_unescape(b, a, n);
        fuzz_promise(b, m, 0);

        /* RFC 3986 decoding once, twice, and after or before nginx's */

        k = fuzz_rfc_decode(c, next, size);
        fuzz_promise(c, k, 0);

        m = fuzz_rfc_decode(b, c, k);
        fuzz_promise(b, m, 0);

        m = fuzz_rfc_decode(b, a, n);
        fuzz_promise(b, m, 0);

        m = ngx_http_secauth_redirect_unescape(b, c, k);
        fuzz_promise(b, m, 0);
    }

    free(next);
    free(a);
    free(b);
    free(c);

    return 0;
}
