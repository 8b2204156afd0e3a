"""Long fuzz run of neurotypes' file readers: every outcome must be a value or a neurotypes error, never a hang.

Cases: every type saved, then mutated (random byte edits, truncations, both, member headers rewritten with huge
shapes, zero-width, object and structured dtypes, archives with extra or duplicate members, stored fields of the
wrong type), plus random and structurally wrong report JSON. Each case runs under a 5 s alarm; a case that rings
it counts as a hang.

    uv run --package neurotypes python shared/neurotypes/benchmarks/fuzz_files.py --cases 10000

Prints the outcome counts (and any foreign exception); exit status 1 if any case hung or escaped.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import signal
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

import neurotypes as nt

VALUES = [
    nt.SpikeTrains(
        [0.1, 0.2, 0.5], [0, 1, 1], 2, t_stop=1.0, unit_ids=["a", "b"], unit_metadata={"d": [1.0, 2.0]}
    ),
    nt.SpikeCounts([[1, 2], [0, 0]], 0.01, unit_ids=["a", "b"]),
    nt.Traces([[1.0, np.nan, 3.0]], 10.0, unit_ids=["x"], signal_units="mV"),
    nt.SDR(32, [1, 5, 9]),
    nt.InstanceLabels(np.arange(8, dtype=np.uint8).reshape(2, 2, 2)),
    nt.Stimulus(np.zeros((2, 3)), 5.0),
    nt.Partition([0, 1, 1], item_ids=["a", "b", "c"]),
]
DESCRS = ["|V0", "<U0", "|S0", "|O", "<c16", "<M8[s]", "<m8[s]", "[('a','<i4')]", "<f8", "<i8", "|b1", "<U3"]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def _rewrite_member(data: bytes, rng: np.random.Generator) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        names = src.namelist()
        victim = names[int(rng.integers(len(names)))]
        for name in names:
            payload = src.read(name)
            if name == victim:
                shape = tuple(
                    int(x) for x in rng.choice([0, 1, 3, 10**6, 10**12, 2**62], size=int(rng.integers(0, 4)))
                )
                header = io.BytesIO()
                descr = DESCRS[int(rng.integers(len(DESCRS)))]
                try:
                    np.lib.format.write_array_header_1_0(
                        header,
                        {
                            "descr": eval(descr) if descr.startswith("[") else descr,
                            "fortran_order": bool(rng.integers(2)),
                            "shape": shape,
                        },
                    )
                except Exception:
                    header = io.BytesIO(b"\x93NUMPY\x01\x00\x10\x00{'descr': 'x'} \n")
                payload = header.getvalue() + payload[int(rng.integers(0, 200)) :]
            z.writestr(name, payload)
        if rng.random() < 0.2:
            z.writestr(names[0] if rng.random() < 0.5 else "extra.npy", b"\x93NUMPY junk")
    return out.getvalue()


def make_case(rng: np.random.Generator, tmp: Path) -> tuple[str, Path]:
    kind = rng.choice(["edit", "truncate", "edit+truncate", "header", "report", "report-structure"])
    if kind.startswith("report"):
        p = tmp / "report.json"
        if kind == "report":
            p.write_bytes(rng.integers(0, 256, int(rng.integers(0, 2000)), dtype=np.uint8).tobytes())
        else:
            good = json.loads(
                nt.Report(
                    "p", "1", [nt.Claim("c", 1, {"m": [1, 2]}, nt.Criterion("m", ">", 0, seeds=2))]
                ).to_json()
            )
            claim = good["claims"][0]
            key = list(claim)[int(rng.integers(len(claim)))]
            claim[key] = [None, 3, "x", {"a": []}, -1e308, [[[]]]][int(rng.integers(6))]
            p.write_text(json.dumps(good))
        return str(kind), p
    value = VALUES[int(rng.integers(len(VALUES)))]
    p = tmp / "case.npz"
    data = bytearray(value.save(p).read_bytes())
    if kind == "header":
        data = bytearray(_rewrite_member(bytes(data), rng))
    if "edit" in kind:
        for _ in range(int(rng.integers(1, 10))):
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
    if "truncate" in kind:
        data = data[: int(rng.integers(len(data) + 1))]
    p.write_bytes(bytes(data))
    return str(kind), p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    outcomes: collections.Counter[str] = collections.Counter()
    foreign: collections.Counter[str] = collections.Counter()
    signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for _ in range(args.cases):
            kind, path = make_case(rng, tmp)
            signal.alarm(5)
            try:
                if kind.startswith("report"):
                    nt.Report.load(path)
                else:
                    nt.load(path, max_bytes=2**26)
                outcomes["loaded"] += 1
            except Hang:
                outcomes["HANG"] += 1
            except nt.FormatError as exc:
                outcomes["neurotypes error"] += 1
                if path.name not in str(exc):
                    outcomes["error not naming the file"] += 1
            except Exception as exc:
                outcomes["foreign exception"] += 1
                foreign[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
            finally:
                signal.alarm(0)
    seconds = time.perf_counter() - start
    print(
        f"{args.cases} cases in {seconds:.1f} s (seed {args.seed}, numpy {np.__version__}, neurotypes {nt.__version__})"
    )
    for k, v in sorted(outcomes.items()):
        print(f"  {k}: {v}")
    for k, v in foreign.most_common(20):
        print(f"    {v} x {k}")
    return 1 if outcomes["HANG"] or outcomes["foreign exception"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
