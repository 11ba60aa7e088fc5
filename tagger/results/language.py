"""Warnings about texts the model reads less reliably: other scripts than English, very short texts."""

from __future__ import annotations

from tagger.engine.windows import article_text

SCRIPTS = {
    "Bengali": (0x0980, 0x09FF),
    "Devanagari (Hindi)": (0x0900, 0x097F),
    "Arabic (Urdu)": (0x0600, 0x06FF),
    "Arabic supplement (Urdu)": (0x0750, 0x077F),
}
NON_LATIN_SHARE = 0.2
SHORT_WORDS = 25


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


def text_warnings(text: str) -> list[str]:
    """What an analyst should know before trusting this text's scores (every result carries these)."""
    warnings = [w for w in [script_warning(text)] if w]
    if (n := len(text.split())) < SHORT_WORDS:
        warnings.append(
            f"only {n} word{'' if n == 1 else 's'}; scores for very short texts are less reliable"
        )
    return warnings


def article_warnings(article: dict) -> list[str]:
    """`text_warnings` of an article as the model reads it (title and text)."""
    return text_warnings(article_text(article["text"], article.get("title")))
