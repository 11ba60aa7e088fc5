"""Long articles are read whole: every window is scored and pooled, nothing is truncated."""

import pytest
import torch
from transformers import BertConfig, BertModel

from tagger.engine.encoder import DEFAULT_ENCODER_PACKAGE, load_tokenizer, pretrained_dir
from tagger.engine.network import TaggerNetwork
from tagger.engine.tagger import Tagger
from tagger.engine.windows import budget_batches, make_windows, pad

FILLER = (
    "The municipal cricket ground in Sylhet hosted a long afternoon of school matches while spectators "
    "sheltered from the drizzle under umbrellas and the scorers kept a careful tally of every run. "
)


def tiny_tagger(schema, max_length=128, overlap=32, pooling="mean") -> Tagger:
    torch.manual_seed(0)
    tok = load_tokenizer(pretrained_dir(DEFAULT_ENCODER_PACKAGE))
    cfg = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    encoder = BertModel(cfg, add_pooling_layer=False)
    model = TaggerNetwork(encoder, len(schema.topics), len(schema.framings), pooling=pooling)
    return Tagger(
        model=model,
        tokenizer=tok,
        schema=schema,
        max_length=max_length,
        overlap=overlap,
        device=torch.device("cpu"),
        bf16=False,
        backend="torch",  # the reference backend, whatever this CPU would pick
    )


def test_windows_cover_every_token_with_overlap():
    tok = load_tokenizer(pretrained_dir(DEFAULT_ENCODER_PACKAGE))
    text = FILLER * 40
    win = make_windows(tok, [text, "short one"], max_length=128, overlap=32)
    n_tokens = len(tok(text, add_special_tokens=False)["input_ids"])
    counts = win.windows_per_article(2)
    assert counts[1] == 1
    # each window holds 126 content tokens and repeats 32 of the previous one's
    assert counts[0] == 1 + -(-(n_tokens - 126) // (126 - 32))
    first = [w for w, a in zip(win.input_ids, win.article_index) if a == 0]
    assert all(len(w) <= 128 for w in first)
    assert first[0][-33:-1] == first[1][1:33]  # overlap: the next window starts with the previous tail
    tokens = tok(text, add_special_tokens=False)["input_ids"]
    assert first[-1][-2] == tokens[-1]  # the very end is inside a window (before its [SEP])
    assert first[-1][1:-1] == tokens[-(len(first[-1]) - 2) :]


def test_a_cue_only_at_the_end_of_a_3000_word_article_changes_the_output(schema):
    tagger = tiny_tagger(schema, max_length=512, overlap=64)
    body = FILLER * 95  # about 3,000 words
    assert 2900 <= len(body.split()) <= 3100
    plain = {"id": "a", "text": body}
    cued = {
        "id": "b",
        "text": body + "The army chiefs signed a defence pact on JF-17 fighter jets and joint exercises.",
    }
    res_plain, res_cued = tagger.predict([plain, cued])
    assert res_plain["windows"] >= 7 and res_cued["windows"] == res_plain["windows"]
    assert res_plain["topic_scores"] != res_cued["topic_scores"]  # a cue past the first window counts


def test_batching_does_not_change_scores(schema):
    tagger = tiny_tagger(schema)
    arts = [{"text": FILLER * k} for k in (1, 7, 3, 12)]
    together = tagger.predict(arts)
    alone = [tagger.predict([a])[0] for a in arts]
    for x, y in zip(together, alone):
        for label, p in x["topic_scores"].items():
            assert abs(p - y["topic_scores"][label]) < 1e-4


def test_inference_batches_respect_token_budget_and_padding():
    lengths = [512, 80, 500, 120, 505, 30, 512, 90, 300]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = budget_batches(order, lengths, max_tokens=1024)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))  # each window once
    for b in batches:
        width = max(lengths[i] for i in b)
        assert width * len(b) <= 1024
        assert len(b) == 1 or 1 - sum(lengths[i] for i in b) / (width * len(b)) <= 0.2
    # a full window never shares a batch with a short tail
    assert not any({0, 1} <= set(b) for b in batches)


def test_mean_max_pooling_ignores_padding_and_survives_save_and_load(schema, tmp_path):
    """[token mean ; token max] per window: padding never wins the max, and a reloaded bundle
    pools the same way."""
    tagger = tiny_tagger(schema, pooling="mean_max")
    short, long = "Ships dock at Chattogram.", FILLER * 3
    alone = tagger.embed([short])
    assert alone.shape[1] == 4 * 32  # [mean ; max] of windows, each [token mean ; token max]
    ids = [tagger.tokenizer(t, truncation=True, max_length=128)["input_ids"] for t in (short, long)]
    with torch.inference_mode():
        one = tagger.model.window_embeddings(*pad(ids[:1], tagger.tokenizer.pad_token_id))
        both = tagger.model.window_embeddings(*pad(ids, tagger.tokenizer.pad_token_id))  # short one padded
    torch.testing.assert_close(one[0], both[0], atol=1e-5, rtol=1e-5)
    tagger.save(tmp_path / "m")
    again = Tagger.load(tmp_path / "m", bf16=False)
    assert again.model.pooling == "mean_max"
    torch.testing.assert_close(torch.tensor(again.embed([short])), torch.tensor(alone), atol=1e-5, rtol=1e-5)


def test_windows_are_cut_by_the_project_not_by_the_tokenizer_release():
    """Windows are sliced from the article's tokens (tokenizers 0.23.2 and 0.23.3 cut overflow windows
    differently): one token past a full window adds a window of that token and the overlap, and an
    empty text is one window of [CLS] [SEP]."""
    tok = load_tokenizer(pretrained_dir(DEFAULT_ENCODER_PACKAGE))
    words = ("word " * 200).split()
    tokens = tok(" ".join(words), add_special_tokens=False)["input_ids"]
    assert len(tokens) == 200  # one token a word
    cls, sep = tok.cls_token_id, tok.sep_token_id
    full = make_windows(tok, [" ".join(words[:126])], max_length=128, overlap=32)
    assert full.input_ids == [[cls, *tokens[:126], sep]]
    over = make_windows(tok, [" ".join(words[:127])], max_length=128, overlap=32)
    assert over.input_ids == [[cls, *tokens[:126], sep], [cls, *tokens[126 - 32 : 127], sep]]
    empty = make_windows(tok, [""], max_length=128, overlap=32)
    assert empty.input_ids == [[cls, sep]] and empty.article_index == [0]


def test_a_tokenizer_without_cls_and_sep_is_refused_by_name():
    class NoSpecials:
        cls_token_id = sep_token_id = None

    with pytest.raises(ValueError, match=r"NoSpecials has no \[CLS\]/\[SEP\] tokens"):
        make_windows(NoSpecials(), ["Dhaka and Islamabad"], max_length=128, overlap=32)
