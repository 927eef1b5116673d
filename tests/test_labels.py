"""Label names: synonyms, dataset file-name conventions, and labels for paths."""
import pytest

from emotion.labels import (
    EMOTIONS,
    VALENCE,
    label_for_path,
    label_from_filename,
    normalise,
    speaker_from_filename,
    valence,
)


def test_emotions_are_the_seven_in_a_fixed_order():
    assert EMOTIONS == ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


@pytest.mark.parametrize("name, expected", [
    ("anger", "angry"), ("Angry", "angry"), ("happiness", "happy"), ("HAPPY", "happy"),
    ("fearful", "fear"), ("sadness", "sad"), ("surprised", "surprise"),
    ("pleasant_surprise", "surprise"), ("Pleasant Surprise", "surprise"), ("pleasant-surprised", "surprise"),
    ("ps", "surprise"), ("calm", "neutral"), ("contempt", "disgust"), ("disgusted", "disgust"),
    ("  neutral ", "neutral"),
    # dataset folder names with a prefix or suffix
    ("OAF_angry", "angry"), ("YAF_pleasant_surprise", "surprise"), ("03_happy", "happy"), ("sad_faces", "sad"),
])
def test_normalise_synonyms(name, expected):
    assert normalise(name) == expected


@pytest.mark.parametrize("name", ["", "boredom", "unknown", "images", "Actor_01", "data", "__MACOSX", "happ"])
def test_normalise_unknown_names_give_none(name):
    assert normalise(name) is None


@pytest.mark.parametrize("stem, expected", [
    # RAVDESS: modality-channel-EMOTION-intensity-statement-repetition-actor
    ("03-01-01-01-01-01-01", "neutral"), ("03-01-02-02-01-02-05", "neutral"),  # calm -> neutral
    ("03-01-03-01-02-01-12", "happy"), ("03-01-04-02-02-02-20", "sad"), ("03-01-05-01-01-01-07", "angry"),
    ("03-01-06-01-01-01-07", "fear"), ("03-01-07-01-01-01-07", "disgust"), ("03-01-08-02-02-01-18", "surprise"),
    # TESS: speaker_word_emotion
    ("OAF_back_angry", "angry"), ("YAF_youth_happy", "happy"), ("OAF_base_ps", "surprise"),
    ("YAF_bath_pleasant_surprise", "surprise"), ("YAF_chat_fear", "fear"), ("OAF_dog_sad", "sad"),
    # CREMA-D: actor_sentence_EMOTION_level
    ("1001_DFA_ANG_XX", "angry"), ("1091_IEO_HAP_HI", "happy"), ("1012_TIE_NEU_XX", "neutral"),
    ("1055_ITS_FEA_LO", "fear"), ("1020_MTI_DIS_MD", "disgust"), ("1077_WSI_SAD_XX", "sad"),
    # SAVEE: [speaker_]emotion+number
    ("DC_a01", "angry"), ("JE_d05", "disgust"), ("JK_f11", "fear"), ("KL_h03", "happy"), ("n30", "neutral"),
    ("DC_sa02", "sad"), ("su15", "surprise"),
    # EmoDB: speaker, text, EMOTION letter (German), version
    ("03a01Wa", "angry"), ("08b02Eb", "disgust"), ("10a05Ab", "fear"), ("16b10Fc", "happy"), ("11a04Na", "neutral"),
    ("13b09Ta", "sad"),
])
def test_label_from_filename(stem, expected):
    assert label_from_filename(stem) == expected


@pytest.mark.parametrize("stem", [
    "03a01La",  # EmoDB boredom: not one of the seven
    "03-01-09-01-01-01-01",  # RAVDESS has no emotion 09
    "PublicTest_10130075", "IMG_2044", "happy", "my_angry_voice", "1001_DFA_XXX_XX", "",
])
def test_label_from_filename_without_a_known_convention(stem):
    assert label_from_filename(stem) is None


@pytest.mark.parametrize("path, expected", [
    ("data/happy/img001.png", "happy"),
    ("upload/Anger/face.jpg", "angry"),
    ("set/fearful/train/x.jpg", "fear"),  # nearest folder that names an emotion
    ("sad/happy/x.jpg", "happy"),  # the nearest one wins
    ("Actor_03/03-01-05-01-01-01-03.flac", "angry"),  # file name convention
    ("happy/03-01-04-01-01-01-03.wav", "sad"),  # the file name wins over the folder
    ("tess/OAF_pleasant_surprise/OAF_back_ps.flac", "surprise"),
    ("calm/clip.wav", "neutral"),
    ("misc/clip.wav", None),
    ("clip.wav", None),
])
def test_label_for_path(path, expected):
    assert label_for_path(path) == expected


def test_valence_groups():
    assert {e for e in EMOTIONS if valence(e) == "positive"} == {"happy", "surprise"}
    assert {e for e in EMOTIONS if valence(e) == "negative"} == {"angry", "disgust", "fear", "sad"}
    assert valence("neutral") == "neutral"
    assert set(VALENCE) == set(EMOTIONS)


@pytest.mark.parametrize("stem, speaker", [
    ("03-01-05-01-02-01-12", "RAVDESS actor 12"), ("1001_DFA_ANG_XX", "CREMA-D speaker 1001"),
    ("03a01Fa", "EmoDB speaker 03"), ("DC_a01", "SAVEE speaker DC"), ("OAF_back_angry", "TESS speaker OAF"),
    ("yaf_word_ps", "TESS speaker YAF"), ("a01", None), ("happy", None), ("03-01-05-01-02-01", None)])
def test_speaker_from_filename(stem, speaker):
    assert speaker_from_filename(stem) == speaker
