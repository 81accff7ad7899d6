
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_policy.c: the input is a password, then, after
 * the first "\n", a user name; all of it is a blocklist file too.
 * Asserted: no crash or leak on any bytes; NFKC is idempotent (the form
 * of the form is the form) and agrees with the UTF-8 check; the fold is
 * idempotent; the reasons are only the known bits, INVALID_UTF8 alone
 * and exactly when the bytes are not UTF-8 or hold a NUL; the password
 * is in a blocklist made of its own line; the text of the reasons fits
 * and is NUL-terminated.
 */


#include <string.h>

#include "ngx_http_secauth_policy.h"
#include "ngx_http_secauth_userfile.h"
#include "fuzz.h"


#define FUZZ_POLICY_ALL  (NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8              \
                          | NGX_HTTP_SECAUTH_POLICY_TOO_SHORT               \
                          | NGX_HTTP_SECAUTH_POLICY_TOO_LONG                \
                          | NGX_HTTP_SECAUTH_POLICY_TOO_WEAK                \
                          | NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED             \
                          | NGX_HTTP_SECAUTH_POLICY_CONTAINS_USERNAME)


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                                   rc, valid;
    char                                  text[512];
    size_t                                pl, ul, n1, n2, f1, f2;
    unsigned                              r;
    unsigned char                        *pw, *user, *a, *b, *fa, *fb;
    const unsigned char                  *nl;
    ngx_http_secauth_policy_t             pol = { 12, 128, 3, NULL };
    ngx_http_secauth_policy_blocklist_t   bl;

    /* longer inputs only slow zxcvbn down: the module caps at 512 bytes */
    if (size > 2048) {
        return 0;
    }

    nl = memchr(data, '\n', size);
    pl = nl ? (size_t) (nl - data) : size;
    ul = nl ? size - pl - 1 : 0;

    pw = malloc(pl ? pl : 1);
    user = malloc(ul ? ul : 1);
    a = malloc(4 * 18 * pl + 1);
    b = malloc(4 * 18 * pl + 1);
    fuzz_assert(pw != NULL && user != NULL && a != NULL && b != NULL);
    memcpy(pw, data, pl);
    memcpy(user, data + pl + (nl != NULL), ul);

    valid = ngx_http_secauth_utf8_valid(pw, pl)
            && memchr(pw, '\0', pl) == NULL;

    /* NFKC: room for the worst expansion (18 code points of 4 bytes) */

    rc = ngx_http_secauth_nfkc(a, 4 * 18 * pl + 1, pw, pl, &n1);
    fuzz_assert(rc == (valid ? NGX_HTTP_SECAUTH_NFKC_OK
                             : NGX_HTTP_SECAUTH_NFKC_INVALID));

    if (rc == NGX_HTTP_SECAUTH_NFKC_OK) {
        fuzz_assert(ngx_http_secauth_utf8_valid(a, n1));
        rc = ngx_http_secauth_nfkc(b, 4 * 18 * pl + 1, a, n1, &n2);
        fuzz_assert(rc == NGX_HTTP_SECAUTH_NFKC_OK);
        fuzz_assert(n1 == n2 && memcmp(a, b, n1) == 0);
    }

    fa = ngx_http_secauth_policy_fold(pw, pl, &f1);
    fuzz_assert(f1 != (size_t) -1);

    if (fa != NULL) {
        fb = ngx_http_secauth_policy_fold(fa, f1, &f2);
        fuzz_assert(fb != NULL && f1 == f2 && memcmp(fa, fb, f1) == 0);
        free(fb);
    }

    /* the whole input as a blocklist: the password's line is in it */

    rc = ngx_http_secauth_policy_blocklist_load(&bl, data, size);
    fuzz_assert(rc == 0);
    pol.blocklist = &bl;

    r = ngx_http_secauth_policy_check(&pol, pw, pl, user, ul, NULL);

    fuzz_assert((r & ~FUZZ_POLICY_ALL) == 0);
    fuzz_assert(valid
                ? !(r & NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8)
                : r == NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8);

    if (valid && fa != NULL && (pl == 0 || pw[pl - 1] != '\r')) {
        fuzz_assert(r & NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED);
    }

    n1 = ngx_http_secauth_policy_text(r, &pol, 1, text, sizeof(text));
    fuzz_assert(n1 < sizeof(text) && strlen(text) == n1);
    n1 = ngx_http_secauth_policy_text(r, &pol, 0, text, sizeof(text));
    fuzz_assert(n1 < sizeof(text) && strlen(text) == n1);

    ngx_http_secauth_policy_blocklist_free(&bl);
    free(fa);
    free(pw);
    free(user);
    free(a);
    free(b);

    return 0;
}
