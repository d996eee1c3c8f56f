"""KTable processors and their value getters: source, filter, map_values, to_stream, the group_by re-keying,
and the adder/subtractor aggregation of a KGroupedTable. Table updates travel as Change(new, old)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from strom.streams.errors import StreamsException
from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.forwarding import TupleForwarder
from strom.streams.kstream.internals.stream_processors import _Supplier
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorContext, ProcessorSupplier, Record
from strom.streams.state.api import ValueAndTimestamp

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KTableSource")


def skip_null_key(context: ProcessorContext, log: logging.Logger) -> None:
    meta = context.record_metadata()
    if meta is not None:
        log.warning("Skipping record due to null key. topic=[%s] partition=[%d] offset=[%d]", meta.topic, meta.partition, meta.offset)
    else:
        log.warning("Skipping record due to null key. Topic, partition, and offset not known.")


class ValueGetter:
    """Reads a table's current value for a key (a ValueAndTimestamp or None)."""

    def init(self, context: ProcessorContext) -> None:
        pass

    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class ValueGetterSupplier:
    def get(self) -> ValueGetter:
        raise NotImplementedError

    def store_names(self) -> list[str]:
        raise NotImplementedError


class StoreValueGetterSupplier(ValueGetterSupplier):
    """The value of a materialized table: its timestamped store."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    @staticmethod
    def read(store: Any, key: Any) -> ValueAndTimestamp[Any] | None:
        result: ValueAndTimestamp[Any] | None = store.get(key)
        return result

    def get(self) -> ValueGetter:
        name, read = self.store_name, self.read

        class _Getter(ValueGetter):
            store: Any = None

            def init(self, context: ProcessorContext) -> None:
                self.store = context.get_state_store(name)

            def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
                return read(self.store, key)

        return _Getter()

    def store_names(self) -> list[str]:
        return [self.store_name]


class KTableProcessorSupplier(ProcessorSupplier[Any, Any, Any, Any]):
    """A table processor: it can send old values downstream (forcing its store if needed) and be read by key."""

    send_old_values = False

    def view(self) -> ValueGetterSupplier:
        raise NotImplementedError

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        raise NotImplementedError


class AggregateSupplier(KTableProcessorSupplier):
    """An aggregation: its own store holds the previous aggregate, so it can always send old values."""

    store_name: str

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        self.send_old_values = True
        return True


class AggregateProcessor(ContextualProcessor[Any, Any, Any, Any]):
    """An aggregation's processor: its store, and a forwarder that sends through the store's cache when it has one."""

    session_forwarding = False  # a session's updates carry the session's end as their time

    def __init__(self, supplier: Any) -> None:
        self.s = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.s.store_name)
        self.forwarder = TupleForwarder(self.store, context, self.s.send_old_values, session=self.session_forwarding)


# --- source ------------------------------------------------------------------------------------------------------


class KTableSource(KTableProcessorSupplier):
    def __init__(self, store_name: str, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name

    def materialize(self) -> None:
        self.queryable_name = self.store_name

    def materialized(self) -> bool:
        return self.queryable_name is not None

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        if force_materialization:
            self.materialize()
        self.send_old_values = True
        return True

    def view(self) -> ValueGetterSupplier:
        self.materialize()
        return StoreValueGetterSupplier(self.store_name)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _KTableSourceProcessor(self)


class _KTableSourceProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, supplier: KTableSource) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        if self.supplier.queryable_name is not None:
            self.store = context.get_state_store(self.supplier.queryable_name)
            self.forwarder = TupleForwarder(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record[Any, Any]) -> None:
        context = self.context()
        if record.key is None:
            skip_null_key(context, LOG)
            return
        if self.store is None or self.forwarder is None:
            context.forward(record.with_value(Change(record.value, None)))
            return
        old = self.store.get(record.key)
        if old is not None and record.timestamp < old.timestamp:
            meta = context.record_metadata()
            LOG.warning(
                "Detected out-of-order KTable update for %s, old timestamp=[%d] new timestamp=[%d]. topic=[%s] partition=[%s] offset=[%s].",
                self.supplier.store_name,
                old.timestamp,
                record.timestamp,
                meta.topic if meta else None,
                meta.partition if meta else None,
                meta.offset if meta else None,
            )
        self.store.put(record.key, ValueAndTimestamp.make(record.value, record.timestamp))
        self.forwarder.maybe_forward(record.with_value(Change(record.value, None if old is None else old.value)))


# --- stateless table operations (filter, map_values), materialized when asked ---------------------------------------


class StatelessTableSupplier(KTableProcessorSupplier):
    """A table operation with no store of its own unless materialized: old values come from its own store when it
    has one, else from its parent (Java's KTableMapValues and KTableTransformValues share this rule)."""

    parent: KTableProcessorSupplier
    queryable_name: str | None

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        if self.queryable_name is not None:
            self.send_old_values = True
            return True
        if self.parent.enable_sending_old_values(force_materialization):
            self.send_old_values = True
        return self.send_old_values


class KTableTransform(StatelessTableSupplier):
    """filter / filter_not / map_values on a table: `compute(key, value)` returns the new value or None."""

    def __init__(
        self, parent: KTableProcessorSupplier, compute: Callable[[Any, Any], Any], queryable_name: str | None, is_filter: bool
    ) -> None:
        self.parent = parent
        self.compute = compute
        self.queryable_name = queryable_name
        self.is_filter = is_filter

    def view(self) -> ValueGetterSupplier:
        if self.queryable_name is not None:
            return StoreValueGetterSupplier(self.queryable_name)
        parent_view = self.parent.view()
        compute = self.compute

        class _GetterSupplier(ValueGetterSupplier):
            def get(self) -> ValueGetter:
                inner = parent_view.get()

                class _Getter(ValueGetter):
                    def init(self, context: ProcessorContext) -> None:
                        inner.init(context)

                    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
                        vat = inner.get(key)
                        if vat is None:
                            return None
                        return ValueAndTimestamp.make(compute(key, vat.value), vat.timestamp)

                    def close(self) -> None:
                        inner.close()

                return _Getter()

            def store_names(self) -> list[str]:
                return parent_view.store_names()

        return _GetterSupplier()

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _KTableTransformProcessor(self)


class _KTableTransformProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, supplier: KTableTransform) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        if self.supplier.queryable_name is not None:
            self.store = context.get_state_store(self.supplier.queryable_name)
            self.forwarder = TupleForwarder(self.store, context, self.supplier.send_old_values)

    def _compute(self, key: Any, value: Any) -> Any:
        return None if value is None else self.supplier.compute(key, value)

    def process(self, record: Record[Any, Change[Any]]) -> None:
        change = record.value
        new = self._compute(record.key, change.new_value)
        send_old = self.supplier.send_old_values
        if self.store is not None and self.forwarder is not None:
            old_vat = self.store.get(record.key)
            old = None if old_vat is None else old_vat.value
            if self.supplier.is_filter and new is None and old is None:
                return
            self.store.put(record.key, ValueAndTimestamp.make(new, record.timestamp))
            self.forwarder.maybe_forward(record.with_value(Change(new, old, change.is_latest)))
            return
        old = self._compute(record.key, change.old_value) if send_old else None
        if self.supplier.is_filter and send_old and new is None and old is None:
            return
        self.context().forward(record.with_value(Change(new, old, change.is_latest)))


def to_stream_supplier(mapper: Callable[[Any, Any], Any] | None = None) -> ProcessorSupplier[Any, Any, Any, Any]:
    """KTable.to_stream(): each update's new value (None for a delete), or `mapper(key, new_value)`."""

    class _ToStream(ContextualProcessor[Any, Any, Any, Any]):
        def process(self, record: Record[Any, Change[Any]]) -> None:
            value = record.value.new_value
            if mapper is not None:
                self.context().forward(record.with_key(mapper(record.key, value)).with_value(value))
            else:
                self.context().forward(record.with_value(value))

    return _Supplier(_ToStream)


# --- group_by: re-key each update, old value first --------------------------------------------------------------


class KTableRepartitionMap(ProcessorSupplier[Any, Any, Any, Any]):
    def __init__(self, parent: KTableProcessorSupplier, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper
        self.changed_serializers: list[Any] = []  # of the repartition sink: inner default serde set at init

    def get(self) -> Processor[Any, Any, Any, Any]:
        mapper = self.mapper
        serializers = self.changed_serializers

        class _Map(ContextualProcessor[Any, Any, Any, Any]):
            def init(self, context: ProcessorContext) -> None:
                super().init(context)
                for s in serializers:
                    if s.inner is None:
                        s.inner = context.value_serde.serializer()

            def process(self, record: Record[Any, Change[Any]]) -> None:
                if record.key is None:
                    raise StreamsException("Record key for the grouping KTable should not be null.")
                change = record.value
                new = None if change.new_value is None else mapper(record.key, change.new_value)
                old = None if change.old_value is None else mapper(record.key, change.old_value)
                old_ok = old is not None and old[0] is not None and old[1] is not None
                new_ok = new is not None and new[0] is not None and new[1] is not None
                ctx = self.context()
                if old_ok and new_ok and old is not None and new is not None and old[0] == new[0]:
                    ctx.forward(record.with_key(old[0]).with_value(Change(new[1], old[1], change.is_latest)))
                    return
                if old_ok and old is not None:
                    ctx.forward(record.with_key(old[0]).with_value(Change(None, old[1], change.is_latest)))
                if new_ok and new is not None:
                    ctx.forward(record.with_key(new[0]).with_value(Change(new[1], None, change.is_latest)))

        return _Map()


# --- KGroupedTable aggregate / reduce ---------------------------------------------------------------------------


class KTableAggregate(AggregateSupplier):
    """Adder/subtractor aggregation; `initializer` None makes it a reduce (the first value is the aggregate)."""

    def __init__(
        self,
        store_name: str,
        initializer: Callable[[], Any] | None,
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name = store_name
        self.initializer = initializer
        self.adder = adder
        self.subtractor = subtractor
        self.changed_deserializers: list[Any] = []  # of the repartition source: inner default serde set at init

    def view(self) -> ValueGetterSupplier:
        return StoreValueGetterSupplier(self.store_name)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _KTableAggregateProcessor(self)


class _KTableAggregateProcessor(AggregateProcessor):
    s: KTableAggregate

    def init(self, context: ProcessorContext) -> None:
        for de in self.s.changed_deserializers:
            if de.inner is None:
                de.inner = context.value_serde.deserializer()
        super().init(context)

    def process(self, record: Record[Any, Change[Any]]) -> None:
        if record.key is None:
            raise StreamsException("Record key for KTable aggregate operator with state " + self.s.store_name + " should not be null.")
        change = record.value
        old_vat = self.store.get(record.key)
        old_agg = None if old_vat is None else old_vat.value
        new_ts = record.timestamp
        if change.old_value is not None and old_agg is not None:
            intermediate = self.s.subtractor(record.key, change.old_value, old_agg)
            new_ts = max(record.timestamp, old_vat.timestamp)
        else:
            intermediate = old_agg
        if change.new_value is not None:
            if intermediate is None:
                if self.s.initializer is None:
                    new_agg = change.new_value
                else:
                    new_agg = self.s.adder(record.key, change.new_value, self.s.initializer())
            else:
                new_agg = self.s.adder(record.key, change.new_value, intermediate)
            if old_vat is not None:
                new_ts = max(record.timestamp, old_vat.timestamp)
        else:
            new_agg = intermediate
        self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts))
        assert self.forwarder is not None
        self.forwarder.maybe_forward(Record(record.key, Change(new_agg, old_agg, change.is_latest), new_ts, record.headers))
