"""Outreach data at scale (issue 4): visits, needs, assistance plans and what hangs off them, generated as
plain rows and written with COPY (PostgreSQL) or raw executemany (SQLite), on top of the registry's firms.

At 100,000 firms: 500,000 visits, 1,000,000 needs, 100,000 assistance plans, with their officers,
topics and attendees, need entries, extensions, follow-ups, plan measures and their links to needs, and
notifications. Every figure scales with the number of firms (5 visits, 10 needs and 1 plan a firm).

Realism the pages depend on:
- 200 more officers (160 in 营口, 40 in 鲅鱼圈) share the firms; the demo's `officer` is the busy one:
  1 % of all firms are his, so he owns about 10,000 needs, a few hundred of them open and some overdue.
- Visits and needs follow a long tail: one firm of `officer` (the "hot" firm, the profile measured) has
  400 visits and about 900 needs, twenty others 100-300 visits; most firms have a handful or none.
- Dates run from 2020-01-01 to today (Asia/Shanghai, the day "overdue" is measured against). A need's
  status follows its age: most needs not yet due are open, a few percent of those past due are still
  open (overdue), nearly all old ones are closed off. Visits ask for a follow-up now and then; old
  follow-up dates were mostly cleared, as officers do once they called back.
- Deadline reminders already exist for the needs due within two working days, so opening My work
  writes nothing during the measurement (it would on the first request only).

Everything is a pure function of a seed and the reference ids, so both databases get the same data.
"""
from __future__ import annotations

import json
import random
import secrets
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from zoneinfo import ZoneInfo

import sqlalchemy as sa

SEED = 20240904
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2020, 1, 1)
BUSY_OFFICER = "officer"
BENCH_OFFICERS = {"0930": 160, "0931": 40}
# Per firm: visits, needs, plans.
VISITS_PER_FIRM, NEEDS_PER_FIRM, PLANS_PER_FIRM = 5, 10, 1
HOT_VISITS, HOT_OTHERS = 400, 20  # the profile's firm, and how many other firms with 100-300 visits
SEARCH_TERM = "鸿运"  # datagen.NAME_TERM: every 400th firm holds it

VISIT_TYPES = (("door_to_door", 55), ("workshop", 15), ("forum", 10), ("remote", 15), ("local_government", 5))
NEED_SOURCES_OTHER = (("portal", 40), ("phone", 40), ("briefing", 20))
CATEGORY_WEIGHTS = {"通关时效": 22, "原产地证": 18, "企业信用认证": 8, "检验检疫": 14, "加工贸易监管": 10,
                    "保税政策": 6, "税费": 12, "其他": 10}
SUMMARIES = (
    "与企业负责人座谈，了解进出口业务和通关情况。", "实地查看生产车间和仓储条件，宣讲原产地证书政策。",
    "企业反映出口查验等待时间较长，已记录。", "介绍一体化通关和提前申报措施，企业表示将试用。",
    "了解企业信用认证培育进展，指导整改内控制度。", "走访加工贸易手册核销情况，企业希望简化流程。",
    "电话回访，企业经营正常，无新的需求。", "联合地方政府走访，协调物流和用地问题。",
)
NEED_TEXTS = (
    "希望缩短出口货物查验等待时间", "申请原产地证书时希望能够预约办理", "咨询高级认证企业标准和培育安排",
    "进口原料检验检疫放行时间较长", "加工贸易手册变更手续繁琐，希望简化", "咨询保税仓库设立条件",
    "希望了解关税减免政策适用范围", "出口退运货物如何办理手续", "希望海关到企业开展政策宣讲",
    "木质包装检疫处理有疑问", "希望延长担保额度有效期", "咨询跨境电商出口申报方式",
)
ENTRY_TEXTS = ("已受理，联系企业了解详细情况。", "已与责任科室沟通，正在办理。", "已答复企业，问题解决。",
               "已现场指导企业完成申报。", "已协调查验科室，优先安排查验。")
INTERNAL_TEXTS = ("企业此前有类似诉求，注意跟进。", "需科长协调。", "涉及总署政策，已请示。")


def local_today() -> date:
    return datetime.now(SHANGHAI).date()


def add_weekdays(day: date, n: int) -> date:
    """n working days after day, skipping weekends only (the app's calendar also skips holidays)."""
    weeks, rest = divmod(n, 5)
    day = day + timedelta(days=7 * weeks)
    while rest:
        day += timedelta(days=1)
        if day.weekday() < 5:
            rest -= 1
    return day


def at(day: date, rng: random.Random, first_hour: int = 1, last_hour: int = 9) -> datetime:
    """An aware UTC time on day (01:00-09:00 UTC is 09:00-17:00 in Shanghai)."""
    return datetime(day.year, day.month, day.day, rng.randint(first_hour, last_hour - 1), rng.randint(0, 59),
                    tzinfo=timezone.utc)


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


# Reference data -------------------------------------------------------------------------------------
@dataclass
class Refs:
    offices: dict[str, int]
    departments: dict[str, list[int]]  # office code -> ids (needs go to the firm's office or the one above)
    categories: list[tuple[int, str, int]]  # (id, name, deadline days)
    topics: list[int]
    users: dict[str, int]
    officers: dict[str, list[int]] = field(default_factory=dict)  # office code -> officer ids
    campaigns: dict[tuple[str, int], int] = field(default_factory=dict)  # (office code, year) -> id
    # The first free id of each table (the demo seeds a few visits, needs and plans of its own).
    next_ids: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return (tuple(sorted(self.offices.items())), tuple(sorted((k, tuple(v)) for k, v in self.departments.items())),
                tuple(self.categories), tuple(self.topics), tuple(sorted(self.users.items())),
                tuple(sorted(self.campaigns.items())), tuple(sorted(self.next_ids.items())))


def read_refs(engine: sa.Engine) -> Refs:
    from tracker.auth.models import User
    from tracker.offices.models import Department, Office
    from tracker.needs.models import NeedCategory
    from tracker.visits.models import PolicyTopic

    with engine.connect() as conn:
        offices = dict(conn.execute(sa.select(Office.code, Office.id)).all())
        by_id = {v: k for k, v in offices.items()}
        departments: dict[str, list[int]] = {}
        for dept_id, office_id in conn.execute(sa.select(Department.id, Department.office_id).order_by(Department.id)):
            departments.setdefault(by_id[office_id], []).append(dept_id)
        categories = [tuple(r) for r in conn.execute(
            sa.select(NeedCategory.id, NeedCategory.name, NeedCategory.deadline_days).order_by(NeedCategory.id))]
        topics = list(conn.execute(sa.select(PolicyTopic.id).order_by(PolicyTopic.id)).scalars())
        users = dict(conn.execute(sa.select(User.username, User.id)).all())
        officers: dict[str, list[int]] = {}
        for user_id, office_id in conn.execute(
                sa.select(User.id, User.office_id).where(User.role == "officer").order_by(User.id)):
            officers.setdefault(by_id[office_id], []).append(user_id)
        next_ids = {name: (conn.execute(sa.text(f"SELECT max(id) FROM {name}")).scalar() or 0) + 1
                    for name in ID_TABLES}
        conn.rollback()
    return Refs(offices, departments, categories, topics, users, officers, next_ids=next_ids)


ID_TABLES = ("visits", "visit_attendees", "needs", "need_entries", "deadline_extensions", "follow_ups",
             "assistance_plans", "plan_measures", "notifications")


def add_officers(engine: sa.Engine, password: str) -> int:
    """The district's other officers (营口 160, 鲅鱼圈 40), able to sign in with the bench password."""
    from werkzeug.security import generate_password_hash

    from tracker.auth.models import User
    from tracker.offices.models import Office

    hashed = generate_password_hash(password, "scrypt:1024:8:1")
    now = datetime(2020, 1, 1, tzinfo=timezone.utc)
    with engine.connect() as conn:
        offices = dict(conn.execute(sa.select(Office.code, Office.id)).all())
        conn.rollback()
    surnames = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
    rows = []
    for code, n in BENCH_OFFICERS.items():
        for i in range(1, n + 1):
            k = len(rows)
            rows.append({"username": f"bench-{code}-{i:03d}",
                         "display_name": surnames[k % 20] + given[(k * 7) % 20] + given[(k * 3 + 5) % 20],
                         "role": "officer", "office_id": offices[code], "enterprise_id": None, "active": True,
                         "password_hash": hashed, "session_token": secrets.token_urlsafe(32), "locale": None,
                         "last_login_at": None, "created_at": now})
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), rows)
    return len(rows)


def add_campaigns(engine: sa.Engine, refs: Refs) -> None:
    """One 百企大调研 a year from 2020 to this year for 营口 and 鲅鱼圈 (the demo has 营口's 2019 one)."""
    from tracker.campaigns.models import Campaign

    rows = []
    for year in range(2020, local_today().year + 1):
        for code, prefix in (("0930", ""), ("0931", "鲅鱼圈海关")):
            rows.append({"name": f"{prefix}{year}年百企大调研", "office_id": refs.offices[code],
                         "declaration_year": year - 1, "threshold": 80, "starts_on": date(year, 3, 1),
                         "ends_on": date(year, 12, 31), "screened_at": None,
                         "created_by_id": refs.users["manager"],
                         "created_at": datetime(year, 2, 20, 2, 0, tzinfo=timezone.utc)})
    with engine.begin() as conn:
        conn.execute(Campaign.__table__.insert(), rows)
        by_id = {v: k for k, v in refs.offices.items()}
        for cid, office_id, year in conn.execute(
                sa.select(Campaign.id, Campaign.office_id, Campaign.declaration_year)):
            refs.campaigns[(by_id[office_id], year + 1)] = cid


def assign_firms(firms: list[dict], refs: Refs, seed: int = SEED) -> None:
    """Share the firms among the officers of their office: `officer` gets 1 % of all firms (his office's),
    officer2 and bayuquan-officer 0.5 %, 5 % stay unassigned, the rest go to the bench officers."""
    rng = random.Random(seed)
    n = len(firms)
    by_office: dict[str, list[dict]] = {}
    code_of = {v: k for k, v in refs.offices.items()}
    for firm in firms:
        by_office.setdefault(code_of[firm["office_id"]], []).append(firm)
    special = {"0930": [(BUSY_OFFICER, 0.01), ("officer2", 0.005)], "0931": [("bayuquan-officer", 0.005)]}
    for code, office_firms in by_office.items():
        rng.shuffle(office_firms)
        start = 0
        for username, share in special.get(code, []):
            k = max(1, round(n * share))
            for firm in office_firms[start:start + k]:
                firm["assigned_officer_id"] = refs.users[username]
            start += k
        others = [u for u in refs.officers[code] if u not in {refs.users[s] for s, _ in special.get(code, [])}]
        for firm in office_firms[start:]:
            firm["assigned_officer_id"] = None if rng.random() < 0.05 else rng.choice(others)
    firms.sort(key=lambda f: f["id"])


# Generation -----------------------------------------------------------------------------------------
@dataclass
class Tables:
    """(columns, rows) per table, in insertion order, and what the pages need to know."""

    tables: list[tuple[str, tuple[str, ...], list[tuple]]] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def add(self, name: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        self.tables.append((name, columns, rows))

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, _c, rows in self.tables}


def generate(firms: list[dict], refs: Refs, horizon: date, today: date | None = None, seed: int = SEED) -> Tables:
    """Every outreach row for these firms. horizon: today plus two working days (the reminders' window)."""
    rng = random.Random(seed)
    today = today or local_today()
    # "Now" for the generated history: the start of today in Shanghai, so that the rows are a function of
    # the day only (both databases of a run get the same ones).
    now = datetime(today.year, today.month, today.day, tzinfo=SHANGHAI).astimezone(timezone.utc)
    n = len(firms)
    scale = n / 100_000
    code_of = {v: k for k, v in refs.offices.items()}
    busy = refs.users[BUSY_OFFICER]
    managers = {"0930": refs.users["manager"], "0931": refs.users["manager-dl"]}
    days_span = (today - START).days
    out = Tables()
    live = [f for f in firms if f["archived_at"] is None]

    # Which firms get visited how often: a long tail, plus the hot firms of the profile page.
    weights = [rng.lognormvariate(0, 1.1) for _ in live]
    busy_firms = [i for i, f in enumerate(live) if f["assigned_officer_id"] == busy]
    hot_index = busy_firms[len(busy_firms) // 2]
    hot_visits = max(40, round(HOT_VISITS * scale))
    hot_others = rng.sample([i for i in range(len(live)) if i != hot_index], min(HOT_OTHERS, len(live) - 1))
    fixed = {hot_index: hot_visits}
    for i in hot_others:
        fixed[i] = max(10, round(rng.randint(100, 300) * scale))
    total_visits = VISITS_PER_FIRM * n
    rest = total_visits - sum(fixed.values())
    for i in fixed:
        weights[i] = 0.0
    cum = list(accumulate(weights))
    visit_firms = [i for i, k in fixed.items() for _ in range(k)]
    visit_firms += rng.choices(range(len(live)), cum_weights=cum, k=rest)

    # Visits ------------------------------------------------------------------------------------------
    visits, visit_officers, visit_topics, attendees = [], [], [], []
    visit_meta = []  # (visit id, firm index, day, created_by, campaign)
    visit_types = [t for t, _w in VISIT_TYPES]
    type_cum = list(accumulate(w for _t, w in VISIT_TYPES))
    first = refs.next_ids  # first free id per table
    attendee_id = first["visit_attendees"] - 1
    recent_follow_up = today - timedelta(days=60)
    for visit_id, i in enumerate(visit_firms, start=first["visits"]):
        firm = live[i]
        code = code_of[firm["office_id"]]
        office_officers = refs.officers[code]
        day = START + timedelta(days=int(days_span * rng.random() ** 0.85))  # a little more recently
        when = at(day, rng)
        lead = firm["assigned_officer_id"] if firm["assigned_officer_id"] and rng.random() < 0.85 \
            else rng.choice(office_officers)
        team = [lead]
        r = rng.random()
        for _ in range(1 if r < 0.55 else 2 if r < 0.7 else 0):
            other = rng.choice(office_officers)
            if other not in team:
                team.append(other)
        campaign = refs.campaigns.get((code, day.year)) if rng.random() < 0.7 else None
        follow_up = None
        if rng.random() < 0.08:
            follow_up = day + timedelta(days=rng.randint(7, 30))
            if follow_up < recent_follow_up and rng.random() > 0.05:
                follow_up = None  # called back long ago: the officer cleared the date
        vtype = visit_types[bisect_left(type_cum, rng.random() * type_cum[-1])]
        visits.append((visit_id, firm["id"], campaign, when, vtype, rng.choice(SUMMARIES), None, follow_up,
                       lead, when, when))
        for user_id in team:
            visit_officers.append((visit_id, user_id))
        if rng.random() < 0.6:
            for topic in rng.sample(refs.topics, rng.randint(1, 3)):
                visit_topics.append((visit_id, topic))
        if rng.random() < 0.2:
            attendee_id += 1
            attendees.append((attendee_id, visit_id, None, "企业联系人" + str(visit_id % 97), "经理"))
        visit_meta.append((visit_id, i, day, lead, campaign))
    visit_meta.sort(key=lambda m: m[0])
    out.add("visits", ("id", "enterprise_id", "campaign_id", "visited_at", "visit_type", "summary", "findings",
                       "follow_up_on", "created_by_id", "created_at", "updated_at"), visits)
    out.add("visit_officers", ("visit_id", "user_id"), visit_officers)
    out.add("visit_topics", ("visit_id", "topic_id"), visit_topics)
    out.add("visit_attendees", ("id", "visit_id", "contact_id", "name", "title"), attendees)

    # Needs: 80 % raised at visits (spread over them), 20 % from the portal, the phone or briefings.
    total_needs = NEEDS_PER_FIRM * n
    from_visits = int(total_needs * 0.8)
    need_origin = [visit_meta[j] for j in sorted(rng.choices(range(len(visit_meta)), k=from_visits))]
    # The hot firms raise their share of the other needs too.
    for i, k in fixed.items():
        weights[i] = k / VISITS_PER_FIRM
    other_cum = list(accumulate(weights))
    others = rng.choices(range(len(live)), cum_weights=other_cum, k=total_needs - from_visits)
    cat_ids = [c[0] for c in refs.categories]
    cat_days = {c[0]: c[2] for c in refs.categories}
    cat_cum = list(accumulate(CATEGORY_WEIGHTS.get(c[1], 5) for c in refs.categories))
    needs, entries, extensions, follow_ups = [], [], [], []
    needs_of_firm: dict[int, list[tuple[int, date]]] = {}
    entry_id, ext_id, fu_id = first["need_entries"] - 1, first["deadline_extensions"] - 1, first["follow_ups"] - 1
    notices: list[tuple] = []  # (user, kind, params, link, dedupe, created, read)

    def read_at(created: datetime) -> datetime | None:
        fresh = (now - created).days < 30
        if rng.random() < (0.45 if fresh else 0.97):
            return min(now, created + timedelta(hours=rng.randint(1, 96)))
        return None

    origins = [("visit", m) for m in need_origin] + [("other", i) for i in others]
    forced_due = False
    for need_id, (kind, origin) in enumerate(origins, start=first["needs"]):
        if kind == "visit":
            visit_id, i, raised_on, creator, campaign = origin
            source = "visit"
        else:
            i = origin
            visit_id, campaign = None, None
            raised_on = START + timedelta(days=int(days_span * rng.random() ** 0.85))
            source = _weighted(rng, NEED_SOURCES_OTHER)
            creator = None if source == "portal" else (live[i]["assigned_officer_id"]
                                                       or rng.choice(refs.officers[code_of[live[i]["office_id"]]]))
            campaign = refs.campaigns.get((code_of[live[i]["office_id"]], raised_on.year)) if rng.random() < 0.5 else None
        firm = live[i]
        code = code_of[firm["office_id"]]
        category = cat_ids[bisect_left(cat_cum, rng.random() * cat_cum[-1])]
        deadline = add_weekdays(raised_on, cat_days[category])
        depts = refs.departments[code]
        r = rng.random()
        department = None if r < 0.1 else (rng.choice(refs.departments["0900"]) if r < 0.13 else rng.choice(depts))
        assigned = firm["assigned_officer_id"] or creator
        created = at(raised_on, rng)
        age = (today - raised_on).days
        backlog = 3.0 if assigned == busy else 1.0
        if assigned == busy and not forced_due:
            # At every size the busy officer has a need due within two working days (its reminder exists):
            # My work then runs the same statements at the small and the large size.
            forced_due = force_open = True
            raised_on, deadline = today - timedelta(days=1), horizon
            created, age = at(raised_on, rng), 1
        else:
            force_open = False
        u = rng.random()
        if deadline >= today:
            status = ("pending" if u < 0.35 else "in_progress" if u < 0.80 else "resolved" if u < 0.95
                      else "unresolvable" if u < 0.98 else "closed")
        elif age <= 180:
            p_open = 0.06 * backlog
            status = ("pending" if u < p_open * 0.3 else "in_progress" if u < p_open else
                      "resolved" if u < p_open + 0.15 else "unresolvable" if u < p_open + 0.19 else "closed")
        else:
            p_open = 0.005 * backlog
            status = ("pending" if u < p_open * 0.3 else "in_progress" if u < p_open else
                      "resolved" if u < p_open + 0.02 else "unresolvable" if u < p_open + 0.06 else "closed")
        if force_open:
            status = "in_progress"
        resolved_at = closed_at = explanation = None
        latest = created
        worked = min(max(1, (deadline - raised_on).days + rng.randint(-3, 6)), max(1, age))
        done_day = raised_on + timedelta(days=rng.randint(1, worked)) if age > 0 else raised_on
        if status in ("resolved", "closed"):
            resolved_at = min(now, at(done_day, rng))
            latest = resolved_at
            if status == "closed":
                closed_at = min(now, resolved_at + timedelta(days=rng.randint(1, 20)))
                latest = closed_at
        elif status == "unresolvable":
            explanation = "该事项涉及总署政策调整，已向企业说明。"
            closed_at = min(now, at(done_day, rng))
            latest = closed_at
        content = rng.choice(NEED_TEXTS) + f"（{need_id}）"
        needs.append((need_id, firm["id"], campaign, visit_id, source, category, content, department, assigned,
                      raised_on, deadline, status, explanation, resolved_at, closed_at, creator, created, latest))
        needs_of_firm.setdefault(i, []).append((need_id, raised_on))

        # History: acceptance and resolution entries, now and then an internal note.
        author = assigned or creator
        if status != "pending":
            entry_id += 1
            entries.append((entry_id, need_id, "progress", rng.choice(ENTRY_TEXTS), author,
                            min(now, created + timedelta(hours=rng.randint(2, 48)))))
        if status in ("resolved", "closed") and rng.random() < 0.3:
            entry_id += 1
            entries.append((entry_id, need_id, "progress", "已办结：" + rng.choice(ENTRY_TEXTS), author, resolved_at))
        if rng.random() < 0.1:
            entry_id += 1
            entries.append((entry_id, need_id, "internal", rng.choice(INTERNAL_TEXTS), author,
                            min(now, created + timedelta(hours=rng.randint(1, 72)))))

        is_open = status in ("pending", "in_progress")
        # Extensions: a request awaiting a manager on 3 % of the recent open needs, decided ones on 3 % of the rest.
        manager = managers[code]
        if assigned and ((is_open and age <= 60 and rng.random() < 0.03) or (not is_open and rng.random() < 0.03)):
            ext_id += 1
            requested = min(now, created + timedelta(days=rng.randint(1, 5)))
            new_deadline = add_weekdays(deadline, rng.randint(3, 10))
            if is_open and age <= 60:
                extensions.append((ext_id, need_id, deadline, new_deadline, "企业需补充材料，申请延期。",
                                   "requested", assigned, requested, None, None, None))
            else:
                approved = rng.random() < 0.75
                decided = min(now, requested + timedelta(days=rng.randint(0, 3)))
                extensions.append((ext_id, need_id, add_weekdays(raised_on, max(1, cat_days[category] - 3))
                                   if approved else deadline, deadline if approved else new_deadline,
                                   "企业需补充材料，申请延期。", "approved" if approved else "rejected", assigned,
                                   requested, manager, decided, None))
                notices.append((assigned, "extension_decided",
                                {"need_id": need_id, "enterprise": firm["name"], "approved": approved,
                                 "deadline": deadline.isoformat()},
                                f"/needs/{need_id}", f"extension:{ext_id}", decided, read_at(decided)))
        # Follow-ups (回访) on 40 % of the closed needs; a dissatisfied one reopened 5 % of the older open needs.
        if status == "closed" and rng.random() < 0.4:
            fu_id += 1
            held = closed_at.astimezone(SHANGHAI).date()
            follow_ups.append((fu_id, need_id, "call" if rng.random() < 0.8 else "firm", held,
                               "satisfied" if rng.random() < 0.72 else "basically_satisfied", None, author, closed_at))
        elif status == "in_progress" and age > 30 and rng.random() < 0.05:
            fu_id += 1
            when = min(now, created + timedelta(days=rng.randint(5, 25)))
            follow_ups.append((fu_id, need_id, "call", when.astimezone(SHANGHAI).date(), "dissatisfied",
                               "企业对答复不满意。", author, when))
            if assigned:
                notices.append((assigned, "need_reopened", {"need_id": need_id, "enterprise": firm["name"]},
                                f"/needs/{need_id}", f"follow-up:{fu_id}", when, read_at(when)))
        # Notices: the assignment when someone else recorded the need, and deadline reminders for the needs
        # that were still open two days before their deadline (all those due within the window now).
        if assigned and assigned != creator:
            notices.append((assigned, "need_assigned", {"need_id": need_id, "enterprise": firm["name"]},
                            f"/needs/{need_id}", f"need:{need_id}", created, read_at(created)))
        due_soon = is_open and today <= deadline <= horizon
        late = resolved_at is not None and resolved_at.date() >= deadline - timedelta(days=2)
        if assigned and (due_soon or late or (is_open and deadline < today)):
            reminded = min(now, at(deadline - timedelta(days=2), rng))
            notices.append((assigned, "deadline_near", {"need_id": need_id, "enterprise": firm["name"],
                                                       "deadline": deadline.isoformat()},
                            f"/needs/{need_id}", f"need:{need_id}:{deadline.isoformat()}", reminded,
                            None if due_soon else read_at(reminded)))
    out.add("needs", ("id", "enterprise_id", "campaign_id", "visit_id", "source", "category_id", "content",
                      "department_id", "assigned_officer_id", "raised_on", "deadline", "status", "explanation",
                      "resolved_at", "closed_at", "created_by_id", "created_at", "updated_at"), needs)
    out.add("need_entries", ("id", "need_id", "kind", "text", "author_id", "created_at"), entries)
    out.add("deadline_extensions", ("id", "need_id", "old_deadline", "new_deadline", "reason", "status",
                                    "requested_by_id", "requested_at", "decided_by_id", "decided_at",
                                    "decision_note"), extensions)
    out.add("follow_ups", ("id", "need_id", "channel", "held_on", "satisfaction", "note", "by_id", "created_at"),
            follow_ups)

    # Assistance plans: one firm, one plan per campaign; about 1 plan a firm over the years.
    plans, measures, measure_needs = [], [], []
    years = sorted({y for (_c, y) in refs.campaigns})
    live_by_office: dict[str, list[int]] = {}
    for i, f in enumerate(live):
        live_by_office.setdefault(code_of[f["office_id"]], []).append(i)
    total_plans = PLANS_PER_FIRM * n
    plan_id, measure_id = first["assistance_plans"] - 1, first["plan_measures"] - 1
    for year in years:
        for code, members in sorted(live_by_office.items()):
            campaign = refs.campaigns.get((code, year))
            if campaign is None:
                continue
            k = min(len(members), round(total_plans * len(members) / len(live) / len(years)))
            chosen = rng.sample(members, k)
            if year == years[-1] and hot_index in members and hot_index not in chosen:
                chosen[0] = hot_index
            for i in chosen:
                firm = live[i]
                plan_id += 1
                created = at(date(year, 3, 1) + timedelta(days=rng.randint(0, 120)), rng)
                created = min(now, created)
                u = rng.random()
                if year < today.year:
                    status = "completed" if u < 0.85 else "in_progress" if u < 0.95 else "approved"
                else:
                    status = ("draft" if u < 0.15 else "submitted" if u < 0.30 else "approved" if u < 0.50
                              else "in_progress")
                owner = firm["assigned_officer_id"] or rng.choice(refs.officers[code])
                returned = "请补充具体措施和时限。" if status == "draft" and rng.random() < 0.2 else None
                submitted = None if status == "draft" else min(now, created + timedelta(days=rng.randint(1, 10)))
                approved_at = min(now, submitted + timedelta(days=rng.randint(1, 7))) \
                    if status in ("approved", "in_progress", "completed") else None
                manager = managers[code]
                plans.append((plan_id, firm["id"], campaign, "帮助企业解决通关和认证方面的问题，提升贸易便利化水平。",
                              status, returned, submitted, manager if approved_at else None, approved_at, owner,
                              created, approved_at or submitted or created))
                if approved_at:
                    notices.append((owner, "plan_approved", {"plan_id": plan_id, "enterprise": firm["name"],
                                                            "comment": ""},
                                    f"/plans/{plan_id}", f"plan:{plan_id}:1", approved_at, read_at(approved_at)))
                if returned:
                    when = min(now, created + timedelta(days=3))
                    notices.append((owner, "plan_returned", {"plan_id": plan_id, "enterprise": firm["name"],
                                                            "comment": returned},
                                    f"/plans/{plan_id}", f"plan:{plan_id}:0", when, read_at(when)))
                firm_needs = [nid for nid, raised in needs_of_firm.get(i, ()) if raised.year == year]
                for position in range(rng.choice((1, 2, 2, 3, 3, 4))):
                    measure_id += 1
                    m_status = ("done" if status == "completed" else
                                "open" if status in ("draft", "submitted") else rng.choice(("open", "in_progress", "done")))
                    measures.append((measure_id, plan_id, position, rng.choice(NEED_TEXTS).replace("希望", "协助"),
                                     owner, date(year, 12, 20) - timedelta(days=rng.randint(0, 200)), m_status,
                                     "已完成。" if m_status == "done" else None))
                    if firm_needs and rng.random() < 0.6:
                        for need_id in set(rng.sample(firm_needs, min(len(firm_needs), rng.choice((1, 1, 2))))):
                            measure_needs.append((measure_id, need_id))
    out.add("assistance_plans", ("id", "enterprise_id", "campaign_id", "objective", "status", "return_comment",
                                 "submitted_at", "approved_by_id", "approved_at", "created_by_id", "created_at",
                                 "updated_at"), plans)
    out.add("plan_measures", ("id", "plan_id", "position", "description", "owner_id", "deadline", "status",
                              "result"), measures)
    out.add("measure_needs", ("measure_id", "need_id"), measure_needs)
    notices.sort(key=lambda x: x[5])
    out.add("notifications", ("id", "user_id", "kind", "params", "link", "dedupe_key", "created_at", "read_at"),
            [(k, *row) for k, row in enumerate(notices, start=first["notifications"])])

    hot = live[hot_index]
    by_category: dict[int, int] = {}
    by_department: dict[int, int] = {}
    for row in needs:
        by_category[row[5]] = by_category.get(row[5], 0) + 1
        if row[7]:
            by_department[row[7]] = by_department.get(row[7], 0) + 1
    open_pairs: dict[tuple[int, int], int] = {}
    for row in needs:
        if row[11] in ("pending", "in_progress") and row[7]:
            open_pairs[(row[5], row[7])] = open_pairs.get((row[5], row[7]), 0) + 1
    busy_needs = [r for r in needs if r[8] == busy]
    out.info = {
        "hot_firm_id": hot["id"], "hot_firm_visits": hot_visits,
        "hot_firm_needs": len(needs_of_firm.get(hot_index, ())),
        # A middling category and the busiest department, as a user would pick them.
        "category_id": sorted(by_category, key=by_category.get)[len(by_category) // 2],
        "department_id": max(by_department, key=by_department.get),
        # For "open needs of this category and department": the pair with the most, so that the page has
        # rows at every size.
        "combined": max(open_pairs, key=open_pairs.get) if open_pairs else (None, None),
        "busy_officer_id": busy,
        "busy_officer_needs": len(busy_needs),
        "busy_officer_open": sum(1 for r in busy_needs if r[11] in ("pending", "in_progress")),
        "busy_officer_overdue": sum(1 for r in busy_needs if r[11] in ("pending", "in_progress") and r[10] < today),
        "open_needs": sum(1 for r in needs if r[11] in ("pending", "in_progress")),
        "overdue_needs": sum(1 for r in needs if r[11] in ("pending", "in_progress") and r[10] < today),
        "pending_extensions": sum(1 for e in extensions if e[5] == "requested"),
        "search_term": SEARCH_TERM,
        "today": today.isoformat(),
    }
    team_of: dict[int, set[int]] = {}
    for vid, uid in visit_officers:
        if uid == busy:
            team_of.setdefault(vid, set()).add(uid)
    out.info["busy_officer_follow_ups_due"] = sum(1 for v in visits if v[0] in team_of and v[7] is not None
                                                  and v[7] <= horizon)
    out.info["busy_officer_unread"] = sum(1 for x in notices if x[0] == busy and x[6] is None)
    out.info["max_needs_of_a_firm"] = max(len(v) for v in needs_of_firm.values())
    return out


# Writing --------------------------------------------------------------------------------------------
def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def write(engine: sa.Engine, data: Tables, say=print) -> dict[str, float]:
    """COPY (PostgreSQL) or executemany on the raw connection (SQLite), bypassing the ORM and its audit
    listeners; values are given in each database's storage format (SQLite: the text SQLAlchemy writes)."""
    from tracker.extensions import db

    metadata = db.metadata
    seconds = {}
    postgres = engine.dialect.name == "postgresql"
    for name, columns, rows in data.tables:
        started = time.perf_counter()
        if rows:
            raw = engine.raw_connection()
            try:
                if postgres:
                    json_cols = [k for k, c in enumerate(columns) if c == "params"]
                    with raw.cursor() as cur:
                        with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows:
                                if json_cols:
                                    row = list(row)
                                    for k in json_cols:
                                        row[k] = json.dumps(row[k], ensure_ascii=False)
                                copy.write_row(row)
                else:
                    table = metadata.tables[name]
                    convert = [k for k, c in enumerate(columns)
                               if isinstance(table.c[c].type, (sa.DateTime, sa.Date, sa.JSON, sa.Boolean))
                               or getattr(table.c[c].type, "impl", None) is not None]
                    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                    cur = raw.cursor()
                    # The app's connections are in autocommit mode (it sends BEGIN itself): without an explicit
                    # transaction every row would be one (1,000,000 needs: 109-169 s). Foreign keys are not
                    # checked here; PostgreSQL checks the same rows on COPY.
                    cur.execute("PRAGMA foreign_keys = OFF")
                    cur.execute("PRAGMA cache_size = -500000")
                    cur.execute("BEGIN")
                    for start in range(0, len(rows), 50_000):
                        chunk = rows[start:start + 50_000]
                        if convert:
                            chunk = [list(row) for row in chunk]
                            for row in chunk:
                                for k in convert:
                                    row[k] = _sqlite_value(row[k])
                        cur.executemany(sql, chunk)
                    cur.execute("COMMIT")
                    cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the database's size without a 1 GB WAL
                    cur.execute("PRAGMA foreign_keys = ON")
                    cur.execute("PRAGMA cache_size = -2000")
                    cur.close()
                raw.commit()
            finally:
                raw.close()
        seconds[name] = round(time.perf_counter() - started, 2)
        say(f"  {name}: {len(rows):,} rows in {seconds[name]} s")
    if postgres:
        with engine.begin() as conn:
            for name, columns, _rows in data.tables:
                if "id" in columns:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce((SELECT max(id) FROM {name}), 1))")
    return seconds
