"""Times audit log verification and fsynced appends; prints the figures as one JSON line.

Verify: a log of RECORDS realistic records (actor, reason, evidence), verified whole, best of
REPEAT runs, without and with the HMAC key, and in `thorough` mode. Appends: APPENDS records
appended one by one through `AuditLog.append` (lock, tail read, write, fsync) to a fresh log and
to the large one (the tail read does not depend on the log's size). Run:
`python benchmarks/bench_audit.py [--records N] [--appends N] [--repeat N] [--dir DIR]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govtui.actions.audit import GENESIS_HASH, AuditLog, _line, verify

TARGET_VERIFY_PER_SECOND = 200_000
KEY = b"bench-audit-hmac-key"
ACTOR = {"user": "oncall", "host": "bastion-1", "origin": "10.20.30.40", "login_uid": "1000"}


def record_body(seq: int, prev: str) -> dict[str, Any]:
    """A record like a rollback intent: reason and the evidence captured at that moment."""
    return {
        "action": "rollback" if seq % 3 else "silence.create",
        "actor": ACTOR,
        "incident": f"INC-20260115-{seq % 7}",
        "outcome": ("intent", "done", "recorded")[seq % 3],
        "params": {
            "reason": f"drift on amount_usd — rolling back ({seq})",
            "from_version": str(12 + seq % 5),
            "to_version": str(11 + seq % 5),
            "evidence": {"failing": ["drift crit", "slo warn"], "psi": "0.31", "alerts": 2},
        },
        "prev_hash": prev,
        "seq": seq,
        "target": f"fraud-scorer-{seq % 50}",
        "time": f"2026-01-15T12:00:00.{seq % 1_000_000:06d}Z",
    }


def write_log(path: Path, records: int, key: bytes | None) -> int:
    """A valid log of `records` records written in one go (no fsync per record); its size."""
    prev = GENESIS_HASH
    with path.open("wb") as handle:
        for seq in range(1, records + 1):
            line, record = _line(record_body(seq, prev), key)
            handle.write(line)
            prev = record["hash"]
    return path.stat().st_size


def best_rate(path: Path, records: int, repeat: int, **options: Any) -> tuple[float, float, float]:
    """(best, median) records per wall-clock second of `verify`, and best per CPU second."""
    rates = []
    cpu_rates = []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = verify(path, **options)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if not result.ok or result.records != records:
            raise SystemExit(f"benchmark log did not verify: {result.summary()}")
        rates.append(records / elapsed)
        cpu_rates.append(records / max(cpu, 1e-9))
    return max(rates), statistics.median(rates), max(cpu_rates)


def append_latencies(log: AuditLog, appends: int) -> list[float]:
    """Seconds per fsynced append."""
    latencies = []
    for index in range(appends):
        started = time.perf_counter()
        log.append(
            "note",
            f"model-{index % 10}",
            outcome="recorded",
            params={"text": f"benchmark note {index}"},
            actor=ACTOR,
        )
        latencies.append(time.perf_counter() - started)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a tmpdir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-audit-") as name:
        directory = Path(name)
        plain_log = directory / "plain.jsonl"
        signed_log = directory / "signed.jsonl"
        size = write_log(plain_log, args.records, None)
        write_log(signed_log, args.records, KEY)
        verify_best, verify_median, verify_cpu = best_rate(plain_log, args.records, args.repeat)
        hmac_best, hmac_median, hmac_cpu = best_rate(
            signed_log, args.records, args.repeat, hmac_key=KEY
        )
        thorough_best, _, _ = best_rate(plain_log, args.records, 1, thorough=True)

        fresh = append_latencies(AuditLog(directory / "fresh.jsonl"), args.appends)
        large = append_latencies(AuditLog(plain_log), min(args.appends, 100))
        result = {
            "benchmark": "audit",
            "records": args.records,
            "record_bytes_mean": round(size / args.records),
            "verify_records_per_second": round(verify_best),
            "verify_records_per_second_median": round(verify_median),
            "verify_hmac_records_per_second": round(hmac_best),
            "verify_hmac_records_per_second_median": round(hmac_median),
            "verify_records_per_cpu_second": round(verify_cpu),
            "verify_hmac_records_per_cpu_second": round(hmac_cpu),
            "verify_thorough_records_per_second": round(thorough_best),
            "verify_mb_per_second": round(verify_best * size / args.records / 1e6, 1),
            "fsynced_appends_per_second": round(len(fresh) / sum(fresh)),
            "append_p50_ms": round(percentile(fresh, 0.5) * 1000, 3),
            "append_p99_ms": round(percentile(fresh, 0.99) * 1000, 3),
            "append_to_large_log_p50_ms": round(percentile(large, 0.5) * 1000, 3),
            "target_verify_records_per_second": TARGET_VERIFY_PER_SECOND,
            "meets_target": verify_best >= TARGET_VERIFY_PER_SECOND
            and hmac_best >= TARGET_VERIFY_PER_SECOND,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
