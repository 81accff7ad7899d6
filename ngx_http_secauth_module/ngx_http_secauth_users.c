
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_users.h"


/*
 * User records: a file of "name:hash" lines read at configuration time
 * (so "nginx -s reload" rereads it), or Redis hashes looked up per login.
 */


#define NGX_HTTP_SECAUTH_USERS_FILE_MAX  (64 * 1024 * 1024)


static ngx_int_t ngx_http_secauth_users_load(ngx_conf_t *cf,
    ngx_http_secauth_users_t *users);
static ngx_int_t ngx_http_secauth_users_warn_weak(ngx_conf_t *cf,
    ngx_http_secauth_users_t *users, ngx_array_t *weak);
static int ngx_libc_cdecl ngx_http_secauth_users_cmp(const void *a,
    const void *b);


/* secauth_users file=PATH | redis; */

char *
ngx_http_secauth_users_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t                     *value;
    ngx_http_secauth_users_t     **field, *users;
    ngx_http_secauth_main_conf_t  *smcf;

    field = (ngx_http_secauth_users_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    users = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_users_t));
    if (users == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[1].data, "redis") == 0) {
        users->redis = 1;
        *field = users;

        /* Redis users' versions change: sessions are read with them */
        smcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_secauth_module);
        smcf->users_redis = 1;

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[1].data, "file=", 5) != 0 || value[1].len == 5) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" takes file=PATH or redis", &cmd->name);
        return NGX_CONF_ERROR;
    }

    users->path.data = value[1].data + 5;
    users->path.len = value[1].len - 5;

    if (ngx_conf_full_name(cf->cycle, &users->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_users_load(cf, users) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = users;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_users_load(ngx_conf_t *cf, ngx_http_secauth_users_t *users)
{
    u_char                   *buf, *p, *last, *eol;
    const u_char             *np, *hp;
    ssize_t                   n;
    ngx_fd_t                  fd;
    ngx_int_t                 rc;
    ngx_str_t                 name, hash;
    ngx_uint_t                lineno;
    const char               *reason;
    ngx_array_t               weak;
    ngx_file_info_t           fi;
    ngx_http_secauth_user_t  *u, *w;

    fd = ngx_open_file(users->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth_users: cannot open \"%V\"", &users->path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_SECAUTH_USERS_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth_users: \"%V\" is not a file of at most "
                           "64m", &users->path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    buf = ngx_pnalloc(cf->temp_pool, ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, ngx_file_size(&fi));
    (void) ngx_close_file(fd);

    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth_users: cannot read \"%V\"", &users->path);
        return NGX_ERROR;
    }

    users->users = ngx_array_create(cf->pool, 16,
                                    sizeof(ngx_http_secauth_user_t));
    if (users->users == NULL
        || ngx_array_init(&weak, cf->temp_pool, 4,
                          sizeof(ngx_http_secauth_user_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    lineno = 0;
    last = buf + n;

    for (p = buf; p < last; p = eol + 1) {

        lineno++;

        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        switch (ngx_http_secauth_userfile_line(p, eol - p, &np, &name.len,
                                               &hp, &hash.len))
        {
        case NGX_HTTP_SECAUTH_USERFILE_ENTRY:
            name.data = (u_char *) np;
            hash.data = (u_char *) hp;
            break;

        case NGX_HTTP_SECAUTH_USERFILE_NO_COLON:
            reason = "has no \"name:hash\"";
            goto invalid;

        default: /* NGX_HTTP_SECAUTH_USERFILE_SKIP */
            continue;
        }

        switch (ngx_http_secauth_username(cf->pool, &name, &name)) {

        case NGX_OK:
            break;

        case NGX_ABORT:
            reason = "has a user name that is not valid UTF-8 "
                     "(docs/login.md)";
            goto invalid;

        case NGX_ERROR:
            ngx_explicit_memzero(buf, n);
            return NGX_ERROR;

        default:
            reason = "has an invalid user name (docs/login.md)";
            goto invalid;
        }

        rc = ngx_http_secauth_hash_acceptable(&hash, &reason);

        if (rc == NGX_DECLINED) {
            goto invalid_hash;
        }

        u = ngx_array_push(users->users);
        if (u == NULL) {
            return NGX_ERROR;
        }

        u->name = name;
        u->line = lineno;
        u->hash.data = ngx_pstrdup(cf->pool, &hash);
        if (u->hash.data == NULL) {
            return NGX_ERROR;
        }

        u->hash.len = hash.len;

        if (rc == NGX_AGAIN) {
            w = ngx_array_push(&weak);
            if (w == NULL) {
                ngx_explicit_memzero(buf, n);
                return NGX_ERROR;
            }

            *w = *u;
        }
    }

    ngx_explicit_memzero(buf, n);

    if (weak.nelts
        && ngx_http_secauth_users_warn_weak(cf, users, &weak) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_qsort(users->users->elts, users->users->nelts,
              sizeof(ngx_http_secauth_user_t), ngx_http_secauth_users_cmp);

    u = users->users->elts;

    for (n = 1; n < (ssize_t) users->users->nelts; n++) {
        if (u[n].name.len == u[n - 1].name.len
            && ngx_strncmp(u[n].name.data, u[n - 1].name.data,
                           u[n].name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "secauth_users: \"%V\" line %ui: user "
                               "\"%V\" is listed twice (also line %ui)",
                               &users->path,
                               ngx_max(u[n].line, u[n - 1].line),
                               &u[n].name,
                               ngx_min(u[n].line, u[n - 1].line));
            return NGX_ERROR;
        }
    }

    return NGX_OK;

invalid_hash:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "secauth_users: \"%V\" line %ui: the hash %s",
                       &users->path, lineno, reason);
    ngx_explicit_memzero(buf, n);
    return NGX_ERROR;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "secauth_users: \"%V\" line %ui %s",
                       &users->path, lineno, reason);
    ngx_explicit_memzero(buf, n);
    return NGX_ERROR;
}


/*
 * Legacy hashes that load but are weak (bcrypt below cost 10, as
 * htpasswd -B makes them): one warning for the whole file, naming the
 * users (the first few) and their lines. Each of them is told again at
 * its next login that its hash should be set again.
 */

#define NGX_HTTP_SECAUTH_USERS_WARN_MAX  10

static ngx_int_t
ngx_http_secauth_users_warn_weak(ngx_conf_t *cf,
    ngx_http_secauth_users_t *users, ngx_array_t *weak)
{
    u_char                   *buf, *p;
    size_t                    len;
    ngx_str_t                 list;
    ngx_uint_t                i, n;
    ngx_http_secauth_user_t  *w;

    w = weak->elts;
    n = ngx_min(weak->nelts, NGX_HTTP_SECAUTH_USERS_WARN_MAX);

    len = sizeof(" and more") - 1;

    for (i = 0; i < n; i++) {
        len += sizeof("\"\" (line ), ") - 1 + w[i].name.len + NGX_INT_T_LEN;
    }

    buf = ngx_pnalloc(cf->temp_pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = buf;

    for (i = 0; i < n; i++) {
        p = ngx_sprintf(p, "%s\"%V\" (line %ui)", i ? ", " : "",
                        &w[i].name, w[i].line);
    }

    if (weak->nelts > n) {
        p = ngx_cpymem(p, " and more", sizeof(" and more") - 1);
    }

    list.data = buf;
    list.len = p - buf;

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "secauth_users: \"%V\": bcrypt of a cost below 10 "
                       "(accepted for migration only) for %ui user(s): %V; "
                       "set these passwords again (scripts/secauth-user)",
                       &users->path, weak->nelts, &list);

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_secauth_users_cmp(const void *a, const void *b)
{
    const ngx_http_secauth_user_t  *ua = a, *ub = b;

    return ngx_memn2cmp(ua->name.data, ub->name.data, ua->name.len,
                        ub->name.len);
}


ngx_str_t *
ngx_http_secauth_users_find(ngx_http_secauth_users_t *users, ngx_str_t *name)
{
    ngx_int_t                 rc;
    ngx_uint_t                lo, hi, mid;
    ngx_http_secauth_user_t  *u;

    u = users->users->elts;
    lo = 0;
    hi = users->users->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = ngx_memn2cmp(name->data, u[mid].name.data, name->len,
                          u[mid].name.len);
        if (rc == 0) {
            return &u[mid].hash;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


/*
 * User names (docs/login.md): 1 to 64 bytes of ASCII letters, digits,
 * ".", "_", "-", "@", "+" and UTF-8 beyond ASCII; ASCII letters are
 * folded to lower case, nothing else is changed. NUL, CR, LF, spaces,
 * ":" and other punctuation are refused (NGX_DECLINED), and so is what
 * is not valid UTF-8 (NGX_ABORT): a name must always be encodable in a
 * session record or a token. The check is core/ngx_http_secauth_userfile.c;
 * this copies the name into the pool.
 */

ngx_int_t
ngx_http_secauth_username(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *out)
{
    u_char  *d;

    if (in->len == 0 || in->len > NGX_HTTP_SECAUTH_USERNAME_MAX) {
        return NGX_DECLINED;
    }

    d = ngx_pnalloc(pool, in->len);
    if (d == NULL) {
        return NGX_ERROR;
    }

    switch (ngx_http_secauth_username_fold(d, in->data, in->len)) {

    case NGX_HTTP_SECAUTH_USERNAME_OK:
        break;

    case NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8:
        return NGX_ABORT;

    default:
        return NGX_DECLINED;
    }

    out->data = d;
    out->len = in->len;

    return NGX_OK;
}
