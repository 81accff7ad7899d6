
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_MFA_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_MFA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


/*
 * The second factor's state and checks (ngx_http_secauth_mfa.c), through
 * the store interface only (docs/mfa.md gives the keys):
 *
 *   the user's record   value_get / once_put / once_consume under
 *                       SHA-256("mfa-user\n" user): "1:GEN:SEALED",
 *                       GEN the backup-code set's number, SEALED the
 *                       base64url of the AES-256-GCM sealed secret
 *   the last TOTP step  counter_advance under SHA-256("mfa-step\n" user)
 *   each backup code    once_put / once_consume under its HMAC-SHA-256
 *                       (ngx_http_secauth_mfa_code_hash)
 */


/* session levels (the record's "level"): bits, old records hold 1 */
#define NGX_HTTP_SECAUTH_AMR_PWD    0x01
#define NGX_HTTP_SECAUTH_AMR_OTP    0x02

/* an amr claim: members looked at, and the longest name kept */
#define NGX_HTTP_SECAUTH_AMR_MEMBERS  16
#define NGX_HTTP_SECAUTH_AMR_NAME_MAX 16

/* the record and the backup codes stay; the step counter, see mfa.c */
#define NGX_HTTP_SECAUTH_MFA_TTL    (10 * 365 * 24 * 60 * 60)
#define NGX_HTTP_SECAUTH_MFA_STEP_TTL  120
/* backup codes in a set; an enrolment's pending secret, seconds */
#define NGX_HTTP_SECAUTH_MFA_CODES     10
#define NGX_HTTP_SECAUTH_MFA_ENROL_TTL 600


typedef struct {
    uint64_t                    gen;
    ngx_str_t                   sealed;
} ngx_http_secauth_mfa_record_t;


ngx_int_t ngx_http_secauth_mfa_user_key(ngx_str_t *user, u_char *key);
ngx_int_t ngx_http_secauth_mfa_record_parse(ngx_str_t *data,
    ngx_http_secauth_mfa_record_t *rec);

/*
 * Starts the check of a code typed by user, whose record is rec: a TOTP
 * code (6 digits) or a backup code. op is filled and the store called:
 * the op's answer (op->rc) is NGX_OK for an accepted code, NGX_DECLINED
 * for a replayed TOTP step or a spent or unknown backup code.
 *
 * Returns the store call's NGX_OK or NGX_AGAIN; NGX_DECLINED when the
 * code is refused without asking the store (malformed, no TOTP step
 * matches); NGX_ERROR when the secret does not open (another key) or
 * memory runs out.
 */
ngx_int_t ngx_http_secauth_mfa_check(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user,
    ngx_http_secauth_mfa_record_t *rec, ngx_str_t *code);

/*
 * The TOTP part of ngx_http_secauth_mfa_check(), on a sealed secret of
 * user's (the record's, or an enrolment's pending one): the same
 * answers, and NGX_ABORT when the code is no TOTP code (6 digits).
 */
ngx_int_t ngx_http_secauth_mfa_check_totp(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_str_t *sealed,
    ngx_str_t *code);

/*
 * After a backup code was refused under the current key: the same code
 * hashed under the old key of a rotation (secauth_secret_key old=),
 * consumed the same way. NGX_DECLINED when there is no old key or the
 * code is no backup code; else as ngx_http_secauth_mfa_check().
 */
ngx_int_t ngx_http_secauth_mfa_check_old(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, uint64_t gen,
    ngx_str_t *code);

/*
 * What an enrolment writes (ngx_http_secauth_mfa_state.c). Each fills
 * op (zeroed, pool and log set) and calls the store: NGX_OK or
 * NGX_AGAIN as the store call, NGX_ERROR before it. record_get: the
 * record read (consume 0) or deleted (1), op->rc NGX_DECLINED when TOTP
 * is off; enrol_get: the pending secret of the session whose store key
 * is session_key, read or consumed, in op->once->data.
 */
ngx_int_t ngx_http_secauth_mfa_record_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_flag_t consume);
ngx_int_t ngx_http_secauth_mfa_record_put(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, uint64_t gen,
    ngx_str_t *sealed);
ngx_int_t ngx_http_secauth_mfa_gen_new(uint64_t *gen);
ngx_int_t ngx_http_secauth_mfa_codes_new(ngx_http_request_t *r,
    ngx_str_t *user, uint64_t gen, ngx_str_t *codes);
ngx_int_t ngx_http_secauth_mfa_secret_new(ngx_http_request_t *r,
    ngx_str_t *user, ngx_str_t *b32, ngx_str_t *sealed);
ngx_int_t ngx_http_secauth_mfa_enrol_put(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, u_char *session_key, ngx_str_t *sealed);
ngx_int_t ngx_http_secauth_mfa_enrol_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, u_char *session_key,
    ngx_flag_t consume);

/* "pwd", "pwd otp mfa": RFC 8176 names of a level, space-separated */
void ngx_http_secauth_mfa_amr(ngx_uint_t level, ngx_str_t *amr);

/*
 * The amr claim of a verified token (a json_t *, NULL when absent):
 * *level gets the PWD bit for a member "pwd" and the OTP bit for "mfa",
 * *names the members, space-separated, for $secauth_amr. Anything but an
 * array of strings counts for nothing: only the first
 * NGX_HTTP_SECAUTH_AMR_MEMBERS members are looked at, and a member that
 * is not a string of 1 to NGX_HTTP_SECAUTH_AMR_NAME_MAX letters, digits,
 * '-', '_' or '.', or repeats one before it, is left out. NGX_ERROR: no
 * memory.
 */
ngx_int_t ngx_http_secauth_mfa_amr_claim(ngx_pool_t *pool, void *claim,
    ngx_uint_t *level, ngx_str_t *names);


#endif /* _NGX_HTTP_SECAUTH_MFA_H_INCLUDED_ */
