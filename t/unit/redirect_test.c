
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_redirect.c, linked alone: the
 * "next" of a login or a logout is kept only when it is a same-origin
 * path, else the client goes to "/". The hostile inputs are those of
 * t/login.t, t/redirect.t and t/login-redirect.t (t/lib/LoginTest.pm's
 * REDIRECT_BAD and REDIRECT_BAD_RAW, as safe_next() gets them: decoded
 * once by the form or the query string parser) and more of their kind.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_redirect.h"
#include "tap.h"


#define nelts(a)  (sizeof(a) / sizeof((a)[0]))


static int
safe(const char *s)
{
    return ngx_http_secauth_redirect_safe((const unsigned char *) s,
                                          strlen(s));
}


/* open redirects and header injections: all refused */

static void
test_refused(void)
{
    size_t  i;

    static const char  *bad[] = {

        /* t/lib/LoginTest.pm REDIRECT_BAD: a form's next, decoded once */
        "//evil.example",
        "/\\evil.example",
        "/%2f%2fevil.example",
        "/%2F%2Fevil.example",
        "/%5cevil.example",
        "/%5Cevil.example",
        "/%252f%252fevil.example",
        "https:evil.example",
        "https://evil.example/",
        "http://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\r\nSet-Cookie: x=y",
        "/%0d%0aSet-Cookie:x=y",
        "%2F%2Fevil",
        "%2fevil.example",
        "///evil.example",
        "\\/evil.example",
        " /evil.example",
        "evil.example",

        /* REDIRECT_BAD_RAW after the query string's decoding */
        "/\\evil.example",
        "/\\evil.example",
        "//evil.example",
        "/%2f%2fevil.example",
        "/\t/evil.example",
        "/\r\nSet-Cookie:x=y",

        /* more of the kind */
        "\\\\evil.example",
        "/%5c%5cevil.example",
        "/%255cevil.example",
        "/%25%32%66",               /* "%2f" from three escapes */
        "/%25%35%63",               /* "%5c" likewise */
        "/%2F%5Cevil.example",
        "/%2f\\evil.example",
        "/%/evil.example",          /* nginx's decoding: "%/" is "/" */
        "/%%2f/evil.example",       /* "%%2f" -> "%2f" -> "/" */
        "//",
        "/%2f",
        "/%252F",
        "HTTPS://evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/%2e%2e",
        "/x\"onmouseover=\"alert(1)",
        "/x<script>",
        "/x>",
        "/a\x7f",
        "/a%7f",
        "/a%257f",
        "/a\x01",
        "/a%01",
        "/a%00b",                   /* a NUL after decoding */
        "/a%2500b",
        "/a%0ab",
        "/a%0Db",
        "/a%250d%250aSet-Cookie:x=y",
        "/a b",
        "/a\nb",
        "/a\rb",
        "?next=/x",
        "#/x",
        ".",
        "./x",
        "x/y",
        "%",
        "%2",
        "%2f",

        /*
         * t/fuzz/fuzz_redirect.c's findings: a broken escape that nginx's
         * decoding swallows with what follows, hiding an escape that an
         * RFC 3986 decoder (which leaves a broken escape as it is) sees
         */
        "/%f/%1%12%2",              /* the crash file: 0x12 to RFC */
        "/%1%0d%0aSet-Cookie:x=y",  /* CR LF to RFC, "0d0a" to nginx */
        "/a%1%5c",                  /* a backslash to RFC */
        "/a%1%7f",                  /* DEL to RFC */
        "/%2%66evil.example",       /* "/%2f" to RFC once, "//" twice */
        "/%2%46evil.example",       /* the same, upper case */
        "/%5%63evil.example",       /* "/%5c", then "/\\" */
        "/a%1%2500",                /* "%00" to RFC, then a NUL */
    };

    tap_diag("refused");

    for (i = 0; i < nelts(bad); i++) {
        ok(!safe(bad[i]), "refused: \"%s\"", bad[i]);
    }

    ok(!ngx_http_secauth_redirect_safe((const unsigned char *) "", 0),
       "refused: the empty string");

    ok(!ngx_http_secauth_redirect_safe((const unsigned char *) "/a\0b", 4),
       "refused: an embedded NUL");

    ok(!ngx_http_secauth_redirect_safe((const unsigned char *) "/\0", 2),
       "refused: \"/\" and a NUL");
}


/* same-origin paths: kept as they are */

static void
test_kept(void)
{
    size_t  i;

    static const char  *good[] = {

        /* t/lib/LoginTest.pm REDIRECT_GOOD */
        "/x?y=1",
        "/",
        "/deep/path/file.html?a=1&b=%2F#frag",
        "/@evil.example",
        "/%41bc",

        /* the gate's next, decoded once (t/login.t TEST 4) */
        "/a&b=1",
        "/x?y=//evil.example",      /* "//" after the first character */
        "/x/../y",
        "/.",
        "/a%20b",                   /* a space after decoding is no control */
        "/%22%3E%3Cscript%3E",      /* decoded quotes: the form escapes */
        "/caf\xc3\xa9",             /* UTF-8 */
        "/\xff",
        "/%c0%af%c0%afevil.example",    /* an overlong "/": not a "/" */
        "/%25252f%25252fevil.example",  /* "/%2f%2f...": a third is none */
        "/%25255c",
        "/%",                       /* incomplete escapes decode to "" */
        "/%2",
        "/a%zz",
        "/a%zz%41",                 /* both decoders: "/a%zzA", "/aA" */
        "/%1x",                     /* nginx "/", RFC "/%1x" */
        "/~user",
        "/x;y",
    };

    tap_diag("kept");

    for (i = 0; i < nelts(good); i++) {
        ok(safe(good[i]), "kept: \"%s\"", good[i]);
    }
}


/* every byte value, raw and encoded once and twice, after "/a" */

static void
test_bytes(void)
{
    int   c, raw, bad1, bad2;
    char  s[16];

    tap_diag("every byte value");

    bad1 = 0;
    bad2 = 0;
    raw = 0;

    for (c = 0; c < 256; c++) {

        /* raw: controls, space, DEL, '\\', '"', '<' and '>' are refused */

        s[0] = '/';
        s[1] = 'a';
        s[2] = (char) c;

        if (ngx_http_secauth_redirect_safe((unsigned char *) s, 3)
            != !(c <= 0x20 || c == 0x7f || c == '\\' || c == '"'
                 || c == '<' || c == '>'))
        {
            raw++;
        }

        /* encoded: controls, DEL and '\\' are refused, once or twice */

        snprintf(s, sizeof(s), "/a%%%02X", c);

        if (safe(s) != !(c < 0x20 || c == 0x7f || c == '\\')) {
            bad1++;
        }

        snprintf(s, sizeof(s), "/a%%25%02x", c);

        if (safe(s) != !(c < 0x20 || c == 0x7f || c == '\\')) {
            bad2++;
        }
    }

    ok(raw == 0, "each raw byte after \"/a\" (%d wrong)", raw);
    ok(bad1 == 0, "each byte encoded once after \"/a\" (%d wrong)", bad1);
    ok(bad2 == 0, "each byte encoded twice after \"/a\" (%d wrong)", bad2);

    /* the second character: "/" and "\\" in any encoding are refused */

    bad1 = 0;

    for (c = 0; c < 256; c++) {
        snprintf(s, sizeof(s), "/%%%02x", c);

        if (safe(s) != !(c < 0x20 || c == 0x7f || c == '\\' || c == '/')) {
            bad1++;
        }
    }

    ok(bad1 == 0, "each byte encoded as the second character (%d wrong)",
       bad1);
}


/* the length cap: NGX_HTTP_SECAUTH_REDIRECT_MAX bytes at most */

static void
test_length(void)
{
    unsigned char  *s;
    size_t          len;

    tap_diag("the length cap");

    len = NGX_HTTP_SECAUTH_REDIRECT_MAX + 1;

    s = tap_alloc(len);

    memset(s, 'a', len);
    s[0] = '/';

    ok(ngx_http_secauth_redirect_safe(s, NGX_HTTP_SECAUTH_REDIRECT_MAX),
       "kept: a path of %d bytes", NGX_HTTP_SECAUTH_REDIRECT_MAX);

    ok(!ngx_http_secauth_redirect_safe(s, len),
       "refused: a path of %d bytes", NGX_HTTP_SECAUTH_REDIRECT_MAX + 1);

    /* encoded, a path the cap allows decodes to far fewer bytes */

    memset(s + 1, '%', len - 1);

    ok(!ngx_http_secauth_redirect_safe(s, len),
       "refused: %d bytes of '%%'", NGX_HTTP_SECAUTH_REDIRECT_MAX + 1);

    ok(ngx_http_secauth_redirect_safe(s, NGX_HTTP_SECAUTH_REDIRECT_MAX),
       "kept: \"/\" and %d bytes of '%%' (they decode to \"/%%\", \"/\")",
       NGX_HTTP_SECAUTH_REDIRECT_MAX - 1);

    free(s);
}


/* nginx's ngx_unescape_uri() with type 0, quirks included */

static void
test_unescape(void)
{
    size_t         i, n;
    unsigned char  buf[64];

    static const struct {
        const char  *in;
        const char  *out;
        size_t       out_len;
    } cases[] = {
        { "", "", 0 },
        { "abc", "abc", 3 },
        { "%41", "A", 1 },
        { "%4a%4A", "JJ", 2 },
        { "%2f%2F", "//", 2 },
        { "%00", "\0", 1 },
        { "%ff", "\xff", 1 },
        { "%252f", "%2f", 3 },
        { "%", "", 0 },             /* incomplete at the end: gone */
        { "a%", "a", 1 },
        { "a%4", "a", 1 },
        { "%/x", "/x", 2 },         /* '%' before a non-hex: the '%' goes */
        { "%%", "%", 1 },
        { "%%41", "%41", 3 },
        { "%zz", "zz", 2 },
        { "%4z", "", 0 },           /* one digit, then a non-hex: all go */
        { "%4zq", "q", 1 },
        { "%4%41", "41", 2 },
        { "%g1", "g1", 2 },
        { "+", "+", 1 },            /* no form decoding */
    };

    tap_diag("percent-decoding");

    for (i = 0; i < nelts(cases); i++) {
        n = ngx_http_secauth_redirect_unescape(buf,
                                      (const unsigned char *) cases[i].in,
                                      strlen(cases[i].in));

        ok(n == cases[i].out_len && memcmp(buf, cases[i].out, n) == 0,
           "unescape \"%s\"", cases[i].in);
    }

    /* in place, as the second decoding is */

    memcpy(buf, "%25%32%66/%2f", 13);
    n = ngx_http_secauth_redirect_unescape(buf, buf, 13);
    n = ngx_http_secauth_redirect_unescape(buf, buf, n);

    ok(n == 3 && memcmp(buf, "///", 3) == 0, "unescape in place, twice");
}


int
main(void)
{
    test_refused();
    test_kept();
    test_bytes();
    test_length();
    test_unescape();

    return tap_done("redirect_test");
}
