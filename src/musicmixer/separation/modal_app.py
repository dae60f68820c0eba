"""The Modal GPU app. Deploy with

    pip install 'musicmixer[modal]' && modal deploy -m musicmixer.separation.modal_app

`separate_stems_remote(audio_bytes, filename, vocal_sub_separation)` runs
BS-RoFormer-SW and, with the flag, UVR_MDXNET_KARA_2 on its vocals, both in one
GPU call (no second cold start), and returns {stem name: float32 WAV bytes}.

Only this module imports `modal`, and only when it is importable: the package,
the dispatcher and the tests import without it. The container runs the same
`musicmixer.separation.karaoke.separate_two_pass` the tests run; what is here
is only the audio-separator glue, which needs a GPU image to exercise.
"""

from __future__ import annotations

import gc
import logging
import tempfile
from pathlib import Path
from typing import Any

from .stem_files import KARAOKE_CKPT, MODEL_CKPT

logger = logging.getLogger(__name__)

APP_NAME = "musicmixer-separation"  # = Settings.modal_app_name
GPU = "A10G"  # 24 GB: BS-RoFormer-SW ~8-10 GB, then the karaoke model ~2-3 GB
TIMEOUT_S = 600  # two passes (one pass had 300 s)
MODEL_DIR = "/models"
# 1.0: audio-separator only rescales a stem that would clip, instead of
# peak-normalising every stem to 0.9 (its default); `undo_peak_normalisation`
# repairs the clip case so stems still sum to the mix.
NORMALIZATION_THRESHOLD = 1.0
AMPLIFICATION_THRESHOLD = 0.0

_PRELOAD = (
    f"python -c \"from audio_separator.separator import Separator; "
    f"s = Separator(model_file_dir='{MODEL_DIR}'); "
    f"s.load_model('{MODEL_CKPT}'); s.load_model('{KARAOKE_CKPT}')\""
)
# Fails the image build when ONNX Runtime cannot run the karaoke model on CUDA
# (e.g. the CPU `onnxruntime` wheel shadowing `onnxruntime-gpu`).
_CHECK_ONNX_CUDA = (
    "python -c \"import onnxruntime as ort; p = ort.get_available_providers(); "
    "assert 'CUDAExecutionProvider' in p, f'CUDA not available for ONNX. Got: {p}'; "
    "print(f'ONNX providers OK: {p}')\""
)


class AudioSeparatorPass:
    """One audio-separator model as a `karaoke.Runner`; `release()` frees it."""

    def __init__(self, model_filename: str):
        self.model_filename = model_filename
        self._separator: Any = None  # an audio_separator Separator once called

    def __call__(self, input_path: Path, out_dir: Path) -> list[Path]:
        from audio_separator.separator import Separator

        self._separator = Separator(
            log_level=logging.WARNING,
            model_file_dir=MODEL_DIR,
            output_dir=str(out_dir),
            output_format="WAV",
            normalization_threshold=NORMALIZATION_THRESHOLD,
            amplification_threshold=AMPLIFICATION_THRESHOLD,
        )
        self._separator.load_model(model_filename=self.model_filename)
        self._separator.separate(str(input_path))
        # List the folder rather than trust returned names (relative in some versions).
        return sorted(p for p in Path(out_dir).iterdir() if p.is_file())

    def release(self) -> None:
        """Drop the model and its tensors, and hand the memory back to CUDA."""
        self._separator = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch is in the image
            pass


def run_separation(audio_bytes: bytes, filename: str, vocal_sub_separation: bool = False) -> dict[str, bytes]:
    """What the GPU container runs: both passes through audio-separator."""
    from .karaoke import separate_two_pass

    primary = AudioSeparatorPass(MODEL_CKPT)
    karaoke = AudioSeparatorPass(KARAOKE_CKPT)
    with tempfile.TemporaryDirectory(prefix="musicmixer-sep-") as tmp:
        try:
            return separate_two_pass(
                audio_bytes, filename, vocal_sub_separation,
                primary=primary, karaoke=karaoke, release=primary.release, workdir=Path(tmp),
            )
        finally:
            karaoke.release()


def build_image(modal):
    """The container image: ffmpeg, libsndfile, audio-separator[gpu], both
    checkpoints baked in at build time, and the CUDA provider check."""
    image = (
        modal.Image.debian_slim(python_version="3.11")
        .apt_install("ffmpeg", "libsndfile1")
        .pip_install("audio-separator[gpu]", "torch", "soundfile", "soxr", "numpy",
                     "pydantic", "pydantic-settings")
        .run_commands(_PRELOAD, _CHECK_ONNX_CUDA)
    )
    if hasattr(image, "add_local_python_source"):  # modal >= 0.67: no automount
        image = image.add_local_python_source("musicmixer")
    return image


try:  # the package must import without modal installed
    import modal as _modal
except ImportError:  # pragma: no cover - depends on the environment
    _modal = None

if _modal is not None:
    image = build_image(_modal)
    app = _modal.App(APP_NAME)

    @app.function(image=image, gpu=GPU, timeout=TIMEOUT_S)
    def separate_stems_remote(audio_bytes: bytes, filename: str,
                              vocal_sub_separation: bool = False) -> dict[str, bytes]:
        """Modal entry point; see `run_separation`."""
        return run_separation(audio_bytes, filename, vocal_sub_separation)
else:
    image = None
    app = None
    separate_stems_remote = run_separation
