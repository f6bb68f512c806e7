import datetime

import pytest
from django.utils import timezone

from customers.models import (
    Contact,
    ContactPoint,
    Customer,
    CustomerKind,
    Interaction,
    Product,
    ProductOwned,
    Tag,
)


@pytest.fixture
def big_archive(db, agent):
    """55 customers, each with 3 tags, 4 contacts × 2 phones + 1 e-mail, 20 interactions and
    20 products owned: enough that one query per row or per related record would show."""
    org = Customer.objects.create(name="上海明远家具有限公司", kind=CustomerKind.ORGANISATION)
    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"客户 {i:02d}", organisation=org, owner=agent, region="上海")
            for i in range(55)
        ]
    )
    tags = Tag.objects.bulk_create([Tag(name=f"t{i}") for i in range(3)])
    Customer.tags.through.objects.bulk_create(
        [Customer.tags.through(customer=c, tag=t) for c in customers for t in tags]
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(customer=c, name=f"{c.name} {j}", is_primary=j == 0)
            for c in customers
            for j in range(4)
        ]
    )
    points = []
    for n, contact in enumerate(contacts):
        for k in range(2):
            value = f"+86139{n:05d}{k:03d}"
            points.append(
                ContactPoint(
                    contact=contact,
                    customer_id=contact.customer_id,
                    kind="phone",
                    value=value,
                    digits_reversed=value[1:][::-1],
                    is_primary=k == 0,
                )
            )
        points.append(
            ContactPoint(
                contact=contact,
                customer_id=contact.customer_id,
                kind="email",
                value=f"c{n}@example.com",
                is_primary=True,
            )
        )
    ContactPoint.objects.bulk_create(points)
    product = Product.objects.create(sku="WD-1", name_en="Wardrobe", name_zh="衣柜")
    now = timezone.now()
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=c,
                kind="call",
                summary=f"call {j}",
                staff=agent,
                occurred_at=now - datetime.timedelta(hours=j),
            )
            for c in customers
            for j in range(20)
        ]
    )
    ProductOwned.objects.bulk_create(
        [
            ProductOwned(customer=c, product=product, serial=f"{c.pk}-{j}")
            for c in customers
            for j in range(20)
        ]
    )
    return customers
