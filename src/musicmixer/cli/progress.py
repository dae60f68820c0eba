"""A tqdm progress bar as a `progress_callback(fraction, detail)` for stages."""

from __future__ import annotations

from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(description: str, enabled: bool = True):
    """Yield a callback taking (fraction 0..1, detail) that drives one bar."""
    bar = tqdm(total=1000, desc=description, disable=not enabled, unit="‰",
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}{postfix}")

    def update(fraction: float, detail: str = "") -> None:
        target = int(max(0.0, min(1.0, fraction)) * 1000)
        bar.update(max(0, target - bar.n))
        if detail:
            bar.set_postfix_str(detail, refresh=False)

    try:
        yield update
    finally:
        bar.close()
