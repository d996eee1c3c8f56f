"""The processors behind transform / flat_transform / transform_values / flat_transform_values (Java's
KStreamFlatTransform, KStreamTransformValues, KStreamFlatTransformValues) and KTable.transform_values
(KTableTransformValues): one transformer per task from the user's supplier, initialized with a TransformerContext."""

from __future__ import annotations

from typing import Any

from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.forwarding import TupleForwarder
from strom.streams.kstream.internals.table_processors import (
    KTableProcessorSupplier,
    StatelessTableSupplier,
    StoreValueGetterSupplier,
    ValueGetter,
    ValueGetterSupplier,
)
from strom.streams.kstream.transformer import TransformerContext, check_supplier, make_transformer, pairs_of, supplier_stores
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorContext, ProcessorSupplier, Record
from strom.streams.state.api import ValueAndTimestamp


class _TransformerSupplier(ProcessorSupplier[Any, Any, Any, Any]):
    def __init__(self, transformer_supplier: Any) -> None:
        check_supplier(transformer_supplier)
        self.transformer_supplier = transformer_supplier

    def stores(self) -> set[Any]:
        return supplier_stores(self.transformer_supplier)


class KStreamFlatTransform(_TransformerSupplier):
    """transform (one pair or None per record) and flat_transform (an iterable of pairs): a new key and value each."""

    def __init__(self, transformer_supplier: Any, flat: bool) -> None:
        super().__init__(transformer_supplier)
        self.flat = flat

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _FlatTransformProcessor(make_transformer(self.transformer_supplier), self.flat)


class _FlatTransformProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, transformer: Any, flat: bool) -> None:
        self.transformer = transformer
        self.flat = flat
        self.transformer_context: TransformerContext | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.transformer_context = TransformerContext(context, forwarding=True)
        self.transformer.init(self.transformer_context)

    def process(self, record: Record[Any, Any]) -> None:
        assert self.transformer_context is not None
        self.transformer_context.set_record(record.timestamp, record.headers)
        forward = self.context().forward
        for key, value in pairs_of(self.transformer.transform(record.key, record.value), self.flat):
            forward(Record(key, value, record.timestamp, record.headers))

    def close(self) -> None:
        self.transformer.close()


def _value_transform(transformer: Any) -> Any:
    """transform(key, value): a ValueTransformerWithKey as is, a ValueTransformer's transform(value) without the key."""
    return n.with_key(transformer.transform, 1)


class KStreamTransformValues(_TransformerSupplier):
    """transform_values (a new value per record) and flat_transform_values (an iterable of values); the key stays."""

    def __init__(self, transformer_supplier: Any, flat: bool) -> None:
        super().__init__(transformer_supplier)
        self.flat = flat

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _TransformValuesProcessor(make_transformer(self.transformer_supplier), self.flat)


class _TransformValuesProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, transformer: Any, flat: bool) -> None:
        self.transformer = transformer
        self.transform = _value_transform(transformer)
        self.flat = flat
        self.transformer_context: TransformerContext | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.transformer_context = TransformerContext(context, forwarding=False)
        self.transformer.init(self.transformer_context)

    def process(self, record: Record[Any, Any]) -> None:
        assert self.transformer_context is not None
        self.transformer_context.set_record(record.timestamp, record.headers)
        result = self.transform(record.key, record.value)
        if not self.flat:
            self.context().forward(record.with_value(result))
            return
        for value in result or ():
            self.context().forward(record.with_value(value))

    def close(self) -> None:
        self.transformer.close()


class KTableTransformValues(StatelessTableSupplier):
    """KTable.transform_values: the transformer sees every update, deletes (None) too; materialized when named."""

    def __init__(self, parent: KTableProcessorSupplier, transformer_supplier: Any, queryable_name: str | None) -> None:
        check_supplier(transformer_supplier)
        self.parent = parent
        self.transformer_supplier = transformer_supplier
        self.queryable_name = queryable_name

    def stores(self) -> set[Any]:
        return supplier_stores(self.transformer_supplier)

    def view(self) -> ValueGetterSupplier:
        if self.queryable_name is not None:
            return StoreValueGetterSupplier(self.queryable_name)
        return _TransformingGetterSupplier(self.parent.view(), self.transformer_supplier)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _KTableTransformValuesProcessor(self, make_transformer(self.transformer_supplier))


class _KTableTransformValuesProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, supplier: KTableTransformValues, transformer: Any) -> None:
        self.supplier = supplier
        self.transformer = transformer
        self.transform = _value_transform(transformer)
        self.transformer_context: TransformerContext | None = None
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.transformer_context = TransformerContext(context, forwarding=False)
        self.transformer.init(self.transformer_context)
        if self.supplier.queryable_name is not None:
            self.store = context.get_state_store(self.supplier.queryable_name)
            self.forwarder = TupleForwarder(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record[Any, Change[Any]]) -> None:
        assert self.transformer_context is not None
        self.transformer_context.set_record(record.timestamp, record.headers)
        change = record.value
        new = self.transform(record.key, change.new_value)
        if self.store is not None and self.forwarder is not None:
            old_vat = self.store.get(record.key) if self.supplier.send_old_values else None
            old = None if old_vat is None else old_vat.value
            self.store.put(record.key, ValueAndTimestamp.make(new, record.timestamp))
            self.forwarder.maybe_forward(record.with_value(Change(new, old, change.is_latest)))
            return
        old = self.transform(record.key, change.old_value) if self.supplier.send_old_values else None
        self.context().forward(record.with_value(Change(new, old, change.is_latest)))

    def close(self) -> None:
        self.transformer.close()


class _TransformingGetterSupplier(ValueGetterSupplier):
    """Reads a non-materialized transformed table: the parent's value through a transformer of its own."""

    def __init__(self, parent_view: ValueGetterSupplier, transformer_supplier: Any) -> None:
        self.parent_view = parent_view
        self.transformer_supplier = transformer_supplier

    def get(self) -> ValueGetter:
        return _TransformingGetter(self.parent_view.get(), make_transformer(self.transformer_supplier))

    def store_names(self) -> list[str]:
        return self.parent_view.store_names()


class _TransformingGetter(ValueGetter):
    def __init__(self, inner: ValueGetter, transformer: Any) -> None:
        self.inner = inner
        self.transformer = transformer
        self.transform = _value_transform(transformer)
        self.transformer_context: TransformerContext | None = None

    def init(self, context: ProcessorContext) -> None:
        self.inner.init(context)
        self.transformer_context = TransformerContext(context, forwarding=False)
        self.transformer.init(self.transformer_context)

    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        vat = self.inner.get(key)
        timestamp = -1 if vat is None else vat.timestamp  # Java: no offset, topic or partition for a lookup
        if self.transformer_context is not None:
            self.transformer_context.set_record(timestamp, None)
        return ValueAndTimestamp.make(self.transform(key, None if vat is None else vat.value), timestamp)

    def close(self) -> None:
        self.inner.close()
        self.transformer.close()
