
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_TAP_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_TAP_H_INCLUDED_


/*
 * The little TAP the unit tests of core/ share (jws_test.c has its own
 * copy): "ok N - name" lines, names kept on one line, the plan at the
 * end, exit code 0 when every test passed.
 */


#include <stddef.h>


/* one test: cond true passes; returns cond */
int tap_ok(int cond, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* a "# ..." line */
void tap_diag(const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* stops the run: exit code 2 */
void tap_bail(const char *what) __attribute__ ((noreturn));
/* malloc() of exactly size bytes (1 for 0), bails out when out of memory */
void *tap_alloc(size_t size);
/* a copy of len bytes in a block of exactly len: ASan sees any overread */
unsigned char *tap_copy(const void *p, size_t len);
/* prints the plan and the summary; the exit code of the test program */
int tap_done(const char *program);


#define ok  tap_ok


#endif /* _NGX_HTTP_SECAUTH_TAP_H_INCLUDED_ */
