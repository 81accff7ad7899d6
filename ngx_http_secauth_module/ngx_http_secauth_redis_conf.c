
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_redis_conf.h"


/*
 * secauth_redis URL [timeout=200ms] [connect_timeout=1s] [prefix=secauth:]
 *                   [password_file=PATH];
 *
 *   redis://[user:password@]IP:PORT[/DB]     IP literal: hiredis resolves
 *   unix:/PATH[?db=N]                        names synchronously
 */


#define NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX  1024


static char *ngx_http_secauth_redis_parse_url(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf, ngx_str_t *url);
static char *ngx_http_secauth_redis_parse_tcp(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf, u_char *p, u_char *last);
static char *ngx_http_secauth_redis_parse_db(ngx_str_t *s, ngx_int_t *db);
static char *ngx_http_secauth_redis_read_password(ngx_conf_t *cf,
    ngx_str_t *path, ngx_str_t *password);
static ngx_int_t ngx_http_secauth_redis_unescape(ngx_pool_t *pool,
    u_char *p, u_char *last, ngx_str_t *out);


char *
ngx_http_secauth_redis_parse(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf)
{
    char        *rv;
    u_char      *c;
    ngx_str_t   *value, s, password_file;
    ngx_uint_t   i;

    value = cf->args->elts;

    rcf->timeout = 200;
    rcf->connect_timeout = 1000;
    ngx_str_set(&rcf->prefix, "secauth:");
    ngx_str_null(&password_file);

    rv = ngx_http_secauth_redis_parse_url(cf, rcf, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rcf->timeout = ngx_parse_time(&s, 0);
            if (rcf->timeout == (ngx_msec_t) NGX_ERROR || rcf->timeout == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0) {
            s.data = value[i].data + 16;
            s.len = value[i].len - 16;

            rcf->connect_timeout = ngx_parse_time(&s, 0);
            if (rcf->connect_timeout == (ngx_msec_t) NGX_ERROR
                || rcf->connect_timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rcf->prefix.data = value[i].data + 7;
            rcf->prefix.len = value[i].len - 7;

            if (rcf->prefix.len > 64) {
                goto invalid;
            }

            for (c = rcf->prefix.data;
                 c < rcf->prefix.data + rcf->prefix.len;
                 c++)
            {
                if (*c <= 0x20 || *c >= 0x7f) {
                    goto invalid;
                }
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            password_file.data = value[i].data + 14;
            password_file.len = value[i].len - 14;

            if (password_file.len == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (password_file.len) {
        if (rcf->password.len) {
            return "has a password both in the URL and in password_file=";
        }

        return ngx_http_secauth_redis_read_password(cf, &password_file,
                                                    &rcf->password);
    }

    if (rcf->user.len && rcf->password.len == 0) {
        return "has a user but no password";
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"secauth_redis\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_secauth_redis_parse_url(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf, ngx_str_t *url)
{
    u_char     *p, *last, *q;
    ngx_str_t   db;

    rcf->url = *url;
    p = url->data;
    last = p + url->len;

    if (url->len > 5 && ngx_strncmp(p, "unix:", 5) == 0) {
        p += 5;

        q = ngx_strlchr(p, last, '?');

        if (q) {
            if (last - q < 5 || ngx_strncmp(q, "?db=", 4) != 0) {
                goto invalid;
            }

            db.data = q + 4;
            db.len = last - db.data;

            if (ngx_http_secauth_redis_parse_db(&db, &rcf->db)
                != NGX_CONF_OK)
            {
                goto invalid;
            }

            last = q;
        }

        if (p == last || *p != '/') {
            goto invalid;
        }

        rcf->host.len = last - p;
        rcf->host.data = ngx_pnalloc(cf->pool, rcf->host.len + 1);
        if (rcf->host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(rcf->host.data, p, rcf->host.len + 1);
        rcf->port = 0;

        /* the URL may carry no secret here; nothing to hide in logs */
        return NGX_CONF_OK;
    }

    if (url->len > 8 && ngx_strncmp(p, "redis://", 8) == 0) {
        if (ngx_http_secauth_redis_parse_tcp(cf, rcf, p + 8, last)
            != NGX_CONF_OK)
        {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

invalid:

    /* the URL may hold a password: never echo it */

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid URL in \"secauth_redis\", expected "
                       "redis://[user:password@]IP:PORT[/DB] or "
                       "unix:/PATH[?db=N]");

    return NGX_CONF_ERROR;
}


static char *
ngx_http_secauth_redis_parse_tcp(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf, u_char *p, u_char *last)
{
    u_char     *at, *colon, *slash, *host, *host_end, *port;
    ngx_str_t   db;
    ngx_int_t   n;
    in_addr_t   addr;
#if (NGX_HAVE_INET6)
    u_char      a6[16];
#endif

    at = NULL;

    for (host = p; host < last; host++) {
        if (*host == '@') {
            at = host;
        }
    }

    if (at) {
        colon = ngx_strlchr(p, at, ':');

        if (colon == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_secauth_redis_unescape(cf->pool, p, colon, &rcf->user)
               != NGX_OK
            || ngx_http_secauth_redis_unescape(cf->pool, colon + 1, at,
                                               &rcf->password)
               != NGX_OK
            || rcf->password.len == 0)
        {
            return NGX_CONF_ERROR;
        }

        p = at + 1;
    }

    /* for log messages: IP:PORT[/DB], without the credentials */
    rcf->url.len = last - p;
    rcf->url.data = p;

    slash = ngx_strlchr(p, last, '/');

    if (slash) {
        db.data = slash + 1;
        db.len = last - db.data;

        if (ngx_http_secauth_redis_parse_db(&db, &rcf->db) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

        last = slash;
    }

    if (p < last && *p == '[') {
        host = p + 1;
        host_end = ngx_strlchr(host, last, ']');

        if (host_end == NULL || host_end + 1 >= last || host_end[1] != ':') {
            return NGX_CONF_ERROR;
        }

        port = host_end + 2;

#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host, host_end - host, a6) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
#else
        return NGX_CONF_ERROR;
#endif

    } else {
        host = p;
        host_end = ngx_strlchr(p, last, ':');

        if (host_end == NULL) {
            return NGX_CONF_ERROR;
        }

        port = host_end + 1;

        addr = ngx_inet_addr(host, host_end - host);

        if (addr == INADDR_NONE) {
            return NGX_CONF_ERROR;
        }
    }

    n = ngx_atoi(port, last - port);

    if (n < 1 || n > 65535) {
        return NGX_CONF_ERROR;
    }

    rcf->port = n;
    rcf->host.len = host_end - host;
    rcf->host.data = ngx_pnalloc(cf->pool, rcf->host.len + 1);
    if (rcf->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(rcf->host.data, host, rcf->host.len + 1);

    return NGX_CONF_OK;
}


static char *
ngx_http_secauth_redis_parse_db(ngx_str_t *s, ngx_int_t *db)
{
    ngx_int_t  n;

    n = ngx_atoi(s->data, s->len);

    if (n == NGX_ERROR || n > 1000000) {
        return NGX_CONF_ERROR;
    }

    *db = n;

    return NGX_CONF_OK;
}


/* the first line of the file; the file is read once, at nginx -t/reload */

static char *
ngx_http_secauth_redis_read_password(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *password)
{
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         name;
    ngx_file_info_t   fi;

    name = *path;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth_redis: cannot open password_file "
                           "\"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth_redis: password_file \"%V\" is not a "
                           "file of at most %d bytes", &name,
                           NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX);
        goto failed;
    }

    buf = ngx_pnalloc(cf->pool, NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, buf, NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "secauth_redis: cannot read password_file "
                           "\"%V\"", &name);
        goto failed;
    }

    password->data = buf;
    password->len = 0;

    while ((ssize_t) password->len < n
           && buf[password->len] != '\n' && buf[password->len] != '\r')
    {
        password->len++;
    }

    if (password->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth_redis: password_file \"%V\" is empty",
                           &name);
        goto failed;
    }

    (void) ngx_close_file(fd);

    return NGX_CONF_OK;

failed:

    if (buf) {
        ngx_explicit_memzero(buf, NGX_HTTP_SECAUTH_REDIS_PASSWORD_MAX);
    }

    (void) ngx_close_file(fd);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_secauth_redis_unescape(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_str_t *out)
{
    u_char  *dst;

    out->data = ngx_pnalloc(pool, last - p + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst = out->data;
    ngx_unescape_uri(&dst, &p, last - p, 0);
    out->len = dst - out->data;

    return NGX_OK;
}
