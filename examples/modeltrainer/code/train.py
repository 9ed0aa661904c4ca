# Not the entry script: the driver runs fit.py. sagerun's own script discovery would pick this
# file; a job with a ContainerEntrypoint must not.
raise SystemExit("train.py ran: the ContainerEntrypoint was ignored")
