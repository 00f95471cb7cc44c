"""The one error type the command line turns into a one-line message and exit code 2.

Every failure an operator can cause or meet (bad flags, bad input files, an unreachable
or refusing API server) is raised as a subclass, whose ``str()`` is that one line; any
other exception is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A failure to report as one line on stderr, exit code 2."""
