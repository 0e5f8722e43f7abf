"""Structured JSON log lines: one JSON object per line, ids only, never a token.

Admin functions log through powertools' ``Logger``. The agent functions' cold start
cannot pay for powertools' package import (its ``__init__`` brings metrics, tracing
and jmespath: about forty modules to write one line), so they log through
:class:`JsonLogger`: the same line shape (``level``, ``location``, ``message``,
``timestamp``, ``service``, the extra keys, ``exception`` and ``exception_name``)
with the standard library only. The metric filters and the dashboard read either.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any, Protocol

SERVICE = "edgex"


class StructuredLogger(Protocol):
    def info(self, msg: str, *, extra: dict[str, Any] | None = None) -> None: ...
    def error(self, msg: str, *, extra: dict[str, Any] | None = None) -> None: ...
    def exception(self, msg: str, *, extra: dict[str, Any] | None = None) -> None: ...


class JsonLogger:
    """powertools' line shape, from the standard library only (see the module doc)."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _write(self, level: str, msg: str, extra: dict[str, Any] | None, error: bool = False) -> None:
        caller = sys._getframe(2)
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f",{int(now % 1 * 1000):03d}+0000"
        line: dict[str, Any] = {
            "level": level,
            "location": f"{caller.f_code.co_name}:{caller.f_lineno}",
            "message": msg,
            "timestamp": stamp,
            "service": self.service,
            **(extra or {}),
        }
        if error:
            kind, value, _ = sys.exc_info()
            if kind is not None:
                line["exception"] = "".join(traceback.format_exception(value)).rstrip()
                line["exception_name"] = kind.__name__
        sys.stdout.write(json.dumps(line, default=str, separators=(",", ":")) + "\n")

    def info(self, msg: str, *, extra: dict[str, Any] | None = None) -> None:
        self._write("INFO", msg, extra)

    def error(self, msg: str, *, extra: dict[str, Any] | None = None) -> None:
        self._write("ERROR", msg, extra)

    def exception(self, msg: str, *, extra: dict[str, Any] | None = None) -> None:
        self._write("ERROR", msg, extra, error=True)


_loggers: dict[bool, StructuredLogger] = {}


def logger(agent: bool) -> StructuredLogger:
    """The logger of a function: the light one on the agent path, powertools' elsewhere."""
    if agent not in _loggers:
        if agent:
            _loggers[agent] = JsonLogger()
        else:
            from aws_lambda_powertools import Logger

            _loggers[agent] = Logger(service=SERVICE)
    return _loggers[agent]
