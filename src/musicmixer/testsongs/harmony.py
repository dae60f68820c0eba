"""Chords and pitches for a key: progressions chosen so the key is unambiguous
(tonic on the strong bars, V-I cadences, the harmonic-minor leading tone in V)."""

from __future__ import annotations

from .spec import SongSpec

# Scale degrees (0 = tonic) of one chord per bar, by section label. The same
# degrees serve major and minor; in minor, degree 4 (V) takes the raised seventh.
PROGRESSIONS = {
    "intro": (0, 3, 4, 0),
    "verse": (0, 5, 3, 4),
    "chorus": (0, 3, 4, 0),
    "breakdown": (5, 3, 0, 4),
    "bridge": (3, 4, 5, 4),
    "outro": (3, 4, 0, 0),
}
DEFAULT_PROGRESSION = (0, 3, 4, 0)


def section_chords(label: str, n_bars: int) -> list[int]:
    """One chord degree per bar. A short section keeps the start of a
    progression that opens on the tonic, else its end (the cadence); a one-bar
    section is the tonic."""
    prog = PROGRESSIONS.get(label, DEFAULT_PROGRESSION)
    if n_bars == 1:
        return [0]
    if n_bars < len(prog):
        opens_on_tonic = prog[0] == 0 and label not in ("chorus", "outro")
        return list(prog[:n_bars] if opens_on_tonic else prog[-n_bars:])
    return [prog[i % len(prog)] for i in range(n_bars)]


def song_chords(spec: SongSpec) -> list[int]:
    """Chord degree of every bar; the song ends on the tonic."""
    chords: list[int] = []
    for label, n in spec.form():
        chords.extend(section_chords(label, n))
    chords[-1] = 0
    return chords


class Pitches:
    """Maps scale degrees (any integer; 7 = tonic an octave up) to MIDI notes."""

    def __init__(self, spec: SongSpec):
        self.spec = spec
        self.pc = spec.tonic_pc
        self.minor = spec.mode == "minor"

    def midi(self, degree: int, tonic_midi: int, chord: int | None = None) -> int:
        octave, step = divmod(degree, 7)
        semis = self.spec.scale[step]
        if self.minor and step == 6 and chord == 4 and not self.spec.natural_minor:
            semis += 1  # leading tone over V
        return tonic_midi + 12 * octave + semis

    def tonic(self, octave: int) -> int:
        """MIDI tonic in the octave whose C is 12 * (octave + 1); keys past F
        drop an octave so every key sits in the same register."""
        base = 12 * (octave + 1) + self.pc
        return base - 12 if self.pc > 5 else base

    @staticmethod
    def chord_degrees(chord: int) -> tuple[int, int, int]:
        return chord, chord + 2, chord + 4

    def chord_pitches(self, chord: int, low: int, high: int) -> list[int]:
        """All chord tones within [low, high), sorted."""
        pcs = {self.midi(d, self.pc, chord) % 12 for d in self.chord_degrees(chord)}
        return [p for p in range(low, high) if p % 12 in pcs]

    def root(self, chord: int, tonic_midi: int) -> int:
        return self.midi(chord, tonic_midi, chord)
