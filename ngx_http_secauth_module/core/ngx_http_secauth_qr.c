
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "ngx_http_secauth_qr.h"


#define NGX_HTTP_SECAUTH_QR_QUIET  4
#define NGX_HTTP_SECAUTH_QR_PX     6


static void ngx_http_secauth_qr_put(unsigned char *dst, size_t room,
    size_t *n, const char *s, size_t len);


static const char  ngx_http_secauth_qr_head[] =
    "role=\"img\" "
    "aria-label=\"QR code of the authenticator app's setup link\" "
    "shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
    "fill=\"#fff\"/><path fill=\"#000\" d=\"";


long
ngx_http_secauth_qr_svg(unsigned char *dst, size_t room,
    const unsigned char *text, size_t len)
{
    int       x, y, run, w, size;
    char      buf[160];
    size_t    n;
    QRcode   *qr;

    if (len == 0 || len > NGX_HTTP_SECAUTH_QR_TEXT_MAX) {
        return -1;
    }

    qr = QRcode_encodeData((int) len, text, 0, QR_ECLEVEL_M);
    if (qr == NULL) {
        return -1;
    }

    w = qr->width;
    size = w + 2 * NGX_HTTP_SECAUTH_QR_QUIET;
    n = 0;

    /* whole pixels per module: a reader sees sharp edges */

    ngx_http_secauth_qr_put(dst, room, &n, buf,
        (size_t) snprintf(buf, sizeof(buf),
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                          "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" ",
                          size, size, size * NGX_HTTP_SECAUTH_QR_PX,
                          size * NGX_HTTP_SECAUTH_QR_PX));

    ngx_http_secauth_qr_put(dst, room, &n, ngx_http_secauth_qr_head,
                            sizeof(ngx_http_secauth_qr_head) - 1);

    /* each horizontal run of dark modules is one rectangle */

    for (y = 0; y < w; y++) {
        for (x = 0; x < w; x += run ? run : 1) {
            run = 0;

            while (x + run < w && (qr->data[y * w + x + run] & 1)) {
                run++;
            }

            if (run) {
                ngx_http_secauth_qr_put(dst, room, &n, buf,
                    (size_t) snprintf(buf, sizeof(buf), "M%d %dh%dv1h-%dz",
                                      x + NGX_HTTP_SECAUTH_QR_QUIET,
                                      y + NGX_HTTP_SECAUTH_QR_QUIET,
                                      run, run));
            }
        }
    }

    ngx_http_secauth_qr_put(dst, room, &n, "\"/></svg>", 9);

    QRcode_free(qr);

    return (long) n;
}


/* appends while there is room; counts the length always */

static void
ngx_http_secauth_qr_put(unsigned char *dst, size_t room, size_t *n,
    const char *s, size_t len)
{
    if (dst && *n + len <= room) {
        memcpy(dst + *n, s, len);
    }

    *n += len;
}
