"""The main job's stages, declared once.

`STAGES` is the one table: `pipeline.run_mix` runs them in this order, the web
runner turns them into progress steps and one overall fraction, the report
sums the mix stages' seconds, and the page draws its step list from
`GET /api/stages` (it holds no copy). Adding a stage means one row here and a
`with timer.stage(...)` block in `pipeline.py`; `tests/test_stages.py` checks
the others know it.

`StageTimer.stage(name)` does a stage's timing and its progress together: it
reports the start (fraction 0) and, when the block ends without an error, the
end (fraction 1), and yields the callback for the steps in between.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

Progress = Callable[[str, float, str], None]  # (stage name, fraction 0..1, detail)
StepProgress = Callable[..., None]  # (fraction 0..1, detail="") within one stage


@dataclass(frozen=True)
class Stage:
    name: str  # the pipeline's name for it, also report.json's `stage_seconds` key
    step: str  # the web progress step it shows as (several stages may share one)
    weight: float  # its share of a web job's overall progress (the weights sum to 1)
    label: str  # the page's words for its step
    mix: bool = False  # counted in "mix seconds per output second" (the stages after analysis)


# Weights: each stage's typical share of a whole job's wall time on CPU.
STAGES: tuple[Stage, ...] = (
    Stage("ingest", "processing_started", 0.02, "Reading the songs"),
    Stage("separate", "separating", 0.45, "Splitting the stems"),
    Stage("analyze", "analyzing", 0.15, "Finding tempo, key and sections"),
    Stage("interpret", "interpreting", 0.05, "Planning the mashup"),
    Stage("prepare", "processing", 0.18, "Aligning, stretching and matching", mix=True),
    Stage("render", "rendering", 0.05, "Rendering and mastering", mix=True),
    Stage("master", "rendering", 0.07, "Rendering and mastering", mix=True),
    Stage("export", "rendering", 0.03, "Rendering and mastering", mix=True),
)
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
MIX_STAGES: tuple[str, ...] = tuple(s.name for s in STAGES if s.mix)

# The web job's steps around the stages: waiting in the queue, and done.
QUEUED_STEP = ("queue_position", "Waiting in line")
DONE_STEP = ("complete", "Ready")


def stage_named(name: str) -> Stage:
    """The table's row for `name`; a stage that is not in the table is an error,
    never a silent weight of 0."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"unknown stage {name!r}: add it to musicmixer.stages.STAGES")


def web_steps() -> list[dict[str, str]]:
    """The page's step list in order, each step once: the queue, the stages'
    steps, done."""
    steps = [QUEUED_STEP, *dict.fromkeys((s.step, s.label) for s in STAGES), DONE_STEP]
    return [{"step": step, "label": label} for step, label in steps]


def stage_table() -> dict:
    """`GET /api/stages`: the table and the page's step list."""
    return {"stages": [{"name": s.name, "step": s.step, "weight": s.weight, "label": s.label}
                       for s in STAGES],
            "steps": web_steps()}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Rubber Band runs as one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _no_progress(stage: str, fraction: float, detail: str = "") -> None:
    pass


class StageTimer:
    """Wall and CPU seconds per stage, in the order the stages ran (on a shared
    machine the CPU figure is the steadier one), and each stage's progress."""

    def __init__(self, progress: Progress | None = None):
        self.progress: Progress = progress or _no_progress
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[StepProgress]:
        """Time stage `name` and report its progress: 0 with `detail` now, the
        yielded callback's fractions meanwhile, 1 at the end unless the block
        already reported it."""
        stage_named(name)
        done = False

        def step(fraction: float, detail: str = "") -> None:
            nonlocal done
            done = done or fraction >= 1.0
            self.progress(name, fraction, detail)

        t0, c0 = time.perf_counter(), _cpu()
        try:
            step(0.0, detail)
            yield step
            if not done:
                step(1.0, "")
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)
            self.cpu_seconds[name] = round(self.cpu_seconds.get(name, 0.0) + _cpu() - c0, 3)
