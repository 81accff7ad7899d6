
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_conf.h"
#include "ngx_http_secauth_password_set.h"
#include "ngx_http_secauth_throttle.h"


/*
 * The checks of the configuration that ngx_http_secauth_module.c's
 * directives and merge rely on: enum slots whose errors name the values,
 * the realm, login URL, cookie and session timeout directives, and the
 * warnings about settings that are most likely mistakes (secauth_fail
 * open where it admits anybody, a Secure cookie on a server without TLS).
 */


static u_char *ngx_http_secauth_enum_list(u_char *buf, u_char *last,
    ngx_conf_enum_t *e);
static char *ngx_http_secauth_param_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *param, size_t skip, ngx_conf_enum_t *e, ngx_uint_t *np);


static ngx_conf_enum_t  ngx_http_secauth_samesite[] = {
    { ngx_string("lax"), NGX_HTTP_SECAUTH_SAMESITE_LAX },
    { ngx_string("strict"), NGX_HTTP_SECAUTH_SAMESITE_STRICT },
    { ngx_string("none"), NGX_HTTP_SECAUTH_SAMESITE_NONE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_secauth_on_off[] = {
    { ngx_string("on"), 1 },
    { ngx_string("off"), 0 },
    { ngx_null_string, 0 }
};


/*
 * ngx_conf_set_enum_slot(), whose error names neither the directive nor
 * the values it takes: "secauth: invalid value "sesion", expected off,
 * session, jwt or any"
 */

char *
ngx_http_secauth_set_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    u_char           *last, list[NGX_MAX_CONF_ERRSTR];
    ngx_str_t        *value;
    ngx_uint_t       *np, i;
    ngx_conf_enum_t  *e;

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strcasecmp(e[i].name.data, value[1].data) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    last = ngx_http_secauth_enum_list(list, list + sizeof(list), e);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid value \"%V\", expected %*s",
                       &cmd->name, &value[1], last - list, list);

    return NGX_CONF_ERROR;
}


/* a NAME=VALUE parameter of an enum's values, as the enum slot */

static char *
ngx_http_secauth_param_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *param, size_t skip, ngx_conf_enum_t *e, ngx_uint_t *np)
{
    u_char      *last, list[NGX_MAX_CONF_ERRSTR];
    ngx_str_t    v;
    ngx_uint_t   i;

    v.data = param->data + skip;
    v.len = param->len - skip;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == v.len
            && ngx_strncmp(e[i].name.data, v.data, v.len) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    last = ngx_http_secauth_enum_list(list, list + sizeof(list), e);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid value \"%V\" of \"%*s\", expected %*s",
                       &cmd->name, &v, skip, param->data, last - list, list);

    return NGX_CONF_ERROR;
}


/* "a, b or c" from the names of an enum */

static u_char *
ngx_http_secauth_enum_list(u_char *buf, u_char *last, ngx_conf_enum_t *e)
{
    ngx_uint_t  i;

    for (i = 0; e[i].name.len != 0; i++) {
        if (i > 0) {
            buf = ngx_slprintf(buf, last, e[i + 1].name.len ? ", " : " or ");
        }

        buf = ngx_slprintf(buf, last, "%V", &e[i].name);
    }

    return buf;
}


/*
 * secauth_mfa on | off [enrol=URI]: with enrol=, a browser whose session
 * lacks the second factor is sent there (302) rather than refused
 */

char *
ngx_http_secauth_mfa_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->mfa != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "on") == 0) {
        slcf->mfa = 1;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->mfa = 0;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive, it "
                           "must be \"on\" or \"off\"", &value[1],
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[2].data, "enrol=", 6) != 0 || value[2].len == 6
        || value[2].data[6] != '/' || !slcf->mfa)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive "
                           "(\"enrol=\" takes a local URI, with \"on\")",
                           &value[2], &cmd->name);
        return NGX_CONF_ERROR;
    }

    slcf->mfa_enrol.data = value[2].data + 6;
    slcf->mfa_enrol.len = value[2].len - 6;

    return NGX_CONF_OK;
}


/*
 * The realm goes into a quoted-string of WWW-Authenticate (RFC 7235):
 * only printable characters, no quote or backslash, so that it never
 * needs escaping.
 */

char *
ngx_http_secauth_realm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char     *c;
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 256) {
        return "must be 1 to 256 characters long";
    }

    for (c = value[1].data; c < value[1].data + value[1].len; c++) {
        if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid character in \"%V\": only printable "
                               "ASCII without '\"' and '\\' is allowed",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    *field = value[1];

    return NGX_CONF_OK;
}


/* "off" cancels a login URL inherited from an outer level */

char *
ngx_http_secauth_login_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->login_url != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->login_url = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        return "must not be empty";
    }

    slcf->login_url = NGX_CONF_UNSET_PTR;

    return ngx_http_set_complex_value_slot(cf, cmd, conf);
}


/*
 * secauth_cookie NAME [domain=D] [path=P] [samesite=lax|strict|none]
 *                [secure=on|off]; the prefixes' rules (RFC 6265bis 4.1.3)
 * are enforced here, so that a browser never silently drops the cookie.
 */

char *
ngx_http_secauth_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    u_char                     *c;
    ngx_str_t                  *value, v;
    ngx_uint_t                  i, on;
    ngx_http_secauth_cookie_t  *ck;

    if (slcf->cookie != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    ck = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_cookie_t));
    if (ck == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    ck->name = value[1];
    ngx_str_set(&ck->path, "/");
    ck->samesite = NGX_HTTP_SECAUTH_SAMESITE_LAX;
    ck->secure = 1;

    if (ck->name.len == 0 || ck->name.len > 64) {
        return "needs a name of 1 to 64 characters";
    }

    for (c = ck->name.data; c < ck->name.data + ck->name.len; c++) {
        if (*c <= 0x20 || *c >= 0x7f
            || ngx_strchr("()<>@,;:\\\"/[]?={}", *c) != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cookie name \"%V\" in \"%V\"",
                               &ck->name, &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            ck->domain.data = value[i].data + 7;
            ck->domain.len = value[i].len - 7;
            v = ck->domain;

        } else if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            ck->path.data = value[i].data + 5;
            ck->path.len = value[i].len - 5;
            v = ck->path;

            if (v.len == 0 || v.data[0] != '/') {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "samesite=", 9) == 0) {
            if (ngx_http_secauth_param_enum(cf, cmd, &value[i], 9,
                                            ngx_http_secauth_samesite,
                                            &ck->samesite)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;

        } else if (ngx_strncmp(value[i].data, "secure=", 7) == 0) {
            if (ngx_http_secauth_param_enum(cf, cmd, &value[i], 7,
                                            ngx_http_secauth_on_off, &on)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            ck->secure = on;
            continue;

        } else {
            goto invalid;
        }

        for (c = v.data; c < v.data + v.len; c++) {
            if (*c <= 0x20 || *c >= 0x7f || *c == ';' || *c == ',') {
                goto invalid;
            }
        }
    }

    if (ck->name.len > 7 && ngx_strncmp(ck->name.data, "__Host-", 7) == 0
        && (!ck->secure || ck->domain.len
            || ck->path.len != 1 || ck->path.data[0] != '/'))
    {
        return "with a \"__Host-\" name needs secure=on, path=/ "
               "and no domain";
    }

    if ((ck->name.len > 9 && ngx_strncmp(ck->name.data, "__Secure-", 9) == 0)
        || ck->samesite == NGX_HTTP_SECAUTH_SAMESITE_NONE)
    {
        if (!ck->secure) {
            return "with a \"__Secure-\" name or samesite=none needs "
                   "secure=on";
        }
    }

    slcf->cookie = ck;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\"",
                       &value[i], &cmd->name);

    return NGX_CONF_ERROR;
}


char *
ngx_http_secauth_session_timeout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->idle_timeout != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    slcf->idle_timeout = ngx_parse_time(&value[1], 1);
    slcf->absolute_timeout = ngx_parse_time(&value[2], 1);

    if (slcf->idle_timeout == (time_t) NGX_ERROR
        || slcf->absolute_timeout == (time_t) NGX_ERROR
        || slcf->idle_timeout < 1
        || slcf->absolute_timeout < slcf->idle_timeout)
    {
        return "needs IDLE and ABSOLUTE times, 1s <= IDLE <= ABSOLUTE";
    }

    return NGX_CONF_OK;
}


/*
 * secauth_fail open where it is most likely a mistake: a verify location
 * then admits anybody during an outage (and an auth_request with it),
 * and the locations that issue credentials always fail closed anyway
 */

void
ngx_http_secauth_fail_open_warn(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    switch (conf->handler) {

    case NGX_HTTP_SECAUTH_HANDLER_VERIFY:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"secauth_fail open\" with \"secauth_verify\" "
                           "in location \"%V\": while the store does not "
                           "answer, its auth_request admits anybody",
                           &clcf->name);
        break;

    case NGX_HTTP_SECAUTH_HANDLER_LOGIN:
    case NGX_HTTP_SECAUTH_HANDLER_REFRESH:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"secauth_fail open\" has no effect in "
                           "location \"%V\", which issues credentials: it "
                           "fails closed", &clcf->name);
        break;

    default:
        break;
    }
}


/*
 * Remembers the server{} of a location that reads or sets a Secure session
 * cookie, for ngx_http_secauth_check_tls(): while the locations merge,
 * cf->ctx holds the srv_conf of their server.
 */

char *
ngx_http_secauth_cookie_server(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_http_core_srv_conf_t      *cscf, **cscfp;
    ngx_http_secauth_main_conf_t  *smcf;

    if (!conf->cookie->secure
        || (conf->handler != NGX_HTTP_SECAUTH_HANDLER_LOGIN
            && conf->handler != NGX_HTTP_SECAUTH_HANDLER_LOGOUT
            && !ngx_http_secauth_mode_has_session(conf->mode)))
    {
        return NGX_CONF_OK;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (smcf->cookie_servers == NULL) {
        smcf->cookie_servers = ngx_array_create(cf->pool, 4, sizeof(void *));
        if (smcf->cookie_servers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    /* a server's locations merge one after another */

    cscfp = smcf->cookie_servers->elts;

    if (smcf->cookie_servers->nelts
        && cscfp[smcf->cookie_servers->nelts - 1] == cscf)
    {
        return NGX_CONF_OK;
    }

    cscfp = ngx_array_push(smcf->cookie_servers);
    if (cscfp == NULL) {
        return NGX_CONF_ERROR;
    }

    *cscfp = cscf;

    return NGX_CONF_OK;
}


/*
 * Browsers keep a Secure cookie only from https (and localhost): a server
 * without "listen ... ssl" that sets one sends its users back to the login
 * page for ever, unless a TLS-terminating balancer is in front, which is a
 * common layout; hence a warning, not an error. A listen socket is TLS for
 * all its servers once one of them says "ssl".
 */

void
ngx_http_secauth_check_tls(ngx_conf_t *cf, ngx_http_secauth_main_conf_t *smcf)
{
    ngx_uint_t                   i, p, a, s, tls;
    ngx_http_conf_addr_t        *addr;
    ngx_http_conf_port_t        *port;
    ngx_http_core_srv_conf_t   **cscfp, **servers;
    ngx_http_core_main_conf_t   *cmcf;

    if (smcf->cookie_servers == NULL) {
        return;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = smcf->cookie_servers->elts;

    for (i = 0; i < smcf->cookie_servers->nelts; i++) {

        tls = 0;
        port = cmcf->ports ? cmcf->ports->elts : NULL;

        for (p = 0; port && p < cmcf->ports->nelts && !tls; p++) {
            addr = port[p].addrs.elts;

            for (a = 0; a < port[p].addrs.nelts && !tls; a++) {
                if (!addr[a].opt.ssl) {
                    continue;
                }

                servers = addr[a].servers.elts;

                for (s = 0; s < addr[a].servers.nelts; s++) {
                    if (servers[s] == cscfp[i]) {
                        tls = 1;
                        break;
                    }
                }
            }
        }

        if (tls) {
            continue;
        }

        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "secauth: server \"%V\" in %s:%ui has no "
                      "\"listen ... ssl\" but a Secure session cookie, "
                      "which browsers drop over plain http except on "
                      "localhost (logins loop); fine behind a TLS-terminating "
                      "balancer, else for local development use "
                      "\"secauth_cookie NAME secure=off\"",
                      &cscfp[i]->server_name, cscfp[i]->file_name,
                      cscfp[i]->line);
    }
}


/*
 * The login and logout locations are never gated (a gate on the login
 * page would send browsers to it in a loop); they need users, a hash
 * configuration and the dummy hash for unknown users.
 */

char *
ngx_http_secauth_login_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *prev,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_flag_t                     login;
    ngx_http_secauth_main_conf_t  *smcf;

    ngx_conf_merge_uint_value(conf->handler, prev->handler,
                              NGX_HTTP_SECAUTH_HANDLER_NONE);
    ngx_conf_merge_ptr_value(conf->users, prev->users, NULL);

    if (ngx_http_secauth_password_hash_merge(cf, &conf->password_hash,
                                             prev->password_hash)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_password_policy_merge(cf, &conf->password_policy,
                                               prev->password_policy)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /*
     * an enrolment, a password change and a reset's confirmation check
     * passwords and codes as a login does
     */

    login = (conf->handler == NGX_HTTP_SECAUTH_HANDLER_LOGIN
             || conf->handler == NGX_HTTP_SECAUTH_HANDLER_TOTP
             || ngx_http_secauth_handler_sets_password(conf->handler));

    if (ngx_http_secauth_throttle_merge(cf, &conf->throttle, prev->throttle,
                                        login)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->fail == NGX_HTTP_SECAUTH_FAIL_OPEN) {
        ngx_http_secauth_fail_open_warn(cf, conf);
    }

    if (conf->handler == NGX_HTTP_SECAUTH_HANDLER_NONE
        || conf->handler == NGX_HTTP_SECAUTH_HANDLER_VERIFY)
    {
        return NGX_CONF_OK;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    /* the enrolment and a change are for a logged-in session: gated on it */

    conf->mode = (conf->handler == NGX_HTTP_SECAUTH_HANDLER_TOTP
                  || conf->handler == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CHANGE)
                 ? NGX_HTTP_SECAUTH_SESSION : NGX_HTTP_SECAUTH_OFF;

    if (ngx_http_secauth_pwset_merge(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (!login) {
        return NGX_CONF_OK;
    }

    if (conf->handler == NGX_HTTP_SECAUTH_HANDLER_TOTP) {
        smcf->enabled = 1;

        if (smcf->secret == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_totp\" needs "
                               "\"secauth_secret_key\"");
            return NGX_CONF_ERROR;
        }
    }

    if (conf->users == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs \"secauth_users\"",
                           conf->handler == NGX_HTTP_SECAUTH_HANDLER_TOTP
                           ? "secauth_totp" : "secauth_login");
        return NGX_CONF_ERROR;
    }

    if (conf->users->redis && smcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_users redis\" needs \"secauth_redis\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_password_dummy(cf, conf->password_hash) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * secauth_zone NAME:SIZE [state=PATH] [sync=TIME], NAME:SIZE as
 * limit_req_zone's zone=, state= as keyval_zone's
 */

char *
ngx_http_secauth_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    u_char      *p;
    ssize_t      size;
    ngx_int_t    rc;
    ngx_str_t   *value, name, s, path;
    ngx_msec_t   sync;
    ngx_uint_t   i;

    if (smcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\" in \"%V\", expected "
                           "NAME:SIZE", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&path);
    sync = NGX_CONF_UNSET_MSEC;

    for (i = 2; i < cf->args->nelts; i++) {
        rc = ngx_http_secauth_store_zone_state_arg(cf, &value[i], &path,
                                                   &sync);
        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\"",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    smcf->shm_zone = ngx_http_secauth_store_zone_add(cf, &name, size,
                                          NGX_HTTP_SECAUTH_STORE_ZONE_STATE);
    if (smcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_store_zone_state(cf, smcf->shm_zone, &path, sync)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
