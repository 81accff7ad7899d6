
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Redis replies as the module receives them: the bytes fed to hiredis's
 * reader (the one redisAsyncContext uses) in chunks of the sizes the
 * input's first byte chooses, every complete reply taken and walked,
 * then freed. Asserted: no crash, no leak, and a reply's shape is sane
 * (lengths, element counts). The module's reply handlers
 * (ngx_http_secauth_store_redis_reply.c) take nginx types and an nginx
 * request: they are not linked here.
 */


#include <string.h>
#include <hiredis/hiredis.h>

#include "fuzz.h"


static void fuzz_walk(const redisReply *r, int depth);


static void
fuzz_walk(const redisReply *r, int depth)
{
    size_t  i;

    fuzz_assert(r != NULL && depth < 10000);

    switch (r->type) {

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        fuzz_assert(r->str != NULL);
        fuzz_assert(r->str[r->len] == '\0');
        break;

    case REDIS_REPLY_INTEGER:
    case REDIS_REPLY_NIL:
        break;

    case REDIS_REPLY_ARRAY:
        fuzz_assert(r->elements == 0 || r->element != NULL);

        for (i = 0; i < r->elements; i++) {
            fuzz_walk(r->element[i], depth + 1);
        }

        break;

    default:
        fuzz_assert(0);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int           rc;
    void         *reply;
    size_t        chunk, n;
    redisReader  *reader;

    if (size == 0) {
        return 0;
    }

    chunk = (data[0] & 0x0f) + 1;
    data++;
    size--;

    reader = redisReaderCreate();
    fuzz_assert(reader != NULL);

    while (size) {
        n = size < chunk ? size : chunk;

        fuzz_assert(redisReaderFeed(reader, (const char *) data, n)
                    == REDIS_OK);

        data += n;
        size -= n;

        for ( ;; ) {
            reply = NULL;
            rc = redisReaderGetReply(reader, &reply);

            if (rc != REDIS_OK) {
                /* a protocol error: the connection would be dropped */
                fuzz_assert(reply == NULL && reader->err != 0);
                goto done;
            }

            if (reply == NULL) {
                break;
            }

            fuzz_walk(reply, 0);
            freeReplyObject(reply);
        }
    }

done:

    redisReaderFree(reader);

    return 0;
}
