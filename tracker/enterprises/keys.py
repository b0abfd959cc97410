"""A firm's derived search keys (pinyin initials and syllables, the character-pair words of
tracker.enterprises.grams) for many names at once.

A 100,000-row import spent a quarter of its time on them (pinyin_keys 3.0-3.4 s, search_words 1.5-1.8 s
on SQLite), one core busy while the other idled. A large batch is therefore computed by a second
process, chunk by chunk ahead of the caller, which writes the previous chunk meanwhile.
"""
from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Iterator

from tracker.enterprises.grams import search_words
from tracker.enterprises.pinyin import pinyin_keys

log = logging.getLogger("tracker.imports")

# Below this many names a second process costs more to start (about half a second) than it saves.
PARALLEL_FROM = 20_000
# Chunks the second process may compute ahead of the caller.
AHEAD = 1

Keys = tuple[str, str, str]


def name_keys(name: str) -> Keys:
    """(name_initials, name_pinyin, search_grams) of a firm named *name* without an English name."""
    initials, full = pinyin_keys(name)
    return initials, full, search_words(name, None, initials, full)


def _chunk_keys(names: list[str]) -> list[Keys]:
    return [name_keys(name) for name in names]


def keys_by_chunk(chunks: list[list[str]], parallel_from: int | None = None) -> Iterator[list[Keys]]:
    """Each chunk's keys, in order. With *parallel_from* (PARALLEL_FROM) names or more, every chunk but
    the first is computed in a second process while the caller works on the chunk before; the first is
    computed here while that process starts. The process is "spawn"ed, never forked: the caller may be a job
    consumer with threads and open database connections."""
    if sum(map(len, chunks)) < (PARALLEL_FROM if parallel_from is None else parallel_from) or len(chunks) < 2:
        for chunk in chunks:
            yield _chunk_keys(chunk)
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        # At most AHEAD chunks wait computed or queued: the keys of the whole batch held at once would
        # raise the import's peak memory by tens of megabytes.
        pending = deque((chunk, pool.submit(_chunk_keys, chunk)) for chunk in chunks[1:1 + AHEAD])
        following = iter(chunks[1 + AHEAD:])
        yield _chunk_keys(chunks[0])
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
            for chunk in islice(following, 1):
                pending.append((chunk, pool.submit(_chunk_keys, chunk)))
            yield keys
    finally:
        # A caller that stops early (its write failed) does not wait for the chunks nobody will read.
        pool.shutdown(wait=True, cancel_futures=True)
