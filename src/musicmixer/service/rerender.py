"""Re-rendering a finished remix with new stem gains (the page's "apply").

Always from the first render's stems and plan (`base/`), never from an
earlier re-render, so a fader pulled to zero and applied can be brought back
later. Each one is a new version of the remix (`versions.py`). The faders
are factors on the plan's gains; `sections` sets a section's gains outright.
The work is `musicmixer.mix.rerender.rerender`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from musicmixer.config import Settings
from musicmixer.mix.rerender import MAX_GAIN, rerender

from . import results
from .versions import add_version


class SectionGains(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, description="Section number in the plan, from 0")
    stem_gains: dict[str, float] = Field(description="Gain per stem for this section, 0-2")


class RerenderRequest(BaseModel):
    """New gains: `stem_gains` scale a stem in every section (1 = as planned);
    `sections` replace a section's planned gains."""

    model_config = ConfigDict(extra="forbid")

    stem_gains: dict[str, float] = Field(default_factory=dict)
    sections: list[SectionGains] = Field(default_factory=list, max_length=256)


class RerenderInputError(ValueError):
    """A request naming stems or sections this remix does not have."""


def check_request(body: RerenderRequest, result: dict) -> dict:
    """The request as stored for the worker, after checking it against the remix."""
    stems, sections = result.get("stems", []), result.get("sections", [])
    named = set(body.stem_gains) | {k for s in body.sections for k in s.stem_gains}
    unknown = sorted(named - set(stems))
    if unknown:
        raise RerenderInputError(f"This remix has no stem named {', '.join(unknown)}; its stems "
                                 f"are {', '.join(stems)}.")
    values = list(body.stem_gains.values()) + [v for s in body.sections
                                               for v in s.stem_gains.values()]
    if any(not (0.0 <= v <= MAX_GAIN) for v in values):
        raise RerenderInputError(f"Gains must be between 0 and {MAX_GAIN:g}.")
    bad = [s.index for s in body.sections if s.index >= len(sections)]
    if bad:
        raise RerenderInputError(f"This remix has {len(sections)} sections (0 to "
                                 f"{len(sections) - 1}); there is no section {bad[0]}.")
    return {"stem_gains": body.stem_gains,
            "section_gains": {str(s.index): s.stem_gains for s in body.sections}}


def run_rerender(job, settings: Settings, progress) -> dict:
    """Worker side: render version n+1 from the base render; it becomes the one served."""
    wanted = job.options.get("rerender", {})
    n = int(job.result.get("renders", 0)) + 1
    out = results.render_mix(job.folder, n)
    done = rerender(results.base_mix(job.folder).parent, out, settings,
                    stem_gains=wanted.get("stem_gains", {}),
                    section_gains={int(k): v for k, v in wanted.get("section_gains", {}).items()},
                    progress=progress)
    return add_version(job.folder, job.result, done.files["mix"], n, wanted, done.warnings)
