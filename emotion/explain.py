"""Why a model read what it read: occlusion sensitivity over a face crop and over a recording's speech.

Occlusion asks the model itself: hide one patch at a time, read again through the same path as a reading
(for faces: grey out a square, then softened, mirror-averaged if the face's reading was, the int8 model; for
voices: silence a stretch of time in one frequency band of a speech window, then the same functionals and
network), and see how much the probability of the reading's label falls. A patch whose loss lowers it a lot
mattered. Unlike gradient maps this needs nothing from inside the model and measures exactly what the reading
depends on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .audio import SAMPLE_RATE
from .face import FACE_SIZE, Box, crop_face
from .labels import EMOTIONS
from .speech import HOP, detect_speech
from .voice import N_MELS, log_mel_frames, speech_spans

FACE_PATCH, FACE_STEPS = 16, 7  # a 16-pixel square hidden at 7 x 7 places over the 48x48 crop (overlapping)
# Voices: 0.5 s x one of 4 mel-spaced bands (50-790-1730-3720-8000 Hz): 6 x 4 patches a 3 s window, each read
# through the functionals (the costly step), so the patches are coarse.
VOICE_PATCH_SECONDS, VOICE_BANDS = 0.5, 4
VOICE_PATCH_MELS = N_MELS // VOICE_BANDS  # the bands are whole groups of the picture's mel bands
MAX_VOICE_WINDOWS = 6  # longer recordings: windows spread evenly over the speech
FMIN, FMAX = 50.0, 8000.0  # the mel range of voice.log_mel_frames
STFT_FFT, STFT_HOP = 512, 128  # the short-time Fourier transform a patch is silenced in (32 ms, 8 ms)


@dataclass(frozen=True)
class FaceExplanation:
    """Where in a face crop the reading came from."""

    crop: np.ndarray  # (48, 48) uint8, the crop the model read
    heat: np.ndarray  # (48, 48) float32 in [0, 1]; 1 where hiding the face lowered `label` most
    label: str  # the emotion explained
    probability: float  # the model's probability of `label` for the whole crop
    drop: float  # the largest fall of that probability when one patch was hidden (0-1)


@dataclass(frozen=True)
class VoiceExplanation:
    """Which moments and frequency bands of a recording the reading came from."""

    spectrogram: np.ndarray  # (frames, N_MELS) log-mel in dB, one frame per 10 ms of the recording
    heat: np.ndarray  # (frames, N_MELS) float32 in [0, 1]; 0 outside the speech the model read
    label: str
    probability: float  # the probability of `label` over the windows explained, as a reading gives it
    drop: float  # the largest fall of that probability when one patch was hidden (0-1)
    duration: float  # seconds of the recording

    @property
    def times(self) -> np.ndarray:
        """The start of each frame in seconds, (frames,)."""
        return np.arange(len(self.heat)) * HOP / SAMPLE_RATE

    def peak(self) -> tuple[float, float, float, float]:
        """(start s, end s, low Hz, high Hz) of the part that mattered most: the stretch of time around the
        map's maximum, in its band, where the map stays at that maximum."""
        t, m = np.unravel_index(int(np.argmax(self.heat)), self.heat.shape)
        m0 = (m // VOICE_PATCH_MELS) * VOICE_PATCH_MELS
        top = self.heat[t, m]
        row = np.isclose(self.heat[:, m], top, rtol=0, atol=1e-6)
        a, b = t, t + 1
        while a > 0 and row[a - 1]:
            a -= 1
        while b < len(row) and row[b]:
            b += 1
        edges = mel_band_edges()
        return (float(a * HOP / SAMPLE_RATE), float(min(self.duration, b * HOP / SAMPLE_RATE)),
                float(edges[m0]), float(edges[min(m0 + VOICE_PATCH_MELS, N_MELS)]))


def mel_band_edges() -> np.ndarray:
    """The N_MELS + 1 band edges in Hz of the log-mel spectrogram (low to high)."""
    import librosa

    return librosa.mel_frequencies(N_MELS + 1, fmin=FMIN, fmax=FMAX)


def _target(probs: np.ndarray, label: str | None) -> int:
    """The index of `label`, or of the top of `probs` when `label` is None."""
    if label is None:
        return int(np.argmax(probs))
    if label not in EMOTIONS:
        raise ValueError(f"unknown emotion {label!r}; choose from {', '.join(EMOTIONS)}")
    return EMOTIONS.index(label)


def _normalise(heat: np.ndarray) -> np.ndarray:
    """Falls clipped at 0 and scaled so the largest is 1 (all 0 when hiding nothing lowered the label)."""
    heat = np.clip(heat, 0.0, None)
    top = float(heat.max()) if heat.size else 0.0
    return (heat / top if top > 1e-6 else np.zeros_like(heat)).astype(np.float32)


def occlude_face(crop: np.ndarray, x: int, y: int, side: int) -> np.ndarray:
    """A copy of a (48, 48) uint8 crop with the square at (x, y) of `side` pixels filled with its mean grey."""
    out = np.array(crop, np.uint8, copy=True)
    out[y:y + side, x:x + side] = int(round(float(crop.mean())))
    return out


def face_crop(image: np.ndarray, box: Box, mask: bool = False) -> np.ndarray:
    """The (48, 48) crop a face reading of `box` in a BGR/gray `image` was made from; with `mask`, the simulated
    mask is drawn on the face first, as the reading did."""
    if mask:
        from .masks import apply_mask

        image = apply_mask(image, box)
    return crop_face(image, box)


def explain_face(model: Any, crop: np.ndarray, label: str | None = None) -> FaceExplanation:
    """Occlusion map of a (48, 48) uint8 face crop for `label` (default: the model's top label).

    `model` is a FaceModel (anything with `predict(crops) -> (N, 7)`); every patch is read in one batch.
    """
    crop = np.asarray(crop, np.uint8).reshape(FACE_SIZE, FACE_SIZE)
    steps = np.linspace(0, FACE_SIZE - FACE_PATCH, FACE_STEPS).round().astype(int)
    spots = [(int(x), int(y)) for y in steps for x in steps]
    batch = np.stack([crop] + [occlude_face(crop, x, y, FACE_PATCH) for x, y in spots])
    if hasattr(model, "unsure"):  # every patch read as the face was (mirrored or not), so the map is of one reading
        probs = model.predict(batch, mirror=bool(model.unsure(crop)[0]))
    else:
        probs = model.predict(batch)
    k = _target(probs[0], label)
    falls = probs[0, k] - probs[1:, k]
    total, covered = np.zeros((FACE_SIZE, FACE_SIZE)), np.zeros((FACE_SIZE, FACE_SIZE))
    for (x, y), fall in zip(spots, falls):
        total[y:y + FACE_PATCH, x:x + FACE_PATCH] += fall
        covered[y:y + FACE_PATCH, x:x + FACE_PATCH] += 1
    heat = _normalise(total / np.maximum(covered, 1))
    return FaceExplanation(crop, heat, EMOTIONS[k], float(probs[0, k]), float(max(0.0, falls.max())))


def voice_bands() -> np.ndarray:
    """The VOICE_BANDS + 1 edges in Hz of the bands a voice patch silences (mel-spaced, FMIN to FMAX); the
    lowest band reaches down to 0 Hz and the highest up to 8 kHz, so nothing escapes between them."""
    import librosa

    return librosa.mel_frequencies(VOICE_BANDS + 1, fmin=FMIN, fmax=FMAX)


def _stft(audio: np.ndarray) -> np.ndarray:
    import librosa

    return librosa.stft(np.asarray(audio, np.float32), n_fft=STFT_FFT, hop_length=STFT_HOP)


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    import librosa

    return librosa.istft(spectrum, hop_length=STFT_HOP, n_fft=STFT_FFT, length=length).astype(np.float32)


def _silence(spectrum: np.ndarray, start: float, end: float, low: float, high: float) -> np.ndarray:
    """A copy of an STFT (bins, frames) with the frames centred in [start, end) s and the bins in [low, high)
    Hz set to 0."""
    out = spectrum.copy()
    frames = np.arange(spectrum.shape[1]) * STFT_HOP / SAMPLE_RATE
    bins = np.arange(spectrum.shape[0]) * SAMPLE_RATE / STFT_FFT
    out[np.ix_((bins >= low) & (bins < high), (frames >= start) & (frames < end))] = 0
    return out


def occlude_voice(audio: np.ndarray, start: float, end: float, low: float, high: float) -> np.ndarray:
    """A copy of mono 16 kHz `audio` with the sound between `start` and `end` seconds and between `low` and
    `high` Hz silenced (in the short-time Fourier transform, then back to a waveform of the same length)."""
    audio = np.asarray(audio, np.float32)
    return _istft(_silence(_stft(audio), start, end, low, high), len(audio))


def _voice_patches(length: int) -> list[tuple[float, float, float, float]]:
    """(start s, end s, low Hz, high Hz) of every patch over a window of `length` samples."""
    seconds = length / SAMPLE_RATE
    edges = voice_bands()
    lows, highs = [0.0, *edges[1:-1]], [*edges[1:-1], SAMPLE_RATE / 2 + 1]
    starts = np.arange(0.0, seconds - 1e-9, VOICE_PATCH_SECONDS)
    return [(float(t), float(min(t + VOICE_PATCH_SECONDS, seconds)), lo, hi) for t in starts
            for lo, hi in zip(lows, highs)]


def explain_voice(model: Any, audio: np.ndarray, label: str | None = None) -> VoiceExplanation | None:
    """Occlusion map of mono 16 kHz `audio` for `label` (default: the label of the windows read), over the
    same speech windows a reading uses; None when there is no speech.

    Each window's patches (VOICE_PATCH_SECONDS x one of the `voice_bands`) are silenced one at a time and all
    the windows, whole and hidden, are read in one `read_windows` call. `model` is a VoiceModel (anything with
    `read_windows(list of audio arrays) -> (N, 7)`); windows are read against its average training speaker,
    as a single recording is. The map is drawn over the recording's log-mel spectrogram: one row per 10 ms
    frame of the whole recording (so its time axis is the recording's), and 0 outside the windows read.
    """
    audio = np.asarray(audio, np.float32)
    activity = detect_speech(audio)
    if not activity.has_speech:
        return None
    spans, weights = speech_spans(activity, MAX_VOICE_WINDOWS)
    windows = [audio[a:b] for a, b in spans]
    patches = [_voice_patches(len(w)) for w in windows]
    batch = list(windows)
    for window, spots in zip(windows, patches):
        spectrum = _stft(window)
        batch += [_istft(_silence(spectrum, *spot), len(window)) for spot in spots]
    probs = model.read_windows(batch)
    whole = probs[:len(windows)]
    mean = (whole * weights[:, None]).sum(0) / weights.sum()
    calibration = getattr(model, "calibration", None)  # as a reading: the windows' mean, calibrated
    mean = calibration.apply(mean) if calibration is not None else mean
    k = _target(mean, label)
    spectrogram = log_mel_frames(audio)
    frames = len(spectrogram)
    total, covered = np.zeros((frames, N_MELS)), np.zeros((frames, 1))
    edges = voice_bands()
    drop, i = 0.0, len(windows)
    for (a, b), spots, base, weight in zip(spans, patches, whole, weights):
        falls = base[k] - probs[i:i + len(spots), k]
        i += len(spots)
        first, last = a // HOP, min(-(-b // HOP), frames)
        covered[first:last] += weight
        for (start, end, low, _), fall in zip(spots, falls):
            rows = slice(min(first + int(round(start * SAMPLE_RATE / HOP)), frames),
                         min(first + int(round(end * SAMPLE_RATE / HOP)), last))
            band = int(np.searchsorted(edges[1:-1], low, side="right"))
            total[rows, band * VOICE_PATCH_MELS:(band + 1) * VOICE_PATCH_MELS] += fall * weight
        drop = max(drop, float(falls.max()))
    heat = _normalise(total / np.maximum(covered, 1e-9))
    return VoiceExplanation(spectrogram, heat, EMOTIONS[k], float(mean[k]), max(0.0, drop), len(audio) / SAMPLE_RATE)


# --- pictures ------------------------------------------------------------------------------------

def _overlay(gray: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A BGR picture: the grey image, coloured by `heat` (inferno: dark = did not matter, bright = mattered)."""
    colours = cv2.applyColorMap(np.uint8(np.clip(heat, 0, 1) * 255), cv2.COLORMAP_INFERNO)
    base = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    alpha = (0.25 + 0.6 * np.clip(heat, 0, 1))[..., None]
    return np.uint8(base * (1 - alpha) + colours * alpha)


def face_picture(explanation: FaceExplanation, side: int = 192) -> np.ndarray:
    """A BGR picture: the face crop as the model read it, and beside it the same crop with the heat map."""
    face = cv2.resize(explanation.crop, (side, side), interpolation=cv2.INTER_CUBIC)
    heat = cv2.GaussianBlur(cv2.resize(explanation.heat, (side, side), interpolation=cv2.INTER_LINEAR), (0, 0),
                            side / 24)  # the patches' edges are not what mattered: soften them
    heat = heat / max(float(heat.max()), 1e-6)
    gap = np.full((side, max(4, side // 24), 3), 255, np.uint8)
    return np.hstack([cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), gap, _overlay(face, heat)])


def _text(image: np.ndarray, text: str, x: int, y: int, scale: float = 0.45, colour=(40, 40, 40)) -> None:
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def voice_picture(explanation: VoiceExplanation, width: int = 720, height: int = 200) -> np.ndarray:
    """A BGR picture: the spectrogram (time left to right, low pitches at the bottom) coloured by the heat map,
    with seconds along the bottom and Hz along the left."""
    spec = explanation.spectrogram
    top = float(spec.max())
    gray = np.uint8(np.clip((spec - (top - 80.0)) / 80.0, 0, 1) * 255).T[::-1]  # (mels, frames), low at the bottom
    gray = cv2.resize(gray, (width, height), interpolation=cv2.INTER_LINEAR)
    heat = cv2.resize(np.ascontiguousarray(explanation.heat.T[::-1]), (width, height), interpolation=cv2.INTER_NEAREST)
    left, bottom = 58, 30
    out = np.full((height + bottom + 8, width + left + 12, 3), 255, np.uint8)
    out[8:8 + height, left:left + width] = _overlay(gray, heat)
    duration = max(explanation.duration, 1e-3)
    step = next(s for s in (0.5, 1, 2, 5, 10, 30, 60) if duration / s <= 12)
    for t in np.arange(0, duration + 1e-9, step):
        x = left + int(round(t / duration * (width - 1)))
        cv2.line(out, (x, 8 + height), (x, 8 + height + 5), (40, 40, 40), 1)
        _text(out, f"{t:g} s", min(x - 8, out.shape[1] - 40), 8 + height + 20)
    edges = mel_band_edges()
    for hz in (250, 500, 1000, 2000, 4000):
        band = int(np.searchsorted(edges, hz))
        y = 8 + height - int(round(band / N_MELS * height))
        cv2.line(out, (left - 5, y), (left, y), (40, 40, 40), 1)
        _text(out, f"{hz // 1000}k Hz" if hz >= 1000 else f"{hz} Hz", 2, y + 4, 0.4)
    return out


def with_caption(image: np.ndarray, text: str) -> np.ndarray:
    """`image` (BGR) with a white strip below holding `text`, wrapped to the picture's width (at least 400 px),
    for files (the pages caption below)."""
    scale, font = 0.5, cv2.FONT_HERSHEY_SIMPLEX
    width = max(image.shape[1], 400)
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, font, scale, 1)[0][0] <= width - 16:
            lines[-1] = trial
        else:
            lines.append(word)
    height = cv2.getTextSize("Ag", font, scale, 1)[0][1] + 10
    out = np.full((image.shape[0] + height * len(lines) + 10, width, 3), 255, np.uint8)
    out[:image.shape[0], :image.shape[1]] = image
    for i, line in enumerate(lines):
        _text(out, line, 8, image.shape[0] + height * (i + 1), scale)
    return out


def face_caption(explanation: FaceExplanation) -> str:
    """'Brighter = mattered more for "happy" (72%): hiding the brightest part lowers it by up to 31 points.'"""
    return (f'Left: the face as the model saw it. Right: brighter = mattered more for "{explanation.label}" '
            f"({explanation.probability:.0%}); hiding the brightest part lowers it by up to "
            f"{explanation.drop * 100:.0f} points.")


def voice_caption(explanation: VoiceExplanation) -> str:
    """What the voice picture shows, and where the part that mattered most lies (seconds, Hz)."""
    start, end, low, high = explanation.peak()
    return (f'Brighter = mattered more for "{explanation.label}" ({explanation.probability:.0%}); time runs left '
            f"to right, low pitches at the bottom. Mattered most: {start:.1f}-{end:.1f} s, "
            f"{low:.0f}-{high:.0f} Hz.")
