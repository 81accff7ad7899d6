
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * secauth_password_policy: its parsing, merge and blocklist loading, and
 * the check the handlers that set passwords call. The judgement itself
 * is core/ngx_http_secauth_policy.c; this is the nginx side of it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_policy_conf.h"


/* one blocklist per file and configuration, whatever uses it */
typedef struct {
    ngx_str_t                             path;
    ngx_http_secauth_policy_blocklist_t  *blocklist;
} ngx_http_secauth_blocklist_file_t;


static ngx_int_t ngx_http_secauth_policy_number(ngx_conf_t *cf,
    ngx_str_t *arg, size_t skip, ngx_uint_t *out);
static ngx_http_secauth_policy_blocklist_t *ngx_http_secauth_blocklist_get(
    ngx_conf_t *cf, ngx_str_t *path);
static ngx_http_secauth_policy_blocklist_t *ngx_http_secauth_blocklist_read(
    ngx_conf_t *cf, ngx_str_t *path);
static void ngx_http_secauth_blocklist_cleanup(void *data);


char *
ngx_http_secauth_password_policy_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_str_t                        *value, path;
    ngx_uint_t                        i, min, max, strength;
    ngx_http_secauth_policy_conf_t   *pc, **field;

    field = (ngx_http_secauth_policy_conf_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    min = NGX_CONF_UNSET_UINT;
    max = NGX_CONF_UNSET_UINT;
    strength = NGX_CONF_UNSET_UINT;
    ngx_str_null(&path);

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "min=", 4) == 0) {
            if (min != NGX_CONF_UNSET_UINT
                || ngx_http_secauth_policy_number(cf, &value[i], 4, &min)
                   != NGX_OK)
            {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "max=", 4) == 0) {
            if (max != NGX_CONF_UNSET_UINT
                || ngx_http_secauth_policy_number(cf, &value[i], 4, &max)
                   != NGX_OK)
            {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "strength=", 9) == 0) {
            if (strength != NGX_CONF_UNSET_UINT
                || ngx_http_secauth_policy_number(cf, &value[i], 9,
                                                  &strength)
                   != NGX_OK)
            {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "blocklist=", 10) == 0
                   && value[i].len > 10 && path.data == NULL)
        {
            path.data = value[i].data + 10;
            path.len = value[i].len - 10;

        } else {
            goto invalid;
        }
    }

    if (min == NGX_CONF_UNSET_UINT) {
        min = NGX_HTTP_SECAUTH_POLICY_MIN;
    }

    if (max == NGX_CONF_UNSET_UINT) {
        max = NGX_HTTP_SECAUTH_POLICY_MAX;
    }

    if (strength == NGX_CONF_UNSET_UINT) {
        strength = NGX_HTTP_SECAUTH_POLICY_STRENGTH;
    }

    if (min < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": min=%ui: a password has at least 1 "
                           "character", &cmd->name, min);
        return NGX_CONF_ERROR;
    }

    if (max > NGX_HTTP_SECAUTH_POLICY_HARD_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": max=%ui is over %d, the longest "
                           "password a login accepts", &cmd->name, max,
                           NGX_HTTP_SECAUTH_POLICY_HARD_MAX);
        return NGX_CONF_ERROR;
    }

    if (min > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": min=%ui is over max=%ui", &cmd->name,
                           min, max);
        return NGX_CONF_ERROR;
    }

    if (strength > 4) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": strength=%ui: zxcvbn scores are 0 to 4",
                           &cmd->name, strength);
        return NGX_CONF_ERROR;
    }

    if (min < 8) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\": min=%ui is under 8, the least NIST SP "
                           "800-63B-4 allows (15 when a password is the "
                           "only factor)", &cmd->name, min);
    }

    pc = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_policy_conf_t));
    if (pc == NULL) {
        return NGX_CONF_ERROR;
    }

    pc->policy.min = min;
    pc->policy.max = max;
    pc->policy.strength = (int) strength;

    if (path.data != NULL) {
        if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        pc->blocklist_path = path;
        pc->policy.blocklist = ngx_http_secauth_blocklist_get(cf, &path);

        if (pc->policy.blocklist == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    *field = pc;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\": invalid or repeated parameter \"%V\" "
                       "(min=N, max=N, strength=0..4, blocklist=PATH)",
                       &cmd->name, &value[i]);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_secauth_policy_number(ngx_conf_t *cf, ngx_str_t *arg, size_t skip,
    ngx_uint_t *out)
{
    ngx_int_t  n;

    if (arg->len <= skip) {
        return NGX_ERROR;
    }

    n = ngx_atoi(arg->data + skip, arg->len - skip);

    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *out = (ngx_uint_t) n;

    return NGX_OK;
}


char *
ngx_http_secauth_password_policy_merge(ngx_conf_t *cf,
    ngx_http_secauth_policy_conf_t **conf,
    ngx_http_secauth_policy_conf_t *prev)
{
    ngx_http_secauth_policy_conf_t  *pc;

    if (*conf != NGX_CONF_UNSET_PTR) {
        return NGX_CONF_OK;
    }

    if (prev != NGX_CONF_UNSET_PTR && prev != NULL) {
        *conf = prev;
        return NGX_CONF_OK;
    }

    pc = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_policy_conf_t));
    if (pc == NULL) {
        return NGX_CONF_ERROR;
    }

    pc->policy.min = NGX_HTTP_SECAUTH_POLICY_MIN;
    pc->policy.max = NGX_HTTP_SECAUTH_POLICY_MAX;
    pc->policy.strength = NGX_HTTP_SECAUTH_POLICY_STRENGTH;
    *conf = pc;

    return NGX_CONF_OK;
}


static ngx_http_secauth_policy_blocklist_t *
ngx_http_secauth_blocklist_get(ngx_conf_t *cf, ngx_str_t *path)
{
    ngx_uint_t                          i;
    ngx_http_secauth_main_conf_t       *smcf;
    ngx_http_secauth_blocklist_file_t  *f;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    if (smcf->blocklists == NULL) {
        smcf->blocklists = ngx_array_create(cf->pool, 2,
                               sizeof(ngx_http_secauth_blocklist_file_t));
        if (smcf->blocklists == NULL) {
            return NULL;
        }
    }

    f = smcf->blocklists->elts;

    for (i = 0; i < smcf->blocklists->nelts; i++) {
        if (f[i].path.len == path->len
            && ngx_strncmp(f[i].path.data, path->data, path->len) == 0)
        {
            return f[i].blocklist;
        }
    }

    f = ngx_array_push(smcf->blocklists);
    if (f == NULL) {
        return NULL;
    }

    f->path = *path;
    f->blocklist = ngx_http_secauth_blocklist_read(cf, path);

    if (f->blocklist == NULL) {
        smcf->blocklists->nelts--;
        return NULL;
    }

    return f->blocklist;
}


/* read once, at configuration: requests only look it up */

static ngx_http_secauth_policy_blocklist_t *
ngx_http_secauth_blocklist_read(ngx_conf_t *cf, ngx_str_t *path)
{
    u_char                               *buf;
    off_t                                 size;
    size_t                                got;
    ssize_t                               n;
    ngx_fd_t                              fd;
    ngx_msec_t                            start;
    ngx_file_info_t                       fi;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_secauth_policy_blocklist_t  *bl;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth: cannot open the password blocklist "
                           "\"%V\"", path);
        return NULL;
    }

    buf = NULL;
    bl = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth: cannot stat the password blocklist "
                           "\"%V\"", path);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (!ngx_is_file(&fi) || size > 512 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth: the password blocklist \"%V\" is not "
                           "a file of at most 512 MiB", path);
        goto done;
    }

    buf = ngx_alloc(size ? (size_t) size : 1, cf->log);
    if (buf == NULL) {
        goto done;
    }

    for (got = 0; got < (size_t) size; got += n) {
        n = read(fd, buf + got, (size_t) size - got);

        if (n <= 0) {
            break;
        }
    }

    if (got != (size_t) size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth: cannot read the password blocklist "
                           "\"%V\"", path);
        goto done;
    }

    bl = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_policy_blocklist_t));
    if (bl == NULL) {
        goto done;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        bl = NULL;
        goto done;
    }

    ngx_time_update();
    start = ngx_current_msec;

    if (ngx_http_secauth_policy_blocklist_load(bl, buf, (size_t) size) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth: out of memory loading the password "
                           "blocklist \"%V\"", path);
        bl = NULL;
        goto done;
    }

    cln->handler = ngx_http_secauth_blocklist_cleanup;
    cln->data = bl;

    ngx_time_update();

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, cf->log, 0,
                   "secauth: blocklist \"%V\": %uz passwords, %uz skipped, "
                   "%M ms", path, bl->nwords, bl->skipped,
                   ngx_current_msec - start);

    if (bl->skipped) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "secauth: %uz lines of the password blocklist "
                           "\"%V\" are not UTF-8, skipped", bl->skipped,
                           path);
    }

done:

    ngx_free(buf);

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", path);
    }

    return bl;
}


static void
ngx_http_secauth_blocklist_cleanup(void *data)
{
    ngx_http_secauth_policy_blocklist_t  *bl = data;

    ngx_http_secauth_policy_blocklist_free(bl);
}


ngx_uint_t
ngx_http_secauth_password_policy_check(ngx_log_t *log,
    ngx_http_secauth_policy_conf_t *pc, ngx_str_t *password,
    ngx_str_t *user, const char *const *fields)
{
    ngx_uint_t  reasons;

    if (password->len > NGX_HTTP_SECAUTH_PASSWORD_BYTES) {
        return NGX_HTTP_SECAUTH_POLICY_TOO_LONG;
    }

    reasons = ngx_http_secauth_policy_check(&pc->policy, password->data,
                                            password->len,
                                            user ? user->data : NULL,
                                            user ? user->len : 0, fields);

    if (reasons & NGX_HTTP_SECAUTH_POLICY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "secauth: the password policy check ran out of "
                      "memory");
    }

    return reasons;
}


ngx_int_t
ngx_http_secauth_password_policy_reasons(ngx_pool_t *pool,
    ngx_http_secauth_policy_conf_t *pc, ngx_uint_t reasons,
    ngx_flag_t json, ngx_str_t *out)
{
    size_t   n;
    u_char  *p;

    n = ngx_http_secauth_policy_text(reasons, &pc->policy, json, NULL, 0);

    p = ngx_pnalloc(pool, n + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_http_secauth_policy_text(reasons, &pc->policy, json,
                                        (char *) p, n + 1);

    out->data = p;
    out->len = n;

    return NGX_OK;
}
