"""Corral's own runtime (models/) on the GPU machine: the --gpu-layers auto decision, raw
speed, and the per-file question and choice of the pipeline, GPU against the CPU."""
import json
import os
import sys
import time
from pathlib import Path

from corral.engine import prompts
from corral.models.gpu import gpu_devices, resolve_gpu_layers
from corral.models.runtime import LocalLLM, RuntimeSettings

model, texts = Path(sys.argv[1]), json.load(open(sys.argv[2]))
out = {"devices": [d.__dict__ for d in gpu_devices()], "auto": resolve_gpu_layers(None, model)}
print(out, flush=True)
names = ["alarm", "audio", "calendar", "cooking", "datetime", "email", "general", "iot", "lists",
         "music", "news", "play", "qa", "recommendation", "social", "takeaway", "transport", "weather"]
CRIT = "what is this request about"
for label, layers, threads, n in (("gpu-auto", None, None, 200), ("cpu-16", 0, 16, 20), ("cpu-2", 0, 2, 8)):
    t = time.perf_counter()
    llm = LocalLLM.load(model, settings=RuntimeSettings(n_gpu_layers=layers, n_threads=threads))
    res = {"load_s": time.perf_counter() - t}
    speeds = [llm.measure_speed(256, 32) for _ in range(3 if layers is None else 1)]
    res["speed"] = [s.__dict__ for s in speeds]
    u = llm.usage
    before = (u.prompt_tokens, u.cached_tokens, u.generated_tokens)
    t = time.perf_counter()
    for text in texts[:n]:
        llm.generate(prompts.answer_messages(CRIT, text), grammar=prompts.words_grammar(), max_tokens=24)
    res["answer"] = {"n": n, "s_per_item": (time.perf_counter() - t) / n,
                     "prompt_tokens": u.prompt_tokens - before[0], "cached_tokens": u.cached_tokens - before[1],
                     "generated_tokens": u.generated_tokens - before[2]}
    t = time.perf_counter()
    m = min(n, 100)
    for text in texts[:m]:
        llm.choose(prompts.assign_messages(CRIT, names, text), names)
    res["choose"] = {"n": m, "s_per_item": (time.perf_counter() - t) / m}
    llm.close()
    out[label] = res
    print(label, json.dumps(res), flush=True)
json.dump(out, open(os.path.join(os.environ.get("OUT", "/tmp"), "gpu.json"), "w"), indent=1)
