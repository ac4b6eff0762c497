"""新旧対照表 on Japanese texts: exactly the changed passages are marked."""
from __future__ import annotations

import pytest

from webapp.consent.diff import char_diff, compare, has_changes, paragraphs


def marked(segments) -> str:
    """[-deleted-] and {+inserted+}, the rest as is: easy to read in an assertion."""
    out = []
    for s in segments:
        out.append(s.text if s.op == "same" else f"[-{s.text}-]" if s.op == "del" else f"{{+{s.text}+}}")
    return "".join(out)


@pytest.mark.parametrize("old, new, left, right", [
    # an inserted phrase ends where the phrase ends, not in the middle of 利用者
    ("本規約は、利用者の義務を定める。", "本規約は、利用者及び管理者の義務を定める。",
     "本規約は、利用者の義務を定める。", "本規約は、利用者{+及び管理者+}の義務を定める。"),
    ("利用者及び管理者の義務", "利用者の義務", "利用者[-及び管理者-]の義務", "利用者の義務"),
    # numbers changed and a phrase added in one sentence
    ("変更は30日前までに通知する。", "変更は14日前までに電子メールで通知する。",
     "変更は[-30-]日前までに通知する。", "変更は{+14+}日前までに{+電子メールで+}通知する。"),
    # a rewritten phrase is one change, not a scatter of single characters around a shared 「は」
    ("甲は乙に対し通知する。", "乙は甲に対し通知する。", "[-甲は乙-]に対し通知する。", "{+乙は甲+}に対し通知する。"),
    ("東京地方裁判所を管轄裁判所とする。", "大阪地方裁判所を管轄裁判所とする。",
     "[-東京-]地方裁判所を管轄裁判所とする。", "{+大阪+}地方裁判所を管轄裁判所とする。"),
])
def test_character_level_marks(old, new, left, right):
    old_side, new_side = char_diff(old, new)
    assert marked(old_side) == left
    assert marked(new_side) == right


def test_paragraphs_are_split_on_blank_lines_only():
    assert paragraphs("第1条\n本文一行目\n二行目\n\n\n第2条\r\n\r\n本文") == ["第1条\n本文一行目\n二行目", "第2条", "本文"]


def test_a_changed_heading_reads_as_its_title_not_as_markdown():
    """Found by a UI review: 「## 第11条（準拠法及び~~管轄裁判所~~）」 in the comparison table."""
    [block] = [b for b in compare("## 第11条（準拠法及び管轄裁判所）", "## 第11条（準拠法及び裁判管轄）")]
    shown = "".join(s.text for row in block.rows for s in row.old + row.new)
    assert "#" not in shown and "第11条（準拠法及び" in shown
    # ...but a heading mark that changed is a change, and shown (found by a review of that fix:
    # "the two versions have the same text")
    assert has_changes(compare("## 第1条\n\n本文", "第1条\n\n本文"))
    assert has_changes(compare("## 第1条", "### 第1条"))
    # a heading inserted inside a paragraph (a review of that fix: marks shown on the wrong line)
    [block] = compare("本文です。\n## 見出し", "本文です。\n## 追加\n## 見出し")
    [row] = block.rows
    assert [(s.op, s.text) for s in row.new] == [("same", "本文です。\n"), ("ins", "追加\n"), ("same", "見出し")]


OLD = """## 第1条（目的）

本規約は、本システムの利用条件を定める。

## 第2条（変更）

運営者は、30日前までに通知して本規約を変更することができる。

## 第3条（禁止事項）

利用者は、IDを他人と共用してはならない。

## 第4条（管轄）

東京地方裁判所を専属的合意管轄裁判所とする。"""


def test_document_comparison_aligns_paragraphs_and_marks_only_changes():
    new = OLD.replace("30日前までに通知して", "30日前までに電子メールで通知して") \
             .replace("利用者は、IDを他人と共用してはならない。", "") \
             .replace("## 第4条（管轄）", "## 第4条（報告）\n\n漏えいのおそれがあるときは、直ちに報告する。\n\n## 第5条（管轄）")
    blocks = compare(OLD, new)
    rows = [row for block in blocks for row in block.rows]
    changed = [(r.status, marked(r.old), marked(r.new)) for r in rows if r.status != "same"]
    assert changed == [
        ("changed", "運営者は、30日前までに通知して本規約を変更することができる。",
         "運営者は、30日前までに{+電子メールで+}通知して本規約を変更することができる。"),
        ("deleted", "[-利用者は、IDを他人と共用してはならない。-]", ""),
        # a new article 4 is inserted and the old article 4 is renumbered, as a 新旧対照表 shows it
        ("inserted", "", "{+第4条（報告）+}"),
        ("inserted", "", "{+漏えいのおそれがあるときは、直ちに報告する。+}"),
        ("changed", "第[-4-]条（管轄）", "第{+5+}条（管轄）"),
    ]
    unchanged = [r.old[0].text for r in rows if r.status == "same"]
    assert unchanged == ["第1条（目的）", "本規約は、本システムの利用条件を定める。", "第2条（変更）",
                         "第3条（禁止事項）", "東京地方裁判所を専属的合意管轄裁判所とする。"]
    # unchanged runs are their own (collapsible) blocks, named by their first line
    assert [b.unchanged for b in blocks] == [True, False, True, False, True]
    assert blocks[0].first_line == "第1条（目的）"


def test_a_moved_paragraph_is_deleted_on_the_left_and_inserted_on_the_right_with_one_number():
    old = "第一段落です。\n\n第二段落です。\n\n第三段落です。\n\n第四段落です。"
    new = "第二段落です。\n\n第三段落です。\n\n第四段落です。\n\n第一段落です。"
    rows = [row for block in compare(old, new) for row in block.rows]
    moved = [(r.status, r.moved, marked(r.old), marked(r.new)) for r in rows if r.status != "same"]
    assert moved == [
        ("deleted", 1, "[-第一段落です。-]", ""),
        ("inserted", 1, "", "{+第一段落です。+}"),
    ]
    assert rows[0].status == "deleted" and rows[-1].status == "inserted"


def test_a_moved_paragraph_is_not_mistaken_for_the_edit_of_a_similar_one():
    moved = "乙は、毎月報告する。"
    old = f"甲は記録する。\n\n{moved}\n\n乙は、毎年報告する。\n\n丙は保存する。\n\n丁は廃棄する。"
    new = f"甲は記録する。\n\n乙は、毎年度報告する。\n\n丙は保存する。\n\n丁は廃棄する。\n\n{moved}"
    rows = [row for block in compare(old, new) for row in block.rows]
    assert [(r.status, r.moved, marked(r.old), marked(r.new)) for r in rows if r.status != "same"] == [
        ("deleted", 1, f"[-{moved}-]", ""),
        ("changed", None, "乙は、毎年報告する。", "乙は、毎年{+度+}報告する。"),
        ("inserted", 1, "", f"{{+{moved}+}}"),
    ]


def test_unrelated_rewrites_are_a_deletion_and_an_insertion():
    rows = [row for block in compare("本システムを目的外に利用してはならない。",
                                     "利用者は、閲覧した情報を第三者に提供してはならない。") for row in block.rows]
    assert [r.status for r in rows] == ["deleted", "inserted"]


def test_identical_texts_have_no_changes():
    blocks = compare(OLD, OLD + "\n")
    assert not has_changes(blocks)
    assert len(blocks) == 1 and blocks[0].unchanged
