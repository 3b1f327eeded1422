#!/usr/bin/env bash
# A one-node Slurm on this machine, for tests: munge + slurmctld + slurmd from Debian's packages (slurm-wlm 22.05),
# the machine's CPUs as the node's resources, no GPU, everything (config, state, logs) under DIR.
#   local_cluster.sh install          apt-get the packages (idempotent; needs root or sudo)
#   local_cluster.sh start DIR        write DIR/slurm.conf, start the daemons, wait until the node is idle;
#                                     prints the SLURM_CONF to export; on failure prints the daemons' logs, exits 1
#   local_cluster.sh stop DIR         stop the daemons started for DIR
set -euo pipefail
cmd="${1:-}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

case "$cmd" in
install)
  need=()
  for p in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "local_cluster: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  ;;
start)
  dir="$(realpath -m "${2:?usage: local_cluster.sh start DIR}")"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  node="$(hostname -s)"
  cpus="$(nproc)"
  mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
  user="$(id -un)"
  # Two free ports for slurmctld and slurmd (another Slurm, or a cluster started for another folder, may hold
  # the usual ones): a port is taken when something on 127.0.0.1 accepts a connection there.
  port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  ctld_port=16817
  while port_taken "$ctld_port" || port_taken $((ctld_port + 1)); do
    ctld_port=$((ctld_port + 2))
    [ "$ctld_port" -lt 16917 ] || { echo "local_cluster: no two free ports in 16817-16918" >&2; exit 1; }
  done
  d_port=$((ctld_port + 1))
  # munge: its own key, socket and pid file under DIR, so a system munged (if any) is left alone.
  if [ ! -f "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$dir/munge/munge.key"
  fi
  chmod 700 "$dir/munge"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
         --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=agf-local
SlurmctldHost=$node
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=30
Waittime=0
NodeName=$node CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$dir/slurm.conf"
  slurmd -f "$dir/slurm.conf"
  for _ in $(seq 1 60); do
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
    case "$state" in idle|idle*) echo "local_cluster: node $node ($cpus CPUs) idle; export SLURM_CONF=$dir/slurm.conf"; exit 0 ;; esac
    sleep 1
  done
  echo "local_cluster: the node did not become idle in 60 s (state: ${state:-none}); logs:" >&2
  for f in "$dir"/log/*.log; do echo "== $f" >&2; tail -40 "$f" >&2; done
  exit 1
  ;;
stop)
  dir="$(realpath -m "${2:?usage: local_cluster.sh stop DIR}")"
  for pf in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -f "$pf" ]; then kill "$(cat "$pf")" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 20); do
    alive=0
    for pf in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
      [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.5
  done
  echo "local_cluster: stopped (logs in $dir/log)"
  ;;
*)
  sed -n '2,8p' "$0" >&2
  exit 2
  ;;
esac
