/*
 * Full validation of a run of chain records (JSON Lines or the binary
 * format), the fast path of src/storage/record-check.ts. It accepts only what
 * it can prove valid: the canonical form of each record, every rule of SPEC
 * section 3 but uniqueness against the chain before the run (the caller's).
 * At the first record it does not accept it stops, and the TypeScript path
 * judges that record and gives the exact reason.
 */
#ifndef BLOCKCHAIN_RECORD_CHECK_H
#define BLOCKCHAIN_RECORD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "scanner.h"

typedef struct {
    int json;         /* 1 JSON Lines, 0 the binary format */
    int content_rule; /* 1 the content rule, 0 the original rule */
    int difficulty;
    double latest_timestamp; /* the validator's clock + 2 h */
    uint64_t max_message_bytes;

    /* The block the next record follows; updated as records are accepted. */
    uint64_t parent_index;
    uint64_t parent_timestamp;
    int parent_proof_null;
    uint64_t parent_proof;
    uint8_t parent_hash[32];

    /* Outputs from record `at` on, at most `capacity` records in all. */
    double *starts;
    uint8_t *hashes;
    uint8_t *ids;
    size_t capacity;
    size_t at;

    /** The fewest trailing zero hex digits of any accepted record's proof digest (lowered as records are accepted). */
    int least_zeros;
} rc_run;

/**
 * Checks records of `bytes` from `pos` on and returns how many it accepted
 * (written at run->at on, run->at advanced); *next is where it stopped
 * (len when every record was accepted). Negative on out of memory.
 */
int64_t rc_check(scan_engine engine, rc_run *run, const uint8_t *bytes, size_t len, size_t pos,
                 size_t *next);

/** Where rc_json_lines stopped. */
enum { RC_LINES_END = 0, RC_LINES_LEFT = 1, RC_LINES_FULL = 2 };

typedef struct {
    size_t pos;      /* the next record's offset in the input (advanced) */
    uint8_t *out;    /* the lines, written from `at` on, within `capacity` */
    size_t at;
    size_t capacity;
    size_t max_bytes; /* no line past the first may end beyond this */
    double *starts;  /* where each line starts, from `count` on, within starts_capacity */
    size_t count;
    size_t starts_capacity;
} rc_lines;

/**
 * This node's own binary records (framed by their length fields) from
 * lines->pos on, written as their canonical JSON lines (what
 * src/storage/codecs/record-transcode.ts writes) while each is a plain one
 * (flags 0, a non-empty UTF-8 message) and fits: RC_LINES_END at the end of
 * the input, RC_LINES_FULL when the next line would pass max_bytes,
 * RC_LINES_LEFT at a record it leaves to the caller (another form, a bad
 * frame, no room left in `out` or `starts`).
 */
int rc_json_lines(const uint8_t *bytes, size_t len, rc_lines *lines);

/** Registers checkRecords and jsonLinesOf on the addon's exports (record-check-js.c). */
#define NAPI_VERSION 8
#include <node_api.h>
napi_status record_check_register(napi_env env, napi_value exports);

#endif
