"""kafka-streams-application-reset.sh: reset a Kafka Streams application so it reprocesses its input, with
Kafka's StreamsResetter flags and messages: input topics' committed offsets moved (to the earliest offset by
default), intermediate topics skipped to their end, the application's internal topics deleted. Local state is
not touched: call KafkaStreams.cleanup() before restarting an instance."""

from __future__ import annotations

import argparse
import re
import sys
import time

from strom.cli.common import KafkaArgumentParser, admin_config, run
from strom.cli.kafka_consumer_groups import parse_datetime_ms, parse_duration_ms
from strom.client.admin import AsyncAdmin
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import leave_group
from strom.protocol.types import TP

EARLIEST, LATEST = -2, -1

USAGE = (
    "This tool helps to quickly reset an application in order to reprocess its data from scratch.\n"
    "* This tool resets offsets of input topics to the earliest available offset (by default), or to a specific defined position.\n"
    '* This tool deletes the internal topics that were created by Kafka Streams (topics starting with "<application.id>-").\n'
    "* This tool will not delete output topics, nor clean up the local state of the application instances: call "
    "KafkaStreams.cleanup() or delete the directory under state.dir.\n"
    "*** Warning! This tool makes irreversible changes to your application. Run it once with --dry-run first."
)

_FK_TOPIC = re.compile(r".+-KTABLE-FK-JOIN-SUBSCRIPTION-(REGISTRATION|RESPONSE)-\d+-topic$")


def matches_internal_topic_format(topic: str) -> bool:
    return (
        topic.endswith("-changelog")
        or topic.endswith("-repartition")
        or topic.endswith("-subscription-registration-topic")
        or topic.endswith("-subscription-response-topic")
        or _FK_TOPIC.match(topic) is not None
    )


def is_inferred_internal_topic(application_id: str, topic: str) -> bool:
    return topic.startswith(application_id + "-") and matches_internal_topic_format(topic)


def _list(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-streams-application-reset.sh", description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--application-id", required=True, help="REQUIRED: The Kafka Streams application ID (application.id).")
    p.add_argument(
        "--bootstrap-server",
        "--bootstrap-servers",
        dest="bootstrap_server",
        default="localhost:9092",
        help="The server(s) to connect to. (default: localhost:9092)",
    )
    p.add_argument(
        "--input-topics",
        type=_list,
        action="extend",
        default=[],
        help="Comma-separated list of user input topics. For these topics, the tool by default resets the offset to the earliest "
        "available offset.",
    )
    p.add_argument(
        "--intermediate-topics",
        type=_list,
        action="extend",
        default=[],
        help="[deprecated] Comma-separated list of intermediate user topics. The tool skips to the end of these topics.",
    )
    p.add_argument(
        "--internal-topics",
        type=_list,
        action="extend",
        default=[],
        help="Comma-separated list of internal topics to delete. Must be a subset of the internal topics marked for deletion by the "
        "default behaviour (do a dry-run without this option to view these topics).",
    )
    spec = p.add_mutually_exclusive_group()
    spec.add_argument("--to-offset", type=int, help="Reset offsets to a specific offset.")
    spec.add_argument("--to-datetime", help="Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'")
    spec.add_argument("--by-duration", help="Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'")
    spec.add_argument("--to-earliest", action="store_true", help="Reset offsets to earliest offset.")
    spec.add_argument("--to-latest", action="store_true", help="Reset offsets to latest offset.")
    spec.add_argument("--from-file", help="Reset offsets to values defined in CSV file.")
    spec.add_argument("--shift-by", type=int, help="Reset offsets shifting current offset by 'n', where 'n' can be positive or negative")
    p.add_argument(
        "--command-config",
        "--config-file",
        dest="command_config",
        help="Property file containing configs to be passed to admin clients and embedded consumer.",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="Force the removal of members of the consumer group (intended to remove stopped members if a long session timeout was "
        "used). Make sure to shut down all stream applications when this option is specified to avoid unexpected rebalances.",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="Display the actions that would be performed without executing the reset commands."
    )
    return p


class StreamsResetter:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin = AsyncAdmin(admin_config(args.bootstrap_server, args.command_config, "streams-resetter"))
        self.all_topics: list[str] = []

    async def execute(self) -> int:
        a = self.args
        await self.maybe_delete_active_consumers()
        self.all_topics = sorted(await self.admin.partitions_of())
        if a.dry_run:
            print("----Dry run displays the actions which will be performed when running Streams Reset Tool----")
        code = await self.maybe_reset_input_and_seek_to_end_intermediate()
        code |= await self.maybe_delete_internal_topics()
        return code

    async def maybe_delete_active_consumers(self) -> None:
        group_id = self.args.application_id
        described = await self.admin.describe_group(group_id)
        members = list(getattr(described, "members", []) or [])
        if not members:
            return
        if not self.args.force:
            listing = ", ".join(f"(memberId={m.member_id}, clientId={m.client_id}, host={m.client_host})" for m in members)
            raise ValueError(
                f"Consumer group '{group_id}' is still active and has following members: [{listing}]. "
                "Make sure to stop all running application instances before running the reset tool. "
                "You can use option '--force' to remove active members from the group."
            )
        print(f"Force deleting all active members in the group: {group_id}")
        conn = await self.admin.group_coordinator(group_id)
        resp = await conn.send(
            leave_group.LeaveGroupRequest(
                group_id=group_id,
                members=[
                    leave_group.MemberIdentity(
                        member_id=m.member_id, group_instance_id=m.group_instance_id, reason="removed by the reset tool"
                    )
                    for m in members
                ],
            )
        )
        if resp.error_code:
            raise KafkaError(resp.error_code, f"removing the members of group {group_id} failed")

    async def maybe_reset_input_and_seek_to_end_intermediate(self) -> int:
        a = self.args
        inputs: list[str] = list(dict.fromkeys(a.input_topics))
        intermediates: list[str] = list(dict.fromkeys(a.intermediate_topics))
        if not inputs and not intermediates:
            print("No input or intermediate topics specified. Skipping seek.")
            return 0
        if inputs:
            print(f"Reset-offsets for input topics [{', '.join(inputs)}]")
        if intermediates:
            print(f"Seek-to-end for intermediate topics [{', '.join(intermediates)}]")
        code = 0
        missing_in = [t for t in inputs if t not in self.all_topics]
        missing_mid = [t for t in intermediates if t not in self.all_topics]
        if missing_in:
            print("Following input topics are not found, skipping them")
            for t in missing_in:
                print(f"Topic: {t}")
            code = 1
        if missing_mid:
            print("Following intermediate topics are not found, skipping them")
            for t in missing_mid:
                print(f"Topic:{t}")
            code = 1
        present_in = [t for t in inputs if t not in missing_in]
        present_mid = [t for t in intermediates if t not in missing_mid]
        if not present_in and not present_mid:
            return code
        parts = await self.admin.partitions_of(present_in + present_mid)
        input_tps = sorted((t, p) for t in present_in for p in parts.get(t, []))
        mid_tps = sorted((t, p) for t in present_mid for p in parts.get(t, []))
        targets: dict[TP, int] = {}
        if input_tps:
            print(f"Following input topics offsets will be reset to (for consumer group {a.application_id})")
            targets.update(await self.input_targets(input_tps))
            for t, p in input_tps:
                print(f"Topic: {t} Partition: {p} Offset: {targets[(t, p)]}")
        if mid_tps:
            print(f"Following intermediate topics offsets will be reset to end (for consumer group {a.application_id})")
            for t in present_mid:
                print(f"Topic: {t}")
            targets.update(await self.offsets(mid_tps, LATEST))
        if not a.dry_run:
            failed = {tp: err for tp, err in (await self.admin.commit_offsets(a.application_id, targets)).items() if err}
            if failed:
                (t, p), err = sorted(failed.items())[0]
                print("ERROR: Resetting offsets failed.", file=sys.stderr)
                raise KafkaError(err, f"committing the offset of {t}-{p} failed")
        print("Done.")
        return code

    async def offsets(self, tps: list[TP], spec: int) -> dict[TP, int]:
        out = {}
        for tp, (err, off, _) in (await self.admin.list_offsets(tps, spec)).items():
            if err:
                raise KafkaError(err, f"cannot list offsets of {tp[0]}-{tp[1]}: {ErrorCode(err).message}")
            out[tp] = off
        return out

    async def input_targets(self, tps: list[TP]) -> dict[TP, int]:
        a = self.args
        earliest = await self.offsets(tps, EARLIEST)
        latest = await self.offsets(tps, LATEST)

        def checked(tp: TP, offset: int) -> int:
            if offset >= latest[tp]:
                if offset != latest[tp]:
                    print(f"New offset ({offset}) is higher than latest offset. Value will be set to {latest[tp]}")
                return latest[tp]
            if offset < earliest[tp]:
                print(f"New offset ({offset}) is lower than earliest offset. Value will be set to {earliest[tp]}")
                return earliest[tp]
            return offset

        if a.to_offset is not None:
            return {tp: checked(tp, a.to_offset) for tp in tps}
        if a.to_latest:
            return latest
        if a.shift_by is not None:
            committed = await self.admin.fetch_committed(a.application_id)
            return {tp: checked(tp, (committed[tp] if committed.get(tp, -1) >= 0 else earliest[tp]) + a.shift_by) for tp in tps}
        if a.to_datetime or a.by_duration:
            ts = parse_datetime_ms(a.to_datetime) if a.to_datetime else int(time.time() * 1000) - parse_duration_ms(a.by_duration)
            found = await self.admin.list_offsets(tps, ts)
            out = {}
            for tp in tps:
                err, off, _ = found[tp]
                if err or off < 0:
                    print(
                        f"Partition {tp[1]} from topic {tp[0]} is empty, without a committed record. Falling back to latest known offset."
                    )
                    out[tp] = latest[tp]
                else:
                    out[tp] = off
            return out
        if a.from_file:
            plan = parse_reset_plan(a.from_file)
            return {tp: checked(tp, plan[tp]) if tp in plan else earliest[tp] for tp in tps}
        return earliest

    async def maybe_delete_internal_topics(self) -> int:
        a = self.args
        inferred = [t for t in self.all_topics if is_inferred_internal_topic(a.application_id, t)]
        specified: list[str] = list(dict.fromkeys(a.internal_topics))
        if specified:
            if not set(specified) <= set(inferred):
                raise ValueError(
                    "Invalid topic specified in the --internal-topics option. Ensure that the topics specified are all internal topics. "
                    "Do a dry run without the --internal-topics option to see the list of all internal topics that can be deleted."
                )
            to_delete = specified
            print(f"Deleting specified internal topics [{', '.join(to_delete)}]")
        else:
            to_delete = inferred
            print(f"Deleting inferred internal topics [{', '.join(to_delete)}]")
        if not a.dry_run and to_delete:
            results = await self.admin.delete_topics(to_delete)
            failed = {t: e for t, e in results.items() if e is not None}
            for t, e in failed.items():
                print(f"ERROR: deleting topic {t}: {e}", file=sys.stderr)
            if failed:
                raise ValueError("Encountered an error deleting one or more topics")
        print("Done.")
        return 0


def parse_reset_plan(path: str) -> dict[TP, int]:
    """--from-file: lines `TOPIC,PARTITION,OFFSET`."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if not text.strip():
        raise ValueError("Error parsing reset plan CSV file. It is empty,")
    out: dict[TP, int] = {}
    for line in text.strip().splitlines():
        parts = line.split(",")
        if len(parts) != 3:
            raise ValueError("Reset plan CSV file is not following the format `TOPIC,PARTITION,OFFSET`.")
        out[(parts[0], int(parts[1]))] = int(parts[2])
    return out


async def main_async(args: argparse.Namespace) -> int:
    resetter = StreamsResetter(args)
    try:
        return await resetter.execute()
    finally:
        await resetter.admin.close()


def main(argv: list[str] | None = None) -> int:
    return run(main_async(build_parser().parse_args(argv)), timeout_s=120)


if __name__ == "__main__":
    sys.exit(main())
