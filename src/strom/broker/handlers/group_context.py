"""The group service as the group handlers see it.

Imported lazily by type only: handlers are loaded while strom.broker.broker is still initialising, and
the group service imports the broker's start-up hooks, so a real import here would be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strom.broker.group_service import GroupService


def group_service(broker: Any) -> GroupService:
    """FindCoordinator answers COORDINATOR_NOT_AVAILABLE until the service exists, so clients reach
    the other group APIs only once it is loaded."""
    service: GroupService = broker.services["group"]
    return service
