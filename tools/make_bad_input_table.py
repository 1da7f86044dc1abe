"""Runs every bad-input case of tools/bad_input.py through a real server and writes the README table
"What is refused, and how" (between its markers) and out/bad_input/results.json.

Run: .venv/bin/python tools/make_bad_input_table.py
"""

from __future__ import annotations

import json
import os

from bad_input import render_table, run_cases, with_table
from hostserver import HostServer
from hostlib import REPO_DIR

README = os.path.join(REPO_DIR, "README.md")
RESULTS = os.path.join(REPO_DIR, "out", "bad_input", "results.json")


def write_results(results: dict) -> None:
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)


def main() -> None:
    with HostServer() as server:
        results = run_cases(server)
    write_results(results)
    with open(README, encoding="utf-8") as f:
        readme = f.read()
    with open(README, "w", encoding="utf-8") as f:
        f.write(with_table(readme, render_table(results)))
    print(f"wrote the table into {README} and {RESULTS}")


if __name__ == "__main__":
    main()
