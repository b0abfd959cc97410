"""A firm's derived search keys (pinyin initials and syllables, the character-pair words of
tracker.enterprises.grams) for many names at once.

A 100,000-row import spent a quarter of its time on them (pinyin_keys 3.0-3.4 s, search_words 1.5-1.8 s
on SQLite), one core busy while the other idled. A large batch is therefore computed by a second
process, chunk by chunk ahead of the caller, which writes the previous chunk meanwhile. The caller
never loads pypinyin for it (half a second and 56 MB of phrase tables): the import's peak memory is
the larger of the two processes', not their sum.
"""
from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Iterator

from tracker.enterprises.grams import search_words

log = logging.getLogger("tracker.imports")

# Below this many names a second process costs more to start (about half a second) than it saves.
PARALLEL_FROM = 20_000
# Chunks the second process may compute ahead of the one the caller waits for.
AHEAD = 1

Keys = tuple[str, str, str]


def name_keys(name: str) -> Keys:
    """(name_initials, name_pinyin, search_grams) of a firm named *name* without an English name."""
    from tracker.enterprises.pinyin import pinyin_keys  # pypinyin only where keys are computed

    initials, full = pinyin_keys(name)
    return initials, full, search_words(name, None, initials, full)


def _chunk_keys(names: list[str]) -> list[Keys]:
    return [name_keys(name) for name in names]


def _load() -> None:
    """Warm-up: import pypinyin before the first chunk arrives."""
    name_keys("营口")


class KeyProcess:
    """The second process, started when a batch turns out large (start()), and ended by close().

    An import starts it once it knows how many new firms it has (analyse()), so that the process has
    started and loaded pypinyin while the rest of the file is checked; apply_plan() then finds it ready.
    The process is "spawn"ed, never forked: the caller may be a job consumer with threads and open
    database connections.
    """

    def __init__(self) -> None:
        self._pool = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._pool.submit(_load)

    def submit(self, names: list[str]) -> Future:
        """The future keys of *names*; a process that has died gives a future that raises BrokenProcessPool."""
        self.start()
        try:
            return self._pool.submit(_chunk_keys, names)
        except BrokenProcessPool as exc:
            future = Future()
            future.set_exception(exc)
            return future

    def close(self) -> None:
        """Ends the process; chunks nobody will read (the caller's write failed) are not computed."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "KeyProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def keys_by_chunk(chunks: list[list[str]], parallel_from: int | None = None,
                  process: KeyProcess | None = None) -> Iterator[list[Keys]]:
    """Each chunk's keys, in order. With *parallel_from* (PARALLEL_FROM) names or more they come from
    *process* (or one started here and ended with the iteration), at most AHEAD chunks ahead of the
    caller: the keys of the whole batch held at once would raise the peak memory by tens of megabytes."""
    if sum(map(len, chunks)) < (PARALLEL_FROM if parallel_from is None else parallel_from):
        for chunk in chunks:
            yield _chunk_keys(chunk)
        return
    own = process is None
    process = KeyProcess() if own else process
    try:
        following = iter(chunks)
        pending = deque((chunk, process.submit(chunk)) for chunk in islice(following, 1 + AHEAD))
        while pending:
            chunk, future = pending.popleft()
            try:
                keys = future.result()
            except BrokenProcessPool:
                # The process could not start or died (a caller's main module that spawning cannot
                # import again, the memory killer): the rest is computed here, as for a small batch.
                log.warning("search keys: the second process failed; computing the rest in this one")
                yield _chunk_keys(chunk)
                for chunk, _ in pending:
                    yield _chunk_keys(chunk)
                for chunk in following:
                    yield _chunk_keys(chunk)
                return
            for chunk in following:
                pending.append((chunk, process.submit(chunk)))
                break
            yield keys
    finally:
        if own:
            process.close()
