"""Parts to audio with fluidsynth, one process per part, so every stem is its own
dry recording (reverb and chorus off) and the mix can be their exact sum.

MIDI files are written at 1 tick = 1 ms (1000 ticks per quarter at 60 BPM),
fluidsynth's own timing grain, so note times need no tempo map: the drift and the
swing are already in the seconds.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from .compose import Note

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SAMPLE_RATE = 44100
DRUM_CHANNEL = 9


def write_midi(path: Path, notes: list[Note], program: int, channel: int, end_time: float) -> None:
    """A one-track MIDI file; a last controller event at `end_time` makes
    fluidsynth keep rendering through the release tails."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=1000)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=0))
    events: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.Message("control_change", channel=channel, control=7, value=100)),
        (0, 0, mido.Message("control_change", channel=channel, control=10, value=64)),
        (0, 0, mido.Message("control_change", channel=channel, control=91, value=0)),
        (0, 0, mido.Message("control_change", channel=channel, control=93, value=0)),
    ]
    if channel != DRUM_CHANNEL:
        events.append((0, 0, mido.Message("program_change", channel=channel, program=program)))
    for nt in notes:
        on, off = round(nt.start * 1000), round(nt.end * 1000)
        events.append((on, 2, mido.Message("note_on", channel=channel, note=nt.pitch, velocity=nt.velocity)))
        events.append((off, 1, mido.Message("note_off", channel=channel, note=nt.pitch, velocity=0)))
    events.append((round(end_time * 1000), 3,
                   mido.Message("control_change", channel=channel, control=64, value=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(str(path))


def fluidsynth_available() -> bool:
    return shutil.which("fluidsynth") is not None and SOUNDFONT.exists()


def render_midi(midi_path: Path, wav_path: Path, gain: float = 0.5) -> np.ndarray:
    """Render one MIDI file to a float32 stereo array (2, n)."""
    if not fluidsynth_available():
        raise RuntimeError(
            "synthetic songs need fluidsynth and the GM soundfont: "
            "apt-get install fluidsynth fluid-soundfont-gm"
        )
    cmd = ["fluidsynth", "-ni", "-q", "-F", str(wav_path), "-T", "wav", "-O", "float",
           "-r", str(SAMPLE_RATE), "-g", str(gain), "-R", "0", "-C", "0",
           str(SOUNDFONT), str(midi_path)]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or not wav_path.exists():
        raise RuntimeError(f"fluidsynth failed on {midi_path.name}: {proc.stderr.decode(errors='replace')}")
    data, sr = sf.read(str(wav_path), dtype="float32", always_2d=True)
    assert sr == SAMPLE_RATE
    return np.ascontiguousarray(data.T)


def render_part(name: str, notes: list[Note], program: int, channel: int, end_time: float,
                workdir: Path) -> np.ndarray | None:
    """One part through fluidsynth; a part without notes is None (silence)."""
    if not notes:
        return None
    mid = workdir / f"{name}.mid"
    write_midi(mid, notes, program, channel, end_time)
    return render_midi(mid, workdir / f"{name}.wav")
