"""Runs every node on the tiny model of every family the host has (tools/families.py) and writes the README table
"Model families" (between its markers).

Run: .venv/bin/python tools/make_family_table.py   (SAMPLERLAB_COMFYUI_ROOT picks another host, as for the tests)
"""

from __future__ import annotations

import os

from hostlib import REPO_DIR

README = os.path.join(REPO_DIR, "README.md")


def main() -> None:
    import families

    built, missing = families.host_families()
    outcomes = families.run_cells(built)
    forms = {name: families.prediction(families.cached_model(families.FAMILIES[name])) for name in built}
    with open(README, encoding="utf-8") as f:
        readme = families.with_table(f.read(), families.render_table(outcomes, forms, missing))
    with open(README, "w", encoding="utf-8") as f:
        f.write(readme)
    print(f"wrote the family table ({len(built)} families, {len(missing)} missing) into {README}")


if __name__ == "__main__":
    main()
