
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * A JWK as secauth_jwt_key_file (and a fetched key set) gives it to
 * core/ngx_http_secauth_jwk.c: the input is JSON, parsed with jansson as
 * the module parses it; the first byte picks the algorithm of keys
 * without "alg" and whether secrets are allowed. Asserted: an import
 * says why whenever it does not succeed; an imported key exports (unless
 * it is a secret) to a JWK that imports again to a key of the same
 * algorithm, whose export is the same JSON.
 */


#include <string.h>
#include <jansson.h>
#include <openssl/err.h>

#include "ngx_http_secauth_jwk.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                            rc;
    char                          *a, *b;
    json_t                        *jwk, *out, *again;
    ngx_http_secauth_jws_key_t     key, key2;
    ngx_http_secauth_jwk_import_t  in;

    if (size == 0) {
        return 0;
    }

    memset(&in, 0, sizeof(in));
    in.alg_default = data[0] % 14;
    in.allow_secret = data[0] >> 7;

    jwk = json_loadb((const char *) data + 1, size - 1,
                     JSON_REJECT_DUPLICATES, NULL);
    if (jwk == NULL) {
        return 0;
    }

    rc = ngx_http_secauth_jwk_import(&key, jwk, &in);

    fuzz_assert(rc == 0 || rc == 1 || rc == -1);
    fuzz_assert(rc == 0 || in.err != NULL);
    fuzz_assert(ERR_peek_error() == 0);

    if (rc == 0) {
        out = ngx_http_secauth_jwk_export(&key);
        fuzz_assert(out != NULL || ngx_http_secauth_jws_is_hmac(key.alg));

        if (out) {
            memset(&in, 0, sizeof(in));
            fuzz_assert(ngx_http_secauth_jwk_import(&key2, out, &in) == 0);
            fuzz_assert(key2.alg == key.alg);

            again = ngx_http_secauth_jwk_export(&key2);
            a = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
            b = json_dumps(again, JSON_SORT_KEYS | JSON_COMPACT);
            fuzz_assert(a && b && strcmp(a, b) == 0);

            free(a);
            free(b);
            json_decref(again);
            json_decref(out);
            ngx_http_secauth_jws_key_free(&key2);
        }

        ngx_http_secauth_jws_key_free(&key);
    }

    json_decref(jwk);

    return 0;
}
