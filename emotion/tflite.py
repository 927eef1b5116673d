"""Keras models run as TensorFlow Lite: on a CPU, far faster than Keras calls for small inputs.

TFLite runs a small network in a fraction of a millisecond where a Keras or tf.function call costs
1-2 ms of dispatch alone, and its XNNPACK kernels are fast on any x86 CPU. Used for the face
classifier (int8 weights: 1.2 ms a face on an AVX-512 CPU, 7.9 ms on an AVX2-only one with both cores;
FER2013 val within 0.2 points of the float model) and for MTCNN's three networks (float32, the same
outputs to 1e-6).
benchmarks/face_speed.py and benchmarks/tflite_accuracy.py measure both.
"""
from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from collections import OrderedDict

import numpy as np

MAX_BATCH = 64  # larger batches run in chunks
EXACT_BATCH = 8  # larger chunks are padded to a power of two
# Every batch size an interpreter is made for (for warming up): 1-8, then the powers of two up to MAX_BATCH.
RUN_BATCHES = (*range(1, EXACT_BATCH + 1),
               *(1 << k for k in range(EXACT_BATCH.bit_length(), MAX_BATCH.bit_length())))


class TFLiteModel:
    """A Keras model converted in memory to TFLite; call it on a batch like the Keras model.

    `input_shape` is one input's shape without the batch axis (None for a free axis; defaults to the
    model's own). `int8_weights` quantises the weights (dynamic range). Each input shape gets its own
    interpreter, kept for reuse (up to `max_shapes`), so alternating shapes costs no re-allocation. To
    keep that set and its memory small, a batch runs in chunks of at most MAX_BATCH, and a chunk of more
    than EXACT_BATCH is padded to the next power of two (a live frame's few faces run unpadded).
    Thread-safe: calls run one at a time (sessions share the models).
    """

    def __init__(self, model, input_shape: tuple[int | None, ...] | None = None, int8_weights: bool = False,
                 max_shapes: int = 32) -> None:
        from .runtime import import_tensorflow

        tf = import_tensorflow()
        import keras

        if input_shape is None:
            input_shape = tuple(model.inputs[0].shape[1:])
        inputs = keras.Input(input_shape)
        functional = keras.Model(inputs, model(inputs))  # mtcnn's subclassed networks convert only like this
        converter = tf.lite.TFLiteConverter.from_keras_model(functional)
        if int8_weights:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        with contextlib.redirect_stdout(io.StringIO()):  # the converter prints its export summary
            self.flatbuffer = converter.convert()
        self._tf = tf
        self.max_shapes = max_shapes
        self.threads = os.cpu_count() or 1
        self._interpreters: OrderedDict[tuple[int, ...], tuple] = OrderedDict()
        self._lock = threading.Lock()
        probe = np.zeros((1, *(d or 24 for d in input_shape)), np.float32)
        self._order = self._output_order(model, probe)

    @property
    def size_bytes(self) -> int:
        return len(self.flatbuffer)

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """The input shapes that have an interpreter ready."""
        with self._lock:
            return list(self._interpreters)

    def _output_order(self, model, probe: np.ndarray) -> list[int]:
        """For each of the Keras model's outputs, the index of the matching TFLite output (TFLite may
        reorder them): matched by shape, checked by value."""
        expected = model(probe, training=False)
        expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
        got = self._invoke(probe)
        self._empty = [np.zeros((0, *g.shape[1:]), np.float32) for g in got]  # an empty batch's outputs
        order = []
        for e in expected:
            match = [i for i, g in enumerate(got) if g.shape == e.shape and i not in order]
            if not match:
                raise ValueError(f"TFLite conversion lost an output of shape {e.shape}")
            order.append(min(match, key=lambda i: float(np.abs(got[i] - e).max())))
        return order

    def _interpreter(self, shape: tuple[int, ...]) -> tuple:
        """The interpreter for one input shape (call with the lock held)."""
        if shape in self._interpreters:
            self._interpreters.move_to_end(shape)
            return self._interpreters[shape]
        with warnings.catch_warnings():
            # tf.lite.Interpreter warns that it moves to the ai-edge-litert package; it works in our pinned TF.
            warnings.simplefilter("ignore")
            interpreter = self._tf.lite.Interpreter(model_content=self.flatbuffer, num_threads=self.threads)
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, list(shape))
        interpreter.allocate_tensors()
        entry = (interpreter, index, [o["index"] for o in interpreter.get_output_details()])
        self._interpreters[shape] = entry
        if len(self._interpreters) > self.max_shapes:
            self._interpreters.popitem(last=False)
        return entry

    def _invoke(self, x: np.ndarray) -> list[np.ndarray]:
        n = len(x)
        if n == 0:
            return [e.copy() for e in self._empty]
        if n > MAX_BATCH:
            chunks = [self._invoke(x[i:i + MAX_BATCH]) for i in range(0, n, MAX_BATCH)]
            return [np.concatenate(parts) for parts in zip(*chunks)]
        padded = n if n <= EXACT_BATCH else 1 << (n - 1).bit_length()
        if padded > n:
            x = np.concatenate([x, np.zeros((padded - n, *x.shape[1:]), x.dtype)])
        with self._lock:
            interpreter, index, outputs = self._interpreter(tuple(x.shape))
            interpreter.set_tensor(index, x)
            interpreter.invoke()
            return [interpreter.get_tensor(o)[:n].copy() for o in outputs]

    def __call__(self, x) -> np.ndarray | tuple[np.ndarray, ...]:
        """The model's outputs for a batch `x`: one array, or a tuple in the Keras model's order."""
        got = self._invoke(np.ascontiguousarray(x, dtype=np.float32))
        out = tuple(got[i] for i in self._order)
        return out[0] if len(out) == 1 else out
