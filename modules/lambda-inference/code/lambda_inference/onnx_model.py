"""A causal LM exported to ONNX, generating on the function's CPUs with onnxruntime.

The export is `optimum-cli export onnx --task text-generation` (no past key values): the model
takes `input_ids` (and `attention_mask`, `position_ids` when it declares them) and returns
`logits` for every position. Without a KV cache each new token runs the whole sequence again,
which is fine for the small models and short answers this function is for.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
from chat_contract.chat import Parameters
from chat_contract.errors import ModelLoadError

from . import constants as c

log = logging.getLogger(__name__)


class OnnxCausalLM:
    """The ONNX session, its context length and its end-of-sequence token ids."""

    def __init__(self, session, max_positions: int, eos_token_ids: set[int]):
        self.session = session
        self.max_positions = max_positions
        self.eos_token_ids = eos_token_ids
        self.inputs = {i.name for i in session.get_inputs()}
        self._rng = np.random.default_rng()

    @classmethod
    def load(cls, directory: Path, eos_token_id: int | None = None) -> OnnxCausalLM:
        import onnxruntime

        config = json.loads((directory / c.CONFIG_FILE).read_text())
        max_positions = next((config[k] for k in c.CONTEXT_KEYS if isinstance(config.get(k), int)), None)
        if max_positions is None:
            raise ModelLoadError(
                f"{directory / c.CONFIG_FILE} gives no context length ({', '.join(c.CONTEXT_KEYS)}); "
                "the function needs it to bound prompt plus generated tokens"
            )
        eos = config.get("eos_token_id")
        eos_ids = set(eos if isinstance(eos, list) else [eos] if isinstance(eos, int) else [])
        if eos_token_id is not None:
            eos_ids.add(eos_token_id)

        options = onnxruntime.SessionOptions()
        # One thread a vCPU: Lambda gives one vCPU per 1,769 MB of memory, and os.cpu_count() sees them.
        options.intra_op_num_threads = os.cpu_count() or 1
        session = onnxruntime.InferenceSession(
            str(directory / c.MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        names = {i.name for i in session.get_inputs()}
        unknown = sorted(names - {c.INPUT_IDS, c.ATTENTION_MASK, c.POSITION_IDS})
        if c.INPUT_IDS not in names or unknown:
            raise ModelLoadError(
                f"{directory / c.MODEL_FILE} takes the inputs {sorted(names)}; this function feeds input_ids, "
                "attention_mask and position_ids only. Export without past key values: "
                "optimum-cli export onnx --task text-generation"
            )
        if c.LOGITS not in {o.name for o in session.get_outputs()}:
            raise ModelLoadError(f"{directory / c.MODEL_FILE} has no output named {c.LOGITS!r}")
        log.info("loaded %s: context %d, inputs %s", directory / c.MODEL_FILE, max_positions, sorted(names))
        return cls(session, max_positions, eos_ids)

    def generate(self, input_ids: list[int], max_new_tokens: int, p: Parameters) -> list[int]:
        """The new tokens for one prompt, stopping at an end-of-sequence token."""
        ids = list(input_ids)
        new: list[int] = []
        for _ in range(max_new_tokens):
            logits = self._next_logits(ids)
            token = self._sample(logits, p) if p.do_sample else int(np.argmax(logits))
            if token in self.eos_token_ids:
                break
            ids.append(token)
            new.append(token)
        return new

    def _next_logits(self, ids: list[int]) -> np.ndarray:
        batch = np.asarray([ids], dtype=np.int64)
        feeds = {c.INPUT_IDS: batch}
        if c.ATTENTION_MASK in self.inputs:
            feeds[c.ATTENTION_MASK] = np.ones_like(batch)
        if c.POSITION_IDS in self.inputs:
            feeds[c.POSITION_IDS] = np.arange(len(ids), dtype=np.int64)[None, :]
        (logits,) = self.session.run([c.LOGITS], feeds)
        return logits[0, -1].astype(np.float64)

    def _sample(self, logits: np.ndarray, p: Parameters) -> int:
        """Temperature, then top-k, then top-p (nucleus), as transformers' logits warpers order them."""
        scores = logits / p.temperature
        order = np.argsort(scores)[::-1][: p.top_k]
        scores = scores[order]
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        if p.top_p < 1.0:
            # Keep the smallest head whose mass reaches top_p (at least one token).
            keep = int(np.searchsorted(np.cumsum(probs), p.top_p) + 1)
            order, probs = order[:keep], probs[:keep] / probs[:keep].sum()
        return int(order[self._rng.choice(len(order), p=probs)])
