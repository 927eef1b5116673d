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
from emotion.voice import N_MELS, WINDOW, fit_window, log_mel_frames, speech_spans, speech_windows

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
    activity = detect_speech(audio)
    spans, weights = speech_spans(activity)
    windows, same = speech_windows(audio, activity)
    assert len(spans) > 1 and np.array_equal(weights, same)
    assert all(0 <= a < b <= len(audio) + 1 and b - a == WINDOW for a, b in spans)
    for (a, b), window in zip(spans, windows):
        np.testing.assert_array_equal(window, fit_window(audio[a:b]))
