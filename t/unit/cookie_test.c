
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_cookie.c: the session cookie found
 * in Cookie headers as browsers send them (RFC 6265 5.4) and as attackers
 * may, and the shape check of its value. Headers are copied to blocks of
 * their exact length, without a NUL, so that ASan sees any overread.
 * Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_cookie.h"
#include "tap.h"


#define NAME  "__Host-secauth"


typedef struct {
    const char  *header;
    size_t       len;       /* 0: strlen(header) */
    const char  *name;      /* NULL: NAME */
    int          rc;
    int          found;
    const char  *value;     /* when found */
    size_t       value_len; /* 0: strlen(value) */
} cookie_case_t;


static int scan(const char *header, size_t len, const char *name,
    const unsigned char **value, size_t *value_len, unsigned int *found,
    unsigned char **copy);
static void test_cases(void);
static void test_headers(void);
static void test_untouched(void);
static void test_long(void);
static void test_id(void);


static const cookie_case_t  cases[] = {
    { NAME "=abc", 0, NULL, 0, 1, "abc", 0 },
    { "a=1; " NAME "=abc; b=2", 0, NULL, 0, 1, "abc", 0 },
    { "a=1;" NAME "=abc;b=2", 0, NULL, 0, 1, "abc", 0 },
    { " \t" NAME " \t= \tabc \t; b=2", 0, NULL, 0, 1, "abc", 0 },
    { NAME "=abc;", 0, NULL, 0, 1, "abc", 0 },
    { NAME "=abc;;;", 0, NULL, 0, 1, "abc", 0 },
    { ";;;" NAME "=abc", 0, NULL, 0, 1, "abc", 0 },
    { NAME "=", 0, NULL, 0, 1, "", 0 },
    { NAME "=   ", 0, NULL, 0, 1, "", 0 },
    { NAME "=;x=1", 0, NULL, 0, 1, "", 0 },
    { NAME "=a=b", 0, NULL, 0, 1, "a=b", 0 },
    { NAME "==", 0, NULL, 0, 1, "=", 0 },
    { NAME "=\"abc\"", 0, NULL, 0, 1, "\"abc\"", 0 },
    { NAME "=a b", 0, NULL, 0, 1, "a b", 0 },
    { NAME "=a,b", 0, NULL, 0, 1, "a,b", 0 },
    { NAME "=a\0b", sizeof(NAME "=a\0b") - 1, NULL, 0, 1, "a\0b", 3 },
    { NAME "=\xff\x80", 0, NULL, 0, 1, "\xff\x80", 0 },

    /* not our cookie */
    { "", 0, NULL, 0, 0, NULL, 0 },
    { ";", 0, NULL, 0, 0, NULL, 0 },
    { "   ", 0, NULL, 0, 0, NULL, 0 },
    { "=", 0, NULL, 0, 0, NULL, 0 },
    { "=abc", 0, NULL, 0, 0, NULL, 0 },
    { NAME, 0, NULL, 0, 0, NULL, 0 },
    { NAME ";" NAME, 0, NULL, 0, 0, NULL, 0 },
    { NAME "x=abc", 0, NULL, 0, 0, NULL, 0 },
    { "x" NAME "=abc", 0, NULL, 0, 0, NULL, 0 },
    { "__host-secauth=abc", 0, NULL, 0, 0, NULL, 0 },
    { "__HOST-SECAUTH=abc", 0, NULL, 0, 0, NULL, 0 },
    { "__Host-sec auth=abc", 0, NULL, 0, 0, NULL, 0 },
    { "__Host-secauth\0=abc", sizeof("__Host-secauth\0=abc") - 1, NULL,
      0, 0, NULL, 0 },
    { "\0__Host-secauth=abc", sizeof("\0__Host-secauth=abc") - 1, NULL,
      0, 0, NULL, 0 },
    { "__Host-secaut=abc", 0, NULL, 0, 0, NULL, 0 },
    { "\"" NAME "\"=abc", 0, NULL, 0, 0, NULL, 0 },
    { "x=" NAME "=abc", 0, NULL, 0, 0, NULL, 0 },
    { "x=\"a;" NAME "=abc\"", 0, NULL, 0, 1, "abc\"", 0 },
    { NAME "\r\n=abc", 0, NULL, 0, 0, NULL, 0 },
    { "\n" NAME "=abc", 0, NULL, 0, 0, NULL, 0 },

    /* two of ours: ambiguous */
    { NAME "=a; " NAME "=b", 0, NULL, -1, 1, "a", 0 },
    { NAME "=a;" NAME "=a", 0, NULL, -1, 1, "a", 0 },
    { NAME "=;" NAME "=", 0, NULL, -1, 1, "", 0 },
    { "x=1; " NAME "=a; y=2; " NAME "=b; z=3", 0, NULL, -1, 1, "a", 0 },
    { " " NAME "=a;\t" NAME " =b", 0, NULL, -1, 1, "a", 0 },

    /* other names */
    { "a=1; b=2", 0, "b", 0, 1, "2", 0 },
    { "a=1; b=2", 0, "a", 0, 1, "1", 0 },
    { "ab=1; b=2", 0, "a", 0, 0, NULL, 0 },
    { "=abc", 0, "", 0, 1, "abc", 0 },
    { "x=1; =abc", 0, "", 0, 1, "abc", 0 },
    { " = abc ", 0, "", 0, 1, "abc", 0 },

    { NULL, 0, NULL, 0, 0, NULL, 0 }
};


/* one header in a block of its exact length; *copy to be freed */

static int
scan(const char *header, size_t len, const char *name,
    const unsigned char **value, size_t *value_len, unsigned int *found,
    unsigned char **copy)
{
    int             rc;
    unsigned char  *n;

    *copy = tap_copy(header, len);
    n = tap_copy(name, strlen(name));

    rc = ngx_http_secauth_cookie_scan(*copy, len, n, strlen(name), value,
                                      value_len, found);
    free(n);

    return rc;
}


static void
test_cases(void)
{
    int                   rc, good;
    size_t                i, len, vlen, want_len;
    unsigned int          found;
    unsigned char        *copy;
    const unsigned char  *value;

    tap_diag("one Cookie header");

    for (i = 0; cases[i].header; i++) {
        len = cases[i].len ? cases[i].len : strlen(cases[i].header);

        found = 0;
        value = NULL;
        vlen = 0;

        rc = scan(cases[i].header, len, cases[i].name ? cases[i].name : NAME,
                  &value, &vlen, &found, &copy);

        good = (rc == cases[i].rc && (int) found == cases[i].found);

        if (good && cases[i].found) {
            want_len = cases[i].value_len ? cases[i].value_len
                                          : strlen(cases[i].value);

            /* the value points into the header, not into a copy */

            good = value >= copy && value + vlen <= copy + len
                   && vlen == want_len
                   && memcmp(value, cases[i].value, vlen) == 0;
        }

        ok(good, "\"%.*s\" for \"%s\": rc %d, found %u, value \"%.*s\"",
           (int) len, cases[i].header, cases[i].name ? cases[i].name : NAME,
           rc, found, value ? (int) vlen : 0,
           value ? (const char *) value : "");

        free(copy);
    }
}


/* the request's Cookie headers one after another, as session.c scans */

static void
test_headers(void)
{
    int                   rc1, rc2;
    size_t                vlen;
    unsigned int          found;
    unsigned char        *c1, *c2;
    const unsigned char  *value;

    tap_diag("several Cookie headers");

    found = 0;
    rc1 = scan("a=1", 3, NAME, &value, &vlen, &found, &c1);
    rc2 = scan(NAME "=v", sizeof(NAME "=v") - 1, NAME, &value, &vlen,
               &found, &c2);
    ok(rc1 == 0 && rc2 == 0 && found == 1 && vlen == 1 && value[0] == 'v',
       "found in the second header");
    free(c1);
    free(c2);

    found = 0;
    rc1 = scan(NAME "=v", sizeof(NAME "=v") - 1, NAME, &value, &vlen, &found,
               &c1);
    rc2 = scan("a=1", 3, NAME, &value, &vlen, &found, &c2);
    ok(rc1 == 0 && rc2 == 0 && found == 1 && value == c1 + sizeof(NAME)
       && vlen == 1,
       "a later header without it leaves the first one's value");
    free(c1);
    free(c2);

    found = 0;
    rc1 = scan(NAME "=v", sizeof(NAME "=v") - 1, NAME, &value, &vlen, &found,
               &c1);
    rc2 = scan("a=1; " NAME "=w", sizeof("a=1; " NAME "=w") - 1, NAME,
               &value, &vlen, &found, &c2);
    ok(rc1 == 0 && rc2 == -1 && value == c1 + sizeof(NAME),
       "one in each of two headers: refused, the first value kept");
    free(c1);
    free(c2);
}


/* what the header says the outputs are left alone */

static void
test_untouched(void)
{
    int                   rc;
    size_t                vlen;
    unsigned int          found;
    unsigned char        *copy;
    const unsigned char  *value;

    tap_diag("outputs");

    found = 0;
    value = (const unsigned char *) "sentinel";
    vlen = 12345;

    rc = scan("a=1; b=2", 8, NAME, &value, &vlen, &found, &copy);
    ok(rc == 0 && found == 0 && vlen == 12345
       && memcmp(value, "sentinel", 8) == 0,
       "not found: value and length not written");
    free(copy);

    found = 1;
    rc = scan("a=1", 3, NAME, &value, &vlen, &found, &copy);
    ok(rc == 0 && found == 1 && vlen == 12345,
       "found before, not here: value not written");
    free(copy);

    found = 0;
    ok(ngx_http_secauth_cookie_scan(NULL, 0, (const unsigned char *) NAME,
                                    sizeof(NAME) - 1, &value, &vlen, &found)
       == 0 && found == 0 && vlen == 12345,
       "an empty header reads nothing");
}


static void
test_long(void)
{
    int                   rc;
    size_t                len, i, vlen;
    unsigned int          found;
    unsigned char        *h;
    const unsigned char  *value;

    tap_diag("long headers");

    /* 64k pairs before ours, which ends the header without a ";" */

    len = 65536 * 4 + sizeof(NAME "=end") - 1;
    h = tap_alloc(len);

    for (i = 0; i < 65536; i++) {
        memcpy(h + i * 4, "a=b;", 4);
    }

    memcpy(h + 65536 * 4, NAME "=end", sizeof(NAME "=end") - 1);

    found = 0;
    rc = ngx_http_secauth_cookie_scan(h, len, (const unsigned char *) NAME,
                                      sizeof(NAME) - 1, &value, &vlen,
                                      &found);
    ok(rc == 0 && found == 1 && vlen == 3 && memcmp(value, "end", 3) == 0,
       "found after 65536 other cookies");
    free(h);

    /* one pair of 1 MiB: spaces, then a name, then spaces to the end */

    len = 1 << 20;
    h = tap_alloc(len);
    memset(h, ' ', len);
    memcpy(h + len / 2, NAME "=", sizeof(NAME));

    found = 0;
    rc = ngx_http_secauth_cookie_scan(h, len, (const unsigned char *) NAME,
                                      sizeof(NAME) - 1, &value, &vlen,
                                      &found);
    ok(rc == 0 && found == 1 && vlen == 0,
       "1 MiB of spaces around a name: an empty value");

    /* the same without "=": no pair at all */

    h[len / 2 + sizeof(NAME) - 1] = ' ';
    found = 0;
    rc = ngx_http_secauth_cookie_scan(h, len, (const unsigned char *) NAME,
                                      sizeof(NAME) - 1, &value, &vlen,
                                      &found);
    ok(rc == 0 && found == 0, "1 MiB without \"=\": nothing");

    /* ";" only */

    memset(h, ';', len);
    found = 0;
    rc = ngx_http_secauth_cookie_scan(h, len, (const unsigned char *) NAME,
                                      sizeof(NAME) - 1, &value, &vlen,
                                      &found);
    ok(rc == 0 && found == 0, "1 MiB of \";\": nothing");

    free(h);
}


static void
test_id(void)
{
    int             bad;
    size_t          c, len, pos;
    unsigned char  *id;

    static const char  good[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234";

    tap_diag("session id shape");

    ok(sizeof(good) - 1 == NGX_HTTP_SECAUTH_COOKIE_ID_LEN,
       "a session id is 43 characters");

    id = tap_copy(good, 43);
    ok(ngx_http_secauth_cookie_id_valid(id, 43) == 1, "43 base64url: valid");
    ok(ngx_http_secauth_cookie_id_valid(id, 42) == 0, "42: refused");
    free(id);

    id = tap_alloc(44);
    memcpy(id, good, 43);
    id[43] = 'A';
    ok(ngx_http_secauth_cookie_id_valid(id, 44) == 0, "44: refused");
    free(id);

    ok(ngx_http_secauth_cookie_id_valid(NULL, 0) == 0, "empty: refused");

    /* every byte outside the alphabet, at the first and last position */

    bad = 0;

    for (pos = 0; pos < 43; pos += 42) {
        for (c = 0; c < 256; c++) {
            id = tap_copy(good, 43);
            id[pos] = (unsigned char) c;

            if (ngx_http_secauth_cookie_id_valid(id, 43)
                != (c != 0 && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "abcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_", (int) c) != NULL))
            {
                bad++;
            }

            free(id);
        }
    }

    ok(bad == 0, "each byte value at the first and last position: valid "
       "exactly in the alphabet (%d bad)", bad);

    /* a base64 (not url) id, a padded one, every length 0..100 */

    ok(ngx_http_secauth_cookie_id_valid((const unsigned char *)
           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ+/01234", 43) == 0,
       "base64's + and /: refused");
    ok(ngx_http_secauth_cookie_id_valid((const unsigned char *)
           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_0123=", 43) == 0,
       "padding: refused");

    bad = 0;

    for (len = 0; len <= 100; len++) {
        id = tap_alloc(len);
        memset(id, 'A', len);

        bad += (ngx_http_secauth_cookie_id_valid(id, len) != (len == 43));

        free(id);
    }

    ok(bad == 0, "of lengths 0..100 only 43 is valid (%d bad)", bad);
}


int
main(void)
{
    test_cases();
    test_headers();
    test_untouched();
    test_long();
    test_id();

    return tap_done("cookie_test");
}
