"""HR's main path in a real browser: headless Chromium (Debian's
``chromium`` and ``chromium-driver``) driven by Selenium against the page
served by uvicorn, as ``scheduler serve`` serves it.

Set SCHEDULER_SCREENSHOTS=DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from scheduler.io.read.run_files import read_sheet
from tests.io.workbook_factory import minimal, set_cell, write

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "campaign.xlsx"

pytestmark = [
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
        reason="no Chromium here: install Debian's chromium and "
        "chromium-driver (.ci/run does) to test the page in a browser",
    ),
    pytest.mark.skipif(
        not EXAMPLE.is_file(), reason="no inputs/campaign.xlsx"
    ),
]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture()
def server(tmp_path):
    """The page on a free loopback port, in this process."""
    import uvicorn

    from scheduler.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(tmp_path / "outputs")
    srv = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path / "outputs"
    srv.should_exit = True
    thread.join(15)


@pytest.fixture()
def browser(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1000",
    ):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
        },
    )
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(downloads)},
    )
    driver.downloads = downloads
    yield driver
    driver.quit()


def _shot(driver, name: str) -> None:
    folder = os.environ.get("SCHEDULER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script(
            "return document.documentElement.scrollHeight"
        )
        driver.set_window_size(1280, min(max(height, 800), 4000))
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))
        driver.set_window_size(1280, 1000)


def _downloaded(folder: Path, name: str, seconds: float = 30) -> Path:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        path = folder / name
        if path.is_file() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded")


def test_hr_main_path_in_chromium(server, browser, tmp_path):
    url, outputs = server
    d = browser
    wait = WebDriverWait(d, 30)
    d.get(url + "/lang/en")
    assert "Upload your workbook" in d.page_source
    _shot(d, "1-home")

    # upload the shipped example and run it with a short time limit
    d.find_element(By.ID, "book-file").send_keys(str(EXAMPLE))
    d.find_element(By.ID, "upload-button").click()
    ok = wait.until(ec.presence_of_element_located((By.ID, "check-ok")))
    assert "1,500 staff" in ok.text
    limit = d.find_element(By.ID, "time-limit")
    limit.clear()
    limit.send_keys("4")
    _shot(d, "2-checked")
    d.find_element(By.ID, "run-button").click()
    WebDriverWait(d, 20).until(ec.url_contains("/progress/"))
    _shot(d, "3-progress")
    WebDriverWait(d, 400).until(ec.url_contains("/runs/"))

    # the result: one bar per building, and the files
    bars = d.find_elements(By.CSS_SELECTOR, "svg.chart rect.after[data-rate]")
    assert len(bars) == 3
    rates = [float(b.get_attribute("data-rate")) for b in bars]
    assert all(0 < r <= 1 for r in rates)
    _shot(d, "4-result")
    (folder,) = [p for p in outputs.iterdir() if (p / "run.json").is_file()]
    d.find_element(By.LINK_TEXT, "schedule.xlsx").click()
    got = _downloaded(d.downloads, "schedule.xlsx")
    rows = read_sheet(got, "assignments")
    assert rows and rows == read_sheet(folder / "schedule.xlsx", "assignments")

    # 中文: every label follows
    d.find_element(By.ID, "lang-switch").click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h2"), "职场"))
    assert "各职场预计接种率" in d.page_source
    assert "需要通知的人" in d.page_source
    assert "Projected vaccination rate" not in d.page_source
    _shot(d, "5-result-zh")

    # a broken workbook: its problems, located, in a table
    sheets = minimal()
    set_cell(sheets, "employees", 3, "workplace_id", "WP9")
    broken = write(tmp_path / "broken.xlsx", sheets)
    d.get(url + "/")
    # dropped on the page this time: the file goes in through a drop event
    d.find_element(By.ID, "book-file").send_keys(str(broken))
    d.execute_script(
        """const input = document.getElementById("book-file");
        const dt = new DataTransfer();
        dt.items.add(input.files[0]);
        input.value = "";
        document.getElementById("drop").dispatchEvent(
            new DragEvent("drop", {dataTransfer: dt, bubbles: true}));"""
    )
    table = wait.until(ec.presence_of_element_located((By.ID, "issues")))
    assert "工作表" in table.text  # the headers in the page's language
    cells = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    (row,) = [
        c for c in cells if c[:4] == ["employees", "3", "workplace_id", "WP9"]
    ]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in row[4])  # 中文 too
    assert not d.find_elements(By.ID, "run-form")
    _shot(d, "6-broken-zh")
