"""Per-stem corrective EQ presets, step 7.75, and the vocal sub-stem mapping.

Step numbers: see docs/architecture.md ("Step numbers").
"""

import numpy as np
import pytest
from _dsp_signals import SR, sine

from musicmixer.dsp.eq import (
    EQ_PRESETS,
    MAX_BOOST_DB,
    apply_corrective_eq,
    get_eq_preset,
    preset_chain,
    preset_sos,
)
from musicmixer.dsp.filters import PeakFilter, response_db
from musicmixer.stems import SEVEN_STEMS, VOCAL_STEM_NAMES


@pytest.mark.parametrize("stem", sorted(VOCAL_STEM_NAMES))
def test_every_vocal_stem_takes_the_vocals_preset(stem):
    assert get_eq_preset(stem) is EQ_PRESETS["vocals"]


def test_sub_stems_do_not_fall_through_to_other():
    for stem in ("lead_vocals", "backing_vocals"):
        assert get_eq_preset(stem)["highpass"] == 120.0


@pytest.mark.parametrize("stem", ["synth", "", "VOCALS", "lead"])
def test_unknown_stems_take_other(stem):
    assert get_eq_preset(stem) is EQ_PRESETS["other"]


def test_every_stem_of_every_mode_has_a_preset():
    for stem in SEVEN_STEMS + ["vocals"]:
        assert get_eq_preset(stem) in EQ_PRESETS.values()
    assert set(EQ_PRESETS) == {"vocals", "drums", "bass", "guitar", "piano", "other"}


@pytest.mark.parametrize("stem", sorted(EQ_PRESETS))
def test_preset_response_at_its_points(stem):
    preset = EQ_PRESETS[stem]
    sos = preset_sos(preset, SR)
    freqs = [f for f, _ in preset["peaks"]]
    measured = response_db(sos, freqs, SR)
    for (freq, gain), got in zip(preset["peaks"], measured, strict=True):
        assert got == pytest.approx(gain, abs=0.6), (stem, freq)
    # boosts never above +0.75 dB anywhere
    assert response_db(sos, np.geomspace(20, 20000, 3000), SR).max() <= MAX_BOOST_DB + 1e-6
    # each band exactly as written
    for filt in preset_chain(preset):
        if isinstance(filt, PeakFilter):
            assert response_db(filt.sos(SR), [filt.freq], SR)[0] == pytest.approx(filt.gain_db,
                                                                               abs=0.01)


def test_vocal_preset_cuts_lows_and_highs():
    sos = preset_sos(EQ_PRESETS["vocals"], SR)
    low, hp, high = response_db(sos, [40, 120, 19000], SR)
    assert low < -15 and hp < -2.5 and high < -4


def test_apply_corrective_eq_measured_with_sines():
    for freq, expected in [(250, -2.5), (3000, 0.75)]:
        x = sine(freq, 1.0, -12.0)
        y = apply_corrective_eq(x, SR, "backing_vocals")
        mid = slice(SR // 2, SR)
        gain = 20 * np.log10(np.abs(y[:, mid]).max() / np.abs(x[:, mid]).max())
        assert gain == pytest.approx(expected, abs=0.6)
        assert y.dtype == np.float32 and y.shape == x.shape
