# provgraph service and worker image: `provgraph serve` by default, `provgraph worker …`
# when the command is overridden (docker-compose.yml, helm/provgraph).
#
#   docker build -t provgraph:local .
#   docker run -p 8000:8000 -e PROVGRAPH_GRAPH_URL=… -e PROVGRAPH_BLOB_URL=… provgraph:local
#
# Without PROVGRAPH_GRAPH_URL/PROVGRAPH_BLOB_URL it runs the embedded default (SQLite + local
# folder) under /data (PROVGRAPH_DATA_DIR), a volume owned by the provgraph user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY provgraph ./provgraph
COPY service ./service
COPY schema ./schema
COPY workers ./workers
COPY sdk ./sdk
RUN /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install '.[server]'

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PROVGRAPH_DATA_DIR=/data
RUN groupadd --system --gid 10001 provgraph \
    && useradd --system --uid 10001 --gid provgraph --home-dir /home/provgraph --create-home provgraph \
    && mkdir -p /data && chown provgraph:provgraph /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /home/provgraph
VOLUME ["/data"]
EXPOSE 8000
# /livez: the process answers, no backend call, so an orchestrator that replaces unhealthy
# containers does not restart this one for a Neo4j/S3 outage. docker-compose.yml polls
# /readyz instead (backends reachable, else 503) to order start-up.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4)"]
CMD ["provgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
