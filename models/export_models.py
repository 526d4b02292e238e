#!/usr/bin/python3
"""Exports the small magnitude-pruned test models spcc is checked against.

Usage:
    /usr/bin/python3 models/export_models.py --out DIR [--only NAME ...] [--summary]
    /usr/bin/python3 models/export_models.py --demo [--summary]

For each model NAME this writes
    DIR/NAME.onnx            the model (eval mode, weights as initializers)
    DIR/NAME.inputs/X.npy    one random input per graph input X (batch 1, fixed seed)
    DIR/NAME.shape           the `--shape` values that fix its dynamic dims, space-separated
                             (e.g. `input_ids=1x16 attention_mask=1x16`); empty when none
--demo writes the committed demo instead: models/demo/mlp_pruned.onnx and its inputs.

Every model is built from its own fixed seed, so `--only` writes the same bytes as a full
export. The benchmark models (`bert_base`, `mobilenet_v1`: dense, full size) are written only
when named with `--only`; a plain export and the test suite leave them out. Needs Debian's Python (torch 1.13, numpy, onnx): the script is run by /usr/bin/python3.
"""

import argparse
import collections
import contextlib
import math
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(REPO_ROOT, "models", "demo")
DEMO_NAME = "mlp_pruned"


# ---------------------------------------------------------------------------------------------
# Pruning and initialisation helpers
# ---------------------------------------------------------------------------------------------


def prune_by_magnitude(weight: torch.Tensor, fraction: float) -> None:
    """Zeroes the round(fraction * numel) smallest-magnitude entries of `weight`, in place."""
    count = int(round(fraction * weight.numel()))
    if count == 0:
        return
    flat = weight.detach().reshape(-1)
    order = torch.argsort(flat.abs(), stable=True)
    flat[order[:count]] = 0.0


def he_normal_init(model: nn.Module) -> None:
    """Draws conv and linear weights from N(0, 2/fan_in) (and biases from N(0, 0.01)), so
    activations keep a useful scale through ReLU and pruning; PyTorch's default init leaves
    the logits of these small pruned nets near 0.03, where an absolute tolerance hides errors."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.normal_(module.bias, std=0.1)


def randomize_batch_norm(bn: nn.BatchNorm2d) -> None:
    """Gives a BatchNorm non-trivial running statistics and affine parameters, so that the
    exporter's Conv+BN folding changes the weights (as it does for a trained model)."""
    with torch.no_grad():
        bn.weight.copy_(1.0 + 0.1 * torch.randn_like(bn.weight))
        bn.bias.copy_(0.1 * torch.randn_like(bn.bias))
        bn.running_mean.copy_(0.1 * torch.randn_like(bn.running_mean))
        bn.running_var.copy_(0.5 + torch.rand_like(bn.running_var))


# ---------------------------------------------------------------------------------------------
# bert_tiny: 2-layer BERT-style encoder in plain torch.nn
# ---------------------------------------------------------------------------------------------


class DecomposedLayerNorm(nn.Module):
    """LayerNorm over the last axis written out op by op, as older BERT exports contain it:
    ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, Mul, Add."""

    def __init__(self, hidden: int, eps: float = 1e-12):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden))
        self.bias = nn.Parameter(0.1 * torch.randn(hidden))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        centered = x - mean
        variance = centered.pow(2).mean(-1, keepdim=True)
        return centered / torch.sqrt(variance + self.eps) * self.weight + self.bias


def erf_gelu(x):
    """GELU with erf, as BERT exports it: Div, Erf, Add, Mul, Mul."""
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BertLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = DecomposedLayerNorm(hidden)
        self.intermediate = nn.Linear(hidden, ffn)
        self.output = nn.Linear(ffn, hidden)
        self.output_norm = DecomposedLayerNorm(hidden)

    def split_heads(self, x):
        batch, seq = x.size(0), x.size(1)
        return x.view(batch, seq, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, additive_mask):
        batch, seq, hidden = x.size(0), x.size(1), x.size(2)
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + additive_mask, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(batch, seq, hidden)
        x = self.attention_norm(x + self.attention_output(context))
        return self.output_norm(x + self.output(erf_gelu(self.intermediate(x))))


class BertTiny(nn.Module):
    def __init__(self, vocab=1000, max_positions=64, hidden=64, heads=4, ffn=256, layers=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(max_positions, hidden)
        self.register_buffer("position_ids", torch.arange(max_positions).unsqueeze(0))
        self.embedding_norm = DecomposedLayerNorm(hidden)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, ffn) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)
        self.vocab = vocab
        # Linear weights ~ N(0, 1/fan_in): activations keep their scale after 90% pruning
        # better than with PyTorch's default uniform init, so attention is not uniform.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=1.0 / math.sqrt(module.in_features))
                nn.init.normal_(module.bias, std=0.1)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        positions = self.position_ids[:, :seq]
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        x = self.embedding_norm(x)
        # [batch, seq] -> [batch, 1, 1, seq], broadcast over heads and query positions.
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, additive_mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


def bert_inputs(rng: np.random.Generator, vocab=1000, seq=16) -> Dict[str, np.ndarray]:
    mask = np.ones((1, seq), dtype=np.int64)
    mask[:, -2:] = 0
    return {
        "input_ids": rng.integers(0, vocab, size=(1, seq), dtype=np.int64),
        "attention_mask": mask,
    }


# ---------------------------------------------------------------------------------------------
# mobilenet_tiny: MobileNetV1-style, depthwise-separable blocks
# ---------------------------------------------------------------------------------------------


def conv_bn_relu(cin, cout, kernel, stride, groups=1) -> nn.Sequential:
    conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
    bn = nn.BatchNorm2d(cout)
    randomize_batch_norm(bn)
    return nn.Sequential(conv, bn, nn.ReLU())


class MobileNet(nn.Module):
    """MobileNetV1's structure: a 3x3 stride-2 stem, then depthwise-separable blocks (depthwise
    3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU), global average pool, flatten, Linear."""

    def __init__(self, blocks, classes):
        super().__init__()
        self.stem = conv_bn_relu(3, blocks[0][0], 3, 2)
        layers = []
        for cin, cout, stride in blocks:
            layers.append(conv_bn_relu(cin, cin, 3, stride, groups=cin))  # depthwise
            layers.append(conv_bn_relu(cin, cout, 1, 1))  # pointwise
        self.blocks = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(blocks[-1][1], classes)
        he_normal_init(self)

    def forward(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.classifier(torch.flatten(x, 1))

    def prune(self, fraction):
        for module in self.blocks.modules():
            if isinstance(module, nn.Conv2d) and module.kernel_size == (1, 1):
                prune_by_magnitude(module.weight, fraction)
        prune_by_magnitude(self.classifier.weight, fraction)


# ---------------------------------------------------------------------------------------------
# resnet_tiny: stem + maxpool, three bottleneck blocks (one downsampling), global pool, FC
# ---------------------------------------------------------------------------------------------


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1 -> 3x3 (carries the stride) -> 1x1, projection shortcut
    when the shape changes."""

    def __init__(self, cin, mid, cout, stride):
        super().__init__()
        self.reduce = conv_bn_relu(cin, mid, 1, 1)
        self.spatial = conv_bn_relu(mid, mid, 3, stride)
        self.expand = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        randomize_batch_norm(self.expand[1])
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            randomize_batch_norm(self.shortcut[1])
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.expand(self.spatial(self.reduce(x))) + self.shortcut(x))


class ResNetTiny(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3, 1)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.blocks = nn.Sequential(
            Bottleneck(16, 8, 32, 1),
            Bottleneck(32, 16, 64, 2),
            Bottleneck(64, 16, 64, 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)
        he_normal_init(self)

    def forward(self, x):
        x = self.pool(self.blocks(self.maxpool(self.stem(x))))
        return self.fc(torch.flatten(x, 1))

    def prune(self, fraction):
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                prune_by_magnitude(module.weight, fraction)


# ---------------------------------------------------------------------------------------------
# mlp: 256-512-256-10
# ---------------------------------------------------------------------------------------------


class Mlp(nn.Module):
    # 256-512-256-10 rather than 256-512-512-10: dense initializers stay near 1 MB, small
    # enough to commit as the demo.
    def __init__(self, sizes=(256, 512, 256, 10)):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(nn.ReLU())
        self.layers = nn.Sequential(*layers)
        he_normal_init(self)

    def forward(self, x):
        return self.layers(x)


# ---------------------------------------------------------------------------------------------
# Benchmark models (tools/bench/compare.py): dense, full size, exported only with --only
# ---------------------------------------------------------------------------------------------


def bert_base() -> nn.Module:
    """BERT-base's encoder: 12 layers, hidden 768, 12 heads, FFN 3072, 128 positions. The
    vocabulary is 1000 words instead of 30522: the embedding Gather costs the same for any
    vocabulary, and the file shrinks from 440 MB to 345 MB (86M parameters)."""
    return BertTiny(vocab=1000, max_positions=128, hidden=768, heads=12, ffn=3072, layers=12)


def bert_demo() -> nn.Module:
    """A 2-layer BERT encoder (hidden 512, 8 heads, FFN 2048, 128 positions; 7M parameters):
    large enough that sparsity decides its speed, small enough to export and compile in
    seconds for tools/demo.sh."""
    return BertTiny(vocab=1000, max_positions=128, hidden=512, heads=8, ffn=2048, layers=2)


def mobilenet_tiny() -> nn.Module:
    # (in channels, out channels, depthwise stride) per depthwise-separable block.
    return MobileNet([(16, 32, 1), (32, 64, 2), (64, 64, 1), (64, 128, 2)], classes=10)


def mobilenet_v1() -> nn.Module:
    """MobileNet V1 (width 1.0, 224x224, 1000 classes): 13 depthwise-separable blocks, each
    conv followed by BatchNorm (kept in the export) and ReLU."""
    return MobileNet([(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
                      (256, 512, 2)] + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)],
                     classes=1000)


def resnet50() -> nn.Module:
    """torchvision 0.14's ResNet-50 (v1.5, 1000 classes), with random BatchNorm statistics so
    that folding them is not a no-op."""
    import torchvision  # only the benchmark needs it
    model = torchvision.models.resnet50(weights=None)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            randomize_batch_norm(module)
    return model


def prune_resnet50(model: nn.Module, fraction: float) -> None:
    """Every convolution but the 7x7 stem; the classifier stays dense."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and name != "conv1":
            prune_by_magnitude(module.weight, fraction)


# ---------------------------------------------------------------------------------------------
# The model table
# ---------------------------------------------------------------------------------------------


def prune_linears(model: nn.Module, fraction: float) -> None:
    for module in model.modules():
        if isinstance(module, nn.Linear):
            prune_by_magnitude(module.weight, fraction)


def image_input(rng: np.random.Generator) -> Dict[str, np.ndarray]:
    return {"input": rng.standard_normal((1, 3, 32, 32)).astype(np.float32)}


@dataclass
class ModelSpec:
    """How to build, prune and export one model."""
    seed: int
    opset: int
    build: Callable[[], nn.Module]
    prune: Callable[[nn.Module], None]
    make_inputs: Callable[[np.random.Generator], Dict[str, np.ndarray]]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]] = field(default_factory=dict)


MODELS: Dict[str, ModelSpec] = {
    "bert_tiny": ModelSpec(
        seed=101, opset=13, build=BertTiny,
        prune=lambda m: prune_linears(m, 0.9),
        make_inputs=bert_inputs,
        output_names=["last_hidden_state", "pooler_output"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"},
            "pooler_output": {0: "batch"},
        }),
    "mobilenet_tiny": ModelSpec(
        seed=102, opset=11, build=mobilenet_tiny,
        prune=lambda m: m.prune(0.9),
        make_inputs=image_input,
        output_names=["logits"]),
    "resnet_tiny": ModelSpec(
        seed=103, opset=17, build=ResNetTiny,
        prune=lambda m: m.prune(0.8),
        make_inputs=image_input,
        output_names=["logits"]),
    "mlp": ModelSpec(
        seed=104, opset=12, build=Mlp,
        prune=lambda m: prune_linears(m, 0.9),
        make_inputs=lambda rng: {"input": rng.standard_normal((1, 256)).astype(np.float32)},
        output_names=["logits"]),
}

# Full-size models for the benchmark against ONNX Runtime (tools/bench/compare.py), dense and
# pruned; too big for the test suite, so exported only when named with --only. Static shapes
# (no dynamic axes, but for the batched twin): the benchmark compiles and runs exactly batch 1.
BENCH_MODELS: Dict[str, ModelSpec] = {
    "bert_base": ModelSpec(
        seed=201, opset=13, build=bert_base,
        prune=lambda m: None,
        make_inputs=lambda rng: bert_inputs(rng, vocab=1000, seq=128),
        output_names=["last_hidden_state", "pooler_output"]),
    "mobilenet_v1": ModelSpec(
        seed=202, opset=13, build=mobilenet_v1,
        prune=lambda m: None,
        make_inputs=lambda rng: {
            "input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)},
        output_names=["logits"]),
    # The pruned families: magnitude pruning per weight matrix.
    "bert_base_95": ModelSpec(
        seed=211, opset=13, build=bert_base,
        prune=lambda m: prune_linears(m, 0.95),
        make_inputs=lambda rng: bert_inputs(rng, vocab=1000, seq=128),
        output_names=["last_hidden_state", "pooler_output"]),
    # The headline of tools/demo.sh.
    "bert_demo_95": ModelSpec(
        seed=214, opset=13, build=bert_demo,
        prune=lambda m: prune_linears(m, 0.95),
        make_inputs=lambda rng: bert_inputs(rng, vocab=1000, seq=128),
        output_names=["last_hidden_state", "pooler_output"]),
    # bert_base_95 (same seed, same weights) exported with a dynamic batch axis, for
    # `spcc --shape input_ids=Nx128 ...` (tools/bench/batch.py).
    "bert_base_95_batched": ModelSpec(
        seed=211, opset=13, build=bert_base,
        prune=lambda m: prune_linears(m, 0.95),
        make_inputs=lambda rng: bert_inputs(rng, vocab=1000, seq=128),
        output_names=["last_hidden_state", "pooler_output"],
        dynamic_axes={
            "input_ids": {0: "batch"},
            "attention_mask": {0: "batch"},
            "last_hidden_state": {0: "batch"},
            "pooler_output": {0: "batch"},
        }),
    "mobilenet_v1_90": ModelSpec(
        seed=212, opset=13, build=mobilenet_v1,
        prune=lambda m: m.prune(0.9),
        make_inputs=lambda rng: {
            "input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)},
        output_names=["logits"]),
    # mobilenet_v1_90 (same seed, same weights) with a dynamic batch axis (tools/bench/batch.py).
    "mobilenet_v1_90_batched": ModelSpec(
        seed=212, opset=13, build=mobilenet_v1,
        prune=lambda m: m.prune(0.9),
        make_inputs=lambda rng: {
            "input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)},
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}),
    "resnet50_80": ModelSpec(
        seed=213, opset=13, build=resnet50,
        prune=lambda m: prune_resnet50(m, 0.8),
        make_inputs=lambda rng: {
            "input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)},
        output_names=["logits"]),
}


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def quiet_stderr():
    """Silences torch's export chatter, Python warnings and what its C++ side writes straight
    to file descriptor 2; replays it if the export fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def shape_flags(spec: ModelSpec, inputs: Dict[str, np.ndarray]) -> str:
    """`NAME=DIMS` for each input that has a dynamic axis."""
    return " ".join(
        "%s=%s" % (name, "x".join(str(d) for d in array.shape))
        for name, array in inputs.items() if name in spec.dynamic_axes)


def export_model(name: str, spec: ModelSpec, out_dir: str, file_stem: str,
                 write_shape: bool = True) -> str:
    """Builds, prunes and exports one model; writes its inputs (and shape file). Returns the
    path of the .onnx file."""
    torch.manual_seed(spec.seed)
    np.random.seed(spec.seed)
    model = spec.build()
    with torch.no_grad():
        spec.prune(model)
    model.eval()

    inputs = spec.make_inputs(np.random.default_rng(spec.seed))
    args = tuple(torch.from_numpy(array) for array in inputs.values())
    onnx_path = os.path.join(out_dir, file_stem + ".onnx")
    with quiet_stderr(), torch.no_grad():
        torch.onnx.export(
            model, args, onnx_path,
            input_names=list(inputs), output_names=spec.output_names,
            dynamic_axes=spec.dynamic_axes or None, opset_version=spec.opset,
            do_constant_folding=True, verbose=False,
            # PRESERVE on an eval-mode model keeps BatchNormalization nodes (EVAL folds them
            # into the Conv), so the compiler's own BN folding has something to do.
            training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(onnx_path))

    inputs_dir = os.path.join(out_dir, file_stem + ".inputs")
    os.makedirs(inputs_dir, exist_ok=True)
    for stale in os.listdir(inputs_dir):
        if stale.endswith(".npy"):
            os.remove(os.path.join(inputs_dir, stale))
    for input_name, array in inputs.items():
        np.save(os.path.join(inputs_dir, input_name + ".npy"), array)
    if write_shape:
        flags = shape_flags(spec, inputs)
        with open(os.path.join(out_dir, file_stem + ".shape"), "w") as f:
            f.write(flags + "\n" if flags else "")
    return onnx_path


# ---------------------------------------------------------------------------------------------
# Summary: what the exported file holds
# ---------------------------------------------------------------------------------------------


def weight_sparsity(model: onnx.ModelProto) -> List[Tuple[str, str, Tuple[int, ...], float]]:
    """(consuming node, op, shape, fraction of zeros) for every float initializer of rank >= 2."""
    weights = {init.name: onnx.numpy_helper.to_array(init)
               for init in model.graph.initializer
               if len(init.dims) >= 2 and init.data_type == onnx.TensorProto.FLOAT}
    rows = []
    for node in model.graph.node:
        for input_name in node.input:
            array = weights.pop(input_name, None)
            if array is not None:
                zeros = float(np.count_nonzero(array == 0)) / array.size
                rows.append((node.name or input_name, node.op_type, array.shape, zeros))
    return rows


def summarize(name: str, onnx_path: str, detailed: bool) -> None:
    model = onnx.load(onnx_path)
    rows = weight_sparsity(model)
    total = sum(int(np.prod(shape)) for _, _, shape, _ in rows)
    zeros = sum(int(np.prod(shape)) * frac for _, _, shape, frac in rows)
    print("%s: %s, %d bytes, opset %d, weight matrices %d elements, %.1f%% zero" % (
        name, onnx_path, os.path.getsize(onnx_path),
        model.opset_import[0].version, total, 100.0 * zeros / max(total, 1)))
    if not detailed:
        return
    ops = collections.Counter(node.op_type for node in model.graph.node)
    print("  ops: " + ", ".join("%s %d" % kv for kv in sorted(ops.items())))
    for node_name, op, shape, frac in rows:
        print("  %-48s %-8s %-16s %5.1f%% zero" % (
            node_name, op, "x".join(str(d) for d in shape), 100.0 * frac))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", help="directory to write NAME.onnx, NAME.inputs/, NAME.shape")
    target.add_argument("--demo", action="store_true",
                        help="write the committed demo models/demo/%s.onnx" % DEMO_NAME)
    parser.add_argument("--only", nargs="+", choices=sorted({**MODELS, **BENCH_MODELS}),
                        metavar="NAME",
                        help="export only these models (%s; benchmark only: %s)" % (
                            ", ".join(MODELS), ", ".join(BENCH_MODELS)))
    parser.add_argument("--summary", action="store_true",
                        help="also print each model's op histogram and per-layer sparsity")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    if args.demo:
        os.makedirs(DEMO_DIR, exist_ok=True)
        path = export_model("mlp", MODELS["mlp"], DEMO_DIR, DEMO_NAME, write_shape=False)
        summarize(DEMO_NAME, path, args.summary)
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or list(MODELS):
        path = export_model(name, {**MODELS, **BENCH_MODELS}[name], args.out, name)
        summarize(name, path, args.summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
