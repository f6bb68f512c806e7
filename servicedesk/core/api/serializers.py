from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..models import Department, WorkerPing
from ..roles import Role


class DepartmentRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en", "name_zh"]


class DepartmentSerializer(DepartmentRefSerializer):
    class Meta(DepartmentRefSerializer.Meta):
        fields = [*DepartmentRefSerializer.Meta.fields, "email", "is_active"]


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    departments = DepartmentRefSerializer(many=True)
    auth = serializers.ChoiceField(choices=["session", "token"])

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "departments",
            "auth",
        ]


class WorkerPingSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkerPing
        fields = ["id", "created_at", "completed_at", "worker"]
        read_only_fields = fields
