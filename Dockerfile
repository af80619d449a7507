# syntax=docker/dockerfile:1.7
# One image for the scoreline API, the CLI and the Airflow services of docker-compose.yml.
# Build: docker build -t scoreline:0.1.0 .    Run: docker run -p 8000:8000 scoreline:0.1.0

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY docker/constraints.txt ./docker/constraints.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir "pip==25.3" \
    && pip install --no-cache-dir --constraint docker/constraints.txt ".[airflow,dask,aws]"

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="scoreline" \
      org.opencontainers.image.description="Football match prediction: API, CLI and pipelines" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SCORELINE_HOME=/data/scoreline \
    AIRFLOW_HOME=/opt/airflow
RUN groupadd --system --gid 10001 scoreline \
    && useradd --system --uid 10001 --gid scoreline --home-dir /data/scoreline --create-home scoreline \
    && mkdir -p /opt/airflow/dags \
    && chown -R scoreline:scoreline /opt/airflow
COPY --from=build /opt/venv /opt/venv
COPY --chown=scoreline:scoreline dags /opt/airflow/dags
USER 10001:10001
WORKDIR /data/scoreline
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["scoreline"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
