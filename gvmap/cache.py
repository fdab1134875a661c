"""A bounded, counted cache of compiled signatures (one per transformed function).

Every new signature (shapes, dtypes, axes, static values, backend, device) costs a trace
and a compile, and its plan keeps graph, kernels and buffers alive; a function called with
ever-changing shapes would grow without bound. The cache keeps the most recently used
``maxsize`` entries (LRU, as ``functools.lru_cache``) and counts hits, misses and
evictions (``vmap(f).cache_info()``). The default size comes from ``GVMAP_CACHE_SIZE``.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, NamedTuple

__all__ = ["LRUCache", "CacheInfo", "DEFAULT_CACHE_SIZE"]


def _default_size() -> int:
    text = os.environ.get("GVMAP_CACHE_SIZE", "").strip()
    if not text:
        return 128
    try:
        size = int(text)
    except ValueError:
        size = -1
    if size < 1:
        raise ValueError(f"GVMAP_CACHE_SIZE must be a positive integer, got {text!r}")
    return size


DEFAULT_CACHE_SIZE = _default_size()


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    evictions: int
    maxsize: int
    currsize: int


class LRUCache:
    """A thread-safe LRU map. ``get`` is lock-free (the cached-call path); ``put`` locks.

    ``on_evict(key, value)`` runs for every entry pushed out, so dependent indexes (the
    fast-path table) drop their references too and the memory is really released."""

    def __init__(self, maxsize: int = DEFAULT_CACHE_SIZE,
                 on_evict: Callable[[Hashable, Any], None] | None = None):
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._on_evict = on_evict
        self.maxsize = maxsize
        self.hits = self.misses = self.evictions = 0

    def get(self, key: Hashable) -> Any:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        try:
            self._data.move_to_end(key)
        except KeyError:  # evicted by another thread meanwhile: still a valid value
            pass
        return value

    def peek(self, key: Hashable) -> Any:
        """The value without counting a hit or touching the order."""
        return self._data.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        evicted = []
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                evicted.append(self._data.popitem(last=False))
                self.evictions += 1
        if self._on_evict is not None:
            for k, v in evicted:
                self._on_evict(k, v)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def info(self) -> CacheInfo:
        return CacheInfo(self.hits, self.misses, self.evictions, self.maxsize, len(self._data))
