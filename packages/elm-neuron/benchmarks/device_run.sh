#!/usr/bin/env bash
# Dev-only: both benchmark configurations on an idle machine (the team's device machine), a local copy of the
# reference's src folder in .elmref/ (importable as elmref), then the GPU comparison and the full reproduction.
set -u
export PYTHONPATH=packages/elm-neuron/src:shared/neurotypes/src PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
B=packages/elm-neuron/benchmarks/bench_train.py
R="--reference .elmref --reference-module elmref.expressive_leaky_memory_neuron"
python3 -c "import torch, lightning; print(torch.__version__, lightning.__version__, torch.cuda.is_available())"
nproc
echo "== small, threads=1"; python3 $B $R --config small --steps 30 --repeats 4 --threads 1 --backends numba,numpy | tee -a $OUT/bench.json
echo "== neuronio, threads=1"; python3 $B $R --config neuronio --steps 5 --repeats 4 --threads 1 --backends numba,numpy,torch --check | tee -a $OUT/bench.json
echo "== gpu: reference on CUDA vs the torch backend on CUDA"
python3 $B $R --config small --steps 20 --repeats 3 --device cuda --backends torch | tee -a $OUT/bench.json
python3 $B $R --config neuronio --steps 5 --repeats 3 --device cuda --backends torch | tee -a $OUT/bench.json
echo "== reproduce --full"; time timeout 330 python3 -m elm_neuron.cli -v reproduce --full --out $OUT/full > $OUT/full_stdout.md 2>&1; tail -30 $OUT/full_stdout.md
