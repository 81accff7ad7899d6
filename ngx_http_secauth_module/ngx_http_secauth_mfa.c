
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_totp.h"


static ngx_int_t ngx_http_secauth_mfa_step_key(ngx_str_t *user, u_char *key);
static ngx_int_t ngx_http_secauth_mfa_backup(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_uint_t old, ngx_str_t *user,
    uint64_t gen, ngx_str_t *code);
static ngx_flag_t ngx_http_secauth_mfa_amr_name(json_t *v, u_char *kept,
    u_char *end);


/*
 * The second factor's checks on the store: a TOTP code is verified
 * against the user's sealed secret here, then its step is made the last
 * accepted one with counter_advance, atomically on every node (a replay
 * or an older step is refused there); a backup code is consumed with
 * once_consume under its keyed hash (of parallel uses, one wins).
 *
 * The step counter lives NGX_HTTP_SECAUTH_MFA_STEP_TTL seconds: a step
 * is acceptable while the server's step is within one of it, 90 s at
 * most, so a counter gone after 120 s protects nothing any more.
 */


ngx_int_t
ngx_http_secauth_mfa_user_key(ngx_str_t *user, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "mfa-user\n");
    parts[1] = *user;

    return ngx_http_secauth_sha256(parts, 2, key);
}


static ngx_int_t
ngx_http_secauth_mfa_step_key(ngx_str_t *user, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "mfa-step\n");
    parts[1] = *user;

    return ngx_http_secauth_sha256(parts, 2, key);
}


/* "1:GEN:SEALED" */

ngx_int_t
ngx_http_secauth_mfa_record_parse(ngx_str_t *data,
    ngx_http_secauth_mfa_record_t *rec)
{
    u_char  *p, *last, *colon;
    off_t    gen;

    p = data->data;
    last = p + data->len;

    if (data->len < 5 || p[0] != '1' || p[1] != ':') {
        return NGX_DECLINED;
    }

    p += 2;

    colon = ngx_strlchr(p, last, ':');
    if (colon == NULL || colon == p || colon - p > 19) {
        return NGX_DECLINED;
    }

    gen = ngx_atoof(p, colon - p);
    if (gen == NGX_ERROR) {
        return NGX_DECLINED;
    }

    rec->gen = (uint64_t) gen;
    rec->sealed.data = colon + 1;
    rec->sealed.len = last - colon - 1;

    return rec->sealed.len ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_secauth_mfa_check(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user,
    ngx_http_secauth_mfa_record_t *rec, ngx_str_t *code)
{
    ngx_int_t  rc;

    rc = ngx_http_secauth_mfa_check_totp(r, op, user, &rec->sealed, code);

    if (rc != NGX_ABORT) {
        return rc;
    }

    return ngx_http_secauth_mfa_backup(r, op, 0, user, rec->gen, code);
}


ngx_int_t
ngx_http_secauth_mfa_check_totp(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_str_t *sealed,
    ngx_str_t *code)
{
    int                            m;
    size_t                         len;
    uint32_t                       totp;
    uint64_t                       step;
    ngx_int_t                      rc;
    u_char                         secret[64];
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->secret == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_secauth_totp_parse(code->data, code->len, &totp) != 0) {
        return NGX_ABORT;
    }

    rc = ngx_http_secauth_mfa_open(smcf->secret, user, sealed, secret,
                                   sizeof(secret), &len);
    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: the TOTP secret of \"%V\" does not open "
                      "with secauth_secret_key (another key?)", user);
        return NGX_ERROR;
    }

    m = ngx_http_secauth_totp_verify(secret, len,
                                     ngx_http_secauth_totp_step(
                                         (uint64_t) ngx_time()),
                                     0, totp, &step);

    ngx_explicit_memzero(secret, sizeof(secret));

    if (m < 0) {
        return NGX_ERROR;
    }

    if (m == 0) {
        return NGX_DECLINED;
    }

    op->counter = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_counter_t));
    if (op->counter == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_secauth_mfa_step_key(user, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    op->counter->value = step;
    op->ttl = NGX_HTTP_SECAUTH_MFA_STEP_TTL;

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       counter_advance, op);
}


ngx_int_t
ngx_http_secauth_mfa_check_old(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, uint64_t gen,
    ngx_str_t *code)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->secret == NULL || !smcf->secret->has_old) {
        return NGX_DECLINED;
    }

    return ngx_http_secauth_mfa_backup(r, op, 1, user, gen, code);
}


/* a backup code, consumed under its keyed hash */

static ngx_int_t
ngx_http_secauth_mfa_backup(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_uint_t old, ngx_str_t *user,
    uint64_t gen, ngx_str_t *code)
{
    ngx_int_t                      rc;
    ngx_str_t                      backup;
    u_char                         bc[NGX_HTTP_SECAUTH_BACKUP_CODE_LEN];
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (ngx_http_secauth_backup_code_parse(code->data, code->len, bc) != 0) {
        return NGX_DECLINED;
    }

    backup.data = bc;
    backup.len = sizeof(bc);

    rc = ngx_http_secauth_mfa_code_hash(smcf->secret, old, user, gen,
                                        &backup, op->key);
    if (rc != NGX_OK) {
        return rc;
    }

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       once_consume, op);
}


void
ngx_http_secauth_mfa_amr(ngx_uint_t level, ngx_str_t *amr)
{
    if (level & NGX_HTTP_SECAUTH_AMR_OTP) {
        ngx_str_set(amr, "pwd otp mfa");

    } else if (level) {
        ngx_str_set(amr, "pwd");

    } else {
        ngx_str_null(amr);
    }
}


/*
 * RFC 8176 names are short registered words; an identity provider's own
 * may be anything, and are shown only when they are plain words: no
 * control byte nor space reaches $secauth_amr, and its length is bounded
 * (NGX_HTTP_SECAUTH_AMR_MEMBERS names, each with its space).
 */

ngx_int_t
ngx_http_secauth_mfa_amr_claim(ngx_pool_t *pool, void *claim,
    ngx_uint_t *level, ngx_str_t *names)
{
    u_char      *p, *buf;
    size_t       i, len;
    json_t      *amr, *v;
    const char  *name;

    amr = claim;

    *level = 0;
    ngx_str_null(names);

    if (!json_is_array(amr) || json_array_size(amr) == 0) {
        return NGX_OK;
    }

    buf = ngx_pnalloc(pool, NGX_HTTP_SECAUTH_AMR_MEMBERS
                            * (NGX_HTTP_SECAUTH_AMR_NAME_MAX + 1));
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = buf;

    json_array_foreach(amr, i, v) {
        if (i == NGX_HTTP_SECAUTH_AMR_MEMBERS) {
            break;
        }

        if (!ngx_http_secauth_mfa_amr_name(v, buf, p)) {
            continue;
        }

        name = json_string_value(v);
        len = json_string_length(v);

        if (len == 3 && ngx_strncmp(name, "pwd", 3) == 0) {
            *level |= NGX_HTTP_SECAUTH_AMR_PWD;

        } else if (len == 3 && ngx_strncmp(name, "mfa", 3) == 0) {
            *level |= NGX_HTTP_SECAUTH_AMR_OTP;
        }

        if (p != buf) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, name, len);
    }

    names->data = buf;
    names->len = p - buf;

    return NGX_OK;
}


/* a member worth keeping: a plain word not already in kept .. end */

static ngx_flag_t
ngx_http_secauth_mfa_amr_name(json_t *v, u_char *kept, u_char *end)
{
    u_char      *p, *word;
    size_t       i, len;
    const char  *name;

    if (!json_is_string(v)) {
        return 0;
    }

    name = json_string_value(v);
    len = json_string_length(v);

    if (len == 0 || len > NGX_HTTP_SECAUTH_AMR_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '-' || name[i] == '_' || name[i] == '.'))
        {
            return 0;
        }
    }

    for (word = kept, p = kept; p <= end; p++) {
        if (p == end || *p == ' ') {
            if ((size_t) (p - word) == len
                && ngx_strncmp(word, name, len) == 0)
            {
                return 0;
            }

            word = p + 1;
        }
    }

    return 1;
}
