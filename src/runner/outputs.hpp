#pragma once
// A job's outputs, where SageMaker puts them: <S3OutputPath>/<job>/output/model.tar.gz (or the
// model's files under …/output/model/ with CompressionType NONE) and …/output/output.tar.gz,
// the same for s3:// and file:// locations; checkpoints synced down (live_sync.hpp puts them up);
// the failure file read back.
// Several hosts' model/ and output/data/ are merged (algo-1's file wins a clash).

#include <filesystem>
#include <string>
#include <vector>

#include "contract/paths.hpp"
#include "job/request.hpp"
#include "runner/storage.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

struct OutputPaths {
  std::string model_artifacts; // S3ModelArtifacts
};

// `hosts` are the hosts' /opt/ml trees (algo-1 first); `work` a scratch folder of the job.
Expected<OutputPaths> upload_outputs(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts,
                                     const fs::path& work, Storage& storage);

Expected<void> download_checkpoints(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts,
                                    Storage& storage);

// A host's output/failure as SageMaker reports it ("AlgorithmError: " and the text), at most 1024
// characters; empty when it wrote none.
std::string read_failure_reason(const contract::Paths& host);

} // namespace sagerun::runner
