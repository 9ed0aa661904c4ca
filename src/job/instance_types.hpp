#pragma once
// SageMaker's training instance types with what each host has: vCPUs, memory, NVIDIA GPUs and
// AWS Trainium (Neuron) devices, from AWS's published figures. The runner limits each host to
// its type; the server's scheduler counts them against its capacity. The table holds every
// value of botocore's TrainingInstanceType enum (a test checks it), so a type the service
// accepts is always known here; one it refuses is refused earlier, at validation.

#include <cstdint>
#include <span>
#include <string_view>

namespace sagerun::job {

struct InstanceType {
  std::string_view name;
  int vcpus = 0;
  int64_t memory_mib = 0;
  int gpus = 0;   // NVIDIA GPUs
  int neuron = 0; // Trainium devices (not GPUs: CUDA never sees them)

  int64_t memory_bytes() const { return memory_mib * 1024 * 1024; }
};

// Nullptr for a name the table does not hold.
const InstanceType* find_instance_type(std::string_view name);
std::span<const InstanceType> instance_types();

} // namespace sagerun::job
