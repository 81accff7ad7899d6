
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_base64url.c: the input decoded (when canonical,
 * re-encoding it gives the input back: one string, one encoding) and
 * encoded (decoding that gives the input back), with the buffers exactly
 * as large as the header's macros say, so that ASan sees a byte written
 * past them.
 */


#include <string.h>

#include "ngx_http_secauth_base64url.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long            n;
    size_t          e;
    unsigned char  *dec, *enc, *back;

    /* decode(input), then encode(decode(input)) == input */

    dec = malloc(ngx_http_secauth_b64url_decoded_len(size) + 1);
    fuzz_assert(dec != NULL);

    n = ngx_http_secauth_b64url_decode(dec, data, size);

    if (n >= 0) {
        fuzz_assert((size_t) n <= ngx_http_secauth_b64url_decoded_len(size));
        fuzz_assert(ngx_http_secauth_b64url_valid(data, size) == 1);

        enc = malloc(ngx_http_secauth_b64url_encoded_len(n) + 1);
        fuzz_assert(enc != NULL);

        e = ngx_http_secauth_b64url_encode(enc, dec, n);
        fuzz_assert(e == size);
        fuzz_assert(size == 0 || memcmp(enc, data, size) == 0);

        free(enc);
    }

    free(dec);

    /* encode(input), then decode(encode(input)) == input */

    enc = malloc(ngx_http_secauth_b64url_encoded_len(size) + 1);
    fuzz_assert(enc != NULL);

    e = ngx_http_secauth_b64url_encode(enc, data, size);
    fuzz_assert(e == (size * 4 + 2) / 3);
    fuzz_assert(e <= ngx_http_secauth_b64url_encoded_len(size));
    fuzz_assert(ngx_http_secauth_b64url_valid(enc, e) == 1);

    back = malloc(ngx_http_secauth_b64url_decoded_len(e) + 1);
    fuzz_assert(back != NULL);

    n = ngx_http_secauth_b64url_decode(back, enc, e);
    fuzz_assert(n == (long) size);
    fuzz_assert(size == 0 || memcmp(back, data, size) == 0);

    free(back);
    free(enc);

    return 0;
}
