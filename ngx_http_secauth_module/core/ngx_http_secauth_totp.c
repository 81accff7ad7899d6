
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_secauth_totp.h"


long
ngx_http_secauth_hotp(const unsigned char *key, size_t keylen,
    uint64_t counter)
{
    int            i;
    uint32_t       bin;
    unsigned int   mdlen, off;
    unsigned char  msg[8], md[EVP_MAX_MD_SIZE];

    if (keylen == 0 || keylen > 64) {
        return -1;
    }

    for (i = 7; i >= 0; i--) {
        msg[i] = (unsigned char) (counter & 0xff);
        counter >>= 8;
    }

    mdlen = 0;

    if (HMAC(EVP_sha1(), key, (int) keylen, msg, sizeof(msg), md, &mdlen)
        == NULL
        || mdlen != 20)
    {
        return -1;
    }

    /* RFC 4226 5.3: dynamic truncation */
    off = md[19] & 0x0f;

    bin = ((uint32_t) (md[off] & 0x7f) << 24)
          | ((uint32_t) md[off + 1] << 16)
          | ((uint32_t) md[off + 2] << 8)
          | (uint32_t) md[off + 3];

    OPENSSL_cleanse(md, sizeof(md));

    return (long) (bin % 1000000);
}


uint64_t
ngx_http_secauth_totp_step(uint64_t unix_time)
{
    return unix_time / NGX_HTTP_SECAUTH_TOTP_PERIOD;
}


int
ngx_http_secauth_totp_parse(const unsigned char *p, size_t len,
    uint32_t *code)
{
    size_t    i, digits;
    uint32_t  v;

    if (len == 0 || len > NGX_HTTP_SECAUTH_TOTP_INPUT_MAX) {
        return -1;
    }

    v = 0;
    digits = 0;

    for (i = 0; i < len; i++) {

        if (p[i] == ' ') {
            continue;
        }

        if (p[i] < '0' || p[i] > '9'
            || digits == NGX_HTTP_SECAUTH_TOTP_DIGITS)
        {
            return -1;
        }

        v = v * 10 + (uint32_t) (p[i] - '0');
        digits++;
    }

    if (digits != NGX_HTTP_SECAUTH_TOTP_DIGITS) {
        return -1;
    }

    *code = v;

    return 0;
}


int
ngx_http_secauth_backup_code_parse(const unsigned char *p, size_t len,
    unsigned char *out)
{
    size_t         i, n;
    unsigned char  c;

    if (len == 0 || len > NGX_HTTP_SECAUTH_TOTP_INPUT_MAX) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c == ' ' || c == '-') {
            continue;
        }

        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char) (c - 'A' + 'a');
        }

        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))
            || n == NGX_HTTP_SECAUTH_BACKUP_CODE_LEN)
        {
            return -1;
        }

        out[n++] = c;
    }

    return n == NGX_HTTP_SECAUTH_BACKUP_CODE_LEN ? 0 : -1;
}


int
ngx_http_secauth_totp_verify(const unsigned char *key, size_t keylen,
    uint64_t now_step, uint64_t after, uint32_t code, uint64_t *step)
{
    int       k, found;
    long      value;
    uint32_t  diff;
    uint64_t  s, match;

    found = 0;
    match = 0;

    for (k = -NGX_HTTP_SECAUTH_TOTP_WINDOW;
         k <= NGX_HTTP_SECAUTH_TOTP_WINDOW;
         k++)
    {
        if (k < 0 && now_step < (uint64_t) -k) {
            /* before the epoch's first step */
            continue;
        }

        s = now_step + (uint64_t) (int64_t) k;

        value = ngx_http_secauth_hotp(key, keylen, s);
        if (value < 0) {
            return -1;
        }

        /* no branch on how the values differ, only on the result */
        diff = (uint32_t) value ^ code;

        if (diff == 0 && s > after && !found) {
            found = 1;
            match = s;
        }
    }

    if (found) {
        *step = match;
    }

    return found;
}
