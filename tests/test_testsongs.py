"""The synthetic songs every other test and benchmark trusts: their truth has to
be exactly what the audio holds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from musicmixer.stems import ALL_STEMS, FOUR_STEMS, SEVEN_STEMS
from musicmixer.testsongs import (
    STEM_FILES,
    SongSpec,
    default_sections,
    generate_song,
    pair_of_songs,
)
from musicmixer.testsongs.compose import compose
from musicmixer.testsongs.harmony import Pitches

SR = 44100
BASE = SongSpec(tempo=128.0, key="A", mode="minor", bars=8, seed=3, title="Test Base",
                sections=(("intro", 2), ("verse", 2), ("chorus", 2), ("breakdown", 2)))


@pytest.fixture(scope="session")
def songs(tmp_path_factory):
    """Songs rendered once per session, by name."""
    root = tmp_path_factory.mktemp("testsongs")
    made = {}

    def get(name, spec=None):
        if name not in made:
            made[name] = generate_song(spec or BASE, root)
        return made[name]

    get.root = root
    return get


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20)


def window(audio, t0, t1):
    return audio[:, int(t0 * SR): int(t1 * SR)]


def test_truth_beats_downbeats_sections_are_consistent(songs):
    t = songs("base").truth
    beats = np.array(t["beats"])
    assert len(beats) == 4 * BASE.bars
    assert np.all(np.diff(beats) > 0)
    assert np.allclose(np.diff(beats), 60.0 / BASE.tempo, atol=1e-5)
    assert t["downbeats"] == t["beats"][::4]
    secs = t["sections"]
    assert secs[0]["start_bar"] == 0 and secs[-1]["end_bar"] == BASE.bars
    for a, b in zip(secs, secs[1:]):
        assert a["end_bar"] == b["start_bar"] and a["end_time"] == b["start_time"]
    for s in secs:
        assert s["start_time"] == pytest.approx(t["downbeats"][s["start_bar"]], abs=1e-6)
    assert [s["label"] for s in secs] == ["intro", "verse", "chorus", "breakdown"]
    assert secs[-1]["end_time"] == pytest.approx(t["song_end"]) and t["song_end"] < t["duration"]
    assert (t["key"], t["mode"], t["tempo"]) == ("A", "minor", 128.0)


def test_default_sections_cover_the_song_on_bar_boundaries():
    for bars in range(1, 41):
        form = default_sections(bars)
        assert sum(n for _, n in form) == bars and all(n >= 1 for _, n in form)
    assert [lab for lab, _ in default_sections(16)] == ["intro", "verse", "chorus", "outro"]


def test_mix_is_the_exact_sum_of_stems_with_headroom(songs):
    song = songs("base")
    mix = song.load_mix()
    stems = {k: song.load_stem(k) for k in STEM_FILES}
    assert set(song.stem_paths) == set(STEM_FILES)
    assert mix.dtype == np.float32 and mix.shape[0] == 2
    assert mix.shape[1] == round(song.truth["duration"] * SR)
    for x in stems.values():
        assert x.shape == mix.shape and x.dtype == np.float32
    total = sum(x.astype(np.float64) for x in stems.values())
    assert np.max(np.abs(total - mix)) < 1e-6
    peak_db = 20 * np.log10(np.max(np.abs(mix)))
    assert -6.0 < peak_db < -1.0


def test_same_spec_gives_byte_identical_files_and_is_cached(songs, tmp_path):
    song = songs("base")
    again = generate_song(BASE, tmp_path)
    for name, path in song.stem_paths.items():
        assert path.read_bytes() == again.stem_paths[name].read_bytes(), name
    assert song.mix_path.read_bytes() == again.mix_path.read_bytes()
    mtime = again.mix_path.stat().st_mtime_ns
    cached = generate_song(BASE, tmp_path)
    assert cached.mix_path == again.mix_path and cached.mix_path.stat().st_mtime_ns == mtime
    other_seed = generate_song(SongSpec(**{**BASE.__dict__, "seed": 4}), tmp_path)
    assert other_seed.song_dir != again.song_dir


def test_truth_stems_map_to_every_vocabulary(songs):
    song = songs("base")
    raw = {k: song.load_stem(k) for k in STEM_FILES}
    four = song.truth_stems(FOUR_STEMS)
    assert list(four) == FOUR_STEMS
    np.testing.assert_allclose(four["vocals"], raw["lead_vocals"] + raw["backing_vocals"])
    np.testing.assert_allclose(four["other"], raw["piano"] + raw["guitar"])
    np.testing.assert_allclose(sum(four.values()), song.load_mix(), atol=1e-6)
    six = song.truth_stems(ALL_STEMS)
    assert not np.any(six["other"]) and np.array_equal(six["piano"], raw["piano"])
    np.testing.assert_allclose(six["vocals"], raw["lead_vocals"] + raw["backing_vocals"])
    seven = song.truth_stems(SEVEN_STEMS)
    assert np.array_equal(seven["backing_vocals"], raw["backing_vocals"])
    assert not np.any(seven["other"])
    np.testing.assert_allclose(sum(seven.values()), song.load_mix(), atol=1e-6)
    with pytest.raises(ValueError):
        song.truth_stems(["vocals", "kazoo"])


def test_stems_play_exactly_where_the_truth_says(songs):
    song = songs("base")
    t = song.truth
    for sec in t["sections"]:
        for stem in STEM_FILES:
            # skip the first second: release tails of the previous section
            level = rms_db(window(song.load_stem(stem), sec["start_time"] + 1.0, sec["end_time"]))
            spans = t["stem_activity"][stem]
            overlaps = any(a < sec["end_time"] and b > sec["start_time"] for a, b in spans)
            assert overlaps == (stem in sec["stems"]), (sec["label"], stem)
            if stem in sec["stems"]:
                assert level > -40, (sec["label"], stem, level)
            else:
                assert level < -60, (sec["label"], stem, level)
    labels = {s["label"]: set(s["stems"]) for s in t["sections"]}
    assert "drums" not in labels["breakdown"] and "backing_vocals" in labels["chorus"]
    assert "lead_vocals" in labels["verse"] and "backing_vocals" not in labels["verse"]
    assert len(labels["intro"]) < len(labels["chorus"])


def _corr(x):
    return float(np.corrcoef(x[0], x[1])[0, 1])


GM_VOICES = SongSpec(tempo=132.0, key="E", bars=4, seed=5, voices="gm", title="GM voices",
                     sections=(("verse", 2), ("chorus", 2)))


@pytest.mark.parametrize("name", ["base", "gm"])
def test_lead_is_centred_and_backing_is_wide(songs, name):
    song = songs(name, GM_VOICES if name == "gm" else None)
    chorus = next(s for s in song.truth["sections"] if s["label"] == "chorus")
    lead = window(song.load_stem("lead_vocals"), chorus["start_time"], chorus["end_time"])
    back = window(song.load_stem("backing_vocals"), chorus["start_time"], chorus["end_time"])
    assert _corr(lead) > 0.999 and abs(rms_db(lead[0]) - rms_db(lead[1])) < 0.1
    assert _corr(back) < 0.8
    bass = song.load_stem("bass")
    assert abs(rms_db(bass[0]) - rms_db(bass[1])) < 0.1


def _onset_energy(drums, times, length=0.03):
    return np.array([np.sum(window(drums, t, t + length) ** 2) for t in times])


def test_swing_and_half_time_change_the_drums(songs):
    common = dict(tempo=100.0, key="G", bars=4, seed=1, sections=(("verse", 4),))
    straight = songs("straight", SongSpec(feel="straight", title="feel s", **common))
    swing = songs("swing", SongSpec(feel="swing", title="feel w", **common))
    half = songs("half", SongSpec(feel="half_time", title="feel h", **common))
    beat = 60.0 / 100.0
    beats = np.array(straight.truth["beats"][:-1])
    for song, early, late in ((straight, 0.5, 2 / 3), (swing, 2 / 3, 0.5)):
        drums = song.load_stem("drums")
        on = _onset_energy(drums, beats + early * beat)
        off = _onset_energy(drums, beats + late * beat)
        assert np.median(on) > 3 * np.median(off + 1e-12), song.spec.feel
    for song in (straight, half):
        drums = song.load_stem("drums")
        bars = np.array(song.truth["downbeats"])
        two = _onset_energy(drums, bars + beat)       # beat 2 of each bar
        three = _onset_energy(drums, bars + 2 * beat)  # beat 3
        ratio = np.median(three) / np.median(two)
        if song.spec.feel == "half_time":
            assert ratio > 3  # snare on 3, nothing but a hat on 2
        else:
            assert ratio < 3  # backbeat: snare on 2, kick on 3


def test_tempo_drift_moves_beats_and_notes(songs):
    spec = SongSpec(tempo=110.0, bars=8, seed=2, tempo_drift=0.1, title="drift",
                    sections=(("verse", 8),))
    song = songs("drift", spec)
    gaps = np.diff(song.truth["beats"])
    assert np.all(np.diff(gaps) < 0)
    assert gaps[0] / gaps[-1] == pytest.approx(1.1, rel=0.01)
    assert song.truth["tempo_end"] == pytest.approx(121.0)
    drums = song.load_stem("drums")
    downbeats = np.array(song.truth["downbeats"][1:])
    on = _onset_energy(drums, downbeats)
    before = _onset_energy(drums, downbeats - 0.05)
    assert np.all(on > 10 * before)


def test_key_is_unambiguous_and_minor_uses_the_leading_tone():
    for key, mode in (("C", "major"), ("A", "minor"), ("F#", "minor"), ("Eb", "major")):
        spec = SongSpec(key=key, mode=mode, bars=8, seed=7)
        score = compose(spec)
        weight = Counter()
        for part in ("bass", "piano", "lead"):
            for nt in score.parts[part]:
                weight[nt.pitch % 12] += nt.end - nt.start
        assert weight.most_common(1)[0][0] == spec.tonic_pc, (key, mode)
        bass = score.parts["bass"]
        assert bass[0].pitch % 12 == spec.tonic_pc and bass[-1].pitch % 12 == spec.tonic_pc
    minor = SongSpec(key="A", mode="minor")
    v_chord = Pitches(minor).chord_pitches(4, 60, 72)
    assert (9 + 11) % 12 in {p % 12 for p in v_chord}  # G# in E major over A minor


def test_pair_of_songs_contrast(songs):
    a, b = pair_of_songs(songs.root / "pair", seed=0, bars=4)
    ta, tb = a.truth, b.truth
    assert max(ta["tempo"], tb["tempo"]) / min(ta["tempo"], tb["tempo"]) >= 1.15
    assert ta["key"] != tb["key"]
    assert a.mix_path.exists() and b.mix_path.exists()


def _pitch_hz(x: np.ndarray) -> float:
    x = x - x.mean()
    ac = np.correlate(x, x, "full")[len(x) - 1:]
    lo, hi = SR // 600, SR // 60
    return SR / (lo + int(np.argmax(ac[lo:hi])))


@pytest.mark.parametrize("name", ["base", "gm"])
def test_voices_sing_the_written_pitch(songs, name):
    """Festival reads note names an octave low; the lead must still sound at the
    score's pitch (checked on the longest notes of the first verse)."""
    song = songs(name, GM_VOICES if name == "gm" else None)
    if name == "gm":
        assert song.truth["voices"] == "gm"
    lead = song.load_stem("lead_vocals").mean(0)
    notes = sorted(compose(song.spec).parts["lead"], key=lambda nt: nt.start - nt.end)[:4]
    for nt in notes:
        mid = 0.5 * (nt.start + nt.end)
        got = _pitch_hz(lead[int(mid * SR) - 2048: int(mid * SR) + 2048])
        want = 440.0 * 2 ** ((nt.pitch - 69) / 12)
        cents = 1200 * np.log2(got / want)
        assert abs(cents) < 60, (nt.pitch, got, want)


def test_generate_song_uses_festival_when_installed(songs):
    from musicmixer.testsongs.voice import festival_available

    assert songs("base").truth["voices"] == ("festival" if festival_available() else "gm")
