"""Shared fixtures: paths to the committed fixture files, the real models (loaded once), and the
`trained` marker, which runs only when real trained weights (with their weights/metrics.json) are here."""
from __future__ import annotations

from pathlib import Path

import pytest

# aiortc's SRTP library crashes (segfault in srtp_init) when first loaded after TensorFlow, and the
# app tests load the live page (aiortc) in the same process as the model tests: load it first.
import streamlit_webrtc  # noqa: F401,E402
from hypothesis import settings

from emotion.paths import WEIGHTS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRAINED_METRICS = WEIGHTS / "metrics.json"

# Property-based tests: a quick run by default; `--hypothesis-profile=long` searches much harder.
settings.register_profile("default", max_examples=150)
settings.register_profile("long", max_examples=5000)


def pytest_collection_modifyitems(config, items):
    if TRAINED_METRICS.exists():
        return
    skip = pytest.mark.skip(reason=f"needs trained weights: {TRAINED_METRICS.relative_to(WEIGHTS.parent)} is absent "
                                   f"(the placeholders are untrained)")
    for item in items:
        if "trained" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def face_files() -> dict[str, list[Path]]:
    """The committed FER2013 faces by emotion (file names start with the emotion)."""
    found: dict[str, list[Path]] = {}
    for path in sorted((FIXTURES / "faces").glob("*.jpg")):
        found.setdefault(path.name.split("_")[0], []).append(path)
    return found


@pytest.fixture(scope="session")
def speech_files() -> dict[str, Path]:
    """The committed eSpeak NG sentences: neutral, happy and angry in style (they are synthetic, not acted)."""
    return {p.stem: p for p in sorted((FIXTURES / "speech").glob("*.flac"))}


@pytest.fixture(scope="session")
def face_model():
    from emotion.face import FACE_WEIGHTS, load_face_model

    model = load_face_model(FACE_WEIGHTS)
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def voice_model():
    from emotion.voice import VOICE_WEIGHTS, load_voice_model

    model = load_voice_model(VOICE_WEIGHTS)
    model.warm_up()
    return model


@pytest.fixture
def keep_keras_policy():
    """Training sets Keras's global mixed-precision policy; later tests build models in float32."""
    from emotion.runtime import import_keras

    keras = import_keras()
    policy = keras.mixed_precision.global_policy()
    yield
    keras.mixed_precision.set_global_policy(policy)
