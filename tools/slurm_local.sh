#!/usr/bin/env bash
# A single-node Slurm cluster on localhost in one directory, for the `slurm` tests: munge with its
# own key and socket, slurmctld and slurmd with every state, spool, pid and log file under DIR.
# Nothing outside DIR is written or read except the binaries (Debian's slurmctld, slurmd,
# slurm-client and munge, installed by tools/setup.sh), so it never touches a site's own Slurm or
# munge, and `stop` kills exactly the processes `start` started, by their pid files.
#
#   tools/slurm_local.sh start DIR [FAKE_GPUS]  # prints the SLURM_CONF to export; waits for an idle node
#   tools/slurm_local.sh stop DIR
# FAKE_GPUS (0-2, tests only): declares that many GPUs as generic resources backed by /dev/null
# and /dev/zero, so that `srun --gpus-per-task=1` binds one to each task and sets its
# CUDA_VISIBLE_DEVICES as a GPU node's Slurm would, on a machine without GPUs.
# Needs root (slurmd runs jobs as their submitting user; SlurmUser=root keeps it to one account).
set -euo pipefail
cmd=${1:?usage: slurm_local.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: slurm_local.sh start|stop DIR}" && cd "$2" && pwd)

stop() {
  # slurmd first (it reports to slurmctld), munged last (both daemons authenticate through it).
  for name in slurmd slurmctld munged; do
    local pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: slurm_local.sh start|stop DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm_local.sh: needs root (the daemons run as root here)" >&2; exit 2; }

# A cluster a crashed run left behind in DIR is stopped, and its jobs forgotten.
stop
rm -rf "$dir/state" "$dir/spool"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
# munge: a fresh 1024-byte key that only munged's user may read, its own socket and files.
if [ ! -f "$dir/munge/munge.key" ]; then
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
fi
chown -R munge:munge "$dir/munge"
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
runuser -u munge -- munged --force --key-file="$dir/munge/munge.key" --socket="$socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 50); do [ -f "$dir/munge/munged.pid" ] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

host=$(hostname -s)
cpus=$(nproc)
# RealMemory below the machine's, so the node is never drained for having less than declared.
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 4 ))
fake_gpus=${3:-0}
gres_node=""; gres_types=""
case "$fake_gpus" in
  0) rm -f "$dir/gres.conf" ;;
  1|2)
    gres_node=" Gres=gpu:$fake_gpus"; gres_types="GresTypes=gpu"
    { echo "Name=gpu File=/dev/null"; [ "$fake_gpus" = 2 ] && echo "Name=gpu File=/dev/zero"; } > "$dir/gres.conf" ;;
  *) echo "slurm_local.sh: FAKE_GPUS must be 0, 1 or 2" >&2; exit 2 ;;
esac
# Ports away from the defaults, so a site's own slurmctld on 6817 is never contacted.
cat > "$dir/slurm.conf" <<CONF
ClusterName=amftest
$gres_types
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem_mb$gres_node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" -c
slurmd -f "$SLURM_CONF"
for _ in $(seq 200); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.1
done
echo "slurm_local.sh: the node did not become idle within 20 s (state '${state:-none}'); logs in $dir" >&2
stop
exit 1
