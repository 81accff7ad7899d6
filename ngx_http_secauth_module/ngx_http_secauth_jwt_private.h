
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWT_PRIVATE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWT_PRIVATE_H_INCLUDED_


/*
 * What the files of the bearer-token check share, and nothing else
 * includes: the verification flow (ngx_http_secauth_jwt.c) calls the
 * claim checks (_jwt_claims.c) and the token cache (_jwt_cache.c); those
 * two call neither each other nor back.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"


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


/* the cache itself is the cache file's own */
typedef struct ngx_http_secauth_jwt_cache_s  ngx_http_secauth_jwt_cache_t;


/*
 * NULL: the claims are acceptable (times filled in); else the reason.
 * kind: "access", "refresh", or NULL for either of the module's own;
 * expiry: whether exp, nbf and iat are checked against the clock now.
 */
char *ngx_http_secauth_jwt_claims(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, json_t *claims, const char *kind,
    ngx_flag_t expiry, ngx_http_secauth_jwt_times_t *t);
/* the checks that time alone changes: NULL, "expired" or "not_yet_valid" */
char *ngx_http_secauth_jwt_when(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jwt_times_t *t);

/* the worker's cache, created on first use; NULL when out of memory */
ngx_http_secauth_jwt_cache_t *ngx_http_secauth_jwt_cache(
    ngx_http_request_t *r);
/* an unexpired exact copy of token verified by one of keys or fetched */
ngx_http_secauth_jwt_cached_t *ngx_http_secauth_jwt_cache_get(
    ngx_http_secauth_jwt_cache_t *cache, ngx_str_t *token, ngx_array_t *keys,
    ngx_array_t *fetched);
/* remembers a verified token (a reference to claims); best effort */
void ngx_http_secauth_jwt_cache_put(ngx_http_secauth_jwt_cache_t *cache,
    ngx_str_t *token, ngx_http_secauth_jwt_times_t *t, json_t *claims,
    void *checked, ngx_http_secauth_jws_key_t *key, ngx_log_t *log);


/* forgets every token (the keys that verified them are gone) */
void ngx_http_secauth_jwt_cache_flush(ngx_http_secauth_jwt_cache_t *cache);

/*
 * The keys of a JWK Set (or of one JWK) into *keys (_jwt_key.c); fetched:
 * from secauth_jwt_key_request. NULL, or why the set is refused.
 */
char *ngx_http_secauth_jwt_key_set(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *what, ngx_array_t **keys, json_t *set, int alg,
    ngx_flag_t fetched);

/* the fetched keys (_jwt_fetch.c): NGX_OK, NGX_AGAIN, NGX_DECLINED */
ngx_int_t ngx_http_secauth_jwt_fetch_keys(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf,
    ngx_array_t **keys);
/* a token's key is unknown: NGX_AGAIN (fetched again) or NGX_DECLINED */
ngx_int_t ngx_http_secauth_jwt_fetch_again(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf);


#endif /* _NGX_HTTP_SECAUTH_JWT_PRIVATE_H_INCLUDED_ */
