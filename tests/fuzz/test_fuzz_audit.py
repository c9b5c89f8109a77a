"""Fuzz the audit verifier: any bytes, and valid logs with bytes flipped, lines cut or shuffled.
`verify` returns a verdict (or raises InputError for an unreadable file), never anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from govtui.actions.audit import AuditLog, VerifyResult, verify
from tests.fuzz.support import FUZZ, only_govtui_errors

KEY = b"fuzz-key"


def _valid_log(directory: Path, records: int, key: bytes | None) -> bytes:
    path = directory / "seed.jsonl"
    log = AuditLog(path, hmac_key=key)
    for index in range(records):
        log.append(
            "note" if index % 2 else "rollback",
            f"model-{index}",
            outcome="recorded" if index % 2 else "intent",
            params={"reason": f"because {index}", "evidence": {"psi": 0.3, "ok": True}, "n": index},
            actor={"user": "fuzz", "host": "h\u00e9"},
        )
    return path.read_bytes()


def _check(directory: Path, data: bytes, key: bytes | None) -> None:
    path = directory / "audit.jsonl"
    path.write_bytes(data)
    result = only_govtui_errors(lambda: verify(path, hmac_key=key))
    if isinstance(result, VerifyResult):
        assert isinstance(result.ok, bool) and isinstance(result.reason, str)
        assert "\n" not in result.reason
        if not result.ok:
            assert result.reason


@FUZZ
@given(st.binary(max_size=400))
@example(b"{}\n")
@example(b'{"seq": 1}\n{"seq": 1e999}\n')
@example(b"\xff\n")
@example(b"[]\n" * 3)
def test_any_bytes(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    _check(tmp_path_factory.mktemp("audit"), data, None)


@FUZZ
@given(
    st.integers(1, 5),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_flipped_bytes(
    tmp_path_factory, records: int, signed: bool, flips: list[tuple[int, int]]
) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("audit")
    key = KEY if signed else None
    data = bytearray(_valid_log(directory, records, key))
    for position, value in flips:
        data[position % len(data)] = value
    _check(directory, bytes(data), key)


@FUZZ
@given(st.integers(2, 5), st.randoms(use_true_random=False), st.integers(0, 400))
def test_cut_and_shuffled_lines(tmp_path_factory, records: int, rng, cut: int) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("audit")
    lines = _valid_log(directory, records, KEY).splitlines(keepends=True)
    rng.shuffle(lines)
    data = b"".join(lines)
    _check(directory, data[: len(data) - cut % len(data)], KEY)
