
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_jwt_private.h"


/*
 * secauth_jwt_key_request: the JWK Set of an identity provider, fetched
 * through a subrequest to a location of the operator's (typically a
 * proxy_pass to the provider's jwks_uri), as NGINX Plus's
 * auth_jwt_key_request does. Each worker keeps the set it fetched last:
 *
 *   - no set yet: the request waits for the fetch (at most timeout=),
 *     and every request that comes meanwhile waits for the same fetch;
 *   - a set past its time (Cache-Control max-age, else
 *     secauth_jwt_key_cache): used all the same, while a fetch in the
 *     background brings the new one;
 *   - a token whose kid (or algorithm) no key has: one fetch, which the
 *     request waits for, then the token is checked once more; at most
 *     one fetch per refresh= interval, however many such tokens come;
 *   - a fetch that fails (status, timeout, not a key set, no usable key)
 *     keeps the set in use. Without any key a token cannot be checked:
 *     503, never admitted.
 *
 * The subrequest runs in the background (its answer is not the client's)
 * with none of the client's headers or body, and the gate lets it
 * through (ngx_http_secauth_subrequest_handler()).
 */


#define NGX_HTTP_SECAUTH_JWT_FETCH_MAX_AGE  86400


struct ngx_http_secauth_jwt_fetch_s {
    ngx_str_t                     uri;
    ngx_str_t                     args;
    int                           alg;        /* alg=: keys without one */
    time_t                        refresh;    /* between two fetches */
    ngx_msec_t                    timeout;    /* a request's wait */

    /* secauth_jwt_key_cache of the location of the last fetch */
    time_t                        cache;

    /* this worker's */
    ngx_pool_t                   *pool;       /* the set's keys */
    ngx_array_t                  *keys;       /* NULL: none yet */
    u_char                        digest[32]; /* SHA-256 of its document */
    time_t                        fetched;    /* when it came */
    time_t                        expires;    /* used alone until */
    time_t                        last;       /* the last fetch began */
    ngx_http_request_t           *sr;         /* the fetch in flight */
    ngx_queue_t                   waiting;    /* ngx_http_secauth_ctx_t */
    ngx_event_t                   timer;      /* ends their wait */
};


static ngx_int_t ngx_http_secauth_jwt_fetch_start(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_jwt_fetch_t *f,
    time_t cache);
static ngx_int_t ngx_http_secauth_jwt_fetch_wait(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_jwt_fetch_t *f);
static ngx_int_t ngx_http_secauth_jwt_fetch_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_secauth_jwt_fetch_rc(ngx_int_t rc);
static char *ngx_http_secauth_jwt_fetch_take(ngx_http_request_t *sr,
    ngx_http_secauth_jwt_fetch_t *f, ngx_int_t rc);
static time_t ngx_http_secauth_jwt_fetch_max_age(ngx_http_request_t *sr);
static void ngx_http_secauth_jwt_fetch_wake(ngx_http_secauth_jwt_fetch_t *f);
static void ngx_http_secauth_jwt_fetch_timeout(ngx_event_t *ev);
static ngx_int_t ngx_http_secauth_jwt_fetch_watch(ngx_http_secauth_ctx_t *ctx);
static void ngx_http_secauth_jwt_fetch_cleanup(void *data);
static void ngx_http_secauth_jwt_fetch_cleanup_set(void *data);


static ngx_str_t  ngx_http_secauth_jwt_fetch_name =
    ngx_string("secauth_jwt_key_request");


/* secauth_jwt_key_request URI [alg=ALG] [refresh=TIME] [timeout=TIME]; */

char *
ngx_http_secauth_jwt_key_request(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t                     *value, s;
    ngx_uint_t                     i;
    ngx_pool_cleanup_t            *cln;
    ngx_http_secauth_jwt_fetch_t  *f;

    if (slcf->jwt_fetch != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    f = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_jwt_fetch_t));
    if (f == NULL) {
        return NGX_CONF_ERROR;
    }

    f->uri = value[1];
    f->alg = NGX_HTTP_SECAUTH_JWS_NONE;
    f->refresh = 10;
    f->timeout = 5000;

    if (f->uri.len == 0 || f->uri.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a URI that starts with \"/\"",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < f->uri.len; i++) {
        if (f->uri.data[i] == '?') {
            f->args.data = f->uri.data + i + 1;
            f->args.len = f->uri.len - i - 1;
            f->uri.len = i;
            break;
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "alg=", 4) == 0) {
            f->alg = ngx_http_secauth_jws_alg(value[i].data + 4,
                                              value[i].len - 4);
            if (f->alg != NGX_HTTP_SECAUTH_JWS_NONE
                && !ngx_http_secauth_jws_is_hmac(f->alg))
            {
                continue;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is not a public-key "
                               "algorithm (a fetched key set holds no "
                               "secret)", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        if (ngx_strncmp(value[i].data, "refresh=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;
            f->refresh = ngx_parse_time(&s, 1);

            if (f->refresh != (time_t) NGX_ERROR && f->refresh > 0) {
                continue;
            }

        } else if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;
            f->timeout = ngx_parse_time(&s, 0);

            if (f->timeout != (ngx_msec_t) NGX_ERROR && f->timeout > 0) {
                continue;
            }
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\"", &value[i],
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    ngx_queue_init(&f->waiting);

    f->timer.handler = ngx_http_secauth_jwt_fetch_timeout;
    f->timer.data = f;
    /* (cf->log may be a reloading master's, freed with its cycle) */
    f->timer.log = &cf->cycle->new_log;
    f->timer.cancelable = 1;

    /* the set a worker fetched goes with the configuration */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_secauth_jwt_fetch_cleanup_set;
    cln->data = f;

    slcf->jwt_fetch = f;

    return NGX_CONF_OK;
}


/*
 * The fetched keys a request checks its token with, in *keys (NULL when
 * there are none): NGX_OK, NGX_AGAIN (it waits for a fetch and runs again
 * when it is over), NGX_DECLINED (no fetched key and none to wait for)
 * or NGX_ERROR.
 */

ngx_int_t
ngx_http_secauth_jwt_fetch_keys(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf,
    ngx_array_t **keys)
{
    time_t                         now;
    ngx_http_secauth_jwt_fetch_t  *f;

    f = slcf->jwt_fetch;
    now = ngx_time();
    *keys = f->keys;

    if (f->keys) {
        if (now >= f->expires && f->sr == NULL && now - f->last >= f->refresh)
        {
            /*
             * in the background: this request goes on with the old set
             * (and without a new one if the subrequest cannot start,
             * which nginx logs)
             */
            (void) ngx_http_secauth_jwt_fetch_start(r, ctx, f,
                                                    slcf->jwt_key_cache);
        }

        return NGX_OK;
    }

    if (ctx->keys_waited) {
        return NGX_DECLINED;
    }

    if (f->sr == NULL) {
        if (f->last && now - f->last < f->refresh) {
            /* the last fetch failed a moment ago */
            return NGX_DECLINED;
        }

        if (ngx_http_secauth_jwt_fetch_start(r, ctx, f, slcf->jwt_key_cache)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_secauth_jwt_fetch_wait(r, ctx, f);
}


/*
 * A token that no key can check (its kid, or its algorithm, is unknown):
 * perhaps the provider has a new key. NGX_AGAIN: the request waits for a
 * fetch and checks its token once more; NGX_DECLINED: not again (it has
 * waited, or the last fetch began less than refresh= ago).
 */

ngx_int_t
ngx_http_secauth_jwt_fetch_again(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf)
{
    ngx_http_secauth_jwt_fetch_t  *f;

    f = slcf->jwt_fetch;

    if (ctx->keys_waited) {
        return NGX_DECLINED;
    }

    if (f->sr == NULL) {
        if (ngx_time() - f->last < f->refresh) {
            return NGX_DECLINED;
        }

        if (ngx_http_secauth_jwt_fetch_start(r, ctx, f, slcf->jwt_key_cache)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: a token's key is unknown: fetching the "
                      "key set again");
    }

    return ngx_http_secauth_jwt_fetch_wait(r, ctx, f);
}


/*
 * The request goes away: out of the queue it waits in; a fetch hung on
 * it ends with it (a background subrequest dies with its main request),
 * and those who waited for it are let go.
 */

static ngx_int_t
ngx_http_secauth_jwt_fetch_watch(ngx_http_secauth_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    if (ctx->keys_watched) {
        return NGX_OK;
    }

    /* run before the context's own cleanup, added earlier */

    cln = ngx_pool_cleanup_add(ctx->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_secauth_jwt_fetch_cleanup;
    cln->data = ctx;
    ctx->keys_watched = 1;

    return NGX_OK;
}


static void
ngx_http_secauth_jwt_fetch_cleanup(void *data)
{
    ngx_http_secauth_ctx_t  *ctx = data;

    ngx_http_secauth_jwt_fetch_t  *f = ctx->key_fetch_state;

    if (ctx->keys_queued) {
        ngx_queue_remove(&ctx->keys_wait);
        ctx->keys_queued = 0;
    }

    if (f && ctx->key_fetch && f->sr == ctx->key_fetch) {
        f->sr = NULL;
        f->last = 0;            /* not a fetch that counts for refresh= */
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "secauth: key request \"%V\" abandoned with the "
                      "request that made it", &f->uri);
        ngx_http_secauth_jwt_fetch_wake(f);
    }
}


/*
 * The subrequest, in the background of r (or of the main request when r
 * is an in-memory subrequest itself, which nginx cannot nest)
 */

static ngx_int_t
ngx_http_secauth_jwt_fetch_start(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_jwt_fetch_t *f,
    time_t cache)
{
    ngx_list_t                   headers;
    ngx_http_request_t          *sr;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    if (r->subrequest_in_memory) {
        r = r->main;
    }

    if (ngx_http_secauth_jwt_fetch_watch(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * None of the client's: no body, and no header (its Authorization
     * would go to the identity provider with a proxy_pass); allocated
     * first, as once created the subrequest runs whatever comes after
     */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (ngx_list_init(&headers, r->pool, 1, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_secauth_jwt_fetch_done;
    ps->data = f;

    if (ngx_http_subrequest(r, &f->uri, f->args.len ? &f->args : NULL, &sr,
                            ps, NGX_HTTP_SUBREQUEST_IN_MEMORY
                                |NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->request_body = rb;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));
    sr->headers_in.headers = headers;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    sr->method = NGX_HTTP_GET;
    ngx_str_set(&sr->method_name, "GET");

    f->sr = sr;
    f->last = ngx_time();
    f->cache = cache;

    ctx->key_fetch = sr;        /* the gate lets it through */
    ctx->key_fetch_state = f;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: key request \"%V\"", &f->uri);

    return NGX_OK;
}


/* parked until the fetch is over, or timeout= */

static ngx_int_t
ngx_http_secauth_jwt_fetch_wait(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_jwt_fetch_t *f)
{
    if (ngx_http_secauth_jwt_fetch_watch(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&f->waiting, &ctx->keys_wait);
    ctx->keys_queued = 1;
    ctx->keys_waited = 1;
    ctx->waiting = 1;
    ctx->parked = r;

    if (!f->timer.timer_set) {
        ngx_add_timer(&f->timer, f->timeout);
    }

    return NGX_AGAIN;
}


/* the subrequest's end: its answer taken or refused, the waiters let go */

static ngx_int_t
ngx_http_secauth_jwt_fetch_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_secauth_jwt_fetch_t *f = data;

    char                    *err;
    ngx_http_secauth_ctx_t  *ctx;

    if (rc == NGX_AGAIN || sr->buffered || sr->postponed) {
        /* not over yet (aio): nginx finalizes it again when it is */
        return rc;
    }

    if (f->sr != sr) {
        /* already over: abandoned, or a second finalization */
        return ngx_http_secauth_jwt_fetch_rc(rc);
    }

    f->sr = NULL;

    ctx = ngx_http_secauth_get_ctx(sr, 0);
    if (ctx && ctx->key_fetch == sr) {
        ctx->key_fetch = NULL;
    }

    err = ngx_http_secauth_jwt_fetch_take(sr, f, rc);

    if (err) {
        if (f->keys) {
            ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                          "secauth: key request \"%V\" failed: %s; the "
                          "keys fetched %T s ago are kept", &f->uri, err,
                          ngx_time() - f->fetched);
        } else {
            ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                          "secauth: key request \"%V\" failed: %s; no key "
                          "to check tokens with (503) until a fetch works",
                          &f->uri, err);
        }
    }

    ngx_http_secauth_jwt_fetch_wake(f);

    /*
     * Taken: an error of the subrequest's must not end the client's
     * request (nginx terminates the main request on NGX_ERROR)
     */

    return ngx_http_secauth_jwt_fetch_rc(rc);
}


static ngx_int_t
ngx_http_secauth_jwt_fetch_rc(ngx_int_t rc)
{
    return (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) ? NGX_OK : rc;
}


/* NULL: the answer is the set in use now; else why it is not */

static char *
ngx_http_secauth_jwt_fetch_take(ngx_http_request_t *sr,
    ngx_http_secauth_jwt_fetch_t *f, ngx_int_t rc)
{
    u_char                        digest[32];
    char                         *err;
    json_t                       *set;
    time_t                        age, now;
    ngx_buf_t                    *b;
    ngx_str_t                     doc;
    ngx_pool_t                   *pool;
    ngx_array_t                  *keys;
    json_error_t                  e;
    ngx_http_secauth_jwt_cache_t *cache;

    if (rc == NGX_ERROR) {
        return "the subrequest failed (see the error before)";
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE
        || sr->headers_out.status != NGX_HTTP_OK)
    {
        return "the answer is not 200";
    }

    b = sr->out ? sr->out->buf : NULL;

    if (b == NULL || b->last == b->pos) {
        return "the answer is empty, or nginx refused it (see the error "
               "before)";
    }

    doc.data = b->pos;
    doc.len = b->last - b->pos;

    if (ngx_http_secauth_sha256(&doc, 1, digest) != NGX_OK) {
        return "out of memory";
    }

    now = ngx_time();

    age = ngx_http_secauth_jwt_fetch_max_age(sr);
    age = (age == NGX_ERROR) ? f->cache : age;

    if (f->keys && ngx_memcmp(digest, f->digest, 32) == 0) {
        /* the same set: kept, with its new time */
        f->fetched = now;
        f->expires = now + age;
        return NULL;
    }

    set = json_loadb((char *) doc.data, doc.len, JSON_REJECT_DUPLICATES, &e);

    if (set == NULL) {
        return "the answer is not JSON";
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        json_decref(set);
        return "out of memory";
    }

    keys = NULL;
    err = ngx_http_secauth_jwt_key_set(pool, sr->connection->log,
                                       &ngx_http_secauth_jwt_fetch_name,
                                       &keys, set, f->alg, 1);
    json_decref(set);

    if (err) {
        ngx_destroy_pool(pool);
        return err;
    }

    /*
     * Tokens verified by the old keys are forgotten: the cache knows a
     * key by its address, which the new set may reuse
     */

    if (f->keys) {
        cache = ngx_http_secauth_jwt_cache(sr);
        if (cache) {
            ngx_http_secauth_jwt_cache_flush(cache);
        }

        ngx_destroy_pool(f->pool);
    }

    ngx_log_error(NGX_LOG_NOTICE, sr->connection->log, 0,
                  "secauth: key request \"%V\": %ui keys, used for %T s",
                  &f->uri, keys->nelts, age);

    f->pool = pool;
    f->keys = keys;
    ngx_memcpy(f->digest, digest, 32);
    f->fetched = now;
    f->expires = now + age;

    return NULL;
}


/*
 * Cache-Control's max-age (no-store, no-cache: 0; of several, the
 * least), bounded to a day; NGX_ERROR when the answer has none
 */

static time_t
ngx_http_secauth_jwt_fetch_max_age(ngx_http_request_t *sr)
{
    u_char           *p, *last;
    time_t            age, n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    age = NGX_ERROR;
    part = &sr->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Cache-Control") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Cache-Control",
                               h[i].key.len) != 0)
        {
            continue;
        }

        p = h[i].value.data;
        last = p + h[i].value.len;

        if (ngx_strlcasestrn(p, last, (u_char *) "no-store", 8 - 1)
            || ngx_strlcasestrn(p, last, (u_char *) "no-cache", 8 - 1))
        {
            return 0;
        }

        p = ngx_strlcasestrn(h[i].value.data, last, (u_char *) "max-age=",
                             8 - 1);
        if (p == NULL) {
            continue;
        }

        p += 8;
        n = 0;

        while (p < last && *p >= '0' && *p <= '9') {
            if (n < NGX_HTTP_SECAUTH_JWT_FETCH_MAX_AGE) {
                n = n * 10 + (*p - '0');
            }
            p++;
        }

        age = (age == NGX_ERROR) ? n : ngx_min(age, n);
    }

    if (age == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_min(age, NGX_HTTP_SECAUTH_JWT_FETCH_MAX_AGE);
}


static void
ngx_http_secauth_jwt_fetch_wake(ngx_http_secauth_jwt_fetch_t *f)
{
    ngx_queue_t             *q;
    ngx_http_secauth_ctx_t  *ctx;

    if (f->timer.timer_set) {
        ngx_del_timer(&f->timer);
    }

    while (!ngx_queue_empty(&f->waiting)) {
        q = ngx_queue_head(&f->waiting);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_secauth_ctx_t, keys_wait);
        ctx->keys_queued = 0;
        ctx->waiting = 0;

        ngx_post_event(&ctx->resume, &ngx_posted_events);
    }
}


/* timeout=: the waiters go on without the fetch, which goes on */

static void
ngx_http_secauth_jwt_fetch_timeout(ngx_event_t *ev)
{
    ngx_http_secauth_jwt_fetch_t *f = ev->data;

    /* (ev->log is the configuration's, before the error log opened) */
    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "secauth: key request \"%V\" timed out after %M ms",
                  &f->uri, f->timeout);

    ngx_http_secauth_jwt_fetch_wake(f);
}


static void
ngx_http_secauth_jwt_fetch_cleanup_set(void *data)
{
    ngx_http_secauth_jwt_fetch_t *f = data;

    if (f->pool) {
        ngx_destroy_pool(f->pool);
        f->pool = NULL;
        f->keys = NULL;
    }
}
