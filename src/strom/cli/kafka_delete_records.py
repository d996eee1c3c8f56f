"""kafka-delete-records.sh: move partitions' log start offsets forward, from Kafka's offset JSON file."""

from __future__ import annotations

import argparse
import json
import sys

from strom.cli.common import KafkaArgumentParser, admin_config, java_error, run
from strom.client.admin import AsyncAdmin
from strom.protocol.types import TP

EXAMPLE = '{"partitions":[{"topic": "foo", "partition": 1, "offset": 1}], "version":1}'


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-delete-records.sh",
        description="This tool helps to delete records of the given partitions down to the specified offset.",
    )
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The server to connect to.")
    p.add_argument(
        "--offset-json-file",
        required=True,
        help=f"REQUIRED: The JSON file with offset per partition. The format to use is: {EXAMPLE}",
    )
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


def parse_offset_json(text: str) -> dict[TP, int]:
    """Kafka's format; offset -1 means the high watermark. Duplicated partitions are an error, as in Kafka."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The input string is not a valid JSON: {exc}") from None
    if not isinstance(doc, dict) or "partitions" not in doc or not isinstance(doc["partitions"], list):
        raise ValueError(f"Missing partitions field in the offset JSON file. Expected format: {EXAMPLE}")
    out: dict[TP, int] = {}
    for entry in doc["partitions"]:
        try:
            tp = (str(entry["topic"]), int(entry["partition"]))
            offset = int(entry["offset"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"Invalid partition entry {json.dumps(entry)}: expected topic, partition and offset") from None
        if tp in out:
            raise ValueError(f"Offset json file contains duplicate topic partitions: {tp[0]}-{tp[1]}")
        out[tp] = offset
    return out


async def main_async(a: argparse.Namespace) -> int:
    try:
        with open(a.offset_json_file, encoding="utf-8") as f:
            offsets = parse_offset_json(f.read())
    except OSError as exc:
        raise ValueError(f"cannot read {a.offset_json_file}: {exc.strerror}") from None
    admin = AsyncAdmin(admin_config(a.bootstrap_server, a.command_config, "adminclient-delete-records"))
    try:
        print("Executing records delete operation")
        known = await admin.list_topics(sorted({t for t, _ in offsets}))
        existing = {(t.name, p.partition_index) for t in known.topics if not t.error_code for p in t.partitions}
        results: dict[TP, tuple[int, int]] = {tp: (3, -1) for tp in offsets if tp not in existing}
        present = {tp: off for tp, off in offsets.items() if tp in existing}
        if present:
            results.update(await admin.delete_records(present))
        print("Records delete operation completed:")
        for (topic, partition), (err, low) in sorted(results.items()):
            if err:
                print(f"partition: {topic}-{partition}\terror: {java_error(err)}")
            else:
                print(f"partition: {topic}-{partition}\tlow_watermark: {low}")
        return 0
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    return run(main_async(build_parser().parse_args(argv)), timeout_s=60)


if __name__ == "__main__":
    sys.exit(main())
