"""Audio loading: every common format, bit depth, channel count and rate -> mono float32 at 16 kHz."""
from __future__ import annotations

import numpy as np
import pytest

from emotion import audio
from emotion.audio import SAMPLE_RATE, AudioError, decode_audio, load_audio, to_mono_16k
from media import av_bytes, dominant_frequency, png_bytes, soundfile_bytes, tone


def check_tone(out: np.ndarray, seconds: float, freq: float, amp: float, length_tolerance: float = 0.0,
               amp_tolerance: float = 0.03) -> None:
    """`out` is mono float32 at 16 kHz, as long as the original, holding a `freq` tone at `amp`."""
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - seconds * SAMPLE_RATE) <= length_tolerance * SAMPLE_RATE + 1
    assert abs(dominant_frequency(out) - freq) < 3
    middle = out[len(out) // 4: 3 * len(out) // 4]  # away from codec ramps at the ends
    assert abs(np.sqrt(2) * middle.std() - amp) < amp_tolerance
    assert np.abs(out).max() <= 1.0


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_bit_depths(subtype):
    data = soundfile_bytes(tone(440, 1.0, amp=0.5), SAMPLE_RATE, "WAV", subtype)
    check_tone(decode_audio(data, "a.wav"), 1.0, 440, 0.5)


@pytest.mark.parametrize("rate", [8_000, 11_025, 22_050, 44_100, 48_000, 96_000])
def test_sample_rates_are_resampled_to_16k(rate):
    data = soundfile_bytes(tone(440, 1.5, rate, amp=0.4), rate, "WAV", "PCM_16")
    check_tone(decode_audio(data), 1.5, 440, 0.4)


def test_frequencies_above_8khz_are_removed_when_resampling():
    x = tone(440, 1.0, 48_000, 0.3) + tone(12_000, 1.0, 48_000, 0.3)
    out = decode_audio(soundfile_bytes(x, 48_000, "WAV", "FLOAT"))
    check_tone(out, 1.0, 440, 0.3)  # only the 440 Hz tone is left (12 kHz is above Nyquist at 16 kHz)


def test_stereo_is_mixed_to_mono():
    left, right = tone(300, 1.0, amp=0.6), tone(1000, 1.0, amp=0.2)
    out = decode_audio(soundfile_bytes(np.stack([left, right], 1), SAMPLE_RATE, "WAV", "PCM_16"))
    assert out.ndim == 1 and len(out) == SAMPLE_RATE
    np.testing.assert_allclose(out, (left + right) / 2, atol=2e-4)


def test_opposite_channels_cancel():
    x = tone(300, 0.5, amp=0.5)
    out = decode_audio(soundfile_bytes(np.stack([x, -x], 1), SAMPLE_RATE, "WAV", "FLOAT"))
    assert np.abs(out).max() < 1e-6


def test_six_channel_wav():
    x = np.stack([tone(500, 0.5, amp=0.3)] * 6, 1)
    check_tone(decode_audio(soundfile_bytes(x, SAMPLE_RATE, "WAV", "PCM_16")), 0.5, 500, 0.3)


@pytest.mark.parametrize("fmt, subtype, rate, length_tolerance", [
    ("FLAC", "PCM_16", 16_000, 0.0),
    ("FLAC", "PCM_24", 44_100, 0.0),
    ("OGG", "VORBIS", 44_100, 0.0),
    ("OGG", "OPUS", 48_000, 0.03),
    ("MP3", "MPEG_LAYER_III", 44_100, 0.08),
    ("AIFF", "PCM_16", 22_050, 0.0),
    ("AU", "PCM_16", 8_000, 0.0),
])
def test_compressed_and_other_formats_via_soundfile(fmt, subtype, rate, length_tolerance):
    data = soundfile_bytes(tone(440, 2.0, rate, 0.4), rate, fmt, subtype)
    check_tone(decode_audio(data, f"x.{fmt.lower()}"), 2.0, 440, 0.4, length_tolerance, amp_tolerance=0.05)


@pytest.mark.parametrize("container, codec, rate", [
    ("ipod", "aac", 44_100),  # .m4a
    ("mp4", "aac", 48_000),
    ("mp3", "libmp3lame", 44_100),
    ("webm", "libopus", 48_000),  # what browsers record
    ("ogg", "libopus", 48_000),
])
def test_formats_decoded_by_ffmpeg(container, codec, rate):
    data = av_bytes(tone(440, 2.0, rate, 0.4), rate, container, codec)
    check_tone(decode_audio(data, f"x.{container}"), 2.0, 440, 0.4, length_tolerance=0.1, amp_tolerance=0.05)


def test_clipped_float_samples_are_clipped_to_unit_range():
    x = tone(200, 0.5, amp=3.0)  # far beyond full scale
    out = decode_audio(soundfile_bytes(x, SAMPLE_RATE, "WAV", "FLOAT"))
    assert out.max() == pytest.approx(1.0) and out.min() == pytest.approx(-1.0)


def test_long_recordings_are_cut_at_max_seconds(monkeypatch):
    monkeypatch.setattr(audio, "MAX_SECONDS", 2)
    wav = soundfile_bytes(tone(440, 5.0, 22_050, 0.3), 22_050, "WAV", "PCM_16")
    assert len(decode_audio(wav)) == 2 * SAMPLE_RATE
    m4a = av_bytes(tone(440, 5.0, 44_100, 0.3), 44_100, "ipod", "aac")
    assert len(decode_audio(m4a)) == 2 * SAMPLE_RATE


def test_zero_length_wav_raises():
    data = soundfile_bytes(np.zeros(0, np.float32), SAMPLE_RATE, "WAV", "PCM_16")
    with pytest.raises(AudioError, match="^empty.wav: .*no samples"):
        decode_audio(data, "empty.wav")


def test_empty_file_raises():
    with pytest.raises(AudioError, match="^nothing.mp3: the file is empty"):
        decode_audio(b"", "nothing.mp3")


@pytest.mark.parametrize("data", [
    b"this is a text file, not a recording\n" * 50,
    bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8)),
    b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a WAV header cut short
    b"fLaC\x00\x00\x00\x22" + b"\x00" * 40,  # a FLAC signature with a broken stream header
    b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 500,  # an ID3 tag and no MP3 frames
    png_bytes(np.zeros((8, 8, 3), np.uint8)),
])
def test_not_audio_raises_audio_error(data):
    with pytest.raises(AudioError, match="^clip.wav: not a readable audio file"):
        decode_audio(data, "clip.wav")


def test_video_without_sound_track_raises():
    import io

    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(AudioError, match="^silent_film.mp4: the file has no sound track"):
        decode_audio(buf.getvalue(), "silent_film.mp4")


def _wav_header(rate: int, seconds_declared: float, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV header declaring `rate` and a data chunk of `seconds_declared`, plus 1 KB of it."""
    import struct

    size = int(rate * seconds_declared) * 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", size) + bytes(1024))


@pytest.mark.parametrize("rate", [1, 10, 500, 5_000_000])
def test_absurd_sample_rates_are_refused(monkeypatch, rate):
    """A 1.8 KB WAV declaring 1 Hz was resampled to 15 minutes of audio and took 5.8 GB."""
    monkeypatch.setattr(audio, "_Mono16k", lambda *a: pytest.fail("resampled an absurd sample rate"))
    with pytest.raises(AudioError, match=rf"^tiny.wav: a sample rate of {rate} Hz is not a sound recording"):
        decode_audio(_wav_header(rate, 1.0), "tiny.wav")


def test_lowest_and_highest_sample_rates_are_read():
    for rate in (audio.MIN_RATE, 192_000):
        out = decode_audio(soundfile_bytes(tone(100, 1.0, rate, 0.3), rate, "WAV", "PCM_16"))
        assert abs(len(out) - SAMPLE_RATE) <= 1


def test_files_are_decoded_a_block_at_a_time(monkeypatch):
    """Eight channels at 96 kHz: no read asks for more than one block of samples."""
    import soundfile as sf

    monkeypatch.setattr(audio, "_BLOCK_SAMPLES", 8 * 4096)
    asked = []
    real_read = sf.SoundFile.read
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, frames=-1, *a, **k: (
        asked.append(frames), real_read(self, frames, *a, **k))[1])
    x = np.repeat(tone(440, 2.0, 96_000, 0.4)[:, None], 8, axis=1)
    out = decode_audio(soundfile_bytes(x, 96_000, "WAV", "PCM_16"))
    check_tone(out, 2.0, 440, 0.4)
    assert asked and max(asked) <= 4096


def test_truncated_wav_keeps_what_is_there():
    """A WAV cut in the middle is readable up to the cut (like a recording that was stopped)."""
    data = soundfile_bytes(tone(440, 2.0, amp=0.4), SAMPLE_RATE, "WAV", "PCM_16")
    out = decode_audio(data[: len(data) // 2])
    assert abs(len(out) - SAMPLE_RATE) < 200
    assert abs(dominant_frequency(out) - 440) < 3


def test_load_audio_from_path_bytes_and_missing_file(tmp_path):
    data = soundfile_bytes(tone(440, 1.0, amp=0.4), SAMPLE_RATE, "FLAC", "PCM_16")
    path = tmp_path / "a.flac"
    path.write_bytes(data)
    np.testing.assert_array_equal(load_audio(path), load_audio(data))
    with pytest.raises(AudioError, match="^gone.wav: cannot be read"):
        load_audio(tmp_path / "gone.wav")


def test_to_mono_16k_scales_integer_pcm():
    np.testing.assert_allclose(to_mono_16k(np.array([-32768, 0, 16384], np.int16), SAMPLE_RATE),
                               [-1.0, 0.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(to_mono_16k(np.array([0, 128, 192], np.uint8), SAMPLE_RATE),
                               [-1.0, 0.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(to_mono_16k(np.array([[-2**31, 2**30]], np.int32), SAMPLE_RATE), [-0.25], atol=1e-6)


def test_to_mono_16k_replaces_nan_and_inf():
    out = to_mono_16k(np.array([np.nan, np.inf, -np.inf, 0.25], np.float32), SAMPLE_RATE)
    np.testing.assert_array_equal(out, np.array([0.0, 1.0, -1.0, 0.25], np.float32))
