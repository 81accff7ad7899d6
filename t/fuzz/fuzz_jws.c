
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * A bearer token as the gate takes it apart (ngx_http_secauth_jwt.c):
 * core/ngx_http_secauth_jws.c's split, the header decoded and parsed
 * with jansson as the module parses it (JSON_REJECT_DUPLICATES, "alg"
 * through ngx_http_secauth_jws_alg(), "typ", "kid", the forbidden key
 * parameters), the payload decoded and parsed, the signature decoded
 * and checked with an HS256, an RS256, an ES256 (ES: the r || s to DER
 * conversion), a PS256 and an EdDSA (Ed25519) key. The input is the
 * token, in a buffer of its exact size. Asserted: the parts tile the
 * token, an alg maps back to its name, an HS256, RS256 or EdDSA
 * signature accepted is the one the key makes,
 * a refusal leaves nothing in OpenSSL's error queue, and signing the
 * input then verifying it succeeds.
 */


#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_http_secauth_jws.h"
#include "fuzz.h"


#define FUZZ_NKEYS  5


int LLVMFuzzerInitialize(int *argc, char ***argv);
static void fuzz_header(const unsigned char *h, size_t len);
static json_t *fuzz_json(const unsigned char *b64, size_t len);


static ngx_http_secauth_jws_key_t  fuzz_keys[FUZZ_NKEYS];

static const char  *fuzz_forbidden[] = {
    "crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", NULL
};


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    EVP_PKEY             *rsa, *ec, *ed;
    static unsigned char  secret[32] = "0123456789abcdef0123456789abcdef";

    (void) argc;
    (void) argv;

    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    fuzz_assert(rsa != NULL && ec != NULL && ed != NULL);

    fuzz_assert(ngx_http_secauth_jws_key_init(&fuzz_keys[0],
                    NGX_HTTP_SECAUTH_JWS_HS256, secret, sizeof(secret), NULL)
                == NULL);
    fuzz_assert(ngx_http_secauth_jws_key_init(&fuzz_keys[1],
                    NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, rsa)
                == NULL);
    fuzz_assert(ngx_http_secauth_jws_key_init(&fuzz_keys[2],
                    NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, ec)
                == NULL);
    fuzz_assert(ngx_http_secauth_jws_key_init(&fuzz_keys[3],
                    NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0, rsa)
                == NULL);
    fuzz_assert(ngx_http_secauth_jws_key_init(&fuzz_keys[4],
                    NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0, ed)
                == NULL);

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);

    return 0;
}


/* the base64url segment decoded and parsed as the module does */

static json_t *
fuzz_json(const unsigned char *b64, size_t len)
{
    long            n;
    json_t         *j;
    unsigned char  *buf;
    json_error_t    err;

    buf = malloc(ngx_http_secauth_b64url_decoded_len(len));
    fuzz_assert(buf != NULL);

    n = ngx_http_secauth_b64url_decode(buf, b64, len);

    j = (n > 0) ? json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, &err)
                : NULL;

    free(buf);

    return j;
}


/* ngx_http_secauth_jwt_header()'s checks, without the key lookup */

static void
fuzz_header(const unsigned char *h, size_t len)
{
    int          alg;
    json_t      *header, *v;
    const char  *name, **f;

    header = fuzz_json(h, len);

    if (header == NULL) {
        return;
    }

    if (!json_is_object(header)) {
        json_decref(header);
        return;
    }

    v = json_object_get(header, "alg");

    if (json_is_string(v)) {
        alg = ngx_http_secauth_jws_alg(
                  (const unsigned char *) json_string_value(v),
                  json_string_length(v));

        name = ngx_http_secauth_jws_alg_name(alg);

        if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
            fuzz_assert(strcmp(name, "none") == 0);

        } else {
            fuzz_assert(strlen(name) == json_string_length(v)
                        && memcmp(name, json_string_value(v),
                                  json_string_length(v)) == 0);
        }
    }

    for (f = fuzz_forbidden; *f; f++) {
        (void) json_object_get(header, *f);
    }

    v = json_object_get(header, "typ");

    if (json_is_string(v)) {
        (void) (strcasecmp(json_string_value(v), "JWT") == 0
                || strcasecmp(json_string_value(v), "at+jwt") == 0);
    }

    v = json_object_get(header, "kid");

    if (json_is_string(v)) {
        fuzz_assert(strlen(json_string_value(v)) <= json_string_length(v));
    }

    json_decref(header);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                            rc;
    long                           n;
    size_t                         i, input_len, sig_len;
    json_t                        *claims;
    unsigned char                 *token, *sig;
    unsigned char                  mine[NGX_HTTP_SECAUTH_JWS_SIG_MAX];
    ngx_http_secauth_jws_parts_t   parts;

    token = malloc(size ? size : 1);
    fuzz_assert(token != NULL);
    memcpy(token, data, size);

    memset(&parts, 0, sizeof(parts));

    if (ngx_http_secauth_jws_split(token, size, &parts) != 0) {
        fuzz_assert(parts.header == NULL);
        free(token);
        return 0;
    }

    /* three non-empty segments, tiling the token with two dots */

    fuzz_assert(parts.header == token);
    fuzz_assert(parts.header_len && parts.payload_len
                && parts.signature_len);
    fuzz_assert(parts.payload == parts.header + parts.header_len + 1);
    fuzz_assert(parts.signature == parts.payload + parts.payload_len + 1);
    fuzz_assert(parts.signature + parts.signature_len == token + size);
    fuzz_assert(parts.payload[-1] == '.' && parts.signature[-1] == '.');
    fuzz_assert(ngx_http_secauth_b64url_valid(parts.header, parts.header_len)
                && ngx_http_secauth_b64url_valid(parts.payload,
                                                 parts.payload_len)
                && ngx_http_secauth_b64url_valid(parts.signature,
                                                 parts.signature_len));

    fuzz_header(parts.header, parts.header_len);

    claims = fuzz_json(parts.payload, parts.payload_len);
    json_decref(claims);

    input_len = parts.payload + parts.payload_len - parts.header;

    sig = malloc(ngx_http_secauth_b64url_decoded_len(parts.signature_len));
    fuzz_assert(sig != NULL);

    n = ngx_http_secauth_b64url_decode(sig, parts.signature,
                                       parts.signature_len);

    for (i = 0; i < FUZZ_NKEYS; i++) {

        /* what we sign verifies */

        fuzz_assert(ngx_http_secauth_jws_sign(&fuzz_keys[i], parts.header,
                                              input_len, mine, &sig_len)
                    == 0);
        fuzz_assert(ngx_http_secauth_jws_verify(&fuzz_keys[i], parts.header,
                                                input_len, mine, sig_len)
                    == 1);

        if (n <= 0) {
            continue;
        }

        rc = ngx_http_secauth_jws_verify(&fuzz_keys[i], parts.header,
                                         input_len, sig, n);

        fuzz_assert(rc == 0 || rc == 1);
        fuzz_assert(ERR_peek_error() == 0);

        /*
         * HS256, RS256 (PKCS #1 v1.5) and EdDSA signatures are
         * deterministic: one accepted is the one we make; ES256 and
         * PS256 ones are not
         */

        if (rc == 1 && (i < 2 || i == 4)) {
            fuzz_assert((size_t) n == sig_len
                        && memcmp(sig, mine, sig_len) == 0);
        }
    }

    free(sig);

    free(token);

    return 0;
}
