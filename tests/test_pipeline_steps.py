"""Steps 5-16 of the mix, one at a time, in 6-stem and 7-stem mode, on small
synthetic arrays (the end-to-end runs are in test_pipeline_e2e.py).

Step numbers: see docs/architecture.md ("Step numbers").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from musicmixer.audio import integrated_lufs, save_audio, true_peak_db
from musicmixer.config import AB_FLAGS, load_settings
from musicmixer.dsp import apply_corrective_eq
from musicmixer.dsp.level_match import sum_stems
from musicmixer.interpreter.plan import PlanSection
from musicmixer.mix import master as master_mod
from musicmixer.mix import prepare as prep
from musicmixer.mix import rubberband, sources
from musicmixer.mix.align import active_regions
from musicmixer.mix.export import export
from musicmixer.mix.keymatch import KeyDecision
from musicmixer.mix.tempo import TempoDecision
from musicmixer.stems import ALL_STEMS, SEVEN_STEMS, VOCAL_STEM_NAMES, vocal_stems

SR = 44100
MODES = {"6-stem": ALL_STEMS, "7-stem": SEVEN_STEMS}


def tone(freq, seconds=2.0, amp=0.1, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    x = amp * np.sin(2 * np.pi * freq * t)
    return np.stack([x, 0.9 * x]).astype(np.float32)


def noise(seconds=2.0, amp=0.1, seed=0):
    rng = np.random.default_rng(seed)
    return (amp * rng.standard_normal((2, int(seconds * SR)))).astype(np.float32)


def band_level_db(audio, lo, hi):
    spec = np.abs(np.fft.rfft(audio[0].astype(np.float64)))
    f = np.fft.rfftfreq(audio.shape[-1], 1 / SR)
    return 10 * np.log10(np.mean(spec[(f >= lo) & (f < hi)] ** 2) + 1e-20)


def settings(**kw):
    return load_settings(**kw)


@dataclass
class FakeSep:
    stems: dict
    stem_names: list
    start: float = 0.0


@pytest.fixture(params=list(MODES), ids=list(MODES))
def mode(request):
    return MODES[request.param]


def vocal_dict(names, seconds=2.0):
    return {n: noise(seconds, amp=0.1 if n != "backing_vocals" else 0.03, seed=i)
            for i, n in enumerate(vocal_stems(names))}


# --- step 5 / 7 / 7.5 ------------------------------------------------------

def test_step5_vocals_from_vocal_song_rest_from_instrumental(mode):
    vocal_names, inst_names = sources.assign_sources(FakeSep({}, mode), FakeSep({}, mode))
    expected_vocals = (["lead_vocals", "backing_vocals"] if "lead_vocals" in mode else ["vocals"])
    assert vocal_names == expected_vocals
    assert inst_names and not set(inst_names) & VOCAL_STEM_NAMES
    assert set(vocal_names) | set(inst_names) == set(mode)


def test_step7_trims_to_the_range_and_step75_drops_silence(tmp_path, mode):
    files = {}
    for i, name in enumerate(mode):
        audio = np.zeros((2, 4 * SR), np.float32) if name == "piano" else noise(4.0, seed=i)
        audio[:, 2 * SR] = 0.9  # a marker at 3.0 s of the song (covered span starts at 1.0 s)
        files[name] = save_audio(tmp_path / f"{name}.wav", audio)
    sep = FakeSep(files, list(mode), start=1.0)
    trimmed = sources.load_trimmed(sep, list(mode), 2.5, 4.0)
    assert all(a.shape[-1] == int(1.5 * SR) for a in trimmed.values())
    assert all(np.argmax(np.abs(a[0])) == int(0.5 * SR) for n, a in trimmed.items() if n != "piano")
    trimmed["piano"] = np.zeros((2, SR), np.float32)
    kept, dropped = sources.drop_silent(trimmed)
    assert "piano" in dropped and "piano" not in kept
    assert set(kept) == set(mode) - {"piano"}


# --- 7.7 / 7.75 ------------------------------------------------------------

@pytest.mark.parametrize("per_stem_eq, top", [(False, 8000), (True, 16000)])
def test_step77_bandpass_on_every_vocal_key(mode, per_stem_eq, top):
    vocals = vocal_dict(mode)
    out = prep.bandpass_vocals(vocals, SR, settings(ab_per_stem_eq_v1=per_stem_eq))
    assert set(out) == set(vocals)
    for name in vocals:
        assert band_level_db(out[name], 30, 80) < band_level_db(vocals[name], 30, 80) - 15
        cut = band_level_db(vocals[name], top * 1.2, top * 1.3) - band_level_db(
            out[name], top * 1.2, top * 1.3)
        assert cut > 5


def test_step775_eq_only_with_flag_and_vocal_substems_use_vocal_preset(mode):
    stems = {n: noise(1.0, seed=i) for i, n in enumerate(mode)}
    assert all(np.array_equal(a, stems[n]) for n, a in prep.corrective_eq(stems, SR, settings()).items())
    out = prep.corrective_eq(stems, SR, settings(ab_per_stem_eq_v1=True))
    for name in vocal_stems(mode):
        np.testing.assert_allclose(out[name], apply_corrective_eq(stems[name], SR, "vocals"), atol=1e-6)
    np.testing.assert_allclose(out["drums"], apply_corrective_eq(stems["drums"], SR, "drums"), atol=1e-6)


# --- 9 -----------------------------------------------------------------------

def test_step9_vocal_engine_for_every_vocal_stem_and_drums_never_shifted(mode, monkeypatch):
    calls = []

    def fake_stretch(audio, sr, **kw):
        calls.append(kw)
        n = kw.get("out_samples") or int(audio.shape[-1] * kw.get("ratio", 1.0))
        return np.zeros((2, n), np.float32)

    monkeypatch.setattr(rubberband, "stretch", fake_stretch)
    vocals = vocal_dict(mode)
    inst = {n: noise(2.0) for n in mode if n not in VOCAL_STEM_NAMES}
    anchors = np.array([[0.0, 0.0], [0.5, 0.6], [1.0, 1.2], [1.5, 1.8]])
    v, i = prep.stretch_and_shift(vocals, inst, SR, anchors=anchors, n_out=int(2.4 * SR),
                                  tempo=TempoDecision(120, 100, 1.2), key=KeyDecision("C", "D", 5, 3, -2))
    assert set(v) == set(vocals) and set(i) == set(inst)
    vocal_calls = [c for c in calls if "time_map" in c]
    assert len(vocal_calls) >= len(vocals)
    assert all(c["vocal"] and c["semitones"] == 3 for c in vocal_calls)
    inst_calls = [c for c in calls if "time_map" not in c]
    assert len(inst_calls) == len(inst) and not any(c["vocal"] for c in inst_calls)
    assert sorted(c["semitones"] for c in inst_calls).count(0) == 1  # drums only
    assert all(a.shape[-1] == int(2.4 * SR) for a in [*v.values(), *i.values()])


def test_step9_instrumental_silence_is_not_stretched_and_music_lands_at_ratio_times():
    calls = []
    real = rubberband.stretch

    def counting_stretch(audio, sr, **kw):
        calls.append(audio.shape[-1])
        return real(audio, sr, **kw)

    burst = np.concatenate([tone(220.0, 1.0, amp=0.3), np.zeros((2, 3 * SR), np.float32),
                            tone(220.0, 1.0, amp=0.3)], axis=1)  # sound, 3 s gap, sound
    ratio, n_out = 1.25, int(5.0 * 1.25 * SR)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rubberband, "stretch", counting_stretch)
        _, inst = prep.stretch_and_shift({}, {"guitar": burst, "drums": burst}, SR,
                                         anchors=np.zeros((0, 2)), n_out=n_out,
                                         tempo=TempoDecision(100, 125, 1.0, ratio),
                                         key=KeyDecision("C", "D", 2, 0, 2))
    assert sum(calls) < 0.6 * 2 * burst.shape[-1]  # the 3 s gaps never reach Rubber Band
    for out in inst.values():
        assert out.shape == (2, n_out)
        env = np.abs(out[0]).reshape(-1, SR // 100).max(axis=1)  # 10 ms blocks
        on = np.flatnonzero(env > 0.05)
        second = on[on > 200][0] / 100  # first sounding block of the second burst, seconds
        assert abs(second - 4.0 * ratio) < 0.03
        assert np.abs(out[0, int(1.4 * ratio * SR):int(3.8 * ratio * SR)]).max() < 1e-3
    spec = np.abs(np.fft.rfft(inst["guitar"][0, :SR]))
    peak = np.fft.rfftfreq(SR, 1 / SR)[np.argmax(spec)]
    assert abs(peak - 220.0 * 2 ** (2 / 12)) < 3.0  # shifted; drums would not be


def test_step9_a_stem_is_finished_while_others_still_stretch(monkeypatch):
    """`before` runs on each stem before its pieces are queued, `after` on each as soon
    as its own pieces are in: a short stem is finished (9.5/11) while a long one is
    still in Rubber Band."""
    import threading

    bass_finished, calls = threading.Event(), []

    def fake_stretch(audio, sr, **kw):
        if audio.shape[-1] > 3 * SR:  # the long stem waits for the short one's `after`
            calls.append(("waited", bass_finished.wait(timeout=10)))
        return np.ones((audio.shape[0], kw["out_samples"]), np.float32)

    def before(bus, name, audio):
        calls.append(("before", name))
        return audio

    def after(bus, name, audio):
        calls.append(("after", name, audio.shape[-1]))
        if name == "bass":
            bass_finished.set()
        return audio * 0.5

    monkeypatch.setattr(rubberband, "stretch", fake_stretch)
    inst = {"piano": noise(4.0), "bass": noise(1.0, seed=1)}
    n_out = int(4.4 * SR)
    _, out = prep.stretch_and_shift({}, inst, SR, anchors=np.zeros((0, 2)), n_out=n_out,
                                    tempo=TempoDecision(100, 110, 1.0, 1.1),
                                    key=KeyDecision("C", "C", 0, 0, 0), before=before, after=after)
    assert ("waited", True) in calls
    assert [c[1] for c in calls if c[0] == "before"] == ["piano", "bass"]  # longest first
    assert sorted(c[1:] for c in calls if c[0] == "after") == [("bass", n_out), ("piano", n_out)]
    assert np.abs(out["piano"]).max() == pytest.approx(0.5)  # what `after` returned


def test_step9_a_long_phrase_cut_in_two_keeps_every_attack():
    """A long vocal region is stretched as two pieces cut at a pause; a note starting
    right after that pause must come out with its attack, not faded in."""
    note = tone(300.0, 0.45, amp=0.3)
    note[:, :220] *= np.linspace(0, 1, 220, dtype=np.float32)  # 5 ms attack
    breath = tone(1200.0, 0.05, amp=0.01)  # a pause 30 dB down, not silence (bleed, breath)
    beat = np.concatenate([note, breath], axis=1)
    phrase = np.tile(beat, (1, 48))  # 24 s, one sounding region with 50 ms pauses
    assert len(prep.split_regions(phrase, SR, active_regions(phrase, SR))) == 2
    ratio = 1.2
    beats = np.arange(0.0, 24.01, 0.5)  # the time map has an anchor on every beat
    anchors = np.stack([beats, beats * ratio], axis=1)
    v, _ = prep.stretch_and_shift({"lead_vocals": phrase}, {}, SR, anchors=anchors,
                                  n_out=int(24.0 * ratio * SR),
                                  tempo=TempoDecision(120, 100, ratio),
                                  key=KeyDecision("C", "C", 0, 0, 0))
    out = v["lead_vocals"][0]
    for k in range(1, 47):
        onset = int(k * 0.5 * ratio * SR)
        attack = np.abs(out[onset + int(0.01 * SR):onset + int(0.03 * SR)]).max()
        body = np.abs(out[onset + int(0.15 * SR):onset + int(0.35 * SR)]).max()
        assert attack > 0.6 * body, f"note {k}: attack {attack:.3f} vs body {body:.3f}"


# --- 9.5 / 11 / 11.5 -------------------------------------------------------

def test_step95_notches_only_with_flag(mode):
    from _dsp_signals import pink

    from musicmixer.dsp.filters import PeakFilter

    x = PeakFilter(400, 18.0, q=8)(pink(3.0, seed=1), SR)  # a planted 400 Hz resonance
    stems = {n: x for n in vocal_stems(mode)}
    same, cuts = prep.notch(stems, SR, settings())
    assert not cuts and all(a is stems[n] for n, a in same.items())
    out, cuts = prep.notch(stems, SR, settings(ab_resonance_detection_v1=True))
    assert set(cuts) == set(stems)
    for name in stems:
        assert band_level_db(out[name], 395, 405) < band_level_db(x, 395, 405) - 2.0


def test_step11_backing_vocals_compressed_lighter_than_lead(mode):
    loud = tone(300.0, 2.0, amp=0.9)
    vocals = {n: loud for n in vocal_stems(mode)}
    out = prep.compress_vocals(vocals, SR)
    assert set(out) == set(vocals)
    reduction = {n: 20 * np.log10(np.abs(loud).max() / np.abs(out[n][:, SR:]).max()) for n in out}
    if "backing_vocals" in out:
        assert reduction["lead_vocals"] > reduction["backing_vocals"] + 1.0
    assert all(r > 3.0 for r in reduction.values())


def test_step115_summed_vocals_matched_ratio_kept(mode):
    vocals = vocal_dict(mode, 3.0)
    inst = {"drums": noise(3.0, amp=0.2, seed=9), "bass": tone(60.0, 3.0, amp=0.3)}
    out, gain_db = prep.level_match(vocals, inst, SR)
    summed = integrated_lufs(sum_stems(out.values()), SR)
    assert summed == pytest.approx(integrated_lufs(sum_stems(inst.values()), SR) + 2.0, abs=0.1)
    assert gain_db != 0.0
    if "backing_vocals" in vocals:
        before = np.abs(vocals["lead_vocals"]).max() / np.abs(vocals["backing_vocals"]).max()
        after = np.abs(out["lead_vocals"]).max() / np.abs(out["backing_vocals"]).max()
        assert after == pytest.approx(before, rel=1e-4)


# --- 12-15 / 16 -------------------------------------------------------------

def test_step12_every_vocal_stem_on_the_vocal_bus(mode):
    vocals = vocal_dict(mode, 4.0)
    inst = {n: noise(4.0, seed=5) for n in mode if n not in VOCAL_STEM_NAMES}
    sections = [PlanSection(label="verse", start_beat=0, end_beat=8,
                            stem_gains={n: 1.0 for n in mode}, transition_in="cut",
                            transition_beats=0)]
    prepared = prep.Prepared(vocals, inst, np.arange(0, 10, 0.5), 4 * SR)
    result = master_mod.render(prepared, type("P", (), {"sections": sections})(), SR)
    np.testing.assert_allclose(result.vocal_bus, sum_stems(result.per_stem[n] for n in vocals), atol=1e-5)


@pytest.mark.parametrize("flags", [{}, {f: True for f in AB_FLAGS}], ids=["flags-off", "flags-on"])
def test_steps13_to_15_reach_target_under_ceiling(flags):
    rng = np.random.default_rng(1)
    mix = (0.05 * rng.standard_normal((2, 8 * SR)) * np.linspace(0.3, 1.0, 8 * SR)).astype(np.float32)
    s = settings(target_lufs=-14.0, **flags)
    out, report = master_mod.master_mix(mix, SR, s, reference=noise(8.0, amp=0.2, seed=3))
    assert integrated_lufs(out, SR) == pytest.approx(-14.0, abs=0.5)
    assert true_peak_db(out) <= -1.0 + 0.05
    assert ("14.5 reference mastering" in report["steps"]) == bool(flags)
    assert ("13.3 multiband" in report["steps"]) == bool(flags)
    assert np.abs(out[:, :100]).max() < np.abs(out[:, 4 * SR:4 * SR + 100]).max() + 1e-6  # faded in


def test_step16_stems_written_ahead_are_taken_back_when_a_later_step_fails(tmp_path):
    from musicmixer.mix.export import StemWriter

    writer = StemWriter(tmp_path / "new" / "deeper" / "m.wav", {"vocals": noise(1.0)}, SR)
    staged = writer.staged()
    assert staged["stem:vocals"].exists() and staged["stem:vocals"].parent.parent == writer.folder
    writer.discard()  # as the pipeline does when mastering raises
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    (kept / "old.txt").parent.mkdir()
    (kept / "old.txt").write_text("mine")
    writer = StemWriter(kept / "m.wav", {"vocals": noise(1.0)}, SR)
    writer.discard()
    assert [p.name for p in kept.iterdir()] == ["old.txt"]


def test_step16_nothing_half_written_on_failure(tmp_path, monkeypatch):
    from musicmixer.mix import export as export_mod

    real_save = export_mod.save_audio

    def failing(path, audio, sr=SR, subtype=None):
        if Path(path).name.startswith("mix"):
            raise OSError("disk full")
        return real_save(path, audio, sr, subtype)

    monkeypatch.setattr(export_mod, "save_audio", failing)
    with pytest.raises(OSError):
        export(tmp_path / "out" / "m.wav", noise(1.0), SR, {"vocals": noise(1.0)}, {}, {})
    assert not (tmp_path / "out").exists()  # not even the folder export made
    monkeypatch.setattr(export_mod, "save_audio", real_save)
    files = export(tmp_path / "out" / "m.mp3", noise(1.0), SR, {"vocals": noise(1.0)},
                   {"a": 1}, {"b": 2})
    assert files["mix"].exists() and files["plan"].exists() and files["stem:vocals"].exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.mp3", "plan.json",
                                                                     "report.json", "stems"]
