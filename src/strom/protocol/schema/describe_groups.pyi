"""Types of strom.protocol.schema.describe_groups, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 15
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "5+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeGroupsRequest(Message):
    """API key 15, versions 0-5, flexible versions 5+."""

    groups: list[str] = ...
    """Versions 0+."""
    include_authorized_operations: bool = False
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeGroupsResponse(Message):
    """API key 15, versions 0-5, flexible versions 5+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    groups: list[DescribedGroup] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedGroup(Struct):
    """A struct of DescribeGroupsResponse."""

    error_code: int = 0
    """Versions 0+."""
    group_id: str = ""
    """Versions 0+."""
    group_state: str = ""
    """Versions 0+."""
    protocol_type: str = ""
    """Versions 0+."""
    protocol_data: str = ""
    """Versions 0+."""
    members: list[DescribedGroupMember] = ...
    """Versions 0+."""
    authorized_operations: int = -2147483648
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedGroupMember(Struct):
    """A struct of DescribeGroupsResponse."""

    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 4+; nullable in 4+."""
    client_id: str = ""
    """Versions 0+."""
    client_host: str = ""
    """Versions 0+."""
    member_metadata: Buffer = b""
    """Versions 0+."""
    member_assignment: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
