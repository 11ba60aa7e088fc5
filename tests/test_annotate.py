"""The plain modules behind the service: request validation, evidence, script warnings."""

import pytest
from test_windows import tiny_tagger

from tagger.results.annotate import MAX_TEXT_CHARS, Annotator, article_problem
from tagger.results.evidence import split_sentences
from tagger.results.language import script_warning


@pytest.mark.parametrize(
    ("article", "message"),
    [
        ({"title": "x"}, "field 'text': missing"),
        ({"text": "   \n"}, "field 'text': empty"),
        ({"text": 42}, "field 'text': expected a string, got a number"),
        ({"text": "ok", "title": 3}, "field 'title': expected a string"),
        ({"text": "ok", "lang": "en"}, "unknown field(s) 'lang'"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, f"over the limit of {MAX_TEXT_CHARS}"),
        # a batch item is held to /classify's field limits too
        ({"text": "ok", "title": "t" * 2_001}, "field 'title': 2001 characters, over the limit of 2000"),
        ({"text": "ok", "id": "i" * 501}, "field 'id': 501 characters, over the limit of 500"),
        ({"text": "ok", "id": True}, "field 'id': expected a string or a whole number, got true/false"),
        ({"text": "ok", "id": 2.5}, "field 'id': expected a string or a whole number, got a number"),
        (["text"], "expected an object"),
    ],
)
def test_article_errors_name_the_field(article, message):
    problem = article_problem(article)
    assert problem is not None and message in problem.message


def test_text_of_a_call_counts_titles_and_only_strings():
    from tagger.results.annotate import text_chars

    assert text_chars([{"text": "abc", "title": "de"}, {"text": 5}, "x", {"title": "f"}]) == 6


def test_valid_article_has_no_error():
    assert article_problem({"text": "A report.", "title": None, "id": "7"}) is None
    assert article_problem({"text": "A report.", "id": 7}) is None  # a numbered row, as `tagger score` takes


def test_sentences_carry_exact_offsets():
    text = 'DHAKA, Jan 3 -- The ship docked. "It is a new route," an official said!\nAlso read: Rice deal\nShort.'
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "DHAKA, Jan 3 -- The ship docked.",
        '"It is a new route," an official said!',
        "Also read: Rice deal",
    ]  # "Short." is under MIN_WORDS and skipped
    for s in sents:
        assert text[s.start : s.end] == s.text


def test_script_warning_for_bengali_urdu_hindi_but_not_english():
    assert "Bengali" in script_warning("ঢাকা ও ইসলামাবাদের মধ্যে বাণিজ্য আলোচনা শুরু হয়েছে")
    assert "Urdu" in script_warning("پاکستان اور بنگلہ دیش کے درمیان تجارت")
    assert "Hindi" in script_warning("भारत और बांग्लादेश के बीच सीमा वार्ता")
    assert script_warning("Pakistan and Bangladesh resumed direct trade.") is None


def test_annotator_adds_evidence_warnings_and_model(schema):
    tagger = tiny_tagger(schema)
    tagger.info = {"tag": "article-tagger:test", "trained_at": "2026-01-01T00:00:00"}
    text = (
        "The navy chiefs met in Karachi to plan a joint exercise next spring. "
        "Traders in Chattogram welcomed the new shipping line to Karachi. "
        "Officials said the foreign ministers would meet at the UN."
    )
    [res] = Annotator(tagger).annotate([{"id": "a", "text": text}])
    assert res["model"] == {
        "tag": "article-tagger:test",
        "trained_at": "2026-01-01T00:00:00",
        "precision": "fp32",
        "backend": "torch",
    }
    assert set(res["evidence"]) == {*res["topics"], res["framing"]}
    for items in res["evidence"].values():
        assert 1 <= len(items) <= 2
        for ev in items:
            assert text[ev["start"] : ev["end"]] == ev["text"]
    assert res["warnings"] == []
    [bare] = Annotator(tagger).annotate([{"id": "a", "text": text}], evidence=False)
    assert bare == {k: v for k, v in res.items() if k != "evidence"}  # labels only, same labels
    [bn] = Annotator(tagger).annotate([{"text": "ঢাকা ও ইসলামাবাদের মধ্যে বাণিজ্য আলোচনা শুরু হয়েছে"}])
    assert any("Bengali" in w for w in bn["warnings"])
