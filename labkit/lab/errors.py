"""The two kinds of failure labkit distinguishes.

``InputError`` is the user's to fix (a bad argument, a malformed file, a missing data
set): the command line prints its message on one line and exits with code 2.
``RunFailed`` is a computation that started and broke (a notebook cell raised).
"""

SHORT = 80  # characters of a user's input quoted in a message


class InputError(ValueError):
    """Bad input: the message names the problem; the CLI exits with code 2."""


class RunFailed(RuntimeError):
    """A notebook run failed; the message names the notebook and the cell."""


def shorten(text, limit: int = SHORT) -> str:
    """``text`` (any object, as str) cut to ``limit`` characters with the length said, so a
    10,000-term expression or a megabyte path does not flood a one-line error."""
    text = str(text)
    if len(text) <= limit:
        return text
    tail = f"... ({len(text)} characters)"
    return text[:max(limit - len(tail), 0)] + tail


def one_line(message, limit: int = 400) -> str:
    """A message on one line (newlines and tabs become spaces), at most ``limit`` characters."""
    return shorten(" ".join(str(message).split()), limit)
