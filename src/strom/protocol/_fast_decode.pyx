# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled message decoders, from the same field programs as compiler.py's generated Python, run in C.

Why: decoding builds one Python object per struct (a Produce request with 100 partitions is ~110 structs and
100 record slices), and the generated Python pays the interpreter for every field read and slot store. Here a
Decoder holds, per struct and version, a C program of field operations (fixed-width read, string, bytes slice,
array, nested struct, tagged section) at the slot offsets its class's member descriptors report; the engine in
_decode_engine.h runs it and fills the slots of the frozen dataclass directly. It produces exactly what the
generated decoder produces (same classes, same memoryview slices of the input, same defaults for absent
fields, unknown tagged fields kept as bytes) and raises only CorruptMessage; compiler.py builds the programs
and keeps the Python decoder as the reference and as the fallback when this extension is not built (or
STROM_NO_EXTENSIONS=1).

Where the objects' own cost is cut (a Produce partition is one struct and one memoryview; CPython's generic
paths for them were most of a decode):
- The structs and lists built here are not tracked by the cyclic GC (as msgspec's gc=False structs). A decoded
  message is a tree of atoms, so it cannot be part of a cycle unless someone puts one into its lists later
  (then the cycle is only never collected, nothing breaks); tracking them made the collector rescan every
  struct of a 1000-partition Metadata response several times per decode (5x its cost). Record memoryviews
  stay tracked: CPython's memoryview dealloc requires it.
- Each struct class a Decoder is built for gets the engine's deallocator (plain slotted classes only, checked)
  instead of CPython's generic subtype_dealloc, and freed instances' blocks are kept (bounded) for the next
  decode. Instances made by the constructor are freed the same way.
- Record slices are cut from one memoryview of the input per call, without index or slice objects.

Safety: every read is bounds-checked against the buffer length before it touches memory; counts are checked
against the bytes left before anything is allocated, so forged lengths cannot over-read or over-allocate.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_XDECREF, PyObject
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memset

cdef extern from "_decode_engine.h":
    ctypedef struct StromProgram

    ctypedef struct StromOp:
        int kind
        int elem
        int nullable
        Py_ssize_t offset
        Py_ssize_t min_size
        uint64_t tag
        StromProgram *child
        PyObject *dflt
        int default_list

    ctypedef struct StromProgram:
        PyObject *cls
        StromOp *ops
        Py_ssize_t n_regular
        Py_ssize_t n_tagged
        Py_ssize_t *absent_offsets
        PyObject **absent_defaults
        Py_ssize_t n_absent
        Py_ssize_t unknown_offset

    ctypedef struct StromCtx:
        const uint8_t *data
        Py_ssize_t n
        PyObject *buf
        PyObject *base
        int fast_slices
        int flexible

    int strom_configure(object corrupt, object uuid_class, object read_uvarint, object empty_tags) except -1
    Py_ssize_t strom_slot_offset(object descr) except -1
    int strom_install_dealloc(object cls, object reference)
    object strom_view_slice(object base, Py_ssize_t start, Py_ssize_t stop)
    object strom_decode(StromProgram *prog, StromCtx *c, Py_ssize_t *pos)
    int STROM_STRUCT
    int STROM_ARRAY

# Field kinds (compiler.py maps table types onto these; the same numbers as the engine's enum)
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


cdef object CorruptMessage = None


class _PlainSlotted:
    """A plain slotted class that keeps CPython's generic deallocator: the one strom_install_dealloc expects to
    find (and replace) on the struct classes."""

    __slots__ = ("value",)


def configure(corrupt_message, uuid_class, unsigned_varint_reader, empty_tags):
    """The error class to raise, the UUID class, the Python varint reader (for tags beyond 64 bits) and the
    shared read-only mapping that stands for "no unknown tagged fields"."""
    global CorruptMessage
    strom_configure(corrupt_message, uuid_class, unsigned_varint_reader, empty_tags)
    CorruptMessage = corrupt_message


def view_slice(base, Py_ssize_t start, Py_ssize_t stop):
    """memoryview(base)[start:stop] through the decoder's fast path (for tests)."""
    return strom_view_slice(base, start, stop)


def lean_dealloc(cls):
    """Gives cls the engine's deallocator if it is a plain slotted class; returns whether it has it now."""
    return bool(strom_install_dealloc(cls, _PlainSlotted))


cdef class Decoder:
    """The decoding program of one struct class at one version (the engine runs it)."""

    cdef StromProgram prog
    cdef bint flexible
    cdef object cls
    cdef list _keep
    cdef object fallback

    def __cinit__(self):
        memset(&self.prog, 0, sizeof(StromProgram))

    def __init__(self, cls, bint flexible, regular, tagged, absent, fallback):
        """regular/tagged: (name, kind, elem_kind, nullable, min_size, tag, child Decoder, default, default_list);
        absent: (name, default, default_list) of the fields this version does not carry."""
        cdef StromOp *op
        cdef Py_ssize_t count
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
        count = max(1, len(specs))
        self.prog.ops = <StromOp *>PyMem_Malloc(count * sizeof(StromOp))
        if self.prog.ops == NULL:
            raise MemoryError()
        memset(self.prog.ops, 0, count * sizeof(StromOp))
        for i, (name, kind, elem, nullable, min_size, tag, child, default, default_list) in enumerate(specs):
            op = &self.prog.ops[i]
            op.kind = kind
            op.elem = elem
            op.nullable = nullable
            op.offset = slots[name]
            op.min_size = max(1, min_size)
            op.tag = tag
            if kind == STROM_STRUCT or (kind == STROM_ARRAY and elem == STROM_STRUCT):
                if not isinstance(child, Decoder):
                    raise TypeError(f"field {name} needs a child Decoder")
                op.child = &(<Decoder>child).prog
                self._keep.append(child)
            self._keep.append(default)
            op.dflt = <PyObject *>default
            op.default_list = default_list
        self.prog.n_regular = len(regular)
        self.prog.n_tagged = len(tagged)
        count = max(1, len(absent))
        self.prog.absent_offsets = <Py_ssize_t *>PyMem_Malloc(count * sizeof(Py_ssize_t))
        self.prog.absent_defaults = <PyObject **>PyMem_Malloc(count * sizeof(PyObject *))
        if self.prog.absent_offsets == NULL or self.prog.absent_defaults == NULL:
            raise MemoryError()
        for i, (name, default, default_list) in enumerate(absent):
            self.prog.absent_offsets[i] = slots[name]
            self._keep.append(default)
            self.prog.absent_defaults[i] = NULL if default_list else <PyObject *>default
        self.prog.n_absent = len(absent)
        self.prog.unknown_offset = slots["unknown_tagged_fields"]
        if len(slots) != len(specs) + len(absent) + 1:
            raise TypeError(f"{cls.__name__}: the program does not cover every slot")
        self.prog.cls = <PyObject *>cls
        strom_install_dealloc(cls, _PlainSlotted)

    def __dealloc__(self):
        PyMem_Free(self.prog.ops)
        PyMem_Free(self.prog.absent_offsets)
        PyMem_Free(self.prog.absent_defaults)

    def __call__(self, buf, Py_ssize_t pos=0):
        """(instance, position after it): the generated decoder's contract."""
        cdef Py_buffer view
        cdef StromCtx c
        if self.prog.cls == NULL:
            raise TypeError("Decoder is not initialised")
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
        c.fast_slices = 0
        c.flexible = self.flexible
        try:
            if pos > c.n:
                raise CorruptMessage(f"decode starts at byte {pos}, past the {c.n} bytes of the message")
            obj = strom_decode(&self.prog, &c, &pos)
        finally:
            Py_XDECREF(c.base)
            PyBuffer_Release(&view)
        return obj, pos
