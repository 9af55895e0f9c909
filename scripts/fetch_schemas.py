"""Fetch the format schemas the tests validate against, from registry packages.

The tests check our OSV records against the OSV JSON schema. The schema is not kept
in this repository; it comes from a package on PyPI at install time, as the CSAF and
CVE schemas come from the ``csaf`` and ``cvelib`` packages:

- ``osv==0.0.22`` (Apache-2.0, Google's osv.dev library) ships the ossf/osv-schema
  repository at schema version 1.6.7 under ``osv/osv-schema/validation/schema.json``.
  That package pins ``packaging<22`` and the Google Cloud clients, so it is downloaded
  without its dependencies and only the schema file is taken out of the wheel; nothing
  of it is installed or imported.

What 1.6.7 leaves unchecked against the current 1.7.x schema: the ``upstream`` field
(added in 1.7.0; we do not emit it) and ecosystems and id prefixes registered after
September 2024 (ours is added to the prefix pattern by the tests in any case).

Run by ``make install``; idempotent; prints one line. Exits non-zero with the reason
when the registry cannot be reached and the schema is not already there.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / ".venv" / "schemas"
OSV_PACKAGE = "osv==0.0.22"
OSV_MEMBER = "osv/osv-schema/validation/schema.json"
OSV_TARGET = SCHEMA_DIR / "osv-1.6.7.schema.json"


def fetch_osv_schema() -> Path:
    if OSV_TARGET.exists():
        return OSV_TARGET
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "-d",
                tmp,
                OSV_PACKAGE,
            ],
            check=True,
        )
        (wheel,) = Path(tmp).glob("osv-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            OSV_TARGET.write_bytes(archive.read(OSV_MEMBER))
    return OSV_TARGET


def main() -> int:
    try:
        path = fetch_osv_schema()
    except (subprocess.CalledProcessError, KeyError, ValueError) as exc:
        print(f"fetch_schemas: could not get the OSV schema from {OSV_PACKAGE}: {exc}")
        return 1
    print(f"fetch_schemas: OSV schema 1.6.7 from {OSV_PACKAGE} at {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
