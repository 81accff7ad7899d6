
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"


static int  tests_run;
static int  tests_failed;


int
tap_ok(int cond, const char *fmt, ...)
{
    char     name[512];
    size_t   i;
    va_list  args;

    tests_run++;

    if (!cond) {
        tests_failed++;
    }

    printf("%sok %d - ", cond ? "" : "not ", tests_run);

    /* a name stays on its line: control and 8-bit bytes as \xNN */

    va_start(args, fmt);
    vsnprintf(name, sizeof(name), fmt, args);
    va_end(args);

    for (i = 0; name[i]; i++) {
        if ((unsigned char) name[i] < 0x20
            || (unsigned char) name[i] >= 0x7f)
        {
            printf("\\x%02x", (unsigned char) name[i]);

        } else {
            putchar(name[i]);
        }
    }

    printf("\n");
    fflush(stdout);

    return cond;
}


void
tap_diag(const char *fmt, ...)
{
    va_list  args;

    printf("# ");

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);
}


void
tap_bail(const char *what)
{
    printf("Bail out! %s\n", what);
    exit(2);
}


void *
tap_alloc(size_t size)
{
    void  *p;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        tap_bail("out of memory");
    }

    return p;
}


unsigned char *
tap_copy(const void *p, size_t len)
{
    unsigned char  *copy;

    copy = tap_alloc(len);

    if (len) {
        memcpy(copy, p, len);
    }

    return copy;
}


int
tap_done(const char *program)
{
    printf("1..%d\n", tests_run);
    printf("# %s: %d tests, %d failed\n", program, tests_run, tests_failed);

    return tests_failed ? 1 : 0;
}
