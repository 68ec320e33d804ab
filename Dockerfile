# Hromada: multi-stage build; the runtime image runs as a non-root user, migrates, then serves.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
COPY petitions ./petitions
COPY budget ./budget
COPY consultations ./consultations
RUN pip install . && \
    for po in $(find app petitions budget consultations -name messages.po); do \
      pybabel compile -i "$po" -o "${po%.po}.mo"; done

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 hromada
WORKDIR /srv/hromada
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/srv/hromada \
    HROMADA_ENVIRONMENT=production \
    HROMADA_DATABASE_URL=sqlite:////srv/hromada/var/hromada.db \
    WEB_CONCURRENCY=4
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/app ./app
COPY --from=build /src/petitions ./petitions
COPY --from=build /src/budget ./budget
COPY --from=build /src/consultations ./consultations
COPY alembic.ini ./
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY tools ./tools
RUN mkdir -p var && chown -R hromada:hromada /srv/hromada
USER hromada
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
# HROMADA_SECRET_KEY must be provided; PostgreSQL through HROMADA_DATABASE_URL in production.
CMD ["sh", "-c", "hromada migrate && exec uvicorn app.asgi:app --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY} --proxy-headers"]
