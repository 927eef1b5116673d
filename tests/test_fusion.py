"""Fusion of a face reading and a voice reading: agreement, fusion rules, and fallbacks."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from emotion.fusion import DEFAULT_PARAMS, RULES, agreement, combine, hybrid, load_params
from emotion.labels import EMOTIONS
from emotion.readings import Reading
from emotion.voice import VoiceReading

POSITIVE, NEGATIVE, NEUTRAL = {"happy", "surprise"}, {"angry", "disgust", "fear", "sad"}, {"neutral"}


def probs(top: str, p: float = 0.7) -> np.ndarray:
    """A probability vector with `p` on `top` and the rest spread evenly."""
    out = np.full(7, (1 - p) / 6, np.float32)
    out[EMOTIONS.index(top)] = p
    return out


@pytest.mark.parametrize("face, voice", list(itertools.product(EMOTIONS, EMOTIONS)))
def test_agreement_follows_the_valence_groups(face, voice):
    group = next(g for g in (POSITIVE, NEGATIVE, NEUTRAL) if face in g)
    expected = "same emotion" if face == voice else "same valence" if voice in group else "conflict"
    assert agreement(face, voice) == expected


def test_agreement_examples():
    assert agreement("happy", "surprise") == "same valence"
    assert agreement("angry", "sad") == "same valence"
    assert agreement("neutral", "happy") == "conflict"
    assert agreement("surprise", "fear") == "conflict"  # surprise counts as positive


def test_average_rule():
    f, v = probs("happy", 0.8), probs("sad", 0.4)
    np.testing.assert_allclose(combine(f, v, "average", DEFAULT_PARAMS), (f + v) / 2, atol=1e-6)


def test_confidence_rule_weights_each_by_its_top_probability():
    f, v = probs("happy", 0.9), probs("sad", 0.3)
    expected = (0.9 * f + 0.3 * v) / 1.2
    out = combine(f, v, "confidence", DEFAULT_PARAMS)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert EMOTIONS[out.argmax()] == "happy"


def test_learned_rule_is_a_weighted_geometric_mean():
    f, v = probs("happy", 0.6), probs("angry", 0.5)
    params = {"face_weight": 0.5, "face_temperature": 1.0, "voice_temperature": 1.0}
    geometric = np.sqrt(f * v)
    np.testing.assert_allclose(combine(f, v, "learned", params), geometric / geometric.sum(), atol=1e-6)
    only_face = {**params, "face_weight": 1.0}
    np.testing.assert_allclose(combine(f, v, "learned", only_face), f, atol=1e-6)


def test_learned_rule_temperature_flattens():
    f, v = probs("happy", 0.9), probs("happy", 0.9)
    sharp = combine(f, v, "learned", {"face_weight": 0.5, "face_temperature": 1.0, "voice_temperature": 1.0})
    flat = combine(f, v, "learned", {"face_weight": 0.5, "face_temperature": 3.0, "voice_temperature": 3.0})
    assert flat.max() < sharp.max() and flat.argmax() == sharp.argmax()


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_gives_probabilities(rule):
    rng = np.random.default_rng(1)
    f, v = rng.dirichlet(np.ones(7), 20), rng.dirichlet(np.ones(7), 20)
    params = {**DEFAULT_PARAMS, "face_weight": 0.6, "face_temperature": 1.5, "voice_temperature": 0.8}
    out = combine(f, v, rule, params)
    assert out.shape == (20, 7) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    assert (out >= 0).all()
    one = combine(f[0], v[0], rule, params)
    assert one.shape == (7,) and one.sum() == pytest.approx(1.0, abs=1e-5)
    # a zero probability must not break the logarithms of the learned rule
    zero = np.eye(7, dtype=np.float32)[2]
    assert np.isfinite(combine(zero, v[0], rule, params)).all()


def test_unknown_rule():
    with pytest.raises(ValueError, match="unknown fusion rule 'median'"):
        combine(probs("happy"), probs("sad"), "median", DEFAULT_PARAMS)


# --- hybrid readings -----------------------------------------------------------------------------

def test_hybrid_fuses_when_both_are_there():
    face, voice = Reading(probs("happy", 0.8)), Reading(probs("surprise", 0.6))
    h = hybrid(face, voice, "average", DEFAULT_PARAMS)
    assert h.source == "fused" and h.agreement == "same valence" and h.note == "" and h.rule == "average"
    np.testing.assert_allclose(h.probs, (face.probs + voice.probs) / 2, atol=1e-6)
    assert h.label == "happy"
    d = h.to_dict()
    assert d["source"] == "fused" and d["label"] == "happy" and set(d["probabilities"]) == set(EMOTIONS)


def test_hybrid_reports_a_conflict():
    h = hybrid(Reading(probs("happy")), Reading(probs("angry")), "average", DEFAULT_PARAMS)
    assert h.agreement == "conflict" and h.source == "fused"


def test_hybrid_without_a_face_uses_the_voice():
    voice = Reading(probs("sad"))
    h = hybrid(None, voice, "average", DEFAULT_PARAMS)
    assert h.source == "voice" and h.agreement == "" and h.label == "sad"
    assert h.note == "no face: using the voice alone"
    np.testing.assert_array_equal(h.probs, voice.probs)


def test_hybrid_without_speech_uses_the_face():
    silent = VoiceReading(probs=None, reason="silence", duration=3.0)
    h = hybrid(Reading(probs("fear")), silent, "confidence", DEFAULT_PARAMS)
    assert h.source == "face" and h.label == "fear"
    assert h.note == "no speech (silence): using the face alone"


def test_hybrid_leaves_out_an_uncertain_modality():
    params = {**DEFAULT_PARAMS, "min_confidence": 0.5}
    h = hybrid(Reading(probs("happy", 0.3)), Reading(probs("angry", 0.9)), "average", params)
    assert h.source == "voice" and h.label == "angry"
    assert h.note == "the face reading is too uncertain (30%): using the voice alone"


def test_hybrid_with_nothing_usable():
    h = hybrid(None, VoiceReading(probs=None, reason="no speech (a steady tone)"), "average", DEFAULT_PARAMS)
    assert h.source == "none" and h.probs is None
    assert h.label == "no reading" and h.confidence == 0.0
    assert h.note == "no face and no speech (no speech (a steady tone))"
    assert h.to_dict() == {"source": "none", "rule": "average", "agreement": "", "note": h.note, "label": "no reading"}


def test_hybrid_default_rule_comes_from_the_params():
    h = hybrid(Reading(probs("happy")), Reading(probs("happy")), params={**DEFAULT_PARAMS, "rule": "confidence"})
    assert h.rule == "confidence" and h.agreement == "same emotion"


def test_load_params(tmp_path):
    assert load_params(tmp_path / "missing.json") == DEFAULT_PARAMS
    path = tmp_path / "fusion.json"
    path.write_text(json.dumps({"params": {"rule": "learned", "face_weight": 0.7}}))
    loaded = load_params(path)
    assert loaded["rule"] == "learned" and loaded["face_weight"] == 0.7
    assert loaded["voice_temperature"] == DEFAULT_PARAMS["voice_temperature"]


@pytest.mark.slow
def test_the_fused_reading_is_made_of_the_calibrated_probabilities_of_the_readings(face_model, voice_model,
                                                                                   speech_files, monkeypatch):
    import cv2

    from emotion.analyse import read_moment
    from emotion.audio import load_audio
    from emotion.calibration import Calibration
    from media import face_photo

    image = face_photo(cv2.imread(str(speech_files["happy"].parents[1] / "faces" / "happy_1245723.jpg"), 0))
    audio = load_audio(speech_files["happy"])
    monkeypatch.setattr(face_model, "calibration", Calibration())  # the models' own probabilities first
    monkeypatch.setattr(voice_model, "calibration", Calibration())
    raw = read_moment(face_model, voice_model, image, audio, rule="average")
    monkeypatch.setattr(face_model, "calibration", Calibration(2.0))
    monkeypatch.setattr(voice_model, "calibration", Calibration(0.5))
    moment = read_moment(face_model, voice_model, image, audio, rule="average")
    np.testing.assert_allclose(moment.face.probs, Calibration(2.0).apply(raw.face.probs), atol=1e-5)
    np.testing.assert_allclose(moment.voice.probs, Calibration(0.5).apply(raw.voice.probs), atol=1e-5)
    np.testing.assert_allclose(moment.hybrid.probs, (moment.face.probs + moment.voice.probs) / 2, atol=1e-5)
