"""Load and speed benchmarks of Hromada (`make bench`); see bench/README.md."""
