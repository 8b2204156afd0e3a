#!/usr/bin/env bash
# Dev-only: benchmark + full reproduction on an idle machine (the team's device machine), reference copy in .elmref/.
set -u
export PYTHONPATH=packages/elm-neuron/src:shared/neurotypes/src PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
B=packages/elm-neuron/benchmarks/bench_train.py
R="--reference .elmref --reference-module elmref.expressive_leaky_memory_neuron"
python3 -c "import torch, lightning; print(torch.__version__, lightning.__version__, torch.cuda.is_available())"
nproc
echo "== threads=1, 20 steps x3"; python3 $B $R --steps 20 --repeats 3 --threads 1 | tee -a $OUT/bench.json
echo "== threads=2, 20 steps x3"; python3 $B $R --steps 20 --repeats 3 --threads 2 | tee -a $OUT/bench.json
echo "== threads=1, 400 steps (the spec's run)"; python3 $B $R --steps 400 --repeats 1 --threads 1 | tee -a $OUT/bench.json
echo "== gpu"; python3 $B --steps 20 --repeats 3 --device cuda | tee -a $OUT/bench.json
echo "== reproduce --full"; time timeout 330 python3 -m elm_neuron.cli -v reproduce --full --out $OUT/full > $OUT/full_stdout.md 2>&1; tail -30 $OUT/full_stdout.md
