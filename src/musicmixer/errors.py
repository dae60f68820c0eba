"""Typed errors a user can cause, each with a message a person understands.

Everything a user can trigger (a bad file, a missing model, a wrong setting)
raises a subclass of `MusicMixerError`, so the CLI and the web API can show
the message as is and exit cleanly instead of printing a traceback.
"""


class MusicMixerError(Exception):
    """Base of every error that is the user's to fix."""


class AudioDecodeError(MusicMixerError):
    """The file is not audio we can read: empty, truncated, or another format."""


class AudioTooLongError(MusicMixerError):
    """The song is over the configured duration limit."""


class ModelMissingError(MusicMixerError):
    """Separation weights are absent or corrupt; the message says how to fetch them."""


class SeparationError(MusicMixerError):
    """A separation backend failed or returned the wrong set of stems."""


class StemValidationError(SeparationError):
    """The stems received are not the set the configuration must produce."""

    def __init__(self, missing: set[str], unexpected: set[str], expected: set[str]):
        self.missing = set(missing)
        self.unexpected = set(unexpected)
        self.expected = set(expected)
        parts = []
        if self.missing:
            parts.append(f"missing {sorted(self.missing)}")
        if self.unexpected:
            parts.append(f"unexpected {sorted(self.unexpected)}")
        super().__init__(
            "separation returned the wrong stems: "
            + ", ".join(parts)
            + f" (expected {sorted(self.expected)})"
        )


class AnalysisError(MusicMixerError):
    """The audio cannot be analysed: silent, too short to hold a few bars, or without a beat."""
