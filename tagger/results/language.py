"""A cheap script check: the model was trained on English, so other scripts get a warning."""

from __future__ import annotations

SCRIPTS = {
    "Bengali": (0x0980, 0x09FF),
    "Devanagari (Hindi)": (0x0900, 0x097F),
    "Arabic (Urdu)": (0x0600, 0x06FF),
    "Arabic supplement (Urdu)": (0x0750, 0x077F),
}
NON_LATIN_SHARE = 0.2


def script_warning(text: str) -> str | None:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "text has no letters; scores are not meaningful"
    counts = {name: sum(lo <= ord(c) <= hi for c in letters) for name, (lo, hi) in SCRIPTS.items()}
    name, n = max(counts.items(), key=lambda kv: kv[1])
    if n / len(letters) >= NON_LATIN_SHARE:
        return (
            f"{100 * n / len(letters):.0f}% of the letters are {name} script; the model was trained on "
            "English articles, so these scores are less reliable"
        )
    return None
