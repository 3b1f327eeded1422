#!/usr/bin/env bash
# The layering of the sources, checked on every #include "...": a folder may include only itself and the
# folders below it. util <- kernels <- engine <- layers <- agf/audio, agf/data, agf/factors <- agf/train <- apps.
# (agf/audio sits on kernels alone; agf/data and agf/factors use each other's headers.) Usage: check_layering.sh [ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
declare -A allowed=(
  [util]="util"
  [kernels]="util kernels"
  [engine]="util kernels engine"
  [layers]="util kernels engine layers"
  [agf/audio]="util kernels agf/audio"
  [agf/data]="util kernels engine layers agf/audio agf/data agf/factors"
  [agf/factors]="util kernels engine layers agf/audio agf/data agf/factors"
  [agf/train]="util kernels engine layers agf/audio agf/data agf/factors agf/train"
)
bad=0
for dir in "${!allowed[@]}"; do
  while IFS= read -r hit; do
    file=${hit%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$hit")
    [[ $inc == */* ]] || continue  # a generated header (agf_build_info.h) or a same-folder name
    ok=0
    for a in ${allowed[$dir]}; do [[ $inc == "$a"/* ]] && ok=1; done
    if (( !ok )); then echo "layering: $file includes \"$inc\", above $dir (allowed: ${allowed[$dir]})"; bad=1; fi
  done < <(grep -rn --include='*.h' --include='*.cpp' --include='*.cu' --include='*.inc' '^#include "' "$dir" || true)
done
(( bad == 0 )) && echo "layering: every #include of ${!allowed[*]} points down"
exit $bad
