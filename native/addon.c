/*
 * The N-API face of the scanner: scan(prefix, suffix, start, count,
 * difficulty, engine?) and digest(prefix, suffix, nonce, engine?), plus
 * `engine`, the fastest engine this CPU runs ("sha-ni" or "portable").
 * Arguments are checked here, so that JavaScript gets a clear error and
 * never undefined behaviour.
 */
#include <stdint.h>

#include "chain-index.h"
#include "napi-util.h"
#include "record-check.h"
#include "file-digest.h"
#include "scanner.h"

#define MAX_DIFFICULTY 64
#define ENGINE_USAGE "engine must be \"sha-ni\" (where the CPU has it), \"portable\" or \"scalar\""

static napi_value scan(napi_env env, napi_callback_info info) {
    JS_ARGS(6);
    uint8_t *prefix, *suffix;
    size_t prefix_len, suffix_len;
    double start, count, difficulty;
    if (argc < 5) return js_fail(env, 0, "scan(prefix, suffix, start, count, difficulty, engine?)");
    if (!js_bytes_of(env, argv[0], &prefix, &prefix_len)) return js_fail(env, 0, "prefix must be a Uint8Array");
    if (!js_bytes_of(env, argv[1], &suffix, &suffix_len)) return js_fail(env, 0, "suffix must be a Uint8Array");
    if (!js_whole_of(env, argv[2], SAFE_INTEGER_LIMIT, &start)) return js_fail(env, 1, "start must be an integer from 0 to 2^53");
    if (!js_whole_of(env, argv[3], SAFE_INTEGER_LIMIT, &count) || count > SAFE_INTEGER_LIMIT - start)
        return js_fail(env, 1, "count must be an integer with start + count <= 2^53");
    if (!js_whole_of(env, argv[4], SAFE_INTEGER_LIMIT, &difficulty) || difficulty < 1 || difficulty > MAX_DIFFICULTY)
        return js_fail(env, 1, "difficulty must be an integer from 1 to 64");
    int engine = js_engine_of(env, argc > 5 ? argv[5] : NULL);
    if (engine < 0) return js_fail(env, 1, ENGINE_USAGE);

    scan_result result;
    if (scan_range((scan_engine)engine, prefix, prefix_len, suffix, suffix_len, (uint64_t)start,
                   (uint64_t)count, (int)difficulty, &result) < 0)
        return js_out_of_memory(env);
    napi_value out, found, hashes;
    CHECK(napi_create_object(env, &out));
    CHECK(napi_create_double(env, (double)result.found, &found));
    CHECK(napi_create_double(env, (double)result.hashes, &hashes));
    CHECK(napi_set_named_property(env, out, "found", found));
    CHECK(napi_set_named_property(env, out, "hashes", hashes));
    return out;
}

static napi_value digest(napi_env env, napi_callback_info info) {
    JS_ARGS(4);
    uint8_t *prefix, *suffix;
    size_t prefix_len, suffix_len;
    double nonce;
    if (argc < 3) return js_fail(env, 0, "digest(prefix, suffix, nonce, engine?)");
    if (!js_bytes_of(env, argv[0], &prefix, &prefix_len)) return js_fail(env, 0, "prefix must be a Uint8Array");
    if (!js_bytes_of(env, argv[1], &suffix, &suffix_len)) return js_fail(env, 0, "suffix must be a Uint8Array");
    if (!js_whole_of(env, argv[2], SAFE_INTEGER_LIMIT, &nonce)) return js_fail(env, 1, "nonce must be an integer from 0 to 2^53");
    int engine = js_engine_of(env, argc > 3 ? argv[3] : NULL);
    if (engine < 0) return js_fail(env, 1, ENGINE_USAGE);
    void *data;
    napi_value out;
    CHECK(napi_create_buffer(env, 32, &data, &out));
    if (scan_digest((scan_engine)engine, prefix, prefix_len, suffix, suffix_len, (uint64_t)nonce,
                    data) < 0)
        return js_out_of_memory(env);
    return out;
}

NAPI_MODULE_INIT() {
    napi_value name;
    static const js_export_fn fns[] = {{"scan", scan}, {"digest", digest}};
    CHECK(js_export_fns(env, exports, fns, sizeof fns / sizeof fns[0]));
    const char *best = scan_best_engine() == ENGINE_SHA_NI ? "sha-ni" : "portable";
    CHECK(napi_create_string_utf8(env, best, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_named_property(env, exports, "engine", name));
    CHECK(chain_index_register(env, exports));
    CHECK(record_check_register(env, exports));
    CHECK(file_digest_register(env, exports));
    return exports;
}
