"""A person signs in and out in Chromium, on a desktop and on a phone-sized screen."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_user_menu

pytestmark = pytest.mark.browser


def test_officer_signs_in_and_out(page, sign_in):
    sign_in("officer")
    expect(page.get_by_role("heading", name="欢迎您，张关员")).to_be_visible()
    page.get_by_role("button", name="张关员").click()  # the user's menu, under his name
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url("/login?next=/")  # the old session is gone


def test_wrong_password_is_explained_in_chinese(page, sign_in):
    sign_in("officer", "not the password")
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()
    expect(page.get_by_label("密码")).to_have_class("form-control is-invalid")


def test_contact_on_a_phone_sees_his_firm_and_switches_to_english(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("yalisi")
    page.get_by_label("密码").fill("browser demo password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="营口雅丽丝服装有限公司")).to_be_visible()
    # The menu is collapsed on a phone; the toggler opens it.
    sign_out = page.get_by_role("button", name="退出登录")
    expect(sign_out).to_be_hidden()
    open_user_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Unified social credit code")).to_be_visible()
    context.close()
