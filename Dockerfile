# syntax=docker/dockerfile:1
# Build: docker build -t mpox-adapter .   Run: docker run -p 8000:8000 mpox-adapter

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mpox_adapter ./mpox_adapter
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install .
# The FHIR core package is fetched and verified (SHA-256) at build time, so the image
# starts without network access.
RUN MPOX_DEFINITIONS__CACHE_DIR=/opt/fhir /opt/venv/bin/mpox-adapter definitions fetch

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPOX_DEFINITIONS__CACHE_DIR=/opt/fhir \
    MPOX_STORE__URL=sqlite:////var/lib/mpox-adapter/adapter.db
RUN groupadd --system --gid 10001 adapter \
 && useradd --system --uid 10001 --gid adapter --home-dir /var/lib/mpox-adapter --create-home adapter
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/fhir /opt/fhir
# Profiles, mappings and rule packs are package data in the venv; the working folder is the
# adapter's home, where it may write (data_dir defaults to ./var).
WORKDIR /var/lib/mpox-adapter
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["mpox-adapter", "serve", "--host", "0.0.0.0"]
