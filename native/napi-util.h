/*
 * The N-API helpers every JavaScript face of the addon uses (addon.c,
 * chain-index.c, record-check-js.c, file-digest.c): fetching and checking
 * arguments, throwing errors, making values and registering functions. Kept
 * in one place so that every function checks its arguments the same way.
 */
#ifndef BLOCKCHAIN_NAPI_UTIL_H
#define BLOCKCHAIN_NAPI_UTIL_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/** 2^53: counts, offsets and nonces stay safe integers in JavaScript. */
#define SAFE_INTEGER_LIMIT 9007199254740992.0

/** Returns NULL (a pending exception, if any, goes to JavaScript) when an N-API call fails. */
#define CHECK(call)                                                                               \
    do {                                                                                          \
        if ((call) != napi_ok) return NULL;                                                       \
    } while (0)

/** The call's arguments, at most `n` of them: `argc` (how many were given) and `argv` (NULL past argc). */
#define JS_ARGS(n)                                                                                \
    size_t argc = (n);                                                                            \
    napi_value argv[(n)] = {NULL};                                                                \
    CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

/** Throws a RangeError when `range`, else a TypeError, with `message`; returns NULL. */
napi_value js_fail(napi_env env, int range, const char *message);

/** Throws a TypeError with `message`; returns NULL. */
napi_value js_type_error(napi_env env, const char *message);

/** Throws the "ENOMEM" error; returns NULL. */
napi_value js_out_of_memory(napi_env env);

/** The elements of a typed array of type `want`; 0 when `value` is not one. */
int js_typed_of(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *len);

/** The bytes of a Uint8Array (Buffer included); 0 when `value` is not one. */
int js_bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *len);

/** A whole number from 0 to `limit`; 0 when `value` is not one. */
int js_whole_of(napi_env env, napi_value value, double limit, double *out);

/** The engine named by an optional string argument (NULL or undefined: the best); -1 when unknown or unavailable. */
int js_engine_of(napi_env env, napi_value value);

/** `value` as a JavaScript number; NULL when it could not be made. */
napi_value js_number(napi_env env, double value);

/** A function exported by name. */
typedef struct {
    const char *name;
    napi_callback fn;
} js_export_fn;

/** Sets each of the `count` functions on `exports` under its name; stops at the first failure. */
napi_status js_export_fns(napi_env env, napi_value exports, const js_export_fn *fns, size_t count);

#endif
