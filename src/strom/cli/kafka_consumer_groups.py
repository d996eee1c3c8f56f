"""kafka-consumer-groups.sh: list, describe, delete consumer groups and reset their committed offsets,
with Kafka's flags, columns and messages."""

from __future__ import annotations

import argparse
import builtins
import re
import struct
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timezone

from strom.cli.common import KafkaArgumentParser, admin_config, java_error, run
from strom.client.admin import AsyncAdmin, delete_committed_offsets
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema.describe_groups import DescribedGroup, DescribedGroupMember
from strom.protocol.types import TP

EARLIEST, LATEST = -2, -1
RESET_WARNING = (
    "WARN: No action will be performed as the --execute option is missing. "
    "In a future major release, the default behavior of this command will be to prompt the user before executing the reset "
    "rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want "
    "to keep the current default behavior without prompting."
)


def build_parser() -> KafkaArgumentParser:
    p = KafkaArgumentParser(
        prog="kafka-consumer-groups.sh",
        description="This tool helps to list all consumer groups, describe a consumer group, delete "
        "consumer group info, or reset consumer group offsets.",
    )
    p.add_argument("--bootstrap-server", required=True, help="REQUIRED: The server(s) to connect to.")
    actions = p.add_mutually_exclusive_group(required=True)
    actions.add_argument("--list", action="store_true", help="List all consumer groups.")
    actions.add_argument("--describe", action="store_true", help="Describe consumer group and list offset lag related to given group.")
    actions.add_argument(
        "--delete", action="store_true", help="Pass in groups to delete topic partition offsets and ownership information."
    )
    actions.add_argument("--reset-offsets", action="store_true", help="Reset offsets of consumer group.")
    actions.add_argument("--delete-offsets", action="store_true", help="Delete offsets of consumer group. Supports one group at a time.")
    p.add_argument("--group", action="append", default=[], help="The consumer group we wish to act on.")
    p.add_argument("--all-groups", action="store_true", help="Apply to all consumer groups.")
    p.add_argument(
        "--topic", action="append", default=[], help="The topic whose consumer group information should be reset (topic or topic:0,1)."
    )
    p.add_argument("--all-topics", action="store_true", help="Consider all topics assigned to a group in the `reset-offsets` process.")
    p.add_argument("--to-earliest", action="store_true", help="Reset offsets to earliest offset.")
    p.add_argument("--to-latest", action="store_true", help="Reset offsets to latest offset.")
    p.add_argument("--to-current", action="store_true", help="Reset offsets to current offset.")
    p.add_argument("--to-offset", type=int, help="Reset offsets to a specific offset.")
    p.add_argument("--shift-by", type=int, help="Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.")
    p.add_argument("--to-datetime", help="Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'")
    p.add_argument("--by-duration", help="Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'")
    p.add_argument("--dry-run", action="store_true", help="Only show results without executing changes on Consumer Groups.")
    p.add_argument("--execute", action="store_true", help="Execute operation.")
    p.add_argument("--members", action="store_true", help="Describe members of the group.")
    p.add_argument(
        "--offsets", action="store_true", help="Describe the group and list all topic partitions in the group along with their offset lag."
    )
    p.add_argument("--state", nargs="?", const="", help="When specified with '--describe', includes the state of the group.")
    p.add_argument("--verbose", action="store_true", help="Provide additional information, if any, when describing the group.")
    p.add_argument("--timeout", type=int, default=5000, help="The timeout that can be set for some use cases (default: 5000 ms).")
    p.add_argument("--command-config", help="Property file containing configs to be passed to Admin Client.")
    return p


@dataclass(frozen=True, slots=True)
class OffsetRow:
    group: str
    topic: str
    partition: int
    current: int | None
    log_end: int | None
    consumer_id: str
    host: str
    client_id: str

    @property
    def lag(self) -> str:
        if self.current is None or self.log_end is None:
            return "-"
        return str(max(self.log_end - self.current, 0))


def decode_assignment(raw: bytes | bytearray | memoryview) -> list[TP]:
    """The consumer protocol's Assignment (version, [topic, [partition]], user data): which partitions a member owns."""
    data = bytes(raw)
    if len(data) < 6:
        return []
    out = []
    try:
        pos = 2
        (n_topics,) = struct.unpack_from(">i", data, pos)
        pos += 4
        for _ in range(max(n_topics, 0)):
            (name_len,) = struct.unpack_from(">h", data, pos)
            pos += 2
            name = data[pos : pos + name_len].decode()
            pos += name_len
            (n_parts,) = struct.unpack_from(">i", data, pos)
            pos += 4
            for _ in range(max(n_parts, 0)):
                out.append((name, struct.unpack_from(">i", data, pos)[0]))
                pos += 4
    except (struct.error, UnicodeDecodeError):
        return out
    return out


def _width(values: list[str], minimum: int = 15) -> int:
    return max([minimum, *(len(v) for v in values)])


def format_offsets(rows: list[OffsetRow]) -> list[str]:
    g = _width([r.group for r in rows])
    t = _width([r.topic for r in rows])
    c = _width([r.consumer_id for r in rows])
    h = _width([r.host for r in rows])

    def line(*cols: str) -> str:
        return (
            f"{cols[0]:<{g}} {cols[1]:<{t}} {cols[2]:<10} {cols[3]:<15} {cols[4]:<15} {cols[5]:<15} {cols[6]:<{c}} {cols[7]:<{h}} {cols[8]}"
        )

    out = [line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")]
    for r in rows:
        current = "-" if r.current is None else str(r.current)
        log_end = "-" if r.log_end is None else str(r.log_end)
        out.append(line(r.group, r.topic, str(r.partition), current, log_end, r.lag, r.consumer_id, r.host, r.client_id))
    return out


class GroupCommand:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin = AsyncAdmin(admin_config(args.bootstrap_server, args.command_config, "consumer-groups-command"))

    async def groups(self) -> list[str]:
        if self.args.all_groups:
            return [g.group_id for g in await self.admin.list_groups()]
        return list(dict.fromkeys(self.args.group))

    async def list(self) -> int:
        groups = await self.admin.list_groups()
        if self.args.state is None:
            for g in groups:
                print(g.group_id)
            return 0
        wanted = {s.strip().lower() for s in self.args.state.split(",") if s.strip()}
        selected = [g for g in groups if not wanted or g.group_state.lower() in wanted]
        width = _width([g.group_id for g in selected], 25)
        print(f"{'GROUP':<{width}} {'STATE':<20}")
        for g in selected:
            print(f"{g.group_id:<{width}} {g.group_state:<20}")
        return 0

    async def describe(self) -> int:
        a = self.args
        for group_id in await self.groups():
            described = await self.admin.describe_group(group_id)
            if described.group_state == "Dead":
                print(f"\nError: Consumer group '{group_id}' does not exist.", file=sys.stderr)
                continue
            if a.state is not None:
                self._print_state(described, await self._coordinator_text(group_id))
            elif a.members:
                self._print_members(described)
            else:
                await self._print_offsets(group_id, described)
            if not described.members and described.group_state in ("Empty", "Dead"):
                print(f"\nConsumer group '{group_id}' has no active members.", file=sys.stderr)
        return 0

    async def _coordinator_text(self, group_id: str) -> str:
        conn = await self.admin.group_coordinator(group_id)
        node = next((n for n, addr in self.admin.cluster.brokers.items() if addr == (conn.host, conn.port)), -1)
        return f"{conn.host}:{conn.port}  ({node})"

    def _print_state(self, d: DescribedGroup, coordinator: str) -> None:
        print()
        print(f"{'GROUP':<25} {'COORDINATOR (ID)':<25} {'ASSIGNMENT-STRATEGY':<20} {'STATE':<15} #MEMBERS")
        print(f"{d.group_id:<25} {coordinator:<25} {d.protocol_data:<20} {d.group_state:<15} {len(d.members)}")

    def _print_members(self, d: DescribedGroup) -> None:
        members = d.members
        gid = d.group_id
        g = _width([gid])
        c = _width([m.member_id for m in members])
        h = _width([m.client_host for m in members])
        cl = _width([m.client_id for m in members])
        header = f"{'GROUP':<{g}} {'CONSUMER-ID':<{c}} {'HOST':<{h}} {'CLIENT-ID':<{cl}} {'#PARTITIONS':<15} "
        print()
        print(header + ("ASSIGNMENT" if self.args.verbose else ""))
        for m in members:
            assigned = decode_assignment(m.member_assignment)
            row = f"{gid:<{g}} {m.member_id:<{c}} {m.client_host:<{h}} {m.client_id:<{cl}} {len(assigned):<15} "
            if self.args.verbose:
                by_topic: dict[str, list[int]] = {}
                for t, p in sorted(assigned):
                    by_topic.setdefault(t, []).append(p)
                row += ",".join(f"{t}({','.join(map(str, ps))})" for t, ps in by_topic.items()) or "-"
            print(row)

    async def _print_offsets(self, group_id: str, d: DescribedGroup) -> None:
        owners: dict[TP, DescribedGroupMember] = {}
        for m in d.members:
            for tp in decode_assignment(m.member_assignment):
                owners[tp] = m
        committed = await self.admin.fetch_committed(group_id)
        tps = sorted(set(committed) | set(owners))
        ends = await self.admin.list_offsets(tps, LATEST) if tps else {}
        rows = []
        for tp in tps:
            owner = owners.get(tp)
            err, end, _ = ends.get(tp, (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1))
            rows.append(
                OffsetRow(
                    group_id,
                    tp[0],
                    tp[1],
                    committed.get(tp),
                    end if not err else None,
                    owner.member_id if owner else "-",
                    owner.client_host if owner else "-",
                    owner.client_id if owner else "-",
                )
            )
        rows.sort(key=lambda r: (r.consumer_id == "-", r.consumer_id, r.topic, r.partition))
        print()
        for text in format_offsets(rows):
            print(text)

    async def delete(self) -> int:
        groups = await self.groups()
        results = await self.admin.delete_groups(groups)
        ok = [g for g in groups if results.get(g, 0) == 0]
        failed = {g: results[g] for g in groups if results.get(g, 0)}
        if not failed:
            print("Deletion of requested consumer groups (" + ", ".join(f"'{g}'" for g in ok) + ") was successful.")
            return 0
        print("\nError: Deletion of some consumer groups failed:")
        for g, code in failed.items():
            print(f"* Group '{g}' could not be deleted due to: {java_error(code)}")
        if ok:
            print("\nThese consumer groups were deleted successfully: " + ", ".join(f"'{g}'" for g in ok))
        return 0

    async def delete_offsets(self) -> int:
        """Kafka's --delete-offsets: one group, --topic t or t:0,1 (all partitions of t when none are given)."""
        groups = await self.groups()
        if len(groups) != 1 or not self.args.topic:
            return usage_error("Option [delete-offsets] takes the following options: [group] (one) and [topic]")
        group_id = groups[0]
        wanted: dict[str, list[int] | None] = {}
        for item in self.args.topic:
            name, _, parts = item.partition(":")
            wanted[name] = [int(x) for x in parts.split(",") if x.strip()] if parts else None
        unknown = [t for t, ps in wanted.items() if ps is None]
        try:
            known = await self.admin.partitions_of(unknown) if unknown else {}
        except KafkaError:
            known = {}
        tps = [(t, p) for t, ps in wanted.items() for p in (ps if ps is not None else known.get(t, [-1]))]
        group_error, results = await delete_committed_offsets(self.admin, group_id, [tp for tp in tps if tp[1] >= 0])
        if group_error == 0:
            print(f"Request succeed for deleting offsets with topic {', '.join(self.args.topic)} group {group_id}")
        elif group_error == ErrorCode.GROUP_ID_NOT_FOUND:
            print(f"\nError: '{group_id}' does not exist.")
        elif group_error == ErrorCode.NON_EMPTY_GROUP:
            print(f"\nError: Deleting offsets of a consumer group '{group_id}' is forbidden if the group is not empty.")
        else:
            print(f"\nError: Encounter some unknown error: {java_error(group_error)}")
        print()
        print(f"{'TOPIC':<30} {'PARTITION':<15} {'STATUS':<15}")
        for t, p in tps:
            code = group_error or results.get((t, p), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            status = "Successful" if code == 0 else f"Error: :{java_error(code)}"
            print(f"{t:<30} {str(p) if p >= 0 else 'Not Provided':<15} {status:<15}")
        return 0  # Kafka reports failures in the STATUS column and exits 0

    async def reset(self) -> int:
        a = self.args
        specs = [
            a.to_earliest,
            a.to_latest,
            a.to_current,
            a.to_offset is not None,
            a.shift_by is not None,
            bool(a.to_datetime),
            bool(a.by_duration),
        ]
        if sum(specs) != 1:
            return usage_error(
                "One of the reset specifications should be defined: --to-earliest, --to-latest, --to-current, --to-offset, "
                "--shift-by, --to-datetime or --by-duration."
            )
        if not a.topic and not a.all_topics:
            return usage_error("One of the reset scopes should be defined: --all-topics, --topic.")
        if a.dry_run and a.execute:
            return usage_error("Option [dry-run] and [execute] can't be used together.")
        all_rows: list[tuple[str, str, int, int]] = []
        for group_id in await self.groups():
            described = await self.admin.describe_group(group_id)
            if described.group_state not in ("Empty", "Dead"):
                print(
                    f"\nError: Assignments can only be reset if the group '{group_id}' is inactive, but the current state is "
                    f"{described.group_state}.",
                    file=sys.stderr,
                )
                continue
            targets = await self._reset_targets(group_id)
            if a.execute and targets:
                results = await self.admin.commit_offsets(group_id, targets)
                failed = {tp: code for tp, code in results.items() if code}
                if failed:
                    for (t, p), code in sorted(failed.items()):
                        print(f"Error: failed to reset {t}-{p} for group {group_id}: {java_error(code)}", file=sys.stderr)
                    return 1
            all_rows.extend((group_id, t, p, off) for (t, p), off in sorted(targets.items()))
        if all_rows:
            print()
            print(f"{'GROUP':<30} {'TOPIC':<30} {'PARTITION':<10} {'NEW-OFFSET':<15}")
            for g, t, p, off in all_rows:
                print(f"{g:<30} {t:<30} {p:<10} {off:<15}")
        if not a.dry_run and not a.execute:
            print(RESET_WARNING)
        return 0

    async def _reset_targets(self, group_id: str) -> dict[TP, int]:
        a = self.args
        committed = await self.admin.fetch_committed(group_id)
        if a.all_topics:
            tps = sorted(committed)
        else:
            tps = []
            wanted: dict[str, list[int] | None] = {}
            for item in a.topic:
                name, _, parts = item.partition(":")
                wanted[name] = [int(x) for x in parts.split(",") if x.strip()] if parts else None
            known = (
                await self.admin.partitions_of([t for t, ps in wanted.items() if ps is None])
                if any(ps is None for ps in wanted.values())
                else {}
            )
            for name, ps in wanted.items():
                tps.extend((name, p) for p in (ps if ps is not None else known.get(name, [])))
        if not tps:
            return {}
        earliest = await self._offsets(tps, EARLIEST)
        latest = await self._offsets(tps, LATEST)

        def clamp(tp: TP, off: int) -> int:
            return min(max(off, earliest[tp]), latest[tp])

        if a.to_earliest:
            return earliest
        if a.to_latest:
            return latest
        if a.to_current:
            return {tp: committed.get(tp, latest[tp]) for tp in tps}
        if a.to_offset is not None:
            return {tp: clamp(tp, a.to_offset) for tp in tps}
        if a.shift_by is not None:
            missing = [tp for tp in tps if tp not in committed]
            if missing:
                raise UsageError(
                    f"Cannot shift offset for partition {missing[0][0]}-{missing[0][1]} since there is no current committed offset"
                )
            return {tp: clamp(tp, committed[tp] + a.shift_by) for tp in tps}
        ts = parse_datetime_ms(a.to_datetime) if a.to_datetime else int(time.time() * 1000) - parse_duration_ms(a.by_duration)
        by_time = await self.admin.list_offsets(tps, ts)
        return {tp: (by_time[tp][1] if by_time[tp][1] >= 0 else latest[tp]) for tp in tps}

    async def _offsets(self, tps: builtins.list[TP], spec: int) -> dict[TP, int]:
        out = {}
        for tp, (err, off, _) in (await self.admin.list_offsets(tps, spec)).items():
            if err:
                raise KafkaError(err, f"cannot list offsets of {tp[0]}-{tp[1]}: {ErrorCode(err).message}")
            out[tp] = off
        return out


class UsageError(Exception):
    """A request Kafka's tool refuses with a message and its usage text (exit 1)."""


def usage_error(message: str) -> int:
    print(message, file=sys.stderr)
    build_parser().print_usage(sys.stderr)
    return 1


_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime_ms(text: str) -> int:
    """Kafka's --to-datetime: 'YYYY-MM-DDTHH:mm:SS.sss' with an optional zone (Z, +hh:mm); local time without one."""
    m = _DATETIME.match(text.strip())
    if not m:
        raise ValueError(f"Error parsing timestamp '{text}': expected format 'YYYY-MM-DDTHH:mm:SS.sss'")
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    millis = int((m.group(2) or ".0")[1:].ljust(3, "0"))
    zone = m.group(3)
    if zone:
        if zone == "Z":
            tz = UTC
        else:
            digits = zone[1:].replace(":", "")
            sign = -1 if zone[0] == "-" else 1
            from datetime import timedelta

            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        stamp = base.replace(tzinfo=tz).timestamp()
    else:
        stamp = base.timestamp()
    return int(stamp) * 1000 + millis


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration_ms(text: str) -> int:
    """ISO-8601 duration as Java's Duration.parse accepts it for --by-duration (PnDTnHnMnS)."""
    m = _DURATION.match(text.strip().upper())
    if not m or text.strip().upper() in ("P", "PT"):
        raise ValueError(f"Error parsing duration '{text}': expected format 'PnDTnHnMnS'")
    days, hours, minutes, seconds = (float(x) if x else 0.0 for x in m.groups())
    return int((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000)


async def main_async(args: argparse.Namespace) -> int:
    cmd = GroupCommand(args)
    try:
        if args.list:
            return await cmd.list()
        if not args.group and not args.all_groups:
            return usage_error("Option [group] takes one argument (or use --all-groups).")
        if args.describe:
            return await cmd.describe()
        if args.delete:
            return await cmd.delete()
        if args.reset_offsets:
            try:
                return await cmd.reset()
            except UsageError as exc:
                return usage_error(str(exc))
        return await cmd.delete_offsets()
    finally:
        await cmd.admin.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(main_async(args), timeout_s=max(args.timeout / 1000, 30))


if __name__ == "__main__":
    sys.exit(main())
