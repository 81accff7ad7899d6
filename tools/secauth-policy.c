
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * secauth-policy: the password policy of secauth_password_policy for
 * scripts/secauth-user (docs/passwords.md), which cannot run zxcvbn-c or
 * libunistring itself. The same core file as the module, linked into a
 * small program by scripts/build.sh (build/secauth-policy).
 *
 *   secauth-policy [--min N] [--max N] [--strength N] [--blocklist PATH]
 *                  [--user NAME] [--field TEXT]... [--text]
 *       the password, the first line of standard input (never an
 *       argument): prints the reason codes it fails, one a line
 *       (too_short, ...), or with --text the sentences; exit 0 when it
 *       passes, 1 when refused
 *   secauth-policy --nfkc
 *       prints the NFKC form of the password (what is hashed), no newline
 *
 * Exit 2: usage, an unreadable blocklist, out of memory.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_policy.h"


/* a longer input is too long for any policy, unexamined */
#define SECAUTH_POLICY_INPUT_MAX  (4 * NGX_HTTP_SECAUTH_POLICY_HARD_MAX)
#define SECAUTH_POLICY_FIELDS     8


static int usage(const char *why);
static int number(const char *s, long lo, long hi, size_t *out);
static unsigned char *slurp(const char *path, size_t *len);


static int
usage(const char *why)
{
    fprintf(stderr, "secauth-policy: %s\n"
            "usage: secauth-policy [--min N] [--max N] [--strength N] "
            "[--blocklist PATH]\n"
            "                      [--user NAME] [--field TEXT]... "
            "[--text] < password\n"
            "       secauth-policy --nfkc < password\n", why);
    return 2;
}


static int
number(const char *s, long lo, long hi, size_t *out)
{
    long   n;
    char  *end;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtol(s, &end, 10);

    if (errno || *end != '\0' || n < lo || n > hi) {
        return -1;
    }

    *out = (size_t) n;

    return 0;
}


static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    size_t          n, room;
    unsigned char  *buf, *p;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    room = 65536;
    n = 0;
    buf = malloc(room);

    while (buf != NULL) {
        n += fread(buf + n, 1, room - n, f);

        if (n < room) {
            break;
        }

        room *= 2;
        p = realloc(buf, room);
        if (p == NULL) {
            free(buf);
        }

        buf = p;
    }

    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }

    fclose(f);
    *len = n;

    return buf;
}


int
main(int argc, char **argv)
{
    int                                   i, text, nfkc, c;
    char                                  out[1024];
    size_t                                n, len, ulen, nf, blen, v;
    unsigned                              reasons, bit;
    const char                           *user, *blpath, *code;
    const char                           *fields[SECAUTH_POLICY_FIELDS + 1];
    unsigned char                         pw[SECAUTH_POLICY_INPUT_MAX + 2];
    unsigned char                         norm[SECAUTH_POLICY_INPUT_MAX];
    unsigned char                        *bldata;
    ngx_http_secauth_policy_t             pol;
    ngx_http_secauth_policy_blocklist_t   bl;

    pol.min = NGX_HTTP_SECAUTH_POLICY_MIN;
    pol.max = NGX_HTTP_SECAUTH_POLICY_MAX;
    pol.strength = NGX_HTTP_SECAUTH_POLICY_STRENGTH;
    pol.blocklist = NULL;

    user = "";
    blpath = NULL;
    text = 0;
    nfkc = 0;
    nf = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--min") == 0) {
            if (i + 1 >= argc
                || number(argv[++i], 1, NGX_HTTP_SECAUTH_POLICY_HARD_MAX,
                          &pol.min) != 0)
            {
                return usage("--min takes 1 to 128");
            }

        } else if (strcmp(argv[i], "--max") == 0) {
            if (i + 1 >= argc
                || number(argv[++i], 1, NGX_HTTP_SECAUTH_POLICY_HARD_MAX,
                          &pol.max) != 0)
            {
                return usage("--max takes 1 to 128");
            }

        } else if (strcmp(argv[i], "--strength") == 0) {
            if (i + 1 >= argc || number(argv[++i], 0, 4, &v) != 0) {
                return usage("--strength takes 0 to 4");
            }

            pol.strength = (int) v;

        } else if (strcmp(argv[i], "--blocklist") == 0 && i + 1 < argc) {
            blpath = argv[++i];

        } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
            user = argv[++i];

        } else if (strcmp(argv[i], "--field") == 0 && i + 1 < argc) {
            if (nf == SECAUTH_POLICY_FIELDS) {
                return usage("at most 8 --field");
            }

            fields[nf++] = argv[++i];

        } else if (strcmp(argv[i], "--text") == 0) {
            text = 1;

        } else if (strcmp(argv[i], "--nfkc") == 0) {
            nfkc = 1;

        } else {
            return usage("unknown or incomplete option");
        }
    }

    fields[nf] = NULL;

    if (pol.min > pol.max) {
        return usage("--min is over --max");
    }

    /* the first line of standard input, without its "\n" */

    len = 0;

    while (len < sizeof(pw) && (c = getchar()) != EOF && c != '\n') {
        pw[len++] = (unsigned char) c;
    }

    if (nfkc) {
        if (len > SECAUTH_POLICY_INPUT_MAX
            || ngx_http_secauth_nfkc(norm, sizeof(norm), pw, len, &n)
               != NGX_HTTP_SECAUTH_NFKC_OK)
        {
            memset(pw, 0, sizeof(pw));
            fprintf(stderr, "secauth-policy: no NFKC form of at most %d "
                    "bytes\n", SECAUTH_POLICY_INPUT_MAX);
            return 1;
        }

        fwrite(norm, 1, n, stdout);
        memset(pw, 0, sizeof(pw));
        memset(norm, 0, sizeof(norm));

        return fflush(stdout) == 0 ? 0 : 2;
    }

    if (blpath != NULL) {
        bldata = slurp(blpath, &blen);
        if (bldata == NULL) {
            fprintf(stderr, "secauth-policy: cannot read the blocklist "
                    "\"%s\": %s\n", blpath, strerror(errno));
            return 2;
        }

        if (ngx_http_secauth_policy_blocklist_load(&bl, bldata, blen) != 0) {
            fprintf(stderr, "secauth-policy: out of memory\n");
            return 2;
        }

        free(bldata);
        pol.blocklist = &bl;
    }

    ulen = strlen(user);

    if (len > SECAUTH_POLICY_INPUT_MAX) {
        reasons = NGX_HTTP_SECAUTH_POLICY_TOO_LONG;

    } else {
        reasons = ngx_http_secauth_policy_check(&pol, pw, len,
                                                (const unsigned char *) user,
                                                ulen, fields);
    }

    memset(pw, 0, sizeof(pw));

    if (reasons & NGX_HTTP_SECAUTH_POLICY_ERROR) {
        fprintf(stderr, "secauth-policy: out of memory\n");
        return 2;
    }

    if (text) {
        (void) ngx_http_secauth_policy_text(reasons, &pol, 0, out,
                                            sizeof(out));
        if (reasons) {
            printf("%s\n", out);
        }

    } else {
        for (bit = 1; bit < NGX_HTTP_SECAUTH_POLICY_ERROR; bit <<= 1) {
            code = ngx_http_secauth_policy_code(bit);

            if ((reasons & bit) && code != NULL) {
                printf("%s\n", code);
            }
        }
    }

    if (pol.blocklist != NULL) {
        ngx_http_secauth_policy_blocklist_free(&bl);
    }

    if (fflush(stdout) != 0) {
        return 2;
    }

    return reasons ? 1 : 0;
}
