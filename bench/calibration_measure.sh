#!/bin/bash
# Raw vs calibrated validation log loss / ECE on a small synthetic corpus (demo-style).
set -e
A=${AGF:-build/cpu/agf}  # run from the repository root
D=${OUT:-/tmp/agf_calibration}
rm -rf $D; mkdir -p $D
$A synth --out $D/corpus --preset easy --seed 1 --genres 8 --artists 6 --tracks-per-artist 4 --seconds 10 --format wav --mislabel 0.1 --threads 2 --quiet
$A prepare --metadata $D/corpus/fma_metadata --audio $D/corpus/fma_audio --work $D/work --subset all --threads 2 --device cpu --quiet
$A train --work $D/work --arch stn --tasks g --epochs 15 --batch 32 --device cpu --out $D/runs/stn-g --quiet
for seed in 1 2; do
  $A transfer --work $D/work --nets $D/runs/stn-g --out $D/t_raw_$seed --epochs 30 --mlp-epoch windows --seed $seed --device cpu --quiet
  $A transfer --work $D/work --nets $D/runs/stn-g --out $D/t_cal_$seed --epochs 30 --mlp-epoch windows --seed $seed --device cpu --quiet --calibrate
  $A evaluate --model $D/t_cal_$seed --work $D/work --device cpu --quiet
done
