#!/usr/bin/env bash
# Checks that one instruction-set path's kernel objects (kernels/isa.h) define no global symbol outside their own
# namespaces, agf::isa_<path> and Eigen_isa_<path>: any other global definition (a std::vector member, an inline
# helper in a shared namespace) exists in every path under one name, and the linker may keep the AVX-512 copy for
# every caller, which crashes a CPU without AVX-512. Usage: check_isa_objects.sh PATH OBJECT...
set -euo pipefail
isa="$1"; shift
[ "$#" -gt 0 ] || { echo "check_isa_objects: no objects for path $isa" >&2; exit 1; }
bad=$(nm -C --defined-only "$@" | awk 'NF >= 3 && $2 ~ /^([A-Z]|u)$/ { $1 = ""; print }' |
      grep -v -e "agf::isa_${isa}::" -e "Eigen_isa_${isa}::" -e " DW.ref.__gxx_personality_v0\$" | sort -u || true)
if [ -n "$bad" ]; then
  echo "check_isa_objects: path $isa defines global symbols outside agf::isa_${isa} / Eigen_isa_${isa}:" >&2
  echo "$bad" | head -40 >&2
  exit 1
fi
echo "check_isa_objects: path $isa: $# objects, every global symbol in agf::isa_${isa} or Eigen_isa_${isa}"
