# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled message decoders, from the same field programs as compiler.py's generated Python, run in C.

Why: decoding builds one Python object per struct (a Produce request with 100 partitions is ~110 structs and
100 record slices), and the generated Python pays the interpreter for every field read and slot store. Here a
Decoder holds, per struct and version, a C array of field operations (fixed-width read, string, bytes slice,
array, nested struct, tagged section) and fills the slots of the frozen dataclass directly, at the offsets its
member descriptors report. It produces exactly what the generated decoder produces (same classes, same
memoryview slices of the input, same defaults for absent fields, unknown tagged fields kept as bytes) and
raises only CorruptMessage; compiler.py builds the programs and keeps the Python decoder as the reference and
as the fallback when this extension is not built (or STROM_NO_EXTENSIONS=1).

One difference on purpose: the structs and lists built here are not tracked by the cyclic GC (as msgspec's
gc=False structs). A decoded message is a tree of atoms, so it cannot be part of a cycle unless someone puts
one into its lists later (then the cycle is only never collected, nothing breaks); tracking them made the
collector rescan every struct of a 1000-partition Metadata response several times per decode (5x its cost).
Record memoryviews stay tracked: CPython's memoryview dealloc requires it.

Safety: every read is bounds-checked against the buffer length before it touches memory; counts are checked
against the bytes left before anything is allocated, so forged lengths cannot over-read or over-allocate.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_SetItem
from cpython.list cimport PyList_SET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_INCREF, Py_XDECREF, PyObject
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memset

cdef extern from "Python.h":
    double PyFloat_Unpack8(const char *p, int le) except? -1.0
    object PyMemoryView_FromObject(object obj)
    object PySequence_GetSlice(object o, Py_ssize_t i1, Py_ssize_t i2)

cdef extern from *:
    """
    #include "structmember.h"

    /* Offset of a __slots__ member in its instances (-1 with TypeError if descr is not a slot). */
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

    /* A fresh instance with every slot NULL, not tracked by the cyclic GC (see Decoder). For the plain slotted
       classes the compiler makes this is PyType_GenericAlloc minus the tracking; other layouts go through
       tp_alloc and are untracked after. */
    static PyObject *strom_alloc(PyObject *type) {
        PyTypeObject *t = (PyTypeObject *)type;
        PyObject *obj;
        if (t->tp_alloc == PyType_GenericAlloc && t->tp_itemsize == 0 && t->tp_dictoffset == 0
                && (t->tp_flags & Py_TPFLAGS_HAVE_GC) && !(t->tp_flags & Py_TPFLAGS_MANAGED_DICT)) {
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

    /* memoryview(base)[start:stop] for a 1-D byte view, built as CPython's memory_subscript builds it
       (a new view on the same managed buffer, export counted) minus the index objects, the slice object and
       the generic shape checks: this is most of the cost of a Produce partition. Other layouts and Python
       versions whose memoryview struct we have not checked take the generic path. */
    static PyObject *strom_view_slice(PyObject *base_obj, Py_ssize_t start, Py_ssize_t stop) {
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000
        PyMemoryViewObject *base = (PyMemoryViewObject *)base_obj;
        const Py_buffer *src = &base->view;
        if (Py_IS_TYPE(base_obj, &PyMemoryView_Type) && base->mbuf != NULL && src->ndim == 1 && src->itemsize == 1
                && src->strides != NULL && src->strides[0] == 1 && src->suboffsets == NULL
                && !(base->flags & _Py_MEMORYVIEW_RELEASED) && !(base->mbuf->flags & _Py_MANAGED_BUFFER_RELEASED)
                && 0 <= start && start <= stop && stop <= src->shape[0]) {
            PyMemoryViewObject *mv = PyObject_GC_NewVar(PyMemoryViewObject, &PyMemoryView_Type, 3);
            if (mv == NULL)
                return NULL;
            Py_buffer *dest = &mv->view;
            mv->hash = -1;
            mv->exports = 0;
            mv->weakreflist = NULL;
            dest->obj = src->obj;  /* borrowed, as in CPython: the managed buffer owns the exporter */
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
            dest->shape[0] = stop - start;
            dest->strides[0] = 1;
            mv->flags = _Py_MEMORYVIEW_C | _Py_MEMORYVIEW_FORTRAN;
            mv->mbuf = base->mbuf;
            Py_INCREF(base->mbuf);
            base->mbuf->exports++;
            PyObject_GC_Track(mv);
            return (PyObject *)mv;
        }
    #endif
        return PySequence_GetSlice(base_obj, start, stop);
    }

    /* Stores a new reference to v in a slot, dropping a value stored before (a repeated tagged field). */
    static void strom_put(PyObject *obj, Py_ssize_t off, PyObject *v) {
        PyObject **slot = (PyObject **)((char *)obj + off);
        PyObject *old = *slot;
        Py_INCREF(v);
        *slot = v;
        Py_XDECREF(old);
    }

    """
    Py_ssize_t strom_slot_offset(object descr) except -1
    object strom_alloc(object type)
    object strom_list(Py_ssize_t n)
    void strom_put(object obj, Py_ssize_t off, object v)
    object strom_view_slice(object base, Py_ssize_t start, Py_ssize_t stop)

# Field kinds (compiler.py maps table types onto these)
KIND_INT8 = 1
KIND_INT16 = 2
KIND_INT32 = 3
KIND_INT64 = 4
KIND_UINT16 = 5
KIND_FLOAT64 = 6
KIND_BOOL = 7
KIND_STRING = 8
KIND_BYTES = 9
KIND_UUID = 10
KIND_ARRAY = 11
KIND_STRUCT = 12

cdef enum:
    K_INT8 = 1
    K_INT16 = 2
    K_INT32 = 3
    K_INT64 = 4
    K_UINT16 = 5
    K_FLOAT64 = 6
    K_BOOL = 7
    K_STRING = 8
    K_BYTES = 9
    K_UUID = 10
    K_ARRAY = 11
    K_STRUCT = 12

cdef object CorruptMessage = None
cdef object UUID = None
cdef object read_unsigned_varint = None
cdef object EMPTY_TAGS = None


def configure(corrupt_message, uuid_class, unsigned_varint_reader, empty_tags):
    """The error class to raise, the UUID class, the Python varint reader (for tags beyond 64 bits) and the
    shared read-only mapping that stands for "no unknown tagged fields"."""
    global CorruptMessage, UUID, read_unsigned_varint, EMPTY_TAGS
    CorruptMessage = corrupt_message
    UUID = uuid_class
    read_unsigned_varint = unsigned_varint_reader
    EMPTY_TAGS = empty_tags


def view_slice(base, Py_ssize_t start, Py_ssize_t stop):
    """memoryview(base)[start:stop] through the decoder's fast path (for tests)."""
    return strom_view_slice(base, start, stop)


cdef struct Ctx:
    const uint8_t *data
    Py_ssize_t n
    PyObject *buf  # the caller's buffer object (borrowed)
    PyObject *base  # memoryview of buf, made on the first byte slice (owned)
    bint flexible


cdef struct FieldOp:
    int kind
    int elem  # element kind of an array
    bint nullable
    Py_ssize_t offset  # slot offset in the instance
    Py_ssize_t min_size  # smallest encoding of one array element
    uint64_t tag
    PyObject *child  # Decoder of a struct / struct array (kept alive by Decoder._keep)
    PyObject *default  # tagged fields: value when absent (kept alive by Decoder._keep)
    bint default_list  # tagged fields: default is a new empty list


cdef int _corrupt(str text) except -1:
    raise CorruptMessage(text)


cdef inline int _need(Ctx *c, Py_ssize_t pos, Py_ssize_t size, str what) except -1:
    if size > c.n - pos:
        raise CorruptMessage(f"truncated {what} at byte {pos}: need {size} bytes, {c.n - pos} remain")
    return 0


cdef inline uint32_t _be32(const uint8_t *p) noexcept:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | <uint32_t>p[3]


cdef inline int16_t _i16(Ctx *c, Py_ssize_t *pos) except? -1:
    _need(c, pos[0], 2, "int16")
    cdef const uint8_t *p = c.data + pos[0]
    pos[0] += 2
    return <int16_t>((<uint16_t>p[0] << 8) | p[1])


cdef inline int32_t _i32(Ctx *c, Py_ssize_t *pos) except? -1:
    _need(c, pos[0], 4, "int32")
    cdef int32_t v = <int32_t>_be32(c.data + pos[0])
    pos[0] += 4
    return v


cdef inline int _uvarint(Ctx *c, Py_ssize_t *pos, uint64_t *out) except -1:
    """Unsigned varint as the Python reader reads it (at most 10 bytes). Returns 1 when the value does not
    fit in 64 bits (the caller then treats it as too large, or asks the Python reader for the exact int)."""
    cdef uint64_t result = 0, b
    cdef int shift = 0
    cdef int overflow = 0
    cdef Py_ssize_t p = pos[0]
    while True:
        if p >= c.n:
            raise CorruptMessage(f"truncated varint at byte {p}")
        b = c.data[p]
        p += 1
        if shift == 63 and (b & 0x7F) > 1:
            overflow = 1
        result |= (b & 0x7F) << shift
        if not (b & 0x80):
            pos[0] = p
            out[0] = result
            return overflow
        shift += 7
        if shift > 63:
            raise CorruptMessage(f"varint longer than 10 bytes at byte {p}")


cdef inline Py_ssize_t _length(Ctx *c, Py_ssize_t *pos) except? -2:
    """A length or count prefix: compact (unsigned varint N+1) or classic (int32); -1 means null. A compact
    value too large for the buffer comes back as one that fails the caller's bounds check."""
    cdef uint64_t raw
    cdef Py_ssize_t p = pos[0]
    if c.flexible:
        if p < c.n and c.data[p] < 0x80:  # one-byte varint: lengths below 127
            pos[0] = p + 1
            return <Py_ssize_t>c.data[p] - 1
        if _uvarint(c, pos, &raw) or raw > <uint64_t>c.n + 1:
            return c.n + 1
        return <Py_ssize_t>raw - 1
    return _i32(c, pos)


cdef inline object _slice(Ctx *c, Py_ssize_t start, Py_ssize_t end):
    """A memoryview slice of the input, as memoryview(buf)[start:end] gives (no copy)."""
    if c.base == NULL:
        base = PyMemoryView_FromObject(<object>c.buf)
        Py_INCREF(base)
        c.base = <PyObject *>base
    return strom_view_slice(<object>c.base, start, end)


cdef object _string(Ctx *c, Py_ssize_t *pos, bint nullable):
    cdef Py_ssize_t start = pos[0]
    cdef Py_ssize_t size
    if c.flexible:
        size = _length(c, pos)
        if size == -1:
            if nullable:
                return None
            _corrupt(f"null compact string at byte {start} where a string is required")
    else:
        size = _i16(c, pos)
        if size < 0:
            if size == -1 and nullable:
                return None
            _corrupt(f"null or negative string length {size} at byte {start}")
    if size > c.n - pos[0]:
        _corrupt(f"string at byte {pos[0]} runs past the message")
    try:
        value = PyUnicode_DecodeUTF8(<const char *>(c.data + pos[0]), size, NULL)
    except UnicodeDecodeError:
        raise CorruptMessage(f"string at byte {pos[0]} is not valid UTF-8") from None
    pos[0] += size
    return value


cdef inline object _bytes(Ctx *c, Py_ssize_t *pos, bint nullable):
    cdef Py_ssize_t start = pos[0]
    cdef Py_ssize_t size = _length(c, pos)
    if size >= 0:
        if size > c.n - pos[0]:
            _corrupt(f"{size} bytes at byte {pos[0]} run past the message")
        value = _slice(c, pos[0], pos[0] + size)
        pos[0] += size
        return value
    if size == -1 and nullable:
        return None
    _corrupt(f"bad bytes length {size} at byte {start}")


cdef inline object _scalar(Ctx *c, int kind, bint nullable, Py_ssize_t *pos):
    cdef const uint8_t *p
    cdef uint64_t u
    cdef int i
    if kind == K_INT32:
        return _i32(c, pos)
    if kind == K_INT16:
        return _i16(c, pos)
    if kind == K_INT64:
        _need(c, pos[0], 8, "int64")
        p = c.data + pos[0]
        u = (<uint64_t>_be32(p) << 32) | _be32(p + 4)
        pos[0] += 8
        return <int64_t>u
    if kind == K_INT8:
        _need(c, pos[0], 1, "int8")
        pos[0] += 1
        return <int8_t>c.data[pos[0] - 1]
    if kind == K_BOOL:
        _need(c, pos[0], 1, "bool")
        pos[0] += 1
        return c.data[pos[0] - 1] != 0
    if kind == K_UINT16:
        _need(c, pos[0], 2, "uint16")
        p = c.data + pos[0]
        pos[0] += 2
        return (<uint16_t>p[0] << 8) | p[1]
    if kind == K_FLOAT64:
        _need(c, pos[0], 8, "float64")
        pos[0] += 8
        return PyFloat_Unpack8(<const char *>(c.data + pos[0] - 8), 0)
    if kind == K_STRING:
        return _string(c, pos, nullable)
    if kind == K_BYTES:
        return _bytes(c, pos, nullable)
    if kind == K_UUID:
        _need(c, pos[0], 16, "uuid")
        raw = PyBytes_FromStringAndSize(<const char *>(c.data + pos[0]), 16)
        pos[0] += 16
        return UUID(bytes=raw)
    _corrupt(f"unknown field kind {kind}")


cdef object _array(Ctx *c, FieldOp *op, Py_ssize_t *pos):
    cdef Py_ssize_t start = pos[0]
    cdef Py_ssize_t count = _length(c, pos)
    cdef Py_ssize_t i
    if count < 0:
        if count == -1:
            if op.nullable:
                return None
            _corrupt(f"null array at byte {start} for a non-nullable field")
        _corrupt(f"negative array length {count} at byte {start}")
    if count > 0 and count > (c.n - pos[0]) // op.min_size:
        _corrupt(f"array length {count} at byte {start} exceeds the {c.n - pos[0]} bytes left")
    items = strom_list(count)
    if op.elem == K_STRUCT:
        for i in range(count):
            item = (<Decoder>op.child)._decode(c, pos)
            Py_INCREF(item)
            PyList_SET_ITEM(items, i, item)
    else:
        for i in range(count):
            item = _scalar(c, op.elem, False, pos)
            Py_INCREF(item)
            PyList_SET_ITEM(items, i, item)
    return items


cdef inline object _value(Ctx *c, FieldOp *op, Py_ssize_t *pos):
    cdef int8_t flag
    if op.kind == K_INT32:
        return _i32(c, pos)
    if op.kind == K_BYTES:
        return _bytes(c, pos, op.nullable)
    if op.kind == K_ARRAY:
        return _array(c, op, pos)
    if op.kind == K_STRUCT:
        if op.nullable:
            _need(c, pos[0], 1, "int8")
            flag = <int8_t>c.data[pos[0]]
            pos[0] += 1
            if flag < 0:
                return None
        return (<Decoder>op.child)._decode(c, pos)
    return _scalar(c, op.kind, op.nullable, pos)


cdef class Decoder:
    """The decoding program of one struct class at one version."""

    cdef object cls
    cdef bint flexible
    cdef FieldOp *ops  # regular fields in wire order, then tagged fields
    cdef Py_ssize_t n_regular
    cdef Py_ssize_t n_tagged
    cdef Py_ssize_t *absent_offsets
    cdef PyObject **absent_defaults  # NULL: a new empty list
    cdef Py_ssize_t n_absent
    cdef Py_ssize_t unknown_offset
    cdef list _keep
    cdef object fallback

    def __cinit__(self):
        self.ops = NULL
        self.absent_offsets = NULL
        self.absent_defaults = NULL

    def __init__(self, cls, bint flexible, regular, tagged, absent, fallback):
        """regular/tagged: (name, kind, elem_kind, nullable, min_size, tag, child Decoder, default, default_list);
        absent: (name, default, default_list) of the fields this version does not carry."""
        cdef FieldOp *op
        self.cls = cls
        self.flexible = flexible
        self.fallback = fallback
        self._keep = []
        slots = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if type(attr).__name__ == "member_descriptor":
                    slots[name] = strom_slot_offset(attr)
        specs = list(regular) + list(tagged)
        self.n_regular = len(regular)
        self.n_tagged = len(tagged)
        self.ops = <FieldOp *>PyMem_Malloc(max(1, len(specs)) * sizeof(FieldOp))
        if self.ops == NULL:
            raise MemoryError()
        memset(self.ops, 0, max(1, len(specs)) * sizeof(FieldOp))
        for i, (name, kind, elem, nullable, min_size, tag, child, default, default_list) in enumerate(specs):
            op = &self.ops[i]
            op.kind = kind
            op.elem = elem
            op.nullable = nullable
            op.offset = slots[name]
            op.min_size = max(1, min_size)
            op.tag = tag
            if (kind == K_STRUCT or (kind == K_ARRAY and elem == K_STRUCT)) and not isinstance(child, Decoder):
                raise TypeError(f"field {name} needs a child Decoder")
            self._keep.append(child)
            op.child = <PyObject *>child
            self._keep.append(default)
            op.default = <PyObject *>default
            op.default_list = default_list
        self.n_absent = len(absent)
        self.absent_offsets = <Py_ssize_t *>PyMem_Malloc(max(1, len(absent)) * sizeof(Py_ssize_t))
        self.absent_defaults = <PyObject **>PyMem_Malloc(max(1, len(absent)) * sizeof(PyObject *))
        if self.absent_offsets == NULL or self.absent_defaults == NULL:
            raise MemoryError()
        for i, (name, default, default_list) in enumerate(absent):
            self.absent_offsets[i] = slots[name]
            self._keep.append(default)
            self.absent_defaults[i] = NULL if default_list else <PyObject *>default
        self.unknown_offset = slots["unknown_tagged_fields"]
        if len(slots) != len(specs) + len(absent) + 1:
            raise TypeError(f"{cls.__name__}: the program does not cover every slot")

    def __dealloc__(self):
        PyMem_Free(self.ops)
        PyMem_Free(self.absent_offsets)
        PyMem_Free(self.absent_defaults)

    def __call__(self, buf, Py_ssize_t pos=0):
        """(instance, position after it): the generated decoder's contract."""
        cdef Py_buffer view
        cdef Ctx c
        if pos < 0:
            return self.fallback(buf, pos)
        try:
            PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE)
        except (BufferError, TypeError):  # e.g. a strided memoryview: the Python decoder handles it
            return self.fallback(buf, pos)
        c.data = <const uint8_t *>view.buf
        c.n = view.len
        c.buf = <PyObject *>buf
        c.base = NULL
        c.flexible = self.flexible
        try:
            if pos > c.n:
                _corrupt(f"decode starts at byte {pos}, past the {c.n} bytes of the message")
            obj = self._decode(&c, &pos)
        finally:
            Py_XDECREF(c.base)
            PyBuffer_Release(&view)
        return obj, pos

    cdef object _decode(self, Ctx *c, Py_ssize_t *pos):
        cdef Py_ssize_t i
        cdef FieldOp *op
        cdef uint64_t count, tag, size
        cdef Py_ssize_t end, start
        cdef int big_tag
        obj = strom_alloc(self.cls)
        for i in range(self.n_regular):
            op = &self.ops[i]
            strom_put(obj, op.offset, _value(c, op, pos))
        for i in range(self.n_absent):
            if self.absent_defaults[i] == NULL:
                strom_put(obj, self.absent_offsets[i], [])
            else:
                strom_put(obj, self.absent_offsets[i], <object>self.absent_defaults[i])
        strom_put(obj, self.unknown_offset, EMPTY_TAGS)
        if not self.flexible:
            return obj
        for i in range(self.n_regular, self.n_regular + self.n_tagged):
            op = &self.ops[i]
            if op.default_list:
                strom_put(obj, op.offset, [])
            else:
                strom_put(obj, op.offset, <object>op.default)
        _need(c, pos[0], 1, "tagged field count")
        if c.data[pos[0]] == 0:  # the usual case: no tagged fields
            pos[0] += 1
            return obj
        unknown = {}
        strom_put(obj, self.unknown_offset, unknown)
        if _uvarint(c, pos, &count) or count > <uint64_t>(c.n - pos[0]):
            _corrupt(f"tagged field count exceeds the {c.n - pos[0]} bytes left")
        for _ in range(count):
            start = pos[0]
            big_tag = _uvarint(c, pos, &tag)
            if _uvarint(c, pos, &size) or size > <uint64_t>(c.n - pos[0]):
                _corrupt(f"truncated tagged field at byte {start}")
            end = pos[0] + <Py_ssize_t>size
            op = NULL
            if not big_tag:
                for i in range(self.n_regular, self.n_regular + self.n_tagged):
                    if self.ops[i].tag == tag:
                        op = &self.ops[i]
                        break
            if op != NULL:
                strom_put(obj, op.offset, _value(c, op, pos))
            else:
                key = read_unsigned_varint(<object>c.buf, start)[0] if big_tag else tag
                PyDict_SetItem(unknown, key, PyBytes_FromStringAndSize(<const char *>(c.data + pos[0]), <Py_ssize_t>size))
            pos[0] = end
        return obj
