#include "napi-util.h"

#include <stdbool.h>
#include <string.h>

#include "scanner.h"

napi_value js_fail(napi_env env, int range, const char *message) {
    if (range)
        napi_throw_range_error(env, NULL, message);
    else
        napi_throw_type_error(env, NULL, message);
    return NULL;
}

napi_value js_type_error(napi_env env, const char *message) { return js_fail(env, 0, message); }

napi_value js_out_of_memory(napi_env env) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
}

int js_typed_of(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *len) {
    bool is_typed = false;
    if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
    napi_typedarray_type type;
    void *raw = NULL;
    if (napi_get_typedarray_info(env, value, &type, len, &raw, NULL, NULL) != napi_ok) return 0;
    if (type != want) return 0;
    *data = raw;
    return 1;
}

int js_bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *len) {
    void *raw = NULL;
    if (!js_typed_of(env, value, napi_uint8_array, &raw, len)) return 0;
    *data = raw;
    return 1;
}

int js_whole_of(napi_env env, napi_value value, double limit, double *out) {
    napi_valuetype kind;
    if (napi_typeof(env, value, &kind) != napi_ok || kind != napi_number) return 0;
    if (napi_get_value_double(env, value, out) != napi_ok) return 0;
    return *out >= 0 && *out <= limit && *out == (double)(uint64_t)*out;
}

int js_engine_of(napi_env env, napi_value value) {
    napi_valuetype kind;
    if (value == NULL || napi_typeof(env, value, &kind) != napi_ok || kind == napi_undefined)
        return scan_best_engine();
    if (kind != napi_string) return -1;
    char name[16];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, value, name, sizeof name, &len) != napi_ok) return -1;
    if (strcmp(name, "portable") == 0) return ENGINE_PORTABLE;
    if (strcmp(name, "scalar") == 0) return ENGINE_SCALAR;
    if (strcmp(name, "sha-ni") == 0 && scan_best_engine() == ENGINE_SHA_NI) return ENGINE_SHA_NI;
    return -1;
}

napi_value js_number(napi_env env, double value) {
    napi_value out;
    CHECK(napi_create_double(env, value, &out));
    return out;
}

napi_status js_export_fns(napi_env env, napi_value exports, const js_export_fn *fns, size_t count) {
    for (size_t i = 0; i < count; i++) {
        napi_value fn;
        napi_status status = napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
        if (status == napi_ok) status = napi_set_named_property(env, exports, fns[i].name, fn);
        if (status != napi_ok) return status;
    }
    return napi_ok;
}
