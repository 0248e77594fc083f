"""A model of the same architecture, tokenizer and shapes as a real GGUF, with random weights.

skeleton SRC.gguf OUT.gguf   metadata + the tensor list (a few MB: travels to the GPU machine)
fill SKEL.gguf OUT.gguf      random F16 weights (norms 1, biases 0), file type F16
quantize IN.gguf OUT.gguf    through llama.cpp's quantizer, to Q4_K_M (the default model's type)
"""
import ctypes
import json
import sys

import gguf
import numpy as np


def copy_fields(reader, writer, skip=()):
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture" or key in skip:
            continue
        types = [gguf.GGUFValueType(t) for t in field.types]
        if types[0] == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, field.contents(), types[0], sub_type=types[1])
        else:
            writer.add_key_value(key, field.contents(), types[0])

def write(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def arch(reader):
    return reader.fields["general.architecture"].contents()

mode, src, out = sys.argv[1:4]
reader = gguf.GGUFReader(src)
if mode == "skeleton":
    w = gguf.GGUFWriter(out, arch(reader))
    copy_fields(reader, w)
    w.add_string("corral.skeleton", json.dumps([[t.name, [int(x) for x in t.shape]] for t in reader.tensors]))
    write(w)
elif mode == "fill":
    shapes = json.loads(reader.fields["corral.skeleton"].contents())
    w = gguf.GGUFWriter(out, arch(reader))
    copy_fields(reader, w, skip=("corral.skeleton", "general.file_type"))
    w.add_file_type(1)  # F16
    rng = np.random.default_rng(0)
    for name, ne in shapes:
        shape = tuple(reversed(ne))
        if len(shape) == 1:
            data = np.ones(shape, np.float32) if "norm" in name else np.zeros(shape, np.float32)
        else:
            data = ((rng.random(shape, dtype=np.float32) - 0.5) * 0.04).astype(np.float16)
        w.add_tensor(name, data)
    write(w)
elif mode == "quantize":
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    rc = llama_cpp.llama_model_quantize(src.encode(), out.encode(), ctypes.byref(params))
    sys.exit(rc)
