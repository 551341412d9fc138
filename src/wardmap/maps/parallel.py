"""Two pieces of export work at once: one in this process, one in a forked child.

A run's maps are independent pages (five A4 PNGs and map.html), and most of their cost is
single-threaded drawing and encoding, so a second process halves the wall-clock time on a
two-core machine. Forking shares the run already in memory (and the libraries already
imported) without pickling it; where fork is unavailable, or with one core, both pieces run
here one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Run ``second`` in a forked child while ``first`` runs here; return both results.

    An exception in either is raised here (the child's after the parent's work is done, so
    the child never outlives the call).
    """
    if not _can_fork():
        return first(), second()
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(second, send), daemon=True)
    child.start()
    send.close()
    try:
        mine = first()
    finally:
        outcome = _receive(receive)
        child.join()
    ok, value = outcome
    if not ok:
        raise value
    return mine, value


def _can_fork() -> bool:
    if os.environ.get("WARDMAP_SERIAL") == "1":
        return False
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _child(work: Callable[[], Any], send: Any) -> None:
    try:
        send.send((True, work()))
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            send.send((False, exc))
        except Exception:  # an exception that cannot be pickled
            send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


def _receive(receive: Any) -> tuple[bool, Any]:
    try:
        return receive.recv()
    except EOFError:
        return False, RuntimeError("the map-drawing process ended without a result")
