
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>
#include <string.h>

#include "ngx_http_secauth_userfile.h"


int
ngx_http_secauth_userfile_line(const unsigned char *line, size_t len,
    const unsigned char **name, size_t *name_len, const unsigned char **hash,
    size_t *hash_len)
{
    const unsigned char  *colon;

    if (len && line[len - 1] == '\r') {
        len--;
    }

    while (len && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }

    if (len == 0 || line[0] == '#') {
        return NGX_HTTP_SECAUTH_USERFILE_SKIP;
    }

    colon = memchr(line, ':', len);

    if (colon == NULL) {
        return NGX_HTTP_SECAUTH_USERFILE_NO_COLON;
    }

    *name = line;
    *name_len = colon - line;
    *hash = colon + 1;
    *hash_len = line + len - (colon + 1);

    return NGX_HTTP_SECAUTH_USERFILE_ENTRY;
}


int
ngx_http_secauth_username_fold(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > NGX_HTTP_SECAUTH_USERFILE_NAME_MAX) {
        return NGX_HTTP_SECAUTH_USERNAME_INVALID;
    }

    if (!ngx_http_secauth_utf8_valid(src, len)) {
        return NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8;
    }

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;

        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                     || c == '.' || c == '_' || c == '-' || c == '@'
                     || c == '+' || c >= 0x80))
        {
            return NGX_HTTP_SECAUTH_USERNAME_INVALID;
        }

        dst[i] = c;
    }

    return NGX_HTTP_SECAUTH_USERNAME_OK;
}


int
ngx_http_secauth_utf8_valid(const unsigned char *p, size_t len)
{
    size_t                n;
    unsigned char         c, lo, hi;
    const unsigned char  *last;

    last = p + len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;

            if (c == 0xe0) {
                lo = 0xa0;

            } else if (c == 0xed) {
                hi = 0x9f;
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;

            if (c == 0xf0) {
                lo = 0x90;

            } else if (c == 0xf4) {
                hi = 0x8f;
            }

        } else {
            return 0;
        }

        if ((size_t) (last - p) < n || *p < lo || *p > hi) {
            return 0;
        }

        for (p++, n--; n; p++, n--) {
            if ((*p & 0xc0) != 0x80) {
                return 0;
            }
        }
    }

    return 1;
}
