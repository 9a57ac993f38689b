"""Run a throwaway PostgreSQL server from Debian's `postgresql` binaries (no Docker), as `localkafka` runs Kafka."""

from localpg.server import LocalPostgres, PostgresError, create_database

__all__ = ["LocalPostgres", "PostgresError", "create_database"]
