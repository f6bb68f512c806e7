"""The documented backup and restore (README "Security and data"): `pg_dump --format=custom` of
the desk's database, `pg_restore` into a fresh one, and every record is there."""

import shutil
import subprocess

import psycopg2
import pytest
from django.db import connection

from customers.models import Customer
from tests.factories import CustomerFactory, PhoneFactory
from tests.tickets.factories import MessageFactory, RecordFactory
from tickets.models import RecordMessage, ServiceRecord

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL backup"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]

TABLES = [
    (Customer, ["id", "name"]),
    (ServiceRecord, ["id", "subject", "status", "version"]),
    (RecordMessage, ["id", "body"]),
]


def _args(settings: dict) -> list[str]:
    args = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    return [*args, "-U", settings["USER"]] if settings["USER"] else args


def _rows(conn, model, columns) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table} ORDER BY id")  # noqa: S608 - our own names
        return cursor.fetchall()


def test_a_dump_restored_into_a_fresh_database_holds_every_record(tmp_path):
    for customer in CustomerFactory.create_batch(20):
        PhoneFactory(customer=customer)
        for record in RecordFactory.create_batch(3, customer=customer):
            MessageFactory(record=record, body="客户说：设备异响 <b>x</b> ' \" \\")
    settings = connection.settings_dict
    dump = tmp_path / "desk.dump"
    env = {"PGPASSWORD": settings["PASSWORD"] or ""}
    subprocess.run(  # noqa: S603 - fixed program, our own arguments
        [
            shutil.which("pg_dump"),
            "--format=custom",
            "-f",
            str(dump),
            *_args(settings),
            settings["NAME"],
        ],
        check=True,
        env=env,
    )
    fresh = f"{settings['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(  # noqa: S603
            [
                shutil.which("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                fresh,
                *_args(settings),
                str(dump),
            ],
            check=True,
            env=env,
        )
        restored = psycopg2.connect(
            dbname=fresh,
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"],
        )
        try:
            for model, columns in TABLES:
                original = list(model.objects.order_by("id").values_list(*columns))
                assert original, f"no {model.__name__} made"
                assert _rows(restored, model, columns) == original
        finally:
            restored.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
