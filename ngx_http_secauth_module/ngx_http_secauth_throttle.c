
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_throttle.h"


/*
 * The failed-login throttle of an account (docs/limits.md): attempts are
 * counted per normalised user name, known or not, across all clients
 * (and, with Redis, all nodes), when they start: parallel attempts cannot
 * slip in while the first ones are being hashed. From the free-th attempt
 * without a success on, each one locks the account for lock, 2 x lock,
 * 4 x lock... up to max_lock; while locked, every login of the account is
 * refused at once, whatever the password, and costs no hashing (nor is it
 * counted). A successful login forgets the count, and so does forget
 * without an attempt. The defaults (5, 1s, 1m, 1h)
 * allow at most about 70 failures an hour (NIST 800-63B and ASVS: no more
 * than 100), and an attacker can never lock anyone out for longer than
 * max_lock after the last failure.
 *
 * Without Redis the counts live in a zone of their own (1m by default),
 * so that a spray of made-up names can only evict other counts, never
 * sessions. Either way the counting is the store's (login_attempt,
 * login_reset, login_release); this file holds the directive and its
 * default.
 */


static ngx_str_t  ngx_http_secauth_throttle_zone =
    ngx_string("secauth_login_failures");

#define NGX_HTTP_SECAUTH_THROTTLE_ZONE_SIZE  (1024 * 1024)


static ngx_http_secauth_throttle_t *
ngx_http_secauth_throttle_create(ngx_conf_t *cf)
{
    ngx_http_secauth_throttle_t  *t;

    t = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_throttle_t));
    if (t == NULL) {
        return NULL;
    }

    t->free = 5;
    t->lock = 1000;
    t->max_lock = 60 * 1000;
    t->forget = 60 * 60;

    return t;
}


char *
ngx_http_secauth_login_throttle(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    u_char                       *p;
    ssize_t                       size;
    ngx_int_t                     n, rc;
    ngx_str_t                    *value, s, name, path;
    ngx_uint_t                    i;
    ngx_msec_t                    sync;
    ngx_http_secauth_throttle_t  *t;

    if (slcf->throttle != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        slcf->throttle = NULL;
        return NGX_CONF_OK;
    }

    t = ngx_http_secauth_throttle_create(cf);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    size = NGX_HTTP_SECAUTH_THROTTLE_ZONE_SIZE;
    name = ngx_http_secauth_throttle_zone;
    ngx_str_null(&path);
    sync = NGX_CONF_UNSET_MSEC;

    for (i = 1; i < cf->args->nelts; i++) {

        rc = ngx_http_secauth_store_zone_state_arg(cf, &value[i], &path,
                                                   &sync);
        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_OK) {
            continue;
        }

        if (ngx_strncmp(value[i].data, "free=", 5) == 0) {
            n = ngx_atoi(value[i].data + 5, value[i].len - 5);
            if (n < 1 || n > 100) {
                goto invalid;
            }

            t->free = n;
            continue;
        }

        s.data = (u_char *) ngx_strchr(value[i].data, '=');

        if (s.data == NULL) {
            goto invalid;
        }

        s.data++;
        s.len = value[i].data + value[i].len - s.data;

        if (ngx_strncmp(value[i].data, "lock=", 5) == 0) {
            t->lock = ngx_parse_time(&s, 0);
            if (t->lock == (ngx_msec_t) NGX_ERROR || t->lock == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_lock=", 9) == 0) {
            t->max_lock = ngx_parse_time(&s, 0);
            if (t->max_lock == (ngx_msec_t) NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "forget=", 7) == 0) {
            t->forget = ngx_parse_time(&s, 1);
            if (t->forget == (time_t) NGX_ERROR || t->forget == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            p = (u_char *) ngx_strchr(s.data, ':');
            if (p == NULL || p == s.data) {
                goto invalid;
            }

            name.data = s.data;
            name.len = p - s.data;

            s.len -= p + 1 - s.data;
            s.data = p + 1;

            size = ngx_parse_size(&s);
            if (size == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (t->max_lock < t->lock
        || (ngx_msec_t) t->forget * 1000 < t->max_lock)
    {
        return "needs lock <= max_lock <= forget";
    }

    /* the zone is used only without Redis, known after the http block */

    t->zone = ngx_http_secauth_store_zone_add(cf, &name, size,
                                        NGX_HTTP_SECAUTH_STORE_ZONE_ATTEMPTS);
    if (t->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_store_zone_state(cf, t->zone, &path, sync)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    slcf->throttle = t;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\"",
                       &value[i], &cmd->name);

    return NGX_CONF_ERROR;
}


/*
 * An unset throttle is inherited; a login location that has none gets the
 * default. Other locations may keep NGX_CONF_UNSET_PTR: they never use it,
 * and a login location nested in them must still get the default.
 */

char *
ngx_http_secauth_throttle_merge(ngx_conf_t *cf,
    ngx_http_secauth_throttle_t **conf, ngx_http_secauth_throttle_t *prev,
    ngx_flag_t login)
{
    ngx_http_secauth_throttle_t  *t;

    if (*conf == NGX_CONF_UNSET_PTR) {
        *conf = prev;
    }

    if (*conf != NGX_CONF_UNSET_PTR || !login) {
        return NGX_CONF_OK;
    }

    t = ngx_http_secauth_throttle_create(cf);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    t->zone = ngx_http_secauth_store_zone_add(cf,
                                        &ngx_http_secauth_throttle_zone,
                                        NGX_HTTP_SECAUTH_THROTTLE_ZONE_SIZE,
                                        NGX_HTTP_SECAUTH_STORE_ZONE_ATTEMPTS);
    if (t->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    *conf = t;

    return NGX_CONF_OK;
}
