"""A model directory for the Lambda function, built here: the real tokenizer of chat_model.py (a
ChatML template), a config, and a causal LM in ONNX that onnxruntime really runs.

The model is a bigram table: the logits of every position are one row of a matrix picked by the
token at that position (Gather), so the next token depends on the last one only. Each test writes
the transitions it needs ("assistant" -> "2" -> "</s>"), which makes greedy answers exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.support.chat_model import CHATML, WORDS, build_tokenizer

SPECIALS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
VOCAB = SPECIALS + sorted(set(WORDS))


def token_id(word: str) -> int:
    return VOCAB.index(word)


def bigram_onnx(path: Path, transitions: dict[str, str], *, inputs=("input_ids", "attention_mask")) -> None:
    """Writes model.onnx: logits[b, s] = W[input_ids[b, s]], W favouring each transition's target.

    Every input in `inputs` after input_ids is declared and consumed (multiplied by zero and added),
    as an exported model consumes its attention mask, so onnxruntime requires the function to feed it.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.zeros((len(VOCAB), len(VOCAB)), dtype=np.float32)
    weights[:, token_id("</s>")] = 1.0  # anything not listed ends the answer
    for before, after in transitions.items():
        weights[token_id(before), token_id(after)] = 5.0
    dims = ["batch", "sequence"]
    graph_inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in inputs]
    nodes = [helper.make_node("Gather", ["weights", "input_ids"], ["logits_0"], axis=0)]
    for i, extra in enumerate(inputs[1:]):
        nodes += [
            helper.make_node("Cast", [extra], [f"{extra}_float"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{extra}_float", "zero"], [f"{extra}_zero"]),
            helper.make_node("Unsqueeze", [f"{extra}_zero", "last_axis"], [f"{extra}_term"]),
            helper.make_node("Add", [f"logits_{i}", f"{extra}_term"], [f"logits_{i + 1}"]),
        ]
    nodes.append(helper.make_node("Identity", [f"logits_{len(inputs) - 1}"], ["logits"]))
    graph = helper.make_graph(
        nodes,
        "bigram",
        graph_inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", len(VOCAB)])],
        initializer=[
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build_lambda_model_dir(
    root: Path,
    transitions: dict[str, str] | None = None,
    *,
    max_position_embeddings: int = 128,
    chat_template: str | None = CHATML,
    inputs=("input_ids", "attention_mask"),
) -> Path:
    """The directory the function loads: tokenizer files, config.json and model.onnx."""
    root.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(root, chat_template)
    config = {
        "model_type": "llama",
        "max_position_embeddings": max_position_embeddings,
        "eos_token_id": tokenizer.eos_token_id,
        "vocab_size": len(VOCAB),
    }
    (root / "config.json").write_text(json.dumps(config))
    bigram_onnx(root / "model.onnx", transitions or {"assistant": "2"}, inputs=inputs)
    return root
