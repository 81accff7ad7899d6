
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"


/*
 * The bearer-token check of the gate. Our own strict pre-parse comes
 * first (RFC 8725; docs/jwt.md lists the rules), the signature is checked
 * with keys prepared at configuration time, then the claims. Tokens that
 * passed are remembered per worker, exact copies found by their bytes,
 * bound to the key that verified them and never past their exp, so that
 * a client repeating its token costs a lookup, not parsing and a
 * signature check; revocation is checked whatever the cache says.
 */


/* the time claims of a token; nbf and iat NGX_CONF_UNSET when absent */
typedef struct {
    time_t                      exp;
    time_t                      nbf;
    time_t                      iat;
} ngx_http_secauth_jwt_times_t;


/*
 * A token is found by a hash of its last bytes (the signature's), and is
 * a hit only if every byte is the same: an exact copy of a token that
 * verified. No cryptographic hash is needed for that, and none is made.
 */
typedef struct {
    ngx_rbtree_node_t           node;       /* key: murmur of the tail */
    ngx_queue_t                 lru;
    ngx_http_secauth_jwt_times_t times;
    json_t                     *claims;

    /* the location whose other claim checks it passed */
    void                       *checked;

    /* the key that verified it: a hit counts only where that key is used */
    ngx_http_secauth_jws_key_t *key;

    size_t                      len;
    u_char                      token[1];   /* len bytes */
} ngx_http_secauth_jwt_cached_t;


#define NGX_HTTP_SECAUTH_JWT_CACHE_TAIL  32


typedef struct {
    ngx_rbtree_t                tree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;
    ngx_uint_t                  count;
} ngx_http_secauth_jwt_cache_t;


static ngx_int_t ngx_http_secauth_jwt_decode(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *token,
    ngx_http_secauth_jws_key_t *only, ngx_http_secauth_jws_key_t **verified,
    json_t **claims, char **error);
static void ngx_http_secauth_jwt_claims_cleanup(void *data);
static ngx_int_t ngx_http_secauth_jwt_header(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_jws_key_t *only,
    ngx_http_secauth_jws_parts_t *parts, ngx_array_t *candidates,
    char **error);
static ngx_int_t ngx_http_secauth_jwt_signature(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, ngx_array_t *candidates,
    ngx_http_secauth_jws_key_t **verified);

static json_t *ngx_http_secauth_jwt_payload(ngx_http_request_t *r,
    ngx_http_secauth_jws_parts_t *parts, char **error);
static char *ngx_http_secauth_jwt_claims(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, json_t *claims, const char *kind,
    ngx_flag_t expiry, ngx_http_secauth_jwt_times_t *t);
static char *ngx_http_secauth_jwt_when(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jwt_times_t *t);
static ngx_int_t ngx_http_secauth_jwt_time(json_t *claims, const char *name,
    ngx_flag_t required, time_t *t);
static ngx_int_t ngx_http_secauth_jwt_audience(json_t *aud, ngx_str_t *want);
static ngx_int_t ngx_http_secauth_jwt_revocation(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, json_t *claims, ngx_flag_t ours);
static ngx_flag_t ngx_http_secauth_jwt_ours(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jws_key_t *key);
static ngx_int_t ngx_http_secauth_jwt_refuse(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, char *error);
static ngx_int_t ngx_http_secauth_jwt_accept(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, json_t *claims);
static ngx_http_secauth_jwt_cache_t *ngx_http_secauth_jwt_cache(
    ngx_http_request_t *r);
static uint32_t ngx_http_secauth_jwt_cache_key(ngx_str_t *token);
static ngx_http_secauth_jwt_cached_t *ngx_http_secauth_jwt_cache_get(
    ngx_http_secauth_jwt_cache_t *cache, ngx_str_t *token, ngx_array_t *keys);
static ngx_http_secauth_jwt_cached_t *ngx_http_secauth_jwt_cache_find(
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel,
    ngx_rbtree_key_t key, ngx_str_t *token, ngx_array_t *keys);
static void ngx_http_secauth_jwt_cache_put(
    ngx_http_secauth_jwt_cache_t *cache, ngx_str_t *token,
    ngx_http_secauth_jwt_times_t *t, json_t *claims, void *checked,
    ngx_http_secauth_jws_key_t *key, ngx_log_t *log);
static void ngx_http_secauth_jwt_cache_remove(
    ngx_http_secauth_jwt_cache_t *cache, ngx_http_secauth_jwt_cached_t *e);
static void ngx_http_secauth_jwt_cache_cleanup(void *data);
static void ngx_http_secauth_jwt_key_cleanup(void *data);


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

    /*
     * A token this worker has verified with one of this location's keys,
     * and that has not expired, is taken from the cache: no parsing, no
     * signature check. The time claims and revocation are checked below
     * all the same.
     */

    cache = ngx_http_secauth_jwt_cache(r);
    cached = cache ? ngx_http_secauth_jwt_cache_get(cache, token,
                                                    slcf->jwt_keys)
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
        rc = ngx_http_secauth_jwt_decode(r, slcf, token, NULL, &key,
                                         &claims, &error);
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
 * Shape, header and signature (with the location's keys, or only one),
 * then the payload: NGX_OK and the claims (a reference for the caller),
 * NGX_DECLINED and why, or NGX_ERROR.
 */

static ngx_int_t
ngx_http_secauth_jwt_decode(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *token,
    ngx_http_secauth_jws_key_t *only, ngx_http_secauth_jws_key_t **verified,
    json_t **claims, char **error)
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

    rc = ngx_http_secauth_jwt_header(r, slcf, only, &parts, &candidates,
                                     error);
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
                                     &verified, claims, &error);
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
    ngx_http_secauth_jws_parts_t *parts, ngx_array_t *candidates,
    char **error)
{
    int                           alg;
    long                          n;
    u_char                       *buf;
    json_t                       *header, *v;
    size_t                        kid_len;
    ngx_uint_t                    i, nkeys, alg_known;
    const char                   *kid, **f;
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

    if (only) {
        keys = only;
        nkeys = 1;

    } else if (slcf->jwt_keys) {
        keys = slcf->jwt_keys->elts;
        nkeys = slcf->jwt_keys->nelts;

    } else {
        keys = NULL;
        nkeys = 0;
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

    if (candidates->nelts == 0) {
        *error = alg_known ? "unknown_kid" : "bad_alg";
        goto refused;
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


/* NULL: the claims are acceptable; else the reason */

static char *
ngx_http_secauth_jwt_claims(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, json_t *claims, const char *kind,
    ngx_flag_t expiry, ngx_http_secauth_jwt_times_t *t)
{
    char    *error;
    json_t  *v;

    if (ngx_http_secauth_jwt_time(claims, "exp", 1, &t->exp) != NGX_OK
        || ngx_http_secauth_jwt_time(claims, "nbf", 0, &t->nbf) != NGX_OK
        || ngx_http_secauth_jwt_time(claims, "iat", 0, &t->iat) != NGX_OK)
    {
        return "bad_claims";
    }

    if (expiry) {
        error = ngx_http_secauth_jwt_when(slcf, t);

        if (error) {
            return error;
        }
    }

    v = json_object_get(claims, "sub");

    /* the user goes into headers for the backend: text only */

    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > NGX_HTTP_SECAUTH_USER_MAX
        || ngx_http_secauth_is_text((u_char *) json_string_value(v),
                                    json_string_length(v))
           != NGX_OK)
    {
        return "bad_claims";
    }

    /* outside issuers' tokens carry no kind: access tokens (RFC 8725) */

    v = json_object_get(claims, NGX_HTTP_SECAUTH_TOKEN_USE);

    if (kind == NULL) {
        /* either kind of the module's own (revocation) */

        if (!json_is_string(v)
            || (ngx_strcmp(json_string_value(v), "access") != 0
                && ngx_strcmp(json_string_value(v), "refresh") != 0))
        {
            return "wrong_token_type";
        }

    } else if (v ? (!json_is_string(v)
                    || ngx_strcmp(json_string_value(v), kind) != 0)
                 : ngx_strcmp(kind, "access") != 0)
    {
        return "wrong_token_type";
    }

    if (slcf->jwt_issuer.len) {
        v = json_object_get(claims, "iss");

        if (!json_is_string(v)
            || json_string_length(v) != slcf->jwt_issuer.len
            || ngx_memcmp(json_string_value(v), slcf->jwt_issuer.data,
                          slcf->jwt_issuer.len)
               != 0)
        {
            return "bad_issuer";
        }
    }

    if (slcf->jwt_audience.len
        && ngx_http_secauth_jwt_audience(json_object_get(claims, "aud"),
                                         &slcf->jwt_audience)
           != NGX_OK)
    {
        return "bad_audience";
    }

    return NULL;
}


/* the checks that time alone changes, on every request */

static char *
ngx_http_secauth_jwt_when(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jwt_times_t *t)
{
    time_t  now;

    now = ngx_time();

    if (now >= t->exp + slcf->jwt_leeway) {
        return "expired";
    }

    if ((t->nbf != NGX_CONF_UNSET && t->nbf > now + slcf->jwt_leeway)
        || (t->iat != NGX_CONF_UNSET && t->iat > now + slcf->jwt_leeway))
    {
        return "not_yet_valid";
    }

    return NULL;
}


/* integers only (RFC 7519 NumericDate, as the module requires) */

static ngx_int_t
ngx_http_secauth_jwt_time(json_t *claims, const char *name,
    ngx_flag_t required, time_t *t)
{
    json_t      *v;
    json_int_t   n;

    *t = NGX_CONF_UNSET;

    v = json_object_get(claims, name);

    if (v == NULL) {
        return required ? NGX_ERROR : NGX_OK;
    }

    if (!json_is_integer(v)) {
        return NGX_ERROR;
    }

    n = json_integer_value(v);

    /* 0 .. year 10000: no overflow when the leeway is added */
    if (n < 0 || n > 253402300799LL) {
        return NGX_ERROR;
    }

    *t = (time_t) n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_jwt_audience(json_t *aud, ngx_str_t *want)
{
    size_t   i;
    json_t  *v;

    if (json_is_string(aud)) {
        return (json_string_length(aud) == want->len
                && ngx_memcmp(json_string_value(aud), want->data, want->len)
                   == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    if (!json_is_array(aud)) {
        return NGX_DECLINED;
    }

    json_array_foreach(aud, i, v) {
        if (json_is_string(v)
            && json_string_length(v) == want->len
            && ngx_memcmp(json_string_value(v), want->data, want->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
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


void
ngx_http_secauth_jwt_release(ngx_http_secauth_ctx_t *ctx)
{
    if (ctx->claims) {
        json_decref(ctx->claims);
        ctx->claims = NULL;
    }
}


/* $secauth_claim_NAME: strings, integers, reals and booleans as text */

ngx_int_t
ngx_http_secauth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    u_char                  *p;
    json_t                  *claim;
    ngx_str_t                name;
    ngx_http_secauth_ctx_t  *ctx;
    u_char                   buf[NGX_HTTP_SECAUTH_USER_MAX + 1];

    v->not_found = 1;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL || ctx->claims == NULL
        || ctx->jwt != NGX_HTTP_SECAUTH_VALID)
    {
        return NGX_OK;
    }

    name.data = var->data + sizeof("secauth_claim_") - 1;
    name.len = var->len - (sizeof("secauth_claim_") - 1);

    if (name.len == 0 || name.len > NGX_HTTP_SECAUTH_USER_MAX) {
        return NGX_OK;
    }

    p = ngx_cpymem(buf, name.data, name.len);
    *p = '\0';

    claim = json_object_get(ctx->claims, (char *) buf);

    if (json_is_string(claim)) {

        /* CR, LF, NUL... would split the headers it is put into */

        if (ngx_http_secauth_is_text((u_char *) json_string_value(claim),
                                     json_string_length(claim))
            != NGX_OK)
        {
            return NGX_OK;
        }

        v->data = (u_char *) json_string_value(claim);
        v->len = json_string_length(claim);

    } else if (json_is_integer(claim)) {
        v->data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(v->data, "%L",
                             (int64_t) json_integer_value(claim))
                 - v->data;

    } else if (json_is_boolean(claim)) {
        v->data = (u_char *) (json_is_true(claim) ? "true" : "false");
        v->len = json_is_true(claim) ? 4 : 5;

    } else {
        return NGX_OK;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* the per-worker cache of verified asymmetric tokens */

static ngx_http_secauth_jwt_cache_t *
ngx_http_secauth_jwt_cache(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_secauth_jwt_cache_t  *cache;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->jwt_cache) {
        return smcf->jwt_cache;
    }

    cache = ngx_pcalloc(ngx_cycle->pool, sizeof(ngx_http_secauth_jwt_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    /* the entries are on the heap: freed with the cycle's pool at exit */

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ngx_rbtree_init(&cache->tree, &cache->sentinel,
                    ngx_rbtree_insert_value);
    ngx_queue_init(&cache->lru);

    cln->handler = ngx_http_secauth_jwt_cache_cleanup;
    cln->data = cache;

    smcf->jwt_cache = cache;

    return cache;
}


static uint32_t
ngx_http_secauth_jwt_cache_key(ngx_str_t *token)
{
    size_t  n;

    n = ngx_min(token->len, NGX_HTTP_SECAUTH_JWT_CACHE_TAIL);

    return ngx_murmur_hash2(token->data + token->len - n, n);
}


static ngx_http_secauth_jwt_cached_t *
ngx_http_secauth_jwt_cache_get(ngx_http_secauth_jwt_cache_t *cache,
    ngx_str_t *token, ngx_array_t *keys)
{
    ngx_http_secauth_jwt_cached_t  *e;

    if (keys == NULL) {
        return NULL;
    }

    e = ngx_http_secauth_jwt_cache_find(cache->tree.root,
                                        cache->tree.sentinel,
                                        ngx_http_secauth_jwt_cache_key(token),
                                        token, keys);
    if (e == NULL) {
        return NULL;
    }

    if (ngx_time() >= e->times.exp) {
        ngx_http_secauth_jwt_cache_remove(cache, e);
        return NULL;
    }

    ngx_queue_remove(&e->lru);
    ngx_queue_insert_head(&cache->lru, &e->lru);

    return e;
}


/*
 * An entry of exactly these bytes, verified by a key of this location.
 * Entries of equal hashes (the same token verified in locations with keys
 * of their own, or a collision) may sit on either side of each other once
 * the tree rebalances: both sides are searched.
 */

static ngx_http_secauth_jwt_cached_t *
ngx_http_secauth_jwt_cache_find(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel, ngx_rbtree_key_t key, ngx_str_t *token,
    ngx_array_t *keys)
{
    ngx_http_secauth_jws_key_t     *k;
    ngx_http_secauth_jwt_cached_t  *e;

    while (node != sentinel && key != node->key) {
        node = (key < node->key) ? node->left : node->right;
    }

    if (node == sentinel) {
        return NULL;
    }

    e = (ngx_http_secauth_jwt_cached_t *) node;
    k = keys->elts;

    if (e->len == token->len
        && ngx_memcmp(e->token, token->data, token->len) == 0
        && e->key >= k && e->key < k + keys->nelts)
    {
        return e;
    }

    e = ngx_http_secauth_jwt_cache_find(node->left, sentinel, key, token,
                                        keys);
    if (e) {
        return e;
    }

    return ngx_http_secauth_jwt_cache_find(node->right, sentinel, key, token,
                                           keys);
}


static void
ngx_http_secauth_jwt_cache_put(ngx_http_secauth_jwt_cache_t *cache,
    ngx_str_t *token, ngx_http_secauth_jwt_times_t *t, json_t *claims,
    void *checked, ngx_http_secauth_jws_key_t *key, ngx_log_t *log)
{
    ngx_queue_t                    *q;
    ngx_http_secauth_jwt_cached_t  *e;

    if (t->exp <= ngx_time()) {
        return;
    }

    if (cache->count >= NGX_HTTP_SECAUTH_JWT_CACHE_MAX) {
        q = ngx_queue_last(&cache->lru);
        e = ngx_queue_data(q, ngx_http_secauth_jwt_cached_t, lru);
        ngx_http_secauth_jwt_cache_remove(cache, e);
    }

    e = ngx_alloc(offsetof(ngx_http_secauth_jwt_cached_t, token) + token->len,
                  log);
    if (e == NULL) {
        return;
    }

    e->node.key = ngx_http_secauth_jwt_cache_key(token);
    e->times = *t;
    e->claims = json_incref(claims);
    e->checked = checked;
    e->key = key;
    e->len = token->len;
    ngx_memcpy(e->token, token->data, token->len);

    ngx_rbtree_insert(&cache->tree, &e->node);
    ngx_queue_insert_head(&cache->lru, &e->lru);
    cache->count++;
}


static void
ngx_http_secauth_jwt_cache_remove(ngx_http_secauth_jwt_cache_t *cache,
    ngx_http_secauth_jwt_cached_t *e)
{
    ngx_rbtree_delete(&cache->tree, &e->node);
    ngx_queue_remove(&e->lru);
    json_decref(e->claims);
    ngx_explicit_memzero(e->token, e->len);
    ngx_free(e);
    cache->count--;
}


static void
ngx_http_secauth_jwt_cache_cleanup(void *data)
{
    ngx_http_secauth_jwt_cache_t *cache = data;

    ngx_queue_t                    *q;
    ngx_http_secauth_jwt_cached_t  *e;

    while (!ngx_queue_empty(&cache->lru)) {
        q = ngx_queue_head(&cache->lru);
        e = ngx_queue_data(q, ngx_http_secauth_jwt_cached_t, lru);
        ngx_http_secauth_jwt_cache_remove(cache, e);
    }
}


/*
 * secauth_jwt_key ALG PATH [kid=ID];
 * secauth_jwt_signing_key ALG PATH [kid=ID];
 *
 * Keys are read and prepared here, once. The signing key (a private key,
 * or the HS secret) also verifies.
 */

char *
ngx_http_secauth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    int                          alg;
    BIO                         *bio;
    u_char                      *buf;
    ssize_t                      n;
    EVP_PKEY                    *pkey, *other;
    ngx_fd_t                     fd;
    ngx_str_t                   *value, path, kid;
    ngx_flag_t                   signing;
    const char                  *err;
    ngx_file_info_t              fi;
    ngx_pool_cleanup_t          *cln;
    ngx_http_secauth_jws_key_t  *key;

    value = cf->args->elts;
    signing = (cmd->name.len == sizeof("secauth_jwt_signing_key") - 1);

    alg = ngx_http_secauth_jws_alg(value[1].data, value[1].len);

    if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": unknown algorithm \"%V\", expected "
                           "HS256, HS384, HS512, RS256, RS384, RS512, "
                           "ES256, ES384 or ES512", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&kid);

    if (cf->args->nelts == 4) {
        if (ngx_strncmp(value[3].data, "kid=", 4) != 0 || value[3].len == 4) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\"",
                               &value[3], &cmd->name);
            return NGX_CONF_ERROR;
        }

        kid.data = value[3].data + 4;
        kid.len = value[3].len - 4;
    }

    if (signing && slcf->jwt_signing_key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    path = value[2];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": cannot open \"%V\"", &cmd->name, &path);
        return NGX_CONF_ERROR;
    }

    n = -1;
    buf = ngx_pnalloc(cf->temp_pool, 64 * 1024 + 1);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= 64 * 1024)
    {
        n = ngx_read_fd(fd, buf, ngx_file_size(&fi));
    }

    (void) ngx_close_file(fd);

    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": cannot read \"%V\" (at most 64k)",
                           &cmd->name, &path);
        return NGX_CONF_ERROR;
    }

    if (slcf->jwt_keys == NGX_CONF_UNSET_PTR) {
        slcf->jwt_keys = ngx_array_create(cf->pool, 2,
                                          sizeof(ngx_http_secauth_jws_key_t));
        if (slcf->jwt_keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    key = ngx_array_push(slcf->jwt_keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    /* a refused file frees the slot before the key's init has cleared it */
    ngx_memzero(key, sizeof(ngx_http_secauth_jws_key_t));

    pkey = NULL;

    if (ngx_http_secauth_jws_is_hmac(alg)) {

        /* a PEM is a public document, never an HMAC secret */

        if (ngx_strnstr(buf, "-----BEGIN", n) != NULL) {
            err = "needs a random secret, not a PEM file";
            goto failed;
        }

        err = ngx_http_secauth_jws_key_init(key, alg, buf, n, NULL);

    } else {
        bio = BIO_new_mem_buf(buf, (int) n);
        if (bio == NULL) {
            return NGX_CONF_ERROR;
        }

        if (signing) {
            pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
            err = pkey ? NULL : "needs a PEM private key";

        } else {
            pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
            err = pkey ? NULL : "needs a PEM public key "
                                "(\"BEGIN PUBLIC KEY\")";

            if (pkey == NULL) {
                (void) BIO_reset(bio);
                other = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

                if (other) {
                    err = "needs the public key, not a private key";
                    EVP_PKEY_free(other);
                }
            }
        }

        BIO_free(bio);

        if (err == NULL) {
            err = ngx_http_secauth_jws_key_init(key, alg, NULL, 0, pkey);
        }
    }

    if (pkey) {
        EVP_PKEY_free(pkey);
    }

    ngx_explicit_memzero(buf, n);

    if (err) {
        goto failed;
    }

    if (kid.len) {
        key->kid = kid.data;
        key->kid_len = kid.len;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_http_secauth_jws_key_free(key);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_secauth_jwt_key_cleanup;
    cln->data = key;

    if (signing) {
        slcf->jwt_signing_key = key;
    }

    return NGX_CONF_OK;

failed:

    ngx_http_secauth_jws_key_free(key);
    slcf->jwt_keys->nelts--;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %V: \"%V\" %s",
                       &cmd->name, &value[1], &path, err);

    return NGX_CONF_ERROR;
}


static void
ngx_http_secauth_jwt_key_cleanup(void *data)
{
    ngx_http_secauth_jws_key_free(data);
}


char *
ngx_http_secauth_jwt_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *prev,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->jwt_keys, prev->jwt_keys, NULL);
    ngx_conf_merge_ptr_value(conf->jwt_signing_key, prev->jwt_signing_key,
                             NULL);
    ngx_conf_merge_str_value(conf->jwt_issuer, prev->jwt_issuer, "");
    ngx_conf_merge_str_value(conf->jwt_audience, prev->jwt_audience, "");
    ngx_conf_merge_sec_value(conf->jwt_leeway, prev->jwt_leeway, 30);
    ngx_conf_merge_size_value(conf->jwt_max_size, prev->jwt_max_size,
                              NGX_HTTP_SECAUTH_JWT_MAX_SIZE);
    ngx_conf_merge_sec_value(conf->jwt_access_ttl, prev->jwt_access_ttl,
                             15 * 60);
    ngx_conf_merge_sec_value(conf->jwt_refresh_ttl, prev->jwt_refresh_ttl,
                             7 * 24 * 60 * 60);

    /*
     * unset stays unset: "on where a signing key is", decided where the
     * key is known (ngx_http_secauth_jwt_revocation_on())
     */
    if (conf->jwt_revocation == NGX_CONF_UNSET) {
        conf->jwt_revocation = prev->jwt_revocation;
    }

    if (conf->jwt_access_ttl <= 0 || conf->jwt_refresh_ttl <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_jwt_access_ttl\" and "
                           "\"secauth_jwt_refresh_ttl\" must be positive");
        return NGX_CONF_ERROR;
    }

    if ((conf->handler == NGX_HTTP_SECAUTH_HANDLER_REFRESH
         || conf->handler == NGX_HTTP_SECAUTH_HANDLER_REVOKE)
        && conf->jwt_signing_key == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs \"secauth_jwt_signing_key\"",
                           conf->handler == NGX_HTTP_SECAUTH_HANDLER_REFRESH
                           ? "secauth_refresh" : "secauth_revoke");
        return NGX_CONF_ERROR;
    }

    if (conf->mode == NGX_HTTP_SECAUTH_JWT && conf->jwt_keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth jwt\" needs \"secauth_jwt_key\" or "
                           "\"secauth_jwt_signing_key\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
