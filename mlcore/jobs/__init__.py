"""Trainings as jobs on Dask workers: the task a worker runs (worker), what it reports and obeys
(progress), the queue that runs them (executor), and where that queue's workers live (cluster)."""
