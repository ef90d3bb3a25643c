"""The trained generator in the static book: weights for the latent explorer of chapter 6.

The explorer (``_ext/static/demos/latent.js``) runs the generator's forward pass in the
reader's browser. Its weights come from a classic script written here,
``_ext/static/demos/latent-generator.js``, which sets ``window.ganbook.data.latentGenerator``
to a JSON object:

* ``latent_dim``, ``negative_slope``: the architecture of :class:`ganbook.models.Generator`
  (``Linear -> LeakyReLU -> ... -> Linear -> tanh``);
* ``layers``: per linear layer ``in``, ``out``, ``weight`` (float16, row-major ``(out, in)``,
  little-endian, base64) and ``bias`` (float32, little-endian, base64);
* ``directions``: a few orthonormal latent directions for the explorer's sliders (float32
  numbers), drawn with a fixed seed;
* ``source``: which run the weights come from.

float16 keeps the pixels within about half a grey level (of 255) of the float32 model, with
1.1 MB of weights (1.5 MB as base64); int8 per row would halve that but moves some pixels by
more than 15 grey levels (measured on 2,000 latent vectors, see :func:`max_pixel_error`).

:func:`forward` is the explorer's computation in NumPy (float64 arithmetic on the stored
weights, the same as the JavaScript): tests compare the page's pixels with it.

Command line (regenerates the committed file from the book's default run, training it first
if it is not cached under ``data/``)::

    python -m ganbook.web_export                 # writes _ext/static/demos/latent-generator.js
                                                 # and tests/latent_fixtures.json
    python -m ganbook.web_export --check         # does the committed file match the run?
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checks import non_negative_int, positive_int
from .images import IMAGE_SIZE

FORMAT = 1
N_DIRECTIONS = 4
DIRECTION_SEED = 21
VARIABLE = "window.ganbook.data.latentGenerator"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "_ext" / "static" / "demos" / "latent-generator.js"
# z -> pixels of the float32 model, for the browser test (tests/test_demo_latent.py).
DEFAULT_FIXTURES = ROOT / "tests" / "latent_fixtures.json"
N_FIXTURES = 8
# The browser's pixels may differ from the float32 PyTorch model's by at most this much
# (pixels in [0, 1]); float16 weights measured 0.44 / 255 at most on 2,000 latent vectors.
TOLERANCE = 2 / 255


def linear_layers(generator: nn.Module) -> list[nn.Linear]:
    """The linear layers of a :class:`ganbook.models.Generator`, checked to be the MLP the
    explorer implements: ``Linear, LeakyReLU, ..., Linear, Tanh`` with matching widths."""
    net = getattr(generator, "net", None)
    if not isinstance(net, nn.Sequential) or not isinstance(getattr(generator, "latent_dim",
                                                                    None), int):
        raise ValueError("expected a ganbook.models.Generator (an nn.Sequential `net` and an "
                         "int `latent_dim`)")
    modules = list(net)
    if len(modules) < 2 or len(modules) % 2 or not isinstance(modules[-1], nn.Tanh):
        raise ValueError("the generator must be Linear/LeakyReLU pairs ending in Linear, Tanh")
    layers = modules[0::2]
    acts = modules[1:-1:2]
    if not all(isinstance(m, nn.Linear) for m in layers) or not all(
            isinstance(a, nn.LeakyReLU) for a in acts):
        raise ValueError("the generator must be Linear/LeakyReLU pairs ending in Linear, Tanh")
    if len({a.negative_slope for a in acts}) > 1:
        raise ValueError("all LeakyReLU units must have the same negative slope")
    width = generator.latent_dim
    for layer in layers:
        if layer.in_features != width or layer.bias is None:
            raise ValueError("each linear layer must have a bias and take the previous width")
        width = layer.out_features
    if width != IMAGE_SIZE:
        raise ValueError(f"the generator must output {IMAGE_SIZE} pixels, not {width}")
    return layers


def latent_directions(latent_dim: int, n: int = N_DIRECTIONS,
                      seed: int = DIRECTION_SEED) -> np.ndarray:
    """``n`` orthonormal directions of the latent space, float32 ``(n, latent_dim)``."""
    latent_dim, n = positive_int("latent_dim", latent_dim), positive_int("n", n)
    if n > latent_dim:
        raise ValueError(f"n ({n}) cannot exceed latent_dim ({latent_dim})")
    draws = torch.randn(latent_dim, n, generator=torch.Generator().manual_seed(int(seed)),
                        dtype=torch.float64)
    q, r = torch.linalg.qr(draws)
    q = q * torch.sign(torch.diagonal(r))  # unique: positive diagonal of r
    return q.T.numpy().astype(np.float32)


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def export_spec(generator: nn.Module, source: str = "",
                n_directions: int = N_DIRECTIONS) -> dict:
    """The JSON object of the data file for ``generator`` (see the module's docstring)."""
    layers = linear_layers(generator)
    n_directions = non_negative_int("n_directions", n_directions)
    slope = float(generator.net[1].negative_slope)
    return {
        "format": FORMAT,
        "latent_dim": int(generator.latent_dim),
        "negative_slope": slope,
        "layers": [{"in": layer.in_features, "out": layer.out_features,
                    "weight": _b64(layer.weight.detach().cpu().numpy(), "<f2"),
                    "bias": _b64(layer.bias.detach().cpu().numpy(), "<f4")}
                   for layer in layers],
        "directions": [[round(float(v), 6) for v in row] for row in
                       (latent_directions(generator.latent_dim, n_directions)
                        if n_directions else [])],
        "source": source,
    }


def to_js(spec: dict) -> str:
    """The classic script that defines ``window.ganbook.data.latentGenerator``."""
    text = json.dumps(spec, separators=(",", ":"))
    return ("/* Generated by `python -m ganbook.web_export` from the book's default GAN run: "
            "do not edit. */\n"
            "window.ganbook = window.ganbook || {};\n"
            "window.ganbook.data = window.ganbook.data || {};\n"
            f"{VARIABLE} = {text};\n")


def read_js(path) -> dict:
    """The JSON object of a data file written by :func:`to_js`."""
    text = Path(path).read_text(encoding="ascii")
    start = text.find(VARIABLE + " = ")
    if start < 0 or not text.rstrip().endswith(";"):
        raise ValueError(f"{path} is not a latent-generator data file")
    return json.loads(text[start + len(VARIABLE) + 3:text.rstrip().rindex(";")])


def weights(spec: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stored weights as float64 ``(out, in)`` matrices and ``(out,)`` biases."""
    if spec.get("format") != FORMAT:
        raise ValueError(f"unknown data format {spec.get('format')!r} (expected {FORMAT})")
    out = []
    for layer in spec["layers"]:
        w = np.frombuffer(base64.b64decode(layer["weight"]), "<f2")
        b = np.frombuffer(base64.b64decode(layer["bias"]), "<f4")
        if w.size != layer["in"] * layer["out"] or b.size != layer["out"]:
            raise ValueError("a layer's data does not match its shape")
        out.append((w.astype(np.float64).reshape(layer["out"], layer["in"]),
                    b.astype(np.float64)))
    return out


def forward(spec: dict, z) -> np.ndarray:
    """Pixels in ``[0, 1]``, float64 ``(n, 784)``, of the stored generator for latent vectors
    ``z`` ``(n, latent_dim)``: the explorer's computation, in float64 as in JavaScript."""
    h = np.asarray(z, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != spec["latent_dim"]:
        raise ValueError(f"z must have shape (n, {spec['latent_dim']}), got {h.shape}")
    layers = weights(spec)
    slope = spec["negative_slope"]
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = np.where(h > 0, h, slope * h)
    return np.clip((np.tanh(h) + 1) / 2, 0.0, 1.0)


@torch.no_grad()
def model_pixels(generator: nn.Module, z) -> np.ndarray:
    """Pixels in ``[0, 1]``, float64 ``(n, 784)``, of the PyTorch model itself."""
    was_training = generator.training
    generator.eval()
    out = generator(torch.as_tensor(np.asarray(z), dtype=torch.float32))
    generator.train(was_training)
    return ((out.double() + 1) / 2).clamp(0, 1).numpy()


def max_pixel_error(spec: dict, generator: nn.Module, n: int = 2000, seed: int = 0) -> float:
    """Largest difference of a pixel (in [0, 1]) between the stored weights and the model, over
    ``n`` standard-normal latent vectors."""
    z = torch.randn(positive_int("n", n), spec["latent_dim"],
                    generator=torch.Generator().manual_seed(int(seed))).numpy()
    return float(np.abs(forward(spec, z) - model_pixels(generator, z)).max())


def fixtures(spec: dict, generator: nn.Module, n: int = N_FIXTURES, seed: int = 1) -> dict:
    """Latent vectors and the float32 model's pixels for them (rounded to 1e-7): what the
    browser's forward pass must reproduce within :data:`TOLERANCE`."""
    z = torch.randn(positive_int("n", n), spec["latent_dim"],
                    generator=torch.Generator().manual_seed(int(seed))).double().numpy()
    pixels = model_pixels(generator, z)
    return {"source": spec["source"], "tolerance": TOLERANCE,
            "z": [[round(float(v), 7) for v in row] for row in z],
            "model_pixels": [[round(float(v), 7) for v in row] for row in pixels]}


def default_source() -> str:
    """A description of the default run (its folder's hash)."""
    from .train import default_run_dir

    return f"ganbook default run {default_run_dir().name}"


def export_default(out=DEFAULT_OUT, fixtures_out=DEFAULT_FIXTURES) -> dict:
    """Write the default run's generator (trained first if not cached) to ``out``, and test
    fixtures (:func:`fixtures`) to ``fixtures_out`` unless it is None."""
    from .train import load_or_train_default

    generator = load_or_train_default()
    spec = export_spec(generator, source=default_source())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_js(spec), encoding="ascii")
    if fixtures_out is not None:
        Path(fixtures_out).write_text(json.dumps(fixtures(spec, generator)) + "\n")
    return spec


def check_file(path=DEFAULT_OUT, generator: nn.Module | None = None) -> float:
    """Largest pixel difference between the data file and ``generator`` (default: the default
    run's); raises ValueError if it exceeds :data:`TOLERANCE` or the architectures differ."""
    from .train import load_or_train_default

    spec = read_js(path)
    generator = load_or_train_default() if generator is None else generator
    layers = linear_layers(generator)
    if [(layer["in"], layer["out"]) for layer in spec["layers"]] != [
            (layer.in_features, layer.out_features) for layer in layers]:
        raise ValueError(f"{path} holds another architecture than the generator")
    error = max_pixel_error(spec, generator)
    if error > TOLERANCE:
        raise ValueError(f"{path} differs from the generator by {255 * error:.2f} / 255 in "
                         f"some pixel (tolerance {255 * TOLERANCE:.0f} / 255): regenerate it "
                         "with `python -m ganbook.web_export`")
    return error


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganbook.web_export",
        description="Write the book's default generator (float16 weights) as the classic "
                    "script that chapter 6's latent explorer loads.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="the data file (default: _ext/static/demos/latent-generator.js)")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES,
                        help="where to write the browser test's fixtures (default: "
                             "tests/latent_fixtures.json)")
    parser.add_argument("--check", action="store_true",
                        help="only check that --out matches the default run's generator")
    args = parser.parse_args(argv)
    try:
        if args.check:
            error = check_file(args.out)
            print(f"{args.out} matches the default generator (largest pixel difference "
                  f"{255 * error:.2f} / 255)")
            return 0
        spec = export_default(args.out, args.fixtures)
    except (ValueError, OSError) as err:
        parser.exit(1, f"error: {err}\n")
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {size / 1e6:.2f} MB, layers "
          + ", ".join(f"{layer['in']}x{layer['out']}" for layer in spec["layers"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
