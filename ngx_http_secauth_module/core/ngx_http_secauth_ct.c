
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>

#include <openssl/crypto.h>

#include "ngx_http_secauth_ct.h"


/*
 * CRYPTO_memcmp() is OpenSSL's own for its MAC and tag checks, written so
 * that no compiler turns it back into an early-exit loop
 */

int
ngx_http_secauth_ct_equal(const void *a, const void *b, size_t len)
{
    if (len == 0) {
        return 1;
    }

    return CRYPTO_memcmp(a, b, len) == 0;
}
