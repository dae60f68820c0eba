"""Settings: defaults, env parsing, and start-up errors that name the variable."""

import pytest

from musicmixer.config import AB_FLAGS, Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_are_the_offline_path():
    s = load_settings()
    assert s.stem_backend == "local"
    assert s.vocal_sub_separation is False
    assert all(v is False for v in s.sound_quality_flags.values())
    assert set(s.sound_quality_flags) == set(AB_FLAGS)
    assert s.max_upload_mb == 50 and s.max_song_minutes == 15
    assert s.true_peak_ceiling_db == -1.0
    assert s.llm_provider == "none"


def test_env_vars_are_read(monkeypatch):
    monkeypatch.setenv("VOCAL_SUB_SEPARATION", "true")
    monkeypatch.setenv("STEM_BACKEND", "modal")
    monkeypatch.setenv("AB_MULTIBAND_COMP_V1", "1")
    monkeypatch.setenv("TARGET_LUFS", "-12")
    s = load_settings()
    assert s.vocal_sub_separation is True
    assert s.stem_backend == "modal"
    assert s.ab_multiband_comp_v1 is True
    assert s.target_lufs == -12.0


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("VOCAL_SUB_SEPARATION=true\nLLM_PROVIDER=openai\n")
    s = load_settings()
    assert s.vocal_sub_separation is True and s.llm_provider == "openai"


@pytest.mark.parametrize(
    "var,value",
    [
        ("STEM_BACKEND", "gpu"),
        ("VOCAL_SUB_SEPARATION", "maybe"),
        ("TARGET_LUFS", "loud"),
        ("TRUE_PEAK_CEILING_DB", "3"),
        ("MAX_UPLOAD_MB", "-1"),
        ("LLM_BASE_URL", "ftp://x"),
        ("LLM_PROVIDER", "gpt"),
    ],
)
def test_invalid_values_fail_naming_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert var in str(err.value)


def test_overrides_win_over_env(monkeypatch):
    monkeypatch.setenv("VOCAL_SUB_SEPARATION", "false")
    assert load_settings(vocal_sub_separation=True).vocal_sub_separation is True
