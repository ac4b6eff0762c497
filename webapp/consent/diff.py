"""新旧対照表: two versions side by side, aligned by paragraph, changes marked by character.

Paragraphs (blank-line separated) are aligned with difflib. Inside a changed
paragraph the comparison is by character, because Japanese has no spaces to
split words on; short coincidental matches (a shared 「の」 between two
rewritten phrases) are folded into the change so the marks stay readable.
A paragraph that only moved shows as deleted on the left and inserted on the
right, both rows carrying the same `moved` number. Pure: no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Sequence

# Below this similarity two paragraphs are a deletion and an insertion, not one change.
PAIRING_THRESHOLD = 0.5


@dataclass(frozen=True)
class Segment:
    op: str  # "same" | "ins" | "del"
    text: str


@dataclass(frozen=True)
class Row:
    status: str  # "same" | "changed" | "deleted" | "inserted"
    old: tuple[Segment, ...]  # empty when the paragraph is new
    new: tuple[Segment, ...]  # empty when the paragraph was removed
    moved: int | None = None  # both rows of a moved paragraph carry the same number


@dataclass(frozen=True)
class Block:
    unchanged: bool
    rows: tuple[Row, ...]

    @property
    def first_line(self) -> str:
        first = self.rows[0].old or self.rows[0].new
        line = "".join(s.text for s in first).split("\n", 1)[0]
        return re.sub(r"^#+\s*", "", line)  # a Markdown heading reads as its title


def paragraphs(text: str) -> list[str]:
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", normalised) if p.strip()]


_HEADING_MARK = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)


def _plain(paragraph: str) -> str:
    """A heading reads as its title (found by a UI review: "## 第11条..." in the table)."""
    return _HEADING_MARK.sub("", paragraph)


def _row_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The marks of both sides by their titles; with the Markdown when only a heading's mark
    changed (made plain text, or another level), which is a change too."""
    plain_old, plain_new = _plain(old), _plain(new)
    return char_diff(old, new) if plain_old == plain_new else char_diff(plain_old, plain_new)


def compare(old_text: str, new_text: str) -> list[Block]:
    old, new = paragraphs(old_text), paragraphs(new_text)
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    moved_old, moved_new = _moved(old, new, opcodes)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            rows.extend(Row("same", (Segment("same", _plain(p)),), (Segment("same", _plain(p)),)) for p in old[i1:i2])
        else:
            rows.extend(_align(old, list(range(i1, i2)), new, list(range(j1, j2)), moved_old, moved_new))
    return _blocks(rows)


def has_changes(blocks: Sequence[Block]) -> bool:
    return any(not block.unchanged for block in blocks)


def _moved(old: list[str], new: list[str], opcodes: list) -> tuple[dict[int, int], dict[int, int]]:
    """Paragraphs removed in one place and added unchanged in another: index -> shared number."""
    removed = [i for tag, i1, i2, _j1, _j2 in opcodes if tag != "equal" for i in range(i1, i2)]
    added = [j for tag, _i1, _i2, j1, j2 in opcodes if tag != "equal" for j in range(j1, j2)]
    moved_old: dict[int, int] = {}
    moved_new: dict[int, int] = {}
    for i in removed:
        for j in added:
            if j not in moved_new and old[i] == new[j]:
                number = len(moved_old) + 1
                moved_old[i], moved_new[j] = number, number
                break
    return moved_old, moved_new


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < PAIRING_THRESHOLD or matcher.quick_ratio() < PAIRING_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _pairs(old: list[str], olds: list[int], new: list[str], news: list[int]) -> list[tuple[int, int]]:
    """Greedy, order-keeping pairing of each old paragraph with its most similar later new one."""
    pairs: list[tuple[int, int]] = []
    start = 0
    for i in olds:
        best, best_score = None, PAIRING_THRESHOLD
        for position in range(start, len(news)):
            score = _similarity(old[i], new[news[position]])
            if score >= best_score:
                best, best_score = position, score
                if score == 1.0:
                    break
        if best is not None:
            pairs.append((i, news[best]))
            start = best + 1
    return pairs


def _align(old: list[str], olds: list[int], new: list[str], news: list[int],
           moved_old: dict[int, int], moved_new: dict[int, int]) -> list[Row]:
    pairs = _pairs(old, [i for i in olds if i not in moved_old], new, [j for j in news if j not in moved_new])
    rows: list[Row] = []
    oi = nj = 0
    for i, j in [*pairs, (None, None)]:
        while oi < len(olds) and olds[oi] != i:
            index = olds[oi]
            rows.append(Row("deleted", (Segment("del", _plain(old[index])),), (), moved_old.get(index)))
            oi += 1
        while nj < len(news) and news[nj] != j:
            index = news[nj]
            rows.append(Row("inserted", (), (Segment("ins", _plain(new[index])),), moved_new.get(index)))
            nj += 1
        if i is None or j is None:
            break
        left, right = _row_diff(old[i], new[j])
        rows.append(Row("changed", left, right))
        oi, nj = oi + 1, nj + 1
    return rows


def char_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Character-level marks: (old side with deletions, new side with insertions)."""
    chunks = _chunks(old, new)
    _fold_short_equalities(chunks)
    _slide_right(chunks)
    left: list[Segment] = []
    right: list[Segment] = []
    for kind, removed, added in chunks:
        if kind == "eq":
            left.append(Segment("same", removed))
            right.append(Segment("same", removed))
            continue
        if removed:
            left.append(Segment("del", removed))
        if added:
            right.append(Segment("ins", added))
    return tuple(left), tuple(right)


def _chunks(old: str, new: str) -> list[list[str]]:
    """["eq", text, ""] and ["chg", removed, added], changes next to each other merged."""
    chunks: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            chunks.append(["eq", old[i1:i2], ""])
        elif chunks and chunks[-1][0] == "chg":
            chunks[-1][1] += old[i1:i2]
            chunks[-1][2] += new[j1:j2]
        else:
            chunks.append(["chg", old[i1:i2], new[j1:j2]])
    return chunks


def _fold_short_equalities(chunks: list[list[str]]) -> None:
    """An equality no longer than the changes on both sides of it becomes part of one change."""
    folded = True
    while folded:
        folded = False
        for k in range(1, len(chunks) - 1):
            before, middle, after = chunks[k - 1], chunks[k], chunks[k + 1]
            if middle[0] != "eq" or before[0] != "chg" or after[0] != "chg":
                continue
            size = len(middle[1])
            if size <= max(len(before[1]), len(before[2])) and size <= max(len(after[1]), len(after[2])):
                chunks[k - 1:k + 2] = [["chg", before[1] + middle[1] + after[1], before[2] + middle[1] + after[2]]]
                folded = True
                break


def _slide_right(chunks: list[list[str]]) -> None:
    """A pure insertion or deletion moves right while the text allows it, so 利用[者及び管理]者の
    reads 利用者[及び管理者]の: the change then ends where the phrase ends."""
    chunks.insert(0, ["eq", "", ""])  # every change has an equality before it to grow
    for k in range(1, len(chunks) - 1):
        chunk, following = chunks[k], chunks[k + 1]
        if chunk[0] != "chg" or (chunk[1] and chunk[2]) or following[0] != "eq" or chunks[k - 1][0] != "eq":
            continue
        side = 1 if chunk[1] else 2
        while following[1] and chunk[side][0] == following[1][0]:
            moved_char = chunk[side][0]
            chunk[side] = chunk[side][1:] + moved_char
            following[1] = following[1][1:]
            chunks[k - 1][1] += moved_char
    chunks[:] = [c for c in chunks if c[0] == "chg" or c[1]]


def _blocks(rows: list[Row]) -> list[Block]:
    blocks: list[Block] = []
    for row in rows:
        unchanged = row.status == "same"
        if blocks and blocks[-1].unchanged == unchanged:
            blocks[-1] = Block(unchanged, blocks[-1].rows + (row,))
        else:
            blocks.append(Block(unchanged, (row,)))
    return blocks
