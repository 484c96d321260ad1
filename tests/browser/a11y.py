"""Accessibility checks with axe-core (npm, node_modules/axe-core) on a Playwright page.

`axe_check(page, label)` runs axe on what the page shows now and returns the violations
counted by impact; `assert_no_serious(results)` fails naming every serious or critical
violation with the elements it was found on. To check a new page, open it in a context from
`viewport_context` and call both (tests/browser/test_accessibility.py does it for the main
pages).

axe is put into the page with `page.evaluate`, which the browser runs through the DevTools
protocol: the page's Content-Security-Policy (script-src 'self', no 'unsafe-eval') stays in
force as real users get it, and axe is checked against the page exactly as served. (A
`<script>` tag added by Playwright would be blocked by the policy; `bypass_csp` would lift it
for the page's own scripts too.)
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"

#: WCAG 2.0 A and AA (what Korea's KWCAG 2.2 follows) and axe's own best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "best-practice"]
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")

#: The two viewports every main page is checked at: a laptop and a current phone.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  const violations = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "),
      html: n.html.slice(0, 200),
      summary: n.failureSummary || "",
    })),
  }));
  return { violations, incomplete: results.incomplete.map((v) => v.id) };
}"""


@dataclass
class AxeResult:
    label: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    #: Rules axe could not decide (e.g. contrast over an image): for a person to look at.
    incomplete: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Violated rules by impact (one rule on many elements counts once)."""
        counts = dict.fromkeys(IMPACTS, 0)
        for violation in self.violations:
            counts[violation["impact"] or "minor"] += 1
        return counts

    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in BLOCKING]

    def summary(self) -> str:
        counts = self.counts()
        line = f"{self.label}: " + ", ".join(f"{counts[i]} {i}" for i in IMPACTS)
        if self.incomplete:
            line += f"; to review by hand: {', '.join(self.incomplete)}"
        return line

    def describe(self, violations: list[dict[str, Any]] | None = None) -> str:
        lines = []
        for v in self.violations if violations is None else violations:
            lines.append(f"{self.label}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"]:
                lines.append(f"    {node['target']}  {node['html']}")
                lines.extend(f"      {s}" for s in node["summary"].splitlines() if s.strip())
        return "\n".join(lines)


def viewport_context(
    browser: Browser, base_url: str, viewport: str, user: Any = None
) -> BrowserContext:
    """A Korean browser context at one of VIEWPORTS, signed in as `user` if given."""
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(base_url=base_url, locale="ko-KR", **VIEWPORTS[viewport])
    context.set_default_timeout(20_000)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
        )
    return context


def axe_check(page: Page, label: str) -> AxeResult:
    """Run axe-core on the page as it is now; every violation, whatever its impact."""
    if not page.evaluate("() => Boolean(window.axe)"):
        # A function body around the file: `this` is not needed (axe finds `window`).
        page.evaluate("() => {\n" + AXE_JS.read_text(encoding="utf-8") + "\n}")
    found = page.evaluate(RUN_AXE, AXE_TAGS)
    return AxeResult(label=label, violations=found["violations"], incomplete=found["incomplete"])


def assert_no_serious(results: list[AxeResult]) -> None:
    """Fail listing every serious or critical violation of every result, with its nodes."""
    report = "\n".join(r.describe(r.blocking()) for r in results if r.blocking())
    assert not report, "serious or critical accessibility violations:\n" + report


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as test-results/browser/<name>.png, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
