
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_qr.c, linked alone with
 * libqrencode: the SVG's shape (one svg element, its viewBox and whole
 * pixels per module, the accessible name, only path commands of the
 * drawing), the two-pass sizing (no byte past room), refused inputs.
 * That the image decodes back to its text is t/mfa/qr.t's (zbarimg),
 * through this program's tool mode:
 *
 *   qr_test svg TEXT      prints the SVG of TEXT
 *
 * Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_qr.h"
#include "tap.h"


static const char  uri[] = "otpauth://totp/Example%20Co:alice"
                           "?secret=JBSWY3DPEHPK3PXP&issuer=Example%20Co";


static unsigned char *svg_of(const char *text, size_t len, long *n);
static void test_shape(void);
static void test_sizing(void);
static void test_refused(void);


static unsigned char *
svg_of(const char *text, size_t len, long *n)
{
    unsigned char  *in, *out;

    in = tap_copy(text, len);

    *n = ngx_http_secauth_qr_svg(NULL, 0, in, len);
    if (*n < 0) {
        free(in);
        return NULL;
    }

    out = tap_alloc((size_t) *n + 1);

    if (ngx_http_secauth_qr_svg(out, (size_t) *n, in, len) != *n) {
        tap_bail("the second pass differs from the first");
    }

    out[*n] = '\0';
    free(in);

    return out;
}


static void
test_shape(void)
{
    int             size, w, h;
    long            n;
    char           *d, *end;
    unsigned char  *svg;

    svg = svg_of(uri, sizeof(uri) - 1, &n);

    ok(svg != NULL && n > 200, "an otpauth URI gives an SVG of %ld bytes",
       n);
    if (svg == NULL) {
        return;
    }

    ok(strncmp((char *) svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" ",
               40) == 0, "it starts as an svg element");
    ok(n > 6 && memcmp(svg + n - 6, "</svg>", 6) == 0, "and ends as one");
    ok(sscanf((char *) svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
              "viewBox=\"0 0 %d %d\" width=\"%d\"", &size, &size, &w) == 3
       && (size - 8) % 4 == 1 && size >= 29 && w == size * 6,
       "viewBox of a QR width + 8 (quiet zone), 6 px per module");
    h = strstr((char *) svg, "role=\"img\" aria-label=\"") != NULL;
    ok(h, "role img with an aria-label");
    ok(strstr((char *) svg, "<script") == NULL
       && strstr((char *) svg, "href") == NULL,
       "no script, no link");

    d = strstr((char *) svg, " d=\"");
    end = d ? strchr(d + 4, '"') : NULL;
    ok(d && end && strspn(d + 4, "0123456789 Mhvz-") == (size_t)
                   (end - d - 4),
       "the path holds only M, h, v, z and numbers");

    free(svg);
}


static void
test_sizing(void)
{
    long            n, m;
    unsigned char  *buf;

    n = ngx_http_secauth_qr_svg(NULL, 0, (const unsigned char *) uri,
                                sizeof(uri) - 1);

    buf = tap_alloc((size_t) n - 1);
    m = ngx_http_secauth_qr_svg(buf, (size_t) n - 1,
                                (const unsigned char *) uri, sizeof(uri) - 1);
    ok(m == n, "with one byte too little room: the length, nothing past it");
    free(buf);
}


static void
test_refused(void)
{
    long            n;
    unsigned char  *big;

    ok(ngx_http_secauth_qr_svg(NULL, 0, (const unsigned char *) "", 0) == -1,
       "empty text: refused");

    big = tap_alloc(NGX_HTTP_SECAUTH_QR_TEXT_MAX + 1);
    memset(big, 'a', NGX_HTTP_SECAUTH_QR_TEXT_MAX + 1);
    ok(ngx_http_secauth_qr_svg(NULL, 0, big, NGX_HTTP_SECAUTH_QR_TEXT_MAX + 1)
       == -1, "text over the bound: refused");
    n = ngx_http_secauth_qr_svg(NULL, 0, big, NGX_HTTP_SECAUTH_QR_TEXT_MAX);
    ok(n > 0, "text at the bound: encoded (%ld bytes)", n);
    free(big);

    n = ngx_http_secauth_qr_svg(NULL, 0, (const unsigned char *) "a\0b", 3);
    ok(n > 0, "a NUL is a byte like any other");
}


int
main(int argc, char **argv)
{
    long            n;
    unsigned char  *svg;

    if (argc == 3 && strcmp(argv[1], "svg") == 0) {
        svg = svg_of(argv[2], strlen(argv[2]), &n);
        if (svg == NULL) {
            return 1;
        }

        fwrite(svg, 1, (size_t) n, stdout);
        free(svg);
        return 0;
    }

    test_shape();
    test_sizing();
    test_refused();

    return tap_done("qr_test");
}
