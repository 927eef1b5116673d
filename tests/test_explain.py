"""Explanations with the real models on fixture faces and speech: shapes, time axis, and faithfulness (hiding
what the map calls important changes the reading more than hiding a random part of the same size)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from emotion import explain
from emotion.audio import SAMPLE_RATE, load_audio
from emotion.face import FACE_SIZE
from emotion.labels import EMOTIONS
from emotion.speech import detect_speech
from emotion.voice import N_MELS, WINDOW, log_mel_frames, speech_spans

pytestmark = pytest.mark.slow

SIDE = 16  # the square hidden in the faithfulness check


@pytest.fixture(scope="module")
def crops(face_files) -> list[np.ndarray]:
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for paths in face_files.values() for p in paths]


def test_face_explanation_is_a_map_over_the_crop(face_model, crops):
    crop = crops[0]
    e = explain.explain_face(face_model, crop)
    probs = face_model.predict(crop)[0]
    assert e.crop.shape == e.heat.shape == (FACE_SIZE, FACE_SIZE) and e.heat.dtype == np.float32
    assert e.heat.min() >= 0 and e.heat.max() == pytest.approx(1.0)
    assert e.label == EMOTIONS[int(probs.argmax())] and e.probability == pytest.approx(float(probs.max()), abs=1e-5)
    assert 0 < e.drop <= e.probability
    other = explain.explain_face(face_model, crop, label="sad")
    assert other.label == "sad" and other.probability == pytest.approx(float(probs[EMOTIONS.index("sad")]), abs=1e-5)
    with pytest.raises(ValueError, match="unknown emotion"):
        explain.explain_face(face_model, crop, label="bored")


def test_every_patch_is_read_as_the_face_was_mirrored_or_not(face_model, crops, monkeypatch):
    """The face model mirrors only the faces it is unsure of; an occluded patch could cross that line, so all
    patches are read the way the whole face was, and the map is of one reading."""
    unsure = face_model.unsure(np.stack(crops))
    assert unsure.any() and not unsure.all()
    seen = []
    predict = face_model.predict
    monkeypatch.setattr(face_model, "predict", lambda batch, mirror=None: seen.append(mirror) or predict(batch, mirror))
    for i in (int(np.argmax(unsure)), int(np.argmin(unsure))):
        explain.explain_face(face_model, crops[i])
    assert seen == [True, False]


def _hide(crop: np.ndarray, x: int, y: int) -> np.ndarray:
    return explain.occlude_face(crop, x, y, SIDE)


def test_hiding_the_most_important_region_changes_the_reading_more_than_a_random_one(face_model, crops):
    rng = np.random.default_rng(0)
    important, random_ = [], []
    for crop in crops:
        e = explain.explain_face(face_model, crop)
        k = EMOTIONS.index(e.label)
        # the SIDE x SIDE square holding the most heat (a region of the map, not one of the occluded patches)
        sums = cv2.boxFilter(e.heat, -1, (SIDE, SIDE), normalize=False, anchor=(0, 0),
                             borderType=cv2.BORDER_CONSTANT)[:FACE_SIZE - SIDE + 1, :FACE_SIZE - SIDE + 1]
        y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
        spots = rng.integers(0, FACE_SIZE - SIDE + 1, size=(10, 2))
        probs = face_model.predict(np.stack([crop, _hide(crop, x, y)] + [_hide(crop, a, b) for a, b in spots]))
        important.append(probs[0, k] - probs[1, k])
        random_.append(float(np.mean(probs[0, k] - probs[2:, k])))
    important, random_ = np.array(important), np.array(random_)
    assert important.mean() > 2 * random_.mean()
    assert (important > random_).mean() >= 0.75  # on most faces, not only on average


def test_face_picture_shows_the_crop_and_its_map_side_by_side(face_model, crops):
    e = explain.explain_face(face_model, crops[1])
    picture = explain.face_picture(e, side=120)
    assert picture.dtype == np.uint8 and picture.shape[0] == 120 and picture.shape[1] > 240 and picture.shape[2] == 3
    text = explain.face_caption(e)
    assert "brighter = mattered more" in text and f'"{e.label}"' in text
    captioned = explain.with_caption(picture, text)
    assert captioned.shape[0] > 120 and captioned.shape[1] >= picture.shape[1]


def test_voice_explanation_time_axis_is_the_recordings(voice_model, speech_files):
    speech = load_audio(speech_files["angry"])
    silence = np.zeros(int(1.5 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([silence, speech, silence, speech])  # long enough for several windows
    e = explain.explain_voice(voice_model, audio)
    frames = len(log_mel_frames(audio))
    assert e.heat.shape == e.spectrogram.shape == (frames, N_MELS)
    assert e.duration == pytest.approx(len(audio) / SAMPLE_RATE)
    assert len(e.times) == frames and abs(e.times[-1] - e.duration) < 0.02
    reading = voice_model.read(audio)
    assert e.heat.max() == pytest.approx(1.0) and e.label == reading.label
    assert e.probability == pytest.approx(reading.confidence, abs=1e-4)  # the windows a reading uses, calibrated
    assert not e.heat[: int(1.0 * SAMPLE_RATE) // 160].any()  # the first second is silence, outside the windows read
    start, end, low, high = e.peak()
    assert 1.0 <= start < end <= e.duration and 50 <= low < high <= 8000


def test_voice_explanation_of_a_short_recording_and_of_silence(voice_model, speech_files):
    audio = load_audio(speech_files["happy"])[: 2 * SAMPLE_RATE]
    e = explain.explain_voice(voice_model, audio, label="happy")
    assert e.label == "happy" and e.heat.shape == (len(log_mel_frames(audio)), N_MELS)
    assert "mattered more" in explain.voice_caption(e)
    picture = explain.voice_picture(e, width=400, height=120)
    assert picture.dtype == np.uint8 and picture.shape[1] > 400 and picture.shape[2] == 3
    assert explain.explain_voice(voice_model, np.zeros(WINDOW, np.float32)) is None


def test_speech_spans_are_where_the_windows_come_from(speech_files):
    speech = load_audio(speech_files["neutral"])
    audio = np.concatenate([speech, speech, speech])
    spans, weights = speech_spans(detect_speech(audio))
    assert len(spans) > 1 and len(weights) == len(spans) and (weights > 0).all()
    assert all(0 <= a < b <= len(audio) + 1 and b - a == WINDOW for a, b in spans)
    short = speech[: 2 * SAMPLE_RATE]  # shorter than a window: read as it is, neither tiled nor padded
    (a, b), = speech_spans(detect_speech(short))[0]
    assert b - a < WINDOW and b <= len(short)


def _tones(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 300 * t) + 0.3 * np.sin(2 * np.pi * 2500 * t)).astype(np.float32)


def _level(audio: np.ndarray, start: float, end: float, hz: float) -> float:
    """The amplitude of the `hz` tone in audio[start:end] s."""
    part = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
    t = np.arange(len(part)) / SAMPLE_RATE
    return float(np.abs(np.mean(part * np.exp(-2j * np.pi * hz * t))) * 2)


def test_occluding_a_voice_patch_silences_that_time_and_band_only():
    audio = _tones()
    hidden = explain.occlude_voice(audio, 1.0, 2.0, 0.0, 791.0)
    assert hidden.shape == audio.shape and hidden.dtype == np.float32
    assert _level(hidden, 1.1, 1.9, 300) < 0.01 and _level(hidden, 1.1, 1.9, 2500) == pytest.approx(0.3, abs=0.01)
    for start, end in ((0.1, 0.9), (2.1, 2.9)):  # before and after: untouched
        assert _level(hidden, start, end, 300) == pytest.approx(0.3, abs=0.01)
    edges = explain.voice_bands()
    assert len(edges) == explain.VOICE_BANDS + 1
    assert (edges[0], edges[-1]) == pytest.approx((explain.FMIN, explain.FMAX))
    np.testing.assert_allclose(edges, explain.mel_band_edges()[::explain.VOICE_PATCH_MELS])  # the picture's bands


def test_hiding_the_part_of_the_voice_that_mattered_most_lowers_the_reading_more_than_a_random_part(
        voice_model, speech_files, fixtures_dir):
    """The map's peak (a stretch of time in one band), hidden in the whole recording and read again as a
    reading is (speech gate, windows, functionals, calibration), against 10 random stretches of the same length
    in random bands within the speech."""
    rng = np.random.default_rng(0)
    edges = explain.voice_bands()
    lows, highs = [0.0, *edges[1:-1]], [*edges[1:-1], SAMPLE_RATE / 2 + 1]
    important, random_ = [], []
    for path in [*speech_files.values(), fixtures_dir / "speech.wav"]:
        audio = load_audio(path)
        e = explain.explain_voice(voice_model, audio)
        k = EMOTIONS.index(e.label)
        start, end, low, high = e.peak()
        band = int(np.searchsorted(edges[1:-1], low, side="right"))
        base = voice_model.read(audio).probs[k]
        important.append(base - voice_model.read(explain.occlude_voice(audio, start, end, lows[band],
                                                                       highs[band])).probs[k])
        first, last = (i / SAMPLE_RATE for i in detect_speech(audio).span())
        falls = []
        for _ in range(10):
            t, b = rng.uniform(first, max(first, last - (end - start))), int(rng.integers(len(lows)))
            reading = voice_model.read(explain.occlude_voice(audio, t, t + end - start, lows[b], highs[b]))
            falls.append(base - (reading.probs[k] if reading.has_speech else 0.0))
        random_.append(float(np.mean(falls)))
    important, random_ = np.array(important), np.array(random_)
    assert important.mean() > 2 * max(random_.mean(), 0.01)
    assert (important > random_).all()  # on every recording, not only on average


def test_speech_spans_keep_at_most_max_windows_spread_over_the_recording(speech_files):
    audio = np.concatenate([load_audio(p) for p in speech_files.values()] * 4)
    activity = detect_speech(audio)
    every, weights = speech_spans(activity)
    kept, kept_weights = speech_spans(activity, 3)
    assert len(every) > 3 and len(kept) == 3
    assert kept[0] == every[0] and kept[-1] == every[-1] and kept[1] in every  # first, last and one between
    assert [weights[every.index(s)] for s in kept] == list(kept_weights)
    assert speech_spans(activity, len(every))[0] == every
