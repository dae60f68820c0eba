"""The stem vocabulary and the stem-mode table (DESIGN.md), all four rows."""

import logging

import pytest

from musicmixer import stems
from musicmixer.config import load_settings


def test_vocabularies():
    assert stems.FOUR_STEMS == ["vocals", "drums", "bass", "other"]
    assert stems.ALL_STEMS == ["vocals", "drums", "bass", "guitar", "piano", "other"]
    assert stems.SEVEN_STEMS == [
        "lead_vocals", "backing_vocals", "drums", "bass", "guitar", "piano", "other"]
    assert stems.VOCAL_STEM_NAMES == {"vocals", "lead_vocals", "backing_vocals"}


@pytest.mark.parametrize(
    "backend,flag,expected,warns",
    [
        ("modal", False, stems.ALL_STEMS, False),
        ("modal", True, stems.SEVEN_STEMS, False),
        ("local", False, stems.FOUR_STEMS, False),
        ("local", True, stems.FOUR_STEMS, True),
    ],
)
def test_stem_mode_table(caplog, backend, flag, expected, warns):
    caplog.set_level(logging.WARNING, logger="musicmixer.stems")
    assert stems.stems_for(backend, flag) == expected
    warned = any("ignored" in r.message for r in caplog.records)
    assert warned is warns


def test_mode_from_settings():
    s = load_settings(stem_backend="modal", vocal_sub_separation=True)
    assert stems.stems_for_settings(s) == stems.SEVEN_STEMS


def test_unknown_backend_is_an_error():
    with pytest.raises(ValueError, match="unknown stem backend"):
        stems.stems_for("cuda", False)


def test_vocal_and_instrumental_split():
    assert stems.vocal_stems(stems.SEVEN_STEMS) == ["lead_vocals", "backing_vocals"]
    assert stems.instrumental_stems(stems.SEVEN_STEMS) == ["drums", "bass", "guitar", "piano", "other"]
    assert all(stems.is_vocal(s) for s in stems.VOCAL_STEM_NAMES)
    assert not stems.is_vocal("drums")


def test_returned_lists_are_copies():
    got = stems.stems_for("local", False)
    got.append("kazoo")
    assert stems.FOUR_STEMS == ["vocals", "drums", "bass", "other"]
