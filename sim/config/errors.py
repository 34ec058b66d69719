"""The one error type for bad input: it names the file (or option), the key path and the fix."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Invalid input (scenario, override, experiment, observed data).

    The message names the source (file or option), the key path (or line and column) and
    what is allowed; the command line prints it without a traceback and exits 2.
    """

    def __init__(self, source: str, keypath: str, message: str):
        self.source, self.keypath = source, keypath
        where = f"{source}: {keypath}: " if keypath else f"{source}: "
        super().__init__(where + message)


InputError = ScenarioError
