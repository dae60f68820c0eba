"""Offline planner (step 4) speed and prompt understanding; prints one JSON object.

    python bench/interpreter.py [--repeat 5]

Runs every prompt of tests/interpreter_cases.py (each with the plan
properties it must have) through `interpret` with no LLM configured, and the
adversarial prompts, and reports milliseconds per plan (median and p95),
milliseconds to validate a full LLM-sized plan, and the share of the table's
prompts honoured (every listed property holds). Then the listener-phrased
table of tests/prompt_table.py, per split (dev, and the held-out test split)
and per kind of prompt, with the count of reversals (the plan did the
opposite of what was asked) and of silent plans (a section with every gain
0), and milliseconds per plan (`interpret` alone, the song pair and settings
built beforehand); and the probes of tests/prompt_probes.py (written
before they were run, now part of the dev split) on their own. Target: honoured = 1.0 on the old table, 0 reversals,
0 silent plans, median < 50 ms per plan.

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from interpreter_cases import ADVERSARIAL, CASES, check, run_case, song_pair  # noqa: E402
from interpreter_helpers import settings_for  # noqa: E402
from prompt_checks import analyses, reversed_, silent_sections  # noqa: E402
from prompt_checks import check as table_check  # noqa: E402
from prompt_probes import probes  # noqa: E402
from prompt_table import rows  # noqa: E402

from musicmixer.interpreter import interpret, plan_from_llm_output  # noqa: E402
from musicmixer.stems import SEVEN_STEMS  # noqa: E402


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000.0


def _table(which: str, repeat: int) -> tuple[dict, list[float]]:
    """One split of the listener-phrased table (or "probes": tests/prompt_probes.py,
    part of the dev split but scored on its own): per-kind honoured counts,
    reversals, silent plans, failures, and the milliseconds per plan."""
    kinds: dict[str, list[int]] = {}
    failures, reversals, silent, times = {}, {}, [], []
    for index, kind, prompt, mode, expect, layout in (probes() if which == "probes" else rows(which)):
        a, b = analyses(mode, layout, expect.get("pitch"))
        settings = settings_for(mode)
        for _ in range(max(1, repeat)):
            plan, ms = _timed(lambda p=prompt, a=a, b=b, s=settings: interpret(a, b, p, settings=s))
            times.append(ms)
        bad = table_check(plan, expect, mode, layout)
        tally = kinds.setdefault(kind, [0, 0])
        tally[0] += not bad
        tally[1] += 1
        if bad:
            failures[f"{index}:{prompt}"] = bad[:2]
        rev = reversed_(plan, expect, mode, layout, kind)
        if rev:
            reversals[f"{index}:{prompt}"] = rev
        if silent_sections(plan):
            silent.append(f"{index}:{prompt}")
    total = sum(t[1] for t in kinds.values())
    ordered = sorted(times)
    return {
        "prompts": total,
        "honoured": round(sum(t[0] for t in kinds.values()) / max(total, 1), 3),
        "by_kind": {k: f"{h}/{n}" for k, (h, n) in sorted(kinds.items())},
        "reversals": len(reversals),
        "reversed": reversals,
        "silent_plans": len(silent),
        "silent": silent,
        "not_honoured": failures,
        "plan_ms_median": round(statistics.median(ordered), 2),
        "plan_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per prompt")
    args = parser.parse_args()

    run_case("warm-up", "6")
    times, honoured, failures = [], 0, {}
    for prompt, mode, expect in CASES:
        for _ in range(max(1, args.repeat)):
            plan, ms = _timed(lambda p=prompt, m=mode: run_case(p, m)[0])
            times.append(ms)
        bad = check(plan, expect)
        honoured += not bad
        if bad:
            failures[prompt] = bad[:2]
    adversarial_ok = 0
    for prompt in ADVERSARIAL:
        plan, ms = _timed(lambda p=prompt: run_case(p, "7")[0])
        times.append(ms)
        adversarial_ok += bool(plan.sections) and plan.planner == "offline"

    a, b = song_pair("7")
    gains = dict.fromkeys(SEVEN_STEMS, 0.7)
    llm_plan = {"vocal_source": "song_a", "explanation": "x",
                "sections": [{"label": "verse", "start_beat": i * 16, "end_beat": i * 16 + 16,
                              "stem_gains": gains} for i in range(18)]}
    validate_ms = [_timed(plan_from_llm_output, llm_plan, a, b, "", settings_for("7"))[1]
                   for _ in range(20)]

    splits = {which: _table(which, args.repeat)[0] for which in ("dev", "test", "probes")}

    times.sort()
    print(json.dumps({
        "prompts": len(CASES),
        "honoured": round(honoured / len(CASES), 3),
        "not_honoured": failures,
        "adversarial_valid": f"{adversarial_ok}/{len(ADVERSARIAL)}",
        "plan_ms_median": round(statistics.median(times), 2),
        "plan_ms_p95": round(times[int(0.95 * (len(times) - 1))], 2),
        "validate_ms_median": round(statistics.median(validate_ms), 2),
        "table_dev": splits["dev"],
        "table_test": splits["test"],
        "probes": splits["probes"],
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
