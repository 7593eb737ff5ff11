"""How the local processes (the stack, local AWS) wait to be stopped.

The stop signals are blocked before any thread starts (threads inherit the mask, and so do
child processes) and taken with `sigwait`, never by a Python handler: signals can come in a
burst (a stack killed outright sends local AWS its parent-death signal once per exiting
thread), a handler re-entered by one deadlocked on `threading.Event`'s lock, and local AWS
outlived the stack, holding its port.
"""

from __future__ import annotations

import signal

# The stack's terminate, the parent-death signal, Ctrl-C (the terminal's, or the tests').
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def hold_stop_signals() -> None:
    """First thing in `main`, before any thread starts: a stop signal from now on waits for
    `wait_for_stop_signal` (one sent during startup stops the process once it has started)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def wait_for_stop_signal() -> int:
    """Block until a stop signal comes; the signal's number. Later ones stay held."""
    return signal.sigwait(STOP_SIGNALS)
