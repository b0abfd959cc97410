"""The certification standard's scoring rule (认证标准的评分规则), as pure functions of the items and their scores:
no database, no request. services, queries and the pages all read a result through ``evaluate``."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from tracker.certification.models import Score
from tracker.domain import DomainError

BASE_POINTS = 100
PASS_MARK = 95
BONUS_PER_ITEM = 2
BONUS_CAP = 2


def check_score(item, score: Score) -> None:
    """A DomainError unless *score* is one the item may take (StandardItem.allowed_scores): 不适用 only on an
    item that need not apply to every firm; a bonus item is met or not, never 基本达标."""
    if score in item.allowed_scores():
        return
    if score is Score.NOT_APPLICABLE:
        raise DomainError(_("Item %(number)s applies to every firm: it cannot be scored not applicable.",
                            number=item.number))
    raise DomainError(_("Item %(number)s is a bonus item: it is either met or not.", number=item.number))


@dataclass(frozen=True)
class Shortfall:
    """An item between the firm and a pass: its score, and the points won by bringing it to 达标."""

    item: object
    score: Score

    @property
    def gain(self) -> int:
        return -self.score.points


@dataclass(frozen=True)
class Result:
    """An assessment's result under the standard's rule (see evaluate)."""

    deductions: int  # 0 or less: -1 per 基本达标, -2 per 不达标 (ordinary items)
    bonus: int  # 0 to BONUS_CAP
    not_met: tuple = ()  # ordinary items scored 不达标, in the standard's order
    mostly: tuple = ()  # ordinary items scored 基本达标
    unscored: tuple = ()  # ordinary items without a score yet
    counted: int = 0  # ordinary items scored and counted (不适用 ones are not)
    not_applicable: int = 0

    @property
    def total(self) -> int:
        return self.deductions + self.bonus

    @property
    def points(self) -> int:
        return BASE_POINTS + self.total

    @property
    def provisional(self) -> bool:
        """Items are still to be scored: no pass can be declared yet."""
        return bool(self.unscored)

    @property
    def passed(self) -> bool:
        return not self.provisional and not self.not_met and self.points >= PASS_MARK

    @property
    def verdict(self) -> str:
        """"passed", "failed" or "provisional". A 不达标 item fails the firm whatever is still to score."""
        if self.not_met:
            return "failed"
        if self.provisional:
            return "provisional"
        return "passed" if self.points >= PASS_MARK else "failed"

    @property
    def missing_points(self) -> int:
        return max(0, PASS_MARK - self.points)

    @property
    def mostly_to_fix(self) -> int:
        """How many 基本达标 items must still reach 达标 once every 不达标 item has (each of those wins 2 points)."""
        return max(0, PASS_MARK - (self.points + BONUS_PER_ITEM * len(self.not_met)))

    @property
    def shortfalls(self) -> list[Shortfall]:
        """What stands between the firm and a pass, item by item: every 不达标 item (each must be fixed), then,
        if the points fall short even with those fixed, the 基本达标 items (mostly_to_fix of them will do)."""
        found = [Shortfall(item, Score.NOT_MET) for item in self.not_met]
        if self.mostly_to_fix:
            found += [Shortfall(item, Score.MOSTLY) for item in self.mostly]
        return found


def evaluate(items: Iterable, scores: Mapping[int, Score]) -> Result:
    """The standard's rule, applied to *items* (a version's items, each with id, number, is_bonus and
    applies_to_all, in the standard's order) and *scores* (item id -> Score; an item without one is unscored).

    - An ordinary item deducts: 达标 0, 基本达标 -1, 不达标 -2. 不适用 is allowed only on an item that does not
      apply to every firm (check_score, a DomainError otherwise) and is left out of the count.
    - A bonus item (附加标准) met adds 2, and the bonus is at most 2 in all; one not met adds nothing. A bonus
      item unscored is simply not claimed.
    - points = 100 + deductions + bonus. The firm passes with no 不达标 item and points >= 95.
    - While an ordinary item is unscored the result is provisional: it is never "passed" (verdict
      "provisional", or "failed" as soon as an item is 不达标, which nothing scored later can make up for).
    """
    deductions = bonus_items = counted = not_applicable = 0
    not_met, mostly, unscored = [], [], []
    for item in items:
        score = scores.get(item.id)
        if score is not None:
            check_score(item, score)
        if item.is_bonus:
            bonus_items += score is Score.MET
            continue
        if score is None:
            unscored.append(item)
        elif score is Score.NOT_APPLICABLE:
            not_applicable += 1
        else:
            counted += 1
            deductions += score.points
            if score is Score.NOT_MET:
                not_met.append(item)
            elif score is Score.MOSTLY:
                mostly.append(item)
    return Result(deductions=deductions, bonus=min(BONUS_CAP, BONUS_PER_ITEM * bonus_items), not_met=tuple(not_met),
                  mostly=tuple(mostly), unscored=tuple(unscored), counted=counted, not_applicable=not_applicable)
