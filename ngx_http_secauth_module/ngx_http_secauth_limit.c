
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
 */


#define NGX_HTTP_SECAUTH_LIMIT_KEY_MAX   64       /* longer: its SHA-256 */
#define NGX_HTTP_SECAUTH_LIMIT_BURST_MAX 100000


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


/* secauth_limit_log_level, as limit_req_log_level */
static ngx_conf_enum_t  ngx_http_secauth_limit_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


static ngx_str_t  ngx_http_secauth_limit_passed = ngx_string("PASSED");
static ngx_str_t  ngx_http_secauth_limit_rejected = ngx_string("REJECTED");


/* secauth_limit_zone KEY zone=NAME:SIZE rate=RATE */

char *
ngx_http_secauth_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    u_char                             *p;
    ssize_t                             size;
    ngx_int_t                           rate, per;
    ngx_str_t                          *value, s, name;
    ngx_uint_t                          i;
    ngx_http_secauth_limit_zone_t      *zone, **zp;
    ngx_http_compile_complex_value_t    ccv;

    value = cf->args->elts;

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_limit_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &zone->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * a key that is one variable ($binary_remote_addr, the usual one; not
     * a capture like $1) is read as it is: no script run, no copy
     */

    zone->var = NGX_ERROR;

    if (value[1].len > 1 && value[1].data[0] == '$'
        && !(value[1].data[1] >= '0' && value[1].data[1] <= '9'))
    {
        s.data = value[1].data + 1;
        s.len = value[1].len - 1;

        for (i = 0; i < s.len; i++) {
            if (!((s.data[i] >= 'a' && s.data[i] <= 'z')
                  || (s.data[i] >= 'A' && s.data[i] <= 'Z')
                  || (s.data[i] >= '0' && s.data[i] <= '9')
                  || s.data[i] == '_'))
            {
                break;
            }
        }

        if (i == s.len) {
            zone->var = ngx_http_get_variable_index(cf, &s);

            if (zone->var == NGX_ERROR) {
                return NGX_CONF_ERROR;
            }
        }
    }

    size = 0;
    rate = 0;
    per = 0;
    ngx_str_null(&name);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            name.data = value[i].data + 5;
            p = (u_char *) ngx_strchr(name.data, ':');

            if (p == NULL || p == name.data) {
                goto invalid;
            }

            name.len = p - name.data;

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);
            if (size == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {

            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            if (s.len < 4 || s.data[s.len - 3] != 'r'
                || s.data[s.len - 2] != '/')
            {
                goto invalid_rate;
            }

            switch (s.data[s.len - 1]) {
            case 's':
                per = 1;
                break;
            case 'm':
                per = 60;
                break;
            case 'h':
                per = 3600;
                break;
            default:
                goto invalid_rate;
            }

            rate = ngx_atoi(s.data, s.len - 3);
            if (rate <= 0 || rate > 1000000) {
                goto invalid_rate;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0 || rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs zone=NAME:SIZE and rate=RATE "
                           "(e.g. 10r/s, 5r/m, 3r/h)", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (smcf->limit_zones == NULL) {
        smcf->limit_zones = ngx_array_create(cf->pool, 4, sizeof(void *));
        if (smcf->limit_zones == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    zp = smcf->limit_zones->elts;

    for (i = 0; i < smcf->limit_zones->nelts; i++) {
        if (zp[i]->name.len == name.len
            && ngx_strncmp(zp[i]->name.data, name.data, name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": zone \"%V\" is already defined",
                               &cmd->name, &name);
            return NGX_CONF_ERROR;
        }
    }

    zone->name = name;
    zone->interval = (uint64_t) per * 1000000 / rate;

    zone->shm_zone = ngx_http_secauth_store_zone_add(cf, &name, size,
                                          NGX_HTTP_SECAUTH_STORE_ZONE_LIMITS);
    if (zone->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zp = ngx_array_push(smcf->limit_zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\"",
                       &value[i], &cmd->name);

    return NGX_CONF_ERROR;

invalid_rate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rate \"%V\" in \"%V\", expected RATE as "
                       "Nr/s, Nr/m or Nr/h with N from 1 to 1000000",
                       &s, &cmd->name);

    return NGX_CONF_ERROR;
}


/* secauth_limit zone=NAME [burst=N] [nodelay]; the zone may come later */

char *
ngx_http_secauth_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_int_t                      burst;
    ngx_str_t                     *value;
    ngx_uint_t                     i;
    ngx_http_secauth_limit_t      *limit;
    ngx_http_secauth_main_conf_t  *smcf;

    if (slcf->limits == NGX_CONF_UNSET_PTR) {
        slcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_secauth_limit_t));
        if (slcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    limit = ngx_array_push(slcf->limits);
    if (limit == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(limit, sizeof(ngx_http_secauth_limit_t));

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            limit->name.data = value[i].data + 5;
            limit->name.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst < 0 || burst > NGX_HTTP_SECAUTH_LIMIT_BURST_MAX) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid burst value \"%V\" in \"%V\" "
                                   "(0 to %d)", &value[i], &cmd->name,
                                   NGX_HTTP_SECAUTH_LIMIT_BURST_MAX);
                return NGX_CONF_ERROR;
            }

            limit->burst = burst;
            continue;
        }

        if (ngx_strcmp(value[i].data, "nodelay") == 0) {
            limit->nodelay = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "methods=all") == 0) {
            limit->methods = NGX_HTTP_SECAUTH_LIMIT_ALL;
            continue;
        }

        if (ngx_strcmp(value[i].data, "methods=post") == 0) {
            limit->methods = NGX_HTTP_SECAUTH_LIMIT_POST;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\"",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (limit->name.len == 0) {
        return "needs zone=NAME";
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->limit_used = 1;

    return NGX_CONF_OK;
}


char *
ngx_http_secauth_limit_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_int_t   status;
    ngx_str_t  *value;

    if (slcf->limit_status != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    status = ngx_atoi(value[1].data, value[1].len);

    if (status < 400 || status > 599) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be a status from 400 to 599, "
                           "not \"%V\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->limit_status = status;

    return NGX_CONF_OK;
}


/* secauth_limit_log_level info | notice | warn | error */

char *
ngx_http_secauth_limit_log_level(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t        *value;
    ngx_conf_enum_t  *e;

    if (slcf->limit_log_level != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = ngx_http_secauth_limit_log_levels; e->name.len; e++) {
        if (e->name.len == value[1].len
            && ngx_strcmp(e->name.data, value[1].data) == 0)
        {
            slcf->limit_log_level = e->value;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" (info, notice, warn "
                       "or error)", &value[1], &cmd->name);

    return NGX_CONF_ERROR;
}


/*
 * Like limit_req: a level without secauth_limit inherits all of the outer
 * level's; one with it has only its own. Zones are looked up here, when
 * the whole http block has been read.
 */

char *
ngx_http_secauth_limit_merge(ngx_conf_t *cf, ngx_array_t **limits,
    ngx_array_t *prev)
{
    ngx_uint_t                       i, j;
    ngx_http_secauth_limit_t        *limit;
    ngx_http_secauth_main_conf_t    *smcf;
    ngx_http_secauth_limit_zone_t  **zp;

    if (*limits == NGX_CONF_UNSET_PTR) {
        *limits = (prev == NGX_CONF_UNSET_PTR) ? NULL : prev;
    }

    /*
     * the http level's own array is never merged itself, only inherited:
     * whichever array a level ends up with is checked here, once
     */

    if (*limits == NULL) {
        return NGX_CONF_OK;
    }

    limit = (*limits)->elts;

    if (limit[0].zone) {
        return NGX_CONF_OK;
    }

    if ((*limits)->nelts > NGX_HTTP_SECAUTH_LIMITS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many \"secauth_limit\" in one location "
                           "(at most %d)", NGX_HTTP_SECAUTH_LIMITS_MAX);
        return NGX_CONF_ERROR;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    for (i = 0; i < (*limits)->nelts; i++) {

        zp = smcf->limit_zones ? smcf->limit_zones->elts : NULL;

        for (j = 0; smcf->limit_zones && j < smcf->limit_zones->nelts; j++) {
            if (zp[j]->name.len == limit[i].name.len
                && ngx_strncmp(zp[j]->name.data, limit[i].name.data,
                               limit[i].name.len) == 0)
            {
                limit[i].zone = zp[j];
                break;
            }
        }

        if (limit[i].zone == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_limit\": unknown zone \"%V\" "
                               "(no \"secauth_limit_zone\" defines it)",
                               &limit[i].name);
            return NGX_CONF_ERROR;
        }

        for (j = 0; j < i; j++) {
            if (limit[j].zone == limit[i].zone) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"secauth_limit\": zone \"%V\" is used "
                                   "twice in one location", &limit[i].name);
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


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
 * or no limit counts this request. At a secauth_login location a limit
 * counts credential submissions (POST) only, unless it says methods=all:
 * loading the form and the gate's redirect to it use up no budget.
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
            methods = (slcf->handler == NGX_HTTP_SECAUTH_HANDLER_LOGIN)
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
