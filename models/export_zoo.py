#!/usr/bin/python3
"""Exports real architectures at several opsets, dense and magnitude-pruned, for the model-zoo
checks: torchvision 0.14's classification zoo (one model of each family), two segmentation nets
whose heads upsample, a U-Net that upsamples by ConvTranspose, a speech-style net with a bidirectional LSTM and a GRU, and a GPT-style
causal transformer that branches (If) on its input's length.

Usage:
    /usr/bin/python3 models/export_zoo.py --out DIR [--only NAME ...] [--sparsity 0.9] [--list]

For each model NAME this writes
    DIR/NAME-dense.onnx and DIR/NAME-sNN.onnx   the model with its weights as built, and with
                                                every weight of rank >= 2 pruned to sparsity NN%
    DIR/NAME.inputs/K/X.npy                     input X of input set K (random, fixed seed;
                                                an image model has one set, x: 1x3xHxW)

The weights are torchvision's random initialisation (no download), made to behave like a
trained network's where that matters for a meaningful comparison: BatchNorm statistics are
calibrated on a random batch (so each normalised layer sees unit-scale activations instead of
drifting to 0 or infinity through 50 layers), and pruning rescales each tensor's surviving
weights to keep its Frobenius norm (so the pruned model's outputs keep the dense one's scale).
Needs Debian's Python (torch 1.13, torchvision 0.14).
"""

import argparse
import contextlib
import io
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn


@dataclass
class ZooSpec:
    build: Callable[[], nn.Module]
    image: int            # input height and width (0: not an image model; see `feeds`)
    opset: int            # the opset it is exported at (spread over 7-17 on purpose)
    large: bool = False   # in the `zoo-large` test label (slow to compile or run)
    # The absolute tolerance of the comparison with ONNX Runtime; raised only where PyTorch
    # itself differs from ONNX Runtime by more than the default.
    atol: float = 1e-4
    # For a model that does not take one image: the input sets it is checked on (the first is
    # the export's example), and the dynamic axes of its inputs.
    feeds: Optional[Callable[[torch.Generator], List[Dict[str, torch.Tensor]]]] = None
    dynamic_axes: Optional[Dict[str, Dict[int, str]]] = None


def _tv():
    import torchvision  # only the zoo needs it
    return torchvision.models


def _segmentation(build):
    """torchvision's segmentation models return a dict; export its `out` tensor."""
    class Out(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = build()

        def forward(self, x):
            return self.net(x)["out"]
    return Out


@torch.jit.script
def keep_last_tokens(ids: torch.Tensor, window: int) -> torch.Tensor:
    """The last `window` tokens of a longer sequence. Scripted, so that the export keeps the
    branch on the sequence length as an ONNX If."""
    if ids.size(1) > window:
        return ids[:, ids.size(1) - window:]
    return ids


class CausalLm(nn.Module):
    """A GPT-style decoder: token and position embeddings, pre-norm transformer blocks under a
    causal mask (Trilu), a final LayerNorm and an LM head; a longer input keeps its last
    `window` tokens (an If on the sequence length)."""

    def __init__(self, vocab=512, dim=128, heads=4, layers=2, window=32):
        super().__init__()
        self.window = window
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.randn(window, dim) * 0.1)
        block = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        ids = keep_last_tokens(ids, self.window)
        length = ids.size(1)
        x = self.embed(ids) + self.position[:length]
        mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
        return self.head(self.norm(self.blocks(x, mask=mask)))


def token_feeds(generator: torch.Generator) -> List[Dict[str, torch.Tensor]]:
    """48 tokens (over the window: the If's then-branch) and 20 (its else-branch)."""
    return [{"ids": torch.randint(0, 512, (1, length), generator=generator)}
            for length in (48, 20)]


class UNet(nn.Module):
    """A small U-Net: two downsampling stages, a bottleneck, and two upsampling stages by
    ConvTranspose (2x2 stride 2, and 4x4 stride 2 pad 1) joined to the encoder's features."""

    def __init__(self, classes=5):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                                 nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1),
                                 nn.BatchNorm2d(cout), nn.ReLU())
        self.down1, self.down2, self.middle = block(3, 32), block(32, 64), block(64, 128)
        self.up2 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.dec2 = block(128, 64)
        self.up1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.dec1 = block(64, 32)
        self.head = nn.Conv2d(32, classes, 1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(nn.functional.max_pool2d(d1, 2))
        m = self.middle(nn.functional.max_pool2d(d2, 2))
        u2 = self.dec2(torch.cat([self.up2(m), d2], 1))
        u1 = self.dec1(torch.cat([self.up1(u2), d1], 1))
        return self.head(u1)


class SpeechNet(nn.Module):
    """A keyword-spotting style acoustic model: a 1-D convolution over 40 mel features, a
    bidirectional LSTM, a GRU and a per-frame classifier."""

    def __init__(self, features=40, hidden=64, classes=12):
        super().__init__()
        self.conv = nn.Conv1d(features, 64, 5, padding=2)
        self.lstm = nn.LSTM(64, hidden, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.classify = nn.Linear(hidden, classes)

    def forward(self, mel):
        x = torch.relu(self.conv(mel)).transpose(1, 2)  # [B, T, 64]
        x, _ = self.lstm(x)
        x, _ = self.gru(x)
        return self.classify(x)


def mel_feeds(generator: torch.Generator) -> List[Dict[str, torch.Tensor]]:
    """100 frames of 40 mel features."""
    return [{"mel": torch.randn(1, 40, 100, generator=generator)}]


# One model of each family torchvision 0.14 builds, the smallest of its sizes, plus two
# segmentation nets whose heads upsample (bilinear Resize).
ZOO: Dict[str, ZooSpec] = {
    "alexnet": ZooSpec(lambda: _tv().alexnet(), 224, 7, large=True),
    "vgg11": ZooSpec(lambda: _tv().vgg11(), 224, 9, large=True),
    "resnet18": ZooSpec(lambda: _tv().resnet18(), 112, 17),
    "resnext50": ZooSpec(lambda: _tv().resnext50_32x4d(), 112, 13, large=True),
    "wide_resnet50": ZooSpec(lambda: _tv().wide_resnet50_2(), 112, 11, large=True),
    "densenet121": ZooSpec(lambda: _tv().densenet121(), 112, 13),
    "inception_v3": ZooSpec(
        lambda: _tv().inception_v3(init_weights=False, aux_logits=False), 299, 11, large=True),
    "googlenet": ZooSpec(
        lambda: _tv().googlenet(init_weights=False, aux_logits=False), 112, 17),
    "squeezenet": ZooSpec(lambda: _tv().squeezenet1_1(), 112, 9),
    "shufflenet_v2": ZooSpec(lambda: _tv().shufflenet_v2_x0_5(), 112, 11),
    "mobilenet_v2": ZooSpec(lambda: _tv().mobilenet_v2(), 112, 10),
    "mobilenet_v3": ZooSpec(lambda: _tv().mobilenet_v3_small(), 112, 13),
    "mnasnet": ZooSpec(lambda: _tv().mnasnet0_5(), 112, 12),
    "efficientnet": ZooSpec(lambda: _tv().efficientnet_b0(), 112, 14),
    "regnet": ZooSpec(lambda: _tv().regnet_x_400mf(), 112, 15),
    "convnext": ZooSpec(lambda: _tv().convnext_tiny(), 112, 16, large=True),
    "vit": ZooSpec(lambda: _tv().vit_b_16(), 224, 14, large=True),
    "swin": ZooSpec(lambda: _tv().swin_t(), 224, 13, large=True),
    "fcn": ZooSpec(_segmentation(lambda: _tv().segmentation.fcn_resnet50(
        weights=None, weights_backbone=None, aux_loss=False)), 112, 11, large=True,
        atol=3e-4),  # 60 layers: PyTorch and ONNX Runtime differ by 1.7e-4 on its output
    "deeplabv3": ZooSpec(_segmentation(lambda: _tv().segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, aux_loss=False)), 112, 13),
    "unet": ZooSpec(UNet, 64, 12),
    "speech_rnn": ZooSpec(SpeechNet, 0, 13, feeds=mel_feeds),
    "gpt_if": ZooSpec(CausalLm, 0, 15, feeds=token_feeds, dynamic_axes={"ids": {1: "tokens"}}),
}


def calibrate_batch_norm(model: nn.Module, image: int, generator: torch.Generator) -> None:
    """Sets every BatchNorm's running statistics to those of a random batch (a cumulative
    average over one forward pass in training mode), as training would leave them."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or image == 0:
        return
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, image, image, generator=generator))
    model.eval()


def give_zero_layers_weights(model: nn.Module) -> None:
    """Some architectures start a layer at zero (ViT's classifier head), which a trained model
    never has and which would make every output 0: such layers get random weights."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear) and not module.weight.any():
                nn.init.normal_(module.weight, std=1.0 / module.in_features ** 0.5)


def prune_keeping_norm(model: nn.Module, sparsity: float) -> None:
    """Zeroes the smallest-magnitude `sparsity` fraction of every weight of rank >= 2 (conv,
    linear, attention projections) and scales the survivors to the tensor's former norm."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() < 2 or not name.endswith("weight"):
                continue
            flat = param.view(-1)
            count = int(round(sparsity * flat.numel()))
            if count == 0 or count >= flat.numel():
                continue
            norm = flat.norm()
            order = torch.argsort(flat.abs(), stable=True)
            flat[order[:count]] = 0.0
            kept = flat.norm()
            if kept > 0:
                flat.mul_(norm / kept)


@contextlib.contextmanager
def quiet():
    """Hides torch's export warnings (Python and C++) unless the export fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = os.dup(2)
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)


def export(name: str, spec: ZooSpec, out_dir: str, sparsity: float) -> List[str]:
    """Writes NAME-dense.onnx, NAME-sNN.onnx and NAME.inputs/K/*.npy (one folder per input
    set); returns the model paths."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = spec.build()
    give_zero_layers_weights(model)
    calibrate_batch_norm(model, spec.image, generator)
    model.eval()
    if spec.feeds:
        feeds = spec.feeds(generator)
    else:
        feeds = [{"x": torch.randn(1, 3, spec.image, spec.image, generator=generator)}]
    for k, feed in enumerate(feeds):
        folder = os.path.join(out_dir, name + ".inputs", str(k))
        os.makedirs(folder, exist_ok=True)
        for input_name, value in feed.items():
            np.save(os.path.join(folder, input_name + ".npy"), value.numpy())
    example = tuple(feeds[0].values())
    paths = []
    for variant in ("dense", "s%d" % round(sparsity * 100)):
        if variant != "dense":
            prune_keeping_norm(model, sparsity)
            calibrate_batch_norm(model, spec.image, generator)
        path = os.path.join(out_dir, "%s-%s.onnx" % (name, variant))
        with quiet():
            torch.onnx.export(model, example, path, opset_version=spec.opset,
                              input_names=list(feeds[0]), output_names=["y"],
                              dynamic_axes=spec.dynamic_axes, do_constant_folding=True)
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="output folder")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="export these models only")
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--list", action="store_true",
                        help="print NAME OPSET IMAGE small|large ATOL for every model and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in ZOO.items():
            print(name, spec.opset, spec.image, "large" if spec.large else "small", spec.atol)
        return 0
    if not args.out:
        parser.error("--out is required")
    names = args.only or list(ZOO)
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        parser.error("unknown model(s): %s (known: %s)" % (", ".join(unknown), ", ".join(ZOO)))
    for name in names:
        for path in export(name, ZOO[name], args.out, args.sparsity):
            print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
