"""/terms, /privacy and the 新旧対照表 for anyone, signed in or not."""
from __future__ import annotations

import re

from tests.consent.helpers import ITEMS_1, PRIVACY_1, TERMS_1, TERMS_2, language_of, publish


def test_terms_page_shows_the_current_version_and_the_revision_history(client):
    publish("terms", "1.0", TERMS_1, summary="制定")
    publish("terms", "1.1", TERMS_2, effective="2025-08-01", summary="通知方法を明記")
    html = client.get("/terms").get_data(as_text=True)
    document = html.split('data-testid="document"')[1].split("</article>")[0]
    assert "1.0" in document and "30日前までに通知して" in document
    history = html.split('data-testid="revision-history"')[1].split("</table>")[0]
    assert "制定" in history and "通知方法を明記" in history and "2025-08-01" in history
    assert 'href="/terms/1.0"' in history and 'href="/terms/1.1"' in history
    assert "/terms/compare?kind=terms&amp;old=1.0&amp;new=1.1" in history
    assert 'data-testid="upcoming"' in html  # 1.1 announced before it takes effect
    # Found by a UI review: headings went h1 to h3, and an English page read the Japanese text as English.
    levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:])), levels
    assert '<div class="document-body" lang="ja">' in document
    older = client.get("/terms/1.1").get_data(as_text=True)
    assert "電子メールで通知して" in older


def test_pages_work_before_anything_is_published(client):
    for url in ("/terms", "/privacy", "/consent-items", "/terms/compare?kind=privacy"):
        assert client.get(url).status_code == 200, url


def test_unknown_versions_and_kinds_are_404(client):
    publish("privacy", "1.0", PRIVACY_1)
    for url in ("/privacy/9.9", "/privacy/abc", "/privacy/1.0%00", "/terms/compare?kind=x",
                "/terms/compare?kind=privacy&old=0.1&new=1.0", "/terms/compare?kind=privacy&new=<b>"):
        assert client.get(url).status_code == 404, url


def test_comparison_table_marks_changes_and_folds_unchanged_sections(client):
    publish("terms", "1.0", TERMS_1)
    publish("terms", "1.1", TERMS_2, effective="2025-07-01")
    html = client.get("/terms/compare?kind=terms&old=1.0&new=1.1").get_data(as_text=True)
    table = html.split('data-testid="comparison"')[1]
    inserted = re.findall(r"<ins><span class=\"vh\"[^>]*>[^<]*</span>([^<]*)<span", table)
    deleted = re.findall(r"<del><span class=\"vh\"[^>]*>[^<]*</span>([^<]*)<span", table)
    assert inserted == ["電子メールで"] and deleted == []
    assert table.count('<details class="compare-same">') == 1  # 第1条..第2条 heading, folded
    assert "旧" in html or "Old" in html
    expanded = client.get("/terms/compare?kind=terms&old=1.0&new=1.1&expand=1").get_data(as_text=True)
    assert '<details class="compare-same" open>' in expanded
    assert "consent.css" in html  # the print stylesheet comes with the page


def test_the_versions_to_compare_are_named_with_the_readers_brackets(client):
    """Found by a browser review: the English page offered "1.1（2025-07-01）"."""
    from webapp.i18n import LOCALE_COOKIE

    publish("terms", "1.0", TERMS_1)
    publish("terms", "1.1", TERMS_2, effective="2025-07-01")
    for language, option in (("ja", ">1.1（2025-07-01）</option>"), ("en", ">1.1 (2025-07-01)</option>")):
        client.set_cookie(LOCALE_COOKIE, language)
        form = client.get("/terms/compare?kind=terms").get_data(as_text=True).split('class="compare-form')[1]
        assert form.count(option) == 2  # the old version's list and the new one's


def test_an_items_organisations_are_listed_with_the_readers_punctuation(client):
    from webapp.i18n import LOCALE_COOKIE

    publish("items", "1.0", ITEMS_1.replace("[grid]", "[grid, certified]"))
    for language, target in (("ja", "対象：認定事業者、一般送配電事業者"),
                             ("en", "Applies to: Certified operator, General transmission and distribution operator")):
        client.set_cookie(LOCALE_COOKIE, language)
        assert f'>{target}</small>' in client.get("/consent-items").get_data(as_text=True)


def test_the_compared_texts_are_marked_japanese_on_an_english_page(client):
    """Found by a browser review: an English page read the table's Japanese cells as English."""
    from webapp.i18n import LOCALE_COOKIE

    publish("terms", "1.0", TERMS_1)
    publish("terms", "1.1", TERMS_2, effective="2025-07-01")
    client.set_cookie(LOCALE_COOKIE, "en")
    page = client.get("/terms/compare?kind=terms&old=1.0&new=1.1").get_data(as_text=True)
    table = page.split('data-testid="comparison"')[1]
    for text in ("電子メールで", "運営者は、30日前までに", "本規約は、本システムの利用条件を定める。"):
        assert set(language_of(table, text)) == {"ja"}, text
    # The words around them stay English: the marks read to screen readers, the folded section's summary.
    assert set(language_of(table, "[added:")) == {"en"}
    assert set(language_of(table, "Unchanged (")) == {None}  # the page's own language


def test_consent_items_compare_with_their_ids_and_targets(client):
    publish("items", "1.0", ITEMS_1)
    publish("items", "1.1", ITEMS_1.replace("小売事業", "小売電気事業その他の営業活動"), effective="2025-07-01")
    html = client.get("/terms/compare?kind=items").get_data(as_text=True)
    assert re.findall(r"<ins><span class=\"vh\"[^>]*>[^<]*</span>([^<]*)<span", html) == ["電気事業その他の営業活動"]
    assert "[grid-no-retail]（grid）" in html
    page = client.get("/consent-items").get_data(as_text=True)
    assert "grid-no-retail" in page
