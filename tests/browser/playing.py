"""Driving the platform's player from browser tests: its menus as a member uses them."""

import re

from playwright.sync_api import Page, expect


def choose(page: Page, menu: str, item: str) -> None:
    """Open the player's `menu` ("speed", "quality", "captions") and choose the item labelled
    `item` (its visible name, e.g. "한국어", "360p", "1.25×", "끄기")."""
    page.locator(f'[data-menu-button="{menu}"]').click()
    choice = page.locator(f'[data-menu="{menu}"] [role=menuitemradio]').filter(
        has_text=re.compile(f"^{re.escape(item)}$")
    )
    expect(choice).to_be_visible()
    choice.click()
    expect(choice).to_be_hidden()  # the menu closes on a choice
    expect(choice).to_have_attribute("aria-checked", "true")


def items(page: Page, menu: str) -> list[str]:
    """The labels of a player menu's items, in order."""
    return page.locator(f'[data-menu="{menu}"] [role=menuitemradio]').all_text_contents()


def checked(page: Page, menu: str) -> str:
    """The label of the item checked in a player menu."""
    return page.locator(f'[data-menu="{menu}"] [aria-checked=true]').inner_text()
