
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_TOTP_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_TOTP_H_INCLUDED_


/*
 * HOTP (RFC 4226) and TOTP (RFC 6238) as authenticator apps run them:
 * HMAC-SHA-1, 6 digits, 30 s steps from the Unix epoch, one step of
 * clock skew each way. Plain C on OpenSSL, without nginx:
 * t/unit/totp_test.c links it alone.
 *
 * Replay protection is the caller's: verify answers the step that
 * matched, and the caller advances the user's last accepted step to it
 * atomically in the store, refusing when it was not later.
 */


#include <stddef.h>
#include <stdint.h>


#define NGX_HTTP_SECAUTH_TOTP_PERIOD       30
#define NGX_HTTP_SECAUTH_TOTP_DIGITS       6
#define NGX_HTTP_SECAUTH_TOTP_WINDOW       1
/* the secrets made here: 160 bits, RFC 4226 4's recommendation */
#define NGX_HTTP_SECAUTH_TOTP_SECRET_LEN   20
/* longest code input looked at; longer is refused unread */
#define NGX_HTTP_SECAUTH_TOTP_INPUT_MAX    16


/*
 * The HOTP value of counter under the keylen bytes of key (1 to 64):
 * 0 to 999999, or -1 when the key length is out of range or HMAC fails.
 */
long ngx_http_secauth_hotp(const unsigned char *key, size_t keylen,
    uint64_t counter);

/* the TOTP time step of a Unix time in seconds */
uint64_t ngx_http_secauth_totp_step(uint64_t unix_time);

/*
 * A code as typed: ASCII spaces (0x20) anywhere are dropped, as apps
 * show "123 456"; what remains must be exactly 6 ASCII digits '0'-'9'.
 * Anything else is refused: tabs and other white space, signs, letters,
 * full-width or other non-ASCII digits, fewer or more digits, an empty
 * input, and any input over NGX_HTTP_SECAUTH_TOTP_INPUT_MAX bytes.
 *
 * Returns 0 and the value in *code, or -1.
 */
int ngx_http_secauth_totp_parse(const unsigned char *p, size_t len,
    uint32_t *code);

/* a backup code: 10 characters of base32 in lower case, shown xxxxx-xxxxx */
#define NGX_HTTP_SECAUTH_BACKUP_CODE_LEN   10

/*
 * A backup code as typed: ASCII spaces and '-' anywhere are dropped,
 * ASCII letters folded to lower case; what remains must be exactly 10
 * characters of a-z and 2-7, written to out (room for 10). Inputs over
 * NGX_HTTP_SECAUTH_TOTP_INPUT_MAX bytes are refused unread.
 * Returns 0 or -1.
 */
int ngx_http_secauth_backup_code_parse(const unsigned char *p, size_t len,
    unsigned char *out);

/*
 * Checks code against the steps now_step - WINDOW .. now_step + WINDOW
 * that are later than after (pass 0 when no step was accepted yet: step
 * 0 is 1970's first 30 s). All three HOTP values are computed whatever
 * matches, so the time taken does not say which step did. On a match
 * *step is the earliest matching step.
 *
 * Returns 1 (a match), 0 (none), or -1 (bad key length, HMAC failure).
 */
int ngx_http_secauth_totp_verify(const unsigned char *key, size_t keylen,
    uint64_t now_step, uint64_t after, uint32_t code, uint64_t *step);


#endif /* _NGX_HTTP_SECAUTH_TOTP_H_INCLUDED_ */
