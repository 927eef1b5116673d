"""Voices: speech windows, and the voice emotion model that reads them against the speaker's usual voice."""
from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE
from .labels import EMOTIONS, NO_SPEECH
from .paths import VOICE_WEIGHTS
from .readings import Reading
from .speaker import SpeakerAdapter, VoiceReference
from .speech import HOP, SpeechActivity, beat_strength, detect_speech, gate_speech, vad_confirms
from .voice_encoder import N_BANDS, encoder_frames
from .voice_functionals import N_FEATURES, functionals

WINDOW_SECONDS = 3.0
WINDOW = int(WINDOW_SECONDS * SAMPLE_RATE)
N_MELS = 64
N_FRAMES = WINDOW // HOP  # 300 frames of 10 ms in a window
MIN_WINDOW_SPEECH = 0.3  # seconds of voiced speech a window needs to be read
# The readers' shares of a window's probabilities, the functionals network weighing the rest (chosen together on
# the choice split: model card).
MEL_SHARE = 0.2  # the log-mel reader's
ENCODER_SHARE = 0.3  # the encoder reader's
ENCODER_BATCH = 16  # windows per call of the encoder reader


@dataclass(frozen=True, eq=False)
class VoiceReading(Reading):
    """The emotion in a recording's speech, or why there is none (`probs` is None then)."""

    probs: np.ndarray | None = None
    speech_seconds: float = 0.0
    duration: float = 0.0
    windows: int = 0
    reason: str = ""  # why there is no reading ("silence", "no speech ...")

    @property
    def has_speech(self) -> bool:
        return self.probs is not None

    @property
    def label(self) -> str:
        return super().label if self.has_speech else NO_SPEECH

    @property
    def confidence(self) -> float:
        return super().confidence if self.has_speech else 0.0

    def to_dict(self) -> dict:
        base = {"speech_seconds": round(self.speech_seconds, 2), "duration": round(self.duration, 2)}
        if not self.has_speech:
            return {"label": NO_SPEECH, "reason": self.reason, **base}
        return {**super().to_dict(), "windows": self.windows, **base}


@dataclass(frozen=True, eq=False)
class HeardSpeech:
    """A recording's speech windows as functionals, before they are read against a speaker: heard once, so a
    dataset's voices can be read after the model got used to each speaker (`VoiceModel.listen`)."""

    features: np.ndarray | None  # (windows, N_FEATURES); None without speech
    weights: np.ndarray | None  # voiced seconds of each window
    speech_seconds: float
    duration: float
    reason: str = ""  # why there is no speech
    mel_probs: np.ndarray | None = None  # (windows, 7): the log-mel reader's, which does not adapt to the speaker
    encoder_probs: np.ndarray | None = None  # (windows, 7): the encoder reader's, which does not adapt either


def log_mel_frames(audio: np.ndarray) -> np.ndarray:
    """Log-mel spectrogram (frames, N_MELS) in dB of mono 16 kHz audio of any length, one frame per 10 ms."""
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(audio, np.float32), sr=SAMPLE_RATE, n_fft=512,
                                         win_length=400, hop_length=HOP, n_mels=N_MELS, fmin=50, fmax=8000,
                                         power=2.0)
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T.astype(np.float32)


def fit_frames(mel: np.ndarray, start: int = 0, length: int = N_FRAMES) -> np.ndarray:
    """`length` frames of a log-mel spectrogram from `start`; a shorter one is repeated to fill them."""
    if len(mel) < length:
        mel = np.tile(mel, (int(np.ceil(length / max(len(mel), 1))), 1))
        start = 0
    return mel[start:start + length]


def log_mel_window(segment: np.ndarray) -> np.ndarray:
    """The log-mel window (N_FRAMES, N_MELS) of up to 3 s of audio, as the log-mel reader takes it."""
    return fit_frames(log_mel_frames(segment))


def encoder_window(segment: np.ndarray) -> np.ndarray:
    """The encoder's mel window (N_FRAMES, N_BANDS) of up to 3 s of audio, as the encoder reader takes it."""
    return fit_frames(encoder_frames(segment))


def speech_windows(audio: np.ndarray) -> list[np.ndarray]:
    """The 3 s windows the app reads of a recording's speech (`speech_spans`); the whole recording as one
    window when the speech gate finds no speech in it."""
    activity = detect_speech(audio)
    if not activity.has_speech:
        return [audio[:WINDOW]]
    return [audio[a:b] for a, b in speech_spans(activity)[0]]


def speech_spans(activity: SpeechActivity, max_windows: int | None = None) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The sample ranges (start, end) of the 3 s windows over the speech (hop 1.5 s) and the voiced seconds in
    each (used as weights); at most `max_windows` of them, spread evenly over a very long recording. A range
    may be shorter than a window: it is read as it is."""
    spans, weights = _all_speech_spans(activity)
    if max_windows is not None and len(spans) > max_windows:
        keep = np.linspace(0, len(spans) - 1, max_windows).round().astype(int)
        spans, weights = [spans[i] for i in keep], weights[keep]
    return spans, weights


def _all_speech_spans(activity: SpeechActivity) -> tuple[list[tuple[int, int]], np.ndarray]:
    start, end = activity.span()
    length = end - start
    voiced = activity.frames.astype(np.float32)
    frames_per_sample = 1 / HOP
    if length <= WINDOW:
        return [(start, end)], np.array([max(activity.voiced_seconds, 1e-3)])
    spans, weights = [], []
    for s in range(0, length - WINDOW // 2, WINDOW // 2):
        if s + WINDOW > length:  # last window: align to the end instead of padding
            s = length - WINDOW
        a = int((start + s) * frames_per_sample)
        speech = float(voiced[a:a + N_FRAMES].sum() * HOP / SAMPLE_RATE)
        if speech >= MIN_WINDOW_SPEECH:
            spans.append((start + s, start + s + WINDOW))
            weights.append(speech)
    if not spans:  # speech spread too thin for any window: read the loudest one
        return [(start, start + WINDOW)], np.array([max(activity.voiced_seconds, 1e-3)])
    return spans, np.asarray(weights)


def reference_path(model_path: Path) -> Path:
    """Where a voice model's average training speaker is stored: beside it, `<model>.reference.npz`."""
    return Path(model_path).with_suffix(".reference.npz")


def mel_path(model_path: Path) -> Path:
    """Where a voice model's log-mel reader is stored, when it has one: beside it, `<model>.mel.keras`."""
    return Path(model_path).with_suffix(".mel.keras")


def encoder_path(model_path: Path) -> Path:
    """Where a voice model's encoder reader is stored, when it has one: beside it, `<model>.encoder.keras`."""
    return Path(model_path).with_suffix(".encoder.keras")


def blended(functionals_probs: np.ndarray, mel_probs: np.ndarray | None = None,
            encoder_probs: np.ndarray | None = None) -> np.ndarray:
    """A window's probabilities: the readers' that are there, weighing MEL_SHARE and ENCODER_SHARE, and the
    functionals network's the rest."""
    probs, rest = 0.0, 1.0
    for reader, share in ((mel_probs, MEL_SHARE), (encoder_probs, ENCODER_SHARE)):
        if reader is not None:
            probs, rest = probs + share * reader, rest - share
    return probs + rest * functionals_probs


@functools.lru_cache(maxsize=1)
def _readers() -> ThreadPoolExecutor:
    """The one thread that runs the encoder reader beside openSMILE, shared by every session (openSMILE itself
    runs one window at a time: voice_functionals), so that two cores share every window."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice-readers")


class VoiceModel:
    """The trained voice model: the ComParE functionals of each 3 s speech window, as z-scores against the
    speaker (a `SpeakerAdapter` that has heard them) or the average training speaker, through a small network;
    when the model has a log-mel reader beside it (`mel_path`), its probabilities for the window's log-mel
    spectrogram are averaged in (MEL_SHARE), and likewise the encoder reader's (`encoder_path`, ENCODER_SHARE).
    `read` takes a whole recording."""

    def __init__(self, path: Path = VOICE_WEIGHTS):
        from .runtime import import_tensorflow, load_float32

        tf = import_tensorflow()

        from .calibration import load_calibration

        if not Path(path).exists():
            raise FileNotFoundError(f"voice model not found at {path}")
        if not reference_path(path).exists():
            raise FileNotFoundError(f"the voice model's reference speaker not found at {reference_path(path)}")
        self.path = Path(path)
        self.model = load_float32(path)  # its hidden layers are stored in float16, to keep the file small
        self.reference = VoiceReference.load(reference_path(path))
        self.calibration = load_calibration(self.path)  # identity when the model has none
        spec = tf.TensorSpec([None, N_FEATURES], tf.float32)
        self._call = tf.function(lambda x: self.model(x, training=False), input_signature=[spec])
        from . import layers  # noqa: F401  (registers the custom layers used in the readers' files)

        self.mel_model = None
        if mel_path(path).exists():
            self.mel_model = load_float32(mel_path(path))
            spec = tf.TensorSpec([None, N_FRAMES, N_MELS], tf.float32)
            self._call_mel = tf.function(lambda x: self.mel_model(x, training=False), input_signature=[spec])
        self.encoder_model = None
        if encoder_path(path).exists():
            self.encoder_model = load_float32(encoder_path(path))
            spec = tf.TensorSpec([None, N_FRAMES, N_BANDS], tf.float32)
            # Compiled (XLA): the encoder's LSTMs run several times faster than step by step.
            self._call_encoder = tf.function(lambda x: self.encoder_model(x, training=False),
                                             input_signature=[spec], jit_compile=True)

    def new_speaker(self) -> SpeakerAdapter:
        """A fresh record of one speaker's voice, for `read(..., speaker=)`."""
        return SpeakerAdapter(self.reference)

    def predict(self, z: np.ndarray) -> np.ndarray:
        """Probabilities (N, 7), uncalibrated, for normalised functionals (N, N_FEATURES)."""
        x = np.asarray(z, np.float32).reshape(-1, N_FEATURES)
        if len(x) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        return self._call(x).numpy().astype(np.float32)

    def predict_mels(self, mels: np.ndarray) -> np.ndarray:
        """Probabilities (N, 7), uncalibrated, of the log-mel reader for log-mel windows (N, N_FRAMES, N_MELS)."""
        x = np.asarray(mels, np.float32).reshape(-1, N_FRAMES, N_MELS)
        if len(x) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        return self._call_mel(x).numpy().astype(np.float32)

    def read_mels(self, windows: list[np.ndarray]) -> np.ndarray | None:
        """The log-mel reader's probabilities (N, 7), uncalibrated, of audio windows; None without a reader."""
        if self.mel_model is None:
            return None
        return self.predict_mels(np.stack([log_mel_window(w) for w in windows]))

    def read_encoder(self, windows: list[np.ndarray]) -> np.ndarray | None:
        """The encoder reader's probabilities (N, 7), uncalibrated, of audio windows; None without a reader."""
        if self.encoder_model is None:
            return None
        x, out = np.stack([encoder_window(w) for w in windows]), []
        for i in range(0, len(x), ENCODER_BATCH):  # padded to a power of two: few shapes for XLA to compile
            chunk = x[i:i + ENCODER_BATCH]
            size = 1 << (len(chunk) - 1).bit_length()
            padded = np.concatenate([chunk, np.zeros((size - len(chunk), *chunk.shape[1:]), np.float32)])
            out.append(self._call_encoder(padded).numpy()[:len(chunk)])
        return np.concatenate(out).astype(np.float32)

    def read_windows(self, windows: list[np.ndarray], speaker: SpeakerAdapter | None = None,
                     learn: bool = True) -> np.ndarray:
        """Probabilities (N, 7), uncalibrated, of speech windows (audio arrays), against `speaker` when given
        (who hears them first, unless `learn` is False) or else the average training speaker."""
        features, mel_probs, encoder_probs = self._hear_windows(windows)
        return self.read_features(features, speaker, learn, mel_probs, encoder_probs)

    def _hear_windows(self, windows: list[np.ndarray], encoder: Future | None = None
                      ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The functionals of audio windows and the readers' probabilities of them (`read_mels`, `read_encoder`).
        The encoder reader runs in a second thread (`encoder`, when `_start_encoder` started it already) while
        this one computes the functionals and the log-mel reader's: the encoder's network and openSMILE both
        release the GIL, so on two cores a window takes less than the sum of the two."""
        encoder = encoder or self._start_encoder(windows)
        features = np.stack([functionals(w) for w in windows])
        return features, self.read_mels(windows), encoder.result()

    def _start_encoder(self, windows: list[np.ndarray]) -> Future:
        """`read_encoder(windows)`, started in the readers' thread."""
        return _readers().submit(self.read_encoder, windows)

    def read_features(self, features: np.ndarray, speaker: SpeakerAdapter | None = None,
                      learn: bool = True, mel_probs: np.ndarray | None = None,
                      encoder_probs: np.ndarray | None = None) -> np.ndarray:
        """Probabilities (N, 7), uncalibrated, of windows' functionals (N, N_FEATURES), as `read_windows`; with
        the readers' probabilities of the same windows (`read_mels`, `read_encoder`) averaged in (`blended`)."""
        if speaker is None:
            probs = self.predict(self.reference.normalise(features))
        else:
            if learn:
                speaker.hear(features)
            probs = self.predict(speaker.normalise(features))
        return blended(probs, mel_probs, encoder_probs)

    def warm_up(self) -> None:
        """Run the whole path once, so the first real reading pays for neither graph tracing nor librosa's
        first calls: those import scipy and compile code, holding the GIL for seconds (on a busy machine a
        live stream stalled on its first voice reading)."""
        noise = np.random.default_rng(0).normal(0, 0.1, WINDOW).astype(np.float32)
        beat_strength(noise)
        for n in (1, 2):
            self.read_windows([noise] * n)

    def listen(self, audio: np.ndarray, max_windows: int = 64) -> HeardSpeech:
        """The speech of mono 16 kHz audio as 3 s windows' functionals; none for silence, noise or tones.
        Very long recordings keep `max_windows` windows, spread evenly."""
        duration = len(audio) / SAMPLE_RATE
        activity = gate_speech(audio)
        if activity.has_speech:
            spans, weights = speech_spans(activity, max_windows)
            windows = [audio[a:b] for a, b in spans]
            # The encoder starts on the windows while Silero VAD confirms the gate's speech (detect_speech's
            # second step): what the VAD rejects, the encoder read for nothing.
            encoder = self._start_encoder(windows)
            activity = vad_confirms(audio, activity)
        if not activity.has_speech:
            return HeardSpeech(None, None, activity.voiced_seconds, duration, activity.reason)
        features, mel_probs, encoder_probs = self._hear_windows(windows, encoder)
        return HeardSpeech(features, weights, activity.voiced_seconds, duration, mel_probs=mel_probs,
                           encoder_probs=encoder_probs)

    def read_heard(self, heard: HeardSpeech, speaker: SpeakerAdapter | None = None,
                   learn: bool = True) -> VoiceReading:
        """The emotion of heard speech: its windows' probabilities averaged by how much speech each holds, then
        calibrated; against `speaker` as in `read_features`."""
        if heard.features is None:
            return VoiceReading(probs=None, speech_seconds=heard.speech_seconds, duration=heard.duration,
                                reason=heard.reason)
        probs = self.read_features(heard.features, speaker, learn, heard.mel_probs, heard.encoder_probs)
        mean = self.calibration.apply((probs * heard.weights[:, None]).sum(0) / heard.weights.sum())
        return VoiceReading(probs=mean, speech_seconds=heard.speech_seconds, duration=heard.duration,
                            windows=len(heard.features))

    def read(self, audio: np.ndarray, max_windows: int = 64, speaker: SpeakerAdapter | None = None,
             learn: bool = True) -> VoiceReading:
        """Emotion of the speech in mono 16 kHz audio; 'no speech' for silence, noise or tones.

        Long recordings are read in 3 s windows, averaged by how much speech each holds, then calibrated.
        With `speaker` (one per live session), each window is read against that speaker's voice so far, after
        the speaker heard it (`learn`; False reads against the speaker without adding the windows to it).
        """
        return self.read_heard(self.listen(audio, max_windows), speaker, learn)


def read_as_speakers(model, heard: list[HeardSpeech], speakers: list[str | None]) -> list[VoiceReading]:
    """Each recording read against its speaker's voice, after `model` heard every recording of that speaker
    once (as the Live page reads a voice it has got used to); recordings of speaker None are read alone,
    against the average training speaker."""
    voices: dict[str, SpeakerAdapter] = {}
    for speech, who in zip(heard, speakers):
        if who is not None and speech.features is not None:
            voices.setdefault(who, model.new_speaker()).hear(speech.features)
    return [model.read_heard(speech, voices.get(who), learn=False) for speech, who in zip(heard, speakers)]


@functools.lru_cache(maxsize=2)
def load_voice_model(path: str | Path = VOICE_WEIGHTS) -> VoiceModel:
    """The voice model, loaded once per process."""
    return VoiceModel(Path(path))
