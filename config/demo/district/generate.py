#!/usr/bin/python3
"""Generate the demo district 包河区 (id ``bh``) that the workforce registry loads on `make run`.

Deterministic (fixed seed, standard library only). Writes, next to this file:
  units.csv      the district, its 5 street offices / town / large community, 80 communities
  roster.csv     440 community workers
  revisions.csv  quota revisions approved in 2026, after the initial ones in units.csv

Every rule the registry enforces on import is asserted here before anything is written.
The district is illustrative: street names are Baohe's, the communities and people are invented
(ID and phone numbers are well-formed but fictitious).

Usage: /usr/bin/python3 config/demo/district/generate.py [--check]
  --check  generate and verify, and fail if the files on disk differ (write nothing)
"""

import csv
import datetime as dt
import io
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

SEED = 20260301
OUT = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 11, 1)           # the data describes the district on this day
FIRST_DATE = dt.date(2005, 1, 1)        # no date in the files is earlier
LAST_DATE = dt.date(2026, 10, 31)       # nor later
AGE_MIN, AGE_MAX = 22, 58
AGE_CHECK_DAYS = (AS_OF, dt.date(2027, 6, 30))  # ages stay 22–58 on both days

rng = random.Random(SEED)

# ----------------------------------------------------------------------------------------------
# Vocabulary

KIND_ZH = {"district": "区", "street": "街道", "town": "镇", "large_community": "大社区",
           "community": "社区"}
CTYPE_ZH = {"administrative_village": "行政村", "urban_community": "城市社区",
            "village_to_community": "村改居", "factory_community": "厂居"}
POSTS = {"主管": (7, 18), "副主管": (5, 16), "主办": (3, 14), "助理": (1, 12)}
EMPLOYMENTS = ["聘用合同", "劳务派遣", "选任", "下派干部", "自聘"]
IN_QUOTA = {"聘用合同", "选任"}
STATUSES = ["在岗", "借调街道", "借调区级", "离岗退养", "休假", "离职"]
EDUCATIONS = ["高中", "中专", "大专", "本科", "硕士"]
CERTS = ["助理社会工作师", "社会工作师", "高级社会工作师"]
EDU_BONUS = {"高中": 0, "中专": 0, "大专": 1, "本科": 2, "硕士": 3}

# Pay: base 2800 + 180 × (grade − 1); performance 40 % of base. One street office pays its
# performance share 15 % lower (0.34 of base) — the gap the pay-parity report should flag.
BASE_PAY0, BASE_STEP, PERF_SHARE, LOW_PAY_FACTOR = 2800, 180, 0.40, 0.85
LOW_PAY_STREET = "bh.dw"

# 合肥 county-level region codes (340111 包河区 and its neighbours).
REGIONS = [("340111", 50), ("340104", 9), ("340103", 8), ("340102", 8), ("340122", 7),
           ("340121", 5), ("340123", 6), ("340124", 4), ("340181", 3)]
HEFEI_REGIONS = {r for r, _ in REGIONS}

PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                  "152", "153", "155", "156", "157", "158", "159", "180", "181", "182", "183",
                  "186", "187", "188", "189"]

# Common surnames, weighted roughly as in Anhui.
SURNAMES = [("王", 60), ("张", 55), ("李", 50), ("刘", 40), ("陈", 38), ("吴", 30), ("杨", 25),
            ("周", 22), ("徐", 22), ("孙", 20), ("汪", 20), ("胡", 20), ("朱", 18), ("许", 16),
            ("方", 14), ("程", 14), ("黄", 14), ("赵", 14), ("马", 12), ("高", 12), ("何", 10),
            ("丁", 10), ("章", 9), ("潘", 9), ("姚", 8), ("葛", 8), ("鲍", 6), ("郑", 8),
            ("宋", 7), ("唐", 7), ("罗", 6), ("梁", 5), ("谢", 6), ("韩", 6), ("曹", 6),
            ("余", 7), ("江", 6), ("戴", 5), ("沈", 5), ("钱", 5), ("叶", 6), ("魏", 5),
            ("蒋", 5), ("蔡", 5), ("袁", 5), ("邓", 4), ("陶", 4), ("储", 4), ("査", 3),
            ("龚", 4), ("施", 4), ("俞", 4), ("夏", 4), ("金", 4), ("石", 4), ("卢", 4)]
SURNAME_SET = {s for s, _ in SURNAMES}
SINGLE_GIVEN_SHARE = 0.1  # most given names have two characters
MALE_GIVEN = ["伟", "军", "勇", "磊", "涛", "斌", "强", "鹏", "超", "杰",
              "建国", "志强", "海涛", "俊杰", "文斌", "宏伟", "晓东", "立新", "家乐", "子豪",
              "浩然", "明辉", "永刚", "德胜", "国庆", "成龙", "天宇", "振华", "志远", "文杰",
              "建华", "海波", "学军", "红军", "卫东", "正阳", "宇航", "博文", "思远", "一鸣",
              "俊峰", "云飞", "晓峰", "春雷", "玉林", "长江", "家豪", "凯文", "泽宇", "昊天",
              "少华", "庆丰", "先锋", "道明", "守义", "保国", "传胜", "继红", "永明", "锦程"]
FEMALE_GIVEN = ["静", "敏", "丽", "娟", "艳", "芳", "霞", "燕", "婷", "琳",
                "秀英", "桂兰", "玉梅", "晓燕", "丽娟", "海燕", "雪梅", "春梅", "红霞", "美玲",
                "慧敏", "佳怡", "欣怡", "雨婷", "梦瑶", "思琪", "婉婷", "晓雯", "文静", "小红",
                "金凤", "月华", "素琴", "凤英", "玉兰", "翠萍", "慧君", "淑珍", "爱华", "秋菊",
                "琳琳", "倩倩", "雅琴", "晓丽", "宁宁", "瑞雪", "心怡", "紫涵", "诗雨", "子涵",
                "晓琴", "丽萍", "芳芳", "园园", "莉莉", "晶晶", "雪", "萍", "洁", "颖"]

# ----------------------------------------------------------------------------------------------
# The district. Street-level units: (id, name, kind, class, organ quota range, communities);
# communities: (id suffix, name, type: u urban, v village-to-community, a village, f factory).

STREETS = [
    ("whl", "芜湖路街道", "street", 1, (14, 18), [
        ("sg", "曙光社区", "u"), ("hx", "红星社区", "u"), ("ng", "宁国社区", "u"),
        ("hz", "徽州社区", "u"), ("tc", "桐城社区", "u"), ("jx", "绩溪社区", "u"),
        ("qs", "潜山社区", "u"), ("th", "太湖社区", "u"), ("jh", "九华社区", "u"),
        ("hp", "琥珀社区", "u"), ("jz", "金寨社区", "u"), ("qn", "青年社区", "u"),
        ("yy", "友谊社区", "u"), ("bg", "包公社区", "u"), ("xz", "香樟社区", "u"),
        ("fr", "芙蓉社区", "u"), ("ny", "南园社区", "u")]),
    ("wh", "望湖街道", "street", 1, (14, 18), [
        ("nh", "南湖社区", "u"), ("wh", "望湖社区", "u"), ("jh", "金湖社区", "u"),
        ("ch", "翠湖社区", "u"), ("yh", "银湖社区", "u"), ("tx", "塘西社区", "u"),
        ("mh", "美湖社区", "u"), ("mz", "明珠社区", "u"), ("fh", "凤凰社区", "u"),
        ("zy", "紫云社区", "u"), ("jx", "锦绣社区", "u"), ("wt", "梧桐社区", "u"),
        ("jy", "嘉园社区", "u"), ("hh", "荷花社区", "u"), ("ly", "兰苑社区", "u"),
        ("yl", "玉兰社区", "u"), ("xxy", "许小郢社区", "v"), ("yg", "姚公社区", "v"),
        ("ldy", "李大郢社区", "v"), ("hd", "合锻社区", "f")]),
    ("cq", "常青街道", "street", 2, (13, 16), [
        ("cq", "常青社区", "u"), ("qs", "青松社区", "u"), ("ht", "海棠社区", "u"),
        ("zy", "竹园社区", "u"), ("fl", "枫林社区", "u"), ("th", "桃花社区", "u"),
        ("fc", "翡翠社区", "u"), ("lc", "龙川社区", "u"), ("bt", "宝塔社区", "u"),
        ("dh", "东湖社区", "u"), ("xy", "西园社区", "u"), ("xc", "新城社区", "u"),
        ("jg", "金桂社区", "u"), ("zg", "朱岗社区", "v"), ("tc", "陶冲社区", "v"),
        ("zw", "周圩社区", "v"), ("gdd", "葛大店社区", "v"), ("hj", "化机社区", "f")]),
    ("bhsj", "滨湖世纪社区", "large_community", 2, (12, 15), [
        ("yg", "云谷社区", "u"), ("hy", "和园社区", "u"), ("ky", "康园社区", "u"),
        ("fy", "福园社区", "u"), ("sy", "顺园社区", "u"), ("ty", "泰园社区", "u"),
        ("xy", "兴园社区", "u"), ("jy", "锦园社区", "u"), ("cy", "春园社区", "u"),
        ("qy", "秋园社区", "u"), ("hp", "湖畔社区", "u"), ("sa", "水岸社区", "u"),
        ("my", "明月社区", "u"), ("qc", "晴川社区", "u")]),
    ("dw", "大圩镇", "town", 3, (12, 14), [
        ("yh", "沿河村", "a"), ("xm", "新民村", "a"), ("jpt", "金葡萄村", "a"),
        ("mt", "磨滩村", "a"), ("wd", "卫东村", "a"), ("lh", "联合村", "a"),
        ("dw", "大圩社区", "v"), ("wx", "圩西社区", "v"), ("gw", "高圩社区", "v"),
        ("zw", "赵圩社区", "v"), ("fm", "富民社区", "u")]),
]
CTYPE_CODE = {"u": "urban_community", "v": "village_to_community",
              "a": "administrative_village", "f": "factory_community"}

# Households (low, high) by street and community type; area (low, high) km² by type.
HOUSEHOLDS = {
    ("whl", "u"): (1200, 3700),
    ("wh", "u"): (1500, 4200), ("wh", "v"): (2200, 4000), ("wh", "f"): (900, 1500),
    ("cq", "u"): (1400, 4000), ("cq", "v"): (1800, 3800), ("cq", "f"): (800, 1300),
    ("bhsj", "u"): (2300, 4500),
    ("dw", "a"): (800, 1900), ("dw", "v"): (1300, 3100), ("dw", "u"): (2100, 2900),
}
AREA = {"u": (0.3, 1.6), "v": (1.0, 3.8), "a": (4.5, 11.5), "f": (0.2, 0.6)}
BHSJ_AREA = (0.8, 2.4)


def posts_by_households(h):
    """Workstation posts (seed 004): under 2000 households 4, 2000–3000 5, over 3000 6."""
    return 4 if h < 2000 else 5 if h <= 3000 else 6


def pick(weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights=weights)[0]


def rand_date(lo, hi):
    if hi < lo:
        hi = lo
    return lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))


def add_years(d, years):
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def whole_years(since, day):
    return age_on(since, day)


# ----------------------------------------------------------------------------------------------
# Units

units = []          # dicts in file order
unit_by_id = {}


def add_unit(**u):
    assert u["id"] not in unit_by_id, u["id"]
    units.append(u)
    unit_by_id[u["id"]] = u
    return u


district = add_unit(id="bh", name="包河区", parent="", kind="district", ctype="",
                    households=0, residents=0, area=0.0, cls="", quota="")
communities_of = {}
for sid, sname, skind, scls, organ_range, comms in STREETS:
    street = add_unit(id=f"bh.{sid}", name=sname, parent="bh", kind=skind, ctype="",
                      households=0, residents=0, area=0.0, cls=scls,
                      quota=rng.randint(*organ_range))
    communities_of[street["id"]] = []
    for short, cname, code in comms:
        while True:
            h = rng.randint(*HOUSEHOLDS[(sid, code)]) // 10 * 10 + rng.randint(0, 9)
            if h not in (2000, 3000):  # keep clear of the band edges
                break
        r = round(h * rng.uniform(2.62, 3.08))
        a = round(rng.uniform(*(BHSJ_AREA if sid == "bhsj" else AREA[code])), 1)
        q = posts_by_households(h) + pick([(0, 45), (1, 40), (2, 15)])
        c = add_unit(id=f"bh.{sid}.{short}", name=cname, parent=street["id"], kind="community",
                     ctype=CTYPE_CODE[code], households=h, residents=r, area=a, cls="", quota=q)
        communities_of[street["id"]].append(c)
        street["households"] += h
        street["residents"] += r
        street["area"] += a
    street["area"] = round(street["area"], 1)
    district["households"] += street["households"]
    district["residents"] += street["residents"]
    district["area"] += street["area"]
district["area"] = round(district["area"], 1)

streets = [u for u in units if u["parent"] == "bh"]
communities = [u for u in units if u["kind"] == "community"]


def street_of(unit_id):
    parts = unit_id.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


# ----------------------------------------------------------------------------------------------
# People

used_ids, used_phones, used_names = set(), set(), set()


def id_check_digit(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def make_person(age_lo, age_hi, female_share=0.66):
    female = rng.random() < female_share
    while True:
        single = rng.random() < SINGLE_GIVEN_SHARE
        given = [g for g in (FEMALE_GIVEN if female else MALE_GIVEN) if (len(g) == 1) == single]
        name = pick(SURNAMES) + rng.choice(given)
        if name not in used_names:
            used_names.add(name)
            break
    # Birth date such that the age is within [age_lo, age_hi] on AS_OF (and 22–58 throughout).
    lo = add_years(AS_OF, -(age_hi + 1)) + dt.timedelta(days=1)
    hi = add_years(AS_OF, -age_lo)
    lo = max(lo, add_years(AGE_CHECK_DAYS[1], -(AGE_MAX + 1)) + dt.timedelta(days=1))
    hi = min(hi, add_years(AGE_CHECK_DAYS[0], -AGE_MIN))
    birth = rand_date(lo, hi)
    while True:
        seq = rng.randint(0, 99) * 10 + rng.choice([0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9])
        first17 = pick(REGIONS) + birth.strftime("%Y%m%d") + f"{seq:03d}"
        idn = first17 + id_check_digit(first17)
        if idn not in used_ids:
            used_ids.add(idn)
            break
    while True:
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99999999):08d}"
        if phone not in used_phones:
            used_phones.add(phone)
            break
    return {"name": name, "id_number": idn, "phone": phone, "birth": birth, "female": female}


def education_for(age):
    if age < 32:
        dist = [("高中", 1), ("中专", 3), ("大专", 33), ("本科", 55), ("硕士", 8)]
    elif age < 45:
        dist = [("高中", 3), ("中专", 7), ("大专", 42), ("本科", 44), ("硕士", 4)]
    else:
        dist = [("高中", 10), ("中专", 15), ("大专", 45), ("本科", 29), ("硕士", 1)]
    return pick(dist)


def certificate_weight(w):
    """How likely a worker is to hold a social-work certificate (relative)."""
    p = {"主管": 0.55, "副主管": 0.5, "主办": 0.42, "助理": 0.34}[w["post"]]
    if w["employment"] in ("自聘", "劳务派遣"):
        p = 0.18
    if w["education"] in ("高中", "中专"):
        p *= 0.5
    return p


def certificates_for(w):
    level = pick([("a", 62), ("s", 26), ("as", 10), ("h", 2)])
    if level == "h" and w["post"] in ("主管", "副主管") and w["education"] in ("本科", "硕士"):
        return ["社会工作师", "高级社会工作师"]
    return {"a": ["助理社会工作师"], "s": ["社会工作师"],
            "as": ["助理社会工作师", "社会工作师"], "h": ["社会工作师"]}[level]


def grade_for(post, education, community_since):
    lo, hi = POSTS[post]
    g = lo + whole_years(community_since, AS_OF) // 3 + EDU_BONUS[education]
    g += pick([(-1, 8), (0, 84), (1, 8)])
    return max(lo, min(hi, g))


def pay_for(unit_id, grade):
    base = BASE_PAY0 + BASE_STEP * (grade - 1)
    share = PERF_SHARE * (LOW_PAY_FACTOR if street_of(unit_id) == LOW_PAY_STREET else 1.0)
    return base, round(base * share)


AGE_BY_POST = {"主管": (36, 56), "副主管": (30, 54), "主办": (26, 52), "助理": (22, 50)}
# Start of community work: drawn between the earliest possible day and LATEST_START, with
# u ** skew (> 1 leans early, < 1 leans late).
LATEST_START = {"主管": dt.date(2020, 12, 31), "副主管": dt.date(2023, 12, 31),
                "主办": dt.date(2025, 6, 30), "助理": dt.date(2026, 9, 30)}
START_SKEW = {"主管": 1.6, "副主管": 1.3, "主办": 1.0, "助理": 0.8}
ELECTIONS = [(dt.date(2018, 3, 15), dt.date(2018, 5, 31)),
             (dt.date(2021, 3, 15), dt.date(2021, 5, 31)),
             (dt.date(2024, 3, 15), dt.date(2024, 5, 31))]

workers = []


def add_worker(unit, post, employment, *, age=None, start_window=None, status="在岗"):
    a_lo, a_hi = age or AGE_BY_POST[post]
    person = make_person(a_lo, a_hi)
    birth = person["birth"]
    edu = education_for(age_on(birth, AS_OF))
    if employment == "下派干部":
        edu = pick([("本科", 70), ("硕士", 30)])
    # When community work began: after school (21 with a college degree, else 18), not before
    # 2005; heads and deputies have served longer, self-hired staff joined more recently.
    earliest = max(FIRST_DATE, add_years(birth, 21 if edu in ("大专", "本科", "硕士") else 18))
    if start_window:
        since = max(rand_date(*start_window), earliest)
    else:
        latest = LATEST_START[post]
        skew = 0.6 if employment == "自聘" else START_SKEW[post]
        span = max(0, (latest - earliest).days)
        since = earliest + dt.timedelta(days=int(span * rng.random() ** skew))
    since = min(since, dt.date(2026, 9, 30))
    # Hired into the current unit: the same day for most; later for those who moved or were
    # re-hired when the quota system came in (2020); elected members from an election.
    hired = since
    if employment == "选任":
        windows = [w for w in ELECTIONS if w[0] >= since]
        if windows:
            hired = rand_date(*rng.choice(windows))
    elif employment in ("聘用合同", "自聘") and rng.random() < 0.3:
        hired = rand_date(since, min(LAST_DATE, since + dt.timedelta(days=365 * 6)))
    hired = min(hired, dt.date(2026, 10, 15))
    grade = grade_for(post, edu, since)
    base, perf = pay_for(unit["id"], grade)
    w = dict(person, unit=unit["id"], post=post, grade=grade, employment=employment,
             status=status, education=edu, certs=[], hired=hired, since=since,
             reserve=False, base=base, perf=perf)
    workers.append(w)
    return w


# ----------------------------------------------------------------------------------------------
# Staffing plan

# Vacancies per community: some full, most short of a post or two, a few short of three or four
# (seed 003: the district's main problem is too few workers for the approved posts). The
# new-build communities of the large community, recently set up, are the least staffed.
# Shuffled multisets, so the totals do not drift with the random stream.
VACANCIES = [0] * 8 + [1] * 10 + [2] * 18 + [3] * 19 + [4] * 11
VACANCIES_NEW_BUILD = [2] * 3 + [3] * 5 + [4] * 4 + [5] * 2
SELF_HIRED = [0] * 30 + [1] * 40 + [2] * 10  # per community, about 15 % of the roster in all
rng.shuffle(VACANCIES)
rng.shuffle(VACANCIES_NEW_BUILD)
rng.shuffle(SELF_HIRED)

# The community whose quota is lowered by re-zoning must be full and have ≥ 6 posts;
# the neighbour receiving its residential compounds gets its quota raised.
rezoned = next(c for c in communities_of["bh.whl"] if c["quota"] >= 6)
receiving = next(c for c in communities_of["bh.whl"]
                 if c is not rezoned and c["quota"] <= 6 and c["households"] < 3000)
# A new-build community in the large community, raised for newly occupied housing.
grown = max(communities_of["bh.bhsj"], key=lambda c: c["households"])
SECONDED_CADRE_UNITS = [communities_of["bh.dw"][0]["id"], communities_of["bh.dw"][2]["id"],
                        communities_of["bh.cq"][13]["id"], communities_of["bh.wh"][16]["id"]]

for street in streets:
    # Street organ: quota − (1..4) contract staff, 3–4 labour-dispatch staff, 0–2 self-hired.
    n = street["quota"] - rng.randint(1, 4)
    posts = ["主管"] * 2 + ["副主管"] * 2 + ["主办"] * round((n - 4) * 0.45)
    posts += ["助理"] * (n - len(posts))
    for p in posts:
        add_worker(street, p, "聘用合同")
    for i in range(rng.randint(3, 4)):
        # Alternate long-serving (≥ 3 years: may convert) and recent dispatch staff.
        window = ((dt.date(2016, 3, 1), dt.date(2023, 6, 30)) if i % 2 == 0
                  else (dt.date(2024, 1, 1), dt.date(2026, 9, 30)))
        add_worker(street, pick([("助理", 80), ("主办", 20)]), "劳务派遣",
                   age=(23, 45), start_window=window)
    for _ in range(rng.randint(0, 2)):
        add_worker(street, "助理", "自聘", age=(22, 45))

    for c in communities_of[street["id"]]:
        v = (VACANCIES_NEW_BUILD if street["kind"] == "large_community" else VACANCIES).pop()
        if c is rezoned:
            v = 0
        if c is receiving:
            v = max(v, 1)
        n = max(3, c["quota"] - v)
        village = c["ctype"] == "administrative_village"
        posts = ["主管", "副主管"] + (["副主管"] if n >= 6 else [])
        posts += ["主办"] * (2 if n >= 5 else 1)
        posts += ["助理"] * (n - len(posts))
        for p in posts:
            if p == "助理":
                emp = "聘用合同"
            elif village:
                emp = "选任"
            else:
                emp = "选任" if rng.random() < {"主管": 0.3, "副主管": 0.15, "主办": 0.2}[p] \
                    else "聘用合同"
            add_worker(c, p, emp)
        for _ in range(SELF_HIRED.pop()):
            add_worker(c, "助理", "自聘", age=(22, 50))
        if c["id"] in SECONDED_CADRE_UNITS:
            # 第一书记 sent down for two years from a district body.
            add_worker(c, "主管" if village else "副主管", "下派干部", age=(28, 45),
                       start_window=(dt.date(2024, 6, 1), dt.date(2026, 4, 30)))

# A handful who left (离职) in 2025–2026 and are kept on the roster.
left_units = [communities[i]["id"] for i in (3, 11, 24, 37, 52, 66)] + ["bh.cq"]
for uid in left_units:
    w = add_worker(unit_by_id[uid], "助理", "聘用合同", age=(24, 40),
                   start_window=(dt.date(2012, 1, 1), dt.date(2024, 6, 30)))
    w["status"] = "离职"


def in_quota(w):
    return w["employment"] in IN_QUOTA and w["status"] != "离职"


# Reserve cadres and statuses other than 在岗, chosen from eligible workers in a fixed order.
def choose(candidates, k):
    candidates = list(candidates)
    rng.shuffle(candidates)
    return candidates[:k]


# Reserve cadres first (they stay on post): 3–7 in each of several communities, from in-quota
# staff under 49 other than the head.
by_unit = defaultdict(list)
for w in workers:
    by_unit[w["unit"]].append(w)
reserve_units = []
for c in communities:
    eligible = [w for w in by_unit[c["id"]] if in_quota(w) and w["status"] == "在岗"
                and w["post"] != "主管" and age_on(w["birth"], AS_OF) <= 48]
    if len(eligible) >= 3:
        reserve_units.append((c, eligible))
assert len(reserve_units) >= 6, len(reserve_units)
reserve_units = [reserve_units[i] for i in sorted(rng.sample(range(len(reserve_units)), 6))]
for c, eligible in reserve_units:
    for w in choose(eligible, rng.randint(3, min(7, len(eligible)))):
        w["reserve"] = True

total = len(workers)
# 离岗退养: older in-quota workers, aged 50+.
retired = choose([w for w in workers if in_quota(w) and w["post"] != "主管" and not w["reserve"]
                  and age_on(w["birth"], AS_OF) >= 50], 9)
for w in retired:
    w["status"] = "离岗退养"
# 借调街道: ~15 % of all workers, community contract staff (at most two per community; elected
# committee members stay with their residents).
per_unit = Counter()
pool = [w for w in workers if w["employment"] == "聘用合同" and w["status"] == "在岗"
        and not w["reserve"]
        and unit_by_id[w["unit"]]["kind"] == "community" and w["post"] in ("助理", "主办")]
rng.shuffle(pool)
target = round(total * 0.15)
seconded = []
for w in pool:
    if len(seconded) == target:
        break
    if per_unit[w["unit"]] < 2:
        per_unit[w["unit"]] += 1
        seconded.append(w)
for w in seconded:
    w["status"] = "借调街道"
# 借调区级: a few, to district bodies.
for w in choose([w for w in workers if in_quota(w) and w["status"] == "在岗"
                 and not w["reserve"] and w["post"] in ("主办", "副主管")], 4):
    w["status"] = "借调区级"
# 休假: maternity and sick leave, mostly younger women.
for w in choose([w for w in workers if w["status"] == "在岗" and w["female"] and not w["reserve"]
                 and age_on(w["birth"], AS_OF) < 40 and w["post"] != "主管"], 9):
    w["status"] = "休假"

# Social-work certificates: 35 % of the roster, weighted towards heads and deputies
# (weighted sampling without replacement, key = u^(1/weight)).
CERT_SHARE = 0.35
holders = sorted(workers, key=lambda w: rng.random() ** (1 / certificate_weight(w)), reverse=True)
for w in holders[:round(len(workers) * CERT_SHARE)]:
    w["certs"] = certificates_for(w)

# Employee numbers in unit order, heads first.
unit_order = {u["id"]: i for i, u in enumerate(units)}
post_order = {p: i for i, p in enumerate(POSTS)}
emp_order = {e: i for i, e in enumerate(EMPLOYMENTS)}
workers.sort(key=lambda w: (unit_order[w["unit"]], w["status"] == "离职",
                            emp_order[w["employment"]] if w["employment"] != "选任" else -1,
                            post_order[w["post"]], w["since"]))
for i, w in enumerate(workers, 1):
    w["number"] = f"BH{i:04d}"

# ----------------------------------------------------------------------------------------------
# Revisions after the initial quotas of units.csv

count = Counter(w["unit"] for w in workers if in_quota(w))
rezoned_new = count[rezoned["id"]] - 2
revisions = [
    (rezoned["id"], rezoned_new, "2026-03-01",
     f"区划调整：{rezoned['name']}东片3个居民小区划归{receiving['name']}，管辖户数减少，员额相应核减",
     "区委编委"),
    (receiving["id"], receiving["quota"] + 2, "2026-03-01",
     f"区划调整：承接{rezoned['name']}划入的3个居民小区，管辖户数增加，员额相应核增",
     "区委编委"),
    (grown["id"], grown["quota"] + 1, "2026-07-01",
     f"新建安置小区交付入住，{grown['name']}服务人口增加，增核员额1名", "区委编委"),
]

# ----------------------------------------------------------------------------------------------
# Checks: everything the registry refuses, and the shape the brief asks for.


def check():
    # Units.
    ids = [u["id"] for u in units]
    assert len(ids) == len(set(ids))
    for u in units:
        assert re.fullmatch(r"bh(\.[a-z0-9]+){0,2}", u["id"]), u["id"]
        assert (u["parent"] == "") == (u["kind"] == "district")
        assert u["parent"] == "" or u["parent"] in unit_by_id
        assert u["kind"] in KIND_ZH
        if u["kind"] == "community":
            assert u["ctype"] in CTYPE_ZH and u["cls"] == ""
            assert 800 <= u["households"] <= 4500
            assert 2.6 <= u["residents"] / u["households"] <= 3.1
            assert 0 <= u["quota"] - posts_by_households(u["households"]) <= 2, u
            assert u["area"] >= 0.1
        elif u["kind"] == "district":
            assert u["quota"] == "" and u["cls"] == ""
        else:
            assert u["cls"] in (1, 2, 3) and 12 <= u["quota"] <= 30
    assert len(streets) == 5 and 75 <= len(communities) <= 85
    assert sum(u["kind"] == "large_community" for u in streets) <= 1
    bands = Counter(posts_by_households(c["households"]) for c in communities)
    assert all(bands[b] >= 10 for b in (4, 5, 6)), bands
    types = Counter(c["ctype"] for c in communities)
    assert types["urban_community"] > len(communities) / 2
    assert 1 <= types["factory_community"] <= 2 and types["administrative_village"] >= 3

    # Workers.
    assert 380 <= len(workers) <= 450, len(workers)
    numbers = [w["number"] for w in workers]
    assert len(set(numbers)) == len(numbers)
    assert len({w["id_number"] for w in workers}) == len(workers)
    assert len({w["phone"] for w in workers}) == len(workers)
    genders = Counter()
    for w in workers:
        assert re.fullmatch(r"BH\d{4}", w["number"])
        assert w["name"][0] in SURNAME_SET and len(w["name"]) in (2, 3)
        idn = w["id_number"]
        assert re.fullmatch(r"\d{17}[\dX]", idn) and idn[17] == id_check_digit(idn[:17])
        assert idn[:6] in HEFEI_REGIONS
        birth = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
        assert birth == w["birth"]
        for day in AGE_CHECK_DAYS:
            assert AGE_MIN <= age_on(birth, day) <= AGE_MAX, (w, day)
        genders[int(idn[16]) % 2] += 1
        assert (int(idn[16]) % 2 == 0) == w["female"]
        assert re.fullmatch(r"1(3\d|5[0-35-9]|8\d)\d{8}", w["phone"])
        assert w["unit"] in unit_by_id and w["unit"] != "bh"
        lo, hi = POSTS[w["post"]]
        assert lo <= w["grade"] <= hi, w
        assert w["employment"] in EMPLOYMENTS and w["status"] in STATUSES
        assert w["education"] in EDUCATIONS
        assert all(c in CERTS for c in w["certs"]) and len(set(w["certs"])) == len(w["certs"])
        assert FIRST_DATE <= w["since"] <= w["hired"] <= LAST_DATE, w
        assert w["since"] >= add_years(birth, 18)
        assert w["base"] == BASE_PAY0 + BASE_STEP * (w["grade"] - 1)
        assert (w["base"], w["perf"]) == pay_for(w["unit"], w["grade"])
        if w["status"] == "借调街道":
            assert unit_by_id[w["unit"]]["kind"] == "community"
        if w["reserve"]:
            assert w["status"] == "在岗" and w["employment"] in IN_QUOTA
    assert min(genders.values()) > len(workers) * 0.2

    # Quotas: in-quota workers (聘用合同 or 选任, not 离职) within each unit's initial quota.
    for u in units:
        if u["quota"] != "":
            assert count[u["id"]] <= u["quota"], (u["id"], count[u["id"]], u["quota"])
    assert all(unit_by_id[w["unit"]]["quota"] != "" for w in workers)

    # Shape: occupancy like seed 004.
    n = len(workers)
    st = Counter(w["status"] for w in workers)
    em = Counter(w["employment"] for w in workers)
    assert 0.13 <= st["借调街道"] / n <= 0.17
    assert st["离岗退养"] >= 5 and st["借调区级"] >= 2 and st["休假"] >= 5
    assert 3 <= st["离职"] <= 10
    assert st["在岗"] > n / 2
    assert 0.12 <= em["自聘"] / n <= 0.18, em["自聘"] / n
    assert em["选任"] >= 30 and 2 <= em["下派干部"] <= 6
    dispatch = [w for w in workers if w["employment"] == "劳务派遣"]
    assert all(unit_by_id[w["unit"]]["kind"] != "community" for w in dispatch)
    assert sum(whole_years(w["hired"], AS_OF) >= 3 for w in dispatch) >= 5
    assert sum(whole_years(w["hired"], AS_OF) < 3 for w in dispatch) >= 3
    certified = sum(bool(w["certs"]) for w in workers) / n
    assert 0.30 <= certified <= 0.40, certified
    edu = Counter(w["education"] for w in workers)
    assert (edu["大专"] + edu["本科"]) / n >= 0.75
    reserve = Counter(w["unit"] for w in workers if w["reserve"])
    assert len(reserve) >= 5 and all(3 <= k <= 7 for k in reserve.values())
    full = [c for c in communities if count[c["id"]] == c["quota"]]
    vacant = [c for c in communities if count[c["id"]] < c["quota"]]
    assert len(full) >= 6 and len(vacant) >= 40

    # Revisions.
    for uid, approved, date, reason, by in revisions:
        assert uid in unit_by_id and approved > 0 and reason and by
        assert dt.date(2026, 1, 1) <= dt.date.fromisoformat(date) < dt.date(2026, 11, 1)
    assert any(a < count[u] for u, a, *_ in revisions)
    assert any(a > unit_by_id[u]["quota"] for u, a, *_ in revisions)


check()

# ----------------------------------------------------------------------------------------------
# Output


def csv_text(header, rows):
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(header)
    wr.writerows(rows)
    return buf.getvalue()


files = {
    "units.csv": csv_text(
        ["编码", "名称", "上级", "类型", "社区类型", "户数", "人口", "面积", "类别", "核定员额"],
        [[u["id"], u["name"], u["parent"], KIND_ZH[u["kind"]], CTYPE_ZH.get(u["ctype"], ""),
          u["households"], u["residents"], f"{u['area']:.1f}", u["cls"], u["quota"]]
         for u in units]),
    "roster.csv": csv_text(
        ["工号", "姓名", "身份证号", "手机号", "单位", "岗位", "等级", "用工性质", "状态", "学历",
         "证书", "入职日期", "社区工作起始", "后备干部", "基本工资", "绩效工资"],
        [[w["number"], w["name"], w["id_number"], w["phone"], w["unit"], w["post"], w["grade"],
          w["employment"], w["status"], w["education"], ";".join(w["certs"]),
          w["hired"].isoformat(), w["since"].isoformat(), "是" if w["reserve"] else "否",
          w["base"], w["perf"]] for w in workers]),
    "revisions.csv": csv_text(["单位", "核定员额", "生效日期", "原因", "批准人"],
                              [list(r) for r in revisions]),
}


def summary():
    out = []
    kinds = Counter(KIND_ZH[u["kind"]] for u in units)
    out.append("units: " + ", ".join(f"{k} {kinds[k]}" for k in KIND_ZH.values() if kinds[k]))
    types = Counter(CTYPE_ZH[c["ctype"]] for c in communities)
    out.append("communities by type: " + ", ".join(f"{t} {types[t]}" for t in CTYPE_ZH.values()))
    bands = Counter(posts_by_households(c["households"]) for c in communities)
    out.append(f"communities by households: <2000 {bands[4]}, 2000–3000 {bands[5]}, "
               f">3000 {bands[6]}; households {district['households']}, residents "
               f"{district['residents']}, area {district['area']} km²")
    out.append(f"workers: {len(workers)}")
    st = Counter(w["status"] for w in workers)
    out.append("  by status: " + ", ".join(f"{s} {st[s]}" for s in STATUSES))
    em = Counter(w["employment"] for w in workers)
    out.append("  by employment: " + ", ".join(f"{e} {em[e]}" for e in EMPLOYMENTS))
    po = Counter(w["post"] for w in workers)
    out.append("  by post: " + ", ".join(f"{p} {po[p]}" for p in POSTS))
    edu = Counter(w["education"] for w in workers)
    out.append("  by education: " + ", ".join(f"{e} {edu[e]}" for e in EDUCATIONS))
    cert = sum(bool(w["certs"]) for w in workers)
    res = [w for w in workers if w["reserve"]]
    out.append(f"  certified {cert} ({cert / len(workers):.0%}); reserve cadres {len(res)} in "
               f"{len({w['unit'] for w in res})} communities; female "
               f"{sum(w['female'] for w in workers)}")
    disp = [w for w in workers if w["employment"] == "劳务派遣"]
    out.append(f"  劳务派遣 with ≥ 3 years: {sum(whole_years(w['hired'], AS_OF) >= 3 for w in disp)}"
               f" of {len(disp)}")
    q_units = [u for u in units if u["quota"] != ""]
    quota = sum(u["quota"] for u in q_units)
    cq = sum(c["quota"] for c in communities)
    occ = sum(count[u["id"]] for u in q_units)
    vac = sum(u["quota"] - count[u["id"]] for u in q_units)
    out.append(f"approved quota (initial): {quota} (communities {cq}, street organs {quota - cq});"
               f" in quota {occ}; vacant {vac} ({vac / quota:.0%})")
    hollow = sum(in_quota(w) and w["status"] in ("借调街道", "借调区级", "离岗退养") for w in workers)
    out.append(f"  of those in quota, hollow (seconded or retired in place) {hollow}, on leave "
               f"{sum(in_quota(w) and w['status'] == '休假' for w in workers)}")
    today = {u["id"]: u["quota"] for u in q_units}
    for uid, approved, *_ in revisions:
        today[uid] = approved
    over = [u for u, a in today.items() if count[u] > a]
    out.append(f"approved quota after the 2026 revisions: {sum(today.values())}; over quota: "
               + ", ".join(f"{u} ({count[u]}/{today[u]})" for u in over))
    full = sum(count[c["id"]] == c["quota"] for c in communities)
    out.append(f"communities full {full}, with vacancies {len(communities) - full}")
    for uid, approved, date, reason, by in revisions:
        out.append(f"revision {date} {uid} {unit_by_id[uid]['quota']} → {approved} "
                   f"(in quota {count[uid]}{', OVER' if approved < count[uid] else ''})")
    pay = defaultdict(list)
    for w in workers:
        pay[street_of(w["unit"])].append(w["perf"] / w["base"])
    out.append("performance/base by street: " + ", ".join(
        f"{s} {sum(v) / len(v):.2f}" for s, v in sorted(pay.items())))
    return "\n".join(out)


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        stale = [n for n, t in files.items()
                 if not (OUT / n).exists() or (OUT / n).read_bytes() != t.encode("utf-8")]
        print(summary())
        if stale:
            sys.exit(f"out of date: {', '.join(stale)} (run generate.py)")
        print("files up to date")
    else:
        for name, text in files.items():
            (OUT / name).write_bytes(text.encode("utf-8"))
        print(summary())
        print("wrote " + ", ".join(f"{n} ({len(t.encode('utf-8'))} bytes)"
                                   for n, t in files.items()))
