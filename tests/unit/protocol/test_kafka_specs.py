"""Every schema table against Apache Kafka's own message specs (the JSON files shipped inside kafka-clients jars).

Kafka's specs are the definition of the wire format, so they are the strongest oracle we have: for every API and
version we implement, the fields present (order, snake_case name, type, nullability, tag) must be Kafka's. The
jars (3.9.1 and 2.8.1) come from Maven Central, fetched once into the cache (strom.testing.apache_kafka). Where
Maven cannot fetch one, the checks of that release skip with the reason, except under CI (the `CI` variable set),
where a missing jar is an error: these checks must not vanish unseen.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from functools import cache
from pathlib import Path

import pytest

from strom.protocol import compiler
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES
from strom.testing.apache_kafka import KafkaUnavailable, kafka_clients_jar

RELEASES = ("2.8.1", "3.9.1")

# validVersions of every request in Apache Kafka 2.8.1 (from its kafka-clients jar): the floor of what we must cover.
KAFKA_2_8_1_VERSIONS = {
    0: (0, 9), 1: (0, 12), 2: (0, 6), 3: (0, 11), 4: (0, 5), 5: (0, 3), 6: (0, 7), 7: (0, 3), 8: (0, 8), 9: (0, 7),
    10: (0, 3), 11: (0, 7), 12: (0, 4), 13: (0, 4), 14: (0, 5), 15: (0, 5), 16: (0, 4), 17: (0, 1), 18: (0, 3),
    19: (0, 7), 20: (0, 6), 21: (0, 2), 22: (0, 4), 23: (0, 4), 24: (0, 3), 25: (0, 3), 26: (0, 3), 27: (0, 1),
    28: (0, 3), 29: (0, 2), 30: (0, 2), 31: (0, 2), 32: (0, 4), 33: (0, 2), 34: (0, 2), 35: (0, 2), 36: (0, 2),
    37: (0, 3), 38: (0, 2), 39: (0, 2), 40: (0, 2), 41: (0, 2), 42: (0, 2), 43: (0, 2), 44: (0, 1), 45: (0, 0),
    46: (0, 0), 47: (0, 0), 48: (0, 1), 49: (0, 1), 50: (0, 0), 51: (0, 0), 52: (0, 0), 53: (0, 0), 54: (0, 0),
    55: (0, 0), 56: (0, 0), 57: (0, 0), 58: (0, 0), 59: (0, 0), 60: (0, 0),
}  # fmt: skip

# APIs Kafka renamed after 2.8: the older release's spec goes by the former name.
_FORMER_NAMES = {"AlterPartitionRequest": "AlterIsrRequest", "AlterPartitionResponse": "AlterIsrResponse"}

MESSAGES = [cls for table in (REQUEST_TYPES, RESPONSE_TYPES) for cls in table.values()]

# Versions newer than Kafka 3.9 that real clients require: librdkafka 2.10+ speaks the KIP-848 consumer protocol only
# over ConsumerGroupHeartbeat v1 (Kafka 4.0). Versions up to 3.9's are still checked against 3.9's spec below.
BEYOND_3_9 = {"ConsumerGroupHeartbeatRequest": 1, "ConsumerGroupHeartbeatResponse": 1}


def _snake(name: str) -> str:
    name = name.replace("KRaft", "Kraft")
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name).lower()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@cache
def _jar(release: str) -> Path | str:
    """The release's kafka-clients jar, or why it cannot be had (asked once per run, not once per check)."""
    try:
        return kafka_clients_jar(release)
    except KafkaUnavailable as exc:
        return str(exc)


def _specs(release: str) -> dict[str, dict]:
    jar = _jar(release)
    if isinstance(jar, str):
        if _in_ci():
            pytest.fail(f"kafka-clients {release} jar is missing under CI: {jar}")
        pytest.skip(f"kafka-clients {release} jar is missing (fetched with Maven on first use): {jar}")
    return _read_specs(jar)


@cache
def _read_specs(jar: Path) -> dict[str, dict]:
    specs = {}
    with zipfile.ZipFile(jar) as zf:
        for info in zf.infolist():
            if info.filename.startswith("common/message/") and info.filename.endswith(".json"):
                text = re.sub(r"^\s*//.*$", "", zf.read(info).decode(), flags=re.M)
                spec, _ = json.JSONDecoder().raw_decode(text.strip())  # 2.8.1 has a file with a stray bracket
                specs[spec["name"]] = spec
    return specs


def _in(versions: str | None, version: int) -> bool:
    return version in compiler.Versions.parse(versions)


def _spec_shape(fields: list[dict], common: dict[str, list[dict]], version: int, flexible: bool) -> list[tuple]:
    shape = []
    for f in fields:
        if not _in(f.get("versions", "0+"), version):
            continue
        if "tag" in f and not (flexible and _in(f.get("taggedVersions", f["versions"]), version)):
            continue
        type_name = f["type"]
        base = type_name[2:] if type_name.startswith("[]") else type_name
        sub = f.get("fields", common.get(base))
        kind = ("[]" if type_name.startswith("[]") else "") + ("struct" if sub is not None else base)
        children = _spec_shape(sub, common, version, flexible) if sub is not None else None
        shape.append((_snake(f["name"]), kind, _in(f.get("nullableVersions"), version), f.get("tag"), children))
    return shape


def _our_shape(cls: type, version: int) -> list[tuple]:
    regular, tagged = compiler._fields_in(cls, version)
    order = {f.name: i for i, f in enumerate(cls._FIELDS)}
    shape = []
    for f in sorted(regular + tagged, key=lambda f: order[f.name]):
        child = compiler.children_of(cls).get(f.name)
        kind = ("[]" if f.type.startswith("[]") else "") + ("struct" if child is not None else f.type.removeprefix("[]"))
        children = _our_shape(child, version) if child is not None else None
        shape.append((f.name, kind, _in(f.nullable, version), f.tag, children))
    return shape


def _unnamed(shape: list[tuple] | None) -> list[tuple] | None:
    if shape is None:
        return None
    # tagged fields were added since (ApiVersions' ZkMigrationReady), which older peers simply skip
    return [(kind, nullable, _unnamed(children)) for _, kind, nullable, tag, children in shape if tag is None]


def _spec_for(release: str, cls: type) -> dict | None:
    """The release's spec of `cls`; None for an API newer than 2.8.1 (checked to be newer: one 2.8.1 had
    under another name would otherwise go unchecked)."""
    specs = _specs(release)
    spec = specs.get(cls.__name__) or specs.get(_FORMER_NAMES.get(cls.__name__, ""))
    if spec is None and release == "2.8.1":
        assert cls.API_KEY not in KAFKA_2_8_1_VERSIONS, f"Kafka 2.8.1 has API key {cls.API_KEY} under another name"
    elif spec is None:
        pytest.skip(f"{cls.__name__} is not in Kafka {release}")
    return spec


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("cls", MESSAGES, ids=[c.__name__ for c in MESSAGES])
def test_table_matches_kafka_spec(cls, release):
    spec = _spec_for(release, cls)
    if spec is None:
        return
    assert spec["apiKey"] == cls.API_KEY
    valid = compiler.Versions.parse(spec["validVersions"])
    flexible = compiler.Versions.parse(spec.get("flexibleVersions", "none"))
    assert cls.MIN_VERSION == valid.low
    if release == "3.9.1":
        assert cls.MAX_VERSION <= BEYOND_3_9.get(cls.__name__, valid.high), "a version beyond Kafka 3.9's"
    common = {c["name"]: c["fields"] for c in spec.get("commonStructs", [])}
    for version in range(cls.MIN_VERSION, min(cls.MAX_VERSION, valid.high) + 1):
        is_flexible = version in flexible
        assert (version in cls._FLEXIBLE) == is_flexible, f"v{version} flexibility"
        expected = _spec_shape(spec["fields"], common, version, is_flexible)
        ours = _our_shape(cls, version)
        if release != "3.9.1":  # fields were renamed since and tagged fields added: compare the untagged wire
            expected, ours = _unnamed(expected), _unnamed(ours)
        assert ours == expected, f"{cls.__name__} v{version}"


def test_every_kafka_2_8_1_api_and_version_has_a_table():
    for api_key, (low, high) in KAFKA_2_8_1_VERSIONS.items():
        assert api_key in REQUEST_TYPES, f"api key {api_key} has no table"
        cls = REQUEST_TYPES[api_key]
        assert cls.MIN_VERSION <= low and cls.MAX_VERSION >= high, f"{cls.__name__} misses 2.8.1 versions {low}-{high}"
        assert api_key in RESPONSE_TYPES
