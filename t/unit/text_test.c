
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_text.c, linked alone: which bytes
 * a user name read back from the store may hold (no control character,
 * UTF-8 passes).
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_text.h"


static int  tests_run;
static int  tests_failed;


static int
ok(int cond, const char *fmt, ...)
{
    va_list  args;

    tests_run++;

    if (!cond) {
        tests_failed++;
    }

    printf("%sok %d - ", cond ? "" : "not ", tests_run);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);

    return cond;
}


static int
text(const char *s)
{
    return ngx_http_secauth_text_valid((const unsigned char *) s, strlen(s));
}


static void
test_plain(void)
{
    ok(text("alice"), "a plain name is text");
    ok(text(""), "the empty string is text");
    ok(text(" ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"),
       "every printable ASCII punctuation is text");
    ok(text("al ice"), "a space is text");
    ok(ngx_http_secauth_text_valid(NULL, 0), "no bytes at all are text");
}


static void
test_controls(void)
{
    int            c, all;
    unsigned char  buf[3];

    all = 1;

    for (c = 0; c < 0x20; c++) {
        buf[0] = 'a';
        buf[1] = (unsigned char) c;
        buf[2] = 'b';

        if (ngx_http_secauth_text_valid(buf, 3)) {
            all = 0;
        }
    }

    ok(all, "every C0 control inside a name is refused");

    ok(!text("\x7f"), "DEL is refused");
    ok(!text("alice\r\nSet-Cookie: x"), "CR LF is refused");
    ok(!text("\talice"), "a leading tab is refused");
    ok(!text("alice\x1b[31m"), "an escape sequence is refused");
    ok(!ngx_http_secauth_text_valid((const unsigned char *) "ab\0cd", 5),
       "a NUL inside the length is refused");
    ok(ngx_http_secauth_text_valid((const unsigned char *) "ab\0cd", 2),
       "bytes past the length are not looked at");
}


static void
test_8bit(void)
{
    int            c, all;
    unsigned char  b;

    ok(text("J\xc3\xbcrgen"), "UTF-8 passes");
    ok(text("\xe2\x80\xae"), "any byte from 0x80 on passes (U+202E)");

    all = 1;

    for (c = 0x20; c < 0x100; c++) {
        b = (unsigned char) c;

        if (ngx_http_secauth_text_valid(&b, 1) != (c != 0x7f)) {
            all = 0;
        }
    }

    ok(all, "each byte from 0x20 to 0xff but 0x7f is text alone");
}


static void
test_long(void)
{
    int             r;
    size_t          len;
    unsigned char  *p;

    len = 1024 * 1024;

    p = malloc(len);
    if (p == NULL) {
        printf("Bail out! out of memory\n");
        exit(2);
    }

    memset(p, 'x', len);
    ok(ngx_http_secauth_text_valid(p, len), "a megabyte of text");

    p[len - 1] = '\n';
    r = ngx_http_secauth_text_valid(p, len);
    ok(!r, "a control at the last byte of a megabyte is found");

    free(p);
}


int
main(void)
{
    test_plain();
    test_controls();
    test_8bit();
    test_long();

    printf("1..%d\n", tests_run);
    printf("# text_test: %d tests, %d failed\n", tests_run, tests_failed);

    return tests_failed ? 1 : 0;
}
