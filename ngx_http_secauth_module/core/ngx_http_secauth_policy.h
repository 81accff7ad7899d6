
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_POLICY_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_POLICY_H_INCLUDED_


/*
 * The password policy (docs/passwords.md, secauth_password_policy), on
 * bytes alone: no nginx header, so that t/unit/policy_test.c,
 * t/fuzz/fuzz_policy.c and tools/secauth-policy.c (which
 * scripts/secauth-user runs) link the code the module runs.
 *
 * NIST SP 800-63B-4 and ASVS 5.0 V6: lengths in Unicode code points of
 * the NFKC form, no composition rules, a blocklist, a strength estimate
 * (zxcvbn) with the user's own data as inputs. NFKC comes from
 * libunistring, the strength from zxcvbn-c (its dictionary compiled in).
 *
 * Memory: the blocklist and the results of normalisation are malloc()ed
 * (libunistring allocates); everything else is on the stack.
 */


#include <stddef.h>


/* reasons, a bitmask: every reason a password fails */
#define NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8       0x0001
#define NGX_HTTP_SECAUTH_POLICY_TOO_SHORT          0x0002
#define NGX_HTTP_SECAUTH_POLICY_TOO_LONG           0x0004
#define NGX_HTTP_SECAUTH_POLICY_TOO_WEAK           0x0008
#define NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED        0x0010
#define NGX_HTTP_SECAUTH_POLICY_CONTAINS_USERNAME  0x0020
/* not a verdict on the password: out of memory, refuse and log */
#define NGX_HTTP_SECAUTH_POLICY_ERROR              0x8000

/* the defaults of secauth_password_policy, and its bounds */
#define NGX_HTTP_SECAUTH_POLICY_MIN       12
#define NGX_HTTP_SECAUTH_POLICY_MAX       128
#define NGX_HTTP_SECAUTH_POLICY_STRENGTH  3
/* max= at most: the longest password a login takes (password.h) */
#define NGX_HTTP_SECAUTH_POLICY_HARD_MAX  128

/* a user name shorter than this (code points) is only refused equal */
#define NGX_HTTP_SECAUTH_POLICY_NAME_CONTAINS  3

/* ngx_http_secauth_nfkc() */
#define NGX_HTTP_SECAUTH_NFKC_OK           0
#define NGX_HTTP_SECAUTH_NFKC_INVALID      -1   /* not UTF-8, or a NUL */
#define NGX_HTTP_SECAUTH_NFKC_TOO_LONG     -2   /* does not fit in size */
#define NGX_HTTP_SECAUTH_NFKC_ERROR        -3   /* out of memory */


typedef struct {
    const unsigned char        *data;
    size_t                      len;
} ngx_http_secauth_policy_word_t;


/* the blocklist: NFKC + case-folded lines, sorted, no duplicates */
typedef struct {
    ngx_http_secauth_policy_word_t  *words;
    size_t                          nwords;
    unsigned char                  *text;      /* the words' bytes */
    size_t                          skipped;   /* lines not UTF-8 */
} ngx_http_secauth_policy_blocklist_t;


typedef struct {
    size_t                                min;       /* code points */
    size_t                                max;
    int                                   strength;  /* 0 to 4 */
    const ngx_http_secauth_policy_blocklist_t  *blocklist;  /* or NULL */
} ngx_http_secauth_policy_t;


/*
 * The NFKC form of the len bytes at src into dst (room for size bytes,
 * no NUL written), its length in *out_len. _INVALID when src is not
 * strict UTF-8 (ngx_http_secauth_utf8_valid()) or holds a NUL. ASCII is
 * its own NFKC form: an ASCII password hashes as it always did.
 */
int ngx_http_secauth_nfkc(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len, size_t *out_len);

/*
 * The form passwords are compared in with the blocklist and the user
 * name: NFKC, full case folding, NFKC again. A malloc()ed copy (free()
 * it; NULL for an empty src), its length in *out_len; NULL with
 * *out_len == 0 when src is not UTF-8, (size_t) -1 when out of memory.
 */
unsigned char *ngx_http_secauth_policy_fold(const unsigned char *src,
    size_t len, size_t *out_len);

/* Unicode code points of strict UTF-8 */
size_t ngx_http_secauth_policy_length(const unsigned char *p, size_t len);

/*
 * Every reason the password (len bytes of UTF-8) fails the policy, 0 when
 * it passes. user (ulen bytes, may be empty) is the user name; fields a
 * NULL-terminated array of other NUL-terminated strings of the user's
 * record (e-mail, display name) or NULL; both are zxcvbn's user
 * dictionary, and the password may not equal the user name nor contain
 * it (when NGX_HTTP_SECAUTH_POLICY_NAME_CONTAINS code points or longer),
 * compared folded. Lengths are of the NFKC form and of the typed form
 * alike: the longer must fit max (a login caps what is typed). zxcvbn's
 * score of the NFKC form must be at least strength.
 */
unsigned ngx_http_secauth_policy_check(const ngx_http_secauth_policy_t *pol,
    const unsigned char *password, size_t len, const unsigned char *user,
    size_t ulen, const char *const *fields);

/*
 * zxcvbn's score, 0 to 4, of a NUL-terminated UTF-8 string, from
 * ZxcvbnMatch()'s entropy as zxcvbn maps guesses (2^entropy) to a score;
 * *entropy gets the bits when not NULL. words: the user dictionary, as
 * for ZxcvbnMatch() (NULL-terminated, or NULL).
 */
int ngx_http_secauth_policy_score(const char *password,
    const char *const *words, double *entropy);

/*
 * Builds bl from a file's bytes (one password a line, "\r\n" or "\n",
 * empty lines skipped, nothing else special: "#" is a password too),
 * each folded. Lines that are not UTF-8 are counted in bl->skipped.
 * Returns 0, or -1 when out of memory (bl then empty). Free with
 * ngx_http_secauth_policy_blocklist_free().
 */
int ngx_http_secauth_policy_blocklist_load(
    ngx_http_secauth_policy_blocklist_t *bl, const unsigned char *data,
    size_t len);
void ngx_http_secauth_policy_blocklist_free(
    ngx_http_secauth_policy_blocklist_t *bl);
/* 1 when the folded form (of ngx_http_secauth_policy_fold()) is in bl */
int ngx_http_secauth_policy_blocklisted(
    const ngx_http_secauth_policy_blocklist_t *bl, const unsigned char *p,
    size_t len);

/* the JSON code of one reason bit ("too_short"), or NULL */
const char *ngx_http_secauth_policy_code(unsigned reason);

/*
 * The reasons as text into buf (size bytes, NUL-terminated, cut short if
 * need be); returns the length it would have. json: a JSON array of the
 * codes, ["too_short","too_weak"]; else English sentences for a page,
 * with the policy's numbers, separated by a space.
 */
size_t ngx_http_secauth_policy_text(unsigned reasons,
    const ngx_http_secauth_policy_t *pol, int json, char *buf, size_t size);


#endif /* _NGX_HTTP_SECAUTH_POLICY_H_INCLUDED_ */
