"""The generator's `backing="unison"` option: a centred double of the lead in
the sections that have backing, and default specs untouched."""

from __future__ import annotations

import pytest

from musicmixer.testsongs import SongSpec
from musicmixer.testsongs.compose import DOUBLE_DELAY_S, compose
from musicmixer.testsongs.mixdown import PANS, STEM_OF_PART


def test_default_specs_keep_their_cache_keys():
    # the value main computed before the option existed: default songs on disk stay valid
    assert SongSpec(seed=3, bars=16).cache_key("festival") == "1bb37edcdaac"
    assert "double" not in compose(SongSpec(seed=3, bars=16)).parts


def test_unison_doubles_the_lead_late_in_the_backing_sections():
    spec = SongSpec(seed=3, bars=16, backing="unison")
    score = compose(spec)
    assert not score.parts["backing_hi"] and not score.parts["backing_lo"]
    assert "chorus" in score.bar_sections
    lead = {(round(n.start, 6), n.pitch) for n in score.parts["lead"]}
    double = score.parts["double"]
    assert double
    assert all((round(n.start - DOUBLE_DELAY_S, 6), n.pitch) in lead for n in double)
    assert len(double) < len(score.parts["lead"])  # the verse has no backing
    assert PANS["double"] == 0.0 and STEM_OF_PART["double"] == "backing_vocals"
    assert spec.cache_key("festival") != SongSpec(seed=3, bars=16).cache_key("festival")


def test_unknown_backing_style_is_refused():
    with pytest.raises(ValueError, match="backing"):
        SongSpec(backing="choir")
