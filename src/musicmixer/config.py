"""Settings, read once from environment variables and `.env`, then passed down.

No stage reads the environment itself: the CLI, the web app and the tests build
a `Settings` and hand it to the pipeline. Invalid values fail at start-up with
a message that names the variable (see `load_settings`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import MusicMixerError

_CACHE_ROOT = Path.home() / ".cache" / "musicmixer"


class Settings(BaseSettings):
    """Every knob of musicmixer. Env var = field name in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # --- separation -------------------------------------------------------
    stem_backend: Literal["local", "modal"] = "local"
    vocal_sub_separation: bool = False  # VOCAL_SUB_SEPARATION env var
    # With the local backend and VOCAL_SUB_SEPARATION: split HTDemucs' vocals into
    # lead/backing on the CPU (musicmixer.separation.vocal_split) for 5 stems.
    local_vocal_split: bool = False  # LOCAL_VOCAL_SPLIT env var
    separation_threads: int = Field(default=0, ge=0, le=256)  # 0 = onnxruntime decides
    modal_app_name: str = "musicmixer-separation"
    modal_function_name: str = "separate_stems_remote"

    # --- sound-quality flags (the ab_* experiments) ----------------
    ab_per_stem_eq_v1: bool = False
    ab_resonance_detection_v1: bool = False
    ab_multiband_comp_v1: bool = False
    ab_autolvl_tune_v1: bool = False
    ab_static_mastering_v1: bool = False
    ab_reference_mastering_v1: bool = False

    # --- folders ----------------------------------------------------------
    data_dir: Path = _CACHE_ROOT / "data"
    model_dir: Path = _CACHE_ROOT / "models"

    # --- upload limits ----------------------------------------------------
    max_upload_mb: float = Field(default=50.0, gt=0)
    max_song_minutes: float = Field(default=15.0, gt=0)
    max_prompt_chars: int = Field(default=2000, ge=1, le=100_000)

    # --- web app (`musicmixer serve`) ---------------------------------------
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=0, le=65535)
    web_workers: int = Field(default=1, ge=1, le=32)  # remixes made at once
    web_queue_depth: int = Field(default=10, ge=0, le=10_000)  # waiting remixes; 503 past it
    remix_ttl_hours: float = Field(default=3.0, gt=0)  # then a remix and its files are deleted
    # origins besides the server's own that may POST (e.g. a separate front end)
    web_allowed_origins: list[str] = Field(default_factory=list)
    web_rate_limit: int = Field(default=20, ge=0, le=100_000)  # uploads + re-renders per client
    web_rate_window_s: float = Field(default=600.0, gt=0)  # ... in this sliding window (limit 0 = off)
    job_record_ttl_hours: float = Field(default=168.0, gt=0)  # an expired remix's row, then 404
    min_free_disk_mb: float = Field(default=500.0, ge=0)  # new jobs get 507 below this
    # cluster mode: jobs go to this Redis (redis://host:port/db) and `musicmixer worker`
    # processes take them; unset, `serve` runs its own worker processes
    queue_url: str | None = None
    # a worker silent this long is dead: its job is delivered to another worker
    queue_heartbeat_timeout_s: float = Field(default=60.0, ge=1.0)
    # worker and job-process logs: "text", or "json" (one object a line, with job_id)
    log_format: Literal["text", "json"] = "text"
    # the running remixes' estimated peak memory together (service/admission.py: from the
    # songs' lengths); a remix that would pass it waits in the queue
    job_memory_budget_mb: float = Field(default=16000.0, gt=0)

    # --- stem cache (`DATA_DIR/stem-cache`) ----------------------------------
    stem_cache_ttl_hours: float = Field(default=72.0, gt=0)  # entries unused this long go
    stem_cache_max_mb: float = Field(default=5000.0, ge=0)  # then least recently used; 0 = no cap

    # --- tempo matching -----------------------------------------------------
    # the most time-stretching (vocals and instrumental together) the best beat
    # mapping (1:1, 2:1, 1:2) may need before a pair is refused
    max_tempo_stretch: float = Field(default=0.45, gt=0.0, le=1.0)

    # --- mastering --------------------------------------------------------
    target_lufs: float = Field(default=-14.0, ge=-40.0, le=-5.0)
    true_peak_ceiling_db: float = Field(default=-1.0, ge=-12.0, le=0.0)

    # --- LLM --------------------------------------------------------------
    llm_provider: str = "none"  # "none" or a provider in interpreter.providers.PROVIDERS
    llm_model: str = "claude-sonnet-4-6"
    llm_api_key: str | None = None
    llm_base_url: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0, le=600)

    @field_validator("llm_provider")
    @classmethod
    def _provider_is_registered(cls, value: str) -> str:
        from musicmixer.interpreter.providers import provider_choices

        if value not in provider_choices():
            raise ValueError("must be one of " + ", ".join(provider_choices()))
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def sound_quality_flags(self) -> dict[str, bool]:
        """The ab_* flags by name, for reports and the test matrix."""
        return {name: getattr(self, name) for name in AB_FLAGS}


AB_FLAGS = (
    "ab_per_stem_eq_v1",
    "ab_resonance_detection_v1",
    "ab_multiband_comp_v1",
    "ab_autolvl_tune_v1",
    "ab_static_mastering_v1",
    "ab_reference_mastering_v1",
)


class SettingsError(MusicMixerError):
    """A setting has an invalid value; the message names the variable."""


def load_settings(**overrides) -> Settings:
    """Build settings from env/.env plus overrides, turning pydantic's report
    into one readable line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "?"
            lines.append(f"{field.upper()}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for entry points (CLI, web); stages take them as arguments."""
    return load_settings()
