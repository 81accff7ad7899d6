
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_limit.h"


/*
 * The rate limits' directives (ngx_http_secauth_limit.c has the handler):
 * secauth_limit_zone, secauth_limit, secauth_limit_status,
 * secauth_limit_log_level, and the merge that finds each limit's zone.
 */


#define NGX_HTTP_SECAUTH_LIMIT_BURST_MAX 100000


/* secauth_limit_log_level, as limit_req_log_level */
static ngx_conf_enum_t  ngx_http_secauth_limit_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


/* secauth_limit_zone KEY zone=NAME:SIZE rate=RATE */

char *
ngx_http_secauth_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    u_char                             *p;
    ssize_t                             size;
    ngx_int_t                           rate, per, rc;
    ngx_str_t                          *value, s, name, path;
    ngx_uint_t                          i;
    ngx_msec_t                          sync;
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
    ngx_str_null(&path);
    sync = NGX_CONF_UNSET_MSEC;

    for (i = 2; i < cf->args->nelts; i++) {

        rc = ngx_http_secauth_store_zone_state_arg(cf, &value[i], &path,
                                                   &sync);
        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_OK) {
            continue;
        }

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

    if (ngx_http_secauth_store_zone_state(cf, zone->shm_zone, &path, sync)
        != NGX_OK)
    {
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
