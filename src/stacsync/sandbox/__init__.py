"""The provider sandbox: local emulators of the CLMS, CLC+ Backbone and Terrascope services.

Start it with ``stacsync sandbox up`` or, from Python and tests, with
:func:`running_sandbox` (a background thread) or :class:`Sandbox` (``async with``).
"""

from stacsync.sandbox.clock import SandboxClock
from stacsync.sandbox.options import FaultOptions, ProviderOptions, SandboxOptions
from stacsync.sandbox.requestlog import LogEntry, RequestLog
from stacsync.sandbox.runner import Sandbox, running_sandbox

__all__ = [
    "FaultOptions",
    "LogEntry",
    "ProviderOptions",
    "RequestLog",
    "Sandbox",
    "SandboxClock",
    "SandboxOptions",
    "running_sandbox",
]
