
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * What a user types as a second factor, against the contracts of
 * core/ngx_http_secauth_totp.h and core/ngx_http_secauth_base32.h written
 * out byte by byte: the TOTP code parse, the backup code parse, and
 * base32 (a decoded input encodes back to itself in upper case; any
 * bytes encode and decode back).
 */


#include <string.h>

#include "ngx_http_secauth_totp.h"
#include "ngx_http_secauth_base32.h"
#include "fuzz.h"


static void fuzz_totp_code(const uint8_t *data, size_t size);
static void fuzz_backup_code(const uint8_t *data, size_t size);
static void fuzz_base32(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_totp_code(data, size);
    fuzz_backup_code(data, size);
    fuzz_base32(data, size);

    return 0;
}


static void
fuzz_totp_code(const uint8_t *data, size_t size)
{
    int       rc, want;
    size_t    i, n;
    uint32_t  code, value;

    want = (size <= NGX_HTTP_SECAUTH_TOTP_INPUT_MAX);
    value = 0;
    n = 0;

    for (i = 0; want && i < size; i++) {
        if (data[i] == ' ') {
            continue;
        }

        if (data[i] < '0' || data[i] > '9') {
            want = 0;
            break;
        }

        value = value * 10 + (data[i] - '0');
        n++;
    }

    if (n != NGX_HTTP_SECAUTH_TOTP_DIGITS) {
        want = 0;
    }

    code = 0xffffffff;
    rc = ngx_http_secauth_totp_parse(data, size, &code);

    fuzz_assert((rc == 0) == want);
    fuzz_assert(rc != 0 || (code == value && code <= 999999));
}


static void
fuzz_backup_code(const uint8_t *data, size_t size)
{
    int            rc, want;
    size_t         i, n;
    unsigned char  c, out[NGX_HTTP_SECAUTH_BACKUP_CODE_LEN],
                   expect[NGX_HTTP_SECAUTH_BACKUP_CODE_LEN];

    want = (size <= NGX_HTTP_SECAUTH_TOTP_INPUT_MAX);
    n = 0;

    for (i = 0; want && i < size; i++) {
        c = data[i];

        if (c == ' ' || c == '-') {
            continue;
        }

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))
            || n == NGX_HTTP_SECAUTH_BACKUP_CODE_LEN)
        {
            want = 0;
            break;
        }

        expect[n++] = c;
    }

    if (n != NGX_HTTP_SECAUTH_BACKUP_CODE_LEN) {
        want = 0;
    }

    rc = ngx_http_secauth_backup_code_parse(data, size, out);

    fuzz_assert((rc == 0) == want);
    fuzz_assert(rc != 0 || memcmp(out, expect, sizeof(out)) == 0);
}


static void
fuzz_base32(const uint8_t *data, size_t size)
{
    long            n;
    size_t          i, m;
    unsigned char  *dec, *enc, *back;

    dec = malloc(ngx_http_secauth_base32_decoded_len(size) + 1);
    enc = malloc(ngx_http_secauth_base32_encoded_len(size) + 1);
    back = malloc(size + 1);
    fuzz_assert(dec != NULL && enc != NULL && back != NULL);

    /* a decoded input is the one encoding of its bytes, case aside */

    n = ngx_http_secauth_base32_decode(dec, data, size);

    if (n >= 0) {
        fuzz_assert((size_t) n <= ngx_http_secauth_base32_decoded_len(size));

        m = ngx_http_secauth_base32_encode(back, dec, n);
        fuzz_assert(m == size);

        for (i = 0; i < size; i++) {
            fuzz_assert(back[i]
                        == ((data[i] >= 'a' && data[i] <= 'z')
                            ? data[i] - 0x20 : data[i]));
        }
    }

    /* any bytes go there and back */

    m = ngx_http_secauth_base32_encode(enc, data, size);
    fuzz_assert(m == ngx_http_secauth_base32_encoded_len(size));

    n = ngx_http_secauth_base32_decode(back, enc, m);
    fuzz_assert(n == (long) size);
    fuzz_assert(size == 0 || memcmp(back, data, size) == 0);

    free(dec);
    free(enc);
    free(back);
}
