"""Running: one replicate, the evaluators (serial, processes, Dask), batches and the store."""
