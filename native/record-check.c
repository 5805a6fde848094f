#include "record-check.h"

#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "sha256.h"

/** 2^53 - 1: every number of a block is a safe integer in JavaScript. */
#define SAFE_MAX 9007199254740991ULL
/** The binary format's bound on a payload (binary-codec.ts MAX_PAYLOAD). */
#define MAX_PAYLOAD (64u * 1024u * 1024u)
#define FRAME_HEAD 8
#define FRAME_TAIL 4

/* ------------------------------------------------------------------------ */
/* SHA-256 of a whole message, one function per engine.                      */

typedef void (*hash_fn)(const uint8_t *data, size_t len, uint8_t out[32]);
/** Two independent messages at once (the SHA-NI engine interleaves their compressions). */
typedef void (*hash2_fn)(const uint8_t *a, size_t a_len, uint8_t a_out[32], const uint8_t *b,
                         size_t b_len, uint8_t b_out[32]);

/** A message as whole 64-byte blocks: its own, then its padded tail (one or two blocks). */
typedef struct {
    const uint8_t *data;
    size_t whole;
    size_t blocks;
    uint8_t tail[128];
} padded_t;

static void pad(padded_t *m, const uint8_t *data, size_t len) {
    m->data = data;
    m->whole = len / 64;
    const size_t rest = len - m->whole * 64;
    memcpy(m->tail, data + m->whole * 64, rest);
    m->tail[rest] = 0x80;
    const size_t tail_blocks = (rest + 9 + 63) / 64;
    memset(m->tail + rest + 1, 0, tail_blocks * 64 - rest - 1);
    const uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) m->tail[tail_blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    m->blocks = m->whole + tail_blocks;
}

static inline const uint8_t *block_of(const padded_t *m, size_t k) {
    return k < m->whole ? m->data + 64 * k : m->tail + 64 * (k - m->whole);
}

static void digest_of(const uint32_t state[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

static void sha256_portable(const uint8_t *data, size_t len, uint8_t out[32]) {
    padded_t m;
    pad(&m, data, len);
    uint32_t state[8];
    memcpy(state, SHA256_INITIAL_STATE, sizeof state);
    if (m.whole > 0) sha256_compress_portable(state, data, m.whole);
    sha256_compress_portable(state, m.tail, m.blocks - m.whole);
    digest_of(state, out);
}

static void sha256_pair_portable(const uint8_t *a, size_t a_len, uint8_t a_out[32],
                                 const uint8_t *b, size_t b_len, uint8_t b_out[32]) {
    sha256_portable(a, a_len, a_out);
    sha256_portable(b, b_len, b_out);
}

#if SHA256_HAVE_SHA_NI
SHA_NI static void sha256_sha_ni(const uint8_t *data, size_t len, uint8_t out[32]) {
    padded_t m;
    pad(&m, data, len);
    uint32_t state[8];
    memcpy(state, SHA256_INITIAL_STATE, sizeof state);
    if (m.whole > 0) sha256_compress_sha_ni(state, data, m.whole);
    sha256_compress_sha_ni(state, m.tail, m.blocks - m.whole);
    digest_of(state, out);
}

/* Each sha256rnds2 waits for the one before it: a second message fills the gaps. */
SHA_NI static void sha256_pair_sha_ni(const uint8_t *a, size_t a_len, uint8_t a_out[32],
                                      const uint8_t *b, size_t b_len, uint8_t b_out[32]) {
    padded_t ma, mb;
    pad(&ma, a, a_len);
    pad(&mb, b, b_len);
    uint32_t sa[8], sb[8];
    memcpy(sa, SHA256_INITIAL_STATE, sizeof sa);
    memcpy(sb, SHA256_INITIAL_STATE, sizeof sb);
    const size_t common = ma.blocks < mb.blocks ? ma.blocks : mb.blocks;
    for (size_t k = 0; k < common; k++)
        sha256_compress2_sha_ni(sa, block_of(&ma, k), sb, block_of(&mb, k));
    for (size_t k = common; k < ma.blocks; k++) sha256_compress_sha_ni(sa, block_of(&ma, k), 1);
    for (size_t k = common; k < mb.blocks; k++) sha256_compress_sha_ni(sb, block_of(&mb, k), 1);
    digest_of(sa, a_out);
    digest_of(sb, b_out);
}
#endif

/** How many zeros a digest, written in hex, ends in. */
static int trailing_zero_digits(const uint8_t digest[32]) {
    int zeros = 0;
    for (int i = 31; i >= 0; i--) {
        if (digest[i] == 0) {
            zeros += 2;
            continue;
        }
        return zeros + ((digest[i] & 0x0f) == 0 ? 1 : 0);
    }
    return zeros;
}

/* ------------------------------------------------------------------------ */
/* CRC-32 (zlib's), eight bytes a step.                                       */

static uint32_t crc_table[8][256];

__attribute__((constructor)) static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int t = 1; t < 8; t++)
            crc_table[t][n] = crc_table[0][crc_table[t - 1][n] & 0xff] ^ (crc_table[t - 1][n] >> 8);
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
            crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
            crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ------------------------------------------------------------------------ */
/* Pieces of text.                                                           */

static const int8_t HEX_VALUE[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};
static const char HEX_DIGITS[] = "0123456789abcdef";

/**
 * `n` raw bytes from 2n lowercase hex digits; 0 when one is not a lowercase
 * hex digit (the bytes written then mean nothing). Unsigned arithmetic: a
 * non-digit's value 0 - 1 must wrap, not be shifted as a negative int.
 */
static int hex_bytes(const uint8_t *text, size_t n, uint8_t *out) {
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        const unsigned hi = (unsigned)HEX_VALUE[text[2 * i]];
        const unsigned lo = (unsigned)HEX_VALUE[text[2 * i + 1]];
        ok &= (hi != 0) & (lo != 0);
        out[i] = (uint8_t)((((hi - 1u) & 0x0fu) << 4) | ((lo - 1u) & 0x0fu));
    }
    return ok;
}

static uint8_t *write_hex(uint8_t *out, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        *out++ = (uint8_t)HEX_DIGITS[bytes[i] >> 4];
        *out++ = (uint8_t)HEX_DIGITS[bytes[i] & 0x0f];
    }
    return out;
}

/** A number as JSON.stringify writes a safe non-negative integer; 0 when the text is not one. */
static int parse_decimal(const uint8_t **at, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *at;
    if (p >= end || *p < '0' || *p > '9') return 0;
    if (*p == '0') {
        if (p + 1 < end && p[1] >= '0' && p[1] <= '9') return 0;
        *out = 0;
        *at = p + 1;
        return 1;
    }
    uint64_t value = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (++digits > 16) return 0;
        value = value * 10 + (uint64_t)(*p++ - '0');
    }
    if (value > SAFE_MAX) return 0;
    *out = value;
    *at = p;
    return 1;
}

/** Skips `literal` at *at; 0 when the text differs. */
static inline int expect(const uint8_t **at, const uint8_t *end, const char *literal, size_t n) {
    if ((size_t)(end - *at) < n || memcmp(*at, literal, n) != 0) return 0;
    *at += n;
    return 1;
}
#define EXPECT(at, end, literal) expect(at, end, literal, sizeof(literal) - 1)

/**
 * The length of the UTF-8 sequence at `p` (before `end`) when it is one a
 * strict decoder accepts (no overlong forms, no surrogates, at most
 * U+10FFFF), else 0.
 */
static inline int utf8_sequence(const uint8_t *p, const uint8_t *end) {
    const uint8_t c = p[0];
    const size_t left = (size_t)(end - p);
#define CONT(i) (left > (i) && (p[i] & 0xc0) == 0x80)
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return CONT(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (left < 3 || !CONT(1) || !CONT(2)) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0;
        if (c == 0xed && p[1] > 0x9f) return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (left < 4 || !CONT(1) || !CONT(2) || !CONT(3)) return 0;
        if (c == 0xf0 && p[1] < 0x90) return 0;
        if (c == 0xf4 && p[1] > 0x8f) return 0;
        return 4;
    }
    return 0;
#undef CONT
}

/** Whether [p, end) is strict UTF-8 (as TextDecoder with fatal: true reads it). */
static int valid_utf8(const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        const int n = utf8_sequence(p, end);
        if (n == 0) return 0;
        p += n;
    }
    return 1;
}

/** The value of 4 lowercase hex digits, or -1. */
static inline int32_t hex4(const uint8_t *p) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        const int d = HEX_VALUE[p[i]];
        if (d == 0) return -1;
        v = (v << 4) | (d - 1);
    }
    return v;
}

/** What JSON.stringify writes for a byte below 0x20 other than \b \t \n \f \r (as \u00XX). */
static inline char short_escape(uint8_t c) {
    switch (c) {
        case 0x08: return 'b';
        case 0x09: return 't';
        case 0x0a: return 'n';
        case 0x0c: return 'f';
        case 0x0d: return 'r';
        case '"': return '"';
        case '\\': return '\\';
        default: return 0;
    }
}

/**
 * A JSON string body exactly as JSON.stringify writes it, from *at up to its
 * closing quote (skipped). *utf8_bytes: the message's length in UTF-8 as
 * Buffer.byteLength counts it (a lone surrogate counts 3). 0 when it is not
 * the canonical form of a string.
 */
static int parse_message(const uint8_t **at, const uint8_t *end, uint64_t *utf8_bytes) {
    const uint8_t *p = *at;
    uint64_t bytes = 0;
    int after_high = 0; /* the item before was an escaped high surrogate */
    while (p < end) {
        const uint8_t c = *p;
        if (c == '"') {
            *at = p + 1;
            *utf8_bytes = bytes;
            return 1;
        }
        if (c == '\\') {
            if (end - p < 2) return 0;
            const uint8_t e = p[1];
            if (e == 'u') {
                if (end - p < 6) return 0;
                const int32_t v = hex4(p + 2);
                if (v < 0) return 0;
                if (v >= 0xdc00 && v <= 0xdfff) {
                    if (after_high) return 0; /* a pair: written as the character itself */
                    bytes += 3;
                    after_high = 0;
                } else if (v >= 0xd800 && v <= 0xdbff) {
                    bytes += 3;
                    after_high = 1;
                } else if (v < 0x20 && short_escape((uint8_t)v) == 0) {
                    bytes += 1;
                    after_high = 0;
                } else {
                    return 0;
                }
                p += 6;
                continue;
            }
            if (e != 'b' && e != 't' && e != 'n' && e != 'f' && e != 'r' && e != '"' && e != '\\')
                return 0;
            bytes += 1;
            after_high = 0;
            p += 2;
            continue;
        }
        after_high = 0;
        if (c < 0x20) return 0;
        if (c < 0x80) {
            bytes++;
            p++;
            continue;
        }
        const int n = utf8_sequence(p, end);
        if (n == 0) return 0;
        bytes += (uint64_t)n;
        p += n;
    }
    return 0;
}

/** Writes `message` (strict UTF-8, no lone surrogates) as JSON.stringify does, quotes excluded. */
static uint8_t *write_json_string(uint8_t *out, const uint8_t *message, size_t len) {
    for (size_t i = 0; i < len; i++) {
        const uint8_t c = message[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = c;
            continue;
        }
        *out++ = '\\';
        const char e = short_escape(c);
        if (e) {
            *out++ = (uint8_t)e;
        } else {
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = (uint8_t)HEX_DIGITS[c >> 4];
            *out++ = (uint8_t)HEX_DIGITS[c & 0x0f];
        }
    }
    return out;
}

/* ------------------------------------------------------------------------ */
/* One record's fields, and the checks that link it to its parent.          */

typedef struct {
    uint64_t index, timestamp, proof;
    uint8_t id[16];
    uint8_t previous[32];
    uint8_t hash[32];
    const uint8_t *text; /* the block's canonical encoding (what its hash is taken of) */
    size_t text_len;
    size_t end; /* where the record ends */
} record_t;

/** A JSON Lines record in canonical form at `pos` (its text is the line); 0 when it is not one. */
static int read_json(const rc_run *run, const uint8_t *bytes, size_t len, size_t pos, record_t *r) {
    const uint8_t *p = bytes + pos;
    const uint8_t *end = bytes + len;
    if (!EXPECT(&p, end, "{\"index\":") || !parse_decimal(&p, end, &r->index)) return 0;
    if (!EXPECT(&p, end, ",\"timestamp\":") || !parse_decimal(&p, end, &r->timestamp)) return 0;
    if (!EXPECT(&p, end, ",\"data\":{\"id\":\"") || end - p < 32 || !hex_bytes(p, 16, r->id))
        return 0;
    p += 32;
    uint64_t message_bytes = 0;
    const uint8_t *message = p + sizeof("\",\"message\":\"") - 1;
    if (!EXPECT(&p, end, "\",\"message\":\"") || !parse_message(&p, end, &message_bytes)) return 0;
    if (p - message == 1 || message_bytes > run->max_message_bytes) return 0;
    if (!EXPECT(&p, end, "},\"previous_hash\":\"") || end - p < 64 ||
        !hex_bytes(p, 32, r->previous))
        return 0;
    p += 64;
    if (!EXPECT(&p, end, "\",\"proof\":") || !parse_decimal(&p, end, &r->proof)) return 0;
    if (!EXPECT(&p, end, "}\n")) return 0;
    r->text = bytes + pos;
    r->text_len = (size_t)(p - 1 - (bytes + pos));
    r->end = (size_t)(p - bytes);
    return 1;
}

/** A minimal varint (as the binary codec writes it) of at most 8 bytes and a safe value; 0 if not. */
static int read_varint(const uint8_t **at, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *at;
    uint64_t value = 0;
    for (int i = 0; i < 8 && p < end; i++) {
        const uint8_t byte = *p++;
        value |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            if (i > 0 && byte == 0) return 0; /* a longer form than the codec writes */
            if (value > SAFE_MAX) return 0;
            *out = value;
            *at = p;
            return 1;
        }
    }
    return 0;
}

/** Room for the canonical JSON of a block whose message has `len` bytes. */
static size_t canonical_capacity(size_t len) { return 256 + 6 * len; }

/**
 * A binary record at `pos` exactly as the codec writes it (UTF-8 message:
 * flags 0), its canonical JSON built in `*scratch`; 0 when it is not one. -1
 * on out of memory.
 */
static int read_binary(const rc_run *run, const uint8_t *bytes, size_t len, size_t pos,
                       record_t *r, uint8_t **scratch, size_t *scratch_size) {
    if (len - pos < FRAME_HEAD) return 0;
    const uint32_t length = le32(bytes + pos);
    if ((length ^ le32(bytes + pos + 4)) != 0xffffffffu || length > MAX_PAYLOAD) return 0;
    const size_t crc_at = pos + FRAME_HEAD + length;
    if (crc_at + FRAME_TAIL > len) return 0;
    if (crc32_of(bytes + pos, crc_at - pos) != le32(bytes + crc_at)) return 0;
    const uint8_t *p = bytes + pos + FRAME_HEAD;
    const uint8_t *end = bytes + crc_at;
    if (p >= end || *p++ != 0) return 0;
    if (!read_varint(&p, end, &r->index) || !read_varint(&p, end, &r->timestamp)) return 0;
    if (end - p < 16 + 32) return 0;
    memcpy(r->id, p, 16);
    memcpy(r->previous, p + 16, 32);
    p += 48;
    if (!read_varint(&p, end, &r->proof)) return 0;
    const size_t message_len = (size_t)(end - p);
    if (message_len == 0 || message_len > run->max_message_bytes || !valid_utf8(p, end)) return 0;

    if (canonical_capacity(message_len) > *scratch_size) {
        const size_t size = canonical_capacity(message_len);
        uint8_t *bigger = realloc(*scratch, size);
        if (!bigger) return -1;
        *scratch = bigger;
        *scratch_size = size;
    }
    uint8_t *out = *scratch;
#define PUT(literal)                                                                               \
    do {                                                                                           \
        memcpy(out, literal, sizeof(literal) - 1);                                                 \
        out += sizeof(literal) - 1;                                                                \
    } while (0)
    PUT("{\"index\":");
    out = write_decimal(out, r->index);
    PUT(",\"timestamp\":");
    out = write_decimal(out, r->timestamp);
    PUT(",\"data\":{\"id\":\"");
    out = write_hex(out, r->id, 16);
    PUT("\",\"message\":\"");
    out = write_json_string(out, p, message_len);
    PUT("\"},\"previous_hash\":\"");
    out = write_hex(out, r->previous, 32);
    PUT("\",\"proof\":");
    out = write_decimal(out, r->proof);
    PUT("}");
#undef PUT
    r->text = *scratch;
    r->text_len = (size_t)(out - *scratch);
    r->end = crc_at + FRAME_TAIL;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* This node's own binary records as JSON Lines (a page served to a peer).  */

int rc_json_lines(const uint8_t *bytes, size_t len, rc_lines *lines) {
    uint8_t *const out = lines->out;
    for (;;) {
        const size_t pos = lines->pos;
        if (pos == len) return RC_LINES_END;
        if (lines->count >= lines->starts_capacity || len - pos < FRAME_HEAD) return RC_LINES_LEFT;
        /* Framed by the length field alone: the node's own file, its CRCs checked when it was written. */
        const size_t end = pos + FRAME_HEAD + (size_t)le32(bytes + pos) + FRAME_TAIL;
        if (end > len) return RC_LINES_LEFT;
        const uint8_t *p = bytes + pos + FRAME_HEAD;
        const uint8_t *const stop = bytes + end - FRAME_TAIL;
        uint64_t index, timestamp, proof;
        /* Flags 0 only (a UTF-8 message, a parent hash and a proof): the others are left. */
        if (p >= stop || *p++ != 0) return RC_LINES_LEFT;
        if (!read_varint(&p, stop, &index) || !read_varint(&p, stop, &timestamp)) return RC_LINES_LEFT;
        if (stop - p < 16 + 32) return RC_LINES_LEFT;
        const uint8_t *const id = p;
        const uint8_t *const previous = p + 16;
        p += 48;
        if (!read_varint(&p, stop, &proof)) return RC_LINES_LEFT;
        const size_t message_len = (size_t)(stop - p);
        if (message_len == 0 || !valid_utf8(p, stop)) return RC_LINES_LEFT;
        if (lines->capacity - lines->at < canonical_capacity(message_len) + 1) return RC_LINES_LEFT;
        uint8_t *o = out + lines->at;
#define PUT(literal)                                                                               \
    do {                                                                                           \
        memcpy(o, literal, sizeof(literal) - 1);                                                   \
        o += sizeof(literal) - 1;                                                                  \
    } while (0)
        PUT("{\"index\":");
        o = write_decimal(o, index);
        PUT(",\"timestamp\":");
        o = write_decimal(o, timestamp);
        PUT(",\"data\":{\"id\":\"");
        o = write_hex(o, id, 16);
        PUT("\",\"message\":\"");
        o = write_json_string(o, p, message_len);
        PUT("\"},\"previous_hash\":\"");
        o = write_hex(o, previous, 32);
        PUT("\",\"proof\":");
        o = write_decimal(o, proof);
        PUT("}\n");
#undef PUT
        const size_t at = (size_t)(o - out);
        /* The first line always; a later one only while the lines stay within max_bytes. */
        if (lines->count > 0 && at > lines->max_bytes) return RC_LINES_FULL;
        lines->starts[lines->count++] = (double)lines->at;
        lines->at = at;
        lines->pos = end;
    }
}

/** The original rule's candidate for `proof` after `parent_proof` (null when `parent_null`). */
static size_t candidate_of(uint8_t out[48], int parent_null, uint64_t parent_proof, uint64_t proof) {
    uint8_t *p = out;
    if (parent_null) {
        memcpy(p, "null", 4);
        p += 4;
    } else {
        p = write_decimal(p, parent_proof);
    }
    p = write_decimal(p, proof);
    return (size_t)(p - out);
}

/**
 * Accepts `r` (starting at `pos`, its hash taken, its proof digest ending in
 * `zeros` zeros) when it follows the run's parent: written out, and the
 * parent from now on. 0 when it breaks a rule.
 */
static int accept(rc_run *run, const record_t *r, size_t pos, int zeros) {
    if (r->index != run->parent_index + 1) return 0;
    if (memcmp(r->previous, run->parent_hash, 32) != 0) return 0;
    if (zeros < run->difficulty) return 0;
    if (r->timestamp <= run->parent_timestamp) return 0;
    if ((double)r->timestamp > run->latest_timestamp) return 0;
    memcpy(run->ids + 16 * run->at, r->id, 16);
    run->starts[run->at] = (double)pos;
    memcpy(run->hashes + 32 * run->at, r->hash, 32);
    run->at++;
    if (zeros < run->least_zeros) run->least_zeros = zeros;
    run->parent_index = r->index;
    run->parent_timestamp = r->timestamp;
    run->parent_proof_null = 0;
    run->parent_proof = r->proof;
    memcpy(run->parent_hash, r->hash, 32);
    return 1;
}

/* ------------------------------------------------------------------------ */

int64_t rc_check(scan_engine engine, rc_run *run, const uint8_t *bytes, size_t len, size_t pos,
                 size_t *next) {
    hash_fn hash = sha256_portable;
    hash2_fn hash2 = sha256_pair_portable;
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) {
        hash = sha256_sha_ni;
        hash2 = sha256_pair_sha_ni;
    }
#else
    (void)engine;
#endif
    uint8_t *scratch[2] = {NULL, NULL};
    size_t scratch_size[2] = {0, 0};
    int64_t accepted = -1; /* out of memory until the loop ends */
    const int64_t before = (int64_t)run->at;
    record_t a, b;
#define READ(r, at, slot)                                                                          \
    (run->json ? read_json(run, bytes, len, at, r)                                                 \
               : read_binary(run, bytes, len, at, r, &scratch[slot], &scratch_size[slot]))
    /*
     * Records two at a time where both read well: their hashes (and their
     * proof candidates) go through the engine together, then each is checked
     * against its parent in order.
     */
    while (pos < len && run->at < run->capacity) {
        const int read_a = READ(&a, pos, 0);
        if (read_a < 0) goto out;
        if (read_a == 0) break;
        int paired = 0;
        if (run->at + 1 < run->capacity && a.end < len) {
            const int read_b = READ(&b, a.end, 1);
            if (read_b < 0) goto out;
            paired = read_b == 1;
        }
        uint8_t digest_a[32], digest_b[32];
        uint8_t candidate_a[48], candidate_b[48];
        const size_t a_len = run->content_rule
                                 ? 0
                                 : candidate_of(candidate_a, run->parent_proof_null,
                                                run->parent_proof, a.proof);
        if (!paired) {
            hash(a.text, a.text_len, a.hash);
            if (!run->content_rule) hash(candidate_a, a_len, digest_a);
        } else {
            hash2(a.text, a.text_len, a.hash, b.text, b.text_len, b.hash);
            if (!run->content_rule) {
                const size_t b_len = candidate_of(candidate_b, 0, a.proof, b.proof);
                hash2(candidate_a, a_len, digest_a, candidate_b, b_len, digest_b);
            }
        }
        const int zeros_a = trailing_zero_digits(run->content_rule ? a.hash : digest_a);
        if (!accept(run, &a, pos, zeros_a)) break;
        pos = a.end;
        if (!paired) continue;
        const int zeros_b = trailing_zero_digits(run->content_rule ? b.hash : digest_b);
        if (!accept(run, &b, pos, zeros_b)) break;
        pos = b.end;
    }
#undef READ
    accepted = (int64_t)run->at - before;
    *next = pos;
out:
    free(scratch[0]);
    free(scratch[1]);
    return accepted;
}
