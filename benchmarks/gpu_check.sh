#!/usr/bin/env bash
# The device checks of the CUDA-graph training step, as one command for a lent GPU machine
# (device tool: run "bash benchmarks/gpu_check.sh" from the repository root, timeout_s about 480).
# 1. the GPU test of irem.graphed (capture, replay, learning as the eager loop does);
# 2. `irem bench` of IREM addition at paper settings, eager against captured, written to $OUT/cuda_graph.json
#    (copy it to data/bench/ and the Performance chapter shows it).
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())"
if python -c "import pytest" 2>/dev/null; then
  python -m pytest -q -p no:cacheprovider tests/test_graphed.py tests/test_replay.py 2>&1 | tee "$OUT/tests.log"
else  # no pytest there: the GPU test alone
  python -c "import sys; sys.path.insert(0, 'tests'); import test_graphed as t; t.test_graphed_training_on_the_gpu_learns_as_the_eager_loop_does(); print('GPU test passed')" 2>&1 | tee "$OUT/tests.log"
fi
timeout 300 python -m irem.cli bench --device cuda --tasks addition --methods irem --flop-iterations 0 \
  --profile-iterations 0 --no-peak --iterations 200 --warmup 20 --vary cuda_graph false true \
  --json "$OUT/cuda_graph.json" 2>&1 | tee "$OUT/bench.log"
