
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>
#include <zxcvbn.h>

#include "ngx_http_secauth_policy.h"
#include "ngx_http_secauth_userfile.h"


#ifdef USE_DICT_FILE
#error "zxcvbn built to read its dictionary from a file (config refuses it)"
#endif


/* user dictionary words given to zxcvbn: the name, its local part, fields */
#define NGX_HTTP_SECAUTH_POLICY_WORDS  16


static int ngx_http_secauth_policy_word_cmp(const void *a, const void *b);
static int ngx_http_secauth_policy_contains(const unsigned char *h,
    size_t hl, const unsigned char *n, size_t nl);


/*
 * zxcvbn's score: guesses < 10^3 + 5 is 0, < 10^6 + 5 is 1, < 10^8 + 5
 * is 2, < 10^10 + 5 is 3, else 4; with guesses = 2^entropy, that is
 * entropy < log2 of each bound (computed to 12 digits, no libm needed).
 */

static const double  ngx_http_secauth_policy_bits[] = {
    9.972247844242,         /* log2(1005) */
    19.931575603357,        /* log2(1000005) */
    26.575424622624,        /* log2(100000005) */
    33.219280949569         /* log2(10000000005) */
};


int
ngx_http_secauth_nfkc(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len, size_t *out_len)
{
    size_t    n;
    uint8_t  *r;

    if (!ngx_http_secauth_utf8_valid(src, len)
        || memchr(src, '\0', len) != NULL)
    {
        return NGX_HTTP_SECAUTH_NFKC_INVALID;
    }

    if (len == 0) {
        *out_len = 0;
        return NGX_HTTP_SECAUTH_NFKC_OK;
    }

    n = size;
    r = u8_normalize(UNINORM_NFKC, src, len, size ? dst : NULL, &n);

    if (r == NULL) {
        return errno == ENOMEM ? NGX_HTTP_SECAUTH_NFKC_ERROR
                               : NGX_HTTP_SECAUTH_NFKC_INVALID;
    }

    if (r != dst) {
        /* libunistring allocated: the result did not fit */
        free(r);
        return NGX_HTTP_SECAUTH_NFKC_TOO_LONG;
    }

    *out_len = n;

    return NGX_HTTP_SECAUTH_NFKC_OK;
}


unsigned char *
ngx_http_secauth_policy_fold(const unsigned char *src, size_t len,
    size_t *out_len)
{
    size_t    n, m;
    uint8_t  *a, *b;

    *out_len = 0;

    if (len == 0) {
        return NULL;
    }

    /* ASCII is its own NFKC form and folds to lower case: most lines */

    for (n = 0; n < len && src[n] < 0x80; n++) { /* void */ }

    if (n == len) {
        b = malloc(len);
        if (b == NULL) {
            *out_len = (size_t) -1;
            return NULL;
        }

        for (n = 0; n < len; n++) {
            b[n] = (src[n] >= 'A' && src[n] <= 'Z') ? src[n] | 0x20 : src[n];
        }

        *out_len = len;

        return b;
    }

    if (!ngx_http_secauth_utf8_valid(src, len)) {
        return NULL;
    }

    a = u8_normalize(UNINORM_NFKC, src, len, NULL, &n);
    if (a == NULL) {
        *out_len = (size_t) -1;
        return NULL;
    }

    /* full case folding, then NFKC again (folding may denormalise) */

    b = u8_casefold(a, n, NULL, UNINORM_NFKC, NULL, &m);
    free(a);

    if (b == NULL) {
        *out_len = (size_t) -1;
        return NULL;
    }

    *out_len = m;

    return b;
}


size_t
ngx_http_secauth_policy_length(const unsigned char *p, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


int
ngx_http_secauth_policy_score(const char *password,
    const char *const *words, double *entropy)
{
    int     score;
    double  e;

    e = ZxcvbnMatch(password, (const char **) words, NULL);

    if (entropy) {
        *entropy = e;
    }

    for (score = 0; score < 4; score++) {
        if (e < ngx_http_secauth_policy_bits[score]) {
            break;
        }
    }

    return score;
}


unsigned
ngx_http_secauth_policy_check(const ngx_http_secauth_policy_t *pol,
    const unsigned char *password, size_t len, const unsigned char *user,
    size_t ulen, const char *const *fields)
{
    int             rc;
    char           *local;
    size_t          n, typed, cp, fl, ul, nw, i;
    unsigned        reasons;
    unsigned char  *nfkc, *folded, *ufold, *at;
    const char     *words[NGX_HTTP_SECAUTH_POLICY_WORDS + 1];

    if (!ngx_http_secauth_utf8_valid(password, len)
        || memchr(password, '\0', len) != NULL)
    {
        /* nothing else can be judged: the bytes are no text */
        return NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8;
    }

    reasons = 0;
    nfkc = NULL;
    folded = NULL;
    ufold = NULL;
    local = NULL;

    /* the NFKC form, NUL-terminated for zxcvbn */

    n = 0;

    if (len > 0) {
        nfkc = u8_normalize(UNINORM_NFKC, password, len, NULL, &n);
        if (nfkc == NULL) {
            return NGX_HTTP_SECAUTH_POLICY_ERROR;
        }

        at = realloc(nfkc, n + 1);
        if (at == NULL) {
            free(nfkc);
            return NGX_HTTP_SECAUTH_POLICY_ERROR;
        }

        nfkc = at;
    }

    typed = ngx_http_secauth_policy_length(password, len);
    cp = ngx_http_secauth_policy_length(nfkc, n);

    if (cp < pol->min) {
        reasons |= NGX_HTTP_SECAUTH_POLICY_TOO_SHORT;
    }

    if (cp > pol->max || typed > pol->max) {
        reasons |= NGX_HTTP_SECAUTH_POLICY_TOO_LONG;
    }

    /* the folded forms: the blocklist and the user name */

    folded = ngx_http_secauth_policy_fold(password, len, &fl);
    if (folded == NULL && fl == (size_t) -1) {
        goto error;
    }

    if (pol->blocklist
        && ngx_http_secauth_policy_blocklisted(pol->blocklist, folded, fl))
    {
        reasons |= NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED;
    }

    nw = 0;

    if (ulen > 0) {
        ufold = ngx_http_secauth_policy_fold(user, ulen, &ul);
        if (ufold == NULL && ul == (size_t) -1) {
            goto error;
        }

        if (ufold != NULL
            && ((ul == fl && memcmp(ufold, folded, ul) == 0)
                || (ngx_http_secauth_policy_length(ufold, ul)
                    >= NGX_HTTP_SECAUTH_POLICY_NAME_CONTAINS
                    && ngx_http_secauth_policy_contains(folded, fl,
                                                        ufold, ul))))
        {
            reasons |= NGX_HTTP_SECAUTH_POLICY_CONTAINS_USERNAME;
        }

        /* the user name and, for an e-mail address, its local part */

        if (memchr(user, '\0', ulen) == NULL) {
            local = malloc(ulen + 1);
            if (local == NULL) {
                goto error;
            }

            memcpy(local, user, ulen);
            local[ulen] = '\0';
            words[nw++] = local;
        }
    }

    for (i = 0; fields && fields[i] && nw < NGX_HTTP_SECAUTH_POLICY_WORDS;
         i++)
    {
        words[nw++] = fields[i];
    }

    words[nw] = NULL;

    /* zxcvbn on the NFKC form; a bounded length bounds its time */

    if (n > 0 && cp <= 4 * NGX_HTTP_SECAUTH_POLICY_HARD_MAX) {
        nfkc[n] = '\0';
        rc = ngx_http_secauth_policy_score((char *) nfkc, words, NULL);

        if (rc < pol->strength) {
            reasons |= NGX_HTTP_SECAUTH_POLICY_TOO_WEAK;
        }

        if (local != NULL) {
            /* the local part of an e-mail address too, on its own */
            at = memchr(local, '@', ulen);

            if (at != NULL && at != (unsigned char *) local) {
                *at = '\0';
                rc = ngx_http_secauth_policy_score((char *) nfkc, words,
                                                   NULL);
                if (rc < pol->strength) {
                    reasons |= NGX_HTTP_SECAUTH_POLICY_TOO_WEAK;
                }
            }
        }

    } else if (n == 0 && pol->strength > 0) {
        reasons |= NGX_HTTP_SECAUTH_POLICY_TOO_WEAK;
    }

    free(local);
    free(ufold);
    free(folded);
    free(nfkc);

    return reasons;

error:

    free(local);
    free(ufold);
    free(folded);
    free(nfkc);

    return NGX_HTTP_SECAUTH_POLICY_ERROR;
}


static int
ngx_http_secauth_policy_contains(const unsigned char *h, size_t hl,
    const unsigned char *n, size_t nl)
{
    size_t  i;

    if (nl == 0 || nl > hl) {
        return 0;
    }

    for (i = 0; i + nl <= hl; i++) {
        if (memcmp(h + i, n, nl) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
ngx_http_secauth_policy_word_cmp(const void *a, const void *b)
{
    int                                    rc;
    const ngx_http_secauth_policy_word_t  *x = a, *y = b;

    rc = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

    if (rc != 0) {
        return rc;
    }

    return (x->len > y->len) - (x->len < y->len);
}


int
ngx_http_secauth_policy_blocklist_load(
    ngx_http_secauth_policy_blocklist_t *bl, const unsigned char *data,
    size_t len)
{
    size_t                           lines, i, ll, fl, used, room, k;
    unsigned char                   *text, *f, *t;
    const unsigned char             *p, *last, *nl;
    ngx_http_secauth_policy_word_t  *words;

    memset(bl, 0, sizeof(ngx_http_secauth_policy_blocklist_t));

    lines = 0;

    for (p = data, last = data + len; p < last; p = nl + 1) {
        nl = memchr(p, '\n', last - p);
        lines++;

        if (nl == NULL) {
            break;
        }
    }

    words = malloc((lines ? lines : 1) * sizeof(*words));
    if (words == NULL) {
        return -1;
    }

    /* folding rarely grows a line: start at the file's size, grow */

    room = len + 64;
    text = malloc(room);
    if (text == NULL) {
        free(words);
        return -1;
    }

    used = 0;
    k = 0;

    for (p = data; p < last; p = nl + 1) {
        nl = memchr(p, '\n', last - p);
        if (nl == NULL) {
            nl = last;
        }

        ll = nl - p;

        if (ll > 0 && p[ll - 1] == '\r') {
            ll--;
        }

        if (ll == 0) {
            continue;
        }

        if (!ngx_http_secauth_utf8_valid(p, ll)) {
            bl->skipped++;
            continue;
        }

        f = ngx_http_secauth_policy_fold(p, ll, &fl);
        if (f == NULL) {
            if (fl == (size_t) -1) {
                goto failed;
            }

            continue;
        }

        if (used + fl > room) {
            room = (room + fl) * 2;
            t = realloc(text, room);
            if (t == NULL) {
                free(f);
                goto failed;
            }

            text = t;
        }

        memcpy(text + used, f, fl);
        free(f);

        /* offsets for now: text may still move */
        words[k].data = (const unsigned char *) (uintptr_t) used;
        words[k].len = fl;
        k++;
        used += fl;
    }

    for (i = 0; i < k; i++) {
        words[i].data = text + (uintptr_t) words[i].data;
    }

    qsort(words, k, sizeof(*words), ngx_http_secauth_policy_word_cmp);

    /* duplicates out */

    for (i = 0, ll = 0; i < k; i++) {
        if (ll > 0
            && ngx_http_secauth_policy_word_cmp(&words[ll - 1], &words[i])
               == 0)
        {
            continue;
        }

        words[ll++] = words[i];
    }

    bl->words = words;
    bl->nwords = ll;
    bl->text = text;

    return 0;

failed:

    free(words);
    free(text);
    memset(bl, 0, sizeof(ngx_http_secauth_policy_blocklist_t));

    return -1;
}


void
ngx_http_secauth_policy_blocklist_free(ngx_http_secauth_policy_blocklist_t *bl)
{
    free(bl->words);
    free(bl->text);
    memset(bl, 0, sizeof(ngx_http_secauth_policy_blocklist_t));
}


int
ngx_http_secauth_policy_blocklisted(
    const ngx_http_secauth_policy_blocklist_t *bl, const unsigned char *p,
    size_t len)
{
    ngx_http_secauth_policy_word_t  key;

    if (bl == NULL || bl->nwords == 0 || p == NULL || len == 0) {
        return 0;
    }

    key.data = p;
    key.len = len;

    return bsearch(&key, bl->words, bl->nwords, sizeof(key),
                   ngx_http_secauth_policy_word_cmp)
           != NULL;
}


/* the reasons in bit order: code, sentence (with min, max or neither) */

static const struct {
    unsigned     bit;
    const char  *code;
    const char  *sentence;
    int          number;     /* 1: pol->min, 2: pol->max */
} ngx_http_secauth_policy_reasons[] = {
    { NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8, "invalid_utf8",
      "The password contains characters that cannot be used.", 0 },
    { NGX_HTTP_SECAUTH_POLICY_TOO_SHORT, "too_short",
      "The password is too short: use at least %zu characters.", 1 },
    { NGX_HTTP_SECAUTH_POLICY_TOO_LONG, "too_long",
      "The password is too long: use at most %zu characters.", 2 },
    { NGX_HTTP_SECAUTH_POLICY_TOO_WEAK, "too_weak",
      "The password is too easy to guess: try a few unrelated words.", 0 },
    { NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED, "blocklisted",
      "The password is on a list of common or leaked passwords.", 0 },
    { NGX_HTTP_SECAUTH_POLICY_CONTAINS_USERNAME, "contains_username",
      "The password must not contain your user name.", 0 },
    { NGX_HTTP_SECAUTH_POLICY_ERROR, "internal_error",
      "The password could not be checked: try again later.", 0 }
};


const char *
ngx_http_secauth_policy_code(unsigned reason)
{
    size_t  i;

    for (i = 0; i < sizeof(ngx_http_secauth_policy_reasons)
                    / sizeof(ngx_http_secauth_policy_reasons[0]); i++)
    {
        if (ngx_http_secauth_policy_reasons[i].bit == reason) {
            return ngx_http_secauth_policy_reasons[i].code;
        }
    }

    return NULL;
}


size_t
ngx_http_secauth_policy_text(unsigned reasons,
    const ngx_http_secauth_policy_t *pol, int json, char *buf, size_t size)
{
    int          k;
    size_t       n, i, l, c;
    char         one[160];

    n = 0;
    k = 0;

    if (size > 0) {
        buf[0] = '\0';
    }

    for (i = 0; i <= sizeof(ngx_http_secauth_policy_reasons)
                     / sizeof(ngx_http_secauth_policy_reasons[0]); i++)
    {
        if (i == sizeof(ngx_http_secauth_policy_reasons)
                 / sizeof(ngx_http_secauth_policy_reasons[0]))
        {
            /* the end: "]" for JSON */
            if (!json) {
                break;
            }

            snprintf(one, sizeof(one), "%s]", k ? "" : "[");

        } else if (!(reasons & ngx_http_secauth_policy_reasons[i].bit)) {
            continue;

        } else if (json) {
            snprintf(one, sizeof(one), "%s\"%s\"", k ? "," : "[",
                     ngx_http_secauth_policy_reasons[i].code);
            k++;

        } else {
            l = k ? 1 : 0;
            one[0] = ' ';
            snprintf(one + l, sizeof(one) - l,
                     ngx_http_secauth_policy_reasons[i].sentence,
                     ngx_http_secauth_policy_reasons[i].number == 1
                     ? pol->min : pol->max);
            k++;
        }

        /* append, cut short at size, counting the whole */

        l = strlen(one);

        if (n + 1 < size) {
            c = (size - 1 - n < l) ? size - 1 - n : l;
            memcpy(buf + n, one, c);
            buf[n + c] = '\0';
        }

        n += l;
    }

    return n;
}
