/* The compiled decoder's engine: runs one struct's field program over a buffer (see _fast_decode.pyx).

Why plain C and not Cython: a Produce request is ~110 structs and 100 record slices, and per partition the
decoder's own work must stay well below CPython's cost of the objects it builds. Written here, a field is one
switch case: read, convert, store the new reference into the fresh instance's slot (no temporaries to
release, no stored-before value to drop, no exception bookkeeping on the good path).

Contract (the generated Python decoder is the reference): the same classes and values, record sets as
memoryview slices of the input (writable when the input is), the same defaults for fields a version lacks,
unknown tagged fields kept as bytes; every read is bounds-checked before it touches memory and counts are
checked against the bytes left before anything is allocated. Every failure is a CorruptMessage. */

#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>
#include <stdarg.h>

#if defined(__GNUC__)
#define STROM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define STROM_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define STROM_UNLIKELY(x) (x)
#define STROM_LIKELY(x) (x)
#endif

enum {
    STROM_INT8 = 1, STROM_INT16 = 2, STROM_INT32 = 3, STROM_INT64 = 4, STROM_UINT16 = 5, STROM_FLOAT64 = 6,
    STROM_BOOL = 7, STROM_STRING = 8, STROM_BYTES = 9, STROM_UUID = 10, STROM_ARRAY = 11, STROM_STRUCT = 12
};

typedef struct StromProgram StromProgram;

/* One field: how to read it and which slot of the instance it fills. */
typedef struct {
    int kind;
    int elem;              /* element kind of an array */
    int nullable;
    Py_ssize_t offset;     /* slot offset in the instance */
    Py_ssize_t min_size;   /* smallest encoding of one array element (>= 1) */
    uint64_t tag;
    StromProgram *child;   /* struct / struct array: the child's program (its Decoder keeps it alive) */
    PyObject *dflt;        /* tagged fields: the value when absent (borrowed, kept alive by the Decoder) */
    int default_list;      /* tagged fields: the default is a new empty list */
} StromOp;

/* The decoding program of one struct class at one version. */
struct StromProgram {
    PyObject *cls;                /* the struct class (a type), borrowed: the Decoder holds it */
    StromOp *ops;                 /* regular fields in wire order, then tagged fields */
    Py_ssize_t n_regular;
    Py_ssize_t n_tagged;
    Py_ssize_t *absent_offsets;   /* fields this version does not carry */
    PyObject **absent_defaults;   /* NULL: a new empty list */
    Py_ssize_t n_absent;
    Py_ssize_t unknown_offset;    /* the unknown_tagged_fields slot */
};

/* One decode call: the input bytes and, made on the first record set, one memoryview of the whole input that
   every record slice is cut from. */
typedef struct {
    const uint8_t *data;
    Py_ssize_t n;
    PyObject *buf;         /* the caller's buffer object (borrowed) */
    PyObject *base;        /* memoryview(buf), owned; NULL until the first slice */
    int fast_slices;       /* base is a plain 1-D byte view we can slice by hand */
    int flexible;
} StromCtx;

/* Set once by configure(): the error class, uuid.UUID, the Python unsigned varint reader (tags beyond 64 bits)
   and the shared read-only "no unknown tagged fields" mapping. */
static PyObject *strom_corrupt_class = NULL;
static PyObject *strom_uuid_class = NULL;
static PyObject *strom_read_uvarint = NULL;
static PyObject *strom_empty_tags = NULL;
static PyObject *strom_bytes_kwnames = NULL; /* ("bytes",) for UUID(bytes=...) */

/* The ints -5..1023, made once: decoded node ids, partition indexes, epochs and error codes are mostly small,
   and CPython caches only up to 256. Ints are immutable, so sharing them changes nothing but the cost. */
#define STROM_INT_MIN (-5)
#define STROM_INT_MAX 1023
static PyObject *strom_ints[STROM_INT_MAX - STROM_INT_MIN + 1];

static inline PyObject *strom_int(long v) {
    if ((unsigned long)(v - STROM_INT_MIN) <= (unsigned long)(STROM_INT_MAX - STROM_INT_MIN)) {
        PyObject *cached = strom_ints[v - STROM_INT_MIN];
        if (STROM_LIKELY(cached != NULL)) {
            Py_INCREF(cached);
            return cached;
        }
    }
    return PyLong_FromLong(v);
}

static int strom_configure(PyObject *corrupt, PyObject *uuid_class, PyObject *read_uvarint, PyObject *empty_tags) {
    for (long v = STROM_INT_MIN; v <= STROM_INT_MAX; v++) {
        if (strom_ints[v - STROM_INT_MIN] == NULL && (strom_ints[v - STROM_INT_MIN] = PyLong_FromLong(v)) == NULL)
            return -1;
    }
    PyObject *kwnames = Py_BuildValue("(s)", "bytes");
    if (kwnames == NULL)
        return -1;
    Py_XSETREF(strom_bytes_kwnames, kwnames);
    Py_INCREF(corrupt);
    Py_XSETREF(strom_corrupt_class, corrupt);
    Py_INCREF(uuid_class);
    Py_XSETREF(strom_uuid_class, uuid_class);
    Py_INCREF(read_uvarint);
    Py_XSETREF(strom_read_uvarint, read_uvarint);
    Py_INCREF(empty_tags);
    Py_XSETREF(strom_empty_tags, empty_tags);
    return 0;
}

/* Raises CorruptMessage with a formatted message (PyUnicode_FromFormat's format); returns -1. */
static int strom_corrupt(const char *format, ...) {
    va_list args;
    va_start(args, format);
    PyObject *message = PyUnicode_FromFormatV(format, args);
    va_end(args);
    if (message != NULL) {
        PyErr_SetObject(strom_corrupt_class, message);
        Py_DECREF(message);
    }
    return -1;
}

#define STROM_CORRUPT strom_corrupt

/* ---- objects ------------------------------------------------------------------------------------------- */

/* Offset of a __slots__ member in its instances (-1 with TypeError if descr is not an object slot). */
static Py_ssize_t strom_slot_offset(PyObject *descr) {
    if (!PyObject_TypeCheck(descr, &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "not a __slots__ member descriptor");
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
    if (m->type != T_OBJECT_EX) {
        PyErr_SetString(PyExc_TypeError, "slot is not an object slot");
        return -1;
    }
    return m->offset;
}

/* Freed instances of the lean classes (below), kept for the next decode by number of slots: a Produce request
   frees and allocates ~110 structs, and CPython's allocator and GC bookkeeping for each was ~15% of a decode.
   A kept block is exactly what _PyObject_GC_New would return for any class with that many slots (same size,
   GC header untracked); its first slot links the list. Bounded, so a huge message cannot pin memory. */
#define STROM_FREE_SLOTS 32
#define STROM_FREE_MAX 1024
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED) && !defined(Py_TRACE_REFS) \
    && !defined(STROM_NO_FREELIST) /* -DSTROM_NO_FREELIST frees every block, e.g. for a sanitizer build */
#define STROM_FREELIST 1
static PyObject *strom_free_head[STROM_FREE_SLOTS];
static int strom_free_count[STROM_FREE_SLOTS];
#else
#define STROM_FREELIST 0
#endif

static void strom_struct_dealloc(PyObject *self);

static inline Py_ssize_t strom_slot_count(PyTypeObject *t) {
    return (t->tp_basicsize - (Py_ssize_t)sizeof(PyObject)) / (Py_ssize_t)sizeof(PyObject *);
}

/* A fresh instance with every slot NULL, not tracked by the cyclic GC (see _fast_decode.pyx). For the plain
   slotted classes the compiler makes this is PyType_GenericAlloc minus the tracking (or a kept block); other
   layouts go through tp_alloc and are untracked after. */
static PyObject *strom_alloc(PyTypeObject *t) {
    PyObject *obj;
#if STROM_FREELIST
    if (STROM_LIKELY(t->tp_dealloc == strom_struct_dealloc)) {
        Py_ssize_t slots = strom_slot_count(t);
        if (slots > 0 && slots < STROM_FREE_SLOTS && (obj = strom_free_head[slots]) != NULL) {
            PyObject **link = (PyObject **)((char *)obj + sizeof(PyObject));
            strom_free_head[slots] = *link;
            strom_free_count[slots]--;
            *link = NULL; /* the other slots were cleared when it was freed */
            Py_SET_TYPE(obj, t);
            Py_INCREF(t);
            _Py_NewReference(obj);
            return obj;
        }
    }
#endif
    if (STROM_LIKELY(t->tp_alloc == PyType_GenericAlloc && t->tp_itemsize == 0 && t->tp_dictoffset == 0
                     && (t->tp_flags & Py_TPFLAGS_HAVE_GC) && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT))) {
        obj = _PyObject_GC_New(t);
        if (obj != NULL)
            memset((char *)obj + sizeof(PyObject), 0, t->tp_basicsize - sizeof(PyObject));
        return obj;
    }
    obj = t->tp_alloc(t, 0);
    if (obj != NULL && PyObject_IS_GC(obj))
        PyObject_GC_UnTrack(obj);
    return obj;
}

static PyObject *strom_list(Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list != NULL)
        PyObject_GC_UnTrack(list);
    return list;
}

/* Stores a new reference in a slot that may hold a value already (defaults, a repeated tagged field). */
static inline void strom_replace(PyObject *obj, Py_ssize_t off, PyObject *v) {
    PyObject **slot = (PyObject **)((char *)obj + off);
    PyObject *old = *slot;
    *slot = v;
    Py_XDECREF(old);
}

static inline void strom_put_ref(PyObject *obj, Py_ssize_t off, PyObject *v) {
    Py_INCREF(v);
    strom_replace(obj, off, v);
}

/* Keeps a freed instance's block for strom_alloc if there is room; returns whether it did. */
static inline int strom_keep(PyObject *self, PyTypeObject *type) {
#if STROM_FREELIST
    if (type->tp_dealloc == strom_struct_dealloc) { /* this layout exactly, not a subclass's */
        Py_ssize_t slots = strom_slot_count(type);
        if (slots > 0 && slots < STROM_FREE_SLOTS && strom_free_count[slots] < STROM_FREE_MAX) {
            *(PyObject **)((char *)self + sizeof(PyObject)) = strom_free_head[slots];
            strom_free_head[slots] = self;
            strom_free_count[slots]++;
            return 1;
        }
    }
#else
    (void)self;
    (void)type;
#endif
    return 0;
}

/* ---- the struct classes' deallocator ------------------------------------------------------------------- */

/* CPython frees instances of a slotted class with its generic subtype_dealloc, which checks for finalizers,
   weak references, a __dict__ and resurrection at each class level before it clears the slots: for the
   decoded structs (dataclasses with object slots only) that was ~20% of a Produce decode. The compiler's
   classes get this one instead: untrack, clear the object slots, free (or keep the block for strom_alloc).
   Installed only on classes with nothing else to release (strom_install_dealloc). A subclass keeps CPython's
   subtype_dealloc for its own level, which then calls this one for the rest, as it calls any base's. */
static void strom_struct_dealloc(PyObject *self) {
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, strom_struct_dealloc)
    /* A lean class's instances are the object header and then its (and its bases') object slots, nothing else
       (strom_plain_slotted); a subclass's own part is cleared already by subtype_dealloc. */
    PyTypeObject *lean = type;
    while (lean->tp_dealloc != strom_struct_dealloc)
        lean = lean->tp_base;
    PyObject **slot = (PyObject **)((char *)self + sizeof(PyObject));
    PyObject **end = (PyObject **)((char *)self + lean->tp_basicsize);
    for (; slot < end; slot++)
        Py_CLEAR(*slot);
    if (!strom_keep(self, type))
        type->tp_free(self);
    Py_DECREF(type);
    Py_TRASHCAN_END
}

/* Whether every level of t (up to object) is a plain slotted heap class whose instances hold nothing but
   object slots: no finalizer, no weak references, no __dict__, no variable part. */
static int strom_plain_slotted(PyTypeObject *t, destructor generic) {
    for (; t != NULL && t != &PyBaseObject_Type; t = t->tp_base) {
        if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE) || !(t->tp_flags & Py_TPFLAGS_HAVE_GC))
            return 0;
        if (t->tp_dealloc != generic && t->tp_dealloc != strom_struct_dealloc)
            return 0;
        if (t->tp_finalize != NULL || t->tp_del != NULL || t->tp_weaklistoffset != 0 || t->tp_dictoffset != 0
                || t->tp_itemsize != 0 || (t->tp_flags & Py_TPFLAGS_MANAGED_DICT) || t->tp_free != PyObject_GC_Del)
            return 0;
#ifdef Py_TPFLAGS_MANAGED_WEAKREF
        if (t->tp_flags & Py_TPFLAGS_MANAGED_WEAKREF)
            return 0;
#endif
        Py_ssize_t members = 0;
        for (PyMemberDef *m = t->tp_members; m != NULL && m->name != NULL; m++, members++)
            if (m->type != T_OBJECT_EX || (m->flags & READONLY))
                return 0;
        if (t->tp_basicsize != t->tp_base->tp_basicsize + members * (Py_ssize_t)sizeof(PyObject *))
            return 0;
    }
    return t == &PyBaseObject_Type;
}

/* Gives cls the lean deallocator when it is a plain slotted class. `generic` is the tp_dealloc of a plain
   slotted Python class (CPython's subtype_dealloc, which is not exported). Returns whether it did. */
static int strom_install_dealloc(PyObject *cls_obj, PyObject *reference_obj) {
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
    if (!PyType_Check(cls_obj) || !PyType_Check(reference_obj))
        return 0;
    PyTypeObject *cls = (PyTypeObject *)cls_obj, *reference = (PyTypeObject *)reference_obj;
    destructor generic = reference->tp_dealloc;
    if (cls->tp_dealloc == strom_struct_dealloc)
        return 1;
    if (!strom_plain_slotted(cls, generic) || !strom_plain_slotted(reference, generic))
        return 0;
    cls->tp_dealloc = strom_struct_dealloc;
    return 1;
#else
    (void)cls_obj;
    (void)reference_obj;
    return 0;
#endif
}

/* ---- record set slices ----------------------------------------------------------------------------------- */

/* Whether base (a memoryview) can be sliced by strom_cut: a 1-D, contiguous byte view on a managed buffer, on
   the Python versions whose memoryview struct we have checked. */
static int strom_sliceable(PyObject *base_obj) {
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000
    PyMemoryViewObject *base = (PyMemoryViewObject *)base_obj;
    const Py_buffer *src = &base->view;
    return Py_IS_TYPE(base_obj, &PyMemoryView_Type) && base->mbuf != NULL && src->ndim == 1 && src->itemsize == 1
           && src->strides != NULL && src->strides[0] == 1 && src->suboffsets == NULL && src->shape != NULL
           && !(base->flags & _Py_MEMORYVIEW_RELEASED) && !(base->mbuf->flags & _Py_MANAGED_BUFFER_RELEASED);
#else
    (void)base_obj;
    return 0;
#endif
}

/* base[start:stop] for a view strom_sliceable accepted and 0 <= start <= stop <= len(base), built as CPython's
   memory_subscript builds it (a new view on the same managed buffer, export counted) minus the index objects,
   the slice object and the generic shape checks. */
static PyObject *strom_cut(PyObject *base_obj, Py_ssize_t start, Py_ssize_t stop) {
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000
    PyMemoryViewObject *base = (PyMemoryViewObject *)base_obj;
    const Py_buffer *src = &base->view;
    PyMemoryViewObject *mv = PyObject_GC_NewVar(PyMemoryViewObject, &PyMemoryView_Type, 3);
    if (mv == NULL)
        return NULL;
    Py_buffer *dest = &mv->view;
    mv->hash = -1;
    mv->exports = 0;
    mv->weakreflist = NULL;
    dest->obj = src->obj; /* borrowed, as in CPython: the managed buffer owns the exporter */
    dest->buf = (char *)src->buf + start;
    dest->len = stop - start;
    dest->itemsize = 1;
    dest->readonly = src->readonly;
    dest->format = src->format ? src->format : "B";
    dest->internal = src->internal;
    dest->ndim = 1;
    dest->shape = mv->ob_array;
    dest->strides = mv->ob_array + 1;
    dest->suboffsets = NULL;
    mv->ob_array[0] = stop - start;
    mv->ob_array[1] = 1;
    mv->flags = _Py_MEMORYVIEW_C | _Py_MEMORYVIEW_FORTRAN;
    mv->mbuf = base->mbuf;
    Py_INCREF(base->mbuf);
    base->mbuf->exports++;
    PyObject_GC_Track(mv);
    return (PyObject *)mv;
#else
    return PySequence_GetSlice(base_obj, start, stop);
#endif
}

/* memoryview(base)[start:stop] for any memoryview: the fast cut where it applies, else the generic slice. */
static PyObject *strom_view_slice(PyObject *base, Py_ssize_t start, Py_ssize_t stop) {
    if (strom_sliceable(base) && 0 <= start && start <= stop && stop <= ((PyMemoryViewObject *)base)->view.shape[0])
        return strom_cut(base, start, stop);
    return PySequence_GetSlice(base, start, stop);
}

/* A memoryview slice of the input (no copy); start..stop is within the input. */
static PyObject *strom_records(StromCtx *c, Py_ssize_t start, Py_ssize_t stop) {
    if (STROM_UNLIKELY(c->base == NULL)) {
        c->base = PyMemoryView_FromObject(c->buf);
        if (c->base == NULL)
            return NULL;
        c->fast_slices = strom_sliceable(c->base) && ((PyMemoryViewObject *)c->base)->view.shape[0] == c->n;
    }
    if (STROM_LIKELY(c->fast_slices))
        return strom_cut(c->base, start, stop);
    return PySequence_GetSlice(c->base, start, stop);
}

/* ---- reads ------------------------------------------------------------------------------------------------- */

static inline int strom_need(StromCtx *c, Py_ssize_t pos, Py_ssize_t size, const char *what) {
    if (STROM_UNLIKELY(size > c->n - pos))
        return STROM_CORRUPT("truncated %s at byte %zd: need %zd bytes, %zd remain", what, pos, size, c->n - pos);
    return 0;
}

static inline uint32_t strom_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Unsigned varint as the Python reader reads it (at most 10 bytes): 0, or 1 when the value does not fit in 64
   bits (the caller then treats it as too large, or asks the Python reader for the exact int); -1 on error. */
static int strom_uvarint(StromCtx *c, Py_ssize_t *pos, uint64_t *out) {
    uint64_t result = 0;
    int shift = 0, overflow = 0;
    Py_ssize_t p = *pos;
    for (;;) {
        if (STROM_UNLIKELY(p >= c->n))
            return STROM_CORRUPT("truncated varint at byte %zd", p);
        uint64_t b = c->data[p++];
        if (shift == 63 && (b & 0x7F) > 1)
            overflow = 1;
        result |= (b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *pos = p;
            *out = result;
            return overflow;
        }
        shift += 7;
        if (shift > 63)
            return STROM_CORRUPT("varint longer than 10 bytes at byte %zd", p);
    }
}

/* A length or count prefix: compact (unsigned varint N+1) or classic (int32); -1 means null. A compact value
   too large for the buffer comes back as one that fails the caller's bounds check. */
static inline int strom_length(StromCtx *c, Py_ssize_t *pos, Py_ssize_t *out) {
    Py_ssize_t p = *pos;
    if (c->flexible) {
        uint64_t raw;
        int r;
        if (STROM_LIKELY(p < c->n && c->data[p] < 0x80)) { /* one-byte varint: lengths below 127 */
            *pos = p + 1;
            *out = (Py_ssize_t)c->data[p] - 1;
            return 0;
        }
        r = strom_uvarint(c, pos, &raw);
        if (r < 0)
            return -1;
        *out = (r || raw > (uint64_t)c->n + 1) ? c->n + 1 : (Py_ssize_t)raw - 1;
        return 0;
    }
    if (strom_need(c, p, 4, "int32") < 0)
        return -1;
    *out = (int32_t)strom_be32(c->data + p);
    *pos = p + 4;
    return 0;
}

static PyObject *strom_string(StromCtx *c, Py_ssize_t *pos, int nullable) {
    Py_ssize_t start = *pos, size;
    if (c->flexible) {
        if (strom_length(c, pos, &size) < 0)
            return NULL;
        if (size == -1) {
            if (nullable)
                Py_RETURN_NONE;
            STROM_CORRUPT("null compact string at byte %zd where a string is required", start);
            return NULL;
        }
    } else {
        if (strom_need(c, start, 2, "int16") < 0)
            return NULL;
        size = (int16_t)(((uint16_t)c->data[start] << 8) | c->data[start + 1]);
        *pos = start + 2;
        if (size < 0) {
            if (size == -1 && nullable)
                Py_RETURN_NONE;
            STROM_CORRUPT("null or negative string length %zd at byte %zd", size, start);
            return NULL;
        }
    }
    if (STROM_UNLIKELY(size > c->n - *pos)) {
        STROM_CORRUPT("string at byte %zd runs past the message", *pos);
        return NULL;
    }
    PyObject *value = PyUnicode_DecodeUTF8((const char *)(c->data + *pos), size, NULL);
    if (value == NULL) {
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            STROM_CORRUPT("string at byte %zd is not valid UTF-8", *pos);
        }
        return NULL;
    }
    *pos += size;
    return value;
}

static PyObject *strom_bytes(StromCtx *c, Py_ssize_t *pos, int nullable) {
    Py_ssize_t start = *pos, size;
    if (strom_length(c, pos, &size) < 0)
        return NULL;
    if (STROM_LIKELY(size >= 0)) {
        if (STROM_UNLIKELY(size > c->n - *pos)) {
            STROM_CORRUPT("%zd bytes at byte %zd run past the message", size, *pos);
            return NULL;
        }
        PyObject *value = strom_records(c, *pos, *pos + size);
        if (value != NULL)
            *pos += size;
        return value;
    }
    if (size == -1 && nullable)
        Py_RETURN_NONE;
    STROM_CORRUPT("bad bytes length %zd at byte %zd", size, start);
    return NULL;
}

/* A field of a fixed kind, strings and bytes (not arrays or structs). */
static PyObject *strom_scalar(StromCtx *c, int kind, int nullable, Py_ssize_t *pos) {
    Py_ssize_t p = *pos;
    const uint8_t *d = c->data + p;
    switch (kind) {
    case STROM_INT32:
        if (strom_need(c, p, 4, "int32") < 0)
            return NULL;
        *pos = p + 4;
        return strom_int((int32_t)strom_be32(d));
    case STROM_INT16:
        if (strom_need(c, p, 2, "int16") < 0)
            return NULL;
        *pos = p + 2;
        return strom_int((int16_t)(((uint16_t)d[0] << 8) | d[1]));
    case STROM_INT64:
        if (strom_need(c, p, 8, "int64") < 0)
            return NULL;
        *pos = p + 8;
        return PyLong_FromLongLong((int64_t)(((uint64_t)strom_be32(d) << 32) | strom_be32(d + 4)));
    case STROM_INT8:
        if (strom_need(c, p, 1, "int8") < 0)
            return NULL;
        *pos = p + 1;
        return strom_int((int8_t)d[0]);
    case STROM_BOOL:
        if (strom_need(c, p, 1, "bool") < 0)
            return NULL;
        *pos = p + 1;
        return PyBool_FromLong(d[0] != 0);
    case STROM_UINT16:
        if (strom_need(c, p, 2, "uint16") < 0)
            return NULL;
        *pos = p + 2;
        return strom_int(((uint16_t)d[0] << 8) | d[1]);
    case STROM_FLOAT64: {
        if (strom_need(c, p, 8, "float64") < 0)
            return NULL;
        double v = PyFloat_Unpack8((const char *)d, 0);
        if (v == -1.0 && PyErr_Occurred())
            return NULL;
        *pos = p + 8;
        return PyFloat_FromDouble(v);
    }
    case STROM_STRING:
        return strom_string(c, pos, nullable);
    case STROM_BYTES:
        return strom_bytes(c, pos, nullable);
    case STROM_UUID: {
        if (strom_need(c, p, 16, "uuid") < 0)
            return NULL;
        PyObject *raw = PyBytes_FromStringAndSize((const char *)d, 16);
        if (raw == NULL)
            return NULL;
        PyObject *args[1] = {raw};
        PyObject *value = PyObject_Vectorcall(strom_uuid_class, args, 0, strom_bytes_kwnames);
        Py_DECREF(raw);
        if (value != NULL)
            *pos = p + 16;
        return value;
    }
    default:
        STROM_CORRUPT("unknown field kind %d", kind);
        return NULL;
    }
}

static PyObject *strom_decode(StromProgram *prog, StromCtx *c, Py_ssize_t *pos);

static PyObject *strom_array(StromCtx *c, const StromOp *op, Py_ssize_t *pos) {
    Py_ssize_t start = *pos, count;
    if (strom_length(c, pos, &count) < 0)
        return NULL;
    if (count < 0) {
        if (count == -1) {
            if (op->nullable)
                Py_RETURN_NONE;
            STROM_CORRUPT("null array at byte %zd for a non-nullable field", start);
            return NULL;
        }
        STROM_CORRUPT("negative array length %zd at byte %zd", count, start);
        return NULL;
    }
    if (count > 0 && count > (c->n - *pos) / op->min_size) {
        STROM_CORRUPT("array length %zd at byte %zd exceeds the %zd bytes left", count, start, c->n - *pos);
        return NULL;
    }
    PyObject *items = strom_list(count);
    if (items == NULL)
        return NULL;
    if (op->elem == STROM_INT32 && count <= (c->n - *pos) / 4) { /* node id lists: one bounds check for all */
        const uint8_t *d = c->data + *pos;
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *item = strom_int((int32_t)strom_be32(d + 4 * i));
            if (item == NULL) {
                Py_DECREF(items);
                return NULL;
            }
            PyList_SET_ITEM(items, i, item);
        }
        *pos += 4 * count;
        return items;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = op->elem == STROM_STRUCT ? strom_decode(op->child, c, pos) : strom_scalar(c, op->elem, 0, pos);
        if (item == NULL) {
            Py_DECREF(items); /* the items not yet set are NULL, which list dealloc skips */
            return NULL;
        }
        PyList_SET_ITEM(items, i, item);
    }
    return items;
}

/* The value of one field (a new reference, or NULL with an exception set). */
static inline PyObject *strom_value(StromCtx *c, const StromOp *op, Py_ssize_t *pos) {
    switch (op->kind) {
    case STROM_INT32: /* the most common field: read here rather than through strom_scalar */
        if (STROM_LIKELY(4 <= c->n - *pos)) {
            PyObject *value = strom_int((int32_t)strom_be32(c->data + *pos));
            if (value != NULL)
                *pos += 4;
            return value;
        }
        return strom_scalar(c, op->kind, op->nullable, pos);
    case STROM_ARRAY:
        return strom_array(c, op, pos);
    case STROM_STRUCT:
        if (op->nullable) {
            if (strom_need(c, *pos, 1, "int8") < 0)
                return NULL;
            if ((int8_t)c->data[(*pos)++] < 0)
                Py_RETURN_NONE;
        }
        return strom_decode(op->child, c, pos);
    default:
        return strom_scalar(c, op->kind, op->nullable, pos);
    }
}

/* The tagged section of a flexible struct: known tags fill their fields, the others go to a new
   unknown_tagged_fields dict as raw bytes. */
static int strom_tagged(StromProgram *prog, StromCtx *c, Py_ssize_t *pos, PyObject *obj) {
    uint64_t count, tag, size;
    int r;
    PyObject *unknown = PyDict_New();
    if (unknown == NULL)
        return -1;
    strom_replace(obj, prog->unknown_offset, unknown);
    r = strom_uvarint(c, pos, &count);
    if (r < 0)
        return -1;
    if (r || count > (uint64_t)(c->n - *pos))
        return STROM_CORRUPT("tagged field count exceeds the %zd bytes left", c->n - *pos);
    for (uint64_t k = 0; k < count; k++) {
        Py_ssize_t start = *pos, end;
        int big_tag = strom_uvarint(c, pos, &tag);
        if (big_tag < 0)
            return -1;
        r = strom_uvarint(c, pos, &size);
        if (r < 0)
            return -1;
        if (r || size > (uint64_t)(c->n - *pos))
            return STROM_CORRUPT("truncated tagged field at byte %zd", start);
        end = *pos + (Py_ssize_t)size;
        const StromOp *op = NULL;
        if (!big_tag) {
            for (Py_ssize_t i = prog->n_regular; i < prog->n_regular + prog->n_tagged; i++) {
                if (prog->ops[i].tag == tag) {
                    op = &prog->ops[i];
                    break;
                }
            }
        }
        if (op != NULL) {
            PyObject *value = strom_value(c, op, pos);
            if (value == NULL)
                return -1;
            strom_replace(obj, op->offset, value);
        } else {
            PyObject *key, *raw;
            if (big_tag) {
                PyObject *read = PyObject_CallFunction(strom_read_uvarint, "On", c->buf, start);
                if (read == NULL)
                    return -1;
                key = PySequence_GetItem(read, 0);
                Py_DECREF(read);
            } else {
                key = PyLong_FromUnsignedLongLong(tag);
            }
            if (key == NULL)
                return -1;
            raw = PyBytes_FromStringAndSize((const char *)(c->data + *pos), (Py_ssize_t)size);
            if (raw == NULL || PyDict_SetItem(unknown, key, raw) < 0) {
                Py_DECREF(key);
                Py_XDECREF(raw);
                return -1;
            }
            Py_DECREF(key);
            Py_DECREF(raw);
        }
        *pos = end;
    }
    return 0;
}

/* One struct: a new instance of prog->cls (a new reference, or NULL with an exception set). */
static PyObject *strom_decode(StromProgram *prog, StromCtx *c, Py_ssize_t *pos) {
    PyObject *obj = strom_alloc((PyTypeObject *)prog->cls);
    if (obj == NULL)
        return NULL;
    const StromOp *op = prog->ops, *regular_end = prog->ops + prog->n_regular;
    for (; op < regular_end; op++) {
        PyObject *value = strom_value(c, op, pos);
        if (STROM_UNLIKELY(value == NULL))
            goto error;
        *(PyObject **)((char *)obj + op->offset) = value; /* the slot is still NULL */
    }
    for (Py_ssize_t i = 0; i < prog->n_absent; i++) {
        PyObject *dflt = prog->absent_defaults[i];
        PyObject *value = dflt == NULL ? strom_list(0) : (Py_INCREF(dflt), dflt);
        if (value == NULL)
            goto error;
        strom_replace(obj, prog->absent_offsets[i], value);
    }
    strom_put_ref(obj, prog->unknown_offset, strom_empty_tags);
    if (!c->flexible)
        return obj;
    for (Py_ssize_t i = prog->n_regular; i < prog->n_regular + prog->n_tagged; i++) {
        op = &prog->ops[i];
        PyObject *value = op->default_list ? strom_list(0) : (Py_INCREF(op->dflt), op->dflt);
        if (value == NULL)
            goto error;
        strom_replace(obj, op->offset, value);
    }
    if (strom_need(c, *pos, 1, "tagged field count") < 0)
        goto error;
    if (STROM_LIKELY(c->data[*pos] == 0)) { /* the usual case: no tagged fields */
        *pos += 1;
        return obj;
    }
    if (strom_tagged(prog, c, pos, obj) < 0)
        goto error;
    return obj;
error:
    Py_DECREF(obj);
    return NULL;
}
