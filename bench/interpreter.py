"""Offline planner (step 4) speed and prompt understanding; prints one JSON object.

    python bench/interpreter.py [--repeat 5]

Runs every prompt of tests/interpreter_cases.py (each with the plan
properties it must have) through `interpret` with no LLM configured, and the
adversarial prompts, and reports milliseconds per plan (median and p95),
milliseconds to validate a full LLM-sized plan, and the share of the table's
prompts honoured (every listed property holds). Target: honoured = 1.0,
median < 50 ms per plan.
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

from musicmixer.interpreter import plan_from_llm_output  # noqa: E402
from musicmixer.stems import SEVEN_STEMS  # noqa: E402


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000.0


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

    times.sort()
    print(json.dumps({
        "prompts": len(CASES),
        "honoured": round(honoured / len(CASES), 3),
        "not_honoured": failures,
        "adversarial_valid": f"{adversarial_ok}/{len(ADVERSARIAL)}",
        "plan_ms_median": round(statistics.median(times), 2),
        "plan_ms_p95": round(times[int(0.95 * (len(times) - 1))], 2),
        "validate_ms_median": round(statistics.median(validate_ms), 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
