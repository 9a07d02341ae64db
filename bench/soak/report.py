"""The soak's verdict: the issue's targets as checks (zero errors, nothing lost or duplicated, no double
assignment), a table of latencies per request kind, JSON for the record."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bench.common import sessions
from bench.common.loadgen import PhaseResult
from bench.common.report import Check, verdict_lines
from bench.soak.agents import EXPECTED, Record
from bench.soak.stores import Stream

ERROR_SAMPLES = 8


def server_times(access_logs: list[Path]) -> dict[str, dict]:
    """{kind: {"statuses": {status: n}, "ms": [...]}} from gunicorns' access logs (`kind status microseconds`)."""
    found: dict[str, dict] = defaultdict(lambda: {"statuses": defaultdict(int), "ms": []})
    for access_log in access_logs:
        if not access_log.exists():
            continue
        for line in access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) != 3 or not parts[2].isdigit():
                continue
            kind = parts[0].replace("_", " ")
            found[kind]["statuses"][parts[1]] += 1
            found[kind]["ms"].append(int(parts[2]) / 1000)
    return found


def stats(values: list[float]) -> dict:
    return sessions.stats(values, digits=1)


def kinds(record: Record, server: dict[str, dict], seconds: float) -> dict[str, dict]:
    """Per request kind of the agents: client latency, gunicorn's own time, statuses, requests/s."""
    table = {}
    for kind in EXPECTED:
        client = record.latencies_ms.get(kind, [])
        if not client:
            continue
        table[kind] = {"client": stats(client), "server": stats(server.get(kind, {}).get("ms", [])),
                       "statuses": {str(k): v for k, v in sorted(record.statuses[kind].items())},
                       "per_second": round(len(client) / seconds, 1) if seconds else 0.0}
    return table


# Shopify counts a delivery not answered within 5 seconds as failed, and sends it again.
SHOPIFY_TIMEOUT_MS = 5000


def checks(*, webhooks: PhaseResult, stream: Stream, record: Record, warm_up: Record, drained: dict, inbox: dict,
           carts: dict, calls: dict, floor: dict) -> list[Check]:
    repeats = stream.count("redelivery") + stream.count("replay")
    fresh = stream.count("first")
    agent_errors = len(record.errors) + len(warm_up.errors)
    return [
        Check("no HTTP errors (webhooks: non-2xx or no answer; agents: any status the console does not answer)",
              webhooks.errors == 0 and agent_errors == 0,
              f"webhooks {webhooks.errors} (statuses {webhooks.details['statuses']}), agents {agent_errors}"),
        Check("the stores kept their rate, answered within Shopify's 5 s (p99 from the time each was due)",
              webhooks.throughput >= 0.98 * webhooks.details["rate"] and webhooks.p99_ms < SHOPIFY_TIMEOUT_MS,
              f"{webhooks.throughput:.1f} of {webhooks.details['rate']:g} webhooks/s, p99 {webhooks.p99_ms:.0f} ms",
              target=True),
        Check("every first delivery accepted, every redelivery and replay answered 'duplicate'",
              webhooks.details["accepted_answered"] == fresh and webhooks.duplicates_answered == repeats,
              f"{webhooks.details['accepted_answered']} accepted of {fresh}, {webhooks.duplicates_answered} "
              f"duplicate of {repeats} ({stream.count('redelivery')} redeliveries, {stream.count('replay')} replays)"),
        Check("inbox holds every event once (none lost, none twice, none unknown)",
              inbox["lost"] == inbox["stored_twice"] == inbox["not_sent"] == 0
              and inbox["rows"] == inbox["events_sent"],
              f"{inbox['rows']} rows for {inbox['events_sent']} events: {inbox['lost']} lost, "
              f"{inbox['stored_twice']} twice, {inbox['not_sent']} unknown"),
        Check("inbox drained, no delivery failed",
              drained["pending_deliveries"] == 0 and not inbox["statuses"].get("failed")
              and drained["quiet_carts_not_opened"] == 0,
              f"{drained['pending_deliveries']} pending, {inbox['statuses'].get('failed', 0)} failed, "
              f"{drained['quiet_carts_not_opened']} quiet checkouts not opened, after {drained['seconds']} s"),
        Check("one cart per store and checkout token sent (none lost, none duplicated, none unknown)",
              carts["lost"] == carts["duplicated"] == carts["not_sent"] == 0,
              f"{carts['carts']} carts for {carts['checkouts_sent']} checkouts: {carts['lost']} lost, "
              f"{carts['duplicated']} duplicated, {carts['not_sent']} unknown"
              + (f" ({carts['waiting_on_worker']} checkouts still waiting for the worker)"
                 if carts["waiting_on_worker"] else "")),
        Check("every cart holds its checkout's last update (of those the worker has processed)", carts["stale"] == 0,
              f"{carts['stale']} behind"),
        Check("agents worked the queue", calls["handed_to_agents"] > 0 and calls["dials_db"] > 0,
              f"{calls['handed_to_agents']} carts handed out, {calls['dials_db']} dialed"),
        Check("every call handed out is recorded, on the cart the agent saw, and wrapped up",
              calls["missing"] == calls["unseen_by_agents"] == calls["other_cart_than_shown"] == 0
              and calls["left_open"] == 0 and floor["agents_still_working"] == 0,
              f"{calls['calls']} calls: {calls['missing']} missing, {calls['unseen_by_agents']} unseen, "
              f"{calls['other_cart_than_shown']} other cart, {calls['left_open']} left open"),
        Check("exactly one contact attempt per dial (none lost, none extra, each finished)",
              calls["dials_mismatched"] == calls["attempts_without_call"] == calls["attempts_on_two_calls"] == 0
              and calls["attempts_unfinished"] == 0 and calls["voice_attempts"] == calls["dials_client"],
              f"{calls['dials_client']} dials, {calls['voice_attempts']} voice attempts: "
              f"{calls['dials_mismatched']} mismatched, {calls['attempts_without_call']} without a call, "
              f"{calls['attempts_unfinished']} unfinished"),
        Check("no cart assigned to two agents at once",
              calls["overlaps_db"] == 0 and calls["overlaps_client"] == 0,
              f"calls' history {calls['overlaps_db']}, agents' own record {calls['overlaps_client']}"),
    ]


_HEADER = (f"{'request':<22}{'count':>7}{'req/s':>7}{'client p50/p95/p99 ms':>26}{'server p50/p95/p99 ms':>26}"
           f"{'errors':>8}")


def _triple(stat: dict) -> str:
    return f"{stat['p50_ms']:.1f} / {stat['p95_ms']:.1f} / {stat['p99_ms']:.1f}" if stat["count"] else "-"


def render(webhook_row: dict, table: dict[str, dict], record: Record, found: list[Check], notes: list[str]) -> str:
    lines = [_HEADER, "-" * len(_HEADER)]
    errors_by_kind: dict[str, int] = defaultdict(int)
    for error in record.errors:
        errors_by_kind[error.split(" HTTP ")[0]] += 1
    rows = [("webhook", webhook_row, webhook_row["errors"])] + [
        (kind, entry, errors_by_kind.get(kind, 0)) for kind, entry in table.items()]
    for kind, entry, errors in rows:
        lines.append(f"{kind:<22}{entry['client']['count']:>7}{entry['per_second']:>7.1f}"
                     f"{_triple(entry['client']):>26}{_triple(entry['server']):>26}{errors:>8}")
    lines += ["", *notes, ""]
    if record.errors:
        lines += ["First errors:", *(f"  {error}" for error in record.errors[:ERROR_SAMPLES]), ""]
    lines += verdict_lines(found)
    return "\n".join(lines)
