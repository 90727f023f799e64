"""Generates the artifact-inspection fixtures with each format's own Python library.

Run: bash libs/artifact-inspection/scripts/make-fixtures.sh  (creates the pinned virtualenv).
The outputs are small and committed, so `npm test` needs no Python. Pickles are built with
Python's pickle module and never loaded.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import gguf
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
os.makedirs(OUT, exist_ok=True)


def out(name):
    return os.path.join(OUT, name)


# --- ONNX: features[batch,4] -> MatMul(W) -> Sigmoid -> churn_probability[batch,1] -------------
def onnx_model(n_features, path):
    w = numpy_helper.from_array(np.full((n_features, 1), 0.25, dtype=np.float32), name="W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "W"], ["logit"]), helper.make_node("Sigmoid", ["logit"], ["churn_probability"])],
        "churn",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_features])],
        [helper.make_tensor_value_info("churn_probability", TensorProto.FLOAT, ["batch", 1])],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="model-ledger-fixtures", ir_version=9)
    onnx.checker.check_model(model)
    onnx.save(model, path)


onnx_model(4, out("churn.onnx"))
onnx_model(5, out("churn-wider.onnx"))  # a changed input shape: a signature change (MAJOR)

# --- safetensors ---------------------------------------------------------------------------
save_file({"weight": np.arange(8, dtype=np.float32).reshape(4, 2), "bias": np.zeros(2, dtype=np.float16)}, out("model.safetensors"), metadata={"format": "np"})
with open(out("model.safetensors"), "rb") as f:
    good = f.read()
with open(out("truncated.safetensors"), "wb") as f:
    f.write(good[:-7])  # the last tensor's bytes are cut off

# Overlapping offsets: valid JSON and lengths, but `b` reuses bytes of `a`.
header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
header += b" " * (-len(header) % 8)
with open(out("overlap.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + bytes(12))

# --- GGUF ----------------------------------------------------------------------------------
w = gguf.GGUFWriter(out("tiny.gguf"), "llama")
w.add_name("tiny-llama")
w.add_file_type(1)  # MOSTLY_F16
w.add_quantization_version(2)
w.add_context_length(128)
w.add_tensor("token_embd.weight", np.ones((8, 4), dtype=np.float16))
w.add_tensor("output_norm.weight", np.ones(4, dtype=np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# --- pickles (never loaded) ----------------------------------------------------------------
benign = {"weights": [0.1, 0.2, 0.3], "meta": collections.OrderedDict(name="churn", version=1), "coef": np.array([1.0, 2.0]), "labels": {"no", "yes"}}
with open(out("benign.pkl"), "wb") as f:
    pickle.dump(benign, f, protocol=4)


class RunsCommand:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Evaluates:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


with open(out("malicious.pkl"), "wb") as f:
    pickle.dump({"model": RunsCommand(), "extra": Evaluates()}, f, protocol=4)
with open(out("malicious-proto0.pkl"), "wb") as f:
    pickle.dump([RunsCommand()], f, protocol=0)


# --- PyTorch / TorchScript zips ------------------------------------------------------------
# torch itself is not installed (a 200 MB+ wheel); the zips follow torch.save's layout
# (archive/data.pkl, archive/data/<key>, archive/version, archive/byteorder, stored entries) and
# the pickle references torch's rebuild functions the way torch.save writes them.
def fake_module(name, **attrs):
    m = types.ModuleType(name)
    for k, v in attrs.items():
        v.__module__ = name
        v.__qualname__ = k
        setattr(m, k, v)
    sys.modules[name] = m
    return m


def _rebuild_tensor_v2(*a):
    pass


class FloatStorage:
    pass


fake_module("torch")
fake_module("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)
sys.modules["torch"].FloatStorage = FloatStorage
FloatStorage.__module__ = "torch"
FloatStorage.__qualname__ = "FloatStorage"


class Tensor:
    def __reduce__(self):
        return (_rebuild_tensor_v2, (StorageRef(), 0, (2, 2), (2, 1), False, collections.OrderedDict()))


class StorageRef:
    pass


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", FloatStorage, "0", "cpu", 4)
        return None


def torch_zip(path, state, torchscript=False, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(state)
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        z.writestr("archive/version", "3\n")
        if torchscript:
            z.writestr("archive/code/__torch__/model.py", "class Model(Module):\n  def forward(self, x):\n    return x\n")
            cbuf = io.BytesIO()
            pickle.Pickler(cbuf, protocol=2).dump(())
            z.writestr("archive/constants.pkl", cbuf.getvalue())


torch_zip(out("model.pt"), collections.OrderedDict(weight=Tensor()))
torch_zip(out("scripted.pt"), collections.OrderedDict(weight=Tensor()), torchscript=True)
torch_zip(out("malicious.pt"), {"weight": Tensor(), "hook": RunsCommand()})
# The same, deflated: the scanner must inflate entries, not only read stored ones.
torch_zip(out("malicious-deflated.pt"), {"weight": Tensor(), "hook": Evaluates()}, compression=zipfile.ZIP_DEFLATED)

print("fixtures written to", os.path.normpath(OUT))

# --- SavedModel directory ------------------------------------------------------------------
# TensorFlow is not installed; the directory has SavedModel's layout (saved_model.pb with
# saved_model_schema_version = 1, variables/) which is all the manifest digest looks at.
sm = out("savedmodel")
os.makedirs(os.path.join(sm, "variables"), exist_ok=True)
os.makedirs(os.path.join(sm, "assets"), exist_ok=True)
with open(os.path.join(sm, "saved_model.pb"), "wb") as f:
    f.write(b"\x08\x01")
with open(os.path.join(sm, "variables", "variables.index"), "wb") as f:
    f.write(b"index")
with open(os.path.join(sm, "variables", "variables.data-00000-of-00001"), "wb") as f:
    f.write(bytes(16))
with open(os.path.join(sm, "assets", "vocab.txt"), "w") as f:
    f.write("no\nyes\n")
