#pragma once
// Whether this process was started as one rank of a parallel launch, read off the environment
// variables the launchers set, so a program initialises MPI only when it was launched that way
// (no MPI needed to ask). Known: Open MPI's mpirun (OMPI_COMM_WORLD_SIZE / _RANK), MPICH's and
// Intel MPI's Hydra and other PMI launchers (PMI_SIZE / PMI_RANK), MVAPICH (MV2_COMM_WORLD_SIZE),
// PMIx launchers (PMIX_RANK, with the size from one of the others when present) and Slurm's srun
// (SLURM_STEP_NUM_TASKS / SLURM_PROCID: a job step, not the batch script sbatch runs).
#include <functional>
#include <string>

namespace amf {

struct LaunchInfo {
  bool parallel = false;  // started by a parallel launcher (even with one rank)
  int rank = 0;
  int size = 1;           // 0 when the launcher does not publish it (PMIx alone): ask MPI_Comm_size
  std::string launcher;   // "openmpi", "pmi", "mvapich", "pmix", "slurm", or empty
};

// `env` returns a variable's value or nullptr (std::getenv by default).
LaunchInfo detect_launch(const std::function<const char*(const char*)>& env);
LaunchInfo detect_launch();

}  // namespace amf
