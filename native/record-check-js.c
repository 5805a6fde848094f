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
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <string.h>

#include "record-check.h"

/** 2^53: counts and offsets stay safe integers in JavaScript. */
#define COUNT_LIMIT 9007199254740992.0
#define MAX_DIFFICULTY 64

#define CHECK(call)                                                                               \
    do {                                                                                          \
        if ((call) != napi_ok) return NULL;                                                       \
    } while (0)

static napi_value fail(napi_env env, int range, const char *message) {
    if (range)
        napi_throw_range_error(env, NULL, message);
    else
        napi_throw_type_error(env, NULL, message);
    return NULL;
}

/** The bytes of a Uint8Array (Buffer included); 0 when `value` is not one. */
static int bytes_of(napi_env env, napi_value value, const uint8_t **data, size_t *len) {
    bool is_typed = false;
    if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
    napi_typedarray_type type;
    void *raw = NULL;
    if (napi_get_typedarray_info(env, value, &type, len, &raw, NULL, NULL) != napi_ok) return 0;
    if (type != napi_uint8_array) return 0;
    *data = raw;
    return 1;
}

/** The engine named by an optional string argument; -1 when unknown or unavailable. */
static int engine_of(napi_env env, napi_value value) {
    napi_valuetype kind;
    if (value == NULL || napi_typeof(env, value, &kind) != napi_ok || kind == napi_undefined)
        return scan_best_engine();
    if (kind != napi_string) return -1;
    char name[16];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, value, name, sizeof name, &len) != napi_ok) return -1;
    if (strcmp(name, "portable") == 0) return ENGINE_PORTABLE;
    if (strcmp(name, "sha-ni") == 0 && scan_best_engine() == ENGINE_SHA_NI) return ENGINE_SHA_NI;
    return -1;
}

/** The elements of a typed array of `type`; 0 when `value` is not one. */
static int typed_of(napi_env env, napi_value value, napi_typedarray_type want, void **data,
                    size_t *len) {
    bool is_typed = false;
    if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
    napi_typedarray_type type;
    if (napi_get_typedarray_info(env, value, &type, len, data, NULL, NULL) != napi_ok) return 0;
    return type == want;
}

/* Slots of checkRecords' params (a Float64Array). */
enum {
    P_JSON, P_CONTENT_RULE, P_DIFFICULTY, P_LATEST, P_MAX_MESSAGE, P_PARENT_INDEX,
    P_PARENT_TIMESTAMP, P_PARENT_PROOF, P_AT, P_CAPACITY, P_POS, P_LEAST_ZEROS, P_COUNT
};

static int safe_count(double v) { return v >= 0 && v <= COUNT_LIMIT && v == (double)(uint64_t)v; }

static napi_value check_records(napi_env env, napi_callback_info info) {
    size_t argc = 7;
    napi_value argv[7] = {NULL};
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    if (argc < 6)
        return fail(env, 0, "checkRecords(bytes, parentHash, starts, hashes, ids, params, engine?)");
    const uint8_t *bytes, *parent_hash, *hashes, *ids;
    size_t len, parent_len, hashes_len, ids_len, starts_len, params_len;
    void *starts, *params_raw;
    if (!bytes_of(env, argv[0], &bytes, &len)) return fail(env, 0, "bytes must be a Uint8Array");
    if (!bytes_of(env, argv[1], &parent_hash, &parent_len) || parent_len != 32)
        return fail(env, 0, "parentHash must be 32 bytes");
    if (!typed_of(env, argv[2], napi_float64_array, &starts, &starts_len))
        return fail(env, 0, "starts must be a Float64Array");
    if (!bytes_of(env, argv[3], &hashes, &hashes_len)) return fail(env, 0, "hashes must be a Uint8Array");
    if (!bytes_of(env, argv[4], &ids, &ids_len)) return fail(env, 0, "ids must be a Uint8Array");
    if (!typed_of(env, argv[5], napi_float64_array, &params_raw, &params_len) || params_len < P_COUNT)
        return fail(env, 0, "params must be a Float64Array of the checkRecords slots");
    double *params = params_raw;
    int engine = engine_of(env, argc > 6 ? argv[6] : NULL);
    if (engine < 0) return fail(env, 1, "engine must be \"sha-ni\" (where the CPU has it) or \"portable\"");

    for (int i = 0; i < P_COUNT; i++)
        if (i != P_LATEST && i != P_PARENT_PROOF && !safe_count(params[i]))
            return fail(env, 1, "params must hold non-negative integers up to 2^53");
    const size_t capacity = (size_t)params[P_CAPACITY];
    const size_t at = (size_t)params[P_AT];
    const size_t pos = (size_t)params[P_POS];
    const double difficulty = params[P_DIFFICULTY];
    if (starts_len < capacity || hashes_len / 32 < capacity || ids_len / 16 < capacity)
        return fail(env, 1, "starts, hashes and ids must have room for capacity records");
    if (at > capacity || pos > len) return fail(env, 1, "at <= capacity and pos <= bytes.length must hold");
    if (difficulty < 1 || difficulty > MAX_DIFFICULTY)
        return fail(env, 1, "difficulty must be an integer from 1 to 64");
    const double parent_proof = params[P_PARENT_PROOF];
    if (parent_proof != -1 && !safe_count(parent_proof))
        return fail(env, 1, "the parent's proof must be -1 (null) or a safe integer");

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
        .hashes = (uint8_t *)hashes,
        .ids = (uint8_t *)ids,
        .capacity = capacity,
        .at = at,
        .least_zeros = (int)params[P_LEAST_ZEROS],
    };
    memcpy(run.parent_hash, parent_hash, 32);
    size_t next = pos;
    const int64_t accepted = rc_check((scan_engine)engine, &run, bytes, len, pos, &next);
    if (accepted < 0) {
        napi_throw_error(env, "ENOMEM", "out of memory");
        return NULL;
    }
    params[P_AT] = (double)run.at;
    params[P_POS] = (double)next;
    params[P_LEAST_ZEROS] = run.least_zeros;
    params[P_PARENT_INDEX] = (double)run.parent_index;
    params[P_PARENT_TIMESTAMP] = (double)run.parent_timestamp;
    params[P_PARENT_PROOF] = run.parent_proof_null ? -1 : (double)run.parent_proof;
    napi_value out;
    CHECK(napi_create_double(env, (double)accepted, &out));
    return out;
}

napi_status record_check_register(napi_env env, napi_value exports) {
    napi_value fn;
    napi_status status =
        napi_create_function(env, "checkRecords", NAPI_AUTO_LENGTH, check_records, NULL, &fn);
    if (status == napi_ok) status = napi_set_named_property(env, exports, "checkRecords", fn);
    return status;
}
