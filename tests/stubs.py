"""Stand-in models with fixed answers, for tests of plumbing rather than of the networks."""
from __future__ import annotations

import numpy as np

from emotion.face import FaceReading
from emotion.labels import EMOTIONS
from emotion.speaker import SpeakerAdapter, VoiceReference
from emotion.speech import detect_speech
from emotion.voice import HeardSpeech, VoiceReading


def one_hot(label: str, confidence: float = 0.7) -> np.ndarray:
    probs = np.full(len(EMOTIONS), (1 - confidence) / (len(EMOTIONS) - 1), np.float32)
    probs[EMOTIONS.index(label)] = confidence
    return probs


class StubFaceModel:
    """Finds one face in the middle of any picture (or none, if told) and reads it as `label`."""

    def __init__(self, label: str = "happy", faces: int = 1, delay: float = 0.0):
        self.label, self.faces, self.delay, self.calls = label, faces, delay, 0
        self.given_boxes: list = []  # the `boxes` of each call (None: it detected)

    def read(self, image, mode="auto", detector=None, mask=False, boxes=None):
        import time

        self.calls += 1
        self.given_boxes.append(boxes)
        time.sleep(self.delay)
        if boxes is not None:  # read where it was told, as the real model does
            return [FaceReading(probs=one_hot(self.label), box=tuple(b)) for b in boxes]
        h, w = image.shape[:2]
        return [FaceReading(probs=one_hot(self.label), box=(w // 4 + 10 * i, h // 4, w // 2, h // 2))
                for i in range(self.faces)]

    def predict(self, crops):
        return np.stack([one_hot(self.label) for _ in range(len(crops))]) if len(crops) else np.zeros((0, 7))


class StubVoiceModel:
    """Reads any speech as `label`; silence and tones are 'no speech' (the real speech gate). Like the real
    model, a reading with a `speaker` makes that speaker hear its window (one stand-in feature)."""

    def __init__(self, label: str = "sad"):
        self.label, self.calls = label, 0
        self.reference = VoiceReference(mean=np.zeros(1), sd=np.ones(1))

    def new_speaker(self) -> SpeakerAdapter:
        return SpeakerAdapter(self.reference)

    def listen(self, audio, max_windows: int = 64) -> HeardSpeech:
        activity = detect_speech(audio)
        features = np.zeros((1, 1)) if activity.has_speech else None  # one stand-in window
        return HeardSpeech(features, np.ones(1) if activity.has_speech else None, activity.voiced_seconds,
                           len(audio) / 16000, activity.reason)

    def read_heard(self, heard: HeardSpeech, speaker: SpeakerAdapter | None = None, learn: bool = True):
        self.calls += 1
        if heard.features is None:
            return VoiceReading(probs=None, reason=heard.reason, duration=heard.duration)
        if speaker is not None and learn:
            speaker.hear(heard.features)
        return VoiceReading(probs=one_hot(self.label, 0.6), speech_seconds=heard.speech_seconds,
                            duration=heard.duration, windows=1)

    def read(self, audio, max_windows: int = 64, speaker: SpeakerAdapter | None = None, learn: bool = True):
        return self.read_heard(self.listen(audio, max_windows), speaker, learn)
