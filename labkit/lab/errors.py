"""The two kinds of failure labkit distinguishes.

``InputError`` is the user's to fix (a bad argument, a malformed file, a missing data
set): the command line prints its message on one line and exits with code 2.
``RunFailed`` is a computation that started and broke (a notebook cell raised).
"""


class InputError(ValueError):
    """Bad input: the message names the problem; the CLI exits with code 2."""


class RunFailed(RuntimeError):
    """A notebook run failed; the message names the notebook and the cell."""
