"""The octave rules one by one (analysis/octave.py): which member of an octave
pair is the beat, read from onset and snare repetition."""

from __future__ import annotations

import numpy as np
import pytest

from musicmixer.analysis.analyze import analyze_song

SR = 44100


def test_backbeat_margin_reads_the_snare_on_two_and_four():
    from musicmixer.analysis.features import FPS
    from musicmixer.analysis.octave import DrumBands, backbeat_margin, drum_autocorr

    n, period = int(30 * FPS), 60 * FPS / 170.0
    snare = np.zeros(n)
    for k in range(1, int(n / period), 2):  # beats 2 and 4 of a 170 BPM bar
        snare[int(round(k * period))] = 1.0
    ac = drum_autocorr(DrumBands(snare))
    assert backbeat_margin(ac, 170.0) > 0.0  # the snare's beat is 170
    assert backbeat_margin(ac, 340.0) < 0.0 and backbeat_margin(ac, 85.0) < 0.0


def _repetition(bpm: float, one: float, two: float, four: float, separated: bool):
    """A snare autocorrelation that reads `one`, `two` and `four` at those beats of `bpm`."""
    from musicmixer.analysis.features import FPS
    from musicmixer.analysis.octave import DrumRepetition

    lag = 60 * FPS / bpm
    ac = np.zeros(int(lag * 4) + 10)
    for k, v in ((1, one), (2, two), (4, four)):
        ac[int(round(lag * k)) - 2:int(round(lag * k)) + 3] = v
    return DrumRepetition(ac, separated)


def _onset_repetition(bpm: float, at: dict[float, float], ac: np.ndarray | None = None) -> np.ndarray:
    """An onset autocorrelation reading `at[k]` at k beats of `bpm` (set into `ac` if given)."""
    from musicmixer.analysis.features import FPS

    lag = 60 * FPS / bpm
    if ac is None:
        ac = np.zeros(int(lag * 4) + 10)
        ac[0] = 1.0
    for k, v in at.items():
        ac[int(round(lag * k)) - 2:int(round(lag * k)) + 3] = v
    return ac


def test_a_strong_180_bpm_pulse_is_the_beat_even_where_two_beats_repeat_more():
    """Onset repetition at the eighths, one, two and four beats of an LMMS
    production's 180 BPM member (its project's tempo; madmom reads 182):
    0.397 / 0.42 / 0.467 / 0.565. A pulse past 0.4 is the beat at any tempo,
    whatever repeats every two beats (a rule that also asked the pulse to
    repeat at least as much as its two-beat lag from 175 BPM read this song,
    and a 180 BPM metal song from its mix, at 90)."""
    from musicmixer.analysis.octave import fast_member_margin

    ac = _onset_repetition(180.0, {0.5: 0.397, 1: 0.42, 2: 0.467, 4: 0.565})
    assert fast_member_margin(ac, 180.0) > 0.0
    _onset_repetition(180.0, {0.5: 0.30, 1: 0.38}, ac)  # a weaker pulse, eighths weaker still: not enough
    assert fast_member_margin(ac, 180.0) < 0.0


def test_a_separated_snares_backbeat_may_repeat_a_little_less_than_its_bar():
    """From a drum stem the two-beat repetition need only be 0.85 of the bar's
    (the metal song's 0.36 / 0.65 / 0.71); the mix's mid band keeps the
    absolute rule, and a weak repetition (a drifting band, 0.30 / 0.33) gets no share."""
    from musicmixer.analysis.octave import backbeat_margin

    assert backbeat_margin(_repetition(180.0, 0.36, 0.65, 0.71, True), 180.0) > 0.0
    assert backbeat_margin(_repetition(180.0, 0.36, 0.65, 0.71, False), 180.0) < 0.0
    assert backbeat_margin(_repetition(180.0, 0.10, 0.30, 0.33, True), 180.0) < 0.0
    assert backbeat_margin(_repetition(180.0, 0.10, 0.60, 0.78, True), 180.0) < 0.0  # 0.77 of the bar


def test_a_snare_only_every_fourth_beat_makes_a_strong_pulse_the_eighths():
    """A real 95 BPM rock instrumental (steady eighth-note guitars and kicks, no
    hats) read 190: its 190 BPM pulse (0.46) passes FAST_PULSE. Its separated
    snare repeats 0.06 / 0.04 / 0.78 at one, two and four of those beats: 2 and
    4 of a 95 BPM bar, so 190 is the eighths. From the mix's mid band, or with
    hats on the fast member's eighths (a half-time feel), the pulse still rules."""
    from musicmixer.analysis.octave import fast_member_margin

    ac = _onset_repetition(190.0, {0.5: 0.092, 1: 0.459, 2: 0.395, 4: 0.563})
    assert fast_member_margin(ac, 190.0) > 0.0
    assert fast_member_margin(ac, 190.0, _repetition(190.0, 0.056, 0.035, 0.777, True)) < 0.0
    assert fast_member_margin(ac, 190.0, _repetition(190.0, 0.056, 0.035, 0.777, False)) > 0.0
    assert fast_member_margin(ac, 190.0, _repetition(190.0, 0.30, 0.035, 0.777, True)) > 0.0
    _onset_repetition(190.0, {0.5: 0.3}, ac)  # hats on the eighths
    assert fast_member_margin(ac, 190.0, _repetition(190.0, 0.056, 0.035, 0.777, True)) > 0.0


def _eighth_note_rock(bpm: float, seconds: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    """(mix, drums): power chords on every eighth note, kick on 1 and 3, snare
    on 2 and 4, no hats (the eighths make a pulse at twice `bpm`)."""
    rng = np.random.default_rng(7)
    n = int(seconds * SR)
    mix, drums = np.zeros(n), np.zeros(n)
    t = np.arange(int(0.15 * SR)) / SR
    kick = np.minimum(t / 0.01, 1.0) * np.exp(-t * 20) * np.sin(2 * np.pi * 55 * t)
    snare = np.exp(-t * 30) * (0.8 * rng.standard_normal(len(t)) + 0.4 * np.sin(2 * np.pi * 200 * t))
    chord = np.exp(-t * 10) * sum(np.sin(2 * np.pi * f * t) for f in (110.0, 165.0, 220.0))
    beat = 60.0 / bpm
    for k in range(int(seconds / beat) - 1):
        hits = [(k * beat, 0.9, chord, False), (k * beat + beat / 2, 0.9, chord, False),
                (k * beat, 1.0, kick, True) if k % 2 == 0 else (k * beat, 0.8, snare, True)]
        for when, amp, burst, drum in hits:
            i = int(round(when * SR))
            mix[i:i + len(burst)] += amp * burst
            if drum:
                drums[i:i + len(burst)] += amp * burst
    return tuple(np.stack([x, x]).astype(np.float32) * 0.2 for x in (mix, drums))


@pytest.mark.parametrize("bpm", [85.0, 95.0])
def test_eighth_note_rock_reads_at_its_snares_tempo_from_the_drum_stem(bpm):
    mix, drums = _eighth_note_rock(bpm)
    assert analyze_song(mix, SR, {"drums": drums}).tempo == pytest.approx(bpm, rel=0.02)


def test_a_separated_kick_on_every_beat_and_not_between_makes_the_fast_member_the_beat():
    """A charted 190 BPM metal song's blast section read 95 from three starts:
    its mix pulse at 190 (0.37) is under FAST_PULSE, its snare no backbeat,
    but its separated kick repeats 0.25 / 0.71 / 0.59 at half, one and two
    beats of 190: on every beat and not between. A real 95 BPM song's 190
    member reads 0.30 / 0.52 / 0.38 (under KICK_PULSE); sixteenth double
    kicks, which fill the half beats too, and kicks that repeat more every
    two beats, are no evidence."""
    from musicmixer.analysis.octave import DrumRepetition, fast_member_margin, kick_margin

    mix = _onset_repetition(190.0, {0.5: 0.245, 1: 0.367, 2: 0.313, 4: 0.417})
    snare = _repetition(190.0, 0.446, 0.411, 0.461, True)

    def with_kick(half: float, one: float, two: float) -> DrumRepetition:
        kick = _onset_repetition(190.0, {0.5: half, 1: one, 2: two})
        return DrumRepetition(snare.snare, True, kick)

    assert fast_member_margin(mix, 190.0, snare) < 0.0
    assert kick_margin(with_kick(0.247, 0.714, 0.585), 190.0) > 0.0
    assert fast_member_margin(mix, 190.0, with_kick(0.247, 0.714, 0.585)) > 0.0
    assert kick_margin(with_kick(0.30, 0.516, 0.379), 190.0) < 0.0
    assert kick_margin(with_kick(0.70, 0.72, 0.58), 190.0) < 0.0  # sixteenths at 95
    assert kick_margin(with_kick(0.25, 0.60, 0.75), 190.0) < 0.0  # more every two beats: 1 and 3
    assert kick_margin(snare, 190.0) == -1.0  # no separated kick


def _tremolo_metal(drums_at: str, bpm: float = 190.0, seconds: float = 40.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(mix, drums): loud tremolo-picked guitar noise at random triplet
    subdivisions, a power chord every four beats of `bpm`, and drums:
    "blast" (kick and snare on every beat), "rock" (kick on 1, snare on 3
    of every four: a rock beat at half `bpm`) or "double" (kicks on every beat
    and half beat: sixteenths at half `bpm`, snare on 3)."""
    rng = np.random.default_rng(3)
    n = int(seconds * SR)
    mix, drums = np.zeros(n), np.zeros(n)
    t = np.arange(int(0.15 * SR)) / SR
    kick = np.minimum(t / 0.005, 1.0) * np.exp(-t * 25) * np.sin(2 * np.pi * 55 * t)
    snare = np.exp(-t * 40) * rng.standard_normal(len(t))
    beat = 60.0 / bpm
    held = np.arange(int(4 * beat * SR)) / SR
    chord = (np.minimum(held / 0.003, 1.0) * np.exp(-held * 1.5)
             * (np.tanh(4 * sum(np.sin(2 * np.pi * f * held) for f in (98.0, 147.0, 196.0)))
                + 0.3 * rng.standard_normal(len(held))))

    def add(to: np.ndarray, when: float, burst: np.ndarray, amp: float = 1.0) -> None:
        i = int(round(when * SR))
        if 0 <= i < n:
            to[i:i + len(burst)] += amp * burst[:n - i]

    for k in range(int(seconds / beat) - 4):
        if drums_at == "blast":
            add(drums, k * beat, kick)
            add(drums, k * beat, snare, 0.6)
        elif drums_at == "rock" and k % 2 == 0:
            add(drums, k * beat, kick if k % 4 == 0 else snare)
        elif drums_at == "double":
            add(drums, k * beat, kick)
            add(drums, (k + 0.5) * beat, kick)
            if k % 4 == 2:
                add(drums, k * beat, snare)
        if k % 4 == 0:
            add(mix, k * beat, chord, 0.7)
    step = beat / 3.0
    pick = np.arange(int(step * SR)) / SR
    for j in range(int(seconds / step) - 8):
        if rng.random() < 0.7:
            add(mix, j * step + rng.normal(0.0, 0.01),
                np.exp(-pick * 30) * rng.standard_normal(len(pick)) * rng.uniform(0.3, 1.0), 2.0)
    mix += drums
    return tuple(np.stack([x, x]).astype(np.float32) * 0.2 for x in (mix, drums))


@pytest.mark.parametrize("drums_at,tempo", [("blast", 190.0), ("rock", 95.0), ("double", 95.0)])
def test_a_blast_beat_reads_at_its_kicks_tempo_from_the_drum_stem(drums_at, tempo):
    """Under loud tremolo guitars the mix alone reads a blast beat at half its
    tempo; the separated kick on every beat and not between puts it back,
    while a rock beat or sixteenth double kicks under the same guitars stay
    at the slower tempo."""
    mix, drums = _tremolo_metal(drums_at)
    if drums_at == "blast":
        assert analyze_song(mix, SR).tempo == pytest.approx(95.0, rel=0.02)  # what the stem is for
    assert analyze_song(mix, SR, {"drums": drums}).tempo == pytest.approx(tempo, rel=0.02)


def _accented_every_fifth_beat(accent: float, bpm: float = 170.0, seconds: float = 40.0) -> np.ndarray:
    """Hits on every beat, every fifth `accent` times louder (a thrash pattern
    whose strongest repetition is five beats: 68 BPM under 170)."""
    from musicmixer.analysis.features import FPS
    from musicmixer.analysis.periodicity import normalise

    env, period = np.zeros(int(seconds * FPS)), 60.0 * FPS / bpm
    for k in range(int(len(env) / period) - 1):
        env[int(round(k * period))] = accent if k % 5 == 0 else 1.0
    return normalise(env)


def test_a_drum_stem_whose_beat_nearly_ties_another_familys_repetition_is_read():
    # its strongest tempo is 68 BPM (five beats), but it pulses at 170 at over
    # 0.9 of that: the stem helps choose the mix's octave. One that repeats
    # mostly every five beats is another family's, and is left out.
    from musicmixer.analysis.octave import level_drum_bands
    from musicmixer.analysis.periodicity import strongest_tempo, tempo_candidates

    mix = _accented_every_fifth_beat(1.0)
    near = _accented_every_fifth_beat(3.5)
    assert abs(strongest_tempo(near, *tempo_candidates(near)) - 68.0) < 1.0
    assert level_drum_bands(mix, mix, near, near, near).separated
    far = _accented_every_fifth_beat(6.0)
    assert not level_drum_bands(mix, mix, far, far, far).separated
