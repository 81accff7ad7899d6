
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REDIRECT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REDIRECT_H_INCLUDED_


/*
 * The redirect target check of the login and logout locations, on bytes
 * alone: no nginx header, so that the unit tests (t/unit/redirect_test.c)
 * link the code the module runs.
 */

#include <stddef.h>


/* the longest "next" kept as a redirect target */
#define NGX_HTTP_SECAUTH_REDIRECT_MAX  2048


int ngx_http_secauth_redirect_safe(const unsigned char *next, size_t len);
size_t ngx_http_secauth_redirect_unescape(unsigned char *dst,
    const unsigned char *src, size_t len);


#endif /* _NGX_HTTP_SECAUTH_REDIRECT_H_INCLUDED_ */
