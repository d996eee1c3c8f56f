/*
 * CRC32C (Castagnoli) by carry-less-multiply folding: the checksum of every Kafka record batch.
 *
 * Same values as the `crc32c` library's crc32c(data, value): reflected polynomial 0x82F63B78, initial
 * state ~value, final xor ~0, so a running `value` continues a checksum over split buffers.
 *
 * Why by hand: the libraries run the SSE4.2 `crc32` instruction, 8 bytes a cycle at best (three streams).
 * Folding multiplies 128-bit blocks by x^k mod P instead, and AVX-512 VPCLMULQDQ does four such blocks per
 * instruction: about 2x the library on Zen 4 (docs/PERFORMANCE.md, bench/crc32c_bench.py). The kernels:
 *   avx512_vpclmulqdq  AVX-512F/VL/BW + VPCLMULQDQ: 4 zmm accumulators (256 bytes a round), >= 256 bytes
 *   pclmulqdq          128-bit PCLMULQDQ: 4 xmm accumulators (64 bytes a round), 64..255 bytes
 *   sse4_2             the crc32 instruction, below 64 bytes and for every kernel's last < 16 bytes
 * Each kernel is compiled with a target attribute (no global -march), so the module loads on any x86-64.
 * `accelerated` is true only where the zmm kernel runs: the 128-bit kernel alone is slower than the
 * `crc32c` library's three interleaved crc32 streams (see detect_kernels), so without AVX-512 VPCLMULQDQ
 * (or not on x86-64) strom.checksum uses the library instead.
 *
 * The math (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", reflected form):
 * a message bit stream m_0 m_1 ... (bit 0 of byte 0 first) is the polynomial with m_0 as its highest
 * coefficient, and CRC(M) = M * x^32 mod P. A 128-bit block A = H * x^64 + L, where H is its low qword
 * (first in memory). Moving A forward by F bits onto a later block B keeps the remainder:
 *     A * x^F + B  ==  H * (x^(F+64) mod P) + L * (x^F mod P) + B      (mod P),
 * and each product of a 64-bit qword by a 32-bit constant fits in 128 bits. With both operands bit-
 * reflected, PCLMULQDQ's 127-bit product lands one bit off (it comes out multiplied by x), so the
 * constants are x^(F+63) mod P and x^(F-1) mod P. They are computed at module init from the polynomial
 * (fold_constants below), not typed in. The last 128-bit block is reduced with the crc32 instruction
 * from state 0: the initial state was xored into the first 4 bytes, where it contributes
 * state * x^(8 * length), exactly as a running CRC does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STROM_CRC_X86 1
#include <immintrin.h>
#endif

/* Above this size the GIL is released, so another thread (a log writer) can run meanwhile. */
#define GIL_RELEASE_BYTES (64 * 1024)

#define POLY_NORMAL 0x11EDC6F41ULL /* P(x) with its x^32 term, bit d = coefficient of x^d */

typedef uint32_t (*crc_kernel)(uint32_t state, const uint8_t *p, size_t n);

/* ---- constants, from the polynomial ---------------------------------------------------------- */

/* x^n mod P, bit d = coefficient of x^d. */
static uint32_t xpow_mod(unsigned n) {
    uint64_t r = 1;
    while (n--) {
        r <<= 1;
        if (r >> 32) r ^= POLY_NORMAL;
    }
    return (uint32_t)r;
}

/* x^n mod P as a bit-reflected 64-bit qword operand (coefficient of x^d at bit 63 - d). */
static uint64_t reflected_qword(unsigned n) {
    uint32_t k = xpow_mod(n), r = 0;
    for (int d = 0; d < 32; d++)
        if (k & (1u << d)) r |= 1u << (31 - d);
    return (uint64_t)r << 32;
}

/* The pair that folds a 128-bit block forward by `bits`: [0] for its low qword, [1] for its high. */
static void fold_constants(unsigned bits, uint64_t out[2]) {
    out[0] = reflected_qword(bits + 63);
    out[1] = reflected_qword(bits - 1);
}

static uint64_t K128[2], K512[2], K1024[2], K1536[2], K2048[2], K384[2], K256[2];

static void init_constants(void) {
    fold_constants(128, K128);
    fold_constants(256, K256);
    fold_constants(384, K384);
    fold_constants(512, K512);
    fold_constants(1024, K1024);
    fold_constants(1536, K1536);
    fold_constants(2048, K2048);
}

#ifdef STROM_CRC_X86

/* ---- sse4_2: the crc32 instruction ---------------------------------------------------------- */

#define INLINE static inline __attribute__((always_inline))

/* Always inlined, so a VEX-encoded kernel never calls into legacy-SSE code (a transition costs half the speed). */
__attribute__((target("sse4.2"))) INLINE uint32_t crc32_bytes(uint32_t s, const uint8_t *p, size_t n) {
    uint64_t s64 = s;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        s64 = _mm_crc32_u64(s64, v);
        p += 8;
        n -= 8;
    }
    s = (uint32_t)s64;
    while (n--) s = _mm_crc32_u8(s, *p++);
    return s;
}

/* ---- pclmulqdq: 128-bit folding ------------------------------------------------------------- */

#define XMM_TARGET __attribute__((target("sse4.2,pclmul")))

XMM_TARGET INLINE __m128i xmm_const(const uint64_t k[2]) {
    return _mm_set_epi64x((long long)k[1], (long long)k[0]);
}

XMM_TARGET INLINE __m128i fold_xmm(__m128i a, __m128i k, __m128i next) {
    __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

XMM_TARGET INLINE __m128i load_xmm(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)p);
}

/* The CRC state after the final 128-bit remainder `x` (state 0: the real state is already folded in). */
XMM_TARGET INLINE uint32_t reduce_xmm(__m128i x) {
    uint64_t s = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    return (uint32_t)_mm_crc32_u64(s, (uint64_t)_mm_extract_epi64(x, 1));
}

/* Folds the 16-byte blocks of [p, p + n) onto x, then finishes the tail with crc32. */
XMM_TARGET INLINE uint32_t finish_xmm(__m128i x, const uint8_t *p, size_t n) {
    const __m128i k128 = xmm_const(K128);
    while (n >= 16) {
        x = fold_xmm(x, k128, load_xmm(p));
        p += 16;
        n -= 16;
    }
    return crc32_bytes(reduce_xmm(x), p, n);
}

XMM_TARGET INLINE uint32_t pclmul_fold(uint32_t s, const uint8_t *p, size_t n) {
    if (n < 64) return crc32_bytes(s, p, n);
    __m128i x0 = _mm_xor_si128(load_xmm(p), _mm_cvtsi32_si128((int)s));
    __m128i x1 = load_xmm(p + 16), x2 = load_xmm(p + 32), x3 = load_xmm(p + 48);
    p += 64;
    n -= 64;
    const __m128i k512 = xmm_const(K512);
    while (n >= 64) {
        x0 = fold_xmm(x0, k512, load_xmm(p));
        x1 = fold_xmm(x1, k512, load_xmm(p + 16));
        x2 = fold_xmm(x2, k512, load_xmm(p + 32));
        x3 = fold_xmm(x3, k512, load_xmm(p + 48));
        p += 64;
        n -= 64;
    }
    const __m128i k128 = xmm_const(K128);
    __m128i x = fold_xmm(x0, k128, x1);
    x = fold_xmm(x, k128, x2);
    x = fold_xmm(x, k128, x3);
    return finish_xmm(x, p, n);
}

__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t s, const uint8_t *p, size_t n) {
    return crc32_bytes(s, p, n);
}

XMM_TARGET static uint32_t crc_pclmul(uint32_t s, const uint8_t *p, size_t n) {
    return pclmul_fold(s, p, n);
}

/* ---- avx512_vpclmulqdq: four 128-bit lanes per zmm ------------------------------------------ */

#define ZMM_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,vpclmulqdq,pclmul,sse4.2")))

ZMM_TARGET INLINE __m512i zmm_const(const uint64_t k[2]) {
    return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k[1], (long long)k[0]));
}

ZMM_TARGET INLINE __m512i fold_zmm(__m512i a, __m512i k, __m512i next) {
    __m512i lo = _mm512_clmulepi64_epi128(a, k, 0x00);
    __m512i hi = _mm512_clmulepi64_epi128(a, k, 0x11);
    return _mm512_ternarylogic_epi64(lo, hi, next, 0x96); /* lo ^ hi ^ next */
}

ZMM_TARGET INLINE __m512i load_zmm(const uint8_t *p) {
    return _mm512_loadu_si512((const void *)p);
}

ZMM_TARGET static uint32_t crc_avx512(uint32_t s, const uint8_t *p, size_t n) {
    if (n < 256) return pclmul_fold(s, p, n);
    __m512i z0 = _mm512_xor_si512(load_zmm(p), _mm512_castsi128_si512(_mm_cvtsi32_si128((int)s)));
    __m512i z1 = load_zmm(p + 64), z2 = load_zmm(p + 128), z3 = load_zmm(p + 192);
    p += 256;
    n -= 256;
    const __m512i k2048 = zmm_const(K2048);
    while (n >= 256) {
        z0 = fold_zmm(z0, k2048, load_zmm(p));
        z1 = fold_zmm(z1, k2048, load_zmm(p + 64));
        z2 = fold_zmm(z2, k2048, load_zmm(p + 128));
        z3 = fold_zmm(z3, k2048, load_zmm(p + 192));
        p += 256;
        n -= 256;
    }
    /* Four accumulators 64 bytes apart into one: z0, z1, z2 move forward 192, 128, 64 bytes onto z3. */
    __m512i z = fold_zmm(z0, zmm_const(K1536), z3);
    z = fold_zmm(z1, zmm_const(K1024), z);
    z = fold_zmm(z2, zmm_const(K512), z);
    const __m512i k512 = zmm_const(K512);
    while (n >= 64) {
        z = fold_zmm(z, k512, load_zmm(p));
        p += 64;
        n -= 64;
    }
    /* Its four lanes (16 bytes apart) into one xmm: lanes 0..2 move forward 48, 32, 16 bytes onto lane 3. */
    const __m512i k_lanes = _mm512_set_epi64(0, 0, (long long)K128[1], (long long)K128[0], (long long)K256[1],
                                             (long long)K256[0], (long long)K384[1], (long long)K384[0]);
    __m512i lane3 = _mm512_maskz_mov_epi64(0xC0, z);
    __m512i t = fold_zmm(z, k_lanes, lane3); /* lane 3's constant is 0, so its own product vanishes */
    __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
    __m128i x = _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    return finish_xmm(x, p, n);
}

#endif /* STROM_CRC_X86 */

/* ---- the kernels this CPU can run ----------------------------------------------------------- */

typedef struct {
    const char *name;
    crc_kernel fn;
} kernel_entry;

static kernel_entry kernels[3];
static int kernel_count = 0;
static crc_kernel best_kernel = NULL;
static const char *best_name = "none";

static void detect_kernels(void) {
#ifdef STROM_CRC_X86
    __builtin_cpu_init();
    int sse42 = __builtin_cpu_supports("sse4.2");
    int pclmul = sse42 && __builtin_cpu_supports("pclmul");
    int avx512 = pclmul && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("vpclmulqdq");
    if (sse42) kernels[kernel_count++] = (kernel_entry){"sse4_2", crc_sse42};
    if (pclmul) kernels[kernel_count++] = (kernel_entry){"pclmulqdq", crc_pclmul};
    if (avx512) kernels[kernel_count++] = (kernel_entry){"avx512_vpclmulqdq", crc_avx512};
    /* Only the zmm kernel beats the crc32c library (3 interleaved crc32 streams, ~8 bytes a cycle): measured
     * on Zen 4 at 1 MiB, library 28 GB/s, sse4_2 9.7, pclmulqdq 14.5, avx512_vpclmulqdq 56. Without it the
     * library is used; the smaller kernels serve the zmm kernel's short inputs and tails. */
    if (avx512) {
        best_kernel = crc_avx512;
        best_name = "avx512_vpclmulqdq";
    }
#endif
}

/* ---- Python binding ------------------------------------------------------------------------- */

static uint32_t run(crc_kernel fn, uint32_t value, const Py_buffer *view) {
    const uint8_t *p = (const uint8_t *)view->buf;
    size_t n = (size_t)view->len;
    uint32_t state = ~value;
    if (n >= GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS state = fn(state, p, n);
        Py_END_ALLOW_THREADS
    } else {
        state = fn(state, p, n);
    }
    return ~state;
}

/* `value` as the crc32c library takes it: any integer, reduced modulo 2**32. */
static int parse_value(PyObject *obj, uint32_t *out) {
    PyObject *index = PyNumber_Index(obj);
    if (index == NULL) return -1;
    unsigned long v = PyLong_AsUnsignedLongMask(index);
    Py_DECREF(index);
    if (v == (unsigned long)-1 && PyErr_Occurred()) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Parses (data, value=0[, extra]) from a vectorcall; `names` are the accepted parameter names. */
static int parse_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, const char *func,
                      const char *const *names, Py_ssize_t required, Py_ssize_t total, PyObject **out) {
    for (Py_ssize_t i = 0; i < total; i++) out[i] = NULL;
    if (nargs > total) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)", func, total, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) out[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t slot = -1;
        for (Py_ssize_t i = 0; i < total; i++)
            if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) slot = i;
        if (slot < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", func, key);
            return -1;
        }
        if (out[slot] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", func, names[slot]);
            return -1;
        }
        out[slot] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i < required; i++)
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", func, names[i]);
            return -1;
        }
    return 0;
}

static PyObject *checksum(crc_kernel fn, PyObject *data, PyObject *value_obj) {
    uint32_t value = 0;
    if (value_obj != NULL && parse_value(value_obj, &value) < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return NULL;
    uint32_t crc = run(fn, value, &view);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(crc);
}

static PyObject *py_crc32c(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    (void)module;
    static const char *const names[] = {"data", "value"};
    PyObject *a[2];
    if (parse_args(args, nargs, kwnames, "crc32c", names, 1, 2, a) < 0) return NULL;
    if (best_kernel == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "this CPU has no CRC32C folding kernel (see `accelerated`)");
        return NULL;
    }
    return checksum(best_kernel, a[0], a[1]);
}

static PyObject *py_crc32c_kernel(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                  PyObject *kwnames) {
    (void)module;
    static const char *const names[] = {"data", "value", "kernel"};
    PyObject *a[3];
    if (parse_args(args, nargs, kwnames, "crc32c_kernel", names, 3, 3, a) < 0) return NULL;
    if (!PyUnicode_Check(a[2])) {
        PyErr_SetString(PyExc_TypeError, "kernel must be a str");
        return NULL;
    }
    for (int i = 0; i < kernel_count; i++)
        if (PyUnicode_CompareWithASCIIString(a[2], kernels[i].name) == 0) return checksum(kernels[i].fn, a[0], a[1]);
    PyErr_Format(PyExc_ValueError, "kernel %R is not available on this CPU", a[2]);
    return NULL;
}

static PyMethodDef methods[] = {
    {"crc32c", (PyCFunction)(void (*)(void))py_crc32c, METH_FASTCALL | METH_KEYWORDS,
     "crc32c(data, value=0) -> int\n\nCRC32C of a bytes-like object, continuing from `value` (a previous "
     "result). Same values as the crc32c library; releases the GIL for buffers >= 64 KiB."},
    {"crc32c_kernel", (PyCFunction)(void (*)(void))py_crc32c_kernel, METH_FASTCALL | METH_KEYWORDS,
     "crc32c_kernel(data, value, kernel) -> int\n\nThe same CRC computed by one named kernel (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "strom._crc32c",
    "CRC32C by PCLMULQDQ / VPCLMULQDQ folding, picked at run time for this CPU.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__crc32c(void) {
    init_constants();
    detect_kernels();
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    PyObject *names = PyTuple_New(kernel_count);
    if (names == NULL) goto fail;
    for (int i = 0; i < kernel_count; i++) {
        PyObject *s = PyUnicode_FromString(kernels[i].name);
        if (s == NULL) {
            Py_DECREF(names);
            goto fail;
        }
        PyTuple_SET_ITEM(names, i, s);
    }
    if (PyModule_AddObject(m, "KERNELS", names) < 0) {
        Py_DECREF(names);
        goto fail;
    }
    if (PyModule_AddStringConstant(m, "implementation", best_name) < 0) goto fail;
    if (PyModule_AddObjectRef(m, "accelerated", best_kernel != NULL ? Py_True : Py_False) < 0) goto fail;
    if (PyModule_AddIntConstant(m, "GIL_RELEASE_BYTES", GIL_RELEASE_BYTES) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
