#!/usr/bin/env bash
# `agf gradcheck`'s parity table through the command line (engine/parity.h). Usage: gradcheck_cli_test.sh AGF MODE
#   cpu-parity: --device cpu --parity --json, every op: the CPU's float32 kernels against float64; parity
#               rows are marked as such and all pass (the command's parity path, run where CI runs).
#   cuda:       --device cuda. Where `agf info` lists no CUDA device (or CUDA is not compiled in) it must exit
#               non-zero saying why and print no row: never a CPU run in its place. Where it lists one, the
#               CUDA parity of every op must pass.
set -uo pipefail
agf="$1" mode="$2"
fail() { echo "gradcheck_cli_test ($mode): FAIL: $*"; exit 1; }
case "$mode" in
  cpu-parity)
    out=$("$agf" gradcheck --device cpu --parity --op all --net none --json) || fail "exit status $?"
    rows=$(grep -c '"kind":"parity"' <<<"$out")
    bad=$(grep '"kind":"parity"' <<<"$out" | grep -c '"pass":false')
    grad=$(grep -c '"kind":"gradcheck"' <<<"$out")
    echo "gradcheck_cli_test: $rows parity rows ($bad failing), $grad gradcheck rows"
    [ "$rows" -ge 30 ] || fail "only $rows parity rows"
    [ "$bad" -eq 0 ] || fail "$bad parity rows fail"
    [ "$grad" -gt 0 ] || fail "no gradcheck rows"
    ;;
  cuda)
    if "$agf" info | grep -q '^cuda devices: [1-9]'; then
      echo "gradcheck_cli_test: a CUDA device is visible: the parity itself must pass"
      exec "$agf" gradcheck --device cuda --op all --net none
    fi
    out=$("$agf" gradcheck --device cuda --op dense --net none 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" -ne 0 ] || fail "exit status 0 without a CUDA device"
    grep -Eq 'built without CUDA|no CUDA device visible' <<<"$out" || fail "no reason given"
    ! grep -Eq '^parity:|^dense' <<<"$out" || fail "printed rows without a CUDA device"
    echo "gradcheck_cli_test: no CUDA device: exit $rc with the reason, as it should"
    ;;
  *) echo "gradcheck_cli_test: unknown mode $mode" >&2; exit 2 ;;
esac
