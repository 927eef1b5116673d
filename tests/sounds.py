"""Synthetic everyday sounds that are not speech (birdsong, whistling, footsteps, a dog barking...), for the
speech detector's tests and benchmark. Unlike tests/music.py, none of them was used to tune the gate."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from media import coloured_noise

RATE = 16_000
SECONDS = 3.0
N = int(SECONDS * RATE)


def _wander(rng: np.random.Generator, per_second: float) -> np.ndarray:
    """A smooth random curve in [-1, 1] over N samples: a new random value every 1/per_second s, eased between."""
    knots = rng.uniform(-1, 1, int(SECONDS * per_second) + 2)
    pos = np.arange(N) / RATE * per_second
    i = pos.astype(int)
    ease = (1 - np.cos(np.pi * (pos - i))) / 2
    return knots[i] * (1 - ease) + knots[i + 1] * ease


def _at(times: list[float], make: Callable[[], np.ndarray]) -> np.ndarray:
    """One sound from `make()` starting at each time (seconds), added up, cut to N samples."""
    x = np.zeros(N + RATE)
    for t in times:
        e = make()
        i = int(t * RATE)
        x[i:i + len(e)] += e
    return x[:N]


def _poisson(rng: np.random.Generator, per_second: float) -> list[float]:
    gaps = rng.exponential(1 / per_second, int(SECONDS * per_second * 3) + 10)
    times = np.cumsum(gaps)
    return list(times[times < SECONDS])


def engine(rng: np.random.Generator) -> np.ndarray:
    """An idling engine: a harmonic buzz whose pitch wanders between 30 and 60 Hz, in pink noise."""
    phase = 2 * np.pi * np.cumsum(45 + 15 * _wander(rng, 1.0)) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 12))
    return (0.3 * x / np.abs(x).max() + coloured_noise(N, 1.0, rng, 0.03)).astype(np.float32)


def birdsong(rng: np.random.Generator) -> np.ndarray:
    """Chirps of 40-150 ms sweeping between 2 and 6 kHz, with short random pauses."""
    x, t = np.zeros(N + RATE), 0.1
    while t < SECONDS - 0.2:
        n = int(rng.uniform(0.04, 0.15) * RATE)
        sweep = np.linspace(rng.uniform(2000, 5000), rng.uniform(2000, 6000), n)
        x[int(t * RATE):int(t * RATE) + n] += 0.3 * np.sin(2 * np.pi * np.cumsum(sweep) / RATE) * np.hanning(n)
        t += n / RATE + rng.uniform(0.03, 0.3)
    return x[:N].astype(np.float32)


def whistling(rng: np.random.Generator) -> np.ndarray:
    """A whistled tune: a pure tone gliding between 700 and 1700 Hz, swelling and fading, with a little breath."""
    loudness = np.clip(1.5 * _wander(rng, 2.0) + 0.5, 0, 1)
    tune = np.sin(2 * np.pi * np.cumsum(1200 + 500 * _wander(rng, 3.0)) / RATE)
    return (0.3 * loudness * tune + coloured_noise(N, 1.0, rng, 0.005)).astype(np.float32)


def applause(rng: np.random.Generator) -> np.ndarray:
    """About 40 claps a second (20 ms decaying noise each) over a little pink noise."""
    def clap() -> np.ndarray:
        n = int(0.02 * RATE)
        return rng.normal(0, rng.uniform(0.05, 0.3), n) * np.exp(-np.arange(n) / (0.004 * RATE))
    return (_at(_poisson(rng, 40), clap) + coloured_noise(N, 1.0, rng, 0.01)).astype(np.float32)


def typing(rng: np.random.Generator) -> np.ndarray:
    """About 7 keystrokes a second: a click with a 2-4 kHz ring, 5 ms decay."""
    def key() -> np.ndarray:
        t = np.arange(int(0.03 * RATE)) / RATE
        ring = 0.3 * np.sin(2 * np.pi * rng.uniform(2000, 4000) * t)
        return (rng.normal(0, 0.2, len(t)) + ring) * np.exp(-t / 0.005)
    return (_at(_poisson(rng, 7), key) + coloured_noise(N, 1.0, rng, 0.001)).astype(np.float32)


def wind(rng: np.random.Generator) -> np.ndarray:
    """Brown noise gusting: its loudness wanders slowly."""
    gusts = np.clip(0.6 + 0.4 * _wander(rng, 0.8), 0.05, 1)
    return (coloured_noise(N, 2.0, rng, 0.15) * gusts).astype(np.float32)


def footsteps(rng: np.random.Generator) -> np.ndarray:
    """A step every 0.45-0.6 s: a 70 Hz thump with some noise, 30 ms decay."""
    def step() -> np.ndarray:
        t = np.arange(int(0.12 * RATE)) / RATE
        return (0.5 * np.sin(2 * np.pi * 70 * t) + rng.normal(0, 0.1, len(t))) * np.exp(-t / 0.03)
    times = list(np.cumsum(np.r_[0.1, rng.uniform(0.45, 0.6, 8)]))
    return _at([t for t in times if t < SECONDS], step).astype(np.float32)


def phone_ringing(rng: np.random.Generator) -> np.ndarray:
    """A British ring: 400 + 450 Hz, on 0.4 s, off 0.2 s, on 0.4 s, off 2 s, from a random point of the cycle."""
    t = np.arange(N) / RATE
    cycle = (t + rng.uniform(0, 3)) % 3.0
    on = (cycle < 0.4) | ((cycle > 0.6) & (cycle < 1.0))
    return (0.2 * (np.sin(2 * np.pi * 400 * t) + np.sin(2 * np.pi * 450 * t)) * on).astype(np.float32)


def barking(rng: np.random.Generator) -> np.ndarray:
    """Barks of 120-200 ms: a harsh harmonic sound falling from 500-700 Hz to 300-400 Hz, 0.2-0.6 s apart."""
    x, t = np.zeros(N + RATE), rng.uniform(0.05, 0.3)
    while t < SECONDS - 0.2:
        n = int(rng.uniform(0.12, 0.2) * RATE)
        phase = 2 * np.pi * np.cumsum(np.linspace(rng.uniform(500, 700), rng.uniform(300, 400), n)) / RATE
        harmonics = sum(np.sin(k * phase) / k ** 0.7 for k in range(1, 8))
        envelope = np.minimum(1, np.arange(n) / (0.01 * RATE)) * np.exp(-np.arange(n) / (0.06 * RATE))
        x[int(t * RATE):int(t * RATE) + n] += 0.3 * envelope * (harmonics + rng.normal(0, 0.5, n))
        t += n / RATE + rng.uniform(0.2, 0.6)
    return x[:N].astype(np.float32)


SOUNDS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "engine": engine, "birdsong": birdsong, "whistling": whistling, "applause": applause, "typing": typing,
    "wind": wind, "footsteps": footsteps, "phone ringing": phone_ringing, "dog barking": barking}


def everyday(seeds: range = range(3)) -> dict[str, np.ndarray]:
    """Name -> 3 s of each everyday sound (mono 16 kHz float32), once per seed."""
    return {f"{name}, seed {s}": make(np.random.default_rng(s)) for name, make in SOUNDS.items() for s in seeds}
