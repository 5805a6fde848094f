/*
 * The JavaScript face of the record check (record-check.c), registered by
 * addon.c:
 *   checkRecords(bytes, parentHash, starts: Float64Array, hashes, ids,
 *       params: Float64Array, engine?) -> records accepted
 * params holds the run's settings and state in the slots below (the same
 * order as RECORD_PARAMS in src/storage/native-record-check.ts); the call
 * writes back where it stopped, `at`, the parent and the least zeros.
 * Arguments are checked here, so that JavaScript gets a clear error and never
 * undefined behaviour: nothing is written outside the arrays given.
 */
#include <stdint.h>
#include <string.h>

#include "napi-util.h"
#include "record-check.h"

#define MAX_DIFFICULTY 64

/* Slots of checkRecords' params (a Float64Array). */
enum {
    P_JSON, P_CONTENT_RULE, P_DIFFICULTY, P_LATEST, P_MAX_MESSAGE, P_PARENT_INDEX,
    P_PARENT_TIMESTAMP, P_PARENT_PROOF, P_AT, P_CAPACITY, P_POS, P_LEAST_ZEROS, P_COUNT
};

static int safe_count(double v) { return v >= 0 && v <= SAFE_INTEGER_LIMIT && v == (double)(uint64_t)v; }

static napi_value check_records(napi_env env, napi_callback_info info) {
    JS_ARGS(7);
    if (argc < 6)
        return js_fail(env, 0, "checkRecords(bytes, parentHash, starts, hashes, ids, params, engine?)");
    uint8_t *bytes, *parent_hash, *hashes, *ids;
    size_t len, parent_len, hashes_len, ids_len, starts_len, params_len;
    void *starts, *params_raw;
    if (!js_bytes_of(env, argv[0], &bytes, &len)) return js_fail(env, 0, "bytes must be a Uint8Array");
    if (!js_bytes_of(env, argv[1], &parent_hash, &parent_len) || parent_len != 32)
        return js_fail(env, 0, "parentHash must be 32 bytes");
    if (!js_typed_of(env, argv[2], napi_float64_array, &starts, &starts_len))
        return js_fail(env, 0, "starts must be a Float64Array");
    if (!js_bytes_of(env, argv[3], &hashes, &hashes_len)) return js_fail(env, 0, "hashes must be a Uint8Array");
    if (!js_bytes_of(env, argv[4], &ids, &ids_len)) return js_fail(env, 0, "ids must be a Uint8Array");
    if (!js_typed_of(env, argv[5], napi_float64_array, &params_raw, &params_len) || params_len < P_COUNT)
        return js_fail(env, 0, "params must be a Float64Array of the checkRecords slots");
    double *params = params_raw;
    int engine = js_engine_of(env, argc > 6 ? argv[6] : NULL);
    if (engine < 0) return js_fail(env, 1, "engine must be \"sha-ni\" (where the CPU has it), \"portable\" or \"scalar\"");

    for (int i = 0; i < P_COUNT; i++)
        if (i != P_LATEST && i != P_PARENT_PROOF && !safe_count(params[i]))
            return js_fail(env, 1, "params must hold non-negative integers up to 2^53");
    const size_t capacity = (size_t)params[P_CAPACITY];
    const size_t at = (size_t)params[P_AT];
    const size_t pos = (size_t)params[P_POS];
    const double difficulty = params[P_DIFFICULTY];
    if (starts_len < capacity || hashes_len / 32 < capacity || ids_len / 16 < capacity)
        return js_fail(env, 1, "starts, hashes and ids must have room for capacity records");
    if (at > capacity || pos > len) return js_fail(env, 1, "at <= capacity and pos <= bytes.length must hold");
    if (difficulty < 1 || difficulty > MAX_DIFFICULTY)
        return js_fail(env, 1, "difficulty must be an integer from 1 to 64");
    const double parent_proof = params[P_PARENT_PROOF];
    if (parent_proof != -1 && !safe_count(parent_proof))
        return js_fail(env, 1, "the parent's proof must be -1 (null) or a safe integer");

    rc_run run = {
        .json = params[P_JSON] != 0,
        .content_rule = params[P_CONTENT_RULE] != 0,
        .difficulty = (int)difficulty,
        .latest_timestamp = params[P_LATEST],
        .max_message_bytes = (uint64_t)params[P_MAX_MESSAGE],
        .parent_index = (uint64_t)params[P_PARENT_INDEX],
        .parent_timestamp = (uint64_t)params[P_PARENT_TIMESTAMP],
        .parent_proof_null = parent_proof == -1,
        .parent_proof = parent_proof == -1 ? 0 : (uint64_t)parent_proof,
        .starts = starts,
        .hashes = hashes,
        .ids = ids,
        .capacity = capacity,
        .at = at,
        .least_zeros = (int)params[P_LEAST_ZEROS],
    };
    memcpy(run.parent_hash, parent_hash, 32);
    size_t next = pos;
    const int64_t accepted = rc_check((scan_engine)engine, &run, bytes, len, pos, &next);
    if (accepted < 0) return js_out_of_memory(env);
    params[P_AT] = (double)run.at;
    params[P_POS] = (double)next;
    params[P_LEAST_ZEROS] = run.least_zeros;
    params[P_PARENT_INDEX] = (double)run.parent_index;
    params[P_PARENT_TIMESTAMP] = (double)run.parent_timestamp;
    params[P_PARENT_PROOF] = run.parent_proof_null ? -1 : (double)run.parent_proof;
    return js_number(env, (double)accepted);
}

/* Slots of jsonLinesOf's params (a Float64Array), as LINES_PARAMS in src/storage/codecs/native-transcode.ts. */
enum { L_POS, L_AT, L_COUNT, L_MAX_BYTES, L_STOP, L_COUNT_SLOTS };

/*
 * jsonLinesOf(bytes, out, starts: Float64Array, params: Float64Array) -> stop
 * (rc_json_lines): writes lines into `out` from params[at], their starts into
 * `starts` from params[count], reads records from params[pos]; writes back
 * pos, at, count and stop. A max bytes past 2^53 (Infinity) is no bound.
 */
static napi_value json_lines_of(napi_env env, napi_callback_info info) {
    JS_ARGS(4);
    if (argc < 4) return js_fail(env, 0, "jsonLinesOf(bytes, out, starts, params)");
    uint8_t *bytes, *out;
    size_t len, out_len, starts_len, params_len;
    void *starts, *params_raw;
    if (!js_bytes_of(env, argv[0], &bytes, &len)) return js_fail(env, 0, "bytes must be a Uint8Array");
    if (!js_bytes_of(env, argv[1], &out, &out_len)) return js_fail(env, 0, "out must be a Uint8Array");
    if (!js_typed_of(env, argv[2], napi_float64_array, &starts, &starts_len))
        return js_fail(env, 0, "starts must be a Float64Array");
    if (!js_typed_of(env, argv[3], napi_float64_array, &params_raw, &params_len) || params_len < L_COUNT_SLOTS)
        return js_fail(env, 0, "params must be a Float64Array of the jsonLinesOf slots");
    double *params = params_raw;
    if (!safe_count(params[L_POS]) || !safe_count(params[L_AT]) || !safe_count(params[L_COUNT]) ||
        !(params[L_MAX_BYTES] >= 0))
        return js_fail(env, 1, "pos, at, count and maxBytes must be non-negative integers");
    rc_lines lines = {
        .pos = (size_t)params[L_POS],
        .out = out,
        .at = (size_t)params[L_AT],
        .capacity = out_len,
        .max_bytes = safe_count(params[L_MAX_BYTES]) ? (size_t)params[L_MAX_BYTES] : SIZE_MAX,
        .starts = starts,
        .count = (size_t)params[L_COUNT],
        .starts_capacity = starts_len,
    };
    if (lines.pos > len || lines.at > out_len || lines.count > starts_len)
        return js_fail(env, 1, "pos <= bytes.length, at <= out.length and count <= starts.length must hold");
    const int stop = rc_json_lines(bytes, len, &lines);
    params[L_POS] = (double)lines.pos;
    params[L_AT] = (double)lines.at;
    params[L_COUNT] = (double)lines.count;
    params[L_STOP] = stop;
    return js_number(env, stop);
}

napi_status record_check_register(napi_env env, napi_value exports) {
    static const js_export_fn fns[] = {{"checkRecords", check_records}, {"jsonLinesOf", json_lines_of}};
    return js_export_fns(env, exports, fns, 2);
}
