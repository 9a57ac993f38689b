"""Starts and reads the playground's real parts for tests and benchmarks; never imported by the playground."""
