# Production image: gunicorn serves the desk; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=servicedesk.settings.production
WORKDIR /app

RUN useradd --create-home --uid 1000 desk
COPY pyproject.toml README.md ./
COPY servicedesk servicedesk
COPY customers customers
COPY tickets tickets
COPY followups followups
COPY surveys surveys
# The production dependencies only: the [dev] extras (pytest, Playwright, honcho for `make run`)
# stay out of the image.
RUN pip install .
# .dockerignore keeps .env, .venv, var/, .git and test/bench output out of this copy.
COPY . .
# collectstatic needs settings that import; these build-time values are never used at run time.
RUN SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    ALLOWED_HOSTS=build SITE_URL=https://build.invalid python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R desk /app/var
USER desk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
