"""The real set's pair table (bench/mix_pairs.py REAL_PAIRS) is well formed: every
instrumental is a consensus excerpt of the committed reference, half the pairs
per split, picked by the stated rule, at the mapping its slot is for. No audio."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from mix_pairs import REAL_PAIRS, REAL_SLOTS, pick_real, real_song, real_sweep
from real_songs import catalogue, felt_tempo, load_reference, split_of

from musicmixer.mix.tempo import choose_mapping

REF = load_reference()


def test_every_instrumental_is_a_consensus_excerpt_of_the_catalogue():
    names = {s.name for s in catalogue()}
    for _, name in REAL_PAIRS:
        assert name in names and name in REF
        assert REF[name]["consensus"], name
        assert REF[name]["split"] == split_of(name)


def test_four_pairs_per_split_dev_first_and_no_instrumental_twice():
    splits = [REF[name]["split"] for _, name in REAL_PAIRS]
    assert splits == ["dev"] * 4 + ["test"] * 4
    assert len({name for _, name in REAL_PAIRS}) == len(REAL_PAIRS)


def test_the_table_is_what_the_stated_rule_picks():
    assert [name for _, name in REAL_PAIRS] == pick_real(REF, "dev") + pick_real(REF, "test")


def test_each_pair_is_at_the_mapping_its_slot_is_for():
    for i, (vocal, name) in enumerate(REAL_PAIRS):
        (lo, hi), mapping = REAL_SLOTS[i % len(REAL_SLOTS)]
        tempo = felt_tempo(REF[name]["madmom_beats"])
        assert lo <= tempo <= hi, name
        assert choose_mapping(vocal["tempo"], tempo)[0] == mapping, (vocal["title"], name)


def test_the_rule_skips_songs_outside_every_slot_and_disagreeing_trackers():
    def entry(split: str, bpm: float, consensus: bool = True) -> dict:
        return {"split": split, "consensus": consensus,
                "madmom_beats": [i * 60.0 / bpm for i in range(40)]}

    ref = {"a-slow": entry("dev", 95.0, consensus=False), "b-slow": entry("dev", 95.0),
           "c-mid": entry("dev", 200.0), "d-fast": entry("dev", 160.0), "e-fast": entry("dev", 165.0),
           "f-mid": entry("dev", 130.0), "g-test": entry("test", 130.0)}
    assert pick_real(ref, "dev", None) == ["b-slow", "d-fast", "e-fast", "f-mid"]


def test_the_sweep_takes_every_consensus_excerpt_under_its_tempo_slots_vocal_song():
    def entry(split: str, bpm: float, consensus: bool = True) -> dict:
        return {"split": split, "consensus": consensus,
                "madmom_beats": [i * 60.0 / bpm for i in range(40)]}

    ref = {"a": entry("dev", 95.0), "b": entry("dev", 95.0, consensus=False),
           "c": entry("dev", 130.0), "d": entry("dev", 160.0), "e": entry("dev", 170.0),
           "f": entry("fresh", 100.0), "g": entry("test", 180.0)}
    sweep = [(vocal["title"], name) for vocal, name in real_sweep(ref)]
    assert sweep == [("Real V0", "a"), ("Real V3", "c"), ("Real V1", "d"), ("Real V2", "e"),
                     ("Real V5", "g"), ("Real V4", "f")]
    assert len(real_sweep()) == sum(r["consensus"] for r in REF.values())


def test_a_real_song_carries_its_reference_grid(tmp_path):
    _, name = REAL_PAIRS[0]
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / f"{name}.wav").write_bytes(b"")  # present: fetch cuts nothing
    song = real_song(name, tmp_path)
    assert song.mix_path == tmp_path / "ex" / f"{name}.wav"
    assert song.truth["beats"] == REF[name]["madmom_beats"]
    assert song.truth["tempo"] == round(felt_tempo(REF[name]["madmom_beats"]), 2)
    assert song.truth["split"] == "dev" and song.truth["licence"] == REF[name]["licence"]


def test_a_drifted_instrumental_moves_its_reference_with_the_audio(tmp_path):
    """The mix bench's --drift: the excerpt is played with live drift and its
    reference beats land on the moved clicks; the WAV is written once."""
    from types import SimpleNamespace

    import numpy as np
    import soundfile as sf
    from mix_pairs import drifted_song

    sr, bpm = 22050, 120.0
    beats = np.arange(0.25, 29.0, 60.0 / bpm)
    y = np.zeros(30 * sr, dtype=np.float32)
    for b in beats:
        y[int(b * sr):int(b * sr) + 64] = 1.0
    wav = tmp_path / "clicks.wav"
    sf.write(str(wav), np.stack([y, y]).T, sr)
    song = SimpleNamespace(name="clicks", wav=wav, truth={"beats": beats.tolist(),
                                                          "downbeats": beats[::4].tolist()})
    out = drifted_song(song, tmp_path, 0.03)
    audio, _ = sf.read(str(out.wav), always_2d=True)
    onsets = np.nonzero(np.diff((audio[:, 0] > 0.5).astype(int)) == 1)[0] / sr
    moved = np.asarray(out.truth["beats"])
    assert len(moved) >= len(beats) - 2
    near = [np.min(np.abs(onsets - b)) for b in moved[1:]]
    assert max(near) < 0.002
    assert np.ptp(np.diff(moved)) > 0.02  # the tempo really moves (+-3 % of 0.5 s)
    assert abs(out.truth["tempo"] - bpm) < bpm * 0.04
    stamp = out.wav.stat().st_mtime_ns
    drifted_song(SimpleNamespace(name="clicks", wav=wav, truth={"beats": beats.tolist(),
                                                                "downbeats": []}), tmp_path, 0.03)
    assert out.wav.stat().st_mtime_ns == stamp
