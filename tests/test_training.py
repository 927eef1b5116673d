"""Training plumbing: mask augmentation copies and resumable fits that can be shortened or lengthened."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest


def test_masked_copies_cover_the_lower_face_only():
    from emotion.train.face import masked_copies

    rng = np.random.default_rng(1)
    faces = rng.integers(0, 256, (5, 48, 48, 1), dtype=np.uint8)
    masked = masked_copies(faces)
    assert masked.shape == faces.shape and masked.dtype == np.uint8
    changed = masked != faces
    assert not changed[:, :20].any()           # eyes and brows untouched
    assert changed[:, 34:44, 10:38].mean() > 0.9  # mouth and chin covered


def _tiny_model(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    return model


@pytest.mark.slow
def test_resumable_fit_continues_and_restretches_the_schedule(tmp_path):
    from emotion.runtime import import_tensorflow

    import_tensorflow()
    import keras

    from emotion.train.common import cosine_schedule, resumable_fit

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = keras.utils.to_categorical(np.arange(32) % 3, 3)
    steps_per_epoch = 4

    def run(epochs: int):
        def build():
            model = _tiny_model(keras)
            model.compile(keras.optimizers.SGD(cosine_schedule(0.1, steps_per_epoch * epochs, steps_per_epoch)),
                          "categorical_crossentropy")
            return model

        def fit(model, initial_epoch, callbacks):
            model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=0)

        return resumable_fit(tmp_path, build, fit, total_steps=steps_per_epoch * epochs)

    run(2)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
    model = run(5)  # resume: three more epochs, schedule now ends at epoch 5
    state = json.loads((tmp_path / "state.json").read_text())
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3, 4, 5]
    schedule = model.optimizer._learning_rate
    assert schedule.decay_steps == steps_per_epoch * 5 - steps_per_epoch
    assert int(model.optimizer.iterations.numpy()) == steps_per_epoch * 5


@pytest.mark.slow
def test_mixup_blends_inputs_and_labels_by_the_same_amount():
    from emotion.runtime import import_tensorflow

    tf = import_tensorflow()
    from emotion.train.common import mixup

    x = tf.constant(np.arange(6, dtype="float32")[:, None, None] * np.ones((6, 2, 3), "float32"))
    y = tf.one_hot(np.arange(6), 6)
    xm, ym = (t.numpy() for t in mixup(x, y, 0.4))
    assert np.allclose(ym.sum(1), 1.0)
    lam = ym[np.arange(6), np.arange(6)]  # weight kept on each example's own label (the partner is the reversed batch)
    assert np.allclose(ym[np.arange(6), 5 - np.arange(6)] + lam, 1.0, atol=1e-6)
    assert np.allclose(xm[:, 0, 0], lam * np.arange(6) + (1 - lam) * np.arange(6)[::-1], atol=1e-5)
    assert np.all((lam >= 0) & (lam <= 1)) and not np.allclose(lam, 1.0)  # something was mixed


def test_training_precision_uses_bfloat16_only_where_the_cpu_computes_it(tmp_path):
    from emotion.runtime import import_tensorflow
    from emotion.train.common import training_precision

    if import_tensorflow().config.list_physical_devices("GPU"):
        pytest.skip("a GPU always trains in bfloat16")
    intel = tmp_path / "intel"
    intel.write_text("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_tile\n")
    amd = tmp_path / "amd"
    amd.write_text("flags\t\t: fpu sse2 avx2 fma\n")
    assert training_precision(intel) == "mixed_bfloat16"
    assert training_precision(amd) == "float32"
    assert training_precision(tmp_path / "missing") == "float32"


def test_face_batches_reshuffle_and_mask_a_share_of_faces_each_epoch():
    from emotion.train.face_augment import FaceBatches

    n = 245  # face i is filled with the value i, so every face in a batch can be traced back
    x = np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None, None], (n, 48, 48, 1)).copy()
    y = np.arange(n) % 7
    masked = np.full_like(x, 255)
    batches = FaceBatches(x, y, 32, 7, masked, mask_prob=0.25, seed=1)
    assert len(batches) == 8  # 7 full batches and one of 21

    def epoch():
        xs, ys = zip(*(batches[i] for i in range(len(batches))))
        return np.concatenate(xs), np.concatenate(ys)

    x1, y1 = epoch()
    assert x1.shape == (n, 48, 48, 1) and x1.dtype == np.float32 and y1.shape == (n, 7)
    is_masked = x1[:, 0, 0, 0] == 255
    assert 0.15 < is_masked.mean() < 0.35
    shown = x1[~is_masked, 0, 0, 0].astype(int)
    assert np.array_equal(y1[~is_masked].argmax(1), shown % 7)  # labels travel with their faces
    assert not np.array_equal(shown, np.sort(shown))  # shuffled
    masked_before = set(batches.order[is_masked])
    batches.on_epoch_end()
    x2, _ = epoch()
    masked_after = set(batches.order[x2[:, 0, 0, 0] == 255])
    assert masked_before != masked_after  # masks drawn anew
    assert len(set(x2[x2[:, 0, 0, 0] != 255, 0, 0, 0].astype(int)) | masked_after) == n  # every face once


def test_random_erase_replaces_one_rectangle_on_the_given_share_of_faces():
    from emotion.train.face_augment import RandomErase

    x = np.full((400, 48, 48, 1), 128.0, np.float32)
    erase = RandomErase(0.5, seed=3)
    assert np.array_equal(np.asarray(erase(x, training=False)), x)
    out = np.asarray(erase(x, training=True))
    changed = (out != 128.0)[..., 0]
    share = changed.any(axis=(1, 2))
    assert 0.4 < share.mean() < 0.6
    area = changed[share].mean(axis=(1, 2))
    assert area.max() <= 0.2 and np.median(area) > 0.02  # 2-15% of the face (noise can hit 128 itself)
    rows, cols = changed[share].any(axis=2), changed[share].any(axis=1)
    bbox = rows.sum(1) * cols.sum(1)
    assert np.all(changed[share].sum(axis=(1, 2)) >= 0.9 * bbox)  # one filled rectangle
    assert 0 <= out.min() and out.max() <= 255


def _fake_fer(root, n_per_class: int = 3) -> None:
    import cv2

    rng = np.random.default_rng(0)
    from emotion.labels import EMOTIONS

    for split in ("train", "val"):
        for label in EMOTIONS:
            (root / split / label).mkdir(parents=True)
            for i in range(n_per_class):
                cv2.imwrite(str(root / split / label / f"{i}.png"), rng.integers(0, 256, (48, 48), dtype=np.uint8))


def test_choice_and_val_faces_take_every_8th_training_face_and_all_of_val(tmp_path, monkeypatch):
    from emotion.train.face import choice_and_val_faces, load_face_folder

    monkeypatch.chdir(tmp_path)  # the decoded-image cache goes to ./.cache
    _fake_fer(tmp_path / "fer", n_per_class=4)
    splits = choice_and_val_faces(tmp_path / "fer")
    assert list(splits) == ["train (every 8th)", "val"]
    x_train, y_train = load_face_folder(tmp_path / "fer" / "train")
    x, y = splits["train (every 8th)"]
    assert len(x) == 4 and np.array_equal(x, x_train[::8]) and np.array_equal(y, y_train[::8])
    assert len(splits["val"][0]) == 28
    with pytest.raises(FileNotFoundError, match="train/train is missing"):
        choice_and_val_faces(tmp_path / "fer" / "train")  # a folder without train/ and val/
    shutil.rmtree(tmp_path / "fer" / "val")
    with pytest.raises(FileNotFoundError, match=r"fer/val is missing"):
        choice_and_val_faces(tmp_path / "fer")


@pytest.mark.slow
def test_train_face_runs_resumes_and_exports_a_model_the_app_loads(tmp_path, monkeypatch, keep_keras_policy):
    from emotion.train.face import train_face

    monkeypatch.chdir(tmp_path)  # the decoded-image cache goes to ./.cache
    _fake_fer(tmp_path / "fer")
    run, out = tmp_path / "run", tmp_path / "face.keras"
    kwargs = dict(batch_size=8, lr=0.01, out=out, mask_prob=0.5, warmup_epochs=1, erase_prob=0.5)
    train_face(tmp_path / "fer", run, 1, **kwargs)
    assert json.loads((run / "state.json").read_text())["epoch"] == 1
    result = train_face(tmp_path / "fer", run, 2, **kwargs)  # resumes for one more epoch
    assert [h["epoch"] for h in json.loads((run / "state.json").read_text())["history"]] == [1, 2]
    assert set(result) == {"val_accuracy", "val_accuracy_flip_tta"}

    from emotion.face import FaceModel

    model = FaceModel(out)  # what the app loads: the plain model, without the augmenter
    assert model.model.name == "moodlens_face" and model.model.output_shape == (None, 7)
    probs = model.predict(np.random.default_rng(1).integers(0, 256, (2, 48, 48), dtype=np.uint8))
    assert probs.shape == (2, 7) and np.allclose(probs.sum(1), 1.0, atol=1e-3)


def test_train_face_average_last_exports_the_mean_of_the_last_epochs(tmp_path, monkeypatch, keep_keras_policy):
    import keras

    from emotion import layers  # noqa: F401
    from emotion.train.common import epoch_export_path
    from emotion.train.face import train_face

    monkeypatch.chdir(tmp_path)
    _fake_fer(tmp_path / "fer")
    run, out = tmp_path / "run", tmp_path / "face.keras"
    kwargs = dict(batch_size=8, lr=0.05, out=out, warmup_epochs=1)
    train_face(tmp_path / "fer", run, 1, **kwargs)  # without the option: no epoch is kept
    assert not epoch_export_path(run, 1).exists()
    result = train_face(tmp_path / "fer", run, 3, average_last=2, **kwargs)  # resumed with it
    assert result["averaged_epochs"] == [2, 3] and not epoch_export_path(run, 1).exists()

    epochs = [keras.models.load_model(epoch_export_path(run, e), compile=False).get_weights() for e in (2, 3)]
    exported = keras.models.load_model(out, compile=False).get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(*epochs))  # the two epochs differ ...
    for a, b, mean in zip(*epochs, exported):  # ... and the exported model is their mean
        np.testing.assert_allclose(mean, (a + b) / 2, rtol=1e-5, atol=1e-6)


def test_gpu_pack_round_trips_the_training_files_byte_for_byte(tmp_path):
    from emotion.train.gpu_pack import pack_split, unpack_split

    _fake_fer(tmp_path / "fer", n_per_class=2)
    (tmp_path / "fer" / "train" / "happy" / "extra.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    assert pack_split(tmp_path / "fer" / "train", tmp_path / "fer.npz") == 15
    split = unpack_split(tmp_path / "fer.npz", tmp_path / "out")
    assert split == tmp_path / "out" / "train"

    def contents(root):
        return {folder.name: sorted((f.suffix, f.read_bytes()) for f in folder.iterdir()) for folder in root.iterdir()}

    assert contents(split) == contents(tmp_path / "fer" / "train")
