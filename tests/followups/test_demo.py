from django.core.management import call_command

from followups.models import CallbackRule, CallbackVisit, GreetingDate, VisitStatus


def test_demo_has_the_default_rules_and_a_week_in_every_state(db):
    call_command("seed_demo", verbosity=0)
    rules = CallbackRule.objects.all()
    assert {r.code for r in rules} >= {"after-installation", "key-customer-care"}
    assert all(r.is_desk_default for r in rules)
    assert GreetingDate.objects.filter(name_zh="春节").exists()
    assert set(CallbackVisit.objects.values_list("status", flat=True)) == set(VisitStatus.values)
    assert CallbackVisit.objects.filter(purpose="periodic").exists()
    count = CallbackVisit.objects.count()
    call_command("seed_demo", verbosity=0)
    assert CallbackVisit.objects.count() == count


def test_a_production_desk_seeds_the_default_rules_once_and_keeps_edits(db):
    call_command("seed_catalogue", verbosity=0)
    call_command("seed_callback_rules", verbosity=0)
    rule = CallbackRule.objects.get(code="after-installation")
    assert list(rule.categories.values_list("code", flat=True)) == ["installation"]
    rule.delay_days = 5
    rule.save()
    call_command("seed_callback_rules", verbosity=0)
    assert CallbackRule.objects.count() == 5
    assert CallbackRule.objects.get(code="after-installation").delay_days == 5
    assert not CallbackVisit.objects.exists()  # rules only; visits come from real work
