"""The stem vocabulary, the stem-mode table (all four rows) and the fold/split
rules between modes."""

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


def test_each_mode_knows_its_vocal_and_instrumental_stems_and_labels():
    seven = stems.stem_mode("modal", True)
    assert seven.vocal_stems == ("lead_vocals", "backing_vocals")
    assert seven.instrumental_stems == ("drums", "bass", "guitar", "piano", "other")
    assert list(seven.labels) == stems.SEVEN_STEMS
    assert seven.labels["backing_vocals"] == "Backing vocals"
    assert stems.stem_mode("local", False).labels == {
        "vocals": "Vocals", "drums": "Drums", "bass": "Bass", "other": "Other"}
    assert stems.stem_label("kazoo_solo") == "Kazoo solo"


def test_projection_between_modes():
    four, six, seven = (stems.STEM_MODES[n] for n in ("4-stem", "6-stem", "7-stem"))
    six_gains = {"vocals": 0.8, "drums": 0.5, "bass": 0.6, "guitar": 0.9, "piano": 0.3, "other": 0.2}
    assert four.project(six_gains) == {"vocals": 0.8, "drums": 0.5, "bass": 0.6, "other": 0.9}
    assert six.project(six_gains) == six_gains
    assert seven.project(six_gains) == {
        "lead_vocals": 0.8, "backing_vocals": pytest.approx(0.8 * stems.DEFAULT_BACKING_VOCAL_RATIO),
        "drums": 0.5, "bass": 0.6, "guitar": 0.9, "piano": 0.3, "other": 0.2}
    # a part given explicitly wins over the split; lead/backing fold back into vocals
    assert seven.project({"vocals": 1.0, "backing_vocals": 0.1})["backing_vocals"] == 0.1
    assert six.project({"lead_vocals": 0.7, "backing_vocals": 0.4})["vocals"] == 0.7
    assert four.project({"kazoo": 1.0}) == dict.fromkeys(stems.FOUR_STEMS, 0.0)


def test_unsplit_stems_are_what_a_failed_vocal_split_returns():
    assert stems.stem_mode("modal", True).unsplit_stems == tuple(stems.ALL_STEMS)
    assert stems.stem_mode("modal", False).unsplit_stems is None
    assert stems.stem_mode("local", False).unsplit_stems is None


def test_every_mode_is_consistent():
    backends = set()
    for mode in stems.STEM_MODES.values():
        assert set(mode.vocal_stems) <= stems.VOCAL_STEM_NAMES and mode.vocal_stems
        assert stems.stem_mode(mode.backend, mode.vocal_sub_separation) is mode
        assert mode.known_stems >= set(mode.stems)
        backends.add(mode.backend)
    assert backends == {"local", "modal"}


def test_a_bad_mode_is_refused():
    with pytest.raises(ValueError, match="a fold must"):
        stems.StemMode("bad", ("vocals", "other"), "local", False, folds={"drums": "bass"})
    with pytest.raises(ValueError, match=r"listed twice.*catch-all"):
        stems.StemMode("bad", ("vocals", "vocals"), "local", False)
    assert len({*stems.STEM_MODES.values()}) == len(stems.STEM_MODES)  # hashable
