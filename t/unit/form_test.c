
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_form.c: field lookup and
 * percent-decoding of application/x-www-form-urlencoded bodies (the
 * WHATWG URL standard's parser, as far as the module follows it), and
 * the Content-Type check. Inputs are copied to blocks of their exact
 * length, without a NUL, so that ASan sees any overread; decoding writes
 * into exact room. Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_form.h"
#include "tap.h"


typedef struct {
    const char  *body;
    size_t       len;       /* 0: strlen(body) */
    const char  *name;
    int          rc;
    const char  *value;     /* raw, when rc is 1 */
    size_t       value_len; /* 0: strlen(value) */
} form_find_case_t;


typedef struct {
    const char  *src;
    size_t       len;       /* 0: strlen(src) */
    long         rc;        /* decoded length or -1 */
    const char  *dst;
} form_decode_case_t;


static int hex(int c);
static void test_find(void);
static void test_find_untouched(void);
static void test_decode(void);
static void test_decode_all(void);
static void test_decode_in_place(void);
static void test_media_type(void);
static void test_long(void);


static const form_find_case_t  find_cases[] = {
    { "username=alice&password=x", 0, "username", 1, "alice", 0 },
    { "username=alice&password=x", 0, "password", 1, "x", 0 },
    { "a=1&b=2&c=3", 0, "b", 1, "2", 0 },
    { "a=", 0, "a", 1, "", 0 },
    { "a=&b=2", 0, "a", 1, "", 0 },
    { "a=1=2", 0, "a", 1, "1=2", 0 },
    { "a==", 0, "a", 1, "=", 0 },
    { "&a=1", 0, "a", 1, "1", 0 },
    { "a=1&", 0, "a", 1, "1", 0 },
    { "&&a=1&&", 0, "a", 1, "1", 0 },
    { "a=%41+b", 0, "a", 1, "%41+b", 0 },
    { "a=%zz", 0, "a", 1, "%zz", 0 },
    { "a=x\0y", 5, "a", 1, "x\0y", 3 },
    { "a=1;b=2", 0, "a", 1, "1;b=2", 0 },
    { "a=1&a", 0, "a", 1, "1", 0 },
    { "a&a=1", 0, "a", 1, "1", 0 },
    { "=1", 0, "", 1, "1", 0 },

    /* absent */
    { "", 0, "a", 0, NULL, 0 },
    { "&", 0, "a", 0, NULL, 0 },
    { "&&&", 0, "a", 0, NULL, 0 },
    { "a", 0, "a", 0, NULL, 0 },
    { "ab=1", 0, "a", 0, NULL, 0 },
    { "ba=1", 0, "a", 0, NULL, 0 },
    { "A=1", 0, "a", 0, NULL, 0 },
    { " a=1", 0, "a", 0, NULL, 0 },
    { "a =1", 0, "a", 0, NULL, 0 },
    { "a\0=1", 4, "a", 0, NULL, 0 },
    { "user%6eame=alice", 0, "username", 0, NULL, 0 },
    { "user+name=alice", 0, "user name", 0, NULL, 0 },
    { "x=username=alice", 0, "username", 0, NULL, 0 },
    { "x=1;username=alice", 0, "username", 0, NULL, 0 },
    { "usernam", 0, "username", 0, NULL, 0 },
    { "username", 0, "username", 0, NULL, 0 },

    /* twice: ambiguous, whatever the values */
    { "a=1&a=2", 0, "a", -1, NULL, 0 },
    { "a=1&a=1", 0, "a", -1, NULL, 0 },
    { "a=&a=", 0, "a", -1, NULL, 0 },
    { "a=1&b=2&a=%zz", 0, "a", -1, NULL, 0 },
    { "password=x&username=a&password=y", 0, "password", -1, NULL, 0 },

    { NULL, 0, NULL, 0, NULL, 0 }
};


static const form_decode_case_t  decode_cases[] = {
    { "", 0, 0, "" },
    { "alice", 0, 5, "alice" },
    { "a+b", 0, 3, "a b" },
    { "+++", 0, 3, "   " },
    { "%41", 0, 1, "A" },
    { "%41%62%63", 0, 3, "Abc" },
    { "%4a%4A", 0, 2, "JJ" },
    { "%2B", 0, 1, "+" },
    { "%2b%20", 0, 2, "+ " },
    { "100%25", 0, 4, "100%" },
    { "%25%32%35", 0, 3, "%25" },
    { "%00", 0, 1, "\0" },
    { "a%00b", 0, 3, "a\0b" },
    { "%ff%FF%80", 0, 3, "\xff\xff\x80" },
    { "%0d%0a", 0, 2, "\r\n" },
    { "\xc3\xa9", 0, 2, "\xc3\xa9" },
    { "%C3%A9", 0, 2, "\xc3\xa9" },
    { "a\0b", 3, 3, "a\0b" },
    { "=&;", 0, 3, "=&;" },

    /* a "%" without two hexadecimal digits */
    { "%", 0, -1, NULL },
    { "%4", 0, -1, NULL },
    { "abc%", 0, -1, NULL },
    { "abc%2", 0, -1, NULL },
    { "%g0", 0, -1, NULL },
    { "%0g", 0, -1, NULL },
    { "%G0", 0, -1, NULL },
    { "%%41", 0, -1, NULL },
    { "%+1", 0, -1, NULL },
    { "%1+", 0, -1, NULL },
    { "% 1", 0, -1, NULL },
    { "%-1", 0, -1, NULL },
    { "%0x", 0, -1, NULL },
    { "%\0" "0", 3, -1, NULL },
    { "%4\0", 3, -1, NULL },
    { "%\xff" "0", 0, -1, NULL },
    { "ok%41%", 0, -1, NULL },
    { "%u0041", 0, -1, NULL },

    { NULL, 0, 0, NULL }
};


static void
test_find(void)
{
    int                   rc, good;
    size_t                i, len, vlen;
    unsigned char        *body, *name;
    const unsigned char  *value;

    tap_diag("find");

    for (i = 0; find_cases[i].body; i++) {
        len = find_cases[i].len ? find_cases[i].len
                                : strlen(find_cases[i].body);

        body = tap_copy(find_cases[i].body, len);
        name = tap_copy(find_cases[i].name, strlen(find_cases[i].name));

        value = NULL;
        vlen = 0;

        rc = ngx_http_secauth_form_find(body, len, name,
                                        strlen(find_cases[i].name),
                                        &value, &vlen);

        good = (rc == find_cases[i].rc);

        if (good && rc == 1) {
            good = value >= body && value + vlen <= body + len
                   && vlen == (find_cases[i].value_len
                               ? find_cases[i].value_len
                               : strlen(find_cases[i].value))
                   && memcmp(value, find_cases[i].value, vlen) == 0;
        }

        ok(good, "\"%s\" in \"%.*s\": %d", find_cases[i].name, (int) len,
           find_cases[i].body, rc);

        free(body);
        free(name);
    }
}


static void
test_find_untouched(void)
{
    int                   rc;
    size_t                vlen;
    const unsigned char  *value, *sentinel;

    tap_diag("find: outputs");

    sentinel = (const unsigned char *) "sentinel";

    value = sentinel;
    vlen = 777;
    rc = ngx_http_secauth_form_find((const unsigned char *) "b=1", 3,
                                    (const unsigned char *) "a", 1,
                                    &value, &vlen);
    ok(rc == 0 && value == sentinel && vlen == 777,
       "absent: value not written");

    rc = ngx_http_secauth_form_find((const unsigned char *) "a=1&a=2", 7,
                                    (const unsigned char *) "a", 1,
                                    &value, &vlen);
    ok(rc == -1 && value == sentinel && vlen == 777,
       "twice: value not written");

    rc = ngx_http_secauth_form_find(NULL, 0, (const unsigned char *) "a", 1,
                                    &value, &vlen);
    ok(rc == 0 && value == sentinel, "an empty body reads nothing");
}


static void
test_decode(void)
{
    int             good;
    long            n;
    size_t          i, len;
    unsigned char  *src, *dst;

    tap_diag("decode");

    for (i = 0; decode_cases[i].src; i++) {
        len = decode_cases[i].len ? decode_cases[i].len
                                  : strlen(decode_cases[i].src);

        src = tap_copy(decode_cases[i].src, len);
        dst = tap_alloc(len);

        n = ngx_http_secauth_form_decode(dst, src, len);

        good = (n == decode_cases[i].rc);

        if (good && n >= 0) {
            good = memcmp(dst, decode_cases[i].dst, (size_t) n) == 0;
        }

        ok(good, "decode \"%.*s\": %ld", (int) len, decode_cases[i].src, n);

        free(src);
        free(dst);
    }
}


/* the reference: RFC 3986 2.1's HEXDIG, either case */

static int
hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* "%XY" for every X and Y: the byte when both are hex digits, else -1 */

static void
test_decode_all(void)
{
    int             bad, hi, lo;
    long            n;
    size_t          x, y;
    unsigned char   src[3], dst[3];

    tap_diag("decode: every %%XY");

    bad = 0;

    for (x = 0; x < 256; x++) {
        for (y = 0; y < 256; y++) {
            src[0] = '%';
            src[1] = (unsigned char) x;
            src[2] = (unsigned char) y;

            hi = hex((int) x);
            lo = hex((int) y);

            n = ngx_http_secauth_form_decode(dst, src, 3);

            if (hi < 0 || lo < 0) {
                bad += (n != -1);

            } else {
                bad += (n != 1 || dst[0] != (unsigned char) (hi << 4 | lo));
            }
        }
    }

    ok(bad == 0, "all 65536 %%XY: a byte exactly for two hex digits "
       "(%d bad)", bad);
}


static void
test_decode_in_place(void)
{
    long            n;
    unsigned char  *p;

    tap_diag("decode: in place");

    p = tap_copy("a+%41%42c%2B", 12);
    n = ngx_http_secauth_form_decode(p, p, 12);
    ok(n == 6 && memcmp(p, "a ABc+", 6) == 0, "dst may be src");
    free(p);

    p = tap_alloc(1);
    p[0] = 0x5a;
    ok(ngx_http_secauth_form_decode(p, NULL, 0) == 0 && p[0] == 0x5a,
       "nothing decodes to nothing, nothing written");
    free(p);
}


static void
test_media_type(void)
{
    int             rc;
    size_t          i, len;
    unsigned char  *v;

    static const struct {
        const char  *value;
        size_t       len;
        const char  *type;
        int          rc;
    } cases[] = {
        { "application/json", 0, "application/json", 1 },
        { "APPLICATION/JSON", 0, "application/json", 1 },
        { "Application/Json", 0, "application/json", 1 },
        { "application/json; charset=utf-8", 0, "application/json", 1 },
        { "application/json;charset=utf-8", 0, "application/json", 1 },
        { "application/json;", 0, "application/json", 1 },
        { "application/json ", 0, "application/json", 1 },
        { "application/json\t; x=y", 0, "application/json", 1 },
        { "application/x-www-form-urlencoded", 0,
          "application/x-www-form-urlencoded", 1 },
        { "application/x-www-form-urlencoded;charset=UTF-8", 0,
          "application/x-www-form-urlencoded", 1 },
        { "Application/X-WWW-Form-Urlencoded", 0,
          "application/x-www-form-urlencoded", 1 },

        { "", 0, "application/json", 0 },
        { "application/jso", 0, "application/json", 0 },
        { "application/jsonx", 0, "application/json", 0 },
        { "application/json+x", 0, "application/json", 0 },
        { "application/json,text/html", 0, "application/json", 0 },
        { "application/json\r\n", 0, "application/json", 0 },
        { "application/json\0", 17, "application/json", 0 },
        { "application\0json", 16, "application/json", 0 },
        { " application/json", 0, "application/json", 0 },
        { "text/html", 0, "application/json", 0 },
        { "application/x-www-form-urlencoded", 0, "application/json", 0 },
        { "multipart/form-data; boundary=x", 0,
          "application/x-www-form-urlencoded", 0 },
        { "application/x-www-form-urlencodedx", 0,
          "application/x-www-form-urlencoded", 0 },

        /* ASCII case only: no letter folds onto '/' or '-' */
        { "application\x0fjson", 0, "application/json", 0 },
        { "\xc1pplication/json", 0, "application/json", 0 },
        { "\xe1pplication/json", 0, "application/json", 0 },
        { "application/x\x0dwww-form-urlencoded", 0,
          "application/x-www-form-urlencoded", 0 },

        { NULL, 0, NULL, 0 }
    };

    tap_diag("media type");

    for (i = 0; cases[i].value; i++) {
        len = cases[i].len ? cases[i].len : strlen(cases[i].value);
        v = tap_copy(cases[i].value, len);

        rc = ngx_http_secauth_form_media_type(v, len, cases[i].type);

        ok(rc == cases[i].rc, "\"%.*s\" is %s%s", (int) len, cases[i].value,
           cases[i].rc ? "" : "not ", cases[i].type);

        free(v);
    }

    ok(ngx_http_secauth_form_media_type(NULL, 0, "application/json") == 0,
       "an empty Content-Type reads nothing");
}


static void
test_long(void)
{
    int                   rc;
    long                  n;
    size_t                len, i, vlen;
    unsigned char        *body, *dst;
    const unsigned char  *value;

    tap_diag("long bodies");

    /* 64k other fields, ours last and without a trailing "&" */

    len = 65536 * 4 + 7;
    body = tap_alloc(len);

    for (i = 0; i < 65536; i++) {
        memcpy(body + i * 4, "x=y&", 4);
    }

    memcpy(body + 65536 * 4, "next=%2", 7);

    rc = ngx_http_secauth_form_find(body, len, (const unsigned char *) "next",
                                    4, &value, &vlen);
    ok(rc == 1 && vlen == 2 && memcmp(value, "%2", 2) == 0,
       "found after 65536 other fields");

    dst = tap_alloc(vlen);
    ok(ngx_http_secauth_form_decode(dst, value, vlen) == -1,
       "a \"%%\" cut short by the end of the body is refused");
    free(dst);
    free(body);

    /* 1 MiB of "%41": a third of it back */

    len = 3 << 20;
    body = tap_alloc(len);

    for (i = 0; i < len; i += 3) {
        memcpy(body + i, "%41", 3);
    }

    dst = tap_alloc(len);
    n = ngx_http_secauth_form_decode(dst, body, len);
    ok(n == (long) (len / 3) && dst[0] == 'A' && dst[n - 1] == 'A',
       "3 MiB of %%41 decode to 1 MiB of A");

    body[len - 1] = 'g';
    ok(ngx_http_secauth_form_decode(dst, body, len) == -1,
       "a bad digit in the last byte of 3 MiB is refused");

    free(dst);
    free(body);

    /* "&" only */

    len = 1 << 20;
    body = tap_alloc(len);
    memset(body, '&', len);
    rc = ngx_http_secauth_form_find(body, len, (const unsigned char *) "a",
                                    1, &value, &vlen);
    ok(rc == 0, "1 MiB of \"&\": nothing");
    free(body);
}


int
main(void)
{
    test_find();
    test_find_untouched();
    test_decode();
    test_decode_all();
    test_decode_in_place();
    test_media_type();
    test_long();

    return tap_done("form_test");
}
