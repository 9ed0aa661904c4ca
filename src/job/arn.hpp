#pragma once
// Training-job ARNs as SageMaker writes them:
// arn:<partition>:sagemaker:<region>:<account>:training-job/<name, lower-cased>.

#include <optional>
#include <string>
#include <string_view>

namespace sagerun::job {

// The partition a region belongs to: aws-cn (cn-…), aws-us-gov (us-gov-…), else aws.
std::string aws_partition(std::string_view region);

std::string training_job_arn(const std::string& region, const std::string& account, const std::string& job_name);

// The job name a training job's ARN ends with, as written (SageMaker writes it lower-cased);
// nullopt for the ARN of any other resource, or text that is no ARN at all.
std::optional<std::string> training_job_name_in(std::string_view arn);

// Whether two training-job ARNs name the same job: equal but for the case of the name (names are
// unique regardless of case).
bool same_training_job(std::string_view arn, std::string_view other);

} // namespace sagerun::job
