
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_SEAL_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_SEAL_H_INCLUDED_


/*
 * Secrets at rest: subkeys derived from the secauth_secret_key file by
 * HKDF-SHA-256 (RFC 5869, OpenSSL's EVP_KDF), and AES-256-GCM sealing of
 * small values (TOTP secrets) bound to a context (the user's name) as
 * associated data. Plain C on OpenSSL, no nginx: t/unit/seal_test.c
 * links it alone.
 *
 * A sealed value is: version (1 byte, 1), nonce (12 random bytes), the
 * ciphertext (as long as the plaintext), the tag (16 bytes).
 */


#include <stddef.h>


#define NGX_HTTP_SECAUTH_SEAL_KEY_LEN   32
#define NGX_HTTP_SECAUTH_SEAL_VERSION   1
#define NGX_HTTP_SECAUTH_SEAL_NONCE_LEN 12
#define NGX_HTTP_SECAUTH_SEAL_TAG_LEN   16
/* what sealing adds to the plaintext's length */
#define NGX_HTTP_SECAUTH_SEAL_OVERHEAD                                        \
    (1 + NGX_HTTP_SECAUTH_SEAL_NONCE_LEN + NGX_HTTP_SECAUTH_SEAL_TAG_LEN)


/*
 * HKDF-SHA-256 of the ikmlen bytes of ikm with salt (saltlen 0: none)
 * and info: outlen bytes (1 to 255 * 32) into out. Returns 0 or -1.
 */
int ngx_http_secauth_hkdf(unsigned char *out, size_t outlen,
    const unsigned char *ikm, size_t ikmlen, const unsigned char *salt,
    size_t saltlen, const unsigned char *info, size_t infolen);

/*
 * Seals len bytes of pt (at most 4096) under the 32-byte key, bound to
 * the aadlen bytes of aad, into dst, which has room for len +
 * NGX_HTTP_SECAUTH_SEAL_OVERHEAD bytes; the nonce is fresh from
 * RAND_bytes(). Returns the sealed length, or -1.
 */
long ngx_http_secauth_seal(unsigned char *dst, const unsigned char *key,
    const unsigned char *aad, size_t aadlen, const unsigned char *pt,
    size_t len);

/*
 * Opens len bytes sealed by ngx_http_secauth_seal() under key and aad
 * into dst, which has room for len - NGX_HTTP_SECAUTH_SEAL_OVERHEAD
 * bytes. Returns the plaintext's length, or -1 when the value is short,
 * of another version, or fails authentication (another key, another aad,
 * any byte changed); after -1 dst is zeroed.
 */
long ngx_http_secauth_open(unsigned char *dst, const unsigned char *key,
    const unsigned char *aad, size_t aadlen, const unsigned char *sealed,
    size_t len);


#endif /* _NGX_HTTP_SECAUTH_SEAL_H_INCLUDED_ */
