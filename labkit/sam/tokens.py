"""Stream tokens in one int64 array: coordinates/references are >= 0, control tokens < 0.

SAM streams carry data (a coordinate, a reference or a value) punctuated by stop tokens
``S0, S1, ...`` (``Sk`` closes the current fiber and ``k`` enclosing ones), the empty token
``N`` (a reference to nothing, made by unioners) and the done token ``D``.  One integer
array per stream (values ride in a parallel float array) lets every primitive process a
whole stream with numpy or numba instead of one Python object per token.

Convention used throughout labkit.sam: every stop closes exactly one fiber of the stream's
own level, and a level has one fiber per coordinate of its parent level; this is what
lets writers and accumulators recover the fibertree from the streams alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labkit.lab.errors import InputError

EMPTY = -(1 << 40)
DONE = -(1 << 41)
STOP_LIMIT = -(1 << 30)  # stops are -1 (S0) .. -(1<<30)+1


def stop(k: int) -> int:
    """The token for stop ``S<k>``."""
    return -1 - int(k)


def stop_level(tok):
    """``k`` of a stop token ``S<k>`` (array-friendly)."""
    return -1 - tok


def is_stop(tok):
    return (tok < 0) & (tok > STOP_LIMIT)


def is_data(tok):
    return tok >= 0


@dataclass
class Stream:
    """One SAM stream: ``tok`` (int64 tokens), ``val`` (float64, value streams only) and
    ``t`` (int64 cycle at which each token leaves its producer; cycle mode only)."""

    tok: np.ndarray
    val: np.ndarray | None = None
    t: np.ndarray | None = None

    def __len__(self):
        return len(self.tok)

    def counts(self) -> dict:
        """Token counts by kind: ``coords`` (any data token), ``stop``, ``empty``, ``done``."""
        tok = self.tok
        stops = int(np.count_nonzero(is_stop(tok)))
        empty = int(np.count_nonzero(tok == EMPTY))
        done = int(np.count_nonzero(tok == DONE))
        return {"coords": len(tok) - stops - empty - done, "stop": stops, "empty": empty,
                "done": done}

    def data(self) -> np.ndarray:
        """The data tokens (values for a value stream), control tokens removed."""
        mask = self.tok >= 0
        return self.val[mask] if self.val is not None else self.tok[mask]

    def to_list(self) -> list:
        """Readable tokens: ints/floats, ``"S0"``, ``"N"``, ``"D"`` (for tests and display)."""
        out = []
        for k, tok in enumerate(self.tok.tolist()):
            if tok >= 0:
                out.append(float(self.val[k]) if self.val is not None else tok)
            elif tok == EMPTY:
                out.append("N")
            elif tok == DONE:
                out.append("D")
            else:
                out.append(f"S{-1 - tok}")
        return out

    def __repr__(self):
        items = self.to_list()
        text = " ".join(str(x) for x in items[:40]) + (" ..." if len(items) > 40 else "")
        return f"Stream[{text}]"


def parse_token(item) -> tuple[int, float]:
    if isinstance(item, str):
        s = item.strip().upper()
        if s == "N":
            return EMPTY, 0.0
        if s == "D":
            return DONE, 0.0
        if s.startswith("S") and s[1:].isdigit():
            return stop(int(s[1:])), 0.0
        try:
            item = float(s)
        except ValueError:
            pass
        else:
            return parse_token(item)
        raise InputError(f"stream token {item!r}: expected an int, a float, 'S<k>', 'N' or 'D'")
    if isinstance(item, (float, np.floating)) and not float(item).is_integer():
        return 0, float(item)
    value = int(item)
    if value < 0:
        raise InputError(f"stream token {item!r}: data tokens must be >= 0")
    return value, float(item)


def make(items, values: bool = False, t=None) -> Stream:
    """A stream from readable tokens, e.g. ``make("0 2 S0 N S1 D")`` or a list.

    With ``values=True`` data items become values (token 0, value in ``val``).
    """
    if isinstance(items, str):
        items = items.split()
    parsed = [parse_token(x) for x in items]
    tok = np.array([p[0] for p in parsed], dtype=np.int64)
    val = None
    if values:
        val = np.array([p[1] for p in parsed], dtype=np.float64)
        tok = np.where(tok >= 0, 0, tok).astype(np.int64)
    times = np.arange(len(tok), dtype=np.int64) if t is None else np.asarray(t, dtype=np.int64)
    return Stream(tok, val, times)


def root() -> Stream:
    """The root reference stream every tensor's top-level scanner reads: ``0 D``."""
    return Stream(np.array([0, DONE], dtype=np.int64), None, np.array([0, 1], dtype=np.int64))


def fiber_index(tok: np.ndarray) -> np.ndarray:
    """For each token, the index of the fiber it belongs to (stops close fibers)."""
    stops = is_stop(tok).astype(np.int64)
    return np.cumsum(stops) - stops
