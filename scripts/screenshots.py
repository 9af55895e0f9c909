"""The README's screenshots of the demo (`make screenshots`), taken from a fresh demo.

Starts the demo as `make run` does (migrate, seed_demo, setup_schedules, run_portal) but
on a spare port with a temporary AKRITES_DATA_DIR (SQLite; DATABASE_URL is ignored), so
it never touches `.data/` or a running demo. Then drives Debian's Chromium with
Playwright (never a downloaded browser), signs in as the demo personas (the
coordinator's second factor from `manage.py demo_totp`), and writes PNGs 1280 px wide,
clipped to the part of the page that matters, into docs/screenshots/. With Pillow
installed (a dev dependency) each PNG is reduced to a palette to stay under ~250 KB.

Some shots change the throw-away demo on the way (a partner gives a vendor status, a
report is merged and the merge undone, a filter is saved), as a person would.

    .venv/bin/python scripts/screenshots.py [--only NAME ...] [--keep]

Exits 1 if a page answered with an error, landed on the sign-in page or lacked what the
shot is about; the other shots are still taken.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTH = 1280
MAX_BYTES = 250_000
PASSWORD = "demo-password"  # noqa: S105 - cases/demo.py: every demo account
SHOWN_SITE_URL = "http://127.0.0.1:8000"  # `make run`'s address, whatever port serves


class ShotFailed(Exception):
    pass


# --------------------------------------------------------------------------- the demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """The demo on a spare port and a temporary data directory, as `make run` starts it."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            DEBUG="1",
            AKRITES_DATA_DIR=str(data_dir),
            # Links the pages print (security.txt, advisory files) read as in `make run`.
            SITE_URL=SHOWN_SITE_URL,
            HOST="127.0.0.1",
            PORT=str(port),
        )
        self.log_path = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str, quiet: bool = True) -> str:
        done = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        if not quiet:
            print(done.stdout.strip())
        return done.stdout

    def start(self) -> None:
        print(f"screenshots: demo data in {self.env['AKRITES_DATA_DIR']}")
        self.manage("migrate", "--noinput")
        self.manage("seed_demo")
        self.manage("setup_schedules")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, str(ROOT / "manage.py"), "run_portal"]
            + ["--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the demo server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz/ready", timeout=2):  # noqa: S310
                    print(f"screenshots: demo ready at {self.url}")
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise SystemExit(f"the demo server did not answer within 90 s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # run_portal stops the server and cluster
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def totp(self, username: str) -> str:
        return self.manage("demo_totp", username).strip()


# --------------------------------------------------------------------------- the browser


class Browser:
    def __init__(self, pw: Any, demo: Demo) -> None:
        self.demo = demo
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.pages: dict[str, Any] = {}

    def page(self, who: str) -> Any:
        """A signed-in page of the persona (one browser context each), or anonymous."""
        if who in self.pages:
            return self.pages[who]
        context = self.browser.new_context(
            base_url=self.demo.url,
            viewport={"width": WIDTH, "height": 900},
            device_scale_factor=1,
            reduced_motion="reduce",
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm buttons
        if who != "anonymous":
            self._sign_in(page, who)
        self.pages[who] = page
        return page

    def _sign_in(self, page: Any, username: str) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if "/account/2fa/" in page.url:
            page.get_by_label("code", exact=False).fill(self.demo.totp(username))
            page.get_by_role("button", name="Verify").click()
            page.wait_for_load_state()
        if "/login/" in page.url or "/account/2fa/" in page.url:
            raise ShotFailed(f"signing in as {username} failed (at {page.url})")

    def close(self) -> None:
        self.browser.close()


def goto(page: Any, path: str) -> Any:
    response = page.goto(path)
    check(page, response)
    return response


def check(page: Any, response: Any = None) -> None:
    page.wait_for_load_state()
    status = response.status if response is not None else 200
    if status >= 400:
        raise ShotFailed(f"{page.url} answered {status}")
    if "/login/" in page.url or "/account/2fa/" in page.url:
        raise ShotFailed(f"landed on the sign-in page: {page.url}")


def expect(page: Any, selector: str) -> Any:
    """The element the shot is about; fails the shot if the page lacks it."""
    found = page.locator(selector).first
    try:
        found.wait_for(state="visible", timeout=10_000)
    except Exception as exc:
        raise ShotFailed(f"{page.url}: no visible {selector!r}") from exc
    return found


def top_of(page: Any, selector: str) -> float:
    box = page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top + window.scrollY; }"
    )
    return float(box)


def bottom_of(page: Any, selector: str) -> float:
    box = page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.bottom + window.scrollY; }"
    )
    return float(box)


def capture(
    page: Any,
    name: str,
    *,
    top: str | None = None,
    bottom: str | None = None,
    max_height: int = 1300,
    pad: int = 16,
) -> Path:
    """The page from ``top``'s element (or the page's top) to ``bottom``'s (or its end),
    1280 px wide and at most ``max_height`` tall, written optimised as NAME.png."""
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)  # no hover effect on whatever sits under the pointer
    height = float(page.evaluate("document.documentElement.scrollHeight"))
    y0 = max(0.0, top_of(page, top) - pad) if top else 0.0
    y1 = min(height, bottom_of(page, bottom) + pad) if bottom else height
    y1 = min(y1, y0 + max_height)
    png = page.screenshot(
        full_page=True, clip={"x": 0, "y": y0, "width": WIDTH, "height": max(1.0, y1 - y0)}
    )
    path = OUT / f"{name}.png"
    path.write_bytes(optimise(png))
    print(f"  {path.relative_to(ROOT)}  {WIDTH}x{int(y1 - y0)}  {path.stat().st_size // 1000} KB")
    return path


def optimise(png: bytes) -> bytes:
    """A palette PNG (no dithering: flat UI colours compress well), fewer colours until it
    fits MAX_BYTES. Without Pillow the PNG is kept as Chromium wrote it."""
    try:
        from PIL import Image
    except ImportError:
        if not getattr(optimise, "warned", False):
            print("screenshots: Pillow is missing (pip install -e '.[dev]'): PNGs not optimised")
            optimise.warned = True  # type: ignore[attr-defined]
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    best = png
    for colours in (256, 128, 64):
        buffer = io.BytesIO()
        image.quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        ).save(buffer, format="PNG", optimize=True)
        best = min(best, buffer.getvalue(), key=len)
        if len(best) <= MAX_BYTES:
            break
    return best


# --------------------------------------------------------------------------- the shots
# Run in this order: later shots see what earlier ones did (the partner's vendor status
# in the coordinator's matrix; the work queue before the triage merge).


def public_report(b: Browser) -> None:
    page = b.page("anonymous")
    goto(page, "/report/")
    expect(page, "form button:has-text('Send report')")
    capture(page, "06-public-report", bottom="form button:has-text('Send report')")


def security_txt(b: Browser) -> None:
    page = b.page("anonymous")
    response = goto(page, "/.well-known/security.txt")
    if "Contact:" not in response.text():
        raise ShotFailed("security.txt has no Contact line")
    page.set_viewport_size({"width": WIDTH, "height": 130})
    capture(page, "07-security-txt", max_height=130)
    page.set_viewport_size({"width": WIDTH, "height": 900})


def organisations(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/organisations/")
    expect(page, "a:has-text('New organisation')")
    capture(page, "08-organisations", bottom="main table")


def project_onboarding(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/organisations/projects/")
    expect(page, "main table")
    capture(page, "09-projects", bottom="main table")


def work_queue(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/")
    expect(page, "#work-queue")
    capture(page, "13-work-queue", bottom="#work-queue", max_height=1400)


def triage_duplicates(b: Browser) -> None:
    """The coordinator opens a case from report #5 (its projects pre-selected from the
    purl); report #4, the same XXE flaw from another reporter, then lists that case."""
    page = b.page("coordinator")
    goto(page, "/reports/5/")
    expect(page, "#open-heading")
    page.locator("form:has(button:has-text('Open case')) button").click()
    check(page)
    if "/cases/" not in page.url:
        raise ShotFailed(f"opening a case from report #5 ended on {page.url}")
    goto(page, "/reports/4/")
    expect(page, "ol.candidates button:has-text('Merge into')")
    capture(page, "10-triage-duplicate-candidates", top="h1", bottom="ol.candidates")


def merge_confirmation(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/reports/4/")
    expect(page, "ol.candidates button:has-text('Merge into')").click()
    check(page)
    expect(page, "#confirm-heading")
    capture(page, "11-merge-confirmation", bottom=".confirm-actions")
    page.locator(".confirm-actions button").click()
    check(page)


def merge_undo(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/reports/4/")
    expect(page, "button:has-text('Undo the merge')")
    capture(page, "12-merge-undo", bottom="section:has(#triaged-heading)")
    page.locator("button:has-text('Undo the merge')").click()
    check(page)
    expect(page, "text=back in triage")


def case_list(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/cases/?state=in_progress")
    page.get_by_label("Save these filters as").fill("In progress")
    page.get_by_role("button", name="Save filter").click()
    check(page)
    goto(page, "/cases/?project=libexample")
    if page.get_by_label("Save these filters as").count():
        page.get_by_label("Save these filters as").fill("libexample")
        page.get_by_role("button", name="Save filter").click()
        check(page)
    goto(page, "/cases/")
    boxes = page.locator("input[name='cases']")
    for i in range(min(2, boxes.count())):
        boxes.nth(i).check()
    page.get_by_label("Coordinator", exact=True).select_option(label="coordinator2")
    page.get_by_role("button", name="Set on selected").click()
    check(page)
    for i in range(min(2, boxes.count())):
        boxes.nth(i).check()
    expect(page, "#bulk-form")
    capture(page, "14-case-list-saved-filters-bulk", bottom="#bulk-form", max_height=1500)


def vendor_status_form(b: Browser) -> None:
    page = b.page("partner")
    goto(page, "/cases/AKR-2026-0002/")
    expect(page, "#vendor-status a:has-text('Give the status')").click()
    check(page)
    page.get_by_role("radio", name="Not affected").check()
    page.get_by_label("Justification", exact=False).select_option(
        value="vulnerable_code_not_in_execute_path"
    )
    page.get_by_label("Product", exact=True).fill("Brightline Edge Gateway 4")
    page.get_by_label("Statement", exact=True).fill(
        "Brightline Edge Gateway builds libexample without the chunked decoder."
    )
    page.get_by_label("Publish this status", exact=False).check()
    capture(page, "15-vendor-status-form", bottom="form button:has-text('Save status')")
    page.get_by_role("button", name="Save status").click()
    check(page)


def vendor_status_matrix(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/cases/AKR-2026-0002/")  # after the partner's answer
    expect(page, "#vendor-status table")
    capture(page, "16-vendor-status-matrix", top="#vendor-status", bottom="#vendor-status")


def collapsed_panels(b: Browser) -> None:
    page = b.page("maintainer")
    goto(page, "/cases/AKR-2026-0002/")
    expect(page, ".panel-toggle")
    for heading in COLLAPSED:
        toggle = page.locator(f"section[aria-labelledby='{heading}'] > .panel-toggle")
        if toggle.count() and toggle.get_attribute("aria-expanded") == "true":
            toggle.click()
    page.reload()  # what was collapsed is remembered
    check(page)
    for heading in COLLAPSED:
        if page.locator(f"section[aria-labelledby='{heading}']").count():
            expect(
                page, f"section[aria-labelledby='{heading}'] > .panel-toggle[aria-expanded='false']"
            )
    capture(page, "17-collapsed-panels", max_height=1400)


# The maintainer's case page with these panels collapsed; the summary, vendor status,
# the maintainer's deadlines and the participants stay open.
COLLAPSED = (
    "vulns-heading",
    "embargo-heading",
    "release-heading",
    "advisory-heading",
    "comments-heading",
    "attachments-heading",
    "timeline-heading",
)


def go_no_go(b: Browser) -> None:
    page = b.page("coordinator")
    goto(page, "/cases/AKR-2026-0002/")
    expect(page, "#go-no-go")
    override = page.locator("#go-no-go summary:has-text('Override')")
    if override.count():
        override.click()  # the coordinator's way past the gate, with a reason
    capture(page, "18-release-go-no-go", top="#release", bottom="#release", max_height=1400)


SHOTS: list[Callable[[Browser], None]] = [
    public_report,
    security_txt,
    organisations,
    project_onboarding,
    work_queue,
    vendor_status_form,
    vendor_status_matrix,
    triage_duplicates,
    merge_confirmation,
    merge_undo,
    collapsed_panels,
    go_no_go,
    case_list,  # last: its bulk action changes the coordinator of two cases
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="run only this shot (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the demo data directory")
    parser.add_argument("--list", action="store_true", help="name the shots and stop")
    options = parser.parse_args()
    if options.list:
        print("\n".join(shot.__name__ for shot in SHOTS))
        return 0
    if not Path(CHROMIUM).exists():
        print(f"screenshots: {CHROMIUM} is missing (apt-get install chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="akrites-screenshots-"))
    demo = Demo(data_dir, free_port())
    failed: list[str] = []
    try:
        demo.start()
        with sync_playwright() as pw:
            browser = Browser(pw, demo)
            try:
                for shot in SHOTS:
                    if options.only and shot.__name__ not in options.only:
                        continue
                    print(f"{shot.__name__}:")
                    try:
                        shot(browser)
                    except Exception as exc:  # noqa: BLE001 - one shot's failure, reported
                        message = str(exc).splitlines()[0] if str(exc) else repr(exc)
                        failed.append(f"{shot.__name__}: {message}")
                        print(f"  FAILED: {message}")
            finally:
                browser.close()
    finally:
        demo.stop()
        if options.keep or failed:
            print(f"screenshots: demo data and server log kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if failed:
        print("screenshots: failed:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
