"""Speech detection: silence, noise, hum, tones, clicks, music and everyday sounds are "no speech"; spoken
sentences are speech."""
from __future__ import annotations

import numpy as np
import pytest

from emotion.audio import SAMPLE_RATE, load_audio
from emotion.speech import (
    MAX_BEAT_STRENGTH,
    MIN_SPEECH_SECONDS,
    beat_strength,
    detect_speech,
    gate_speech,
    vad_speech_seconds,
)
from media import add_noise, clicks, coloured_noise, gated, hum, tone
from music import free_melody, music
from sounds import everyday

SECONDS = 3.0
N = int(SECONDS * SAMPLE_RATE)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


NOT_SPEECH = {
    "digital silence": lambda: np.zeros(N, np.float32),
    "quiet room noise": lambda: coloured_noise(N, 1.0, rng(), rms=1e-4),
    "white noise": lambda: coloured_noise(N, 0.0, rng(), rms=0.1),
    "pink noise": lambda: coloured_noise(N, 1.0, rng(), rms=0.1),
    "brown noise": lambda: coloured_noise(N, 2.0, rng(), rms=0.1),
    "loud white noise": lambda: np.clip(coloured_noise(N, 0.0, rng(), rms=0.5), -1, 1),
    "50 Hz hum": lambda: hum(50),
    "60 Hz hum": lambda: hum(60),
    "100 Hz tone": lambda: tone(100, SECONDS),
    "220 Hz tone": lambda: tone(220, SECONDS),
    "440 Hz tone": lambda: tone(440, SECONDS),
    "1 kHz tone": lambda: tone(1000, SECONDS),
    "square wave": lambda: np.sign(tone(150, SECONDS)).astype(np.float32) * 0.3,
    "clicks": clicks,
    "fast clicks": lambda: clicks(0.05),
    "beeping 440 Hz": lambda: gated(tone(440, SECONDS)),
    "beeping 300 Hz": lambda: gated(tone(300, SECONDS), 0.1, 0.3),
    "beeping 150 Hz": lambda: gated(tone(150, SECONDS), 0.5, 0.2),
    "bursts of noise": lambda: gated(coloured_noise(N, 0.0, rng(), rms=0.2)),
    "tone in noise": lambda: tone(220, SECONDS, amp=0.2) + coloured_noise(N, 1.0, rng(), rms=0.05),
}


@pytest.mark.parametrize("name", sorted(NOT_SPEECH))
def test_sounds_that_are_not_speech(name):
    activity = detect_speech(NOT_SPEECH[name]())
    assert not activity.has_speech, f"{name} was taken for speech"
    assert activity.reason
    assert activity.duration == pytest.approx(SECONDS)


def test_silence_says_silence():
    assert detect_speech(np.zeros(N, np.float32)).reason == "silence"
    assert detect_speech(coloured_noise(N, 0.0, rng(), rms=1e-4)).reason == "silence"


def test_steady_tone_says_so():
    assert "steady" in detect_speech(gated(tone(440, SECONDS))).reason


@pytest.fixture(scope="module")
def sentences(speech_files) -> dict[str, np.ndarray]:
    return {name: load_audio(path) for name, path in speech_files.items()}


def test_fixture_sentences_are_there(sentences):
    assert set(sentences) == {"neutral", "happy", "angry"}


@pytest.mark.parametrize("name", ["neutral", "happy", "angry"])
def test_synthesised_sentences_are_speech(sentences, name):
    activity = detect_speech(sentences[name])
    assert activity.has_speech and activity.reason == ""
    assert activity.voiced_seconds > 1.0


@pytest.mark.parametrize("name", ["neutral", "happy", "angry"])
@pytest.mark.parametrize("exponent", [0.0, 1.0])
def test_speech_in_noise_at_10_db_snr(sentences, name, exponent):
    x = sentences[name]
    noise = coloured_noise(len(x), exponent, rng(3), rms=float(np.sqrt(np.mean(x ** 2)) / np.sqrt(10)))
    assert detect_speech(x + noise).has_speech


def test_speech_in_white_noise_helper_at_10_db(sentences):
    assert detect_speech(add_noise(sentences["neutral"], 10, rng(4))).has_speech


def test_quiet_speech_is_still_speech(sentences):
    assert detect_speech(sentences["neutral"] * 0.02).has_speech


def test_speech_over_mains_hum(sentences):
    x = sentences["neutral"]
    assert detect_speech(x + np.resize(hum(50), len(x)) * 0.3).has_speech


@pytest.mark.parametrize("seconds", [0.02, 0.1, 0.2, 0.29])
def test_very_short_clips_are_not_speech(sentences, seconds):
    x = sentences["neutral"]
    activity = detect_speech(x)
    # the most strongly voiced stretch of the sentence, cut short
    start = int(np.flatnonzero(activity.frames)[len(np.flatnonzero(activity.frames)) // 3] * 160)
    clip = x[start:start + int(seconds * SAMPLE_RATE)]
    assert not detect_speech(clip).has_speech


def test_empty_audio_is_not_speech():
    activity = detect_speech(np.zeros(0, np.float32))
    assert not activity.has_speech and activity.duration == 0


def test_span_covers_the_speech_between_silences(sentences):
    x = sentences["happy"]
    padded = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), x, np.zeros(2 * SAMPLE_RATE, np.float32)])
    activity = detect_speech(padded)
    start, end = activity.span(pad_seconds=0.2)
    own_start, own_end = detect_speech(x).span(pad_seconds=0.0)
    assert activity.has_speech
    tolerance = 0.05 * SAMPLE_RATE  # frames straddling the clip's own edges
    assert abs(start - (SAMPLE_RATE + own_start - 0.2 * SAMPLE_RATE)) <= tolerance
    assert abs(end - (SAMPLE_RATE + own_end + 0.2 * SAMPLE_RATE)) <= tolerance
    assert activity.frames[: SAMPLE_RATE // 160 - 30].sum() == 0  # nothing in the leading silence


def test_span_of_no_speech_is_the_whole_clip():
    assert detect_speech(np.zeros(N, np.float32)).span() == (0, N)


# --- music -------------------------------------------------------------------------------------

MUSIC = music()


@pytest.mark.parametrize("name", sorted(MUSIC))
def test_music_is_not_speech(name):
    activity = detect_speech(MUSIC[name])
    assert not activity.has_speech, f"{name} was taken for speech"
    assert activity.reason


@pytest.mark.parametrize("name", ["piano melody", "flute melody with vibrato", "staccato organ", "fast drum loop",
                                  "band (melody, chords, drums)", "melody over drums"])
def test_voiced_music_is_rejected_as_music(name):
    """These are voiced enough to pass the tone checks: held notes or the beat give them away."""
    assert detect_speech(MUSIC[name]).reason in ("no speech (music: a steady beat)",
                                                 "no speech (music: notes of steady pitch)",
                                                 "no speech (music: notes with vibrato)")
    assert beat_strength(MUSIC[name]) > MAX_BEAT_STRENGTH


@pytest.mark.parametrize("timbre", ["piano", "flute"])  # sustained organ or strings: "steady sound"
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_melody_without_a_beat_is_rejected_for_its_held_notes(timbre, seed):
    melody = free_melody(seed, timbre)
    assert beat_strength(melody) < MAX_BEAT_STRENGTH  # the beat check alone would let it through
    assert detect_speech(melody).reason == "no speech (music: notes of steady pitch)"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("depth", [0.3, 0.5, 1.0])
def test_flute_melody_with_vibrato_and_no_beat_is_rejected_for_its_vibrato(seed, depth):
    melody = free_melody(seed, "flute", vibrato=depth)
    assert beat_strength(melody) < MAX_BEAT_STRENGTH
    assert detect_speech(melody).reason == "no speech (music: notes with vibrato)"


def test_vibrato_strength_sees_a_regular_pitch_swing_and_not_an_intonation():
    from emotion.speech import MIN_VIBRATO, held_pitch_share, vibrato_strength

    t = np.arange(150) / 100  # 1.5 s of 10 ms frames, all voiced
    voiced = np.ones(len(t), bool)
    centre = SAMPLE_RATE / 220.0  # period (samples) of 220 Hz
    swing = centre * 2 ** (-0.5 * np.sin(2 * np.pi * 5.5 * t) / 12)  # +-0.5 semitone at 5.5 Hz
    jitter = np.random.default_rng(0).normal(0, 0.1, len(t))
    glide = centre * 2 ** (-(4 * np.sin(np.pi * t / 1.5) + jitter) / 12)  # up 4 semitones and down, with jitter
    assert vibrato_strength(voiced, swing) > MIN_VIBRATO
    assert vibrato_strength(voiced, glide) < MIN_VIBRATO
    assert vibrato_strength(voiced, np.full(len(t), centre)) == 0.0  # no movement at all
    assert held_pitch_share(voiced, swing, smooth=18, tolerance=0.05) > 0.8  # the centre holds still
    assert held_pitch_share(voiced, swing) < 0.5  # frame to frame it never does


@pytest.mark.parametrize("name", ["neutral", "happy", "angry"])
def test_sentences_have_no_beat(sentences, name):
    assert beat_strength(sentences[name]) < MAX_BEAT_STRENGTH - 0.15


@pytest.mark.parametrize("name", ["neutral", "happy", "angry"])
@pytest.mark.parametrize("snr_db", [20, 10, 0])
def test_speech_over_background_music_is_speech(sentences, name, snr_db):
    x = sentences[name]
    band = np.resize(MUSIC["band (melody, chords, drums)"], len(x))
    band = band / np.sqrt(np.mean(band ** 2)) * np.sqrt(np.mean(x ** 2)) / 10 ** (snr_db / 20)
    assert detect_speech(x + band).has_speech


def test_beat_strength_of_short_or_empty_sounds_is_zero():
    assert beat_strength(np.zeros(0, np.float32)) == 0.0
    assert beat_strength(MUSIC["drum loop"][: SAMPLE_RATE // 2]) == 0.0
    assert beat_strength(np.zeros(N, np.float32)) == 0.0


def _bursts(times: list[float], seconds: float) -> np.ndarray:
    """Short noise bursts (30 ms) at `times` in an otherwise silent sound."""
    rng = np.random.default_rng(0)
    x = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    for t in times:
        i = int(t * SAMPLE_RATE)
        x[i:i + 480] = rng.normal(0, 0.3, 480)
    return x


def test_a_beat_must_repeat_three_times_to_count():
    """Two onsets 0.8 s apart are chance (a RAVDESS sentence was once rejected so); a steady run of them is a beat."""
    assert beat_strength(_bursts([0.1, 0.9, 1.7], 2.0)) < MAX_BEAT_STRENGTH  # two gaps of 0.8 s
    assert beat_strength(_bursts([0.1 + 0.4 * k for k in range(6)], 2.3)) > MAX_BEAT_STRENGTH


# --- the voice activity detector after the gate ----------------------------------------------------

EVERYDAY = everyday()
VAD_SAYS_NO = "no speech (the voice detector heard no voice)"


@pytest.mark.parametrize("name", sorted(EVERYDAY))
def test_everyday_sounds_are_not_speech(name):
    assert not detect_speech(EVERYDAY[name]).has_speech, f"{name} was taken for speech"


@pytest.mark.parametrize("sound", ["birdsong", "whistling", "footsteps", "dog barking"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_voice_detector_rejects_what_the_gate_takes_for_a_voice(sound, seed):
    x = EVERYDAY[f"{sound}, seed {seed}"]
    assert gate_speech(x).has_speech  # the hand-written gate alone is fooled
    activity = detect_speech(x)
    assert activity.reason == VAD_SAYS_NO
    assert not activity.frames.any() and activity.voiced_seconds == 0.0
    assert len(activity.frames) == len(gate_speech(x).frames)


@pytest.mark.parametrize("name", ["neutral", "happy", "angry"])
def test_speech_keeps_the_gates_frames(sentences, name):
    gate, both = gate_speech(sentences[name]), detect_speech(sentences[name])
    assert both.has_speech
    assert np.array_equal(gate.frames, both.frames) and gate.voiced_seconds == both.voiced_seconds


def test_vad_hears_the_sentences_and_not_noise_or_silence(sentences):
    assert vad_speech_seconds(sentences["neutral"]) > 1.0
    assert vad_speech_seconds(NOT_SPEECH["pink noise"]()) == 0.0
    assert vad_speech_seconds(np.zeros(N, np.float32)) == 0.0
    assert vad_speech_seconds(np.zeros(100, np.float32)) == 0.0  # shorter than one chunk


def test_vad_stops_listening_once_it_has_heard_enough(sentences):
    heard = vad_speech_seconds(sentences["neutral"], enough=MIN_SPEECH_SECONDS)
    assert MIN_SPEECH_SECONDS <= heard < MIN_SPEECH_SECONDS + 0.04


def test_vad_starts_afresh_on_each_call(sentences):
    x = sentences["happy"]
    assert vad_speech_seconds(x) == vad_speech_seconds(x)
    assert vad_speech_seconds(NOT_SPEECH["pink noise"]()) == 0.0  # nothing carried over from the sentence


def test_detect_speech_from_several_threads_at_once(sentences):
    """The VAD keeps state between chunks: each thread has its own, so concurrent calls agree with serial ones."""
    from concurrent.futures import ThreadPoolExecutor

    clips = [sentences["neutral"], EVERYDAY["birdsong, seed 0"], sentences["angry"],
             EVERYDAY["dog barking, seed 1"]] * 2
    serial = [detect_speech(x).reason for x in clips]
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda x: detect_speech(x).reason, clips)) == serial


WARM_THEN_READ = """
import sys
from emotion.audio import load_audio
from emotion.voice import VoiceModel
model = VoiceModel()
model.warm_up()
speech = load_audio(sys.argv[1])
before = set(sys.modules)
reading = model.read(speech)
assert reading.has_speech, reading.reason
print(sorted(set(sys.modules) - before))
"""


@pytest.mark.slow
def test_voice_warm_up_leaves_nothing_to_import_for_the_first_reading():
    """librosa imports scipy lazily on its first STFT, holding the GIL for seconds: in a live stream the first
    voice reading stalled the media. After warm_up, a first real reading imports nothing."""
    import subprocess
    import sys
    from pathlib import Path

    speech = Path(__file__).parent / "fixtures" / "speech.wav"
    result = subprocess.run([sys.executable, "-c", WARM_THEN_READ, str(speech)], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
