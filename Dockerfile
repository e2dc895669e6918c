# syntax=docker/dockerfile:1
# Multi-stage: browser libraries from npm, Python wheels built once, a slim non-root runtime.

FROM node:20-bookworm-slim AS vendor
WORKDIR /build
COPY package.json package-lock.json ./
# The image needs only the browser libraries, not the type checker (a devDependency).
RUN npm ci --omit=dev --no-audit --no-fund
# The same copy as `make vendor`: the file list is package.json's "vendor" map.
COPY scripts/vendor.mjs ./scripts/
RUN node scripts/vendor.mjs

FROM python:3.12-slim-bookworm AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY api ./api
COPY sync ./sync
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim-bookworm AS runtime
# DejaVu Sans for the printable passes' PDF (api/passes/pdf.py).
# pg_dump/pg_restore for `poctix backup`/`restore`. They must be at least as new as the server
# (docker-compose.yml runs postgres:$PG_MAJOR; Debian's own client is older), so they come from
# the PostgreSQL project's apt repository, set up by Debian's postgresql-common script.
ARG PG_MAJOR=18
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production HOST=0.0.0.0 PORT=8000 DATA_DIR=/data
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
    fonts-dejavu-core \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --uid 10001 poctix && mkdir -p /data && chown poctix /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY pwa ./pwa
# The gettext catalogues, read at start (api/i18n/catalogues.py).
COPY translations ./translations
COPY --from=vendor /build/pwa/vendor ./pwa/vendor
USER poctix
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
# DATABASE_URL and SECRET_KEY must be provided; without them start-up stops with a clear message.
CMD ["poctix", "run"]
