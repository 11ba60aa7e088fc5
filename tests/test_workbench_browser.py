"""The analyst workbench in a real browser (Debian's chromium, driven by Playwright) against a real
`bentoml serve`: read a seed article, score a 50-row file with two bad rows, correct an article
and find it in the feedback file, and retrain on it. Screenshots of each step go to the test's
tmp dir. `.ci/run` installs chromium and playwright, so in CI these always run."""

import json
import re
from pathlib import Path

import pytest
from browsers import SEED, chromium_browser, needs_chromium  # noqa: F401 (the `browser` fixture)
from servers import call

from service.local_server import LocalServer

from conftest import REPO, run_tagger

pytestmark = [pytest.mark.slow, needs_chromium]
BAD_LINES = {7: "invalid JSON", 31: "empty 'text'"}


@pytest.fixture(scope="module")
def feedback_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home") / "labels" / "feedback" / "corrections.jsonl"


@pytest.fixture(scope="module")
def server(promoted_tiny, feedback_file):
    s = LocalServer(env={"TAGGER_FEEDBACK_FILE": str(feedback_file)}, cwd=REPO)
    yield s
    s.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    elsewhere: list[str] = []  # the page asks this server only, for anything (blob: and data: are its own)
    ours = (f"http://127.0.0.1:{server.port}/", "blob:", "data:")
    page.on("request", lambda r: r.url.startswith(ours) or elsewhere.append(r.url))
    page.goto(f"http://127.0.0.1:{server.port}/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    yield page
    context.close()
    assert not errors, errors
    assert not elsewhere, elsewhere


def test_page_is_served_at_root_without_network(server):
    status, html = call(server.port, "/", method="GET")
    assert status == 200 and "analyst workbench" in html
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing from a CDN
    assert call(server.port, "/docs.json", method="GET")[0] == 200  # the API's own routes still win
    status, docs = call(server.port, "/docs", method="GET")
    assert status == 200 and "swagger-ui" in docs
    assert call(server.port, "/static_content/swagger-ui.css", method="GET")[0] == 200
    status, err = call(server.port, "/workbench/api/scored", raw=b"rows=1")  # the page's API, not JSON
    assert status == 400 and json.loads(err)["error"].startswith("the request body is not valid JSON ("), err


def test_swagger_ui_loads_from_this_server_only(browser, server):
    """/docs renders the API from /docs.json and asks no other host for anything (BentoML's stock
    page loaded Google Tag Manager; Swagger UI's default validator badge calls swagger.io)."""
    context = browser.new_context()
    page = context.new_page()
    hosts: list[str] = []
    page.on("request", lambda r: hosts.append(r.url.split("/")[2]))
    page.goto(f"http://127.0.0.1:{server.port}/docs")
    page.wait_for_selector("text=/classify_batch", timeout=30_000)
    context.close()
    assert hosts and set(hosts) == {f"127.0.0.1:{server.port}"}, hosts


def _read_seed(page, tmp_path, name: str) -> None:
    page.fill("#read-title", "")
    page.fill("#read-text", SEED.read_text(encoding="utf-8"))
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#read-result .scores.framing li", timeout=60_000)
    page.screenshot(path=str(tmp_path / name), full_page=True)


def test_read_a_seed_article(page, tmp_path):
    _read_seed(page, tmp_path, "1-read.png")
    result = page.locator("#read-result")
    assert result.locator(".scores.topics li").count() == 3
    assert result.locator(".scores.framing li").count() == 3
    assert result.locator(".scores.framing li.chosen").count() == 1
    assert "article-tagger:" in result.locator(".model").inner_text()
    marks = result.locator("mark.ev")
    assert marks.count() >= 1
    text = SEED.read_text(encoding="utf-8")
    for i in range(marks.count()):
        assert marks.nth(i).inner_text() in text
    assert result.locator(".evidence-list li").count() >= 2  # at least the framing's sentences
    assert "article-tagger:" in page.inner_text("#model-tag")


def _day_file(path: Path) -> list[dict]:
    """50 lines: 48 corpus articles (ids, dates, outlet countries) and two bad rows."""
    rows = []
    for f in sorted((REPO / "labels" / "corpus").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            rows.append({k: a[k] for k in ("id", "title", "text", "outlet_country", "date")})
            if len(rows) == 48:
                break
        if len(rows) == 48:
            break
    lines = [json.dumps(r) for r in rows]
    lines.insert(6, '{"id": "broken", "text": ')  # line 7
    lines.insert(30, json.dumps({"id": "blank", "text": "   "}))  # line 31
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rows


def test_score_a_file(page, tmp_path):
    rows = _day_file(tmp_path / "day.jsonl")
    page.click("text=Score a file")
    page.set_input_files("#score-file", str(tmp_path / "day.jsonl"))
    page.evaluate(
        """() => { window.progressSeen = [];
        const label = document.getElementById('score-progress-label');
        new MutationObserver(() => window.progressSeen.push(label.textContent))
          .observe(label, {childList: true, characterData: true, subtree: true}); }"""
    )
    page.click("#score-submit")
    page.wait_for_selector("#score-results:not([hidden])", timeout=120_000)
    page.screenshot(path=str(tmp_path / "2-scored.png"), full_page=True)
    seen = page.evaluate("window.progressSeen")
    assert any(re.fullmatch(r"Scored (1[0-9]|[2-3][0-9]) of 48 articles", s) for s in seen), seen
    assert page.inner_text("#score-progress-label") == "Done: 48 scored, 2 not scored"

    errors = page.locator("#errors-table tbody tr")
    assert errors.count() == 2
    got = {int(errors.nth(i).locator("td").nth(0).inner_text()): errors.nth(i).inner_text() for i in range(2)}
    assert set(got) == set(BAD_LINES) and all(BAD_LINES[n] in got[n] for n in got)

    table = page.locator("#rows-table tbody tr")
    assert table.count() == 48
    assert {table.nth(i).locator("td").nth(1).inner_text() for i in range(48)} == {r["id"] for r in rows}

    bars = page.locator("#counts-chart g.bar")
    assert bars.count() == 6
    assert page.locator("#time-chart circle").count() > 0
    page.locator("#time-chart circle").first.focus()
    assert re.search(r"\d\d\d\d-\d\d, .+: [\d.]+% ", page.inner_text("#time-readout"))
    framing_bar = page.locator('#counts-chart g.bar[data-label="neutral"]')
    n_neutral = int(framing_bar.locator("text.num").text_content())
    framing_bar.focus()
    page.keyboard.press("Enter")  # bars are keyboard buttons that filter the table
    assert table.count() == n_neutral
    assert page.inner_text("#table-count") == f"Showing {n_neutral} of 48 articles"
    page.click("#f-reset")
    page.wait_for_function("document.querySelectorAll('#rows-table tbody tr').length === 48")

    with page.expect_download() as dl:
        page.click("#download")
    scored = [json.loads(x) for x in Path(dl.value.path()).read_text().splitlines()]
    assert len(scored) == 48 and all(r["model"].startswith("article-tagger:") for r in scored)

    assert page.locator("#queue li").count() == 48
    with page.expect_download() as dl:
        page.click("#ls-tasks")
    tasks = json.loads(Path(dl.value.path()).read_text())
    assert len(tasks) == 48 and "text" in tasks[0]["data"] and "topics" not in tasks[0]["data"]

    table.first.focus()
    page.keyboard.press("Enter")  # per-row detail, with evidence
    page.wait_for_selector("#detail-body .scores.framing li", state="attached", timeout=60_000)
    page.screenshot(path=str(tmp_path / "3-detail.png"), full_page=True)
    assert page.locator("#detail-body .scores.framing li").first.is_visible()
    assert page.locator("#detail-body mark.ev").count() >= 1
    page.keyboard.press("Escape")


def test_correct_an_article_and_retrain(page, tmp_path, feedback_file, small_corpus):
    _read_seed(page, tmp_path, "4-before-correction.png")
    model_framing = page.locator("#read-result .scores.framing li.chosen .name").inner_text()
    want = next(f for f in ("india-focused", "neutral", "pro-alignment") if f != model_framing)
    form = page.locator("#read-result form.correct")
    for box in form.locator("input[name=topic]").all():
        box.set_checked(box.get_attribute("value") in ("defence", "diplomacy"))
    form.locator(f'input[name=framing][value="{want}"]').check()
    form.locator("button.save-correction").click()
    page.wait_for_selector("#read-result form.correct .status[data-saved]", timeout=30_000)
    page.screenshot(path=str(tmp_path / "5-corrected.png"), full_page=True)

    [record] = [json.loads(x) for x in feedback_file.read_text().splitlines()]
    assert record["topics"] == ["defence", "diplomacy"] and record["framing"] == want
    assert record["text"] == SEED.read_text(encoding="utf-8") and record["id"].startswith("wb-")
    assert (
        record["model"].startswith("article-tagger:") and record["model_answer"]["framing"] == model_framing
    )
    assert record["corrected_at"]

    check = run_tagger("labels", "check", str(feedback_file))
    assert check.returncode == 0, check.stderr[-2000:]
    n_small = len(small_corpus.read_text().splitlines())
    res = run_tagger(
        "train",
        "--config",
        "tiny",
        "--set",
        f"data.paths=[{small_corpus},{feedback_file.parent}]",
        "--set",
        "registry.name=workbench-retrain",
        "--runs-dir",
        str(tmp_path / "runs"),
    )
    assert res.returncode == 0, res.stderr[-3000:]
    sizes = dict(re.findall(r"(train|validation|test): (\d+)", res.stdout))
    assert sum(map(int, sizes.values())) == n_small + 1, res.stdout[-2000:]
    [metrics] = (tmp_path / "runs").glob("*/metrics.json")
    assert sum(json.loads(metrics.read_text())["run"]["split_sizes"].values()) == n_small + 1


@pytest.mark.parametrize("size", [(1400, 900), (420, 860)], ids=["wide", "narrow"])
def test_layout_fits_the_window(browser, server, tmp_path, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#read-text", SEED.read_text(encoding="utf-8"))
    page.click("#read-submit")
    page.wait_for_selector("#read-result .scores.framing li", timeout=60_000)
    page.screenshot(path=str(tmp_path / f"layout-{size[0]}x{size[1]}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]  # no sideways scrolling
    labelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')].filter(e => e.type !== 'hidden')
              .every(e => e.labels.length || e.getAttribute('aria-label'))"""
    )
    assert labelled
    context.close()


def test_a_correction_under_another_articles_id_says_so(page, tmp_path, feedback_file):
    """Scored files often number rows 1..N; a correction whose id names another labelled article
    is kept under a new id, and the page says why (the corpus's article is not replaced)."""
    corpus_line = (REPO / "labels" / "corpus" / "batch_01.jsonl").read_text(encoding="utf-8").splitlines()[0]
    taken = json.loads(corpus_line)["id"]
    text = (  # new to the labels: a text they hold (a seed corrected earlier) would be corrected as that
        f"Textile exporters from Karachi met buyers in Dhaka on Tuesday (note {tmp_path.name}), the trade "
        "body said, adding that orders for yarn and denim were discussed and a second visit was planned."
    )
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": taken, "text": text}) + "\n")
    page.click("text=Score a file")
    page.set_input_files("#score-file", str(tmp_path / "one.jsonl"))
    page.click("#score-submit")
    page.wait_for_selector("#score-results:not([hidden])", timeout=120_000)
    page.locator("#rows-table tbody tr").first.focus()
    page.keyboard.press("Enter")
    form = page.locator("#detail-body form.correct")
    form.locator('input[name=framing][value="neutral"]').check()
    form.locator("button.save-correction").click()
    status = form.locator(".status[data-saved]")
    status.wait_for(timeout=30_000)
    saved = status.get_attribute("data-saved")
    assert (
        saved.startswith(f"{taken}-") and f"id '{taken}' already names another article" in status.inner_text()
    )
    assert json.loads(feedback_file.read_text().splitlines()[-1])["id"] == saved


def test_highlights_stay_on_their_sentences_after_emoji(page, server):
    """The API's offsets count code points, JavaScript's strings UTF-16 units: each highlighted piece
    must still lie inside one of the evidence sentences the API returned."""
    text = "😀😀 Fans cheered 𝐏𝐚𝐤𝐢𝐬𝐭𝐚𝐧 on. " + SEED.read_text(encoding="utf-8")
    page.fill("#read-title", "")
    page.fill("#read-text", text)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#read-result mark.ev", timeout=60_000)
    marks = page.locator("#read-result mark.ev")
    pieces = [marks.nth(i).inner_text() for i in range(marks.count())]
    status, res = call(server.port, "/classify", {"text": text})
    sentences = [ev["text"] for items in res["evidence"].values() for ev in items]
    assert status == 200 and pieces and sentences
    assert all(any(p.strip() in s for s in sentences) for p in pieces), (pieces, sentences)
