"""Demo data for the archive: a product catalogue and about 200 customers across every class.

Idempotent: products are keyed by SKU and customers by name, so a second run adds nothing. A fixed
random seed makes every demo database the same, which keeps screenshots and bug reports comparable.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import services
from .models import (
    CLASSIFICATIONS,
    Customer,
    CustomerKind,
    Interaction,
    InteractionKind,
    Lifecycle,
    Product,
)

PRODUCTS = [
    ("WD-1001", "Sliding-door wardrobe", "推拉门衣柜", "Furniture", 24),
    ("WD-1002", "Walk-in wardrobe system", "步入式衣帽间", "Furniture", 24),
    ("SF-2001", "Three-seat leather sofa", "三人真皮沙发", "Furniture", 36),
    ("SF-2002", "Corner fabric sofa", "转角布艺沙发", "Furniture", 24),
    ("KC-3001", "Kitchen cabinets, solid wood", "实木橱柜", "Kitchen", 60),
    ("KC-3002", "Kitchen cabinets, lacquer", "烤漆橱柜", "Kitchen", 36),
    ("WH-4001", "Gas water heater 16 L", "燃气热水器 16升", "Appliances", 36),
    ("WH-4002", "Electric water heater 60 L", "电热水器 60升", "Appliances", 24),
    ("RH-5001", "Range hood", "抽油烟机", "Appliances", 24),
    ("BD-6001", "Solid-wood bed 1.8 m", "1.8米实木床", "Furniture", 36),
    ("MT-6002", "Spring mattress", "弹簧床垫", "Furniture", 120),
    ("DR-7001", "Interior door set", "室内套装门", "Doors", 24),
]

SURNAMES = [
    ("张", "Zhang"), ("王", "Wang"), ("李", "Li"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
]  # fmt: skip
GIVEN = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("强", "Qiang"),
    ("磊", "Lei"), ("洋", "Yang"), ("艳", "Yan"), ("勇", "Yong"), ("军", "Jun"), ("杰", "Jie"),
    ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"),
    ("桂英", "Guiying"), ("建华", "Jianhua"), ("志强", "Zhiqiang"),
]  # fmt: skip
COMPANIES = [
    ("上海明远家具有限公司", "021"), ("北京华盛装饰工程有限公司", "010"),
    ("广州佳美家居有限公司", "020"), ("深圳安居建材贸易有限公司", "0755"),
    ("杭州绿城物业服务有限公司", "0571"), ("成都天府酒店管理有限公司", "028"),
    ("南京金陵家居广场", "025"), ("武汉长江建材城", "027"), ("苏州园林装饰设计有限公司", "0512"),
    ("西安古城家具经销部", "029"), ("天津滨海公寓管理有限公司", "022"),
    ("重庆山城厨卫专卖店", "023"),
]  # fmt: skip
REGIONS = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "苏州", "西安"]
TAGS = ["VIP", "装修中", "老客户", "团购", "回头客", "需回访"]
SUMMARIES = {
    InteractionKind.CALL: ["电话回访安装情况", "Follow-up call about delivery", "确认上门时间"],
    InteractionKind.VISIT: ["上门拜访", "On-site measurement", "上门检查衣柜门"],
    InteractionKind.GREETING: ["寄贺年卡", "Mid-autumn greeting card", "生日祝福短信"],
    InteractionKind.EMAIL: ["发送保养说明", "Quotation sent by e-mail"],
    InteractionKind.MEETING: ["门店洽谈", "Showroom meeting about kitchen design"],
}
N_INDIVIDUALS = 188


def seed(stdout=None) -> dict:
    rng = random.Random(20261124)  # noqa: S311 - demo data, not security
    products = _products()
    if Customer.objects.filter(name=COMPANIES[0][0]).exists():
        if stdout:
            stdout.write("customers: demo data already present")
        return {"products": products}
    with transaction.atomic():
        customers = _customers(rng)
        _products_owned(rng, customers, products)
        _interactions(rng, customers)
    if stdout:
        stdout.write(f"customers: {len(customers)} demo customers created")
    return {"products": products, "customers": customers}


def _products() -> list[Product]:
    out = []
    for sku, en, zh, category, months in PRODUCTS:
        product, _created = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name_en": en,
                "name_zh": zh,
                "category": category,
                "warranty_months": months,
            },
        )
        out.append(product)
    return out


def _classes(rng) -> dict:
    return {field: rng.choice(choices.values) for field, choices in CLASSIFICATIONS.items()}


def _customers(rng) -> list[Customer]:
    User = get_user_model()
    owners = list(User.objects.filter(username__in=["chen", "wangli", "zhaolei", "liuyang"]))
    owners.append(None)
    customers = []
    organisations = []
    for i, (name, area) in enumerate(COMPANIES):
        org = services.customer_create(
            name=name,
            kind=CustomerKind.ORGANISATION,
            owner=rng.choice(owners),
            region=REGIONS[i % len(REGIONS)],
            tags=rng.sample(TAGS, 1),
            contact_name="前台 Reception",
            phones=[f"{area}-{rng.randint(6000_0000, 6999_9999)}"],
            emails=[f"service{i}@example.cn"],
            allow_duplicate=True,
            **_classes(rng),
        )
        organisations.append(org)
    customers.extend(organisations)
    used = set()
    for i in range(N_INDIVIDUALS):
        while True:
            (sz, sp), (gz, gp) = rng.choice(SURNAMES), rng.choice(GIVEN)
            if (sz + gz, i // 60) not in used:
                break
        used.add((sz + gz, i // 60))
        suffix = f" {i // 60 + 1}" if i >= 60 else ""
        classes = _classes(rng)
        member_of = rng.choice(organisations) if rng.random() < 0.15 else None
        phones = [f"1{rng.choice([38, 39, 36, 86, 58, 51])}{rng.randint(1000_0000, 9999_9999)}"]
        if rng.random() < 0.2:
            phones.append(f"1{rng.choice([37, 88])}{rng.randint(1000_0000, 9999_9999)}")
        customer = services.customer_create(
            name=f"{sz}{gz} ({sp} {gp}){suffix}",
            organisation=member_of,
            owner=rng.choice(owners),
            region=rng.choice(REGIONS),
            tags=rng.sample(TAGS, rng.randint(0, 2)),
            phones=phones,
            emails=[f"{sp.lower()}.{gp.lower()}{i}@example.com"] if rng.random() < 0.6 else [],
            preferences=rng.choice(
                ["", "喜欢简约风格", "Prefers calls after 18:00", "怕吵，上门请提前预约"]
            ),
            allow_duplicate=True,
            **classes,
        )
        customers.append(customer)
    return customers


def _products_owned(rng, customers, products) -> None:
    today = timezone.localdate()
    for customer in customers:
        if customer.lifecycle != Lifecycle.ACTUAL:
            continue
        for _n in range(rng.randint(1, 3)):
            product = rng.choice(products)
            bought = today - datetime.timedelta(days=rng.randint(10, 900))
            services.product_owned_add(
                customer=customer,
                product=product,
                serial=f"{product.sku}-{customer.pk:04d}{_n}",
                purchase_date=bought,
            )


def _interactions(rng, customers) -> None:
    staff = list(get_user_model().objects.filter(username__in=["wangli", "liuyang", "chen"]))
    now = timezone.now()
    rows = []
    for customer in customers:
        for _n in range(rng.randint(0, 5)):
            kind = rng.choice(list(SUMMARIES))
            rows.append(
                Interaction(
                    customer=customer,
                    kind=kind,
                    occurred_at=now - datetime.timedelta(hours=rng.randint(1, 24 * 400)),
                    staff=rng.choice(staff) if staff else None,
                    summary=rng.choice(SUMMARIES[kind]),
                )
            )
    # Hundreds of rows: one insert (plus one for their history) instead of one per row.
    bulk_create_with_history(rows, Interaction, batch_size=500)
