"""The audit log: canonical hashing, HMAC, locking under concurrent appends and kill -9,
tamper detection (edit, delete, reorder, truncate, forged chains), torn-line recovery, modes."""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govtui.actions import audit as audit_module
from govtui.actions.audit import (
    GENESIS_HASH,
    AuditLog,
    VerifyResult,
    actor_identity,
    audit_path,
    plain,
    redact,
    secret_values,
    verify,
)
from govtui.errors import InputError

KEY = b"test-audit-hmac-key-4b1d"
ACTOR = {"user": "ann", "host": "bastion"}
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"


def _reject_float(text: str) -> Any:
    raise AssertionError(f"a float in the audit log: {text}")


def spec_verify(path: Path, key: bytes | None = None) -> list[dict[str, Any]]:
    """The design's definition, implemented independently of the module under test."""
    records = []
    prev = "0" * 64
    for seq, line in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
        record = json.loads(line, parse_float=_reject_float, parse_constant=_reject_float)
        body = {name: value for name, value in record.items() if name not in ("hash", "hmac")}
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert record["hash"] == hashlib.sha256(data.encode("utf-8")).hexdigest()
        if key is not None:
            expected = hmac.new(key, data.encode("utf-8"), hashlib.sha256).hexdigest()
            assert record["hmac"] == expected
        assert record["seq"] == seq and record["prev_hash"] == prev
        prev = record["hash"]
        records.append(record)
    return records


def write_log(path: Path, count: int, *, key: bytes | None = None) -> AuditLog:
    log = AuditLog(path, hmac_key=key)
    for index in range(count):
        log.append(
            "note",
            f"model-{index}",
            outcome="recorded",
            params={"text": f"note {index}"},
            actor=ACTOR,
        )
    return log


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


# ------------------------------------------------------------------ records


def test_records_follow_the_design_and_verify_independently(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, hmac_key=KEY)
    first = log.append(
        "rollback",
        "fraud-scorer",
        outcome="intent",
        params={"reason": "drift — rollback", "evidence": {"psi": 0.31, "failing": ["drift"]}},
        incident="INC-20261128-1",
        actor=ACTOR,
    )
    second = log.append("note", "fraud-scorer", outcome="recorded", params={"text": "ok"})
    assert set(first) == {
        "seq",
        "time",
        "actor",
        "action",
        "target",
        "params",
        "outcome",
        "incident",
        "prev_hash",
        "hash",
        "hmac",
    }
    assert first["seq"] == 1 and first["prev_hash"] == GENESIS_HASH
    assert second["seq"] == 2 and second["prev_hash"] == first["hash"]
    assert first["params"]["evidence"]["psi"] == "0.31", "floats become their repr"
    import re

    assert re.match(TIME_RE, first["time"])
    assert spec_verify(path, KEY) == [first, second]
    result = verify(path, hmac_key=KEY)
    assert result == VerifyResult(True, 2, second["hash"], None, None, "", ())
    assert log.head() == second["hash"]
    assert log.records() == [first, second] and log.tail(1) == [second]


def test_no_floats_and_non_ascii_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    params = {
        "ratio": 0.1,
        "nested": [1.5, {"deep": float("nan")}, float("inf"), -float("inf")],
        "flag": True,
        "count": 3,
        "none": None,
        "text": "Zürich ✓ 日本 \u2028 line",
        "tuple": (1, 2.0),
    }
    log.append("note", "modèle-α", outcome="recorded", params=params, actor=ACTOR)
    raw = path.read_bytes()
    assert "Zürich ✓ 日本".encode() in raw and "modèle-α".encode() in raw
    assert b"\\u00fc" not in raw, "non-ASCII is kept, not escaped"
    record = spec_verify(path)[0]  # its json.loads rejects any float
    assert record["params"]["ratio"] == "0.1"
    assert record["params"]["nested"] == ["1.5", {"deep": "nan"}, "inf", "-inf"]
    assert record["params"]["tuple"] == [1, "2.0"]
    assert record["params"]["flag"] is True and record["params"]["count"] == 3
    assert raw.count(b"\n") == 1, "U+2028 stays inside the line"
    assert verify(path).ok


def test_actor_identity_names_user_host_origin_and_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd
    import socket

    monkeypatch.setenv("SSH_CONNECTION", "203.0.113.7 52100 10.0.0.2 22")
    monkeypatch.setenv("SUDO_USER", "alice")
    monkeypatch.setenv("USER", "mallory")  # the env cannot claim another identity
    identity = actor_identity()
    assert identity["user"] == pwd.getpwuid(os.geteuid()).pw_name
    assert identity["host"] == socket.gethostname()
    assert identity["origin"] == "203.0.113.7"
    assert identity["sudo_user"] == "alice"
    assert identity.get("login_uid", "0").isdigit()
    monkeypatch.setenv("SSH_CONNECTION", "not-an-ip 1 2 3")
    monkeypatch.delenv("SUDO_USER")
    identity = actor_identity()
    assert "origin" not in identity and "sudo_user" not in identity


def test_append_refuses_unknown_outcomes_and_reserved_actions(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(ValueError, match="outcome"):
        log.append("note", "m", outcome="ok")
    with pytest.raises(ValueError, match="action"):
        log.append("recovered", "m", outcome="recorded")
    with pytest.raises(ValueError, match="action"):
        log.append("Bad Action", "m", outcome="recorded")
    assert not (tmp_path / "audit.jsonl").exists()


def test_audit_path_from_config_or_state_dir(tmp_path: Path) -> None:
    from govtui.config import load_config

    config = tmp_path / "conf" / "govtui.yaml"
    config.parent.mkdir()
    config.write_text("audit:\n  path: logs/audit.jsonl\n  shared: true\n", "utf-8")
    loaded = load_config(config)
    assert audit_path(loaded) == tmp_path / "conf" / "logs" / "audit.jsonl"
    assert audit_path(None, tmp_path / "state") == tmp_path / "state" / "audit.jsonl"
    log = AuditLog.from_config(loaded)
    assert log.path == tmp_path / "conf" / "logs" / "audit.jsonl" and log.shared


# ------------------------------------------------------------------ modes


@pytest.mark.parametrize(("shared", "expected"), [(False, 0o600), (True, 0o660)])
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_file_mode_on_create(tmp_path: Path, shared: bool, expected: int, umask: int) -> None:
    path = tmp_path / "audit.jsonl"
    previous = os.umask(umask)
    try:
        AuditLog(path, shared=shared).append("note", "m", outcome="recorded")
    finally:
        os.umask(previous)
    # Tests run as root, so the mode is asserted, not a permission denial.
    assert stat.S_IMODE(path.stat().st_mode) == expected


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    AuditLog(path).append("note", "m", outcome="recorded")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# ------------------------------------------------------------------ tampering


def test_edit_is_detected_at_the_edited_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 5)
    lines = lines_of(path)
    lines[2] = lines[2].replace(b"note 2", b"note X")
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert not result.ok
    assert (result.first_bad_line, result.first_bad_seq) == (3, 3)
    assert "hash mismatch" in result.reason
    assert result.records == 2
    assert result.summary().startswith("BROKEN at line 3 (seq 3): hash mismatch")


def test_delete_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 5)
    lines = lines_of(path)
    del lines[1]
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 2, 3)
    assert "seq 3 where 2 was expected" in result.reason


def test_reorder_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 5)
    lines = lines_of(path)
    lines[1], lines[3] = lines[3], lines[1]
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 2, 4)


def test_renumbered_delete_is_detected_by_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 4)
    records = [json.loads(line) for line in lines_of(path)]
    del records[1]
    for seq, record in enumerate(records, start=1):
        record["seq"] = seq  # the hash now fails; recompute it without fixing prev_hash
        body = {k: v for k, v in record.items() if k != "hash"}
        record["hash"] = hashlib.sha256(audit_module.canonical_bytes(body)).hexdigest()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 2, 2)
    assert "prev_hash" in result.reason


def test_truncation_needs_the_anchored_head(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write_log(path, 5)
    anchor = log.head()
    middle = log.records()[2]["hash"]
    assert verify(path, expect_head=anchor).ok
    assert verify(path, expect_head=middle).ok, "an older anchor is still in a grown log"
    lines = lines_of(path)
    path.write_bytes(b"".join(lines[:3]))
    assert verify(path).ok, "without an anchor a clean truncation looks intact"
    result = verify(path, expect_head=anchor)
    assert not result.ok and "not in the log" in result.reason and anchor in result.reason
    path.write_bytes(b"")
    assert verify(path).ok and verify(path).records == 0 and verify(path).head == GENESIS_HASH
    assert not verify(path, expect_head=anchor).ok


def test_forged_chain_passes_without_the_key_but_not_with_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 4, key=KEY)
    records = [json.loads(line) for line in lines_of(path)]
    records[1]["params"]["text"] = "forged"
    prev = records[0]["hash"]
    for record in records[1:]:  # recompute the whole chain from the edit on, keeping the hmacs
        record["prev_hash"] = prev
        body = {k: v for k, v in record.items() if k not in ("hash", "hmac")}
        record["hash"] = hashlib.sha256(audit_module.canonical_bytes(body)).hexdigest()
        prev = record["hash"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    assert verify(path).ok, "a recomputed chain is only caught with the key"
    result = verify(path, hmac_key=KEY)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 2, 2)
    assert "hmac mismatch" in result.reason
    # Dropping the hmacs does not help either.
    for record in records:
        record.pop("hmac")
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    result = verify(path, hmac_key=KEY)
    assert (result.ok, result.first_bad_line) == (False, 1) and "no hmac" in result.reason


def test_a_keyless_log_verified_with_a_key_fails_naming_no_hmac(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 2)
    result = verify(path, hmac_key=KEY)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 1, 1)
    assert result.reason.startswith("no hmac")
    result = verify(path, hmac_key=b"another key")
    assert not result.ok


def test_wrong_key_and_signed_log_without_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 3, key=KEY)
    assert "hmac mismatch" in verify(path, hmac_key=b"wrong").reason
    result = verify(path)
    assert result.ok and any("hmacs not checked" in w for w in result.warnings)


def test_floats_and_unknown_fields_are_broken(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 2)
    lines = lines_of(path)
    lines[0] = lines[0].replace(b'"seq":1,', b'"seq":1,"extra":1.5,')
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 1, 1)
    assert "float" in result.reason


def test_thorough_mode_rejects_a_non_canonical_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 1)
    body = json.loads(path.read_bytes())
    del body["hash"]
    spaced = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()  # `, ` and `: `
    digest = hashlib.sha256(spaced).hexdigest()
    path.write_bytes(spaced[:-1] + b',"hash":"' + digest.encode() + b'"}\n')
    assert not verify(path).ok, "the design's hash is of the canonical form"
    result = verify(path, thorough=True)
    assert not result.ok and "hash mismatch" in result.reason


# ------------------------------------------------------------------ torn lines


def test_torn_last_line_is_a_warning_and_the_next_append_recovers_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write_log(path, 3, key=KEY)
    head = log.head()
    size = path.stat().st_size
    torn = b'{"action":"note","actor":{"host":"bast'
    with path.open("ab") as handle:
        handle.write(torn)
    result = verify(path, hmac_key=KEY)
    assert result.ok and result.records == 3 and result.head == head
    assert any("torn final line" in warning for warning in result.warnings)
    assert log.head() == head and len(log.records()) == 3

    record = log.append("note", "m", outcome="recorded", actor=ACTOR)
    assert record["seq"] == 5, "the recovered record took seq 4"
    lines = lines_of(path)
    assert lines[3] == torn + b"\n"
    recovered = json.loads(lines[4])
    assert recovered["action"] == "recovered" and recovered["seq"] == 4
    assert recovered["prev_hash"] == head
    assert recovered["params"] == {
        "offset": size,
        "length": len(torn),
        "sha256": hashlib.sha256(torn).hexdigest(),
    }
    result = verify(path, hmac_key=KEY)
    assert result.ok and result.records == 5 and result.head == record["hash"]
    assert any("recovered by seq 4" in warning for warning in result.warnings)
    # The recovered record must name the torn bytes exactly.
    lines[3] = torn.replace(b"bast", b"BAST") + b"\n"
    path.write_bytes(b"".join(lines))
    result = verify(path, hmac_key=KEY)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 5, 4)
    assert "sha256" in result.reason


def test_unparsable_terminated_last_line_is_recovered_too(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write_log(path, 2)
    with path.open("ab") as handle:
        handle.write(b"garbage\n")
    assert verify(path).ok
    log.append("note", "m", outcome="recorded")
    assert lines_of(path)[2] == b"garbage\n"
    assert json.loads(lines_of(path)[3])["params"]["length"] == len(b"garbage")
    result = verify(path)
    assert result.ok and result.records == 4


def test_torn_first_line_of_an_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b'{"seq":1,"ti')
    record = AuditLog(path).append("note", "m", outcome="recorded")
    assert record["seq"] == 2
    assert verify(path).ok and verify(path).records == 2


def test_a_broken_line_in_the_middle_fails(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 3)
    lines = lines_of(path)
    lines.insert(1, b"not json\n")
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.first_bad_seq) == (False, 2, None)
    assert "not recovered" in result.reason


def test_a_recovered_record_without_a_torn_line_fails(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write_log(path, 2)
    with path.open("ab") as handle:
        handle.write(b"x\n")
    log.append("note", "m", outcome="recorded")
    lines = lines_of(path)
    del lines[2]  # the torn line goes, its recovered record stays
    path.write_bytes(b"".join(lines))
    result = verify(path)
    assert (result.ok, result.first_bad_line) == (False, 3)
    assert "no torn line" in result.reason


def test_tail_reads_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_module, "_TAIL_CHUNK", 7)
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for index in range(6):
        log.append("note", "m", outcome="recorded", params={"text": "x" * (index * 13)})
    with path.open("ab") as handle:
        handle.write(b'{"torn')
    expected = [record["seq"] for record in log.records()]
    assert [record["seq"] for record in log.tail(4)] == expected[-4:]
    assert [record["seq"] for record in log.tail(100)] == expected
    assert log.head() == log.records()[-1]["hash"]
    log.append("note", "m", outcome="recorded")
    assert verify(path).ok and verify(path).records == 8


def test_missing_log(tmp_path: Path) -> None:
    path = tmp_path / "absent.jsonl"
    with pytest.raises(InputError, match="no audit log"):
        verify(path)
    log = AuditLog(path)
    assert log.head() == GENESIS_HASH and log.records() == [] and log.tail(5) == []


def test_a_replaced_file_is_followed(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = write_log(path, 2)
    path.rename(tmp_path / "audit.jsonl.1")
    record = log.append("note", "m", outcome="recorded")
    assert record["seq"] == 1 and verify(path).records == 1


# ------------------------------------------------------------------ secrets


def test_secrets_never_reach_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "tok-0123456789-secret"
    monkeypatch.setenv("PROM_BEARER_TOKEN", token)
    monkeypatch.setenv("GOVTUI_AUDIT_KEY", KEY.decode())
    path = tmp_path / "audit.jsonl"
    log = AuditLog.from_config(None, tmp_path)
    assert log.signed and KEY.decode() not in repr(log)
    log.append(
        "silence.create",
        f"model {token}",
        outcome="failed",
        params={
            "error": f"GET https://ann:{token}@am.example/api failed",
            "oops": {"key": KEY.decode(), token: [token]},
        },
        actor=ACTOR,
    )
    raw = path.read_bytes()
    assert token.encode() not in raw and KEY not in raw
    assert b"ann:" not in raw, "URL userinfo is stripped"
    assert raw.count(b"[redacted]") == 4
    assert verify(path, hmac_key=KEY).ok
    assert KEY.decode() in secret_values(KEY)
    assert redact({"a": ["x" + token]}, (token,)) == {"a": ["x[redacted]"]}


# ------------------------------------------------------------------ concurrency


def _append_many(path: str, out: str, count: int, key: bytes) -> None:
    log = AuditLog(Path(path), hmac_key=key)
    with open(out, "a", encoding="ascii") as mine:
        for index in range(count):
            record = log.append(
                "note", f"proc-{os.getpid()}", outcome="recorded", params={"i": index}
            )
            mine.write(f"{record['seq']} {record['hash']}\n")
            mine.flush()


def _lines_in(path: Path) -> int:
    try:
        return path.read_text("ascii").count("\n")
    except FileNotFoundError:
        return 0


def test_concurrent_appenders_with_a_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("fork")
    outs = [tmp_path / f"returned-{index}.txt" for index in range(4)]
    processes = [
        context.Process(target=_append_many, args=(str(path), str(out), 200, KEY)) for out in outs
    ]
    for process in processes:
        process.start()
    victim = processes[0]
    deadline = time.monotonic() + 20
    while _lines_in(outs[0]) < 30:  # poll: kill it mid-run, while the others append too
        assert time.monotonic() < deadline, "the appenders made no progress"
        assert victim.is_alive()
        time.sleep(0.005)
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    for process in processes:
        process.join(timeout=60)
    assert victim.exitcode == -signal.SIGKILL
    assert [process.exitcode for process in processes[1:]] == [0, 0, 0]

    result = verify(path, hmac_key=KEY)
    assert result.ok, result.summary()
    by_seq = {record["seq"]: record["hash"] for record in AuditLog(path).records()}
    returned = [
        (int(seq), digest)
        for out in outs
        for seq, digest in (line.split() for line in out.read_text("ascii").splitlines())
    ]
    assert len(returned) >= 600 + 30
    assert len({seq for seq, _ in returned}) == len(returned), "no seq handed out twice"
    for seq, digest in returned:
        assert by_seq.get(seq) == digest, f"an append that returned is missing: seq {seq}"
    assert result.records == len(by_seq) >= len(returned)
    spec_verify_ok = result.warnings == () or all("torn" in w for w in result.warnings)
    assert spec_verify_ok


def test_threads_share_one_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)

    def work() -> None:
        for _ in range(15):
            log.append("note", "m", outcome="recorded")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verify(path).records == 60 and len(spec_verify(path)) == 60


# ------------------------------------------------------------------ properties


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("audit-props")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES, target=st.text(max_size=30))
def test_round_trip(scratch: Path, value: Any, target: str) -> None:
    path = scratch / "round-trip.jsonl"
    log = AuditLog(path, hmac_key=KEY)
    record = log.append("note", target, outcome="recorded", params={"v": value}, actor=ACTOR)
    stored = log.tail(1)[0]
    assert stored == record
    secrets = secret_values(KEY)
    assert stored["params"] == redact({"v": plain(value)}, secrets)
    json.loads(path.read_bytes().splitlines()[-1], parse_float=_reject_float)
    assert log.head() == record["hash"]


def test_round_trip_log_verifies(scratch: Path) -> None:
    path = scratch / "round-trip.jsonl"
    if path.exists():
        assert verify(path, hmac_key=KEY).ok
        spec_verify(path, KEY)


@settings(max_examples=80, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_byte_change_is_caught(scratch: Path, position: int, replacement: int) -> None:
    path = scratch / "mutated.jsonl"
    if not path.exists() or path.stat().st_size == 0:
        write_log(path, 4, key=KEY)
    original = path.read_bytes()
    index = position % len(original)
    if original[index] == replacement:
        return
    mutated = bytearray(original)
    mutated[index] = replacement
    path.write_bytes(bytes(mutated))
    try:
        result = verify(path, hmac_key=KEY)
    finally:
        path.write_bytes(original)
    # Never intact with every record: at most a torn tail (a warning, one record fewer).
    assert not (result.ok and result.records == 4)
    if result.ok:
        assert result.warnings and result.records < 4


@settings(max_examples=100, deadline=None)
@given(
    content=st.lists(
        st.binary(max_size=40) | st.sampled_from([b"{}", b"[]", b'{"seq":1}']), max_size=6
    )
)
def test_verify_of_garbage_only_raises_nothing(scratch: Path, content: list[bytes]) -> None:
    path = scratch / "garbage.jsonl"
    path.write_bytes(b"\n".join(content))
    result = verify(path, hmac_key=KEY)
    assert isinstance(result, VerifyResult)
    assert result.ok or result.reason
