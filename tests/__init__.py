"""The test suite, a package so that benchmarks can share its helpers (`from tests.app_server import ...`)."""
