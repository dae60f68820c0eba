"""Logs that carry the job id, as text or as one JSON object a line.

In cluster mode a job's lines come from the API node that took it, the
worker that ran it and its job process, on different machines: each line
carries `job_id` (and the worker's id), so a log store can put one job's
story together. `LOG_FORMAT=json` writes JSON lines for such a store; the
default stays readable text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import MutableMapping
from typing import Any

_CARRIED = ("job_id", "worker")


class JobLog(logging.LoggerAdapter):
    """A logger whose every line names its job."""

    def __init__(self, logger: logging.Logger, job_id: str):
        super().__init__(logger, {"job_id": job_id})

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        return f"remix {extra.get('job_id')}: {msg}", kwargs


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for key in _CARRIED:
            if getattr(record, key, None) is not None:
                out[key] = getattr(record, key)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


class StampFields(logging.Filter):
    """Adds fixed fields (a job process's job id, a worker's id) to every record."""

    def __init__(self, fields: dict[str, str]):
        super().__init__()
        self.fields = fields

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.fields.items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


def configure_logging(fmt: str, **fields: str) -> None:
    """Root logging for a worker or a job process; `fields` go on every line."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        prefix = " ".join(f"{k}={v}" for k, v in fields.items())
        handler.setFormatter(logging.Formatter(
            f"%(asctime)s %(levelname)s %(name)s{' ' + prefix if prefix else ''}: %(message)s"))
    handler.addFilter(StampFields(fields))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
