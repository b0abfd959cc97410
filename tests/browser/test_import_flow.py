"""An officer imports a statistics file in Chromium, commits it after the preview, re-screens and sees the roster."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OVERFLOW
from tracker.demo import make_uscc

pytestmark = pytest.mark.browser

NEW_FIRM = "营口浏览器测试进出口有限公司"


def test_officer_imports_previews_commits_and_screens(page, sign_in, tmp_path):
    uscc = make_uscc("91", "210802", "MA0BRW001")
    path = tmp_path / "报关单统计2019.csv"
    path.write_bytes(("统一社会信用代码,企业名称,年度,报关单票数\r\n"
                      f"{uscc},{NEW_FIRM},2019,85\r\n").encode("gb18030"))

    sign_in("officer")
    page.goto("/imports/new")
    page.locator("#file").set_input_files(str(path))
    page.locator("#submit").click()

    # The background reader finishes and the page shows the preview.
    expect(page.locator("#sum-new-firms")).to_have_text("1")
    expect(page.locator("#sample-new-firms")).to_contain_text(NEW_FIRM)
    page.set_viewport_size({"width": 390, "height": 844})  # the preview's samples fit a phone too
    found = page.evaluate(OVERFLOW)
    assert found["wide"] == found["squeezed"] == [], found
    page.get_by_role("button", name="导入这些数据").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto("/campaigns/")
    page.get_by_role("link", name="2019年百企大调研").click()
    expect(page.locator("#roster")).not_to_contain_text(NEW_FIRM)
    page.get_by_role("button", name="重新筛选").click()
    page.get_by_role("searchbox").fill("llqcsjck")  # pinyin initials reach the roster search too
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator("#roster")).to_contain_text(NEW_FIRM)
    expect(page.locator("#roster")).to_contain_text("85")


def test_officer_sees_every_error_of_a_bad_file(page, sign_in, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("统一社会信用代码,年度,报关单票数\n91310110666007217A,2019,12\n91310115591693856A,二〇一九,x\n",
                    encoding="utf-8")
    sign_in("officer")
    page.goto("/imports/new")
    page.locator("#file").set_input_files(str(path))
    page.locator("#submit").click()
    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(3)
    expect(errors.first).to_contain_text("T")
    expect(page.get_by_role("button", name="导入这些数据")).to_have_count(0)
