from followups.models import CallbackRule


def test_administrator_cannot_save_a_negative_delay(client, administrator, department):
    client.force_login(administrator)
    page = client.post(
        "/admin/followups/callbackrule/add/",
        {
            "code": "bad", "name_en": "Bad", "name_zh": "", "trigger": "record_resolved",
            "delay_days": "-2", "window_days": "2", "method": "phone",
            "assign_to": "department_queue", "department": department.pk,
            "max_attempts": "3", "retry_minutes": "120", "remind_minutes": "60",
            "is_active": "on",
        },
    )  # fmt: skip
    assert page.status_code == 200
    assert "A delay cannot be negative." in page.content.decode()
    assert not CallbackRule.objects.exists()


def test_visits_are_read_only_in_admin(client, administrator):
    client.force_login(administrator)
    assert client.get("/admin/followups/callbackvisit/").status_code == 200
    assert client.get("/admin/followups/callbackvisit/add/").status_code == 403
