"""A remix's versions: what each "Apply" made, and which one is served.

Version 0 is the first render (`base/`, every stem at its planned gain);
each Apply renders version n (`renders/{n}/`) from `base/` with its fader
factors. The job's `result` keeps them in `versions` and names the one
served in `version`; `mix` and `sections` are always the served one's, so
the audio, the download, the plan and a share link agree. Going back to an
earlier version only changes which is served: nothing is rendered again.

A version keeps its master, plan.json and report.json; its float stems (the
bulk of a render folder) are removed once it is done, as re-renders always
start from `base/`. At most `MAX_VERSIONS` are kept: past that the oldest
re-render that is not served goes.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from musicmixer.mix.rerender import read_render, section_times

MAX_VERSIONS = 12  # a re-render folder without its stems is a few MB (the MP3, plan, report)


def versions_of(result: dict) -> list[dict]:
    """The versions of a finished remix, oldest first (a result written before
    versions existed has its base and, if re-rendered, the render served)."""
    if "versions" in result:
        return list(result["versions"])
    base = {"n": 0, "mix": "base/remix.mp3", "stem_gains": {s: 1.0 for s in result.get("stems", [])},
            "section_gains": {}, "created_at": None}
    n = int(result.get("renders", 0))
    if n and result.get("mix") != base["mix"]:
        return [base, {**base, "n": n, "mix": result["mix"], "stem_gains": {}}]
    return [base]


def current_version(result: dict) -> int:
    return int(result.get("version", result.get("renders", 0) if "versions" not in result else 0))


def first_result(result: dict) -> dict:
    """A fresh mix's result with its version list (version 0, served)."""
    base = {"n": 0, "mix": result["mix"], "stem_gains": {s: 1.0 for s in result.get("stems", [])},
            "section_gains": {}, "created_at": time.time(), "sections": result.get("sections", []),
            "warnings": list(result.get("warnings", []))}
    return {**result, "versions": [base], "version": 0, "renders": 0}


def add_version(folder: Path, result: dict, mix: Path, n: int, wanted: dict,
                warnings: list[str]) -> dict:
    """The result once re-render n is done: n is added and served."""
    plan, report, _ = read_render(mix.parent)
    shutil.rmtree(mix.parent / "stems", ignore_errors=True)  # re-renders start from base/
    all_warnings = list(dict.fromkeys(report.get("warnings", []) + warnings))
    full = {s: float(wanted.get("stem_gains", {}).get(s, 1.0)) for s in result.get("stems", [])}
    entry = {"n": n, "mix": mix.relative_to(folder).as_posix(), "stem_gains": full,
             "section_gains": wanted.get("section_gains", {}), "created_at": time.time(),
             "sections": section_times(plan, report), "warnings": all_warnings}
    versions = versions_of(result) + [entry]
    while len(versions) > MAX_VERSIONS:
        old = next(v for v in versions[1:] if v["n"] != n)
        versions.remove(old)
        shutil.rmtree((folder / old["mix"]).parent, ignore_errors=True)
    return select({**result, "versions": versions, "renders": n}, n)


def select(result: dict, n: int) -> dict:
    """The result with version n served (KeyError if there is none)."""
    entry = next((v for v in versions_of(result) if v["n"] == n), None)
    if entry is None:
        raise KeyError(n)
    out = {**result, "version": n, "mix": entry["mix"]}
    for key in ("sections", "warnings"):
        if key in entry:
            out[key] = entry[key]
    return out


def kept_folders(result: dict) -> set[str]:
    """The `renders/{n}` folder names a finished remix still needs."""
    return {Path(v["mix"]).parent.name for v in versions_of(result)
            if v["mix"].startswith("renders/")}


def listing(job_id: str, result: dict) -> dict:
    """What GET /versions answers: no paths, each version's gains and audio."""
    base = f"/api/remix/{job_id}/audio"
    return {"session_id": job_id, "current": current_version(result),
            "versions": [{"n": v["n"], "stem_gains": v.get("stem_gains", {}),
                          "section_gains": v.get("section_gains", {}),
                          "created_at": v.get("created_at"),
                          "audio_url": f"{base}?version={v['n']}"}
                         for v in versions_of(result)]}
