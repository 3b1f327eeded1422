#!/usr/bin/env bash
# Throughput of `agf predict` on a folder of 30-s tracks with a demo-style 5-net transfer model
# (STN g, s, e, d, m trained briefly on a small synthetic corpus, MLP on their 1280-d features).
# Usage: bench/predict_library.sh [AGF_BINARY] [OUT_DIR] [TRACKS_PER_ARTIST]   (writes OUT_DIR/result.txt)
# With PEER_PYTHON set to a Python that has torch, librosa and safetensors (e.g. build/venv-torch/bin/python),
# the same model then runs in PyTorch with librosa features on the same folder (bench/peers/torch_predict.py,
# 2 threads), which also checks its probabilities against agf's CSV on CHECK_TRACKS tracks (default 5).
# TRACKS_PER_ARTIST 1 gives 60 tracks (10 genres x 6 artists): the side-by-side run takes minutes.
set -euo pipefail
A=${1:-build/cpu/agf}
OUT=${2:-/tmp/agf_predict_bench}
TPA=${3:-5}
mkdir -p "$OUT"
W=$OUT/work
if [ ! -f "$OUT/model/mlp.safetensors" ]; then
  $A synth --out "$OUT/train_corpus" --preset easy --genres 8 --artists 3 --tracks-per-artist 4 --seconds 10 --quiet
  $A prepare --metadata "$OUT/train_corpus/fma_metadata" --audio "$OUT/train_corpus/fma_audio" --subset all --work "$W" --quiet
  $A factors --work "$W" --kinds s,e,d,m --topics 8 --progress
  nets=""
  for t in g s e d m; do
    $A train --work "$W" --arch stn --tasks $t --epochs 2 --out "$W/runs/stn-$t" --quiet
    nets="$nets${nets:+,}$W/runs/stn-$t"
  done
  $A transfer --work "$W" --nets "$nets" --out "$OUT/model" --epochs 2 --quiet
fi
FMT=mp3
if [ ! -d "$OUT/library" ]; then
  $A synth --out "$OUT/library_corpus" --preset easy --genres 10 --artists 6 --tracks-per-artist "$TPA" --seconds 30 --format $FMT --quiet \
    || { FMT=wav; $A synth --out "$OUT/library_corpus" --preset easy --genres 10 --artists 6 --tracks-per-artist "$TPA" --seconds 30 --format wav --quiet; }
  mv "$OUT/library_corpus/fma_audio" "$OUT/library"
fi
FMT=$(find "$OUT/library" -type f | head -1 | sed 's/.*\.//')
N=$(find "$OUT/library" -type f | wc -l)
rm -f "$OUT/pred.csv"
start=$(date +%s.%N)
$A predict --model "$OUT/model" "$OUT/library" --csv "$OUT/pred.csv" --device cpu --threads 2
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc)
{
  echo "tracks: $N ($FMT, 30 s), model: 5 nets (stn g s e d m) + MLP, hop 10"
  echo "wall: $secs s, $(echo "scale=2; $N / $secs" | bc) tracks/s (including model load)"
  lscpu | grep -E "Model name|^CPU\(s\)"
  echo "OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset} nproc=$(nproc) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/result.txt"
if [ -n "${PEER_PYTHON:-}" ]; then
  HERE=$(cd "$(dirname "$0")" && pwd)
  start=$(date +%s.%N)
  OMP_NUM_THREADS=2 "$PEER_PYTHON" "$HERE/peers/torch_predict.py" --model "$OUT/model" --threads 2 \
    --check "$OUT/pred.csv" --check-tracks "${CHECK_TRACKS:-5}" --csv "$OUT/pred_torch.csv" "$OUT/library" \
    | tee -a "$OUT/result.txt"
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc)
  echo "torch peer wall: $secs s, $(echo "scale=2; $N / $secs" | bc) tracks/s (including model load)" | tee -a "$OUT/result.txt"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/result.txt"
fi
