"""The listener-phrased prompt table (tests/prompt_table.py): every DEV row
and every probe (tests/prompt_probes.py) is honoured; on every row of both
splits the plan never does the opposite of what was asked and never leaves
a section silent. The TEST split's
honoured share is reported by bench/interpreter.py, not asserted here, so
that nobody tunes the reader against it. Also a property test: for random
prompts built from the lexicon, a negated instruction never gives the gains
of the positive one."""

from __future__ import annotations

import random

import pytest
from prompt_checks import baseline, check, plan_for, reversed_, silent_sections
from prompt_probes import probes
from prompt_table import ROWS, rows

DEV = rows("dev")
PROBES = probes()


def test_the_table_is_large_and_split_by_index():
    assert len(ROWS) >= 150
    assert len(rows("test")) == len(ROWS) // 3
    assert {i % 3 for i, *_ in rows("test")} == {2}


@pytest.mark.parametrize("index, kind, prompt, mode, expect, layout", DEV, ids=[f"{r[0]}:{r[2][:30]}" for r in DEV])
def test_dev_row_is_honoured(index, kind, prompt, mode, expect, layout):
    plan = plan_for(prompt, mode, layout, expect.get("pitch"))
    assert check(plan, expect, mode, layout) == []


@pytest.mark.parametrize("index, kind, prompt, mode, expect, layout", PROBES,
                         ids=[f"probe{r[0]}:{r[2][:30]}" for r in PROBES])
def test_probe_is_honoured_never_reversed_nor_silent(index, kind, prompt, mode, expect, layout):
    """The probes (tests/prompt_probes.py) belong to the dev split."""
    plan = plan_for(prompt, mode, layout, expect.get("pitch"))
    assert check(plan, expect, mode, layout) == []
    assert reversed_(plan, expect, mode, layout, kind) == []


def test_no_row_is_reversed_or_silent():
    bad = {}
    for index, kind, prompt, mode, expect, layout in rows():
        plan = plan_for(prompt, mode, layout, expect.get("pitch"))
        problems = reversed_(plan, expect, mode, layout, kind) + [
            f"silent {s.label}" for s in silent_sections(plan)]
        if problems:
            bad[f"{index}:{prompt}"] = problems
    assert bad == {}


STEM_WORDS = {"6": [("drums", "drums"), ("the kit", "drums"), ("percussion", "drums"), ("bass", "bass"),
                    ("the low end", "bass"), ("guitar", "guitar"), ("keys", "piano"), ("piano", "piano"),
                    ("vocals", "vocals"), ("the singer", "vocals")],
              "4": [("drums", "drums"), ("bass", "bass"), ("the bottom end", "bass"), ("vox", "vocals")],
              "7": [("drums", "drums"), ("bass", "bass"), ("harmonies", "backing_vocals"),
                    ("lead vocal", "lead_vocals"), ("keys", "piano")]}
VERBS = ["remove {s}", "mute {s}", "cut {s}", "kill {s}", "lose {s}", "strip {s}", "take out {s}",
         "boost {s}", "turn up {s}", "make {s} quieter", "turn down {s}", "{s} louder", "{s} a bit quieter"]
NEGATORS = ["don't ", "do not ", "never ", "please don't "]
SCOPES = ["", " in the verses", " in the chorus", " in the bridge", " after the first chorus", ""]


def test_property_a_negated_instruction_never_gives_the_positive_gains():
    rng = random.Random(16)
    compared = 0
    for _ in range(240):
        mode = rng.choice(["4", "6", "7"])
        words, stem = rng.choice(STEM_WORDS[mode])
        positive = rng.choice(VERBS).format(s=words) + rng.choice(SCOPES)
        negated = rng.choice(NEGATORS) + positive
        pos, neg = plan_for(positive, mode), plan_for(negated, mode)
        as_planned = [s.stem_gains for s in baseline(mode).sections]
        if [s.stem_gains for s in pos.sections] == as_planned:
            continue  # the positive changed nothing here (e.g. a vocal already at full gain)
        compared += 1
        assert [s.stem_gains for s in neg.sections] != [s.stem_gains for s in pos.sections], negated
        assert [s.stem_gains[stem] for s in neg.sections] == [g[stem] for g in as_planned], negated
    assert compared >= 150
