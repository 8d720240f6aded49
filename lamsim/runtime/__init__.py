"""The run machinery: declarative sweeps, devices and sharding, results files, progress."""
