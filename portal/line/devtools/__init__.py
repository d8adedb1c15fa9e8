"""Development tools of the LINE layer: the LINE platform emulator, simulated residents
(signed webhook events), synthetic residents at scale and the demo's reference data.

Only tests, benchmarks and management commands import this package (an import-linter
contract in ``make test``); production code never depends on it.
"""
