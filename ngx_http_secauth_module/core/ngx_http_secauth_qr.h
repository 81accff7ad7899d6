
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_QR_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_QR_H_INCLUDED_


/*
 * A QR code as an inline SVG image, for the otpauth:// URI of a TOTP
 * enrolment: libqrencode (Debian libqrencode-dev) makes the modules, at
 * error correction level M, 8-bit mode; this draws them as one path, a
 * quiet zone of 4 modules around, black on white, with role="img" and an
 * aria-label for screen readers. Plain C, no nginx: t/unit/qr_test.c
 * links it alone (t/mfa/qr.t decodes its output back with zbarimg).
 */


#include <stddef.h>


/* the longest text encoded: an otpauth URI is far shorter */
#define NGX_HTTP_SECAUTH_QR_TEXT_MAX  1024


/*
 * The SVG of the QR code of the len bytes of text (1 to
 * NGX_HTTP_SECAUTH_QR_TEXT_MAX), written to dst when it has room bytes
 * (dst may be NULL with room 0); no NUL written. Returns the SVG's
 * length (when greater than room, nothing useful was written: call again
 * with that room), or -1 when the text is empty, too long, or libqrencode
 * fails.
 */
long ngx_http_secauth_qr_svg(unsigned char *dst, size_t room,
    const unsigned char *text, size_t len);


#endif /* _NGX_HTTP_SECAUTH_QR_H_INCLUDED_ */
