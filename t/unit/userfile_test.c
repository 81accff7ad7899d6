
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_userfile.c, linked alone: the
 * lines of a secauth_users file (t/login.t, t/login/users.t write such
 * files), user names as the file and the login form give them, strict
 * UTF-8. Inputs are copies of their exact size (tap_copy), so that ASan
 * sees a byte read past one.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_userfile.h"
#include "tap.h"


#define nelts(a)  (sizeof(a) / sizeof((a)[0]))


static void test_line(void);
static void test_name(void);
static void test_utf8(void);


static void
test_line(void)
{
    int                   rc;
    size_t                i, nl, hl;
    unsigned char        *p;
    const unsigned char  *n, *h;

    static const struct {
        const char  *line;
        int          rc;
        const char  *name;
        const char  *hash;
    } cases[] = {
        { "alice:$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
          NGX_HTTP_SECAUTH_USERFILE_ENTRY, "alice",
          "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA" },
        { "bob:$2y$05$abc\r", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "bob",
          "$2y$05$abc" },
        { "  \tcarol:x", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "carol", "x" },
        { "dave:a:b", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "dave", "a:b" },
        { ":hash", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "", "hash" },
        { "erin:", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "erin", "" },
        { "frank :x ", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "frank ", "x " },
        { "", NGX_HTTP_SECAUTH_USERFILE_SKIP, NULL, NULL },
        { "\r", NGX_HTTP_SECAUTH_USERFILE_SKIP, NULL, NULL },
        { " \t ", NGX_HTTP_SECAUTH_USERFILE_SKIP, NULL, NULL },
        { "# alice:x", NGX_HTTP_SECAUTH_USERFILE_SKIP, NULL, NULL },
        { "   # indented comment", NGX_HTTP_SECAUTH_USERFILE_SKIP, NULL,
          NULL },
        { "alice", NGX_HTTP_SECAUTH_USERFILE_NO_COLON, NULL, NULL },
        { "alice\r\r", NGX_HTTP_SECAUTH_USERFILE_NO_COLON, NULL, NULL },
        { "\r:x", NGX_HTTP_SECAUTH_USERFILE_ENTRY, "\r", "x" },
    };

    tap_diag("lines");

    for (i = 0; i < nelts(cases); i++) {
        p = tap_copy(cases[i].line, strlen(cases[i].line));
        n = NULL;
        h = NULL;
        nl = 99;
        hl = 99;

        rc = ngx_http_secauth_userfile_line(p, strlen(cases[i].line), &n,
                                            &nl, &h, &hl);

        if (cases[i].name == NULL) {
            ok(rc == cases[i].rc && n == NULL && h == NULL && nl == 99
               && hl == 99, "line \"%s\": %d, nothing written",
               cases[i].line, cases[i].rc);

        } else {
            ok(rc == cases[i].rc && nl == strlen(cases[i].name)
               && memcmp(n, cases[i].name, nl) == 0
               && hl == strlen(cases[i].hash)
               && memcmp(h, cases[i].hash, hl) == 0
               && n >= p && h + hl <= p + strlen(cases[i].line),
               "line \"%s\": \"%s\" and \"%s\"", cases[i].line,
               cases[i].name, cases[i].hash);
        }

        free(p);
    }

    /* a NUL is a byte like another */

    p = tap_copy("a\0b:h\0", 6);
    rc = ngx_http_secauth_userfile_line(p, 6, &n, &nl, &h, &hl);
    ok(rc == NGX_HTTP_SECAUTH_USERFILE_ENTRY && nl == 3 && hl == 2
       && memcmp(n, "a\0b", 3) == 0, "line with NUL bytes");
    free(p);
}


static void
test_name(void)
{
    int             rc;
    size_t          i, len;
    unsigned char  *p, out[128];
    char            s[128];

    static const struct {
        const char  *in;
        int          rc;
        const char  *out;
    } cases[] = {
        { "alice", NGX_HTTP_SECAUTH_USERNAME_OK, "alice" },
        { "Alice.Smith+tag@Example.ORG", NGX_HTTP_SECAUTH_USERNAME_OK,
          "alice.smith+tag@example.org" },
        { "a_b-c", NGX_HTTP_SECAUTH_USERNAME_OK, "a_b-c" },
        { "J\xc3\xb6rg", NGX_HTTP_SECAUTH_USERNAME_OK, "j\xc3\xb6rg" },
        { "\xc3\x96", NGX_HTTP_SECAUTH_USERNAME_OK, "\xc3\x96" },
        { "", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a b", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a:b", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a\rb", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a\nb", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a/b", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a\x7f", NGX_HTTP_SECAUTH_USERNAME_INVALID, NULL },
        { "a\xc3", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
        { "\xc0\xaf", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
        { "\xed\xa0\x80", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
        { "\xf4\x90\x80\x80", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
        { "\xff", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
        { "a b\xc3", NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8, NULL },
    };

    tap_diag("user names");

    for (i = 0; i < nelts(cases); i++) {
        len = strlen(cases[i].in);
        p = tap_copy(cases[i].in, len);

        rc = ngx_http_secauth_username_fold(out, p, len);

        ok(rc == cases[i].rc
           && (cases[i].out == NULL
               || memcmp(out, cases[i].out, len) == 0),
           "name \"%s\": %d", cases[i].in, cases[i].rc);

        free(p);
    }

    /* NUL; 64 bytes, not 65; folding in place */

    p = tap_copy("a\0b", 3);
    ok(ngx_http_secauth_username_fold(out, p, 3)
       == NGX_HTTP_SECAUTH_USERNAME_INVALID, "name with a NUL: invalid");
    free(p);

    memset(s, 'a', sizeof(s));

    p = tap_copy(s, NGX_HTTP_SECAUTH_USERFILE_NAME_MAX + 1);
    ok(ngx_http_secauth_username_fold(out, p,
                                      NGX_HTTP_SECAUTH_USERFILE_NAME_MAX)
       == NGX_HTTP_SECAUTH_USERNAME_OK, "a name of 64 bytes");
    ok(ngx_http_secauth_username_fold(out, p,
                                      NGX_HTTP_SECAUTH_USERFILE_NAME_MAX + 1)
       == NGX_HTTP_SECAUTH_USERNAME_INVALID, "a name of 65 bytes: invalid");
    free(p);

    p = tap_copy("MiXeD", 5);
    ok(ngx_http_secauth_username_fold(p, p, 5) == NGX_HTTP_SECAUTH_USERNAME_OK
       && memcmp(p, "mixed", 5) == 0, "folded in place");
    free(p);
}


static void
test_utf8(void)
{
    size_t          i, len;
    unsigned char  *p;

    static const struct {
        const char  *in;
        int          valid;
    } cases[] = {
        { "", 1 },
        { "ascii", 1 },
        { "\xc2\x80", 1 },
        { "\xdf\xbf", 1 },
        { "\xe0\xa0\x80", 1 },
        { "\xef\xbf\xbf", 1 },
        { "\xf0\x90\x80\x80", 1 },
        { "\xf4\x8f\xbf\xbf", 1 },
        { "\x80", 0 },
        { "\xc1\xbf", 0 },              /* overlong */
        { "\xe0\x9f\xbf", 0 },          /* overlong */
        { "\xed\xa0\x80", 0 },          /* surrogate */
        { "\xf0\x8f\xbf\xbf", 0 },      /* overlong */
        { "\xf4\x90\x80\x80", 0 },      /* above U+10FFFF */
        { "\xf5\x80\x80\x80", 0 },
        { "\xc2", 0 },                  /* truncated */
        { "\xe0\xa0", 0 },
        { "\xf0\x90\x80", 0 },
        { "\xe2\x28\xa1", 0 },          /* bad continuation */
    };

    tap_diag("UTF-8");

    for (i = 0; i < nelts(cases); i++) {
        len = strlen(cases[i].in);
        p = tap_copy(cases[i].in, len);

        ok(ngx_http_secauth_utf8_valid(p, len) == cases[i].valid,
           "utf8 case %zu: %d", i, cases[i].valid);

        free(p);
    }
}


int
main(void)
{
    test_line();
    test_name();
    test_utf8();

    return tap_done("userfile_test");
}
