"""The single-file HTML reports: self-contained, and they render in a real browser.

`graphlab watch --format html` and `graphlab bench --format html` write one page. The
page is opened in headless Chromium (Debian's `chromium`): a screenshot is taken, and a
JavaScript error on the page fails the test. `.ci/run` installs Chromium when it is
missing, so in CI (`CI` set) these tests never skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import helpers
import pytest
from helpers import make_report

from graphlab import _html as html_page
from graphlab.tracing.render import render_page

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "tests" / "data" / "retracing_script.py"

# Written into the DOM by every uncaught error, then read back with --dump-dom.
ERROR_HOOK = (
    "<script>window.addEventListener('error', function (e) {"
    " document.documentElement.setAttribute('data-js-errors',"
    " (document.documentElement.getAttribute('data-js-errors') || '') + e.message + ';');"
    "});</script>"
)
# Runs after the page's own script: sorting a table proves that script works.
CLICK_FIRST_HEADER = "<script>document.querySelector('thead th').click();</script>"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run should have installed it")
    pytest.skip(
        "chromium not installed (apt-get install chromium); CI installs it and runs this test"
    )


def browse(page: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def js_errors(page: Path, tmp_path: Path) -> list[str]:
    """Uncaught errors of ``page``: from the console log and from a DOM hook."""
    text = page.read_text(encoding="utf-8")
    probe = tmp_path / f"probe-{page.name}"
    probe.write_text(
        text.replace("<head>", "<head>" + ERROR_HOOK, 1).replace(
            "</body>", CLICK_FIRST_HEADER + "</body>", 1
        ),
        encoding="utf-8",
    )
    result = browse(probe, "--virtual-time-budget=2000", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "Uncaught" in line]
    hooked = re.search(r'data-js-errors="([^"]*)"', result.stdout)
    if hooked:
        errors.append(hooked.group(1))
    if "sorted-asc" not in result.stdout:
        errors.append("the page's sort script did not run")
    return errors


def screenshot(page: Path, tmp_path: Path) -> Path:
    png = tmp_path / (page.stem + ".png")
    result = browse(page, f"--screenshot={png}", "--window-size=1200,1400")
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000, "the screenshot is (nearly) blank"
    return png


def assert_self_contained(text: str) -> None:
    assert text.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no src/href attributes, no CSS imports or url(...).
    for pattern in (r"\bsrc\s*=", r"\bhref\s*=", r"@import", r"url\("):
        assert not re.search(pattern, text), pattern
    assert "<svg" in text


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return helpers.run_cli("module", *args, cwd=cwd)


def test_page_wraps_the_fragment_with_causes_and_a_chart():
    report = make_report()
    page = render_page(report)
    assert_self_contained(page)
    assert report._repr_html_() in page  # the Jupyter fragment, unchanged
    assert "2 traces of 1 function, 1 avoidable retrace." in page
    assert "1 TensorFlow-internal trace hidden" in page
    assert "Tracing time per trace" in page
    # every trace's full sentence, also those the table clips
    for event in report.events:
        if not event.internal:
            assert event.message.replace("->", "-&gt;") in page
    assert "wrapped_fn" not in page
    assert "wrapped_fn" in render_page(report, include_internal=True)


def test_fragment_stays_a_fragment():
    fragment = make_report()._repr_html_()
    assert fragment.startswith("<div") and "<html" not in fragment and "<script" not in fragment


@pytest.mark.slow
def test_watch_html_page_renders_in_chromium_without_js_errors(tmp_path):
    result = run_cli("watch", "--format", "html", "-o", "report.html", str(SCRIPT), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = tmp_path / "report.html"
    text = page.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "x changed Python value 2 -&gt; 3" in text and "What to do" in text
    assert js_errors(page, tmp_path) == []
    screenshot(page, tmp_path)


@pytest.mark.slow
def test_bench_html_page_renders_in_chromium_without_js_errors(tmp_path):
    result = run_cli(
        "bench",
        "graphlab.examples:cube",
        "--arg",
        "f32[4]",
        "--modes",
        "eager,graph",
        "--max-time",
        "0.05",
        "-o",
        "bench.html",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    page = tmp_path / "bench.html"
    text = page.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "First call: tracing + compilation + one run" in text
    assert js_errors(page, tmp_path) == []
    screenshot(page, tmp_path)


def test_the_js_error_check_catches_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        html_page.page(
            "broken", "<table><thead><tr><th>a</th></tr></thead><tbody></tbody></table>"
        ).replace("<script>", "<script>undefinedFunction();</script><script>", 1),
        encoding="utf-8",
    )
    errors = js_errors(page, tmp_path)
    assert any("undefinedFunction" in error for error in errors), errors


def test_sorting_a_column_compares_times_across_units(tmp_path):
    rows = "".join(f"<tr><td>{v}</td></tr>" for v in ("1.40 ms", "never", "11.5 µs", "123 µs"))
    table = f"<table><thead><tr><th>median</th></tr></thead><tbody>{rows}</tbody></table>"
    page = tmp_path / "sort.html"
    page.write_text(html_page.page("sort", table), encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", CLICK_FIRST_HEADER + "</body>", 1),
        encoding="utf-8",
    )
    result = browse(probe, "--virtual-time-budget=2000", "--dump-dom")
    cells = re.findall(r"<td>([^<]*)</td>", result.stdout)
    assert cells == ["11.5 µs", "123 µs", "1.40 ms", "never"]


@pytest.mark.slow
def test_inspect_html_page_renders_in_chromium_without_js_errors(tmp_path):
    result = run_cli(
        "inspect", "graphlab.examples:add_10_tf_range", "--arg", "i32[]", "-o", "inspect.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = tmp_path / "inspect.html"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>graphlab inspect: add_10_tf_range" in text
    for pattern in (r"\bsrc\s*=", r"\bhref\s*=", r"@import", r"url\("):
        assert not re.search(pattern, text), pattern
    assert "StatelessWhile" in text and "AutoGraph code" in text
    assert js_errors(page, tmp_path) == []
