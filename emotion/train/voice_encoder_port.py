"""Port Resemblyzer's pretrained speaker encoder (PyTorch, its weights in its wheel) to Keras, once.

    pip install torch==2.13.0 resemblyzer webrtcvad-wheels   # in a side environment with the project's TensorFlow
    python -m emotion.train.voice_encoder_port --out runs/speaker_encoder.keras

The app never needs PyTorch: the voice trainer builds the encoder reader on the ported encoder
(`--encoder FILE`), and the committed reader carries the encoder's weights. Checks that both frameworks give the
same statistics for the same speech before it saves.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..voice_encoder import LAYERS, N_BANDS, build_encoder, encoder_frames


def torch_statistics(lstm, frames: np.ndarray) -> np.ndarray:
    """The same statistics as build_encoder's, computed by PyTorch layer by layer (population spread)."""
    import torch

    h, stats = torch.from_numpy(frames[None]), []
    with torch.no_grad():
        for k in range(LAYERS):
            layer = torch.nn.LSTM(N_BANDS if k == 0 else lstm.hidden_size, lstm.hidden_size, 1, batch_first=True)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, f"{name}_l0").data.copy_(getattr(lstm, f"{name}_l{k}").data)
            h, _ = layer(h)
            stats += [h[0].mean(0).numpy(), h[0].std(0, unbiased=False).numpy()]
    return np.concatenate(stats)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from resemblyzer import VoiceEncoder

    lstm = VoiceEncoder("cpu", verbose=False).lstm
    model = build_encoder()
    for k in range(LAYERS):
        # PyTorch and Keras both order the gates input, forget, cell, output; PyTorch keeps two biases.
        weight = {n: getattr(lstm, f"{n}_l{k}").detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih",
                                                                             "bias_hh")}
        model.get_layer(f"lstm_{k}").set_weights([weight["weight_ih"].T, weight["weight_hh"].T,
                                                  weight["bias_ih"] + weight["bias_hh"]])
    speech = np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32)
    speech *= np.sin(np.linspace(0, 40, len(speech))) ** 2  # a waxing and waning test signal
    frames = encoder_frames(speech)
    ours, theirs = model(frames[None]).numpy()[0], torch_statistics(lstm, frames)
    gap = float(np.abs(ours - theirs).max())
    if gap > 1e-4:
        raise SystemExit(f"error: the Keras port differs from PyTorch by {gap:.2g}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"saved {args.out} (largest difference from PyTorch {gap:.1e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
