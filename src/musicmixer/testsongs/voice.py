"""Sung voices: Festival's singing mode, so vocal separation is measured on
something a separator takes for a voice, not a GM choir patch.

Each voice part is one utterance whose notes carry their frequency (FREQ) and
their length in seconds (SECONDS), with the rests written out, starting with
the silence before the first note. That sidesteps the two quirks of note names
and beats (Festival reads "C4" as MIDI 48, one octave low, and turns beats into
seconds at BPM/50, i.e. 6/5 of the written tempo) and puts every syllable at
the time the score gives it, so the output lies on the song's own timeline.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from .compose import Note

KAL_VOICE = Path("/usr/share/festival/voices/english/kal_diphone")
SAMPLE_RATE = 44100
XML_HEAD = ('<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
            '"Singing.v0_1.dtd" []>\n<SINGING BPM="60">')


def festival_available() -> bool:
    return shutil.which("text2wave") is not None and KAL_VOICE.exists()


def singing_xml(notes: list[Note], cents: list[float] | None = None) -> str:
    """The notes (with lyrics) as Festival singing markup on the song's timeline,
    each `cents[i]` off its pitch where given (a sung lead's misses and drift)."""
    lines = [XML_HEAD]
    now = 0.0
    offsets = cents if cents is not None else [0.0] * len(notes)
    for nt, off in sorted(zip(notes, offsets), key=lambda x: x[0].start):
        if nt.start > now + 1e-4:
            lines.append(f'<REST SECONDS="{nt.start - now:.5f}"></REST>')
            now = nt.start
        freq = 440.0 * 2.0 ** ((nt.pitch - 69) / 12.0 + off / 1200.0)
        length = nt.end - now
        lines.append(f'<PITCH FREQ="{freq:.4f}"><DURATION SECONDS="{length:.5f}">'
                     f'{nt.lyric or "la"}</DURATION></PITCH>')
        now = nt.end
    lines.append("</SINGING>\n")
    return "\n".join(lines)


def sing(notes: list[Note], n: int, workdir: Path, name: str,
         cents: list[float] | None = None) -> np.ndarray | None:
    """One voice part sung by Festival, as (2, n) float32 at 44.1 kHz (`cents`:
    per-note pitch offsets, see `singing_xml`)."""
    if not notes:
        return None
    xml = workdir / f"{name}.xml"
    wav = workdir / f"{name}.wav"
    xml.write_text(singing_xml(notes, cents))
    proc = subprocess.run(["text2wave", "-mode", "singing", str(xml), "-o", str(wav)],
                          capture_output=True)
    if proc.returncode != 0 or not wav.exists():
        raise RuntimeError(f"festival could not sing {name}: {proc.stderr.decode(errors='replace')}")
    import soundfile as sf
    import soxr

    data, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    mono = soxr.resample(data[:, 0], sr, SAMPLE_RATE, quality="VHQ").astype(np.float32)
    out = np.zeros((2, n), dtype=np.float32)
    m = min(n, len(mono))
    out[:, :m] = mono[:m] * note_gate(notes, m)
    return out


def note_gate(notes: list[Note], n: int, before: float = 0.12, after: float = 0.15,
              ramp: float = 0.01) -> np.ndarray:
    """1 around the notes (a little early for leading consonants), 0 elsewhere,
    with short ramps: Festival breathes a faint noise through its rests, and a
    stem that the truth calls silent must be silent."""
    gate = np.zeros(n, dtype=np.float32)
    for nt in notes:
        a = max(0, int((nt.start - before) * SAMPLE_RATE))
        b = min(n, int((nt.end + after) * SAMPLE_RATE))
        gate[a:b] = 1.0
    k = max(1, int(ramp * SAMPLE_RATE))
    # a moving average turns each edge into a linear ramp of k samples
    c = np.concatenate([[0.0], np.cumsum(np.pad(gate, (k // 2, k - k // 2), mode="edge"), dtype=np.float64)])
    return ((c[k:k + n] - c[:n]) / k).astype(np.float32)
