"""Group requests that reach a broker before its group coordinator has loaded __consumer_offsets (the listeners are
open during the load) are sent back to FindCoordinator instead of being answered from half the state."""

from __future__ import annotations

from strom.broker.broker import Broker
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import join_group as jg
from strom.protocol.schema import offset_fetch as of
from tests.unit.broker.test_admin_handlers import broker, call

__all__ = ["broker"]  # the fixture, shared with the admin handler tests


def test_offset_fetch_before_the_load_is_not_coordinator(broker: Broker) -> None:
    assert not broker.group_service.loaded
    request = of.OffsetFetchRequest(group_id="g", topics=[of.OffsetFetchRequestTopic(name="kept", partition_indexes=[0])])
    assert call(broker, request, of.OffsetFetchResponse, 7).error_code == ErrorCode.NOT_COORDINATOR


def test_join_group_before_the_load_is_not_coordinator(broker: Broker) -> None:
    request = jg.JoinGroupRequest(
        group_id="g",
        session_timeout_ms=10_000,
        rebalance_timeout_ms=10_000,
        member_id="",
        protocol_type="consumer",
        protocols=[jg.JoinGroupRequestProtocol(name="range", metadata=b"")],
    )
    assert call(broker, request, jg.JoinGroupResponse, 5).error_code == ErrorCode.NOT_COORDINATOR


def test_after_the_load_the_embedded_broker_coordinates_every_group(broker: Broker) -> None:
    broker.group_service.loaded = True
    assert broker.group_service.is_coordinator("g")
