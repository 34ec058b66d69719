"""The command line's own error: bad input, printed without a traceback (exit status 2).

Its own module so that every command module can raise it without importing the others
(``common`` re-exports it).
"""


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""
