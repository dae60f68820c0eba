"""A tqdm progress bar as a `progress_callback(fraction, detail)` for stages."""

from __future__ import annotations

from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(description: str, enabled: bool = True, lazy: bool = False):
    """Yield a callback taking (fraction 0..1, detail) that drives one bar.
    `lazy`: the bar appears at the first call only, so an error raised before
    the work starts is the only line on stderr."""
    bars: list = []

    def make():
        return tqdm(total=1000, desc=description, disable=not enabled, unit="‰",
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}{postfix}")

    if not lazy:
        bars.append(make())

    def update(fraction: float, detail: str = "") -> None:
        if not bars:
            bars.append(make())
        bar = bars[0]
        target = int(max(0.0, min(1.0, fraction)) * 1000)
        bar.update(max(0, target - bar.n))
        if detail:
            bar.set_postfix_str(detail, refresh=False)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()
