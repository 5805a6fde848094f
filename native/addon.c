/*
 * The N-API face of the scanner: scan(prefix, suffix, start, count,
 * difficulty, engine?) and digest(prefix, suffix, nonce, engine?), plus
 * `engine`, the fastest engine this CPU runs ("sha-ni" or "portable").
 * Arguments are checked here, so that JavaScript gets a clear error and
 * never undefined behaviour.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <string.h>

#include "chain-index.h"
#include "record-check.h"
#include "file-digest.h"
#include "scanner.h"

/** 2^53: nonces stay safe integers in JavaScript. */
#define NONCE_LIMIT 9007199254740992.0
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

/** A non-negative integer up to 2^53; 0 when `value` is not one. */
static int integer_of(napi_env env, napi_value value, double *out) {
    napi_valuetype kind;
    if (napi_typeof(env, value, &kind) != napi_ok || kind != napi_number) return 0;
    if (napi_get_value_double(env, value, out) != napi_ok) return 0;
    return *out >= 0 && *out <= NONCE_LIMIT && *out == (double)(uint64_t)*out;
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

static napi_value scan(napi_env env, napi_callback_info info) {
    size_t argc = 6;
    napi_value argv[6] = {NULL};
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    const uint8_t *prefix, *suffix;
    size_t prefix_len, suffix_len;
    double start, count, difficulty;
    if (argc < 5) return fail(env, 0, "scan(prefix, suffix, start, count, difficulty, engine?)");
    if (!bytes_of(env, argv[0], &prefix, &prefix_len)) return fail(env, 0, "prefix must be a Uint8Array");
    if (!bytes_of(env, argv[1], &suffix, &suffix_len)) return fail(env, 0, "suffix must be a Uint8Array");
    if (!integer_of(env, argv[2], &start)) return fail(env, 1, "start must be an integer from 0 to 2^53");
    if (!integer_of(env, argv[3], &count) || count > NONCE_LIMIT - start)
        return fail(env, 1, "count must be an integer with start + count <= 2^53");
    if (!integer_of(env, argv[4], &difficulty) || difficulty < 1 || difficulty > MAX_DIFFICULTY)
        return fail(env, 1, "difficulty must be an integer from 1 to 64");
    int engine = engine_of(env, argc > 5 ? argv[5] : NULL);
    if (engine < 0) return fail(env, 1, "engine must be \"sha-ni\" (where the CPU has it) or \"portable\"");

    scan_result result;
    if (scan_range((scan_engine)engine, prefix, prefix_len, suffix, suffix_len, (uint64_t)start,
                   (uint64_t)count, (int)difficulty, &result) < 0) {
        napi_throw_error(env, "ENOMEM", "out of memory");
        return NULL;
    }
    napi_value out, found, hashes;
    CHECK(napi_create_object(env, &out));
    CHECK(napi_create_double(env, (double)result.found, &found));
    CHECK(napi_create_double(env, (double)result.hashes, &hashes));
    CHECK(napi_set_named_property(env, out, "found", found));
    CHECK(napi_set_named_property(env, out, "hashes", hashes));
    return out;
}

static napi_value digest(napi_env env, napi_callback_info info) {
    size_t argc = 4;
    napi_value argv[4] = {NULL};
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    const uint8_t *prefix, *suffix;
    size_t prefix_len, suffix_len;
    double nonce;
    if (argc < 3) return fail(env, 0, "digest(prefix, suffix, nonce, engine?)");
    if (!bytes_of(env, argv[0], &prefix, &prefix_len)) return fail(env, 0, "prefix must be a Uint8Array");
    if (!bytes_of(env, argv[1], &suffix, &suffix_len)) return fail(env, 0, "suffix must be a Uint8Array");
    if (!integer_of(env, argv[2], &nonce)) return fail(env, 1, "nonce must be an integer from 0 to 2^53");
    int engine = engine_of(env, argc > 3 ? argv[3] : NULL);
    if (engine < 0) return fail(env, 1, "engine must be \"sha-ni\" (where the CPU has it) or \"portable\"");
    void *data;
    napi_value out;
    CHECK(napi_create_buffer(env, 32, &data, &out));
    if (scan_digest((scan_engine)engine, prefix, prefix_len, suffix, suffix_len, (uint64_t)nonce,
                    data) < 0) {
        napi_throw_error(env, "ENOMEM", "out of memory");
        return NULL;
    }
    return out;
}

NAPI_MODULE_INIT() {
    napi_value fn, name;
    CHECK(napi_create_function(env, "scan", NAPI_AUTO_LENGTH, scan, NULL, &fn));
    CHECK(napi_set_named_property(env, exports, "scan", fn));
    CHECK(napi_create_function(env, "digest", NAPI_AUTO_LENGTH, digest, NULL, &fn));
    CHECK(napi_set_named_property(env, exports, "digest", fn));
    const char *best = scan_best_engine() == ENGINE_SHA_NI ? "sha-ni" : "portable";
    CHECK(napi_create_string_utf8(env, best, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_named_property(env, exports, "engine", name));
    CHECK(chain_index_register(env, exports));
    CHECK(record_check_register(env, exports));
    CHECK(file_digest_register(env, exports));
    return exports;
}
