"""Which mutants to run: real source files, a seeded choice of mutation, and how to rebuild one.

A mutant is fully described by :class:`Mutant` (source file, mutation name, seed, gzip), so a
failure is reproduced by building it again (:func:`build`). The plan for a run of ``n``
mutants with base seed ``s`` is the same on every machine: mutant ``i`` draws its source,
mutation and seed from ``random.Random(f"{s}:{i}")``.
"""

from __future__ import annotations

import csv
import gzip
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fuzz.mutate_bytes import BYTE_MUTATIONS, Mutation, gzip_bytes
from fuzz.mutate_fit import FIT_MUTATIONS
from fuzz.mutate_xml import XML_MUTATIONS

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
SAMPLE_RUNS = REPO_ROOT / "sample_runs"
#: Extensions read as sources (the format is sniffed by finishline, not taken from these).
FORMATS = {".fit": "fit", ".gpx": "gpx", ".tcx": "tcx"}


def _gz_truncate(data: bytes, rng: random.Random) -> bytes:
    """The file gzip-compressed, then cut (a download of a .gz stopped early)."""
    packed = gzip_bytes(data)
    return packed[: rng.randrange(max(len(packed) // 10, 1), len(packed))]


def _original(data: bytes, rng: random.Random) -> bytes:
    """The file unchanged: a control that must come out ``ok`` or as a clean error."""
    return data


#: Mutations per format, with their weights (format-aware ones are drawn more often).
MUTATIONS: dict[str, dict[str, tuple[Mutation, float]]] = {
    "fit": {name: (fn, 1.0) for name, fn in BYTE_MUTATIONS.items()}
    | {name: (fn, 2.0) for name, fn in FIT_MUTATIONS.items()},
    "gpx": {name: (fn, 1.0) for name, fn in BYTE_MUTATIONS.items()}
    | {name: (fn, 1.5) for name, fn in XML_MUTATIONS.items()},
}
MUTATIONS["tcx"] = MUTATIONS["gpx"]
for _table in MUTATIONS.values():
    _table["gz_truncate"] = (_gz_truncate, 0.7)
    _table["original"] = (_original, 0.4)


@dataclass(frozen=True)
class Mutant:
    """One mutant: ``source`` (relative to the corpus, or ``sample_runs/NAME``), the mutation,
    its seed, and whether the result is gzip-compressed."""

    source: str
    mutation: str
    seed: int
    gz: bool = False

    @property
    def fmt(self) -> str:
        return FORMATS[Path(self.source).suffix.lower()]

    @property
    def suffix(self) -> str:
        return f".{self.fmt}" + (".gz" if self.gz or self.mutation == "gz_truncate" else "")

    def reproducer(self) -> str:
        gz = " --gz" if self.gz else ""
        return f"python tests/fuzz/run.py --replay {self.source} {self.mutation} {self.seed}{gz}"


def source_path(source: str) -> Path:
    """The file a mutant's ``source`` names."""
    if source.startswith("sample_runs/"):
        return REPO_ROOT / source
    return CORPUS / source


@cache
def source_bytes(source: str) -> bytes:
    data = source_path(source).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def sources(max_bytes: int | None = None) -> list[str]:
    """Real activity files: the corpus manifest's FIT/GPX/TCX files and ``sample_runs/``."""
    names = []
    manifest = CORPUS / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open(newline="", encoding="utf-8") as fh:
            names = [row["file"] for row in csv.DictReader(fh, delimiter="\t")]
    names += [f"sample_runs/{p.name}" for p in sorted(SAMPLE_RUNS.glob("*"))]
    keep = []
    for name in names:
        if Path(name).suffix.lower() not in FORMATS:
            continue
        path = source_path(name)
        if path.exists() and (max_bytes is None or path.stat().st_size <= max_bytes):
            keep.append(name)
    return keep


def plan(n: int, seed: int, files: list[str], gz_share: float = 0.15) -> list[Mutant]:
    """``n`` mutants over ``files`` (see the module docstring)."""
    out = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        source = rng.choice(files)
        table = MUTATIONS[FORMATS[Path(source).suffix.lower()]]
        names = sorted(table)
        mutation = rng.choices(names, weights=[table[m][1] for m in names])[0]
        gz = mutation not in ("gz_truncate",) and rng.random() < gz_share
        out.append(Mutant(source, mutation, rng.randrange(2**31), gz))
    return out


def build(mutant: Mutant) -> bytes:
    """The bytes of ``mutant`` (deterministic)."""
    data = source_bytes(mutant.source)
    fn = MUTATIONS[mutant.fmt][mutant.mutation][0]
    out = fn(data, random.Random(mutant.seed))
    return gzip_bytes(out) if mutant.gz else out
