"""Accuracy of the face model as an int8 dynamic-range TFLite model on FER2013 val (flip-averaged).

    python benchmarks/tflite_accuracy.py [../shared/data/face/fer2013/val]
"""
import sys, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from emotion.runtime import import_tensorflow
tf = import_tensorflow()
import keras, emotion.layers
from emotion.train.face import load_face_folder
from pathlib import Path
x, y = load_face_folder(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/face/fer2013/val"))
m = keras.models.load_model("weights/face.keras")
conv = tf.lite.TFLiteConverter.from_keras_model(m)
conv.optimizations = [tf.lite.Optimize.DEFAULT]
interp = tf.lite.Interpreter(model_content=conv.convert())
inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
interp.resize_tensor_input(inp["index"], [2, 48, 48, 1]); interp.allocate_tensors()
preds = []
for img in x.astype(np.float32):
    interp.set_tensor(inp["index"], np.stack([img, img[:, ::-1]]))
    interp.invoke()
    preds.append(interp.get_tensor(out["index"]).mean(0).argmax())
print("int8 dynamic-range TFLite, flip-averaged, FER2013 val accuracy:", round(float((np.array(preds) == y).mean()), 4), "n", len(y))
