"""The batch cache: one Arrow entry per file content, and a path index so reruns hash nothing.

Layout of a cache directory::

    paths-v1.json                            (absolute path, size, mtime_ns) -> SHA-256
    v<FEATURES_VERSION>/ab/<sha256>.arrow    one training record (entry) per file content
    v<FEATURES_VERSION>/records.arrow        a snapshot of many entries in one table

Entries are content-addressed (SHA-256 of the file bytes), so a copied or renamed file is
still recognised, and athlete-independent, so one cache serves every athlete and setting.
Arrow IPC (Feather v2) rather than Parquet: a record is one row, and reading it costs ~0.2 ms
against ~1.3 ms to decode a Parquet file.

Hashing a large archive costs more than reading its cached records (1.2 GB of SHA-256 took
most of a cached rerun), so the path index remembers each file's hash under its absolute
path, size and modification time (ns): a rerun over unchanged files stats them and hashes
nothing; a file whose size or mtime changed is hashed again (and re-read if its content is
new). A file modified in the last :data:`RACY_S` seconds is not remembered, because a second
change within the file system's timestamp resolution could keep its mtime ("racy" entries,
as git's index treats them).

Opening one small Arrow file costs ~0.1 ms and turning its row into Python another ~0.2 ms,
which for 2,000 files was a third of a cached rerun; so :class:`RecordStore` also keeps a
snapshot: the entries of recent runs as one table, read at once and converted column by
column. The snapshot only stands in for an entry whose file is exactly as it was when the
row was taken (same size and mtime): a replaced, damaged or deleted entry is read (or missed)
as if there were no snapshot, and the entries stay the source of truth.

Every write is atomic (a temporary file in the same folder, then :func:`os.replace`), so an
interrupted run or a concurrent one never leaves a half-written entry or index in view; a
temporary file is removed when its write fails or is interrupted. An entry that cannot be
read (truncated, overwritten) is reported with a :class:`CacheWarning` and counts as a miss:
the file is read again and the entry replaced. An unreadable index counts as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from finishline.errors import FinishlineWarning

#: Bump when the per-file record changes: old cache entries are then ignored.
FEATURES_VERSION = "7"

#: The path index (format 1: ``{"format": 1, "files": {path: [size, mtime_ns, sha256]}}``).
INDEX_NAME = "paths-v1.json"

#: Files modified less than this many seconds before they were hashed are not indexed.
RACY_S = 3.0

#: Threads hashing files (hashlib and file reads release the GIL).
HASH_THREADS = 4


class CacheWarning(FinishlineWarning):
    """A cache entry could not be read (damaged): the file is read again and the entry
    replaced."""


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file's bytes (the cache key)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def entry_path(cache_dir: str, sha: str) -> str:
    """Where the record of the content ``sha`` is cached."""
    return os.path.join(cache_dir, f"v{FEATURES_VERSION}", sha[:2], f"{sha}.arrow")


def read_entry(cache_dir: str | None, sha: str, source: str | None = None) -> dict[str, Any] | None:
    """The cached record of the content ``sha``, or ``None`` (no cache, no entry, or a damaged
    entry: then with a :class:`CacheWarning` naming ``source``, the file it stands for)."""
    if cache_dir is None or not sha:
        return None
    path = entry_path(cache_dir, sha)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        rows = ipc.open_file(pa.py_buffer(data)).read_all().to_pylist()
        record = rows[0] if len(rows) == 1 else None
    except (pa.ArrowException, OSError, ValueError):
        record = None
    if (
        record is None
        or record.get("sha256") != sha
        or record.get("status")
        not in (
            "ok",
            "skipped",
        )
    ):
        warnings.warn(
            f"{path}: damaged cache entry; {source or 'the file'} is read again",
            CacheWarning,
            stacklevel=2,
        )
        return None
    return record


def write_entry(cache_dir: str | None, sha: str, record: dict[str, Any]) -> None:
    """Cache ``record`` as the entry of ``sha`` (atomically; see the module docstring)."""
    if cache_dir is None:
        return
    import pyarrow as pa
    import pyarrow.ipc as ipc

    table = pa.Table.from_pylist([record])
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    path = Path(entry_path(cache_dir, sha))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, sink.getvalue().to_pybytes())


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`; the
    temporary file is removed if anything (even an interrupt) stops the write."""
    tmp = path.parent / f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class PathIndex:
    """(absolute path, size, mtime_ns) -> SHA-256 of the file, kept in the cache directory."""

    def __init__(self, cache_dir: str) -> None:
        self.path = Path(cache_dir) / INDEX_NAME
        self.files = self._load()
        self.added: dict[str, list[Any]] = {}

    def _load(self) -> dict[str, list[Any]]:
        try:
            data = json.loads(self.path.read_bytes())
            files = data["files"] if data.get("format") == 1 else {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}  # no index yet, or an unreadable one: it is rebuilt
        return files if isinstance(files, dict) else {}

    def lookup(self, path: str, stat: os.stat_result) -> str | None:
        """The indexed hash of ``path`` if its size and mtime are unchanged."""
        entry = self.files.get(path)
        if entry is None or len(entry) != 3:
            return None
        size, mtime_ns, sha = entry
        return sha if size == stat.st_size and mtime_ns == stat.st_mtime_ns else None

    def add(self, path: str, stat: os.stat_result, sha: str, now_ns: int) -> None:
        """Remember the hash of ``path`` (unless it was modified too recently to trust)."""
        if now_ns - stat.st_mtime_ns >= RACY_S * 1e9:
            self.added[path] = [stat.st_size, stat.st_mtime_ns, sha]

    def save(self) -> None:
        """Merge the new entries into the index on disk (as another run may have left it) and
        write it atomically; entries of files that no longer exist are dropped."""
        if not self.added:
            return
        merged = {
            path: entry
            for path, entry in self._load().items()
            if path not in self.added and os.path.exists(path)
        }
        merged |= self.added
        data = json.dumps({"format": 1, "files": merged}, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, data.encode())
        self.files, self.added = merged, {}


def content_hashes(
    files: Sequence[str], cache_dir: str | None, hasher: Callable[[str], str] | None = None
) -> dict[str, str]:
    """SHA-256 of each file, from the path index where the file is unchanged.

    Parameters
    ----------
    files
        Absolute paths.
    cache_dir
        The cache directory holding the index; ``None`` hashes every file.
    hasher
        The hash function (default :func:`file_sha256`).

    Returns
    -------
    dict
        path -> hex digest, for every file that could be read (an unreadable file is left out:
        processing it reports why).
    """
    hasher = hasher or file_sha256
    index = PathIndex(cache_dir) if cache_dir is not None else None
    hashes: dict[str, str] = {}
    to_hash: list[tuple[str, os.stat_result]] = []
    for path in files:
        try:
            stat = os.stat(path)
        except OSError:
            continue
        sha = index.lookup(path, stat) if index is not None else None
        if sha is None:
            to_hash.append((path, stat))
        else:
            hashes[path] = sha
    now_ns = time.time_ns()
    if to_hash:
        pool = ThreadPoolExecutor(max_workers=min(HASH_THREADS, len(to_hash)))
        try:
            digests = list(pool.map(lambda item: _try_hash(hasher, item[0]), to_hash))
        finally:  # on an interrupt: files not started are not hashed, the index not written
            pool.shutdown(wait=True, cancel_futures=True)
        for (path, stat), sha in zip(to_hash, digests, strict=True):
            if sha is None:
                continue
            hashes[path] = sha
            if index is not None:
                index.add(path, stat, sha, now_ns)
    if index is not None:
        index.save()
    return hashes


def _try_hash(hasher: Callable[[str], str], path: str) -> str | None:
    try:
        return hasher(path)
    except OSError:
        return None


#: The snapshot of entries (one table) in each version's folder.
SNAPSHOT_NAME = "records.arrow"
#: Snapshot columns that are not part of an entry: the entry file's size and mtime (ns).
_ENTRY_STAT = ("entry_size", "entry_mtime_ns")


class RecordStore:
    """The cache entries of many files at once, through the snapshot (module docstring)."""

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir
        self.snapshot = os.path.join(cache_dir, f"v{FEATURES_VERSION}", SNAPSHOT_NAME)
        self.table: Any = None
        self.rows: dict[str, int] = {}
        self.stats: list[tuple[int, int]] = []
        self.new: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        import pyarrow as pa
        import pyarrow.ipc as ipc

        try:  # read, not memory-mapped: the file must stay replaceable (Windows)
            with open(self.snapshot, "rb") as fh:
                table = ipc.open_file(pa.py_buffer(fh.read())).read_all()
            shas = table.column("sha256").to_pylist()
            sizes = table.column(_ENTRY_STAT[0]).to_pylist()
            mtimes = table.column(_ENTRY_STAT[1]).to_pylist()
        except (OSError, ValueError, KeyError, pa.ArrowException):
            return  # no snapshot yet, or an unreadable one: it is rewritten
        self.table = table
        self.rows = {sha: i for i, sha in enumerate(shas)}
        self.stats = list(zip(sizes, mtimes, strict=True))

    def get_many(self, wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Entries by hash for the hashes of ``wanted`` (hash -> the file it stands for) that
        are cached; a damaged entry is missing (with a :class:`CacheWarning`)."""
        found: dict[str, dict[str, Any]] = {}
        take: list[tuple[str, int]] = []
        for sha, source in wanted.items():
            try:
                stat = os.stat(entry_path(self.cache_dir, sha))
            except OSError:
                continue
            row = self.rows.get(sha)
            if row is not None and self.stats[row] == (stat.st_size, stat.st_mtime_ns):
                take.append((sha, row))
                continue
            entry = read_entry(self.cache_dir, sha, source)
            if entry is not None:
                found[sha] = self.new[sha] = entry
        if take:
            found |= dict(
                zip([sha for sha, _ in take], self._entries([r for _, r in take]), strict=True)
            )
        return found

    def _entries(self, rows: list[int]) -> list[dict[str, Any]]:
        """Snapshot rows as entries (dicts of Python values; lists for list columns)."""
        import pyarrow as pa

        part = self.table.take(rows)
        columns: dict[str, list[Any]] = {}
        for name in part.column_names:
            if name in _ENTRY_STAT:
                continue
            column = part.column(name).combine_chunks()
            if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
                values = column.to_numpy(zero_copy_only=False)
                columns[name] = [None if v is None else v.tolist() for v in values]
            else:
                columns[name] = column.to_pylist()
        names = list(columns)
        entries = []
        for values in zip(*columns.values(), strict=True):
            entry = dict(zip(names, values, strict=True))
            if entry["status"] != "ok":  # a skipped file's entry holds only its reason
                entry = {k: v for k, v in entry.items() if v is not None}
            entries.append(entry)
        return entries

    def add(self, entry: dict[str, Any]) -> None:
        """Take a freshly computed (and cached) entry into the next snapshot."""
        if entry.get("sha256"):
            self.new[entry["sha256"]] = entry

    def save(self) -> None:
        """Write the snapshot again if entries were added: the new ones, and the old rows
        whose entry files still exist unchanged (atomically; see the module docstring)."""
        if not self.new:
            return
        import pyarrow as pa
        import pyarrow.ipc as ipc

        new_rows = []
        for sha, entry in self.new.items():
            try:
                stat = os.stat(entry_path(self.cache_dir, sha))
            except OSError:
                continue  # not cached (a file that failed unexpectedly)
            new_rows.append(
                entry | {_ENTRY_STAT[0]: stat.st_size, _ENTRY_STAT[1]: stat.st_mtime_ns}
            )
        keep = []
        for sha, row in self.rows.items():
            if sha in self.new:
                continue
            try:
                stat = os.stat(entry_path(self.cache_dir, sha))
            except OSError:
                continue
            if self.stats[row] == (stat.st_size, stat.st_mtime_ns):
                keep.append(row)
        keys = list(dict.fromkeys(k for row in new_rows for k in row))  # every row's keys
        tables = [pa.table({k: [row.get(k) for row in new_rows] for k in keys})] if new_rows else []
        if keep:
            tables.append(self.table.take(keep))
        if not tables:
            return
        table = pa.concat_tables(tables, promote_options="permissive").combine_chunks()
        sink = pa.BufferOutputStream()
        with ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        atomic_write(Path(self.snapshot), sink.getvalue().to_pybytes())
        self.new = {}
