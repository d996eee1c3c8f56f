# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled twins of the client's record hot path: the consumer's decoder (record_codec.decode_into), the
producer's batch builder (record_codec.BatchWriter) and types.Message.

Per-record work is the consumer's whole cost in pure Python (varints, slices, one Message object each);
here a batch is decoded in one call with C varints, bytes created straight from the buffer and Message
objects allocated without running __init__. The pure-Python code stays the reference: both must produce
the same messages and the same CorruptMessage for every input (tests/unit/client/test_fast_codec.py).
Every read is checked against the end of the buffer before it happens; a forged length or varint ends in
CorruptMessage, never in a read outside the buffer.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_Append
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.string cimport memcpy
from posix.time cimport CLOCK_REALTIME, clock_gettime, timespec

from strom import checksum as _crc32c
from strom.protocol import compression
from strom.protocol.errors import CorruptMessage

cdef extern from *:
    bint add_overflow "__builtin_saddll_overflow"(long long a, long long b, long long *res) nogil

cdef int TIMESTAMP_CREATE_TIME = 1
cdef int TIMESTAMP_LOG_APPEND_TIME = 2


@cython.freelist(256)
@cython.no_gc
cdef class Message:
    """One consumed record or one delivery report; accessors as in confluent-kafka (see types.Message).

    Not tracked by the cyclic garbage collector: a consumer allocates hundreds of thousands a second, and
    tracking them made the collector ~40% of the consumer's time (each gen-0 pass walking every buffered
    message). A message only references its fields, so it takes part in no cycle unless an application
    stores the message inside its own key or value (which would then leak instead of being collected).
    """

    cdef public object _topic
    cdef public object _partition
    cdef public object _offset
    cdef public object _key
    cdef public object _value
    cdef public object _headers
    cdef public object _ts_type
    cdef public object _ts
    cdef public object _error
    cdef public object _leader_epoch

    def __init__(self, topic, partition=None, offset=None, key=None, value=None, headers=None,
                 timestamp=(0, -1), error=None, leader_epoch=None):
        self._topic = topic
        self._partition = partition
        self._offset = offset
        self._key = key
        self._value = value
        self._headers = headers
        self._ts_type, self._ts = timestamp
        self._error = error
        self._leader_epoch = leader_epoch

    def topic(self):
        return self._topic

    def partition(self):
        return self._partition

    def offset(self):
        return self._offset

    def key(self):
        return self._key

    def value(self):
        return self._value

    def headers(self):
        return self._headers or None

    def timestamp(self):
        return (self._ts_type, self._ts)

    def error(self):
        return self._error

    def leader_epoch(self):
        return self._leader_epoch

    def set_key(self, key):
        self._key = key

    def set_value(self, value):
        self._value = value

    # the rest of confluent-kafka's Message API (as types.Message)
    def set_topic(self, topic):
        self._topic = topic

    def set_headers(self, headers):
        self._headers = headers

    def set_error(self, error):
        self._error = error

    def deserialized_key(self):
        return self._key

    def deserialized_value(self):
        return self._value

    def latency(self):
        return None

    def delivery_count(self):
        return None

    def __len__(self):
        return len(self._value) if isinstance(self._value, (bytes, bytearray, str)) else 0

    def __repr__(self):
        where = f"{self._topic}-{self._partition}@{self._offset}"
        return f"Message({where}, key={self._key!r}, value={self._value!r}{', error=' + str(self._error) if self._error else ''})"


# ---- varints ----------------------------------------------------------------------------------------------
# A zig-zag varint of up to 10 bytes. Python's reference decodes any 10-byte varint exactly (big ints); here
# the value is an int64 and `overflow` says the 10th byte carried bits beyond 64. Only the sign of such a
# value (bit 0, from the first byte) is used: every length it could be is out of range either way, and the
# two fields used as numbers (timestamp and offset deltas) are decoded again as Python ints.

cdef struct Cursor:
    const unsigned char *data
    Py_ssize_t n
    Py_ssize_t q
    bint overflow


cdef int _truncated() except -1:
    raise CorruptMessage("record batch is truncated")


cdef inline int64_t read_varint(Cursor *c) except? -1:
    cdef uint64_t raw = 0
    cdef unsigned int shift = 0
    cdef unsigned char b
    c.overflow = False
    while True:
        if c.q >= c.n:
            _truncated()
        b = c.data[c.q]
        c.q += 1
        if shift == 63:
            if b & 0x7E:
                c.overflow = True
            raw |= (<uint64_t>(b & 1)) << 63
        else:
            raw |= (<uint64_t>(b & 0x7F)) << shift
        if b < 0x80:
            return <int64_t>(raw >> 1) ^ -(<int64_t>(raw & 1))
        shift += 7
        if shift > 63:
            raise CorruptMessage("varint longer than 10 bytes")


cdef object exact_varint(const unsigned char *data, Py_ssize_t start):
    """The exact (Python int) value of the well-formed varint at `start` (already read once by read_varint)."""
    cdef object raw = 0
    cdef int shift = 0
    cdef unsigned char b
    while True:
        b = data[start]
        start += 1
        raw |= (<object>(b & 0x7F)) << shift
        if b < 0x80:
            return (raw >> 1) ^ -(raw & 1)
        shift += 7


cdef inline object add_exact(int64_t a, int64_t b):
    cdef long long r
    if add_overflow(a, b, &r):
        return (<object>a) + (<object>b)
    return r


cdef inline object read_bytes(Cursor *c, int64_t size):
    """The `size` bytes at the cursor; the caller has checked size >= 0 and not overflow."""
    if size > c.n - c.q:
        _truncated()
    cdef object out = PyBytes_FromStringAndSize(<const char *>(c.data + c.q), size)
    c.q += size
    return out


# ---- record decoding ----------------------------------------------------------------------------------


def decode_into(
    list out,
    const unsigned char[::1] data not None,
    Py_ssize_t count,
    int64_t base_offset,
    int64_t base_ts,
    log_append_ts,
    position,
    topic,
    partition,
    leader_epoch,
    key_fn,
    value_fn,
):
    """Appends a Message for each record at or after `position` (same contract as record_codec.decode_into)."""
    cdef Cursor c
    cdef Py_ssize_t i, h, end, start, first = len(out)
    cdef int64_t length, tsd, od, klen, vlen, hcount, hk, hv
    cdef bint big_tsd, big_od
    cdef object key, value, headers, offset, ts, name, hval
    cdef object ts_type = TIMESTAMP_CREATE_TIME if log_append_ts is None else TIMESTAMP_LOG_APPEND_TIME
    cdef Message m
    cdef long long off
    cdef object tsd_obj = None, od_obj = None
    cdef bint small_position = type(position) is int and -(1 << 63) <= position < (1 << 63)
    cdef int64_t pos64 = position if small_position else 0
    c.data = &data[0] if data.shape[0] else NULL
    c.n = data.shape[0]
    c.q = 0
    for i in range(count):
        length = read_varint(&c)
        if c.overflow or length < 0 or length > c.n - c.q:
            raise CorruptMessage("record length runs past the batch")
        end = c.q + length
        c.q += 1  # attributes
        start = c.q
        tsd = read_varint(&c)
        big_tsd = c.overflow
        if big_tsd:
            tsd_obj = exact_varint(c.data, start)
        start = c.q
        od = read_varint(&c)
        big_od = c.overflow
        if big_od:
            od_obj = exact_varint(c.data, start)
        klen = read_varint(&c)
        if klen >= 0:  # the sign is exact even when the varint overflows
            if c.overflow:
                _truncated()
            key = read_bytes(&c, klen)
        else:
            key = None
        vlen = read_varint(&c)
        if vlen >= 0:
            if c.overflow:
                _truncated()
            value = read_bytes(&c, vlen)
        else:
            value = None
        if c.q >= c.n:
            _truncated()
        headers = None
        if c.data[c.q] != 0:
            hcount = read_varint(&c)
            if c.overflow or hcount < 0 or hcount > end - c.q:
                raise CorruptMessage("record header count does not fit the record")
            headers = []
            for h in range(hcount):
                hk = read_varint(&c)
                if c.overflow or hk < 0 or hk > end - c.q:
                    raise CorruptMessage("record header key does not fit the record")
                name = PyUnicode_DecodeUTF8(<const char *>(c.data + c.q), hk, "replace")
                c.q += hk
                hv = read_varint(&c)
                if hv >= 0:
                    if c.overflow or hv > end - c.q:
                        raise CorruptMessage("record header value does not fit the record")
                    hval = PyBytes_FromStringAndSize(<const char *>(c.data + c.q), hv)
                    c.q += hv
                else:
                    hval = None
                PyList_Append(headers, (name, hval))
            if c.q != end:
                raise CorruptMessage("record fields do not match its length")
        elif c.q + 1 != end:
            raise CorruptMessage("record fields do not match its length")
        c.q = end
        if big_od:
            offset = base_offset + od_obj
            if offset < position:
                continue
        elif add_overflow(base_offset, od, &off):
            offset = (<object>base_offset) + (<object>od)
            if offset < position:
                continue
        else:
            if (off < pos64) if small_position else (off < position):
                continue
            offset = off
        if log_append_ts is None:
            ts = base_ts + tsd_obj if big_tsd else add_exact(base_ts, tsd)
        else:
            ts = log_append_ts
        m = Message.__new__(Message)
        m._topic = topic
        m._partition = partition
        m._offset = offset
        m._key = key
        m._value = value
        m._headers = headers
        m._ts_type = ts_type
        m._ts = ts
        m._error = None
        m._leader_epoch = leader_epoch
        PyList_Append(out, m)
    if key_fn is not None or value_fn is not None:
        for m in out[first:]:  # a copy: a deserializer may do anything to `out`, reads stay in bounds
            if key_fn is not None:
                m._key = key_fn(m._key)
            if value_fn is not None:
                m._value = value_fn(m._value)


# ---- batch building (producer) ------------------------------------------------------------------------

cdef enum:
    BATCH_HEADER_SIZE = 61
    LOG_OVERHEAD = 12
    CRC_START = 21


cdef inline Py_ssize_t varint_size(uint64_t raw) noexcept nogil:
    cdef Py_ssize_t n = 1
    while raw > 0x7F:
        raw >>= 7
        n += 1
    return n


cdef inline uint64_t zigzag(int64_t v) noexcept nogil:
    return (<uint64_t>v << 1) ^ <uint64_t>(v >> 63)


cdef inline void put_be(unsigned char *p, uint64_t v, int width) noexcept nogil:
    cdef int i
    for i in range(width):
        p[width - 1 - i] = <unsigned char>(v & 0xFF)
        v >>= 8


cdef inline int64_t now_ms() noexcept nogil:
    cdef timespec t
    clock_gettime(CLOCK_REALTIME, &t)
    return <int64_t>t.tv_sec * 1000 + t.tv_nsec // 1000000


cdef class BatchWriter:
    """Accumulates records of one partition and builds one v2 batch (same bytes as record_codec.BatchWriter)."""

    cdef public int codec
    cdef public Py_ssize_t count
    cdef public int64_t base_ts
    cdef public int64_t max_ts
    cdef public int64_t producer_id
    cdef public int producer_epoch
    cdef public int base_sequence
    cdef unsigned char *buf
    cdef Py_ssize_t size
    cdef Py_ssize_t cap

    def __cinit__(self, int codec=0):
        self.codec = codec
        self.count = 0
        self.base_ts = 0
        self.max_ts = -1
        self.producer_id = -1
        self.producer_epoch = -1
        self.base_sequence = -1
        self.buf = NULL
        self.size = 0
        self.cap = 0

    def __dealloc__(self):
        PyMem_Free(self.buf)

    def __len__(self):
        return self.count

    @property
    def estimated_size(self):
        return BATCH_HEADER_SIZE + self.size

    @property
    def body(self):
        """The records section so far (uncompressed)."""
        return PyBytes_FromStringAndSize(<const char *>self.buf, self.size)

    cdef int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t want = self.size + extra
        cdef Py_ssize_t cap = self.cap or 1024
        cdef unsigned char *grown
        if want <= self.cap:
            return 0
        while cap < want:
            cap *= 2
        grown = <unsigned char *>PyMem_Realloc(self.buf, cap)
        if grown == NULL:
            raise MemoryError()
        self.buf = grown
        self.cap = cap
        return 0

    cdef inline void put_varint(self, uint64_t raw) noexcept:
        while raw > 0x7F:
            self.buf[self.size] = <unsigned char>((raw & 0x7F) | 0x80)
            self.size += 1
            raw >>= 7
        self.buf[self.size] = <unsigned char>raw
        self.size += 1

    cdef inline void put(self, const char *data, Py_ssize_t n) noexcept:
        memcpy(self.buf + self.size, data, n)
        self.size += n

    def append(self, value, key, timestamp, headers):
        self.add(value, key, timestamp, headers)

    cdef int add(self, value, key, timestamp, headers) except -1:
        cdef int64_t ts = now_ms() if timestamp is None else timestamp
        cdef bytes kb = None, vb = None, hb = None
        cdef Py_ssize_t klen = 0, vlen = 0, hlen = 1, length
        cdef uint64_t tsd, od, kz, vz
        if key is not None:
            kb = key if type(key) is bytes else bytes(key)
            klen = PyBytes_GET_SIZE(kb)
        if value is not None:
            vb = value if type(value) is bytes else bytes(value)
            vlen = PyBytes_GET_SIZE(vb)
        if headers:
            hb = encode_headers(headers)
            hlen = PyBytes_GET_SIZE(hb)
        if self.count == 0:
            self.base_ts = ts
        if ts > self.max_ts:
            self.max_ts = ts
        tsd = zigzag(ts - self.base_ts)
        od = zigzag(self.count)
        kz = 1 if kb is None else zigzag(klen)
        vz = 1 if vb is None else zigzag(vlen)
        length = 1 + varint_size(tsd) + varint_size(od) + varint_size(kz) + klen + varint_size(vz) + vlen + hlen
        self.reserve(length + 10)
        self.put_varint(zigzag(length))
        self.buf[self.size] = 0  # attributes
        self.size += 1
        self.put_varint(tsd)
        self.put_varint(od)
        self.put_varint(kz)
        if kb is not None:
            self.put(PyBytes_AS_STRING(kb), klen)
        self.put_varint(vz)
        if vb is not None:
            self.put(PyBytes_AS_STRING(vb), vlen)
        if hb is None:
            self.buf[self.size] = 0
            self.size += 1
        else:
            self.put(PyBytes_AS_STRING(hb), hlen)
        self.count += 1
        return 0

    def build(self):
        if self.count == 0:
            raise ValueError("a record batch needs at least one record")
        cdef bytes payload = PyBytes_FromStringAndSize(<const char *>self.buf, self.size)
        if self.codec:
            payload = bytes(compression.compress(self.codec, payload))
        cdef Py_ssize_t plen = PyBytes_GET_SIZE(payload)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, BATCH_HEADER_SIZE + plen)
        cdef unsigned char *p = <unsigned char *>PyBytes_AS_STRING(out)
        put_be(p, 0, 8)  # base offset: the broker's to assign
        put_be(p + 8, <uint64_t>(BATCH_HEADER_SIZE - LOG_OVERHEAD + plen), 4)
        put_be(p + 12, <uint64_t><int64_t>-1, 4)  # partition leader epoch
        p[16] = 2  # magic
        put_be(p + 21, <uint64_t>(self.codec & 0x07), 2)
        put_be(p + 23, <uint64_t>(self.count - 1), 4)
        put_be(p + 27, <uint64_t>self.base_ts, 8)
        put_be(p + 35, <uint64_t>self.max_ts, 8)
        put_be(p + 43, <uint64_t>self.producer_id, 8)
        put_be(p + 51, <uint64_t>self.producer_epoch, 2)
        put_be(p + 53, <uint64_t>self.base_sequence, 4)
        put_be(p + 57, <uint64_t>self.count, 4)
        memcpy(p + BATCH_HEADER_SIZE, PyBytes_AS_STRING(payload), plen)
        cdef uint32_t crc = _crc32c.crc32c(memoryview(out)[CRC_START:])
        put_be(p + 17, crc, 4)
        return out


cdef bytes encode_headers(headers):
    """Record headers as the v2 format writes them (count, then key/value pairs); the rare path."""
    out = bytearray()
    _put_zz(out, len(headers))
    for name, value in headers:
        raw = name.encode()
        _put_zz(out, len(raw))
        out += raw
        if value is None:
            out += b"\x01"
        else:
            _put_zz(out, len(value))
            out += value
    return bytes(out)


cdef void _put_zz(bytearray out, int64_t v):
    cdef uint64_t raw = zigzag(v)
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)


# ---- the producer's produce() path (twins of partitioner.murmur2, accumulator.append_record / deliver_batch) --

import random as _random
from collections import deque as _deque

cdef int RECORD_OVERHEAD = 70  # accumulator.RECORD_OVERHEAD


cpdef int murmur2(const unsigned char[::1] data):
    """Kafka's Utils.murmur2 (seed 0x9747b28c) as a signed 32-bit int (partitioner.murmur2)."""
    if data.shape[0] == 0:
        return _murmur2(NULL, 0)
    return _murmur2(&data[0], data.shape[0])


cdef inline int _murmur2(const unsigned char *data, Py_ssize_t length) noexcept:
    """murmur2 over a byte pointer: append_record hashes the key's bytes without a memoryview (acquiring one
    cost more than the hash of a short key)."""
    cdef Py_ssize_t i, i4, tail
    cdef uint32_t m = 0x5BD1E995, h, k
    h = 0x9747B28C ^ <uint32_t>length
    for i in range(length // 4):
        i4 = i * 4
        k = data[i4] | (<uint32_t>data[i4 + 1] << 8) | (<uint32_t>data[i4 + 2] << 16) | (<uint32_t>data[i4 + 3] << 24)
        k *= m
        k ^= k >> 24
        k *= m
        h *= m
        h ^= k
    tail = length & ~3
    i = length % 4
    if i == 3:
        h ^= <uint32_t>data[tail + 2] << 16
    if i >= 2:
        h ^= <uint32_t>data[tail + 1] << 8
    if i >= 1:
        h ^= data[tail]
        h *= m
    h ^= h >> 13
    h *= m
    h ^= h >> 15
    return <int>h


@cython.freelist(1024)
@cython.no_gc
cdef class Delivery:
    """What a record's delivery report needs (accumulator.append_record's tuple): the callback and the
    record as given. Not tracked by the cyclic collector: hundreds of thousands wait in open batches,
    and walking them made the collector a quarter of produce()'s time."""

    cdef public object cb
    cdef public object key
    cdef public object value
    cdef public object headers
    cdef public object timestamp


cdef list _header_list(headers):
    items = headers.items() if hasattr(headers, "items") else headers
    return [(k, v.encode() if isinstance(v, str) else v) for k, v in items]


def append_record(acc, dict topics, topic, value, key, Py_ssize_t partition, timestamp, headers, cb, Py_ssize_t max_request_size):
    """accumulator.append_record, compiled: same checks, same partition, same batch, same bytes."""
    cdef Py_ssize_t n, size, p, klen = 0, vlen = 0
    cdef BatchWriter builder
    cdef Delivery entry
    cdef object record_headers = None, rv = value, rk = key
    if rv is not None and type(rv) is not bytes:
        if type(rv) is not str:
            return False
        rv = (<str>rv).encode()
    if rk is not None and type(rk) is not bytes:
        if type(rk) is not str:
            return False
        rk = (<str>rk).encode()
    info = topics.get(topic)
    if info is None:
        return False
    n = len(info.partitions)
    if n == 0 or partition >= n:
        return False
    if rk is not None:
        klen = PyBytes_GET_SIZE(rk)
    if rv is not None:
        vlen = PyBytes_GET_SIZE(rv)
    size = RECORD_OVERHEAD + klen + vlen
    if headers:
        record_headers = _header_list(headers)
        for hk, hv in record_headers:
            size += len(hk) + (len(hv) if hv else 0)
    if size > max_request_size:
        return False
    if partition >= 0:
        p = partition
    elif rk is not None and not acc.ignore_keys:
        p = (_murmur2(<const unsigned char *>PyBytes_AS_STRING(rk), klen) & 0x7FFFFFFF) % n
    else:
        sticky = acc.sticky
        cur = sticky.get(topic)
        if cur is None or cur >= n:
            cur = _random.randrange(n)
            sticky[topic] = cur
        p = cur
    tp = (topic, p)
    batches = acc.batches
    queue = batches.get(tp)
    if queue is None:
        queue = _deque()
        batches[tp] = queue
    batch = queue[len(queue) - 1] if queue else None  # (wraparound is off: no negative index)
    if batch is not None and not batch.closed and (<BatchWriter>batch.builder).size + BATCH_HEADER_SIZE + size > acc.batch_size:
        batch.closed = True
    if batch is None or batch.closed:
        batch = acc.new_batch(tp, queue)
    builder = <BatchWriter>batch.builder
    builder.add(rv, rk, timestamp, record_headers)
    if cb is None:
        batch.entries.append(None)
    else:
        entry = Delivery.__new__(Delivery)
        entry.cb = cb
        entry.key = key
        entry.value = value
        entry.headers = headers
        entry.timestamp = timestamp
        batch.entries.append(entry)
    batch.nbytes += size
    acc.buffered_bytes += size
    pending = acc.pending + 1
    acc.pending = pending
    if pending == 1:
        acc.idle.clear()
    if builder.size + BATCH_HEADER_SIZE >= acc.batch_size:
        acc.batch_full(batch, rk is None)
    return True


def deliver_batch(list entries, tp, error, int64_t base_offset, int64_t append_time, message_cls):
    """accumulator.deliver_batch, compiled: one Message per record with a callback, made without __init__."""
    cdef Py_ssize_t i, count = len(entries)
    cdef Delivery d
    cdef Message m
    topic, partition = tp
    for i in range(count):
        entry = entries[i]
        if entry is None:
            continue
        entries[i] = None
        if type(entry) is Delivery or isinstance(entry, tuple):
            if type(entry) is Delivery:
                d = <Delivery>entry
            else:
                d = Delivery.__new__(Delivery)
                d.cb, d.key, d.value, d.headers, d.timestamp = entry[0], entry[1], entry[2], entry[3], entry[4]
            if message_cls is Message:
                m = Message.__new__(Message)
                m._topic = topic
                m._partition = partition
                m._key = d.key
                m._value = d.value
                m._headers = _header_list(d.headers) if d.headers else None
                m._leader_epoch = None
                if error is None:
                    m._offset = base_offset + i if base_offset >= 0 else -1
                    if append_time >= 0:
                        m._ts_type = TIMESTAMP_LOG_APPEND_TIME
                        m._ts = append_time
                    else:
                        m._ts_type = TIMESTAMP_CREATE_TIME
                        m._ts = d.timestamp or -1
                    m._error = None
                else:
                    m._offset = None  # confluent's offset() of a failed record
                    m._ts_type = 0
                    m._ts = -1
                    m._error = error
                msg = m
            elif error is None:
                stamp = (TIMESTAMP_LOG_APPEND_TIME, append_time) if append_time >= 0 else (TIMESTAMP_CREATE_TIME, d.timestamp or -1)
                msg = message_cls(topic, partition, base_offset + i if base_offset >= 0 else -1, d.key, d.value,
                                  _header_list(d.headers) if d.headers else None, stamp)
            else:
                msg = message_cls(topic, partition, None, d.key, d.value,
                                  _header_list(d.headers) if d.headers else None, error=error)
            d.cb(error, msg)
        elif error is None:
            entry(None, _record_metadata(topic, partition, base_offset + i if base_offset >= 0 else -1, append_time))
        else:  # the partition is known: the error report names it
            entry(error, _record_metadata(topic, partition, -1, -1))
    return count


cdef object _RecordMetadata = None


cdef object _record_metadata(topic, partition, offset, ts):
    global _RecordMetadata
    if _RecordMetadata is None:
        from strom.client.types import RecordMetadata
        _RecordMetadata = RecordMetadata
    return _RecordMetadata(topic, partition, offset, ts)
