"""The offline separation backend: HTDemucs v4 through onnxruntime, no torch.

The graph is exported for one fixed 7.8 s segment, so a song is cut into
overlapping segments, each separated on its own and blended back with a
triangular weight (demucs' `apply_model(split=True)`), which hides the seams.
Like `demucs.separate`, the mix is normalised by its mean and standard
deviation first, because the model was trained on normalised input, and the
stems are scaled back afterwards. The blend is streamed (`_OverlapAdd`): each
stretch goes to a sink as soon as it is final, so a caller can write stems to
disk without holding them (two 3-minute songs: job peak 2.43 -> 1.59 GB with
the session release, same output).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from musicmixer.errors import ModelMissingError, SeparationError
from musicmixer.stems import FOUR_STEMS

from . import htdemucs_dsp as dsp
from .model_store import FETCH_HINT
from .stem_sink import StemArrays, StemSink

logger = logging.getLogger(__name__)

SAMPLE_RATE = 44100
SEGMENT_SECONDS = 7.8
SEGMENT = int(SEGMENT_SECONDS * SAMPLE_RATE)  # the graph's fixed input length
# demucs uses 0.25; 0.2 cuts a 3-minute song from 31 graph runs to 29 with the
# same quality (bench/separation.py: every stem's median SDR within 0.2 dB either
# way, and 0.5 was no better), and the seams still blend over 1.5 s.
DEFAULT_OVERLAP = 0.2
# The order of the graph's source axis: a fact about the exported weights.
MODEL_SOURCES = ("drums", "bass", "other", "vocals")
assert sorted(MODEL_SOURCES) == sorted(FOUR_STEMS)
RESIDUAL_STEM = "other"  # where audio with nothing to separate goes
assert RESIDUAL_STEM in FOUR_STEMS

Progress = Callable[[float, str], None]

_sessions: dict[tuple[str, int], object] = {}
_sessions_lock = threading.Lock()


def get_session(model_path: Path, threads: int = 0):
    """One `InferenceSession` per (model, threads), built once: loading the
    174 MB graph and optimising it costs seconds, so it must not happen per song.

    Memory reuse is off on purpose: with it, onnxruntime's planner keeps
    encoder activations alive across the whole graph (about 2.4 GB per run,
    and the arena doubles that on the second run); without it a run peaks
    near 0.9 GB at the same speed. `_run_options` hands the arena back after
    each run so that peaks do not stack up across segments.
    """
    import onnxruntime as ort

    key = (str(Path(model_path).resolve()), int(threads))
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            if not Path(key[0]).is_file():
                raise ModelMissingError(f"no separation model at {key[0]}; {FETCH_HINT} to download it")
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.inter_op_num_threads = 1
            opts.enable_mem_reuse = False
            # Idle workers sleep instead of spinning: the same speed on free
            # cores, 15-20% less CPU burnt when analysis or another job shares them.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if threads > 0:
                opts.intra_op_num_threads = threads
            opts.log_severity_level = 3
            try:
                session = ort.InferenceSession(key[0], opts, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own untyped failures
                raise ModelMissingError(
                    f"the separation model at {key[0]} could not be loaded ({exc}); it may be "
                    f"corrupt: delete it and {FETCH_HINT}") from exc
            _sessions[key] = session
    return session


def release_sessions() -> None:
    """Drop the loaded graphs and hand their memory back: about 1 GB (weights,
    pre-packed copies, arena) that would otherwise stay resident through every
    later stage of the job (bench/memory.py `--local onnx`, two 3-minute songs:
    2.43 GB peak with the session kept, in the mix stages). A job runs in its
    own process and separates its two songs in one stage, so nothing reuses a
    session after it; a caller that separates again pays the load (seconds)."""
    from musicmixer.allocator import trim

    with _sessions_lock:
        _sessions.clear()
    gc.collect()
    trim()


def _run_options():
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def separate_local(
    audio: np.ndarray,
    *,
    model_path: Path,
    threads: int = 0,
    progress: Progress | None = None,
    overlap: float = DEFAULT_OVERLAP,
    sink: StemSink | None = None,
) -> dict[str, np.ndarray] | None:
    """Split a (2, n) float32 44.1 kHz mix into the four local stems, each (2, n).

    With a `sink`, each stretch of the stems goes to it as soon as no later
    segment reaches it (`_OverlapAdd`) and nothing is returned; without one,
    the stems come back as arrays. The samples are the same either way.
    """
    mix = np.asarray(audio, dtype=np.float32)
    if mix.ndim != 2 or mix.shape[0] != 2 or mix.shape[1] == 0:
        raise SeparationError(f"local separation needs stereo audio shaped (2, n), got {mix.shape}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError("overlap must be in [0, 1)")
    arrays = StemArrays(FOUR_STEMS, mix.shape[1]) if sink is None else None
    out: StemSink = arrays if arrays is not None else sink  # type: ignore[assignment]
    ref = mix.mean(axis=0)
    mean = float(ref.mean())
    std = float(ref.std(ddof=1)) if ref.size > 1 else 0.0  # torch's unbiased std, as demucs
    del ref
    if not std > 1e-8:
        # Nothing to separate; the residual stem keeps whatever there is, so
        # the stems still sum to the mix.
        if progress:
            progress(1.0, "silent input")
        for name in FOUR_STEMS:
            out.write(name, mix if name == RESIDUAL_STEM else np.zeros_like(mix))
        return arrays.arrays() if arrays is not None else None

    session = get_session(model_path, threads)
    normed = (mix - mean) / std

    def emit(sources: np.ndarray) -> None:
        # Undo the normalisation; the mean is shared out so that the stems sum like the mix.
        sources = sources * std + mean / len(MODEL_SOURCES)
        for name, stem in zip(MODEL_SOURCES, sources):
            out.write(name, stem)

    _apply_split(session, normed, overlap, progress, emit)
    return arrays.arrays() if arrays is not None else None


def _triangle(segment: int) -> np.ndarray:
    """demucs' overlap-add weight: rises from the edges to 1 in the middle."""
    w = np.concatenate([np.arange(1, segment // 2 + 1), np.arange(segment - segment // 2, 0, -1)])
    return (w / w.max()).astype(np.float32)


class _OverlapAdd:
    """The weighted sum of the segment estimates over a window one segment
    long: once segment k is in, nothing later reaches before segment k+1's
    start, so that stretch is divided by its weight and handed on (`release`).
    The same additions in the same order as summing into whole-song arrays,
    so the same floats; 4 x 2 x SEGMENT floats (11 MB) instead of 4 x 2 x n."""

    def __init__(self, sources: int, channels: int, emit: Callable[[np.ndarray], None]):
        self.sum = np.zeros((sources, channels, SEGMENT), dtype=np.float32)
        self.weight = np.zeros(SEGMENT, dtype=np.float32)
        self.base = 0  # the song sample at window position 0
        self.emit = emit

    def add(self, offset: int, estimate: np.ndarray, weight: np.ndarray) -> None:
        at = offset - self.base
        n = estimate.shape[-1]
        self.sum[..., at:at + n] += weight * estimate
        self.weight[at:at + n] += weight

    def release(self, upto: int) -> None:
        """Hand on samples [base, upto): no later segment adds to them."""
        k = upto - self.base
        if k <= 0:
            return
        self.emit(self.sum[..., :k] / self.weight[:k])
        self.sum[..., :-k] = self.sum[..., k:].copy()
        self.sum[..., -k:] = 0.0
        self.weight[:-k] = self.weight[k:].copy()
        self.weight[-k:] = 0.0
        self.base = upto


def _apply_split(session, mix: np.ndarray, overlap: float, progress: Progress | None,
                 emit: Callable[[np.ndarray], None]) -> None:
    """Separate overlapping segments and blend them: (2, n) in, (sources, 2, k)
    blocks to `emit`, in order, covering the n samples.

    The graph runs use about 1.75 of two cores; the numpy spectrogram work
    around them (7% of the time) runs on a helper thread meanwhile: segment
    k+1's input is made and segment k-1's output blended while k is in the graph.
    """
    from concurrent.futures import ThreadPoolExecutor

    length = mix.shape[-1]
    stride = max(1, int((1.0 - overlap) * SEGMENT))
    weight = _triangle(SEGMENT)
    window = _OverlapAdd(len(MODEL_SOURCES), mix.shape[0], emit)
    offsets = segment_offsets(length, stride)
    ends = [*offsets[1:], length]  # what is final once each segment is in

    def blend(outputs, offset: int, final: int) -> None:  # only ever on the helper thread, in order
        chunk_len = min(SEGMENT, length - offset)
        start = (SEGMENT - chunk_len) // 2
        window.add(offset, _segment_audio(*outputs)[..., start : start + chunk_len], weight[:chunk_len])
        window.release(final)

    def inputs(offset: int):
        return _segment_inputs(_padded_chunk(mix, offset, min(SEGMENT, length - offset)))

    with ThreadPoolExecutor(1, thread_name_prefix="segment") as helper:
        next_inputs, blended = helper.submit(inputs, offsets[0]), None
        for index, offset in enumerate(offsets, start=1):
            feeds = next_inputs.result()
            if index < len(offsets):
                next_inputs = helper.submit(inputs, offsets[index])
            outputs = _run_graph(session, feeds)
            if blended is not None:
                blended.result()
            blended = helper.submit(blend, outputs, offset, ends[index - 1])
            if progress:
                progress(index / len(offsets), f"segment {index}/{len(offsets)}")
        assert blended is not None  # offsets is never empty
        blended.result()


def segment_offsets(length: int, stride: int, segment: int = SEGMENT) -> list[int]:
    """Segment starts every `stride` samples, as demucs, but without the
    trailing segments that start after an earlier one already reached the end:
    those only re-estimate the last second or so, and cost a whole graph run
    (a fifth of the time on a 25 s song)."""
    offsets = [0]
    while offsets[-1] + segment < length:
        offsets.append(offsets[-1] + stride)
    return offsets


def _padded_chunk(mix: np.ndarray, offset: int, chunk_len: int) -> np.ndarray:
    """demucs `TensorChunk.padded(SEGMENT)`: centre the chunk in a full segment,
    filling the margin with the neighbouring audio where there is any, zeros beyond."""
    length = mix.shape[-1]
    start = offset - (SEGMENT - chunk_len) // 2
    lo, hi = max(0, start), min(length, start + SEGMENT)
    chunk = np.zeros((mix.shape[0], SEGMENT), dtype=np.float32)
    chunk[:, lo - start : hi - start] = mix[:, lo:hi]
    return chunk


def _segment_inputs(segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The graph's two inputs for one (2, SEGMENT) segment: waveform and spectrogram."""
    x = segment[None]
    return x, dsp.magnitude(dsp.spec(x))


def _run_graph(session, feeds: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One graph run: (frequency-branch spectrogram, time-branch waveform) per source."""
    inputs = session.get_inputs()
    out_spec, out_wave = session.run(None, {inputs[0].name: feeds[0], inputs[1].name: feeds[1]},
                                     _run_options())
    if out_wave.shape[1] != len(MODEL_SOURCES):
        raise SeparationError(f"the model returned {out_wave.shape[1]} sources, expected 4")
    return out_spec, out_wave


def _segment_audio(out_spec: np.ndarray, out_wave: np.ndarray) -> np.ndarray:
    """(sources, 2, SEGMENT): the frequency branch inverted and added to the time
    branch, as HTDemucs' forward does; one source at a time, so the inverse
    transform's temporaries (running beside the next graph run) stay small."""
    per_source = [dsp.ispec(dsp.mask(out_spec[:, k:k + 1]), SEGMENT) + out_wave[:, k:k + 1]
                  for k in range(out_wave.shape[1])]
    return np.concatenate(per_source, axis=1)[0]

