import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from servicedesk.core import services as core_services
from servicedesk.core.models import Department, DepartmentMembership
from servicedesk.core.roles import Role

PASSWORD = "pw-for-tests-only"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")
    name_zh = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role=Role.MANAGER); role="" makes a user with no desk role."""
        self.save()
        if create and extracted != "":
            core_services.user_set_role(user=self, role=extracted or Role.AGENT)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = DepartmentMembership

    department = factory.SubFactory(DepartmentFactory)
    user = factory.SubFactory(UserFactory)
    is_manager = False


# --- customers -----------------------------------------------------------------------------------

from customers.models import (  # noqa: E402
    Contact,
    ContactPoint,
    ContactPointKind,
    Customer,
    Interaction,
    InteractionKind,
    Product,
    ProductOwned,
    Tag,
)


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag-{n}")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.LazyAttribute(lambda c: c.customer.name)
    is_primary = True


class PhoneFactory(DjangoModelFactory):
    """A normalised phone; `digits_reversed` is what the last-digits search reads."""

    class Meta:
        model = ContactPoint

    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda p: p.contact.customer)
    kind = ContactPointKind.PHONE
    value = factory.Sequence(lambda n: f"+86138{n:08d}")
    digits_reversed = factory.LazyAttribute(
        lambda p: "".join(c for c in p.value if c.isdigit())[::-1]
    )
    is_primary = True


class EmailFactory(DjangoModelFactory):
    class Meta:
        model = ContactPoint

    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda p: p.contact.customer)
    kind = ContactPointKind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.com")
    is_primary = True


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["sku"]

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name_en = factory.Sequence(lambda n: f"Product {n}")
    name_zh = factory.Sequence(lambda n: f"产品{n}")


class ProductOwnedFactory(DjangoModelFactory):
    class Meta:
        model = ProductOwned

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    serial = factory.Sequence(lambda n: f"SN{n:06d}")


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = InteractionKind.CALL
    occurred_at = factory.Faker("past_datetime", tzinfo=__import__("datetime").UTC)
    summary = factory.Sequence(lambda n: f"Call {n}")
