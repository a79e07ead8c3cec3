"""`python -m bench --size smoke|full [--only NAME]`: run the benchmarks listed below.

A new benchmark is a module of this package with `run(size: str, context: bench.Context) -> None`,
added to BENCHMARKS. Results are printed; a missed target prints MISS but never fails the process.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from . import throwaway_database

#: name → module (each with `run(size, context)`), in the order they run.
BENCHMARKS: dict[str, str] = {
    "roster_import": "bench.roster_import",
    "gdpr_deadlines": "bench.gdpr_deadlines",
    "training_rates": "bench.training_rates",
    "training_import": "bench.training_import",
    "notifications_sweep": "bench.notifications_sweep",
    "reporting_indicators": "bench.reporting_indicators",
    "admin_pages": "bench.admin_pages",
    "aml_screening": "bench.aml_screening",  # pure Python (aml.matching): the database is not used
    "aml_screening_db": "bench.aml_screening_db",  # the same data screened by aml.screening on the database
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import"]:  # the subprocess of an import benchmark (bench.import_in_child)
        from . import child_import

        child_import(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["smoke", "full"], default="full")
    parser.add_argument(
        "--only", choices=sorted(BENCHMARKS), action="append", help="run only this benchmark (repeatable)"
    )
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    with throwaway_database() as context:
        print(
            f"bench: size={args.size} database={context.vendor} ({_without_password(context.database_url)})", flush=True
        )
        for index, name in enumerate(names):
            if index:
                context.fresh()  # each benchmark measures its own data only
            started = time.perf_counter()
            print(f"\n== {name}", flush=True)
            importlib.import_module(BENCHMARKS[name]).run(args.size, context)
            print(f"== {name} done in {time.perf_counter() - started:.1f}s", flush=True)
    return 0


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


if __name__ == "__main__":
    sys.exit(main())
