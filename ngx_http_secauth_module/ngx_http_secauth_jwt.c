
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_jwt_private.h"
#include "ngx_http_secauth_mfa.h"


/*
 * The bearer-token check of the gate. Our own strict pre-parse comes
 * first (RFC 8725; docs/jwt.md lists the rules), the signature is checked
 * with keys prepared at configuration time (ngx_http_secauth_jwt_key.c),
 * then the claims (_jwt_claims.c). Tokens that passed are remembered per
 * worker (_jwt_cache.c), exact copies found by their bytes, bound to the
 * key that verified them and never past their exp, so that a client
 * repeating its token costs a lookup, not parsing and a signature check;
 * revocation is checked whatever the cache says.
 */


static ngx_int_t ngx_http_secauth_jwt_decode(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *token,
    ngx_http_secauth_jws_key_t *only, ngx_array_t *fetched,
    ngx_http_secauth_jws_key_t **verified, json_t **claims, char **error);
static void ngx_http_secauth_jwt_claims_cleanup(void *data);
static ngx_int_t ngx_http_secauth_jwt_header(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_jws_key_t *only,
    ngx_array_t *fetched, ngx_http_secauth_jws_parts_t *parts,
    ngx_array_t *candidates, char **error);
static ngx_int_t ngx_http_secauth_jwt_signature(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, ngx_array_t *candidates,
    ngx_http_secauth_jws_key_t **verified);

static json_t *ngx_http_secauth_jwt_payload(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, char **error);
static ngx_int_t ngx_http_secauth_jwt_revocation(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, json_t *claims, ngx_flag_t ours);
static ngx_flag_t ngx_http_secauth_jwt_ours(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jws_key_t *key);
static ngx_int_t ngx_http_secauth_jwt_refuse(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, char *error);
static ngx_int_t ngx_http_secauth_jwt_accept(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, json_t *claims);


/* header parameters that would let the token choose its own key */
static const char  *ngx_http_secauth_jwt_forbidden[] = {
    "crit", "jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", NULL
};


ngx_int_t
ngx_http_secauth_jwt_check(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx,
    ngx_str_t *token)
{
    char                           *error;
    json_t                         *claims;
    ngx_int_t                       rc;
    ngx_array_t                    *fetched;
    ngx_http_secauth_jws_key_t     *key;
    ngx_http_secauth_loc_conf_t    *slcf;
    ngx_http_secauth_jwt_cache_t   *cache;
    ngx_http_secauth_jwt_times_t    times;
    ngx_http_secauth_jwt_cached_t  *cached;

    if (ctx->jwt == NGX_HTTP_SECAUTH_PENDING) {

        /* the revoked set has answered */

        if (ctx->jwt_op->rc == NGX_OK) {
            return ngx_http_secauth_jwt_refuse(r, ctx, "revoked");
        }

        if (ctx->jwt_op->rc == NGX_ERROR) {
            ctx->jwt = NGX_HTTP_SECAUTH_UNAVAILABLE;
            ngx_str_set(&ctx->error, "store_unavailable");
            return NGX_OK;
        }

        return ngx_http_secauth_jwt_accept(r, ctx, ctx->claims);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (token->len > slcf->jwt_max_size) {
        return ngx_http_secauth_jwt_refuse(r, ctx, "too_large");
    }

    /* the keys of secauth_jwt_key_request (_jwt_fetch.c), if any */

    fetched = NULL;

    if (slcf->jwt_fetch) {
        rc = ngx_http_secauth_jwt_fetch_keys(r, ctx, slcf, &fetched);

        if (rc == NGX_AGAIN || rc == NGX_ERROR) {
            return rc;
        }

        if (fetched == NULL && slcf->jwt_keys == NULL) {
            /* no key to check it with: not the client's fault, a 503 */
            ctx->jwt = NGX_HTTP_SECAUTH_UNAVAILABLE;
            ctx->keys_unavailable = 1;
            ngx_str_set(&ctx->error, "keys_unavailable");
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: bearer token not checked: no key "
                          "from secauth_jwt_key_request yet");
            return NGX_OK;
        }
    }

    /*
     * A token this worker has verified with one of this location's keys,
     * and that has not expired, is taken from the cache: no parsing, no
     * signature check. The time claims and revocation are checked below
     * all the same.
     */

    cache = ngx_http_secauth_jwt_cache(r);
    cached = cache ? ngx_http_secauth_jwt_cache_get(cache, token,
                                                    slcf->jwt_keys, fetched)
                   : NULL;

    if (cached) {
        key = cached->key;

        /* the claims own a reference now: released with the request */
        claims = json_incref(cached->claims);
        ctx->claims = claims;

        /* checked here before: only what time changes is checked again */

        error = (cached->checked == slcf)
                ? ngx_http_secauth_jwt_when(slcf, &cached->times)
                : ngx_http_secauth_jwt_claims(r, slcf, claims, "access", 1,
                                              &times);
        if (error) {
            return ngx_http_secauth_jwt_refuse(r, ctx, error);
        }

    } else {
        rc = ngx_http_secauth_jwt_decode(r, slcf, token, NULL, fetched,
                                         &key, &claims, &error);

        if (rc == NGX_ABORT && slcf->jwt_fetch) {
            /* no key for its kid or algorithm: perhaps a new one */
            rc = ngx_http_secauth_jwt_fetch_again(r, ctx, slcf);

            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            return ngx_http_secauth_jwt_refuse(r, ctx, error);
        }

        ctx->claims = claims;

        error = ngx_http_secauth_jwt_claims(r, slcf, claims, "access", 1,
                                            &times);
        if (error) {
            return ngx_http_secauth_jwt_refuse(r, ctx, error);
        }

        if (cache) {
            ngx_http_secauth_jwt_cache_put(cache, token, &times, claims, slcf,
                                           key, r->connection->log);
        }
    }

    if (ngx_http_secauth_jwt_revocation_on(slcf)) {
        return ngx_http_secauth_jwt_revocation(r, ctx, claims,
                       ngx_http_secauth_jwt_ours(slcf, key));
    }

    return ngx_http_secauth_jwt_accept(r, ctx, claims);
}


/*
 * Whether a key is the signing key: tokens it verified are the module's
 * own, with a family. Compared by what the key is, not by where: arrays
 * of keys are copied when they grow.
 */

static ngx_flag_t
ngx_http_secauth_jwt_ours(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jws_key_t *key)
{
    ngx_http_secauth_jws_key_t  *sk;

    sk = slcf->jwt_signing_key;

    return sk && key && key->alg == sk->alg && key->pkey == sk->pkey
           && key->mac == sk->mac;
}


/*
 * Shape, header and signature (with the location's keys and the fetched
 * ones, or only one), then the payload: NGX_OK and the claims (a
 * reference for the caller), NGX_DECLINED and why, NGX_ABORT (and why)
 * when no key has the token's kid or algorithm, or NGX_ERROR.
 */

static ngx_int_t
ngx_http_secauth_jwt_decode(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *token,
    ngx_http_secauth_jws_key_t *only, ngx_array_t *fetched,
    ngx_http_secauth_jws_key_t **verified, json_t **claims, char **error)
{
    ngx_int_t                      rc;
    ngx_array_t                    candidates;
    ngx_http_secauth_jws_parts_t   parts;

    if (ngx_http_secauth_jws_split(token->data, token->len, &parts) != 0) {
        *error = "malformed";
        return NGX_DECLINED;
    }

    if (ngx_array_init(&candidates, r->pool, 4,
                       sizeof(ngx_http_secauth_jws_key_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_secauth_jwt_header(r, slcf, only, fetched, &parts,
                                     &candidates, error);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_secauth_jwt_signature(r, &parts, &candidates, verified);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        *error = (rc == NGX_ABORT) ? "malformed" : "bad_signature";
        return NGX_DECLINED;
    }

    *claims = ngx_http_secauth_jwt_payload(r, &parts, error);

    return *claims ? NGX_OK : NGX_DECLINED;
}


/*
 * A token the module issued (docs/tokens.md), presented to the refresh,
 * revoke or logout location: checked as the gate checks a bearer token,
 * but against the signing key alone and for its kind ("access",
 * "refresh", or NULL: either); expired tokens pass when expired_ok
 * (revocation). NULL and the claims (released with the request), or the
 * reason it is refused.
 */

char *
ngx_http_secauth_jwt_issued(ngx_http_request_t *r, ngx_str_t *token,
    const char *kind, ngx_flag_t expired_ok, json_t **claims)
{
    char                         *error;
    ngx_int_t                     rc;
    ngx_pool_cleanup_t           *cln;
    ngx_http_secauth_jwt_times_t  times;
    ngx_http_secauth_jws_key_t   *verified;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (token->len == 0) {
        return "malformed";
    }

    if (token->len > slcf->jwt_max_size) {
        return "too_large";
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return "internal";
    }

    rc = ngx_http_secauth_jwt_decode(r, slcf, token, slcf->jwt_signing_key,
                                     NULL, &verified, claims, &error);
    if (rc == NGX_ERROR) {
        return "internal";
    }

    if (rc != NGX_OK) {
        return error;
    }

    cln->handler = ngx_http_secauth_jwt_claims_cleanup;
    cln->data = *claims;

    return ngx_http_secauth_jwt_claims(r, slcf, *claims, kind, !expired_ok,
                                       &times);
}


static void
ngx_http_secauth_jwt_claims_cleanup(void *data)
{
    json_decref(data);
}


/*
 * The header, parsed by us: a JSON object with unique keys, "alg" exactly
 * one of the configured algorithms, no parameter that names a key, "kid"
 * only as a choice among the configured keys. Collects the keys to try.
 */

static ngx_int_t
ngx_http_secauth_jwt_header(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_jws_key_t *only,
    ngx_array_t *fetched, ngx_http_secauth_jws_parts_t *parts,
    ngx_array_t *candidates, char **error)
{
    int                           alg;
    long                          n;
    u_char                       *buf;
    json_t                       *header, *v;
    size_t                        kid_len;
    ngx_uint_t                    i, s, nkeys, alg_known;
    const char                   *kid, **f;
    ngx_array_t                  *set;
    json_error_t                  err;
    ngx_http_secauth_jws_key_t   *keys, **c;

    buf = ngx_pnalloc(r->pool,
                      ngx_http_secauth_b64url_decoded_len(parts->header_len));
    if (buf == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_secauth_b64url_decode(buf, parts->header, parts->header_len);

    *error = "malformed";

    if (n <= 0) {
        return NGX_DECLINED;
    }

    header = json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, &err);

    if (header == NULL) {
        return NGX_DECLINED;
    }

    if (!json_is_object(header)) {
        goto refused;
    }

    v = json_object_get(header, "alg");

    *error = "bad_alg";

    if (!json_is_string(v)) {
        goto refused;
    }

    alg = ngx_http_secauth_jws_alg((u_char *) json_string_value(v),
                                   json_string_length(v));

    if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
        goto refused;
    }

    *error = "bad_header";

    for (f = ngx_http_secauth_jwt_forbidden; *f; f++) {
        if (json_object_get(header, *f)) {
            goto refused;
        }
    }

    v = json_object_get(header, "typ");

    if (v) {
        *error = "wrong_token_type";

        if (!json_is_string(v)
            || (strcasecmp(json_string_value(v), "JWT") != 0
                && strcasecmp(json_string_value(v), "at+jwt") != 0))
        {
            goto refused;
        }
    }

    kid = NULL;
    kid_len = 0;

    v = json_object_get(header, "kid");

    if (v) {
        *error = "unknown_kid";

        if (!json_is_string(v)) {
            goto refused;
        }

        kid = json_string_value(v);
        kid_len = json_string_length(v);
    }

    alg_known = 0;

    /* only one key, or the location's and then the fetched ones */

    for (s = 0; s < 2; s++) {

        if (only) {
            keys = only;
            nkeys = (s == 0);

        } else {
            set = (s == 0) ? slcf->jwt_keys : fetched;
            keys = set ? set->elts : NULL;
            nkeys = set ? set->nelts : 0;
        }

        for (i = 0; i < nkeys; i++) {

            if (keys[i].alg != alg) {
                continue;
            }

            alg_known = 1;

            if (kid && (keys[i].kid_len != kid_len
                        || ngx_memcmp(keys[i].kid, kid, kid_len) != 0))
            {
                continue;
            }

            c = ngx_array_push(candidates);
            if (c == NULL) {
                json_decref(header);
                return NGX_ERROR;
            }

            *c = &keys[i];
        }
    }

    if (candidates->nelts == 0) {
        *error = alg_known ? "unknown_kid" : "bad_alg";
        json_decref(header);
        return NGX_ABORT;
    }

    json_decref(header);

    return NGX_OK;

refused:

    json_decref(header);

    return NGX_DECLINED;
}


/* NGX_ABORT: the signature is not canonical base64url */

static ngx_int_t
ngx_http_secauth_jwt_signature(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, ngx_array_t *candidates,
    ngx_http_secauth_jws_key_t **verified)
{
    int                           rc;
    long                          n;
    u_char                       *sig;
    size_t                        input_len;
    ngx_uint_t                    i;
    ngx_http_secauth_jws_key_t  **key;

    sig = ngx_pnalloc(r->pool,
                      ngx_http_secauth_b64url_decoded_len(
                          parts->signature_len));
    if (sig == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_secauth_b64url_decode(sig, parts->signature,
                                       parts->signature_len);
    if (n <= 0) {
        return NGX_ABORT;
    }

    /* the signing input is "header.payload", as sent */
    input_len = parts->payload + parts->payload_len - parts->header;

    key = candidates->elts;

    for (i = 0; i < candidates->nelts; i++) {

        rc = ngx_http_secauth_jws_verify(key[i], parts->header, input_len,
                                         sig, n);
        if (rc == 1) {
            *verified = key[i];
            return NGX_OK;
        }

        if (rc < 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "secauth: signature check failed in OpenSSL");
            return NGX_ERROR;
        }
    }

    return NGX_DECLINED;
}


static json_t *
ngx_http_secauth_jwt_payload(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, char **error)
{
    long          n;
    u_char       *buf;
    json_t       *claims;
    json_error_t  err;

    *error = "malformed";

    buf = ngx_pnalloc(r->pool,
                      ngx_http_secauth_b64url_decoded_len(parts->payload_len));
    if (buf == NULL) {
        return NULL;
    }

    n = ngx_http_secauth_b64url_decode(buf, parts->payload,
                                       parts->payload_len);
    if (n <= 0) {
        return NULL;
    }

    claims = json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, &err);

    if (claims == NULL) {
        /* a number beyond 64 bits is a bad claim, not bad JSON */
        if (ngx_strstr(err.text, "too big") != NULL) {
            *error = "bad_claims";
        }

        return NULL;
    }

    if (!json_is_object(claims)) {
        json_decref(claims);
        return NULL;
    }

    return claims;
}


/*
 * SHA-256(iss "\n" jti) in the store's revoked set; for a token the module
 * issued ("fam"), also its family, which revocation deletes
 */

static ngx_int_t
ngx_http_secauth_jwt_revocation(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, json_t *claims, ngx_flag_t ours)
{
    json_t                        *jti, *iss, *fam, *sub;
    ngx_int_t                      rc;
    ngx_str_t                      parts[3];
    ngx_http_secauth_store_op_t   *op;

    jti = json_object_get(claims, "jti");

    /* "fam" means a family only in the module's own tokens */
    fam = ours ? json_object_get(claims, NGX_HTTP_SECAUTH_FAMILY_CLAIM)
               : NULL;

    if (jti == NULL && fam == NULL) {
        /* nothing names this token: it cannot have been revoked */
        return ngx_http_secauth_jwt_accept(r, ctx, claims);
    }

    if (!json_is_string(jti) || json_string_length(jti) == 0
        || json_string_length(jti) > 256
        || (fam && (!json_is_string(fam) || json_string_length(fam) == 0
                    || json_string_length(fam) > NGX_HTTP_SECAUTH_ID_MAX)))
    {
        return ngx_http_secauth_jwt_refuse(r, ctx, "bad_claims");
    }

    iss = json_object_get(claims, "iss");

    op = ngx_http_secauth_new_op(r, &ctx->jwt_op);
    if (op == NULL) {
        return NGX_ERROR;
    }

    if (fam) {
        op->family = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_family_t));
        if (op->family == NULL) {
            return NGX_ERROR;
        }

        sub = json_object_get(claims, "sub");

        op->family->id.data = (u_char *) json_string_value(fam);
        op->family->id.len = json_string_length(fam);
        op->session.user.data = (u_char *) json_string_value(sub);
        op->session.user.len = json_string_length(sub);
    }

    /* SHA-256(iss "\n" jti), iss empty when absent */

    ngx_str_null(&parts[0]);

    if (json_is_string(iss)) {
        parts[0].data = (u_char *) json_string_value(iss);
        parts[0].len = json_string_length(iss);
    }

    ngx_str_set(&parts[1], "\n");
    parts[2].data = (u_char *) json_string_value(jti);
    parts[2].len = json_string_length(jti);

    if (ngx_http_secauth_sha256(parts, 3, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_secauth_store_wait(r, ctx, op);
    ctx->jwt = NGX_HTTP_SECAUTH_PENDING;

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                     revoked_check, op);
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->waiting = 0;

    return ngx_http_secauth_jwt_check(r, ctx, NULL);
}


static ngx_int_t
ngx_http_secauth_jwt_accept(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx,
    json_t *claims)
{
    json_t  *sub;

    sub = json_object_get(claims, "sub");

    /* how the user authenticated, for secauth_mfa and $secauth_amr */

    if (ngx_http_secauth_mfa_amr_claim(r->pool,
                                       json_object_get(claims, "amr"),
                                       &ctx->level, &ctx->amr)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->user.data = (u_char *) json_string_value(sub);
    ctx->user.len = json_string_length(sub);
    ctx->jwt = NGX_HTTP_SECAUTH_VALID;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: bearer token of \"%V\"", &ctx->user);

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_jwt_refuse(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx,
    char *error)
{
    ctx->jwt = NGX_HTTP_SECAUTH_INVALID;
    ctx->error.data = (u_char *) error;
    ctx->error.len = ngx_strlen(error);

    /* the token itself is never logged */

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: bearer token refused: %s", error);

    return NGX_OK;
}
