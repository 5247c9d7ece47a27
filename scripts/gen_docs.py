"""Regenerate the generated docs: the CLI and settings references and the analysis JSON Schema.

Run: .venv/bin/python scripts/gen_docs.py   (tests fail when these are stale)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cxgap.docs_gen import (  # noqa: E402
    cli_reference,
    perception_schema,
    settings_reference,
    study_analysis_schema,
)


def main() -> None:
    (ROOT / "docs" / "CLI.md").write_text(cli_reference(), encoding="utf-8")
    (ROOT / "docs" / "SETTINGS.md").write_text(settings_reference(), encoding="utf-8")
    (ROOT / "docs" / "study-analysis.schema.json").write_text(
        json.dumps(study_analysis_schema(), indent=2) + "\n", encoding="utf-8"
    )
    (ROOT / "docs" / "analysis.schema.json").write_text(
        json.dumps(perception_schema(), indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
