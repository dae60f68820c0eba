"""Log lines carry the job id: as text ("remix <id>: ...") and, with
LOG_FORMAT=json, as fields a log store can index, with the worker's id."""

from __future__ import annotations

import io
import json
import logging

from musicmixer.service.job_log import JobLog, JsonFormatter, StampFields


def _capture(formatter: logging.Formatter, **fields: str) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(StampFields(fields))
    logger = logging.getLogger(f"test-job-log-{id(out)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_json_lines_carry_the_job_and_the_worker():
    logger, out = _capture(JsonFormatter(), worker="host:12:abc")
    JobLog(logger, "job-1").info("started (start %d)", 2)
    logger.warning("no job here")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["job_id"] == "job-1" and first["worker"] == "host:12:abc"
    assert first["message"] == "remix job-1: started (start 2)" and first["level"] == "INFO"
    assert "job_id" not in second and second["worker"] == "host:12:abc"


def test_text_lines_name_the_job():
    logger, out = _capture(logging.Formatter("%(message)s"))
    JobLog(logger, "job-2").warning("its process was killed")
    assert out.getvalue().strip() == "remix job-2: its process was killed"
