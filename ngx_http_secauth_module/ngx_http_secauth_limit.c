
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_limit.h"


/*
 * Rate limits in the preaccess phase, with limit_req's meaning of rate,
 * burst and nodelay, as GCRA buckets: a bucket is one number, its
 * theoretical arrival time (TAT). A request at "now" is admitted when
 * max(TAT, now) - now <= burst * interval, and moves TAT on by interval;
 * without nodelay it is delayed by max(TAT, now) - now, so that what
 * reaches the backend keeps to the rate. The buckets live in Redis when
 * secauth_redis is set (one Lua script for all of a location's limits:
 * one round trip, the server's clock, every node draws from one budget),
 * else in each zone's shared memory: the store's limit_take either way.
 * The directives are in ngx_http_secauth_limit_conf.c.
 */


#define NGX_HTTP_SECAUTH_LIMIT_KEY_MAX   64       /* longer: its SHA-256 */


/*
 * A request's limits, taken once whatever the internal redirects (as
 * limit_req): kept in a pool cleanup of its own, found again by its
 * handler, so that the shm path needs no other context.
 */
typedef struct {
    ngx_str_t                       status;   /* $secauth_limit_status */
    unsigned                        taking:1; /* waiting for Redis */
    unsigned                        done:1;
} ngx_http_secauth_limit_state_t;


static ngx_http_secauth_limit_state_t *ngx_http_secauth_limit_state(
    ngx_http_request_t *r, ngx_flag_t create);
static void ngx_http_secauth_limit_state_cleanup(void *data);
static void ngx_http_secauth_limit_delay(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_limit_buckets(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_limit_result(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_limit_state_t *state,
    ngx_http_secauth_store_op_t *op);


static ngx_str_t  ngx_http_secauth_limit_passed = ngx_string("PASSED");
static ngx_str_t  ngx_http_secauth_limit_rejected = ngx_string("REJECTED");


ngx_int_t
ngx_http_secauth_limit_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_store_op_t     *op, local;
    ngx_http_secauth_loc_conf_t     *slcf;
    ngx_http_secauth_main_conf_t    *smcf;
    ngx_http_secauth_limit_state_t  *state;
    ngx_http_secauth_bucket_t        buckets[NGX_HTTP_SECAUTH_LIMITS_MAX];

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->limits == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    state = ngx_http_secauth_limit_state(r, 1);
    if (state == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (state->done) {
        return NGX_DECLINED;
    }

    if (state->taking) {
        ctx = ngx_http_secauth_get_ctx(r, 0);

        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->waiting) {
            return NGX_AGAIN;
        }

        /* Redis has answered */
        op = ctx->limit_op;
        goto done;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->redis) {
        ctx = ngx_http_secauth_get_ctx(r, 1);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op = ngx_http_secauth_new_op(r, &ctx->limit_op);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op->buckets = ngx_pnalloc(r->pool, slcf->limits->nelts
                                           * sizeof(ngx_http_secauth_bucket_t));
        if (op->buckets == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        /* in shared memory it is all done before returning: the stack */
        ctx = NULL;
        op = &local;
        op->log = r->connection->log;
        op->buckets = buckets;
        op->nbuckets = 0;
        op->count = 0;
    }

    rc = ngx_http_secauth_limit_buckets(r, slcf, op);

    if (rc == NGX_DECLINED) {
        state->done = 1;
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx) {
        ngx_http_secauth_store_wait(r, ctx, op);

        rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                         limit_take, op);
        if (rc == NGX_AGAIN) {
            state->taking = 1;
            return NGX_AGAIN;
        }

        ctx->waiting = 0;

    } else {
        /* the buckets' own zones: there may be no state zone */
        (void) ngx_http_secauth_store_shm_ops.limit_take(NULL, op);
    }

done:

    state->taking = 0;
    state->done = 1;

    return ngx_http_secauth_limit_result(r, slcf, state, op);
}


/* NULL when there is none (and create is 0), or no memory */

static ngx_http_secauth_limit_state_t *
ngx_http_secauth_limit_state(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t              *cln;
    ngx_http_secauth_limit_state_t  *state;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_secauth_limit_state_cleanup) {
            return cln->data;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_secauth_limit_state_t));
    if (cln == NULL) {
        return NULL;
    }

    state = cln->data;
    ngx_memzero(state, sizeof(ngx_http_secauth_limit_state_t));

    cln->handler = ngx_http_secauth_limit_state_cleanup;

    return state;
}


/* the cleanup is the state's tag; the pool goes with it */

static void
ngx_http_secauth_limit_state_cleanup(void *data)
{
    ngx_http_secauth_limit_state_t  *state = data;

    ngx_str_null(&state->status);
}


ngx_int_t
ngx_http_secauth_limit_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_secauth_limit_state_t  *state;

    state = ngx_http_secauth_limit_state(r->main, 0);

    if (state == NULL || state->status.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = state->status.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = state->status.data;

    return NGX_OK;
}


/*
 * The buckets of the request's keys; NGX_DECLINED when every key is empty
 * or no limit counts this request. At a secauth_login location (and at
 * a password reset's request and confirmation) a limit counts
 * submissions (POST) only, unless it says methods=all: loading the form
 * and the gate's redirect to it use up no budget.
 */

static ngx_int_t
ngx_http_secauth_limit_buckets(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_store_op_t *op)
{
    ngx_str_t                   key;
    ngx_uint_t                  i, methods;
    ngx_http_variable_value_t  *vv;
    ngx_http_secauth_limit_t   *limit;
    ngx_http_secauth_bucket_t  *b;

    limit = slcf->limits->elts;

    for (i = 0; i < slcf->limits->nelts; i++) {

        methods = limit[i].methods;

        if (methods == NGX_HTTP_SECAUTH_LIMIT_DEFAULT) {
            methods = (slcf->handler == NGX_HTTP_SECAUTH_HANDLER_LOGIN
                       || slcf->handler
                          == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_RESET
                       || slcf->handler
                          == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CONFIRM)
                      ? NGX_HTTP_SECAUTH_LIMIT_POST
                      : NGX_HTTP_SECAUTH_LIMIT_ALL;
        }

        if (methods == NGX_HTTP_SECAUTH_LIMIT_POST
            && r->method != NGX_HTTP_POST)
        {
            continue;
        }

        if (limit[i].zone->var != NGX_ERROR) {
            vv = ngx_http_get_flushed_variable(r, limit[i].zone->var);

            if (vv == NULL) {
                return NGX_ERROR;
            }

            key.data = vv->data;
            key.len = vv->not_found ? 0 : vv->len;

        } else if (ngx_http_complex_value(r, &limit[i].zone->key, &key)
                   != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (key.len == 0) {
            continue;
        }

        b = &op->buckets[op->nbuckets++];

        b->zone = limit[i].zone->name;
        b->shm_zone = limit[i].zone->shm_zone;
        b->interval = limit[i].zone->interval;
        b->tau = limit[i].burst * b->interval;
        b->wait = 0;
        b->nodelay = limit[i].nodelay;

        /* a long key (a header, say) costs no more than its digest */

        if (key.len <= NGX_HTTP_SECAUTH_LIMIT_KEY_MAX
            && !(key.len == 1 + SHA256_DIGEST_LENGTH && key.data[0] == 0xff))
        {
            b->key = key;
            continue;
        }

        b->key.data = ngx_pnalloc(r->pool, 1 + SHA256_DIGEST_LENGTH);
        if (b->key.data == NULL) {
            return NGX_ERROR;
        }

        /*
         * 0xff first, and a short key of that form is hashed too: a key
         * cannot choose the bucket of another one
         */

        b->key.data[0] = 0xff;
        b->key.len = 1 + SHA256_DIGEST_LENGTH;

        if (ngx_http_secauth_sha256(&key, 1, b->key.data + 1) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return op->nbuckets ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_limit_result(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_limit_state_t *state,
    ngx_http_secauth_store_op_t *op)
{
    uint64_t                      wait;
    ngx_int_t                     rc;
    ngx_uint_t                    i, level;
    ngx_msec_t                    delay;
    ngx_http_secauth_bucket_t    *b;

    if (op->rc == NGX_ERROR) {
        rc = ngx_http_secauth_unavailable(r, slcf, "rate limits");

        /* admitted: on to the next preaccess handler (limit_req...) */
        return (rc == NGX_OK) ? NGX_DECLINED : rc;
    }

    if (op->rc == NGX_DECLINED) {
        state->status = ngx_http_secauth_limit_rejected;
        b = &op->buckets[op->count - 1];

        ngx_log_error(slcf->limit_log_level, r->connection->log, 0,
                      "secauth: limiting requests by zone \"%V\", "
                      "retry in %uL ms", &b->zone, (b->wait + 999) / 1000);

        if (ngx_http_secauth_retry_after(r, (b->wait + 999) / 1000)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return slcf->limit_status;
    }

    state->status = ngx_http_secauth_limit_passed;

    /* the longest wait of the limits that delay */

    wait = 0;
    b = NULL;

    for (i = 0; i < op->nbuckets; i++) {
        if (!op->buckets[i].nodelay && op->buckets[i].wait > wait) {
            wait = op->buckets[i].wait;
            b = &op->buckets[i];
        }
    }

    delay = (ngx_msec_t) ((wait + 999) / 1000);

    if (delay == 0) {
        return NGX_DECLINED;
    }

    /* one level lower than refusals, as limit_req */

    level = (slcf->limit_log_level == NGX_LOG_INFO)
            ? NGX_LOG_INFO : slcf->limit_log_level + 1;

    ngx_log_error(level, r->connection->log, 0,
                  "secauth: delaying request %M ms by zone \"%V\"",
                  delay, &b->zone);

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_secauth_limit_delay;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, delay);

    return NGX_AGAIN;
}


/* as limit_req's delay: the timer has fired, run the phases on */

static void
ngx_http_secauth_limit_delay(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}
