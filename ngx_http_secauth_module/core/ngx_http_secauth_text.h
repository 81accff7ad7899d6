
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_TEXT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_TEXT_H_INCLUDED_


#include <stddef.h>


/*
 * Whether len bytes at p are text a log line or a header can carry: no
 * control character (C0 or DEL); bytes from 0x80 on (UTF-8) pass. An
 * empty string is text. 1: text, 0: not.
 */
int ngx_http_secauth_text_valid(const unsigned char *p, size_t len);


#endif /* _NGX_HTTP_SECAUTH_TEXT_H_INCLUDED_ */
