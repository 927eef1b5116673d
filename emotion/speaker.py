"""Hearing a voice against its speaker's usual voice.

Voices differ more between people (pitch, loudness, timbre, the microphone and the room) than between one
person's emotions. So the voice model reads each feature relative to the speaker: minus the speaker's mean,
over the speaker's spread. A `SpeakerAdapter` keeps those statistics for one speaker (one live session) as
windows arrive; until it has heard a few windows they are shrunk towards the `VoiceReference`, the average
speaker of the training data, so a single recording is read against that average.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLIP = 6.0  # z-scores beyond this are clipped: one odd feature must not dominate


@dataclass(frozen=True, eq=False)
class VoiceReference:
    """The average training speaker: the mean of the speakers' feature means, the pooled within-speaker
    spread, and how many windows of a new speaker weigh as much as it (`prior`)."""

    mean: np.ndarray
    sd: np.ndarray
    prior: float = 4.0

    def save(self, path: Path) -> None:
        np.savez(path, mean=self.mean.astype(np.float32), sd=self.sd.astype(np.float32), prior=self.prior)

    @classmethod
    def load(cls, path: Path) -> VoiceReference:
        with np.load(path) as z:
            return cls(z["mean"].astype(np.float64), z["sd"].astype(np.float64), float(z["prior"]))

    @classmethod
    def fit(cls, features: np.ndarray, speakers: np.ndarray, prior: float = 4.0) -> VoiceReference:
        """From training features (N, F) and each row's speaker."""
        groups = [features[speakers == s] for s in np.unique(speakers)]
        mean = np.mean([g.mean(0) for g in groups], axis=0)
        sd = np.sqrt(np.mean([g.var(0) for g in groups], axis=0)) + 1e-6
        return cls(mean, sd, prior)

    def normalise(self, features: np.ndarray, heard: int = 0, heard_mean: np.ndarray | None = None,
                  heard_var: np.ndarray | None = None) -> np.ndarray:
        """Features (N, F) as clipped z-scores against a speaker of whom `heard` windows with that mean and
        variance were heard, shrunk towards the reference (against the reference alone when none)."""
        mean, var = self.mean, self.sd ** 2
        if heard:
            mean = (heard * heard_mean + self.prior * mean) / (heard + self.prior)
            var = (heard * heard_var + self.prior * var) / (heard + self.prior)
        z = (np.asarray(features, np.float64) - mean) / np.sqrt(var + 1e-12)
        return np.clip(z, -CLIP, CLIP).astype(np.float32)


class SpeakerAdapter:
    """Running statistics of one speaker's windows (thread-safe), for `VoiceReference.normalise`."""

    def __init__(self, reference: VoiceReference):
        self.reference = reference
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the speaker (e.g. someone else takes the microphone)."""
        with self._lock:
            self._n, self._sum, self._sumsq = 0, 0.0, 0.0

    @property
    def heard(self) -> int:
        """Windows of speech heard so far."""
        return self._n

    def hear(self, features: np.ndarray) -> None:
        """Add windows (N, F) of this speaker."""
        ref = self.reference
        u = (np.asarray(features, np.float64).reshape(-1, len(ref.mean)) - ref.mean) / ref.sd  # well scaled
        with self._lock:
            self._n += len(u)
            self._sum = self._sum + u.sum(0)
            self._sumsq = self._sumsq + (u ** 2).sum(0)

    def normalise(self, features: np.ndarray) -> np.ndarray:
        """Features (N, F) as z-scores against this speaker (shrunk towards the reference)."""
        with self._lock:
            n, total, squares = self._n, self._sum, self._sumsq
        ref = self.reference
        if not n:
            return ref.normalise(features)
        mean_u = total / n
        var_u = np.maximum(squares / n - mean_u ** 2, 0.0)
        return ref.normalise(features, n, ref.mean + ref.sd * mean_u, ref.sd ** 2 * var_u)
