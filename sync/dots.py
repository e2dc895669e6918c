"""Origins, dots and version vectors.

Every change in POCtix has a dot `(origin, seq)`. An origin is a scanner device (its device id)
or the server (the string "server", numbering the pass changes of one event). Each origin counts
its own changes 1, 2, 3, ... with no gaps.

A version vector is a plain map `{origin: n}` meaning "I hold every change of `origin` numbered
1..n". A missing origin means 0, and vectors built here never contain zeros, so two replicas
holding the same changes hold equal vectors. A replica that holds seq 5 but not seq 4 still says
3: the vector only moves over gap-free runs (`contiguous_high`), which is what lets a pull or a
push acknowledgement name one number per origin and lose nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def covers(vector: Mapping[str, int], origin: str, seq: int) -> bool:
    """True when `vector` says its holder has seen the dot `(origin, seq)`."""
    return vector.get(origin, 0) >= seq


def merge_vectors(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    """Pointwise maximum of two vectors, without zero entries."""
    out: dict[str, int] = {}
    for origin in sorted({*a, *b}):
        high = max(a.get(origin, 0), b.get(origin, 0))
        if high > 0:
            out[origin] = high
    return out


def contiguous_high(held_seqs: Iterable[int], start: int = 0) -> int:
    """Highest n such that every seq in start+1..n is held (`start` if start+1 is missing)."""
    held = set(held_seqs)
    high = start
    while high + 1 in held:
        high += 1
    return high


def advance(vector: dict[str, int], origin: str, held: Callable[[int], bool]) -> int:
    """Move `vector[origin]` over every consecutive held seq; return the new value.

    Called after storing one dot: if it filled the gap just above the vector, the vector runs on
    through any seqs that arrived early. Amortised O(1) per stored dot.
    """
    high = vector.get(origin, 0)
    while held(high + 1):
        high += 1
    if high > 0:
        vector[origin] = high
    return high
