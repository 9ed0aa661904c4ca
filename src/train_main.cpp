// `train`: the lean, statically linked entrypoint that SageMaker starts inside the image.
#include "entrypoint/train.hpp"

int main(int argc, char** argv) { return sagerun::entrypoint::train_main(argc, argv); }
