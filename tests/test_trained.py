"""Checks that only the real trained weights pass (marker `trained`: skipped while weights/metrics.json is absent)."""
from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest

from emotion.labels import EMOTIONS
from emotion.paths import WEIGHTS

pytestmark = [pytest.mark.trained, pytest.mark.slow]


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((WEIGHTS / "metrics.json").read_text())


@pytest.mark.parametrize("name", ["face", "voice", "voice.mel", "voice.encoder"])
def test_model_card_numbers_belong_to_the_committed_weights(metrics, name):
    digest = hashlib.sha256((WEIGHTS / f"{name}.keras").read_bytes()).hexdigest()
    assert metrics["weights_sha256"][name] == digest, f"weights/{name}.keras changed since it was measured"


def test_face_numbers_were_measured_with_the_app_s_face_input(metrics):
    from emotion.face import INPUT_BLUR_SIGMA

    assert metrics["face_input_blur_sigma"] == INPUT_BLUR_SIGMA, "emotion.face.soften changed since faces were measured"


def test_face_numbers_were_measured_with_the_app_s_mirror_rule(metrics):
    from emotion.face import MIRROR_BELOW

    assert metrics["face_mirror_below"] == MIRROR_BELOW, "emotion.face.MIRROR_BELOW changed since faces were measured"


def test_measured_figures_are_complete(metrics):
    for key in ("face", "face_masked", "voice", "voice_ravdess_cv", "voice_ravdess_cv_adapted", "voice_emodb_loco",
                "voice_emodb_loco_adapted"):
        entry = metrics[key]
        assert 0 < entry["accuracy"] <= 1 and entry["n"] > 0 and entry["command"].startswith("python ")
        assert set(entry["recall"]) <= set(EMOTIONS) | {"no speech", "no face"}
    assert metrics["face"]["n"] == 3589
    assert metrics["voice_emodb_loco"]["n"] == 454 and metrics["voice_ravdess_cv"]["n"] == 960
    for key in ("voice_ravdess_cv", "voice_ravdess_cv_adapted", "voice_emodb_loco", "voice_emodb_loco_adapted"):
        assert 0 <= metrics[key]["ece_calibrated"] <= 1 and 0 <= metrics[key]["ece"] <= 1  # as given, as calibrated


def test_weights_are_small_enough_to_commit():
    for name in ("face", "voice", "voice.mel", "voice.encoder"):
        assert (WEIGHTS / f"{name}.keras").stat().st_size < 20 * 2**20


def test_face_model_reads_the_fixture_faces(face_model, face_files):
    """Clear, frontal FER2013 test faces (never trained on): most must come out right."""
    crops, truth = [], []
    for label, paths in face_files.items():
        for p in paths:
            crops.append(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE))
            truth.append(label)
    probs = face_model.predict(np.stack(crops))
    predicted = [EMOTIONS[i] for i in probs.argmax(1)]
    right = sum(p == t for p, t in zip(predicted, truth))
    assert right >= 0.7 * len(truth), list(zip(truth, predicted))


def test_voice_model_separates_styles(voice_model, speech_files):
    """The three synthetic sentences differ in pitch, speed and loudness: the voice model must notice."""
    from emotion.audio import load_audio

    readings = {name: voice_model.read(load_audio(path)) for name, path in speech_files.items()}
    probs = np.stack([r.probs for r in readings.values()])
    assert all(r.label in EMOTIONS for r in readings.values())
    assert np.abs(probs[:, None, :] - probs[None, :, :]).sum(-1).max() > 0.2


def test_voice_model_reads_against_a_speaker_who_hears_only_when_asked(voice_model, speech_files):
    from emotion.audio import load_audio

    audio = load_audio(next(iter(speech_files.values())))
    speaker = voice_model.new_speaker()
    alone = voice_model.read(audio)
    unheard = voice_model.read(audio, speaker=speaker, learn=False)
    assert speaker.heard == 0 and np.allclose(unheard.probs, alone.probs, atol=1e-5)  # nothing heard yet
    heard = voice_model.read(audio, speaker=speaker)
    assert speaker.heard == heard.windows >= 1
    assert not np.allclose(heard.probs, alone.probs, atol=1e-3)  # now read against this voice


def test_voice_numbers_were_measured_with_the_committed_calibration(metrics):
    from emotion.calibration import load_calibration
    from emotion.voice import VOICE_WEIGHTS

    calibration = load_calibration(VOICE_WEIGHTS)
    assert metrics["voice_temperature"] == calibration.temperature, "weights/voice.calibration.json changed"
    assert "RAVDESS" in calibration.fitted_on and calibration.bias == (0.0,) * len(EMOTIONS)


def test_the_voice_model_applies_the_calibration_stored_beside_it(voice_model, speech_files, tmp_path):
    from emotion.audio import load_audio
    from emotion.calibration import Calibration
    from emotion.voice import VoiceModel, reference_path

    copy = tmp_path / "voice.keras"
    copy.write_bytes(voice_model.path.read_bytes())
    reference_path(copy).write_bytes(reference_path(voice_model.path).read_bytes())
    raw_model = VoiceModel(copy)  # no calibration file beside the copy: the identity
    assert raw_model.calibration == Calibration()
    calibration = Calibration(0.5, fitted_on="a test")
    calibration.save(copy)
    calibrated = VoiceModel(copy)
    assert calibrated.calibration == calibration
    for path in speech_files.values():
        heard = raw_model.listen(load_audio(path))
        raw, sharp = raw_model.read_heard(heard).probs, calibrated.read_heard(heard).probs
        np.testing.assert_allclose(sharp, calibration.apply(raw), atol=1e-5)
        assert sharp.argmax() == raw.argmax() and sharp.max() > raw.max()  # same label, surer


def test_a_fresh_process_loads_the_voice_model_with_its_readers():
    """The readers' custom layers must be registered by VoiceModel itself, not by an earlier import."""
    import subprocess
    import sys

    code = ("from emotion.voice import VoiceModel, VOICE_WEIGHTS; m = VoiceModel(VOICE_WEIGHTS); "
            "print(m.mel_model is not None and m.encoder_model is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=WEIGHTS.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("True")


def test_the_voice_network_computes_in_float32_and_reads_as_stored(voice_model):
    """The committed file keeps its hidden layers in float16 (small); computed in float16, a CPU without native
    float16 kernels emulates them, about 60 times slower. Loaded for the app, it computes in float32 and reads the
    same."""
    import keras

    stored = keras.models.load_model(voice_model.path, compile=False)
    assert "float16" in {w.dtype for w in stored.weights}  # what makes the file small
    assert {w.dtype for w in voice_model.model.weights} == {"float32"}
    x = np.random.default_rng(0).normal(size=(8, stored.input_shape[-1])).astype(np.float32)
    np.testing.assert_allclose(voice_model.predict(x), np.asarray(stored.predict(x, verbose=0), np.float32), atol=2e-3)


def test_a_reading_is_its_windows_functionals_and_readers_however_threaded(voice_model, speech_files):
    """`listen` reads the encoder in a second thread beside openSMILE and Silero VAD: what it hears must be the
    windows' functionals and readers' probabilities computed one after another, from several threads at once too."""
    from concurrent.futures import ThreadPoolExecutor

    from emotion.audio import load_audio
    from emotion.speech import detect_speech
    from emotion.voice import speech_spans
    from emotion.voice_functionals import functionals

    clips = [load_audio(p) for p in speech_files.values()]
    for audio in clips:
        heard = voice_model.listen(audio)
        windows = [audio[a:b] for a, b in speech_spans(detect_speech(audio))[0]]
        np.testing.assert_array_equal(heard.features, np.stack([functionals(w) for w in windows]))
        np.testing.assert_allclose(heard.encoder_probs, voice_model.read_encoder(windows), atol=1e-6)
        np.testing.assert_allclose(heard.mel_probs, voice_model.read_mels(windows), atol=1e-6)
    serial = [voice_model.read(x).probs for x in clips * 2]
    with ThreadPoolExecutor(3) as pool:
        for got, want in zip(pool.map(lambda x: voice_model.read(x).probs, clips * 2), serial):
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_what_the_voice_detector_rejects_is_no_speech_to_the_model(voice_model):
    """The gate takes birdsong for a voice; Silero VAD, run beside the encoder, says no: no reading."""
    from emotion.speech import gate_speech
    from sounds import everyday

    birdsong = everyday()["birdsong, seed 0"]
    assert gate_speech(birdsong).has_speech
    reading = voice_model.read(birdsong)
    assert not reading.has_speech and reading.reason == "no speech (the voice detector heard no voice)"
