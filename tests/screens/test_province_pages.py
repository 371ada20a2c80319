"""The province's pages in a real browser: a leader of two sites signs in once, reads the
province's report (rows per site and agency, rankings, the evaluation workbook), opens a site's
own pages with the same session, and watches every site's hall on the overview."""
from __future__ import annotations

import io
import time

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import expect

from ..hall import ADMIN_PASSWORD, KIOSK_TOKEN, OTHER_SITE_KIOSK_TOKEN, password_hash
from .conftest import screens_hall, serve_hall, shot, wait_js
from .test_admin import busy_morning

LEADER_PASSWORD = "Lanh@2026"


@pytest.fixture
def hall(tmp_path, prefix, redis_url):
    doc = screens_hall(prefix)
    doc["sites"][0]["fields"][0]["agency"] = "Sở Tư pháp"
    doc["sites"][1]["fields"][0]["agency"] = "Sở Tư pháp"
    doc["province"] = {"name": "Tỉnh Thử nghiệm", "users": [
        {"username": "ld-all", "name": "Phó Chánh Văn phòng", "role": "leader", "sites": ["hcc", "xa"],
         "password_hash": password_hash(LEADER_PASSWORD)},
        {"username": "ld-xa", "name": "Lãnh đạo xã", "role": "leader", "sites": ["xa"],
         "password_hash": password_hash(LEADER_PASSWORD)},
        {"username": "qt-tinh", "name": "Quản trị tỉnh", "role": "province_admin",
         "password_hash": password_hash(ADMIN_PASSWORD)}]}
    yield from serve_hall(tmp_path, doc, redis_url)


def sign_in(page, username, password=LEADER_PASSWORD):
    page.fill("#admin-username", username)
    page.fill("#admin-password", password)
    page.click("#admin-login button[type=submit]")


def issue(url, site="hcc", field="TP"):
    token = KIOSK_TOKEN if site == "hcc" else OTHER_SITE_KIOSK_TOKEN
    r = requests.post(f"{url}/api/v1/sites/{site}/tickets", json={"field": field}, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text


def test_a_leader_reads_the_province_and_opens_each_site(pages, hall):
    busy_morning(hall.url)          # 5 visitors at hcc, one served
    issue(hall.url, "xa", "A")
    page = pages.open("/province", width=1400, height=1100)
    expect(page.locator("h2")).to_have_text("Đăng nhập lãnh đạo, quản trị tỉnh")
    sign_in(page, "ld-all", "wrong-password")
    expect(page.locator("#admin-error")).not_to_be_empty()
    sign_in(page, "ld-all")
    page.wait_for_selector("#stat-sites")
    deadline = time.monotonic() + 15    # the archiver (its own process) may still be storing the morning
    while page.locator("#stat-issued").inner_text() != "6" and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#stat-issued")).to_have_text("6")
    expect(page.locator("#stat-sites")).to_have_text("2")
    rows = page.locator("#by-site tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("5")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("1")
    expect(page.locator('#by-agency tbody tr', has_text="Sở Tư pháp").locator("td").nth(1)).to_have_text("4")
    expect(page.locator("#site-ranking tbody tr")).to_have_count(2)
    expect(page.locator("#officer-ranking tbody tr")).to_have_count(1)
    assert page.locator(".chart svg").count() == 1
    shot(page, "province-reports")

    # Every period of the form shows a report, not an error.
    for period in ("week", "month", "quarter", "year"):
        page.select_option("select[name=period]", period)
        page.click("#province-form button[type=submit]")
        expect(page.locator("#stat-issued")).to_have_text("6")
        assert page.locator(".error-text").count() == 0 and f"period={period}" in page.url

    # The evaluation workbook, downloaded with the page's own session.
    workbook = page.request.get(hall.url + page.locator("#xlsx-link").get_attribute("href"))
    assert workbook.status == 200
    book = load_workbook(io.BytesIO(workbook.body()))
    evaluation = book.worksheets[0]
    assert evaluation.title == "Đánh giá mức độ hài lòng" and evaluation["A1"].value == "Tỉnh Thử nghiệm"
    names = [row[1].value for row in evaluation.iter_rows(min_row=5)]
    assert names == ["Trung tâm Phục vụ Hành chính công tỉnh Thử nghiệm", "Bộ phận Một cửa xã Thử nghiệm", "Tổng cộng"]

    # A site's own report opens from its row, with no second sign-in.
    rows.nth(0).locator("a").click()
    expect(page.locator("#stat-issued")).to_have_text("5")
    assert "/admin/hcc" in page.url
    # So does the commune's live monitor, pushed over the same session.
    page.goto(hall.url + "/admin/xa/monitor")
    wait_js(page, "window.monitor && window.monitor.snapshot !== null")
    expect(page.locator('#fields tr[data-field="A"] td').nth(1)).to_have_text("1")

    page.goto(hall.url + "/province")
    page.click("#province-logout")
    expect(page.locator("#admin-login")).to_be_visible()


def test_the_overview_follows_every_hall(pages, hall):
    issue(hall.url, "hcc", "TP")
    page = pages.open("/province/monitor", width=1400, height=900)
    sign_in(page, "ld-all")
    wait_js(page, "window.province && window.province.data !== null")
    hcc = page.locator('#sites tr[data-site="hcc"] td')
    xa = page.locator('#sites tr[data-site="xa"] td')
    expect(hcc.nth(2)).to_have_text("1")
    expect(xa.nth(2)).to_have_text("0")
    expect(hcc.nth(1)).to_have_text("Đang làm việc")
    expect(page.locator("#total-waiting")).to_have_text("1")
    issue(hall.url, "xa", "A")
    issue(hall.url, "xa", "A")
    expect(xa.nth(2)).to_have_text("2", timeout=15000)      # the page asks every 10 s
    expect(page.locator("#total-waiting")).to_have_text("3")
    assert page.evaluate("window.province.failed") == 0
    shot(page, "province-monitor")

    # A leader of the commune only: sees the commune, and not the centre's pages.
    other = pages.open("/province/monitor", width=1400, height=900)   # a browser of its own
    sign_in(other, "ld-xa")
    wait_js(other, "window.province && window.province.data !== null")
    expect(other.locator("#sites tr")).to_have_count(1)
    assert other.goto(hall.url + "/admin/hcc").status == 403


def test_a_province_admin_adds_a_leader_who_then_reads_their_site(pages, hall):
    page = pages.open("/province", width=1400, height=1100)
    sign_in(page, "qt-tinh", ADMIN_PASSWORD)
    page.click("nav.admin-nav >> text=Người dùng cấp tỉnh")
    rows = page.locator("#people tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator('#people tr[data-username="ld-all"] td').nth(3)).to_contain_text("Bộ phận Một cửa xã")
    page.fill("#person-username", "ld-moi")
    page.fill("#person-name", "Lãnh đạo mới")
    page.select_option("#person-role", "leader")
    page.check('#person-sites input[value="xa"]')
    page.fill("#person-password", "Moi@20261")
    page.click("#person-save")
    expect(page.locator("#person-done")).to_have_text("Đã thêm Lãnh đạo mới.")
    expect(rows).to_have_count(4)
    r = requests.post(f"{hall.url}/api/v1/province/login", json={"username": "ld-moi", "password": "Moi@20261"},
                      timeout=10)
    assert r.status_code == 200 and [s["id"] for s in r.json()["sites"]] == ["xa"]
    # A mistake in words: a leader without sites.
    page.fill("#person-username", "ld-sai")
    page.fill("#person-name", "Sai")
    page.fill("#person-password", "Moi@20261")
    page.click("#person-save")
    expect(page.locator("#person-error")).to_contain_text("a leader needs the sites they read")
    page.reload()
    expect(page.locator('#audit tr[data-action="province_user.create"] td.details')).to_have_text(
        "Lãnh đạo mới · Lãnh đạo · xa")
    shot(page, "province-people")


def test_a_province_admin_adds_a_site_and_opens_its_pages(pages, hall):
    page = pages.open("/province", width=1400, height=1100)
    sign_in(page, "qt-tinh", ADMIN_PASSWORD)
    page.click('nav.admin-nav a[href="/province/sites"]')
    expect(page.locator("#site-list tbody tr")).to_have_count(2)
    page.fill("#site-id", "phuong1")
    page.fill("#site-name", "Bộ phận Một cửa phường 1")
    page.fill("#site-field-code", "A")
    page.fill("#site-field-name", "Hộ tịch")
    page.fill("#site-field-prefix", "A")
    page.fill("#site-admin-username", "qt-p1")
    page.fill("#site-admin-name", "Quản trị phường 1")
    page.fill("#site-admin-password", "Phuong@2026")
    page.click("#site-save")
    expect(page.locator("#site-done")).to_have_text("Đã thêm Bộ phận Một cửa phường 1.")
    expect(page.locator("#site-list tbody tr")).to_have_count(3)
    shot(page, "province-sites")
    # The province admin is an admin there too: the new site's people page, with its administrator.
    page.locator('#site-list tr[data-site="phuong1"] td').nth(4).locator("a").click()
    expect(page.locator('#people tr[data-username="qt-p1"] td').nth(2)).to_have_text("Quản trị")
    r = requests.post(f"{hall.url}/api/v1/sites/phuong1/login", timeout=10,
                      json={"username": "qt-p1", "password": "Phuong@2026"})
    assert r.status_code == 200


def test_a_province_admin_removes_a_site_once_nobody_is_given_it(pages, hall):
    """The remove button asks first, says in Vietnamese why a site cannot go yet, and takes the
    site off the list (and out of service) once it can."""
    kiosk = pages.open(f"/kiosk/xa#token={OTHER_SITE_KIOSK_TOKEN}", width=1080, height=1920)
    expect(kiosk.locator("#view-home")).to_be_visible()
    page = pages.open("/province", width=1400, height=1100)
    sign_in(page, "qt-tinh", ADMIN_PASSWORD)
    page.click('nav.admin-nav a[href="/province/sites"]')
    expect(page.locator("#site-list tbody tr")).to_have_count(2)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator('#site-list tr[data-site="xa"] button.site-remove').click()
    expect(page.locator("#site-list-error")).to_have_text(
        "Có lãnh đạo được giao đơn vị này: sửa phần giao việc của họ trước. (ld-all, ld-xa)")
    assert asked and asked[0].startswith("Bỏ hẳn Bộ phận Một cửa xã")
    shot(page, "province-site-remove-refused")
    for leader in ("ld-all", "ld-xa"):   # the leaders given xa read hcc instead
        r = page.request.patch(f"{hall.url}/api/v1/province/people/{leader}", data={"sites": ["hcc"]})
        assert r.status == 200, r.text()
    page.locator('#site-list tr[data-site="xa"] button.site-remove').click()
    expect(page.locator("#site-list-done")).to_contain_text("Đã bỏ")
    expect(page.locator("#site-list tbody tr")).to_have_count(1)
    assert requests.post(f"{hall.url}/api/v1/sites/xa/tickets", json={"field": "A"}, timeout=10,
                         headers={"Authorization": f"Bearer {OTHER_SITE_KIOSK_TOKEN}"}).status_code == 404
    # The site's kiosk, its socket closed and refused again, shows its set-up screen, not
    # "reconnecting" for ever.
    expect(kiosk.locator("#view-setup")).to_be_visible(timeout=15000)
