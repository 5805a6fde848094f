/*
 * A running SHA-256 of a chain file (the .hash), with its state in a
 * JavaScript Buffer so that it can be resumed: the start hashes the file it
 * read in the libuv thread pool, while the main thread indexes the same
 * bytes, and the chain store then goes on appending to the same state at
 * each save. The TypeScript fallback is node:crypto's Hash (src/storage/running-digest.ts);
 * both give the same digests.
 *
 * JavaScript face (registered by addon.c):
 *   digestCreate() -> state (a Buffer)
 *   digestUpdate(state, bytes)                  hashes bytes on this thread
 *   digestUpdateAsync(state, bytes, callback)   hashes bytes in the thread pool;
 *       callback() once done. Neither buffer may change meanwhile.
 *   digestUpdateChained(state, bytes, callback) as digestUpdateAsync, queued
 *       before the earlier ones of the same state are done: they run in the
 *       order queued. No other update of the state until all are done.
 *   digestFinal(state) -> the 32-byte digest of what was hashed so far (the
 *       state stays usable)
 *   digestFileRange(fd, offset, length, callback) the SHA-256 of `length`
 *       bytes of an open file from `offset` on, read and hashed in the thread
 *       pool a megabyte at a time (the bytes hashed while in the CPU's cache,
 *       never held whole); callback(err, digest). Ranges of one file digest
 *       on as many pool threads as there are ranges in flight.
 */
/* uv.h needs POSIX (pthread_rwlock_t, struct addrinfo), which the build's strict C hides. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "file-digest.h"
#include "napi-util.h"
#include "sha256.h"

/** The state a Buffer holds; `magic` tells a state apart from any other 112 bytes. */
typedef struct {
    uint32_t h[8];
    uint64_t length;
    uint8_t pending[64];
    uint32_t pending_len;
    uint32_t magic;
} digest_state;

#define DIGEST_MAGIC 0x53484132u /* "SHA2" */

static int use_sha_ni;

#if SHA256_HAVE_SHA_NI
SHA_NI static void compress_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    sha256_compress_sha_ni(state, data, blocks);
}
#endif

static void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
#if SHA256_HAVE_SHA_NI
    if (use_sha_ni) {
        compress_sha_ni(state, data, blocks);
        return;
    }
#endif
    (void)use_sha_ni;
    sha256_compress_portable(state, data, blocks);
}

static void digest_update(digest_state *s, const uint8_t *data, size_t len) {
    s->length += len;
    if (s->pending_len > 0) {
        size_t take = 64 - s->pending_len < len ? 64 - s->pending_len : len;
        memcpy(s->pending + s->pending_len, data, take);
        s->pending_len += (uint32_t)take;
        data += take;
        len -= take;
        if (s->pending_len < 64) return;
        compress(s->h, s->pending, 1);
        s->pending_len = 0;
    }
    compress(s->h, data, len / 64);
    memcpy(s->pending, data + (len - len % 64), len % 64);
    s->pending_len = (uint32_t)(len % 64);
}

static void digest_final(const digest_state *s, uint8_t out[32]) {
    uint32_t h[8];
    uint8_t tail[128] = {0};
    memcpy(h, s->h, sizeof h);
    memcpy(tail, s->pending, s->pending_len);
    tail[s->pending_len] = 0x80;
    const size_t blocks = s->pending_len < 56 ? 1 : 2;
    const uint64_t bits = s->length * 8;
    for (int i = 0; i < 8; i++) tail[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(h, tail, blocks);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

/**
 * The bytes of a state Buffer (a copy is worked on: a Buffer's memory need
 * not be aligned for the struct); NULL, with a TypeError thrown, when the
 * value holds no state.
 */
static uint8_t *state_of(napi_env env, napi_value value, digest_state *copy) {
    uint8_t *data;
    size_t len;
    if (js_bytes_of(env, value, &data, &len) && len == sizeof(digest_state)) {
        memcpy(copy, data, sizeof *copy);
        if (copy->magic == DIGEST_MAGIC) return data;
    }
    js_type_error(env, "not a digest state (from digestCreate)");
    return NULL;
}

static napi_value digest_create_js(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value buffer;
    void *data;
    CHECK(napi_create_buffer(env, sizeof(digest_state), &data, &buffer));
    digest_state s;
    memset(&s, 0, sizeof s);
    memcpy(s.h, SHA256_INITIAL_STATE, sizeof s.h);
    s.magic = DIGEST_MAGIC;
    memcpy(data, &s, sizeof s);
    return buffer;
}

static napi_value digest_update_js(napi_env env, napi_callback_info info) {
    JS_ARGS(2);
    if (argc < 2) return js_type_error(env, "digestUpdate(state, bytes)");
    digest_state s;
    uint8_t *state = state_of(env, argv[0], &s);
    if (!state) return NULL;
    uint8_t *bytes;
    size_t len;
    if (!js_bytes_of(env, argv[1], &bytes, &len)) return js_type_error(env, "bytes must be a Uint8Array");
    digest_update(&s, bytes, len);
    memcpy(state, &s, sizeof s);
    return NULL;
}

/** One update in the thread pool: the buffers are held by references until it completes. */
typedef struct {
    napi_async_work work;
    napi_ref state_ref, bytes_ref, callback_ref;
    digest_state state;
    const uint8_t *bytes;
    size_t len;
} update_job;

static void update_execute(napi_env env, void *data) {
    (void)env;
    update_job *job = data;
    digest_update(&job->state, job->bytes, job->len);
}

static void free_job(napi_env env, update_job *job) {
    if (job->state_ref) napi_delete_reference(env, job->state_ref);
    if (job->bytes_ref) napi_delete_reference(env, job->bytes_ref);
    if (job->callback_ref) napi_delete_reference(env, job->callback_ref);
    if (job->work) napi_delete_async_work(env, job->work);
    free(job);
}

/** Back on the main thread: the new state goes into its Buffer, then the callback runs. */
static void update_complete(napi_env env, napi_status status, void *data) {
    update_job *job = data;
    napi_value state, callback, global, argv[1];
    uint8_t *bytes;
    size_t len;
    if (status == napi_ok && napi_get_reference_value(env, job->state_ref, &state) == napi_ok &&
        js_bytes_of(env, state, &bytes, &len) && len == sizeof job->state)
        memcpy(bytes, &job->state, sizeof job->state);
    if (napi_get_reference_value(env, job->callback_ref, &callback) == napi_ok &&
        napi_get_global(env, &global) == napi_ok) {
        if (status == napi_ok)
            napi_get_null(env, &argv[0]);
        else
            napi_create_string_utf8(env, "the digest update was cancelled", NAPI_AUTO_LENGTH, &argv[0]);
        napi_call_function(env, global, callback, 1, argv, NULL);
    }
    free_job(env, job);
}

static napi_value digest_update_async_js(napi_env env, napi_callback_info info) {
    JS_ARGS(3);
    if (argc < 3) return js_type_error(env, "digestUpdateAsync(state, bytes, callback)");
    update_job *job = calloc(1, sizeof *job);
    if (!job) return js_out_of_memory(env);
    uint8_t *bytes;
    napi_valuetype kind;
    if (!state_of(env, argv[0], &job->state)) {
        free(job);
        return NULL;
    }
    if (!js_bytes_of(env, argv[1], &bytes, &job->len) || napi_typeof(env, argv[2], &kind) != napi_ok ||
        kind != napi_function) {
        free(job);
        return js_type_error(env, "digestUpdateAsync(state, bytes: Uint8Array, callback: function)");
    }
    job->bytes = bytes;
    napi_value name;
    if (napi_create_reference(env, argv[0], 1, &job->state_ref) != napi_ok ||
        napi_create_reference(env, argv[1], 1, &job->bytes_ref) != napi_ok ||
        napi_create_reference(env, argv[2], 1, &job->callback_ref) != napi_ok ||
        napi_create_string_utf8(env, "blockchain:digest", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, update_execute, update_complete, job, &job->work) != napi_ok ||
        napi_queue_async_work(env, job->work) != napi_ok) {
        free_job(env, job);
        napi_throw_error(env, NULL, "digestUpdateAsync: the work could not be queued");
        return NULL;
    }
    return NULL;
}

/*
 * Chained updates: digestUpdateChained queues the update of a state at once,
 * before the ones queued earlier have run; the thread pool runs them in the
 * order they were queued (each waits for its ticket), so a pass over a file
 * hashes chunk after chunk with no wait for the main thread to take one
 * update's completion and queue the next (it is busy indexing meanwhile).
 * While updates of a state are in flight its running state lives in a chain
 * kept here (found by the state Buffer's memory); each completion writes the
 * state after its own update into the Buffer.
 */
typedef struct chain {
    struct chain *next;
    const uint8_t *key;
    uv_mutex_t lock;
    uv_cond_t turn;
    uint64_t issued, serving, in_flight;
    /** The running state: only the job whose ticket is served touches it. */
    digest_state state;
    /** The state after the last update done (under `lock`): what a completion writes into the Buffer. */
    digest_state done;
} chain;

/** The chains with updates in flight (main thread only: created and dropped there). */
static chain *chains;

static chain *chain_for(const uint8_t *key, const digest_state *start) {
    for (chain *c = chains; c; c = c->next)
        if (c->key == key) return c;
    chain *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (uv_mutex_init(&c->lock) != 0) {
        free(c);
        return NULL;
    }
    if (uv_cond_init(&c->turn) != 0) {
        uv_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    c->key = key;
    c->state = *start;
    c->done = *start;
    c->next = chains;
    chains = c;
    return c;
}

static void chain_drop(chain *c) {
    for (chain **at = &chains; *at; at = &(*at)->next)
        if (*at == c) {
            *at = c->next;
            break;
        }
    uv_cond_destroy(&c->turn);
    uv_mutex_destroy(&c->lock);
    free(c);
}

typedef struct {
    update_job base;
    chain *chain;
    uint64_t ticket;
} chained_job;

static void chained_execute(napi_env env, void *data) {
    (void)env;
    chained_job *job = data;
    chain *c = job->chain;
    uv_mutex_lock(&c->lock);
    while (c->serving != job->ticket) uv_cond_wait(&c->turn, &c->lock);
    uv_mutex_unlock(&c->lock);
    /* Only the job whose ticket is served touches the chain's state. */
    digest_update(&c->state, job->base.bytes, job->base.len);
    uv_mutex_lock(&c->lock);
    c->done = c->state;
    c->serving++;
    uv_cond_broadcast(&c->turn);
    uv_mutex_unlock(&c->lock);
}

static void chained_complete(napi_env env, napi_status status, void *data) {
    chained_job *job = data;
    chain *c = job->chain;
    if (status != napi_ok) {
        /* Never run (cancelled): the tickets after it would wait for ever, so it counts as served. */
        uv_mutex_lock(&c->lock);
        c->serving++;
        uv_cond_broadcast(&c->turn);
        uv_mutex_unlock(&c->lock);
    }
    /* Completions may come in another order than the updates ran: the Buffer gets the newest state. */
    uv_mutex_lock(&c->lock);
    job->base.state = c->done;
    uv_mutex_unlock(&c->lock);
    if (--c->in_flight == 0) chain_drop(c);
    job->chain = NULL;
    update_complete(env, status, &job->base);
}

static napi_value digest_update_chained_js(napi_env env, napi_callback_info info) {
    JS_ARGS(3);
    if (argc < 3) return js_type_error(env, "digestUpdateChained(state, bytes, callback)");
    chained_job *job = calloc(1, sizeof *job);
    if (!job) return js_out_of_memory(env);
    digest_state start;
    uint8_t *bytes, *key = state_of(env, argv[0], &start);
    napi_valuetype kind;
    if (!key) {
        free(job);
        return NULL;
    }
    if (!js_bytes_of(env, argv[1], &bytes, &job->base.len) || napi_typeof(env, argv[2], &kind) != napi_ok ||
        kind != napi_function) {
        free(job);
        return js_type_error(env, "digestUpdateChained(state, bytes: Uint8Array, callback: function)");
    }
    job->base.bytes = bytes;
    napi_value name;
    if (napi_create_reference(env, argv[0], 1, &job->base.state_ref) != napi_ok ||
        napi_create_reference(env, argv[1], 1, &job->base.bytes_ref) != napi_ok ||
        napi_create_reference(env, argv[2], 1, &job->base.callback_ref) != napi_ok ||
        napi_create_string_utf8(env, "blockchain:digest", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, chained_execute, chained_complete, job, &job->base.work) != napi_ok) {
        free_job(env, &job->base);
        napi_throw_error(env, NULL, "digestUpdateChained: the work could not be queued");
        return NULL;
    }
    chain *c = chain_for(key, &start);
    if (!c) {
        free_job(env, &job->base);
        return js_out_of_memory(env);
    }
    job->chain = c;
    job->ticket = c->issued++;
    c->in_flight++;
    if (napi_queue_async_work(env, job->base.work) != napi_ok) {
        /* Never queued: it takes its ticket out of the chain, as a cancelled job does. */
        uv_mutex_lock(&c->lock);
        c->serving++;
        uv_cond_broadcast(&c->turn);
        uv_mutex_unlock(&c->lock);
        if (--c->in_flight == 0) chain_drop(c);
        free_job(env, &job->base);
        napi_throw_error(env, NULL, "digestUpdateChained: the work could not be queued");
        return NULL;
    }
    return NULL;
}

/** A range of a file digested in the thread pool: no JavaScript buffer is touched there. */
typedef struct {
    napi_async_work work;
    napi_ref callback_ref;
    int fd;
    uint64_t offset, length;
    uint8_t digest[32];
    /** 0, or the errno of a failed read; -1 when the file ended before the range did. */
    int error;
} range_job;

/** Bytes read at a time: small enough to stay in the core's cache until hashed. */
#define RANGE_PIECE (1024 * 1024)

static void range_execute(napi_env env, void *data) {
    (void)env;
    range_job *job = data;
    uint8_t *piece = malloc(RANGE_PIECE);
    if (!piece) {
        job->error = ENOMEM;
        return;
    }
    digest_state s;
    memset(&s, 0, sizeof s);
    memcpy(s.h, SHA256_INITIAL_STATE, sizeof s.h);
    s.magic = DIGEST_MAGIC;
    uint64_t done = 0;
    while (done < job->length) {
        uint64_t left = job->length - done;
        size_t want = left < RANGE_PIECE ? (size_t)left : RANGE_PIECE;
        ssize_t got = pread(job->fd, piece, want, (off_t)(job->offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            job->error = errno;
            break;
        }
        if (got == 0) {
            job->error = -1;
            break;
        }
        digest_update(&s, piece, (size_t)got);
        done += (uint64_t)got;
    }
    free(piece);
    if (job->error == 0) digest_final(&s, job->digest);
}

static void free_range_job(napi_env env, range_job *job) {
    if (job->callback_ref) napi_delete_reference(env, job->callback_ref);
    if (job->work) napi_delete_async_work(env, job->work);
    free(job);
}

static void range_complete(napi_env env, napi_status status, void *data) {
    range_job *job = data;
    napi_value callback, global, argv[2];
    if (napi_get_reference_value(env, job->callback_ref, &callback) == napi_ok &&
        napi_get_global(env, &global) == napi_ok) {
        char why[160];
        const char *err = NULL;
        if (status != napi_ok) {
            err = "the range digest was cancelled";
        } else if (job->error == -1) {
            snprintf(why, sizeof why, "the file ends before byte %llu",
                     (unsigned long long)(job->offset + job->length));
            err = why;
        } else if (job->error != 0) {
            snprintf(why, sizeof why, "reading the file failed: %s", strerror(job->error));
            err = why;
        }
        void *out;
        if (err) {
            napi_create_string_utf8(env, err, NAPI_AUTO_LENGTH, &argv[0]);
            napi_get_null(env, &argv[1]);
        } else {
            napi_get_null(env, &argv[0]);
            if (napi_create_buffer_copy(env, 32, job->digest, &out, &argv[1]) != napi_ok)
                napi_get_null(env, &argv[1]);
        }
        napi_call_function(env, global, callback, 2, argv, NULL);
    }
    free_range_job(env, job);
}

static napi_value digest_file_range_js(napi_env env, napi_callback_info info) {
    JS_ARGS(4);
    double fd, offset, length;
    napi_valuetype kind;
    if (argc < 4 || !js_whole_of(env, argv[0], 2147483647.0, &fd) ||
        !js_whole_of(env, argv[1], SAFE_INTEGER_LIMIT, &offset) ||
        !js_whole_of(env, argv[2], SAFE_INTEGER_LIMIT, &length) ||
        napi_typeof(env, argv[3], &kind) != napi_ok || kind != napi_function)
        return js_type_error(env, "digestFileRange(fd, offset, length, callback: function)");
    range_job *job = calloc(1, sizeof *job);
    if (!job) return js_out_of_memory(env);
    job->fd = (int)fd;
    job->offset = (uint64_t)offset;
    job->length = (uint64_t)length;
    napi_value name;
    if (napi_create_reference(env, argv[3], 1, &job->callback_ref) != napi_ok ||
        napi_create_string_utf8(env, "blockchain:digest-range", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, range_execute, range_complete, job, &job->work) != napi_ok ||
        napi_queue_async_work(env, job->work) != napi_ok) {
        free_range_job(env, job);
        napi_throw_error(env, NULL, "digestFileRange: the work could not be queued");
        return NULL;
    }
    return NULL;
}

static napi_value digest_final_js(napi_env env, napi_callback_info info) {
    JS_ARGS(1);
    if (argc < 1) return js_type_error(env, "digestFinal(state)");
    digest_state s;
    if (!state_of(env, argv[0], &s)) return NULL;
    napi_value out;
    void *data;
    CHECK(napi_create_buffer(env, 32, &data, &out));
    digest_final(&s, data);
    return out;
}

napi_status file_digest_register(napi_env env, napi_value exports) {
#if SHA256_HAVE_SHA_NI
    use_sha_ni = sha256_has_sha_ni();
#endif
    static const js_export_fn fns[] = {
        {"digestCreate", digest_create_js},
        {"digestUpdate", digest_update_js},
        {"digestUpdateAsync", digest_update_async_js},
        {"digestUpdateChained", digest_update_chained_js},
        {"digestFinal", digest_final_js},
        {"digestFileRange", digest_file_range_js},
    };
    return js_export_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
