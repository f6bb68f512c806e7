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
