"""A fitted tagger: network + tokenizer + schema + decision rules, saved as one folder.

`Tagger.load(dir).predict(articles)` is what the service and batch scoring call; evaluation and
calibration take the raw probabilities, `predict_proba(texts)`.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from tagger.data.schema import LabelSchema
from tagger.engine.calibration import fit_framing_bias, fit_temperature, tune_thresholds
from tagger.engine.encoder import encoder_from_config, load_tokenizer
from tagger.engine.network import TaggerNetwork
from tagger.engine.runtime import (
    TIMED,
    attention_kernels,
    batch_tokens,
    fastest,
    int8_refusal,
    pick_backend,
    pick_device,
    use_bf16,
)
from tagger.engine.windows import article_text, make_windows

BUNDLE_FILE = "tagger.json"
WEIGHTS_FILE = "model.safetensors"
ENCODER_CONFIG_FILE = "encoder_config.json"


@dataclass
class Scores:
    """Calibrated probabilities for a list of articles, in input order."""

    topics: np.ndarray  # (n, n_topics), sigmoid
    framing: np.ndarray  # (n, n_framings), softmax(logits / temperature)
    windows: list[int]


@dataclass
class Tagger:
    model: TaggerNetwork
    tokenizer: object
    schema: LabelSchema
    max_length: int = 512
    overlap: int = 64
    thresholds: dict[str, float] = field(default_factory=dict)
    temperature: float = 1.0
    framing_bias: list[float] | None = None  # per-class logit offsets fitted on validation (a prior shift)
    info: dict = field(default_factory=dict)  # tag, trained_at, data hash: what made this model
    device: torch.device = field(default_factory=pick_device)
    bf16: bool | str = "auto"
    int8: bool = False  # int8 matmuls (CPU only, opt-in: a compile step of ~15 s at first use)
    backend: str = "auto"  # what runs the encoder: torch, openvino, or auto (measured per CPU class)
    max_batch_tokens: int = 0  # padded tokens per forward pass; 0: the device's default
    _fast_encoder: Callable | None = field(default=None, repr=False)  # see inference_encoder
    _openvino: Callable | None = field(default=None, repr=False)  # the encoder compiled by OpenVINO
    _runs_on: str | None = field(default=None, repr=False)  # the backend, decided once

    def __post_init__(self) -> None:
        if self.int8 and self.device.type != "cpu":
            raise ValueError(f"int8 scoring runs on the CPU only, not on {self.device.type}")
        if self.int8 and self.backend == "openvino":
            raise ValueError("int8 matmuls run on the torch backend only, not on openvino")
        if self.int8 and (why := int8_refusal()):
            raise ValueError(why)
        pick_backend(self.device, self.backend)  # an unknown or unavailable backend fails here, not mid-job

    # ---- scoring -------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> np.ndarray:
        """Article embeddings ([mean ; max] over windows), before the heads."""
        return self._article_embeddings(texts)[0].cpu().numpy()

    def logits(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Raw head outputs per article, and how many windows each article took."""
        if not texts:
            k, m = len(self.schema.topics), len(self.schema.framings)
            return np.zeros((0, k)), np.zeros((0, m)), []
        emb, windows = self._article_embeddings(texts)
        with torch.inference_mode():
            topic_logits, framing_logits = self.model.heads(emb)
        return (
            topic_logits.float().cpu().numpy(),
            framing_logits.float().cpu().numpy(),
            windows,
        )

    def _article_embeddings(self, texts: list[str]) -> tuple[torch.Tensor, list[int]]:
        """Each article's windows embedded, then pooled per article."""
        win = make_windows(self.tokenizer, texts, self.max_length, self.overlap)
        emb = self.window_embeddings(win.input_ids)
        with torch.inference_mode():
            pooled = self.model.pool_articles(emb, torch.tensor(win.article_index, device=emb.device))
        return pooled, win.windows_per_article(len(texts))

    def window_embeddings(self, input_ids: list[list[int]]) -> torch.Tensor:
        """One embedding per window (token ids), in input order, as scoring computes it: this machine's
        backend, precision and attention kernels, shortest windows first in token-budget batches."""
        self.model.eval()
        encoder, precision = self.inference_encoder()
        with torch.inference_mode(), precision, attention_kernels(self.device):
            return self.model.embed_windows(
                input_ids,
                self.tokenizer.pad_token_id,
                self.max_batch_tokens or batch_tokens(self.device),
                encoder,
            )

    @property
    def precision(self) -> str:
        """What the matmuls run in here: int8, bf16 or fp32 (chosen per CPU class, or asked for)."""
        return "int8" if self.int8 else "bf16" if use_bf16(self.device, self.bf16) else "fp32"

    @property
    def runs_on(self) -> str:
        """The backend scoring uses here: torch (the reference; always for int8) or openvino."""
        if self.int8:
            return "torch"
        if self._runs_on is None:
            choice = pick_backend(self.device, self.backend)
            self._runs_on = self._faster_backend() if choice == TIMED else choice
        return self._runs_on

    def inference_encoder(self) -> tuple[Callable, AbstractContextManager]:
        """The encoder scoring runs, and the precision context it runs in. On the openvino backend:
        the encoder compiled by OpenVINO in this precision. On torch, where the hardware has fast
        bf16: a copy whose matmul weights are stored in bf16 (autocast then casts no weights per call,
        ~1.4x faster here) while layer norms and embeddings stay fp32 as autocast keeps them, which
        holds label agreement with fp32. With int8, the matmuls of that copy run in int8 instead.
        Either is made once: weights must not change afterwards."""
        if self.runs_on == "openvino":
            return self._openvino_encoder(), nullcontext()
        return self._torch_encoder()

    def _openvino_encoder(self) -> Callable:
        if self._openvino is None:
            from tagger.engine.openvino_encoder import OpenVinoEncoder  # loads OpenVINO: only when used

            self._openvino = OpenVinoEncoder(self.model.encoder, self.precision, torch.get_num_threads())
        return self._openvino

    def _torch_encoder(self) -> tuple[Callable, AbstractContextManager]:
        bf16 = use_bf16(self.device, self.bf16)
        if not (bf16 or self.int8):
            return self.model.encoder, nullcontext()
        if self._fast_encoder is None:
            self._fast_encoder = self._reduced_precision_copy(bf16)
        precision = torch.autocast(self.device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        return self._fast_encoder, precision

    def _faster_backend(self) -> str:
        """Time both backends on this model (a batch of full windows) and keep the faster one."""
        openvino = self._openvino_encoder()
        ids = torch.ones((4, self.max_length), dtype=torch.long)

        def on_torch() -> None:
            encoder, precision = self._torch_encoder()
            with torch.inference_mode(), precision:
                encoder(input_ids=ids, attention_mask=ids)

        choice = fastest({"torch": on_torch, "openvino": lambda: openvino(ids, ids)})
        if choice != "openvino":
            self._openvino = None  # its compiled graph is not needed
        return choice

    def _reduced_precision_copy(self, bf16: bool) -> torch.nn.Module:
        if self.int8:
            from tagger.engine.int8 import quantize_linears  # loads torch's compiler: only when asked for

            return quantize_linears(self.model.encoder, torch.bfloat16 if bf16 else torch.float32)
        encoder = copy.deepcopy(self.model.encoder).eval()
        for module in encoder.modules():
            if isinstance(module, torch.nn.Linear):
                module.to(torch.bfloat16)
        return encoder

    def predict_proba(self, texts: list[str]) -> Scores:
        """Calibrated probabilities of plain texts (title already joined): what `predict` decides on."""
        t, f, w = self.logits(texts)
        return Scores(topics=sigmoid(t), framing=self.framing_probs(f), windows=w)

    def warm_up(self) -> float:
        """Decide the backend and build its encoder now, by scoring one short text, so that the
        first real call does not wait for it (OpenVINO compiles in ~3 s; on AVX2 both backends are
        timed first). Returns the seconds it took."""
        start = time.perf_counter()
        self.predict_proba(["warm-up"])
        return time.perf_counter() - start

    def calibrate(
        self,
        texts: list[str],
        y_topics: np.ndarray,
        y_framing: np.ndarray,
        framing_bias: bool = False,
        topic_threshold: float | None = None,
        threshold_beta: float = 1.0,
    ) -> None:
        """Fit the decision rules on labelled held-out texts: a framing temperature (and optional
        per-class offsets), and per-topic thresholds for the best F-beta, unless one fixed
        `topic_threshold` cuts every topic."""
        topic_logits, framing_logits, _ = self.logits(texts)
        self.temperature = fit_temperature(framing_logits, y_framing)
        self.framing_bias = (
            fit_framing_bias(framing_logits / self.temperature, y_framing) if framing_bias else None
        )
        if topic_threshold is not None:
            self.thresholds = dict.fromkeys(self.schema.topics, topic_threshold)
        else:
            self.thresholds = tune_thresholds(
                sigmoid(topic_logits), y_topics, self.schema.topics, threshold_beta
            )

    def framing_probs(self, logits: np.ndarray) -> np.ndarray:
        bias = np.asarray(self.framing_bias if self.framing_bias is not None else 0.0)
        return softmax(logits / self.temperature + bias)

    def predict(self, articles: list[dict]) -> list[dict]:
        """Articles ({text, title?, id?}) in, one result dict per article out, same order."""
        s = self.predict_proba([article_text(a["text"], a.get("title")) for a in articles])
        return [
            self.decide(a.get("id"), s.topics[i], s.framing[i], s.windows[i]) for i, a in enumerate(articles)
        ]

    def decide(self, article_id, topic_p: np.ndarray, framing_p: np.ndarray, windows: int) -> dict:
        topics = self.schema.topics
        return {
            "id": article_id,
            "topics": [t for t, p in zip(topics, topic_p) if p >= self.thresholds.get(t, 0.5)],
            "topic_scores": {t: round(float(p), 4) for t, p in zip(topics, topic_p)},
            "framing": self.schema.framings[int(np.argmax(framing_p))],
            "framing_scores": {f: round(float(p), 4) for f, p in zip(self.schema.framings, framing_p)},
            "windows": windows,
        }

    # ---- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, path / WEIGHTS_FILE)
        (path / ENCODER_CONFIG_FILE).write_text(self.model.encoder.config.to_json_string())
        self.tokenizer.save_pretrained(str(path))
        bundle = {
            "schema": self.schema.to_dict(),
            "windows": {"max_length": self.max_length, "overlap": self.overlap},
            "pooling": self.model.pooling,
            "thresholds": self.thresholds,
            "temperature": self.temperature,
            "framing_bias": self.framing_bias,
            "info": self.info,
        }
        (path / BUNDLE_FILE).write_text(json.dumps(bundle, indent=2))

    @classmethod
    def load(
        cls,
        path: str | Path,
        device: str | None = None,
        bf16: bool | str = "auto",
        int8: bool = False,
        backend: str = "auto",
    ) -> Tagger:
        path = Path(path)
        bundle = json.loads((path / BUNDLE_FILE).read_text())
        schema = LabelSchema.from_dict(bundle["schema"])
        encoder = encoder_from_config(json.loads((path / ENCODER_CONFIG_FILE).read_text()))
        pooling = bundle.get("pooling", "mean")
        model = TaggerNetwork(encoder, len(schema.topics), len(schema.framings), pooling=pooling)
        model.load_state_dict(load_file(path / WEIGHTS_FILE))
        dev = pick_device(device)
        return cls(
            model=model.to(dev).eval(),
            tokenizer=load_tokenizer(path),
            schema=schema,
            max_length=bundle["windows"]["max_length"],
            overlap=bundle["windows"]["overlap"],
            thresholds=bundle["thresholds"],
            temperature=bundle["temperature"],
            framing_bias=bundle.get("framing_bias"),
            info=bundle.get("info", {}),
            device=dev,
            bf16=bf16,
            int8=int8,
            backend=backend,
        )


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
