#!/bin/bash
# Runs detached on the GPU machine; writes /tmp/gpu/{*.log,done}
R=$1; mkdir -p /tmp/gpu; L=/tmp/gpu; cd /tmp
t0=$(date +%s); echo "start $(date)" > $L/steps.log
python3 -m pip install -q --no-index --no-deps --target /tmp/site $R/.gpu/whl/*.whl >> $L/steps.log 2>&1
tar xzf $R/.gpu/llama-src.tar.gz -C /tmp
export PYTHONPATH=/tmp/llama_cpp_python-0.3.36/vendor/llama.cpp/gguf-py
python3 $R/.gpu/gguf_skeleton.py fill $R/.gpu/qwen15-skel.gguf /tmp/q15-f16.gguf > $L/fill.log 2>&1 &
cd /tmp/llama_cpp_python-0.3.36
CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_NCCL=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=16 \
  python3 -m pip install -v --no-index --no-deps --no-build-isolation --target /tmp/site . > $L/build.log 2>&1
echo "build rc=$? $(( $(date +%s) - t0 )) s" >> $L/steps.log
wait; echo "fill done $(( $(date +%s) - t0 )) s" >> $L/steps.log
export PYTHONPATH=/tmp/site:/tmp/llama_cpp_python-0.3.36/vendor/llama.cpp/gguf-py
python3 $R/.gpu/gguf_skeleton.py quantize /tmp/q15-f16.gguf /tmp/q15-q4km.gguf 16 > $L/quant.log 2>&1
echo "quant rc=$? $(( $(date +%s) - t0 )) s" >> $L/steps.log; ls -la /tmp/*.gguf >> $L/steps.log
cd $R && python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/corral-site . >> $L/steps.log 2>&1
export PYTHONPATH=/tmp/corral-site:/tmp/site
cd /tmp && OUT=/tmp python3 $R/.gpu/measure_gpu.py /tmp/q15-q4km.gguf $R/.gpu/texts.json > $L/measure.log 2>&1
echo "measure rc=$? $(( $(date +%s) - t0 )) s" >> $L/steps.log
cp /tmp/gpu.json $L/ 2>/dev/null; touch $L/done
