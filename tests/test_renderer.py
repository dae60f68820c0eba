"""Step 12 (sections -> gain curves -> buses) and the lead/backing renderer tests 5 and 6.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest

from musicmixer.interpreter.plan import PlanSection
from musicmixer.mix.renderer import RenderResult, beats_to_seconds, render_sections
from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS, VOCAL_STEM_NAMES

SR = 8000  # the renderer is rate-agnostic; a low rate keeps these tests quick
BPM = 120
BEAT_TIMES = np.arange(64) * 60.0 / BPM  # 0.5 s beats


def section(label, start, end, gains, transition="crossfade", beats=4):
    return PlanSection(label=label, start_beat=start, end_beat=end, stem_gains=gains,
                       transition_in=transition, transition_beats=beats)


def constant_stems(names, seconds=16.0):
    """Each stem a DC signal of a distinct value, so buses can be decoded exactly."""
    n = int(seconds * SR)
    return {name: np.full((2, n), 1.0 + i, np.float32) for i, name in enumerate(names)}


def at(beat):
    return int(beat * 0.5 * SR)


def test_seven_stem_vocals_both_route_to_the_vocal_bus():
    """Lead/backing test 5: lead_vocals and backing_vocals both on the vocal bus, own gains."""
    stems = constant_stems(SEVEN_STEMS)
    gains = {"lead_vocals": 1.0, "backing_vocals": 0.5, "drums": 0.8, "bass": 0.6,
             "guitar": 0.0, "piano": 0.3, "other": 0.2}
    r = render_sections(stems, [section("verse", 0, 32, gains)], SR, BEAT_TIMES, ducker=None)
    i = at(8)
    expected_vocal = 1.0 * 1 + 0.5 * 2
    expected_inst = 0.8 * 3 + 0.6 * 4 + 0.0 * 5 + 0.3 * 6 + 0.2 * 7
    assert r.vocal_bus[0, i] == pytest.approx(expected_vocal)
    assert r.instrumental_bus[0, i] == pytest.approx(expected_inst)
    assert r.gain_curves["lead_vocals"][i] == 1.0
    assert r.gain_curves["backing_vocals"][i] == 0.5
    assert np.allclose(r.per_stem["backing_vocals"][:, i], 0.5 * 2)


def test_backing_gain_changes_independently_between_sections():
    stems = constant_stems(SEVEN_STEMS)
    base = {s: 0.5 for s in SEVEN_STEMS}
    sections = [section("verse", 0, 16, base | {"backing_vocals": 0.0}),
                section("chorus", 16, 32, base | {"backing_vocals": 0.8})]
    r = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None)
    assert r.gain_curves["backing_vocals"][at(8)] == 0.0
    assert r.gain_curves["backing_vocals"][at(24)] == pytest.approx(0.8)
    assert r.gain_curves["lead_vocals"][at(8)] == r.gain_curves["lead_vocals"][at(24)] == 0.5
    assert r.vocal_bus[0, at(8)] == pytest.approx(0.5 * 1)
    assert r.vocal_bus[0, at(24)] == pytest.approx(0.5 * 1 + 0.8 * 2)


@pytest.mark.parametrize("names", [ALL_STEMS, FOUR_STEMS], ids=["6-stem", "4-stem"])
def test_six_and_four_stem_routing_unchanged(names):
    """Lead/backing test 6: `vocals` to the vocal bus, every other stem instrumental."""
    stems = constant_stems(names)
    gains = {name: 1.0 for name in names}
    r = render_sections(stems, [section("verse", 0, 32, gains)], SR, BEAT_TIMES, ducker=None)
    i = at(8)
    assert r.vocal_bus[0, i] == pytest.approx(1.0)  # vocals is stem 0 -> value 1
    assert r.instrumental_bus[0, i] == pytest.approx(sum(range(2, len(names) + 1)))
    assert set(r.per_stem) == set(names)


def test_every_vocal_name_is_on_the_vocal_bus_and_mix_is_the_sum():
    for name in VOCAL_STEM_NAMES:
        stems = {name: np.ones((2, SR * 4), np.float32)}
        r = render_sections(stems, [section("verse", 0, 8, {name: 1.0})], SR, BEAT_TIMES)
        assert np.any(r.vocal_bus) and not np.any(r.instrumental_bus)
        assert isinstance(r, RenderResult) and np.allclose(r.mix, r.vocal_bus)


def test_stem_missing_from_audio_is_silent():
    stems = constant_stems(["vocals", "drums"])
    gains = {"vocals": 1.0, "drums": 1.0, "guitar": 1.0, "backing_vocals": 1.0}
    r = render_sections(stems, [section("verse", 0, 32, gains)], SR, BEAT_TIMES, ducker=None)
    assert set(r.per_stem) == {"vocals", "drums"}
    assert r.instrumental_bus[0, at(8)] == pytest.approx(2.0)
    assert r.vocal_bus[0, at(8)] == pytest.approx(1.0)


def test_stem_not_named_in_the_plan_is_silent():
    stems = constant_stems(["vocals", "drums"])
    r = render_sections(stems, [section("verse", 0, 32, {"vocals": 1.0})], SR, BEAT_TIMES)
    assert not np.any(r.per_stem["drums"]) and not np.any(r.instrumental_bus)


def test_gain_curves_are_the_plan_mid_section_and_smooth():
    stems = constant_stems(["vocals", "drums"])
    sections = [section("intro", 0, 8, {"vocals": 0.0, "drums": 1.0}),
                section("verse", 8, 16, {"vocals": 1.0, "drums": 0.4}, "crossfade", 8),
                section("chorus", 16, 24, {"vocals": 0.7, "drums": 0.9}, "fade", 4),
                section("outro", 24, 32, {"vocals": 0.2, "drums": 0.2}, "cut", 0)]
    r = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None)
    for s in sections:
        mid = at((s.start_beat + s.end_beat) / 2)
        for stem, gain in s.stem_gains.items():
            assert r.gain_curves[stem][mid] == pytest.approx(gain, abs=1e-6)
    for curve in r.gain_curves.values():
        steps = np.abs(np.diff(curve))
        assert steps.max() < 0.05  # no jumps, even at the cut (declicked)
        assert curve.min() >= 0 and curve.max() <= 1


def test_crossfade_is_a_raised_cosine_centred_on_the_boundary():
    stems = constant_stems(["drums"])
    sections = [section("verse", 0, 16, {"drums": 0.0}),
                section("chorus", 16, 32, {"drums": 1.0}, "crossfade", 4)]
    curve = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None).gain_curves["drums"]
    start, end = at(14), at(18)  # 4 beats centred on beat 16
    assert curve[start - 1] == 0.0 and curve[end] == 1.0
    t = (np.arange(start, end) - start + 0.5) / (end - start)
    assert np.allclose(curve[start:end], (1 - np.cos(np.pi * t)) / 2, atol=1e-6)
    assert curve[at(16)] == pytest.approx(0.5, abs=1e-3)


def test_transition_beats_capped_at_8():
    stems = constant_stems(["drums"], seconds=32.0)
    sections = [section("verse", 0, 32, {"drums": 0.0}),
                PlanSection.model_construct(  # past the model's own limit of 8
                    label="chorus", start_beat=32, end_beat=64, stem_gains={"drums": 1.0},
                    transition_in="crossfade", transition_beats=16)]
    curve = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None).gain_curves["drums"]
    ramp = np.nonzero((curve[:at(48)] > 0) & (curve[:at(48)] < 1))[0]
    assert len(ramp) == pytest.approx(at(8), abs=16)  # 8 beats, not 16
    assert ramp[0] == pytest.approx(at(28), abs=8)


def test_fade_moves_out_before_and_in_after_the_boundary():
    stems = constant_stems(["vocals", "drums"])
    sections = [section("verse", 0, 16, {"vocals": 1.0, "drums": 0.0}),
                section("chorus", 16, 32, {"vocals": 0.0, "drums": 1.0}, "fade", 4)]
    r = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None)
    v, d = r.gain_curves["vocals"], r.gain_curves["drums"]
    assert v[at(12) - 1] == 1.0 and v[at(16)] == 0.0  # out over beats 12-16
    assert d[at(16) - 1] == 0.0 and d[at(20)] == 1.0  # in over beats 16-20


def test_cut_changes_within_5_ms():
    stems = constant_stems(["drums"])
    sections = [section("verse", 0, 16, {"drums": 1.0}),
                section("chorus", 16, 32, {"drums": 0.2}, "cut", 4)]
    curve = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None).gain_curves["drums"]
    moving = np.nonzero((curve < 1.0) & (curve > 0.2 + 1e-6))[0]
    assert len(moving) <= int(0.005 * SR) + 1
    assert abs(moving.mean() - at(16)) <= 1


def test_ramps_never_take_more_than_half_a_short_section():
    stems = constant_stems(["drums"])
    sections = [section("verse", 0, 4, {"drums": 0.0}),
                section("chorus", 4, 8, {"drums": 1.0}, "crossfade", 8),
                section("bridge", 8, 12, {"drums": 0.0}, "crossfade", 8)]
    curve = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None).gain_curves["drums"]
    assert curve[at(6)] == pytest.approx(1.0)  # b reaches its gain mid-section


def test_beat_grid_is_followed_and_extended():
    uneven = np.cumsum(np.r_[0.0, np.full(8, 0.5), np.full(8, 0.25)])
    assert beats_to_seconds(8, uneven) == pytest.approx(4.0)
    assert beats_to_seconds(12, uneven) == pytest.approx(5.0)
    assert beats_to_seconds(20, uneven) == pytest.approx(7.0)  # continues at 0.25 s
    with pytest.raises(ValueError):
        beats_to_seconds(1, [0.0])


def test_ducking_lowers_only_the_instrumental_mid_band_under_vocals():
    rng = np.random.default_rng(0)
    n = SR * 8
    inst = (0.1 * rng.standard_normal((2, n))).astype(np.float32)
    vocal = np.zeros((2, n), np.float32)
    vocal[:, SR * 4:] = 0.3 * np.sin(2 * np.pi * 440 * np.arange(SR * 4) / SR)
    stems = {"drums": inst, "lead_vocals": vocal}
    sections = [section("verse", 0, 32, {"drums": 1.0, "lead_vocals": 1.0})]
    dry = render_sections(stems, sections, SR, BEAT_TIMES, ducker=None)
    wet = render_sections(stems, sections, SR, BEAT_TIMES)
    assert np.allclose(wet.vocal_bus, dry.vocal_bus)
    early = slice(SR, SR * 3)
    assert np.allclose(wet.instrumental_bus[:, early], dry.instrumental_bus[:, early], atol=1e-4)
    late = slice(SR * 5, SR * 7)
    assert np.sum(wet.instrumental_bus[:, late] ** 2) < np.sum(dry.instrumental_bus[:, late] ** 2)
    assert np.allclose(wet.mix, wet.vocal_bus + wet.instrumental_bus)



def test_consuming_render_matches_and_lets_each_input_go():
    """`consume=True` (the pipeline's render: the inputs are not held beside their
    gained copies) gives the same buses, stems and curves, bit for bit."""
    rng = np.random.default_rng(7)
    n = 16 * SR
    stems = {name: (0.1 * rng.standard_normal((2, n))).astype(np.float32) for name in FOUR_STEMS}
    sections = [section("verse", 0, 8, {s: 1.0 for s in FOUR_STEMS}),
                section("chorus", 8, 32, {s: 0.5 if s == "drums" else 0.9 for s in FOUR_STEMS})]
    kept = render_sections(dict(stems), sections, SR, BEAT_TIMES)
    handed = dict(stems)
    consumed = render_sections(handed, sections, SR, BEAT_TIMES, consume=True)
    assert handed == {}
    np.testing.assert_array_equal(consumed.vocal_bus, kept.vocal_bus)
    np.testing.assert_array_equal(consumed.instrumental_bus, kept.instrumental_bus)
    for name in FOUR_STEMS:
        np.testing.assert_array_equal(consumed.per_stem[name], kept.per_stem[name])
        np.testing.assert_array_equal(consumed.gain_curves[name], kept.gain_curves[name])
