
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_STATE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_STATE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * The format of a zone's state file (secauth_zone ... state=PATH), with
 * no nginx in it: the shm engine (ngx_http_secauth_shm_state.c) writes and
 * reads it, the unit tests feed it damaged files.
 *
 * A file is a header, then blocks; every integer is little-endian.
 *
 *   header (64 bytes): magic "SECAUTHZ", format version (u32), records
 *   version (u32: the meaning of the record kinds' values), the size of
 *   the zone that wrote it (u64), its generation (u64: random, one per
 *   zone instance, so that two nginx of a binary upgrade can tell whose
 *   the file is), the time it was written (i64), the pid of the nginx
 *   master that wrote it (u32), 16 bytes reserved (0), CRC32C of the 60
 *   bytes before it (u32).
 *
 *   block: magic "BLK1" (u32), type (u32), payload length (u32), CRC32C of
 *   type, length and payload (u32), then the payload. A snapshot is one or
 *   more SNAPSHOT blocks ended by an END block (payload: the number of
 *   records, u64); JOURNAL blocks follow, appended one per flush.
 *
 *   record (in SNAPSHOT and JOURNAL payloads): op (u8: PUT, DEL), kind
 *   (u8), flags (u8: PARENT, the record had children when written),
 *   parent kind (u8, 0: none), key length (u16), parent key length (u16),
 *   value length (u32), expiry (i64, seconds since the epoch, 0: none),
 *   then key, parent key and value bytes. A DEL has no value or parent.
 *
 * A file with a damaged header or snapshot is refused whole; a journal
 * is replayed up to its first damaged block (what a crash leaves).
 */


#define NGX_HTTP_SECAUTH_STATE_FORMAT        1

#define NGX_HTTP_SECAUTH_STATE_HEADER_SIZE   64
#define NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER  16
#define NGX_HTTP_SECAUTH_STATE_RECORD_HEADER 20

/* a block's payload at most: a bigger length is damage */
#define NGX_HTTP_SECAUTH_STATE_BLOCK_MAX     (64 * 1024 * 1024)

#define NGX_HTTP_SECAUTH_STATE_SNAPSHOT      1
#define NGX_HTTP_SECAUTH_STATE_END           2
#define NGX_HTTP_SECAUTH_STATE_JOURNAL       3

#define NGX_HTTP_SECAUTH_STATE_PUT           1
#define NGX_HTTP_SECAUTH_STATE_DEL           2

#define NGX_HTTP_SECAUTH_STATE_FLAG_PARENT   0x01


typedef struct {
    uint32_t              format;
    uint32_t              records;       /* version of the records */
    uint64_t              zone_size;
    uint64_t              generation;
    int64_t               written;
    uint32_t              master;        /* pid */
} ngx_http_secauth_state_header_t;


typedef struct {
    unsigned              op;
    unsigned              kind;
    unsigned              flags;
    unsigned              parent_kind;
    const unsigned char  *key;
    size_t                key_len;
    const unsigned char  *parent_key;
    size_t                parent_key_len;
    const unsigned char  *value;
    size_t                value_len;
    int64_t               expire;
    unsigned              journal;       /* read from the journal */
} ngx_http_secauth_state_record_t;


/* what ngx_http_secauth_state_parse() found */
typedef enum {
    NGX_HTTP_SECAUTH_STATE_OK = 0,
    NGX_HTTP_SECAUTH_STATE_EMPTY,          /* 0 bytes */
    NGX_HTTP_SECAUTH_STATE_FOREIGN,        /* not a state file */
    NGX_HTTP_SECAUTH_STATE_BAD_HEADER,     /* damaged header */
    NGX_HTTP_SECAUTH_STATE_VERSION,        /* another format or records
                                              version */
    NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT,   /* torn or damaged snapshot */
    NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL,   /* a journal cut short: the
                                              records before it are good */
    NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL     /* a damaged journal block: the
                                              records before it are good */
} ngx_http_secauth_state_status_e;


/* called for each record, in file order (rec->journal set by the parse) */
typedef void (*ngx_http_secauth_state_record_pt)(void *data,
    const ngx_http_secauth_state_record_t *rec);


typedef struct {
    ngx_http_secauth_state_header_t   header;
    ngx_http_secauth_state_status_e   status;
    const char                       *reason;    /* for a log line */
    size_t                            offset;    /* of the damage */
    uint64_t                          snapshot;  /* records in it */
    uint64_t                          journal;   /* records after it */
} ngx_http_secauth_state_result_t;


uint32_t ngx_http_secauth_state_crc32c(uint32_t crc, const unsigned char *p,
    size_t len);

void ngx_http_secauth_state_header_write(unsigned char *buf,
    const ngx_http_secauth_state_header_t *h);
/* 0: a header with the magic and a good checksum, read into *h */
int ngx_http_secauth_state_header_get(const unsigned char *buf, size_t len,
    ngx_http_secauth_state_header_t *h);

/* bytes of a record once written */
size_t ngx_http_secauth_state_record_size(
    const ngx_http_secauth_state_record_t *rec);
/* writes a record at p (record_size() bytes), returns its end */
unsigned char *ngx_http_secauth_state_record_write(unsigned char *p,
    const ngx_http_secauth_state_record_t *rec);

/*
 * a block: the caller leaves BLOCK_HEADER bytes at start, writes the
 * payload after them up to end, then this fills the header in
 */
void ngx_http_secauth_state_block_close(unsigned char *start,
    unsigned char *end, unsigned type);

/* the END block of a snapshot of n records, at p (BLOCK_HEADER + 8) */
unsigned char *ngx_http_secauth_state_end_write(unsigned char *p,
    uint64_t n);

/*
 * Reads a whole file of len bytes: checks the header against the records
 * version expected, then calls handler for each record of the snapshot
 * and of the journal. Snapshot records come first; the handler is not
 * called for any of them when the snapshot is damaged (it is checked whole
 * before). Returns res->status.
 */
ngx_http_secauth_state_status_e ngx_http_secauth_state_parse(
    const unsigned char *buf, size_t len, uint32_t records,
    ngx_http_secauth_state_record_pt handler, void *data,
    ngx_http_secauth_state_result_t *res);


/*
 * Journal blocks only (what was appended to a file after a known offset):
 * calls handler for the records of each good block, stops at the first
 * block cut short or damaged. Returns the bytes of good blocks read.
 */
size_t ngx_http_secauth_state_parse_journal(const unsigned char *buf,
    size_t len, ngx_http_secauth_state_record_pt handler, void *data);


#endif /* _NGX_HTTP_SECAUTH_STATE_H_INCLUDED_ */
