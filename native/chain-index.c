/*
 * The trusted start's one pass over a chain file whose .hash vouches for it
 * (src/storage/chain-load.ts loadVouchedChain): where each record starts, its
 * data id and its previous_hash, read in place, with no record parsed; and the
 * id index's hash table filled in bulk from those ids. The TypeScript
 * fallbacks (the codecs' indexVouched, IdIndex.fromIds) give the same results.
 *
 * JavaScript face (registered by addon.c):
 *   indexRecords(bytes, from, binary) -> { starts: Float64Array, ids: Buffer,
 *       hashes: Buffer } | null
 *   indexRecordsInto(bytes, from, binary, base, ids, idsAt, low, lowAt, marks, markBytes)
 *       -> how many records (written into the caller's arrays), or -1/-2/-3
 *   wholeFramesEnd(bytes, from) -> where the whole binary frames end, or -1
 *   fillIdTable(ids, count, seed, table: Int32Array, tags: Uint8Array, first = 0)
 *       -> index of the first block whose id an earlier block holds, or -1
 *   findIds(ids, table, seed, query, from, to, below, tags) -> the first of
 *       the query's ids [from, to) the table holds at a block below `below`,
 *       or -1
 *   placeIds(ids, first, count, seed, table, tags) -> places ids
 *       first..first+count-1 (the table holds none of them) in an IdIndex
 *       table with room
 *
 * A record whose layout is not the one this node writes (the framing breaks,
 * a field is not where the canonical encoding puts it, a hex digit is not
 * lowercase hex) makes indexRecords give null: the caller then validates the
 * whole file, which names the problem. Nothing is read outside `bytes`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain-index.h"
#include "napi-util.h"

#define ID_BYTES 16
#define HASH_BYTES 32
#define FRAME_HEAD 8
#define FRAME_TAIL 4
#define FLAG_NO_PREVIOUS 0x01
#define MAX_VARINT 8
/** Table slots whose lines are fetched ahead while the ids before them are placed. */
#define PREFETCH 16

static const char JSON_HEAD[] = "{\"index\":";
static const char JSON_TIMESTAMP[] = ",\"timestamp\":";
static const char JSON_ID[] = ",\"data\":{\"id\":\"";
static const char JSON_PROOF[] = ",\"proof\":";
static const char JSON_PREVIOUS[] = "\"previous_hash\":\"";
#define LEN(s) (sizeof(s) - 1)

#if defined(__SSE2__) && !defined(CHAIN_INDEX_SCALAR)
#include <emmintrin.h>

/** 16 lowercase hex digits to 8 bytes with SSE2 (every x86-64 has it); 0 when one is not a digit. */
static inline int unhex16(const uint8_t *text, uint8_t *out) {
    const __m128i v = _mm_loadu_si128((const __m128i *)text);
    const __m128i digit = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const __m128i letter = _mm_sub_epi8(v, _mm_set1_epi8('a'));
    /* x <= n, unsigned: min(x, n) == x. */
    const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit);
    const __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(letter, _mm_set1_epi8(5)), letter);
    if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xffff) return 0;
    const __m128i value = _mm_or_si128(_mm_and_si128(is_digit, digit),
                                       _mm_and_si128(is_letter, _mm_add_epi8(letter, _mm_set1_epi8(10))));
    /* Each 16-bit lane holds a pair: the high digit in its low byte, the low digit in its high byte. */
    const __m128i pairs = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(value, _mm_set1_epi16(0x00ff)), 4),
                                       _mm_srli_epi16(value, 8));
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(pairs, pairs));
    return 1;
}

/**
 * Decodes `size` bytes (a multiple of 8) from 2 * size lowercase hex digits;
 * 0 when one is not. Sixteen digits at a time: a branch per digit (hash
 * digits are random) made this the whole pass's cost.
 */
static int unhex(const uint8_t *text, size_t size, uint8_t *out) {
    int ok = 1;
    for (size_t i = 0; i < size; i += 8) ok &= unhex16(text + 2 * i, out + i);
    return ok;
}
#else
/** One more than each byte's value as a lowercase hex digit; 0 for any other byte. */
static const int8_t NIBBLE_PLUS_ONE[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/** As above, portably: no branch per digit, the digits of hashes being random. */
static int unhex(const uint8_t *text, size_t size, uint8_t *out) {
    int bad = 0;
    for (size_t i = 0; i < size; i++) {
        const int hi = NIBBLE_PLUS_ONE[text[2 * i]] - 1, lo = NIBBLE_PLUS_ONE[text[2 * i + 1]] - 1;
        bad |= hi | lo;
        out[i] = (uint8_t)(hi << 4 | (lo & 0x0f));
    }
    return bad >= 0;
}
#endif

/** A character a JSON number of the canonical encoding may hold. */
static inline int number_char(uint8_t c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/** `text` (of `len` bytes) at `p`, within [p, end). */
static inline int at(const uint8_t *p, const uint8_t *end, const char *text, size_t len) {
    return (size_t)(end - p) >= len && memcmp(p, text, len) == 0;
}

/**
 * The data id and (unless `genesis`) the previous_hash of one canonical JSON
 * line [p, end), its "\n" included: `{"index":N,"timestamp":N,"data":{"id":"<32 hex>",
 * "message":...},"previous_hash":"<64 hex>","proof":N}`. The id is found from the
 * front (only numbers precede it), the hash from the back (only the proof
 * follows it), so the message between is never read.
 */
static int json_record(const uint8_t *p, const uint8_t *end, int genesis, uint8_t *id,
                       uint8_t *previous) {
    const uint8_t *q = p;
    if (!at(q, end, JSON_HEAD, LEN(JSON_HEAD))) return 0;
    for (q += LEN(JSON_HEAD); q < end && number_char(*q);) q++;
    if (!at(q, end, JSON_TIMESTAMP, LEN(JSON_TIMESTAMP))) return 0;
    for (q += LEN(JSON_TIMESTAMP); q < end && number_char(*q);) q++;
    if (!at(q, end, JSON_ID, LEN(JSON_ID))) return 0;
    q += LEN(JSON_ID);
    if (end - q < 2 * ID_BYTES + 1 || q[2 * ID_BYTES] != '"' || !unhex(q, ID_BYTES, id)) return 0;
    if (genesis) return 1;
    const uint8_t *id_end = q + 2 * ID_BYTES + 1;

    const uint8_t *r = end - 1; /* the "\n" */
    if (r - id_end < 2 || r[-1] != '}') return 0;
    for (r--; r > id_end && number_char(r[-1]);) r--;
    r -= LEN(JSON_PROOF) + 1 + 2 * HASH_BYTES + LEN(JSON_PREVIOUS);
    if (r < id_end) return 0;
    const uint8_t *hex = r + LEN(JSON_PREVIOUS);
    if (memcmp(r, JSON_PREVIOUS, LEN(JSON_PREVIOUS)) != 0 || hex[2 * HASH_BYTES] != '"' ||
        memcmp(hex + 2 * HASH_BYTES + 1, JSON_PROOF, LEN(JSON_PROOF)) != 0)
        return 0;
    return unhex(hex, HASH_BYTES, previous);
}

/** Skips one varint of at most 8 bytes in [p, end); NULL when it does not end there. */
static const uint8_t *skip_varint(const uint8_t *p, const uint8_t *end) {
    for (int i = 0; i < MAX_VARINT && p < end; i++)
        if (*p++ < 0x80) return p;
    return NULL;
}

static inline uint32_t read_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/**
 * The data id and (unless `genesis`) the previous_hash of one binary
 * record's payload [p, end): flags, index and timestamp varints, the id, then
 * the hash (present unless flags say it is null, which only genesis may say).
 */
static int binary_record(const uint8_t *p, const uint8_t *end, int genesis, uint8_t *id,
                         uint8_t *previous) {
    if (p >= end) return 0;
    const uint8_t flags = *p++;
    p = skip_varint(p, end);
    if (p) p = skip_varint(p, end);
    if (!p || end - p < ID_BYTES) return 0;
    memcpy(id, p, ID_BYTES);
    if (genesis) return 1;
    if ((flags & FLAG_NO_PREVIOUS) || end - p < ID_BYTES + HASH_BYTES) return 0;
    memcpy(previous, p + ID_BYTES, HASH_BYTES);
    return 1;
}

/** Length of the binary record at `p` (framing included), or 0 when its length check fails or it runs past `end`. */
static size_t binary_frame(const uint8_t *p, const uint8_t *end) {
    if (end - p < FRAME_HEAD) return 0;
    const uint32_t length = read_u32le(p);
    if ((length ^ read_u32le(p + 4)) != 0xffffffffu) return 0;
    const size_t size = (size_t)FRAME_HEAD + length + FRAME_TAIL;
    return (size_t)(end - p) >= size ? size : 0;
}

/** A growing array of record starts (malloc'd: the caller frees `at`). */
typedef struct {
    double *at;
    int64_t count, capacity;
} starts_t;

static int push_start(starts_t *s, double start) {
    if (s->count == s->capacity) {
        const int64_t capacity = s->capacity < 1024 ? 1024 : s->capacity * 2;
        double *bigger = realloc(s->at, (size_t)capacity * sizeof(double));
        if (!bigger) return 0;
        s->at = bigger;
        s->capacity = capacity;
    }
    s->at[s->count++] = start;
    return 1;
}

/**
 * Where each record of [bytes + from, bytes + size) starts, into `out`: 1
 * when the records tile it, 0 when they do not, -1 when out of memory. The
 * framing is walked once (a second walk cost a third of the pass in JSON).
 */
static int frame_records(const uint8_t *bytes, size_t from, size_t size, int binary,
                         starts_t *out) {
    const uint8_t *p = bytes + from, *end = bytes + size;
    if (p == end || (!binary && end[-1] != '\n')) return 0;
    while (p < end) {
        if (!push_start(out, (double)(p - bytes))) return -1;
        if (binary) {
            const size_t frame = binary_frame(p, end);
            if (frame == 0) return 0;
            p += frame;
        } else {
            p = (const uint8_t *)memchr(p, '\n', (size_t)(end - p)) + 1;
        }
    }
    return 1;
}

/**
 * Fills ids and hashes for the `count` records starting at `starts`: hashes[i]
 * is record i + 1's previous_hash, i.e. block i's hash (the last one is left
 * to the caller, which hashes the tip). 0 when a record is not laid out as
 * this node writes it.
 */
static int index_records(const uint8_t *bytes, size_t size, int binary, const double *starts,
                         int64_t count, uint8_t *ids, uint8_t *hashes) {
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *p = bytes + (size_t)starts[i];
        const uint8_t *next = bytes + (i + 1 < count ? (size_t)starts[i + 1] : size);
        uint8_t *previous = i > 0 ? hashes + (i - 1) * HASH_BYTES : NULL;
        const int ok = binary ? binary_record(p + FRAME_HEAD, next - FRAME_TAIL, i == 0,
                                              ids + i * ID_BYTES, previous)
                              : json_record(p, next, i == 0, ids + i * ID_BYTES, previous);
        if (!ok) return 0;
    }
    return 1;
}


/** indexRecords' answer for framed records: null when they are not laid out as this node writes them. */
static napi_value index_result(napi_env env, int framed, const starts_t *found, const uint8_t *bytes,
                               size_t size, int binary) {
    napi_value result;
    if (framed < 0) return js_out_of_memory(env);
    CHECK(napi_get_null(env, &result));
    if (framed == 0 || found->count == 0) return result;
    const int64_t count = found->count;
    napi_value starts_buffer, starts, ids, hashes;
    void *starts_data, *ids_data, *hashes_data;
    CHECK(napi_create_arraybuffer(env, (size_t)count * sizeof(double), &starts_data, &starts_buffer));
    CHECK(napi_create_typedarray(env, napi_float64_array, (size_t)count, starts_buffer, 0, &starts));
    CHECK(napi_create_buffer(env, (size_t)count * ID_BYTES, &ids_data, &ids));
    CHECK(napi_create_buffer(env, (size_t)count * HASH_BYTES, &hashes_data, &hashes));
    memcpy(starts_data, found->at, (size_t)count * sizeof(double));
    if (!index_records(bytes, size, binary, found->at, count, ids_data, hashes_data)) return result;
    CHECK(napi_create_object(env, &result));
    CHECK(napi_set_named_property(env, result, "starts", starts));
    CHECK(napi_set_named_property(env, result, "ids", ids));
    CHECK(napi_set_named_property(env, result, "hashes", hashes));
    return result;
}

static napi_value index_records_js(napi_env env, napi_callback_info info) {
    JS_ARGS(3);
    uint8_t *bytes;
    size_t size;
    double from;
    bool binary = false;
    if (argc < 3 || !js_bytes_of(env, argv[0], &bytes, &size) || !js_whole_of(env, argv[1], (double)size, &from) ||
        napi_get_value_bool(env, argv[2], &binary) != napi_ok)
        return js_type_error(env, "indexRecords(bytes: Uint8Array, from: offset within bytes, binary: boolean)");

    starts_t found = {NULL, 0, 0};
    const int framed = frame_records(bytes, (size_t)from, size, binary, &found);
    napi_value result = index_result(env, framed, &found, bytes, size, binary);
    free(found.at);
    return result;
}

/**
 * indexRecords written straight into a chunked load's own arrays (no
 * answer objects, nothing copied after): the records of [bytes + from,
 * bytes + size), whose offsets in the file are `base` plus their place in
 * `bytes`. Record k's offset goes to low[low_at + k] (its low 32 bits: the
 * caller keeps where they wrap), its id to ids at (ids_at + k) * 16, and,
 * when `marks` is given, the first mark_bytes of its hash (record k + 1's
 * previous_hash) to marks at (ids_at + k) * mark_bytes, for all but the
 * last record (its hash is in the next chunk). Returns how many records, or -1 when they are not laid out
 * as this node writes them, -2 when out of memory, -3 when the arrays have
 * no room for them (the caller makes room for every record that can fit).
 */
static int64_t index_into(const uint8_t *bytes, size_t from, size_t size, int binary, double base,
                          uint8_t *ids, size_t ids_len, size_t ids_at, uint32_t *low, size_t low_len,
                          size_t low_at, uint8_t *marks, size_t marks_len, size_t mark_bytes) {
    starts_t found = {NULL, 0, 0};
    const int framed = frame_records(bytes, from, size, binary, &found);
    int64_t result = framed < 0 ? -2 : framed == 0 ? -1 : found.count;
    const size_t count = (size_t)found.count;
    if (result > 0 && (ids_at + count > ids_len / ID_BYTES || low_at + count > low_len ||
                       (marks && ids_at + count > marks_len / mark_bytes)))
        result = -3;
    for (size_t i = 0; result > 0 && i < count; i++) {
        const uint8_t *p = bytes + (size_t)found.at[i];
        const uint8_t *next = bytes + (i + 1 < count ? (size_t)found.at[i + 1] : size);
        /* A chunk's first record is read as genesis is: its previous_hash is the chunk before's business. */
        const int genesis = i == 0;
        uint8_t previous[HASH_BYTES];
        uint8_t *id = ids + (ids_at + i) * ID_BYTES;
        const int ok = binary ? binary_record(p + FRAME_HEAD, next - FRAME_TAIL, genesis, id, previous)
                              : json_record(p, next, genesis, id, previous);
        if (!ok) result = -1;
        else if (marks && !genesis) memcpy(marks + (ids_at + i - 1) * mark_bytes, previous, mark_bytes);
        low[low_at + i] = (uint32_t)(uint64_t)(base + found.at[i]);
    }
    free(found.at);
    return result;
}

static napi_value index_into_js(napi_env env, napi_callback_info info) {
    JS_ARGS(10);
    uint8_t *bytes, *ids, *marks = NULL;
    uint32_t *low;
    void *raw = NULL;
    size_t size, ids_len, low_len, marks_len = 0;
    double from, base, ids_at, low_at, mark_bytes = 0;
    bool binary = false;
    napi_valuetype marks_type = napi_null;
    if (argc < 8 || !js_bytes_of(env, argv[0], &bytes, &size) || !js_whole_of(env, argv[1], (double)size, &from) ||
        napi_get_value_bool(env, argv[2], &binary) != napi_ok || !js_whole_of(env, argv[3], 9007199254740991.0, &base) ||
        !js_bytes_of(env, argv[4], &ids, &ids_len) || !js_whole_of(env, argv[5], (double)(ids_len / ID_BYTES), &ids_at) ||
        !js_typed_of(env, argv[6], napi_uint32_array, &raw, &low_len) || !js_whole_of(env, argv[7], (double)low_len, &low_at) ||
        (argc > 8 && napi_typeof(env, argv[8], &marks_type) != napi_ok) ||
        (marks_type != napi_null && marks_type != napi_undefined &&
         (!js_bytes_of(env, argv[8], &marks, &marks_len) || argc < 10 || !js_whole_of(env, argv[9], 32, &mark_bytes) ||
          mark_bytes < 1)))
        return js_type_error(env, "indexRecordsInto(bytes: Uint8Array, from, binary: boolean, base, ids: Uint8Array, idsAt, "
                                  "low: Uint32Array, lowAt, marks?: Uint8Array | null, markBytes?)");
    low = raw;
    return js_number(env, (double)index_into(bytes, (size_t)from, size, binary, base, ids, ids_len, (size_t)ids_at,
                                             low, low_len, (size_t)low_at, marks, marks_len, (size_t)mark_bytes));
}

/** The largest payload a binary record may hold (src/storage/codecs/binary-codec.ts MAX_PAYLOAD). */
#define MAX_PAYLOAD (64u * 1024 * 1024)

/**
 * The binary codec's wholeRecordsEnd: where the whole records of [bytes +
 * from, bytes + size) end by their framing alone (length and its inverse,
 * a payload of at most MAX_PAYLOAD; `from` when none fits), or -1 when a
 * frame's length check fails. A chunked read asks it for every chunk.
 */
static napi_value whole_frames_end_js(napi_env env, napi_callback_info info) {
    JS_ARGS(2);
    uint8_t *bytes;
    size_t size;
    double from;
    if (argc < 2 || !js_bytes_of(env, argv[0], &bytes, &size) || !js_whole_of(env, argv[1], (double)size, &from))
        return js_type_error(env, "wholeFramesEnd(bytes: Uint8Array, from: offset within bytes)");
    size_t pos = (size_t)from;
    while (size - pos >= FRAME_HEAD) {
        const uint32_t length = read_u32le(bytes + pos);
        if ((length ^ read_u32le(bytes + pos + 4)) != 0xffffffffu || length > MAX_PAYLOAD) return js_number(env, -1);
        const size_t frame = (size_t)FRAME_HEAD + length + FRAME_TAIL;
        if (size - pos < frame) break;
        pos += frame;
    }
    return js_number(env, (double)pos);
}

static inline uint32_t rotl(uint32_t x, int n) { return x << n | x >> (32 - n); }

/** IdIndex's hash of an id (src/storage/index/id-index.ts): bit for bit the same. */
static inline uint32_t id_hash(const uint8_t *id, uint32_t seed) {
    uint32_t h = seed;
    for (int i = 0; i < ID_BYTES; i += 4) {
        h = (h ^ read_u32le(id + i)) * 0xcc9e2d51u;
        h = rotl(h, 15);
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/** IdIndex's tag of a hash (its tagOf): a byte kept beside each slot, so a taken slot is mostly told apart without reading its id. */
static inline uint8_t id_tag(uint32_t hash) { return (uint8_t)((hash * 0x9e3779b1u) >> 24); }

/**
 * An IdIndex table as the addon sees it: slot -> block index + 1 (0 empty,
 * -1 removed) and a tag per slot; the ids, 16 bytes per block.
 */
typedef struct {
    const uint8_t *ids;
    size_t ids_len;
    int32_t *table;
    uint8_t *tags;
    uint32_t seed, mask;
} id_table_t;

/** Whether the taken slot `slot` (entry > 0) holds `id`, whose hash's tag is `tag`. */
static inline int holds(const id_table_t *t, uint32_t slot, int32_t entry, uint8_t tag, const uint8_t *id) {
    return t->tags[slot] == tag && (size_t)entry * ID_BYTES <= t->ids_len &&
           memcmp(t->ids + (int64_t)(entry - 1) * ID_BYTES, id, ID_BYTES) == 0;
}

/**
 * The slots of ids probed PREFETCH ids ahead, their table and tag lines
 * fetched meanwhile: each probe is otherwise two cache misses in arrays of
 * megabytes. The fetches are hints only.
 */
typedef struct {
    uint32_t hash[PREFETCH];
} probe_ahead_t;

static inline void fetch_slot(probe_ahead_t *a, const id_table_t *t, const uint8_t *id, int64_t i, int write) {
    const uint32_t hash = id_hash(id, t->seed);
    const uint32_t slot = hash & t->mask;
    a->hash[i % PREFETCH] = hash;
    if (write) {
        __builtin_prefetch(t->table + slot, 1);
        __builtin_prefetch(t->tags + slot, 1);
    } else {
        __builtin_prefetch(t->table + slot, 0);
        __builtin_prefetch(t->tags + slot, 0);
    }
}

/** Starts the fetches for probes of ids from..to-1 (16 bytes each at `query` + i * ID_BYTES). */
static void probe_start(probe_ahead_t *a, const id_table_t *t, const uint8_t *query, int64_t from, int64_t to,
                        int write) {
    for (int64_t i = from; i < to && i < from + PREFETCH; i++) fetch_slot(a, t, query + i * ID_BYTES, i, write);
}

/** The hash of probe i's id, with the fetches moved on by one. */
static inline uint32_t probe_step(probe_ahead_t *a, const id_table_t *t, const uint8_t *query, int64_t i, int64_t to,
                                  int write) {
    const uint32_t hash = a->hash[i % PREFETCH];
    if (i + PREFETCH < to) fetch_slot(a, t, query + (i + PREFETCH) * ID_BYTES, i + PREFETCH, write);
    return hash;
}

/**
 * Places ids first..count-1 in an open-addressing table (slot = index + 1)
 * empty or holding ids 0..first-1, in order; returns the index of the first
 * id already placed, or -1.
 */
static int64_t fill_id_table(const id_table_t *t, int64_t first, int64_t count) {
    probe_ahead_t ahead;
    probe_start(&ahead, t, t->ids, first, count, 1);
    for (int64_t i = first; i < count; i++) {
        const uint32_t hash = probe_step(&ahead, t, t->ids, i, count, 1);
        const uint8_t tag = id_tag(hash);
        const uint8_t *id = t->ids + i * ID_BYTES;
        uint32_t slot = hash & t->mask;
        for (;; slot = (slot + 1) & t->mask) {
            const int32_t entry = t->table[slot];
            if (entry == 0) break;
            if (entry > 0 && holds(t, slot, entry, tag, id)) return i;
        }
        t->table[slot] = (int32_t)(i + 1);
        t->tags[slot] = tag;
    }
    return -1;
}

/** Table slots per region of a region-by-region fill: a region's table and tags (80 KiB) stay in the core's cache. */
#define REGION_BITS 14

/**
 * fill_id_table for an empty table, in one pass per region of the table
 * instead of one random placement after the other: the ids are first
 * grouped by the region of the table their slot falls in (in index order
 * within a group), then each group is placed while its region stays in the
 * cache. The table may differ slot by slot from fill_id_table's (any order
 * of placement makes a valid linear-probing table); the answer is the same:
 * the first index whose id an earlier one holds, or -1. Returns -2 when out
 * of memory (the caller then fills it id by id).
 */
static int64_t fill_id_table_by_region(const id_table_t *t, int64_t count) {
    const uint64_t regions = ((uint64_t)t->mask + 1) >> REGION_BITS;
    uint64_t *grouped = malloc((size_t)count * sizeof *grouped);
    int64_t *next = calloc((size_t)regions + 1, sizeof *next);
    if (!grouped || !next) {
        free(grouped);
        free(next);
        return -2;
    }
    for (int64_t i = 0; i < count; i++) next[((id_hash(t->ids + i * ID_BYTES, t->seed) & t->mask) >> REGION_BITS) + 1]++;
    for (uint64_t r = 1; r <= regions; r++) next[r] += next[r - 1];
    /* Each id's hash (high half) and index (low half), by region; next[r] ends as region r's end. */
    for (int64_t i = 0; i < count; i++) {
        const uint32_t hash = id_hash(t->ids + i * ID_BYTES, t->seed);
        grouped[next[(hash & t->mask) >> REGION_BITS]++] = (uint64_t)hash << 32 | (uint64_t)i;
    }
    int64_t duplicate = -1;
    for (int64_t k = 0; k < count; k++) {
        const uint32_t hash = (uint32_t)(grouped[k] >> 32);
        const int64_t i = (int64_t)(grouped[k] & 0xffffffffu);
        const uint8_t tag = id_tag(hash);
        const uint8_t *id = t->ids + i * ID_BYTES;
        uint32_t slot = hash & t->mask;
        for (;; slot = (slot + 1) & t->mask) {
            const int32_t entry = t->table[slot];
            if (entry == 0) {
                t->table[slot] = (int32_t)(i + 1);
                t->tags[slot] = tag;
                break;
            }
            if (holds(t, slot, entry, tag, id)) {
                /* Groups are placed one after the other: the first repeat overall is the least. */
                if (duplicate < 0 || i < duplicate) duplicate = i;
                break;
            }
        }
    }
    free(grouped);
    free(next);
    return duplicate;
}

static int int32s_of(napi_env env, napi_value value, int32_t **data, size_t *len) {
    void *raw = NULL;
    if (!js_typed_of(env, value, napi_int32_array, &raw, len)) return 0;
    *data = raw;
    return 1;
}

/** The table, its tags (as many) and the ids from the arguments at `table_at`, `tags_at`, `ids_at`; 0 when one is not. */
static int id_table_of(napi_env env, napi_value *argv, int ids_at, int table_at, int tags_at, int seed_at,
                       id_table_t *t) {
    uint8_t *ids, *tags;
    size_t slots, tags_len;
    double seed;
    if (!js_bytes_of(env, argv[ids_at], &ids, &t->ids_len) || !int32s_of(env, argv[table_at], &t->table, &slots) ||
        !js_bytes_of(env, argv[tags_at], &tags, &tags_len) || !js_whole_of(env, argv[seed_at], 4294967295.0, &seed))
        return 0;
    if (slots == 0 || (slots & (slots - 1)) != 0 || tags_len != slots) return 0;
    t->ids = ids;
    t->tags = tags;
    t->seed = (uint32_t)seed;
    t->mask = (uint32_t)(slots - 1);
    return 1;
}

static napi_value fill_id_table_js(napi_env env, napi_callback_info info) {
    JS_ARGS(6);
    id_table_t t;
    double count, first = 0;
    const char *usage = "fillIdTable(ids: Uint8Array, count, seed: uint32, table: Int32Array, tags: Uint8Array, first = 0)";
    if (argc < 5 || !id_table_of(env, argv, 0, 3, 4, 2, &t) || !js_whole_of(env, argv[1], (double)(t.ids_len / ID_BYTES), &count) ||
        (argc > 5 && !js_whole_of(env, argv[5], count, &first)))
        return js_type_error(env, usage);
    const size_t slots = (size_t)t.mask + 1;
    /* Room to spare: all empty (the caller's fresh table), or holding ids 0..first-1 of `ids`. */
    if (count * 3 > (double)slots * 2 || count > 2147483646.0)
        return js_type_error(env, "fillIdTable: the table must be a power of two at least 1.5 times count");
    if (first == 0) memset(t.table, 0, slots * sizeof(int32_t));
    if (first == 0 && (slots >> REGION_BITS) >= 4) {
        const int64_t duplicate = fill_id_table_by_region(&t, (int64_t)count);
        if (duplicate != -2) return js_number(env, (double)duplicate);
        memset(t.table, 0, slots * sizeof(int32_t));
    }
    return js_number(env, (double)fill_id_table(&t, (int64_t)first, (int64_t)count));
}

/**
 * The first of the query ids [from, to) that the table holds at a block index
 * below `below`, or -1: a sync's check of a run's ids against the chain. An
 * id the table holds at `below` or later counts as not held (the run replaces
 * those blocks).
 */
static int64_t find_ids(const id_table_t *t, const uint8_t *query, int64_t from, int64_t to, int64_t below) {
    probe_ahead_t ahead;
    probe_start(&ahead, t, query, from, to, 0);
    for (int64_t i = from; i < to; i++) {
        const uint32_t hash = probe_step(&ahead, t, query, i, to, 0);
        const uint8_t tag = id_tag(hash);
        const uint8_t *id = query + i * ID_BYTES;
        for (uint32_t slot = hash & t->mask;; slot = (slot + 1) & t->mask) {
            const int32_t entry = t->table[slot];
            if (entry == 0) break;
            if (entry > 0 && holds(t, slot, entry, tag, id)) {
                if (entry - 1 < below) return i;
                break;
            }
        }
    }
    return -1;
}

/**
 * Places ids first..first+count-1 of `ids` (ids the table does not hold) in
 * free slots (empty or removed), slot = index + 1.
 */
static void place_ids(const id_table_t *t, int64_t first, int64_t count) {
    probe_ahead_t ahead;
    const uint8_t *run = t->ids + first * ID_BYTES;
    probe_start(&ahead, t, run, 0, count, 1);
    for (int64_t i = 0; i < count; i++) {
        const uint32_t hash = probe_step(&ahead, t, run, i, count, 1);
        uint32_t slot = hash & t->mask;
        while (t->table[slot] > 0) slot = (slot + 1) & t->mask;
        t->table[slot] = (int32_t)(first + i + 1);
        t->tags[slot] = id_tag(hash);
    }
}

static napi_value find_ids_js(napi_env env, napi_callback_info info) {
    JS_ARGS(8);
    id_table_t t;
    uint8_t *query;
    size_t query_len;
    double from, to, below;
    if (argc < 8 || !id_table_of(env, argv, 0, 1, 7, 2, &t) || !js_bytes_of(env, argv[3], &query, &query_len) ||
        !js_whole_of(env, argv[5], (double)(query_len / ID_BYTES), &to) || !js_whole_of(env, argv[4], to, &from) ||
        !js_whole_of(env, argv[6], 2147483647.0, &below))
        return js_type_error(env, "findIds(ids: Uint8Array, table: Int32Array, seed: uint32, query: Uint8Array, from, to, below, tags: Uint8Array)");
    return js_number(env, (double)find_ids(&t, query, (int64_t)from, (int64_t)to, (int64_t)below));
}

static napi_value place_ids_js(napi_env env, napi_callback_info info) {
    JS_ARGS(6);
    id_table_t t;
    double first, count;
    if (argc < 6 || !id_table_of(env, argv, 0, 4, 5, 3, &t) ||
        !js_whole_of(env, argv[1], (double)(t.ids_len / ID_BYTES), &first) ||
        !js_whole_of(env, argv[2], (double)(t.ids_len / ID_BYTES) - first, &count))
        return js_type_error(env, "placeIds(ids: Uint8Array, first, count, seed: uint32, table: Int32Array, tags: Uint8Array)");
    /* Room to spare (at most two thirds full, as IdIndex keeps it), so that a free slot is always found. */
    if ((first + count) * 3 > (double)(t.mask + 1.0) * 2 || first + count > 2147483646.0)
        return js_type_error(env, "placeIds: the table must be at least 1.5 times the ids it will hold");
    place_ids(&t, (int64_t)first, (int64_t)count);
    return NULL;
}

napi_status chain_index_register(napi_env env, napi_value exports) {
    static const js_export_fn fns[] = {
        {"indexRecords", index_records_js},
        {"indexRecordsInto", index_into_js},
        {"wholeFramesEnd", whole_frames_end_js},
        {"fillIdTable", fill_id_table_js},
        {"findIds", find_ids_js},
        {"placeIds", place_ids_js},
    };
    return js_export_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
