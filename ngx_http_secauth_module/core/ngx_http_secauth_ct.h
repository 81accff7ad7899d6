
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_CT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_CT_H_INCLUDED_


/*
 * Comparison of secrets (MACs, password hashes) in constant time, so that
 * how long a refusal takes says nothing about how many bytes matched.
 * Plain C on OpenSSL's CRYPTO_memcmp(), without nginx.
 */


#include <stddef.h>


/*
 * 1 when the len bytes at a and at b are the same (1 for len 0), else 0.
 * The time taken depends on len alone, never on the bytes nor on where
 * they differ. The lengths themselves are public: compare them first.
 */
int ngx_http_secauth_ct_equal(const void *a, const void *b, size_t len);


#endif /* _NGX_HTTP_SECAUTH_CT_H_INCLUDED_ */
