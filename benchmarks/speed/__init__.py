"""Speed and scale measurements (issue 6), run by benchmarks/run.py."""
